//! Trigonometric random Fourier features (Rahimi & Recht; Performer "sincos"; RFA):
//! `φ(x) = exp(‖x‖²/2)/√m · [sin(Wx), cos(Wx)]`, unbiased for `exp(s·q·k)` but with terms
//! of both signs, so small kernel values drown in noise and weights go negative.

use ndarray::{Array2, ArrayView2, Axis, concatenate};

use super::{FeatureMap, Features, MapContext, RandomParams, random_projection};

pub struct TrigRandomFeatures {
    params: RandomParams,
    projection: Array2<f64>,
}

impl TrigRandomFeatures {
    pub fn new(d: usize, params: RandomParams) -> Self {
        Self {
            params,
            projection: random_projection(d, params),
        }
    }
}

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mfrac><msup><mi>e</mi><mrow><msup><mrow><mo>‖</mo><mi>x</mi><mo>‖</mo></mrow><mn>2</mn></msup><mo>/</mo><mn>2</mn></mrow></msup><msqrt><mi>m</mi></msqrt></mfrac><mo>[</mo><mi>sin</mi><mo>(</mo><mi>W</mi><mi>x</mi><mo>)</mo><mo>,</mo><mi>cos</mi><mo>(</mo><mi>W</mi><mi>x</mi><mo>)</mo><mo>]</mo></math>";

impl FeatureMap for TrigRandomFeatures {
    fn name(&self) -> String {
        let kind = if self.params.orthogonal {
            "orthogonal"
        } else {
            "i.i.d."
        };
        format!("trig RFF (m={}, {kind})", self.params.m)
    }
    fn feature_dim(&self, _d: usize) -> usize {
        2 * self.params.m
    }
    fn random_params(&self) -> Option<RandomParams> {
        Some(self.params)
    }
    fn parameters(&self) -> Vec<f32> {
        self.projection.iter().map(|&w| w as f32).collect()
    }
    fn nonnegative_kernel(&self) -> bool {
        false
    }
    fn apply(&self, x: ArrayView2<'_, f64>, ctx: &MapContext) -> Features {
        let root = ctx.scale.max(0.0).sqrt();
        let scaled = x.mapv(|v| v * root);
        let angles = scaled.dot(&self.projection.t());
        let values = concatenate(
            Axis(1),
            &[angles.mapv(f64::sin).view(), angles.mapv(f64::cos).view()],
        )
        .unwrap_or_else(|_| Array2::zeros((x.nrows(), 2 * self.params.m)));
        let half_log_m = 0.5 * (self.params.m.max(1) as f64).ln();
        let log_scale = scaled
            .rows()
            .into_iter()
            .map(|row| 0.5 * row.dot(&row) - half_log_m)
            .collect();
        Features {
            values,
            log_scale,
            log_values: None,
        }
    }
}
