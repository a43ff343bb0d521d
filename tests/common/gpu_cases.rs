//! Random attention inputs shared by the native (lavapipe) and browser (SwiftShader) GPU
//! tests; the seed names the case, so a failure can be reproduced exactly.

use kernelscope::kernels::rng::SplitMix64;
use ndarray::Array2;

pub struct Inputs {
    pub q: Array2<f32>,
    pub k: Array2<f32>,
    pub v: Array2<f32>,
    pub scale: f32,
}

/// n tokens, head dimension d, value dimension d_v, entries N(0, spread²), f32.
pub fn inputs(seed: u64, n: usize, d: usize, d_v: usize, spread: f64) -> Inputs {
    let mut rng = SplitMix64::new(seed);
    let mut m = |rows, cols| {
        Array2::from_shape_simple_fn((rows, cols), || (spread * rng.gaussian()) as f32)
    };
    Inputs {
        q: m(n, d),
        k: m(n, d),
        v: m(n, d_v),
        scale: 1.0 / (d as f32).sqrt(),
    }
}

/// GPU (f32) against the CPU reference (f64): 1e-4 of the largest reference value.
pub fn assert_agrees(what: &str, gpu: &Array2<f32>, cpu: &Array2<f64>) {
    assert_eq!(gpu.dim(), cpu.dim(), "{what}: shape");
    let scale = cpu.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    let worst = gpu
        .iter()
        .zip(cpu.iter())
        .map(|(&g, &c)| (f64::from(g) - c).abs())
        .fold(0.0f64, f64::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: GPU and CPU differ by {worst:e} (scale {scale:e})"
    );
}

/// The CPU reference of linear attention (quadratic form) for the same f32 inputs.
pub fn cpu_linear(
    x: &Inputs,
    spec: &kernelscope::kernels::MapSpec,
    mask: kernelscope::attention::Mask,
) -> kernelscope::attention::Attention {
    use kernelscope::kernels::{MapContext, Role};
    let f64s = |m: &Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let map = spec.build(q.ncols(), None);
    let ctx = |role| MapContext {
        role,
        scale: f64::from(x.scale),
        seq_len: q.nrows(),
    };
    let phi_q = map.apply(q.view(), &ctx(Role::Query));
    let phi_k = map.apply(k.view(), &ctx(Role::Key));
    kernelscope::attention::linear_attention(&phi_q, &phi_k, v.view(), mask)
}
