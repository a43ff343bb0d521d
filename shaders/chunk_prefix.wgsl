// Causal linear attention, step 2 of 3: turn the per-chunk sums into exclusive prefix sums over
// chunks, in place: state[t] becomes Σ_{t' < t} state[t']. One invocation per (a, c) entry.

struct Params {
    chunks: u32,
    entries: u32, // feature_dim × (value_dim + 2)
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let e = id.x + id.y * groups.x * 64u;
    if (e >= params.entries) {
        return;
    }
    var running = 0.0;
    for (var t = 0u; t < params.chunks; t = t + 1u) {
        let here = state[t * params.entries + e];
        state[t * params.entries + e] = running;
        running = running + here;
    }
}
