//! Hedgehog (Zhang et al. 2024): a learned map `φ(x) = [exp(Wx + b), exp(−(Wx + b))]`,
//! trained per head to mimic that head's softmax attention. Weights are data; until trained
//! weights ship, it starts from W = I, b = 0 and calls itself untrained.

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};

use super::{FeatureMap, Features, MapContext, stable_exp_rows};

/// One head's Hedgehog parameters: W is d_out×d, b has d_out entries.
#[derive(Debug, Clone, PartialEq)]
pub struct HedgehogWeights {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
    pub trained: bool,
}

pub struct Hedgehog {
    weights: HedgehogWeights,
}

impl Hedgehog {
    pub fn new(weights: HedgehogWeights) -> Self {
        Self { weights }
    }

    /// W = identity, b = 0: the starting point before training.
    pub fn untrained(d: usize) -> Self {
        Self::new(HedgehogWeights {
            w: Array2::eye(d),
            b: Array1::zeros(d),
            trained: false,
        })
    }
}

impl FeatureMap for Hedgehog {
    fn name(&self) -> String {
        if self.weights.trained {
            "Hedgehog".into()
        } else {
            "Hedgehog (untrained)".into()
        }
    }
    fn formula(&self) -> &'static str {
        "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>[</mo><msup><mi>e</mi><mrow><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi></mrow></msup><mo>,</mo><msup><mi>e</mi><mrow><mo>−</mo><mo>(</mo><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow></msup><mo>]</mo></math>"
    }
    fn feature_dim(&self, _d: usize) -> usize {
        2 * self.weights.w.nrows()
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        let mut logits = x.dot(&self.weights.w.t());
        logits += &self.weights.b;
        let both = concatenate(Axis(1), &[logits.view(), logits.mapv(|u| -u).view()])
            .unwrap_or_else(|_| Array2::zeros((x.nrows(), 2 * self.weights.w.nrows())));
        stable_exp_rows(&both, |_| 0.0)
    }
}
