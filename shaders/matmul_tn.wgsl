// C = Aᵀ·B for row-major A (n×k) and B (n×m): here the linear-attention state
// kv_state = φ(K)ᵀ·V (m×d_v), summed over all n keys. One invocation per entry of C.

struct Dims {
    n: u32,
    k: u32,
    m: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let row = id.y;
    let col = id.x;
    if (row >= dims.k || col >= dims.m) {
        return;
    }
    var sum = 0.0;
    for (var t = 0u; t < dims.n; t = t + 1u) {
        sum = sum + a[t * dims.k + row] * b[t * dims.m + col];
    }
    c[row * dims.m + col] = sum;
}
