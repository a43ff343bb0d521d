// Σ_j x_jc and Σ_j |x_jc| for each column c of a row-major n×m matrix, written as
// sums[c] and sums[m + c]. One invocation per column.

struct Dims {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let c = id.x;
    if (c >= dims.cols) {
        return;
    }
    var signed_sum = 0.0;
    var abs_sum = 0.0;
    for (var j = 0u; j < dims.rows; j = j + 1u) {
        let v = x[j * dims.cols + c];
        signed_sum = signed_sum + v;
        abs_sum = abs_sum + abs(v);
    }
    sums[c] = signed_sum;
    sums[dims.cols + c] = abs_sum;
}
