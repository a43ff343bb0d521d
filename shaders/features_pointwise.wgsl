// Feature maps that act on each entry alone: φ(x) = x, elu(x)+1, relu(x), relu(x)².

struct Params {
    len: u32,
    kind: u32, // 0 identity, 1 elu+1, 2 relu, 3 relu²
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> features: array<f32>;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = id.x + id.y * groups.x * 64u;
    if (i >= params.len) {
        return;
    }
    let v = x[i];
    var out = v;
    switch params.kind {
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
