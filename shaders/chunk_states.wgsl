// Causal linear attention, step 1 of 3: per chunk t of CHUNK keys, the sums
//   state[t][a][c] = Σ_{j in t} φ(k_j)_a·v_jc   for c < d_v,
//   state[t][a][d_v] = Σ_{j in t} φ(k_j)_a,     state[t][a][d_v + 1] = Σ_{j in t} |φ(k_j)_a|.
// One invocation per (t, a, c).

struct Params {
    rows: u32,
    feature_dim: u32,
    value_dim: u32,
    chunk: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> key_features: array<f32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let width = params.value_dim + 2u;
    let per_chunk = params.feature_dim * width;
    let chunks = (params.rows + params.chunk - 1u) / params.chunk;
    let at = id.x + id.y * groups.x * 64u;
    if (at >= chunks * per_chunk) {
        return;
    }
    let t = at / per_chunk;
    let a = (at % per_chunk) / width;
    let c = at % width;
    let first = t * params.chunk;
    let last = min(first + params.chunk, params.rows);
    var sum = 0.0;
    for (var j = first; j < last; j = j + 1u) {
        let phi = key_features[j * params.feature_dim + a];
        if (c < params.value_dim) {
            sum = sum + phi * values[j * params.value_dim + c];
        } else if (c == params.value_dim) {
            sum = sum + phi;
        } else {
            sum = sum + abs(phi);
        }
    }
    state[at] = sum;
}
