// Hedgehog features: φ(x) = [exp(Wx + b), exp(−(Wx + b))], one workgroup per row; each row's
// largest exponent is moved into its log-scale, as for Performer.

struct Params {
    rows: u32,
    d: u32,
    out: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> features: array<f32>;
@group(0) @binding(5) var<storage, read_write> log_scale: array<f32>;

const WIDTH: u32 = 64u;
var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let row = group.x + group.y * groups.x;
    if (row >= params.rows) {
        return;
    }
    let base = row * 2u * params.out;
    var top = -0x1.fffffep+127f;
    for (var r = lane; r < params.out; r = r + WIDTH) {
        var u = bias[r];
        for (var c = 0u; c < params.d; c = c + 1u) {
            u = u + weight[r * params.d + c] * x[row * params.d + c];
        }
        features[base + r] = u;
        top = max(top, abs(u));
    }
    partial[lane] = top;
    workgroupBarrier();
    for (var stride = WIDTH / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial[lane] = max(partial[lane], partial[lane + stride]);
        }
        workgroupBarrier();
    }
    top = partial[0];
    for (var r = lane; r < params.out; r = r + WIDTH) {
        let u = features[base + r];
        features[base + r] = exp(u - top);
        features[base + params.out + r] = exp(-u - top);
    }
    if (lane == 0u) {
        log_scale[row] = top;
    }
}
