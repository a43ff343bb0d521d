//! φ(x) = x: plain dot-product attention, the baseline. Weights can be negative and the
//! normaliser can vanish, which is why nobody uses it as is.

use ndarray::ArrayView2;

use super::{FeatureMap, Features, MapContext};

pub struct Identity;

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str =
    "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mi>x</mi></math>";

impl FeatureMap for Identity {
    fn name(&self) -> String {
        "identity".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        d
    }
    fn nonnegative_kernel(&self) -> bool {
        false
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        Features::unscaled(x.to_owned())
    }
}
