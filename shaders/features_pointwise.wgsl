// Feature maps that act on each entry alone, by `variant`: 0 φ(x) = x, 1 elu(x)+1, 2 relu(x),
// 3 relu(x)²; one invocation per entry of x.
// The bindings and Params come from features_interface.wgsl, prepended by the host.

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
