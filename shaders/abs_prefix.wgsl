// Running column sums of |φ(k_j)|: prefix[j][c] = Σ_{t ≤ j} |φ(k_t)_c|. They bound how much a
// linear normaliser can cancel (see linear_normalise.wgsl). One invocation per column.

struct Dims {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> features: array<f32>;
@group(0) @binding(2) var<storage, read_write> prefix: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let c = id.x;
    if (c >= dims.cols) {
        return;
    }
    var running = 0.0;
    for (var j = 0u; j < dims.rows; j = j + 1u) {
        running = running + abs(features[j * dims.cols + c]);
        prefix[j * dims.cols + c] = running;
    }
}
