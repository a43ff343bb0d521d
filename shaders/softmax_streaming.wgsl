// Softmax attention outputs O = softmax(s·Q·Kᵀ + mask)·V without the N×N matrix: each
// invocation owns one query row and walks the keys once with an online softmax (a running
// maximum, with the sum and the weighted values rescaled when it grows). Memory is O(N·d), so
// N is limited by the binding of Q, K and V, not of an N×N score matrix. Used for timing long
// sequences; the maps themselves come from scores.wgsl + softmax_rows.wgsl.

struct Params {
    rows: u32,
    keys: u32,
    d: u32,
    d_v: u32,
    scale: f32,
    causal: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read_write> outputs: array<f32>;

// The head and value dimensions the private arrays hold (the host checks).
const MAX_DIM: u32 = 128u;

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let row = (group.x + group.y * groups.x) * 64u + lane;
    if (row >= params.rows) {
        return;
    }
    var q: array<f32, 128>;
    var acc: array<f32, 128>;
    for (var c = 0u; c < params.d; c = c + 1u) {
        q[c] = queries[row * params.d + c] * params.scale;
    }
    for (var c = 0u; c < params.d_v; c = c + 1u) {
        acc[c] = 0.0;
    }
    var visible = params.keys;
    if (params.causal == 1u) {
        visible = min(row + 1u, params.keys);
    }
    var top = -0x1.fffffep+127f; // the lowest finite f32, written exactly
    var total = 0.0;
    for (var j = 0u; j < visible; j = j + 1u) {
        var s = 0.0;
        for (var c = 0u; c < params.d; c = c + 1u) {
            s = s + q[c] * keys[j * params.d + c];
        }
        if (s > top) {
            // A new maximum: what was summed so far shrinks by exp(old − new) ≤ 1.
            let shrink = exp(top - s);
            total = total * shrink;
            for (var c = 0u; c < params.d_v; c = c + 1u) {
                acc[c] = acc[c] * shrink;
            }
            top = s;
        }
        let w = exp(s - top);
        total = total + w;
        for (var c = 0u; c < params.d_v; c = c + 1u) {
            acc[c] = acc[c] + w * values[j * params.d_v + c];
        }
    }
    for (var c = 0u; c < params.d_v; c = c + 1u) {
        outputs[row * params.d_v + c] = acc[c] / total;
    }
}
