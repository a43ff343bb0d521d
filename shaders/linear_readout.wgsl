// The O(N) readout of bidirectional linear attention, one workgroup per query:
// Ô_i = φ(q_i)ᵀ·kv_state / φ(q_i)·k_sum, with the CPU's rule for a vanishing normaliser
// (bound_i = Σ_c |φ(q_i)_c|·Σ_j |φ(k_j)_c|): such a row reads the mean value and is flagged.
// key_sums holds k_sum (first m entries) then Σ_j |φ(k_j)| (next m); value_mean has d_v.

struct Params {
    rows: u32,
    feature_dim: u32,
    value_dim: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> query_features: array<f32>;
@group(0) @binding(2) var<storage, read> kv_state: array<f32>;
@group(0) @binding(3) var<storage, read> key_sums: array<f32>;
@group(0) @binding(4) var<storage, read> value_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> output: array<f32>;
@group(0) @binding(6) var<storage, read_write> degenerate: array<f32>;

const WIDTH: u32 = 64u;
const THRESHOLD: f32 = 1e-6;
var<workgroup> partial_sum: array<f32, 64>;
var<workgroup> partial_bound: array<f32, 64>;

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
    let m = params.feature_dim;
    let q = row * m;
    var sum = 0.0;
    var bound = 0.0;
    for (var c = lane; c < m; c = c + WIDTH) {
        sum = sum + query_features[q + c] * key_sums[c];
        bound = bound + abs(query_features[q + c]) * key_sums[m + c];
    }
    partial_sum[lane] = sum;
    partial_bound[lane] = bound;
    workgroupBarrier();
    for (var stride = WIDTH / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sum[lane] = partial_sum[lane] + partial_sum[lane + stride];
            partial_bound[lane] = partial_bound[lane] + partial_bound[lane + stride];
        }
        workgroupBarrier();
    }
    let denominator = partial_sum[0];
    let usable = abs(denominator) < 3.0e38 && abs(denominator) > partial_bound[0] * THRESHOLD;
    if (lane == 0u) {
        degenerate[row] = select(1.0, 0.0, usable);
    }
    for (var j = lane; j < params.value_dim; j = j + WIDTH) {
        var value = value_mean[j];
        if (usable) {
            var numerator = 0.0;
            for (var c = 0u; c < m; c = c + 1u) {
                numerator = numerator + query_features[q + c] * kv_state[c * params.value_dim + j];
            }
            value = numerator / denominator;
        }
        output[row * params.value_dim + j] = value;
    }
}
