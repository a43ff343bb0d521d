//! φ(x) = relu(x) and φ(x) = relu(x)²: non-negative, but exactly zero on half the space,
//! so a query can have no key at all (a zero normaliser, flagged by the attention code).

use ndarray::ArrayView2;

use super::{FeatureMap, Features, MapContext, elementwise};

pub struct Relu;
pub struct ReluSquared;

/// φ in MathML, as the kernel view shows it.
pub const RELU_FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>max</mo><mo>(</mo><mi>x</mi><mo>,</mo><mn>0</mn><mo>)</mo></math>";

/// φ in MathML, as the kernel view shows it.
pub const RELU_SQUARED_FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>max</mo><msup><mrow><mo>(</mo><mi>x</mi><mo>,</mo><mn>0</mn><mo>)</mo></mrow><mn>2</mn></msup></math>";

impl FeatureMap for Relu {
    fn name(&self) -> String {
        "ReLU".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        d
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        elementwise(x, |v| v.max(0.0))
    }
}

impl FeatureMap for ReluSquared {
    fn name(&self) -> String {
        "ReLU²".into()
    }
    fn feature_dim(&self, d: usize) -> usize {
        d
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        elementwise(x, |v| {
            let r = v.max(0.0);
            r * r
        })
    }
}
