// Row softmax in place: scores (rows×cols) become attention weights.
// One workgroup per row; max and sum are reduced in workgroup memory. Masked entries
// (j > i when causal) become exactly 0. Rows are numbered across a 2D grid of workgroups,
// since one dimension holds at most 65535 of them.

struct Params {
    rows: u32,
    cols: u32,
    causal: u32,
    scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;

const WIDTH: u32 = 64u;
var<workgroup> partial: array<f32, 64>;

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

    var top = -0x1.fffffep+127f; // the lowest finite f32, written exactly
    for (var j = lane; j < visible; j = j + WIDTH) {
        top = max(top, scores[base + j] * params.scale);
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
    workgroupBarrier();

    var total = 0.0;
    for (var j = lane; j < visible; j = j + WIDTH) {
        let e = exp(scores[base + j] * params.scale - top);
        scores[base + j] = e;
        total = total + e;
    }
    partial[lane] = total;
    workgroupBarrier();
    for (var stride = WIDTH / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial[lane] = partial[lane] + partial[lane + stride];
        }
        workgroupBarrier();
    }
    let sum = partial[0];

    for (var j = lane; j < params.cols; j = j + WIDTH) {
        if (j < visible) {
            scores[base + j] = scores[base + j] / sum;
        } else {
            scores[base + j] = 0.0;
        }
    }
}
