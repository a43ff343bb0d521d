//! cosFormer (Qin et al. 2022): ReLU features re-weighted by position, so that
//! `φ(q_i)·φ(k_j) = relu(q_i)·relu(k_j) · cos(π(i−j)/2M)`: nearby tokens count more.

use std::f64::consts::FRAC_PI_2;

use ndarray::{Array2, ArrayView2};

use super::{FeatureMap, Features, MapContext};

pub struct CosFormer;

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mo>=</mo><mo>[</mo><mi>relu</mi><mo>(</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mi>cos</mi><mfrac><mrow><mi>π</mi><mi>i</mi></mrow><mrow><mn>2</mn><mi>M</mi></mrow></mfrac><mo>,</mo><mi>relu</mi><mo>(</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mi>sin</mi><mfrac><mrow><mi>π</mi><mi>i</mi></mrow><mrow><mn>2</mn><mi>M</mi></mrow></mfrac><mo>]</mo></math>";

impl FeatureMap for CosFormer {
    fn name(&self) -> String {
        "cosFormer".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        2 * d
    }
    fn nonnegative_kernel(&self) -> bool {
        // cos(π(i−j)/2M) ≥ 0 for |i−j| ≤ M, and M is the sequence length.
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, ctx: &MapContext) -> Features {
        let (n, d) = x.dim();
        let horizon = ctx.seq_len.max(n).max(1) as f64;
        let mut values = Array2::zeros((n, 2 * d));
        for i in 0..n {
            let angle = FRAC_PI_2 * i as f64 / horizon;
            let (sin, cos) = angle.sin_cos();
            for c in 0..d {
                let r = x[[i, c]].max(0.0);
                values[[i, c]] = r * cos;
                values[[i, d + c]] = r * sin;
            }
        }
        Features::unscaled(values)
    }
}
