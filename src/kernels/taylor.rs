//! Second-order Taylor features (Based, Arora et al. 2024):
//! `φ(x) = [1, √s·x, s·(x⊗x)/√2]`, so `φ(q)·φ(k) = 1 + t + t²/2` with `t = s·q·k`,
//! the start of the series of `exp(t)`. Always positive, but dimension 1 + d + d².

use ndarray::{Array2, ArrayView2};

use super::{FeatureMap, Features, MapContext};

pub struct Taylor;

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>[</mo><mn>1</mn><mo>,</mo><mfrac><mi>x</mi><mroot><mi>d</mi><mn>4</mn></mroot></mfrac><mo>,</mo><mfrac><mrow><mi>x</mi><mo>⊗</mo><mi>x</mi></mrow><mrow><msqrt><mn>2</mn></msqrt><msqrt><mi>d</mi></msqrt></mrow></mfrac><mo>]</mo></math>";

impl FeatureMap for Taylor {
    fn name(&self) -> String {
        "Taylor (2nd order)".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        1 + d + d * d
    }
    fn nonnegative_kernel(&self) -> bool {
        // 1 + t + t²/2 has no real root.
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, ctx: &MapContext) -> Features {
        let (n, d) = x.dim();
        let root = ctx.scale.max(0.0).sqrt();
        let second = ctx.scale.max(0.0) / std::f64::consts::SQRT_2;
        let mut values = Array2::zeros((n, 1 + d + d * d));
        for i in 0..n {
            values[[i, 0]] = 1.0;
            for a in 0..d {
                let xa = x[[i, a]];
                values[[i, 1 + a]] = root * xa;
                for b in 0..d {
                    values[[i, 1 + d + a * d + b]] = second * xa * x[[i, b]];
                }
            }
        }
        Features::unscaled(values)
    }
}
