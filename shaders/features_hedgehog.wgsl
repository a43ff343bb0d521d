// Hedgehog features: φ(x) = [exp(Wx + b), exp(−(Wx + b))], one workgroup per row; the
// parameters are W (r×d, row by row) and then b (r), r = features / 2. Each row's largest
// exponent is moved into its log-scale, as for Performer.
// The bindings and Params come from features_interface.wgsl, prepended by the host.

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
    let r_out = params.features / 2u;
    let bias = r_out * params.d;
    let base = row * params.features;
    var top = -0x1.fffffep+127f;
    for (var r = lane; r < r_out; r = r + WIDTH) {
        var u = parameters[bias + r];
        for (var c = 0u; c < params.d; c = c + 1u) {
            u = u + parameters[r * params.d + c] * x[row * params.d + c];
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
    for (var r = lane; r < r_out; r = r + WIDTH) {
        let u = features[base + r];
        features[base + r] = exp(u - top);
        features[base + r_out + r] = exp(-u - top);
    }
    if (lane == 0u) {
        log_scale[row] = top;
    }
}
