//! φ(x) = elu(x) + 1 (Katharopoulos et al. 2020): positive, smooth, fixed.

use ndarray::ArrayView2;

use super::{FeatureMap, Features, MapContext, elementwise};

pub struct EluPlusOne;

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mi>elu</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>+</mo><mn>1</mn></math>";

impl FeatureMap for EluPlusOne {
    fn name(&self) -> String {
        "elu+1".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        d
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        // elu(x)+1 = x+1 for x > 0, exp(x) otherwise.
        elementwise(x, |v| if v > 0.0 { v + 1.0 } else { v.exp() })
    }
}
