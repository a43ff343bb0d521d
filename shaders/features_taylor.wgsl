// Second-order Taylor features (Based): φ(x) = [1, √s·x, s·(x⊗x)/√2], one invocation per
// feature: 1 + d + d² of them per row.
// The bindings and Params come from features_interface.wgsl, prepended by the host.

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let d = params.d;
    let width = params.features;
    let at = id.x + id.y * groups.x * 64u;
    if (at >= params.rows * width) {
        return;
    }
    let i = at / width;
    let f = at % width;
    var value = 1.0;
    if (f >= 1u && f <= d) {
        value = sqrt(params.scale) * x[i * d + f - 1u];
    } else if (f > d) {
        let a = (f - 1u - d) / d;
        let b = (f - 1u - d) % d;
        value = params.scale * 0.7071067811865476 * x[i * d + a] * x[i * d + b];
    }
    features[at] = value;
}
