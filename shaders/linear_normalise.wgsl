// Linear attention weights from the kernel matrix K = φ(Q)·φ(K)ᵀ, in place, one workgroup
// per row: Â_ij = K_ij / Σ_{j visible} K_ij. A row whose normaliser vanishes, relative to
// bound_i = Σ_c |φ(q_i)_c| · prefix[last visible][c], gets uniform weights and is flagged,
// exactly as the CPU path does (attention::linear_attention).

struct Params {
    rows: u32,
    cols: u32,
    feature_dim: u32,
    causal: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> kernel: array<f32>;
@group(0) @binding(2) var<storage, read> query_features: array<f32>;
@group(0) @binding(3) var<storage, read> key_abs_prefix: array<f32>;
@group(0) @binding(4) var<storage, read_write> degenerate: array<f32>; // 1 where flagged

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
    var visible = params.cols;
    if (params.causal == 1u) {
        visible = min(row + 1u, params.cols);
    }
    let base = row * params.cols;
    let last = (visible - 1u) * params.feature_dim;

    var sum = 0.0;
    for (var j = lane; j < visible; j = j + WIDTH) {
        sum = sum + kernel[base + j];
    }
    var bound = 0.0;
    for (var c = lane; c < params.feature_dim; c = c + WIDTH) {
        bound = bound + abs(query_features[row * params.feature_dim + c]) * key_abs_prefix[last + c];
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
    let limit = partial_bound[0] * THRESHOLD;
    // NaN and ±∞ fail the first test, so they count as degenerate too.
    let usable = abs(denominator) < 3.0e38 && abs(denominator) > limit;
    if (lane == 0u) {
        degenerate[row] = select(1.0, 0.0, usable);
    }
    for (var j = lane; j < params.cols; j = j + WIDTH) {
        var w = 0.0;
        if (j < visible) {
            w = select(1.0 / f32(visible), kernel[base + j] / denominator, usable);
        }
        kernel[base + j] = w;
    }
}
