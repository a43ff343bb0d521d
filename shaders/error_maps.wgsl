// Signed (Â − A) and absolute |Â − A| error maps, one invocation per entry.

struct Dims {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> exact: array<f32>;
@group(0) @binding(2) var<storage, read> approx: array<f32>;
@group(0) @binding(3) var<storage, read_write> signed_error: array<f32>;
@group(0) @binding(4) var<storage, read_write> absolute_error: array<f32>;

@compute @workgroup_size(64)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = id.x + id.y * groups.x * 64u;
    if (i >= dims.len) {
        return;
    }
    let difference = approx[i] - exact[i];
    signed_error[i] = difference;
    absolute_error[i] = abs(difference);
}
