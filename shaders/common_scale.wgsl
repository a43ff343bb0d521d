// Bring key features to one shared scale before they are summed: row j is multiplied by
// exp(log_scale_j − max log_scale), which is at most 1. A single workgroup does it all.

struct Dims {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> features: array<f32>;
@group(0) @binding(2) var<storage, read> log_scale: array<f32>;

const WIDTH: u32 = 64u;
var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lane: u32) {
    var top = -0x1.fffffep+127f;
    for (var j = lane; j < dims.rows; j = j + WIDTH) {
        top = max(top, log_scale[j]);
    }
    partial[lane] = top;
    workgroupBarrier();
    for (var stride = WIDTH / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial[lane] = max(partial[lane], partial[lane + stride]);
        }
        workgroupBarrier();
    }
    top = partial[0];
    let total = dims.rows * dims.cols;
    for (var i = lane; i < total; i = i + WIDTH) {
        features[i] = features[i] * exp(log_scale[i / dims.cols] - top);
    }
}
