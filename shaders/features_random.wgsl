// Random-feature maps, one workgroup per row x_i, with x scaled by √s here. By `variant`:
//   0, Performer FAVOR+: φ(x) = exp(Wx − ‖x‖²/2)/√m, kept as exp(u − max u) with the rest in
//                        the row's log-scale;
//   1, trig:             φ(x) = exp(‖x‖²/2)/√m · [sin Wx, cos Wx], the exponential in the
//                        log-scale.
// W (m×d, the parameters) comes from the host's portable RNG, so the GPU and CPU use the same
// features. sin_cos comes from accurate_trig.wgsl, prepended by the host.
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
    let trig = params.variant == 1u;
    let m = select(params.features, params.features / 2u, trig);
    let root = sqrt(params.scale);
    let out = row * params.features;

    var top = -0x1.fffffep+127f;
    for (var r = lane; r < m; r = r + WIDTH) {
        var u = 0.0;
        for (var c = 0u; c < params.d; c = c + 1u) {
            u = u + parameters[r * params.d + c] * (x[row * params.d + c] * root);
        }
        if (trig) {
            let sc = sin_cos(u);
            features[out + r] = sc.x;
            features[out + m + r] = sc.y;
        } else {
            features[out + r] = u;
            top = max(top, u);
        }
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

    var norm = 0.0;
    for (var c = 0u; c < params.d; c = c + 1u) {
        let v = x[row * params.d + c] * root;
        norm = norm + v * v;
    }
    let half_log_m = 0.5 * log(f32(m));
    if (trig) {
        if (lane == 0u) {
            log_scale[row] = 0.5 * norm - half_log_m;
        }
        return;
    }
    for (var r = lane; r < m; r = r + WIDTH) {
        features[out + r] = exp(features[out + r] - top);
    }
    if (lane == 0u) {
        log_scale[row] = top - 0.5 * norm - half_log_m;
    }
}
