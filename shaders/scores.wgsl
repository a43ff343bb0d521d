// Attention scores S = Q·Kᵀ · scale, one invocation per (query i, key j).
// Row-major: q is n_q×d, k is n_k×d, scores is n_q×n_k.

struct Dims {
    n_q: u32,
    n_k: u32,
    d: u32,
    scale: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y;
    let j = id.x;
    if (i >= dims.n_q || j >= dims.n_k) {
        return;
    }
    var dot = 0.0;
    for (var c = 0u; c < dims.d; c = c + 1u) {
        dot = dot + q[i * dims.d + c] * k[j * dims.d + c];
    }
    scores[i * dims.n_k + j] = dot * dims.scale;
}
