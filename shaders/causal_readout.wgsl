// Causal linear attention, step 3 of 3, one invocation per query i in chunk t:
//   Ô_i = (φ(q_i)·P_t + Σ_{j in t, j ≤ i} (φ(q_i)·φ(k_j)) v_j) / (φ(q_i)·z_t + Σ_{j in t, j ≤ i} φ(q_i)·φ(k_j)),
// where P_t, z_t are the prefix sums of the chunks before t. A vanishing normaliser (relative
// to the bound Σ_c |φ(q_i)_c|·Σ_{j ≤ i} |φ(k_j)_c|) reads the mean of v_0..v_i and is flagged,
// as on the CPU. value_prefix holds Σ_{j ≤ i} v_j from the host. At most MAX_VALUE_DIM values.

struct Params {
    rows: u32,
    feature_dim: u32,
    value_dim: u32,
    chunk: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> query_features: array<f32>;
@group(0) @binding(2) var<storage, read> key_features: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read> state: array<f32>;
@group(0) @binding(5) var<storage, read> value_prefix: array<f32>;
@group(0) @binding(6) var<storage, read_write> output: array<f32>;
@group(0) @binding(7) var<storage, read_write> degenerate: array<f32>;

const MAX_VALUE_DIM: u32 = 128u;
const THRESHOLD: f32 = 1e-6;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = id.x + id.y * groups.x * 64u;
    if (i >= params.rows) {
        return;
    }
    let m = params.feature_dim;
    let dv = params.value_dim;
    let width = dv + 2u;
    let t = i / params.chunk;
    let base = t * m * width;
    var numerator: array<f32, 128>;
    var denominator = 0.0;
    var bound = 0.0;
    for (var c = 0u; c < dv; c = c + 1u) {
        numerator[c] = 0.0;
    }
    // The chunks before this one.
    for (var a = 0u; a < m; a = a + 1u) {
        let q = query_features[i * m + a];
        for (var c = 0u; c < dv; c = c + 1u) {
            numerator[c] = numerator[c] + q * state[base + a * width + c];
        }
        denominator = denominator + q * state[base + a * width + dv];
        bound = bound + abs(q) * state[base + a * width + dv + 1u];
    }
    // This chunk, up to and including i.
    for (var j = t * params.chunk; j <= i; j = j + 1u) {
        var dot = 0.0;
        for (var a = 0u; a < m; a = a + 1u) {
            let q = query_features[i * m + a];
            let k = key_features[j * m + a];
            dot = dot + q * k;
            bound = bound + abs(q) * abs(k);
        }
        denominator = denominator + dot;
        for (var c = 0u; c < dv; c = c + 1u) {
            numerator[c] = numerator[c] + dot * values[j * dv + c];
        }
    }
    let usable = abs(denominator) < 3.0e38 && abs(denominator) > bound * THRESHOLD;
    degenerate[i] = select(1.0, 0.0, usable);
    for (var c = 0u; c < dv; c = c + 1u) {
        output[i * dv + c] = select(value_prefix[i * dv + c] / f32(i + 1u), numerator[c] / denominator, usable);
    }
}
