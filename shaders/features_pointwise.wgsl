// Feature maps that act on each entry alone, by `variant`: 0 φ(x) = x, 1 elu(x)+1, 2 relu(x),
// 3 relu(x)²; one invocation per entry of x.
// Every feature kernel has this interface (the catalog's GpuFeatures): `parameters` holds the
// map's own numbers, `log_scale` a per-row log-scale for maps whose features are exponentials.

struct Params {
    rows: u32,
    d: u32,
    features: u32,
    variant: u32,
    scale: f32,
    horizon: u32,
    parameters: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> parameters: array<f32>;
@group(0) @binding(3) var<storage, read_write> features: array<f32>;
@group(0) @binding(4) var<storage, read_write> log_scale: array<f32>;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = id.x + id.y * groups.x * 64u;
    if (i >= params.rows * params.d) {
        return;
    }
    let v = x[i];
    var out = v;
    switch params.variant {
        case 1u: {
            out = select(exp(v), v + 1.0, v > 0.0);
        }
        case 2u: {
            out = max(v, 0.0);
        }
        case 3u: {
            let r = max(v, 0.0);
            out = r * r;
        }
        default: {}
    }
    features[i] = out;
}
