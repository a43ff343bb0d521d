// Per-row comparison of softmax weights A with linear weights Â, one workgroup per row:
// entropy of each (rows clipped at 0 and renormalised), KL(A‖Â) on the same clipped rows
// (+∞, written as −1, where Â has no mass where A has some), and total variation ½Σ|A − Â| on the raw rows.
// Output: four values per row, in that order. Mirrors metrics::row_metrics on the CPU.

struct Dims {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> exact: array<f32>;
@group(0) @binding(2) var<storage, read> approx: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;

const WIDTH: u32 = 64u;
var<workgroup> r0: array<f32, 64>;
var<workgroup> r1: array<f32, 64>;
var<workgroup> r2: array<f32, 64>;
var<workgroup> r3: array<f32, 64>;

fn reduce(lane: u32) {
    for (var stride = WIDTH / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            r0[lane] = r0[lane] + r0[lane + stride];
            r1[lane] = r1[lane] + r1[lane + stride];
            r2[lane] = r2[lane] + r2[lane + stride];
            r3[lane] = max(r3[lane], r3[lane + stride]);
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let row = group.x + group.y * groups.x;
    if (row >= dims.rows) {
        return;
    }
    let base = row * dims.cols;

    // Pass 1: the clipped masses and the total variation.
    var mass_exact = 0.0;
    var mass_approx = 0.0;
    var variation = 0.0;
    for (var j = lane; j < dims.cols; j = j + WIDTH) {
        let a = exact[base + j];
        let b = approx[base + j];
        mass_exact = mass_exact + max(a, 0.0);
        mass_approx = mass_approx + max(b, 0.0);
        variation = variation + abs(a - b);
    }
    r0[lane] = mass_exact;
    r1[lane] = mass_approx;
    r2[lane] = variation;
    r3[lane] = 0.0;
    workgroupBarrier();
    reduce(lane);
    let total_exact = r0[0];
    let total_approx = r1[0];
    let tv = 0.5 * r2[0];
    workgroupBarrier();

    // Pass 2: entropies and KL of the renormalised rows.
    var h_exact = 0.0;
    var h_approx = 0.0;
    var kl = 0.0;
    var unbounded = 0.0;
    for (var j = lane; j < dims.cols; j = j + WIDTH) {
        var p = max(exact[base + j], 0.0);
        var q = max(approx[base + j], 0.0);
        if (total_exact > 0.0) {
            p = p / total_exact;
        }
        if (total_approx > 0.0) {
            q = q / total_approx;
        }
        if (p > 0.0) {
            h_exact = h_exact - p * log(p);
            if (q > 0.0) {
                kl = kl + p * log(p / q);
            } else {
                unbounded = 1.0;
            }
        }
        if (q > 0.0) {
            h_approx = h_approx - q * log(q);
        }
    }
    r0[lane] = h_exact;
    r1[lane] = h_approx;
    r2[lane] = kl;
    r3[lane] = unbounded;
    workgroupBarrier();
    reduce(lane);
    if (lane == 0u) {
        metrics[row * 4u] = r0[0];
        metrics[row * 4u + 1u] = r1[0];
        // −1 stands for +∞ (WGSL has no infinity literal); the host turns it back.
        metrics[row * 4u + 2u] = select(max(r2[0], 0.0), -1.0, r3[0] > 0.0);
        metrics[row * 4u + 3u] = tv;
    }
}
