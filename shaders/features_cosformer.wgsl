// cosFormer features: φ(x_i) = [relu(x_i)·cos(πi/2M), relu(x_i)·sin(πi/2M)], M the sequence
// length (the horizon); one invocation per entry of x. sin_cos comes from accurate_trig.wgsl.
// The bindings and Params come from features_interface.wgsl, prepended by the host.

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let at = id.x + id.y * groups.x * 64u;
    if (at >= params.rows * params.d) {
        return;
    }
    let i = at / params.d;
    let c = at % params.d;
    let angle = 1.5707963267948966 * f32(i) / f32(params.horizon);
    let sc = sin_cos(angle);
    let r = max(x[at], 0.0);
    features[i * 2u * params.d + c] = r * sc.y;
    features[i * 2u * params.d + params.d + c] = r * sc.x;
}
