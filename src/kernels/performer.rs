//! Performer FAVOR+ positive random features (Choromanski et al. 2021):
//! `φ(x) = exp(Wx − ‖x‖²/2) / √m` with x pre-scaled by √s, an unbiased estimate of
//! `exp(s·q·k)` whose every term is positive.

use ndarray::{Array2, ArrayView2};

use super::rng::SplitMix64;
use super::{FeatureMap, Features, MapContext, RandomParams, stable_exp_rows};

pub struct Performer {
    params: RandomParams,
    /// m×d projection, rows w_r.
    projection: Array2<f64>,
}

impl Performer {
    pub fn new(d: usize, params: RandomParams) -> Self {
        Self {
            params,
            projection: random_projection(d, params),
        }
    }

    pub fn projection(&self) -> &Array2<f64> {
        &self.projection
    }
}

/// The m×d random projection for `params`: i.i.d. N(0, 1) entries, or orthogonal blocks of d
/// rows (Gram–Schmidt on Gaussian d×d blocks) rescaled by the norms of fresh Gaussian vectors,
/// so each row is still marginally N(0, I) but rows within a block are exactly orthogonal.
/// The draw order is part of the spec: block by block, row-major, then the m norm vectors.
pub fn random_projection(d: usize, params: RandomParams) -> Array2<f64> {
    let mut rng = SplitMix64::new(params.seed);
    let m = params.m;
    let mut w = Array2::<f64>::zeros((m, d));
    if !params.orthogonal || d == 0 {
        for r in 0..m {
            for c in 0..d {
                w[[r, c]] = rng.gaussian();
            }
        }
        return w;
    }
    let mut filled = 0;
    while filled < m {
        let mut block = Array2::<f64>::zeros((d, d));
        for r in 0..d {
            for c in 0..d {
                block[[r, c]] = rng.gaussian();
            }
        }
        orthonormalise_rows(&mut block);
        for r in 0..d.min(m - filled) {
            w.row_mut(filled + r).assign(&block.row(r));
        }
        filled += d;
    }
    for r in 0..m {
        let norm = (0..d).map(|_| rng.gaussian().powi(2)).sum::<f64>().sqrt();
        w.row_mut(r).mapv_inplace(|v| v * norm);
    }
    w
}

/// Modified Gram–Schmidt on the rows, in order.
fn orthonormalise_rows(block: &mut Array2<f64>) {
    for r in 0..block.nrows() {
        for p in 0..r {
            let projection = block.row(r).dot(&block.row(p));
            let previous = block.row(p).to_owned();
            block.row_mut(r).scaled_add(-projection, &previous);
        }
        let norm = block.row(r).dot(&block.row(r)).sqrt();
        if norm > 0.0 {
            block.row_mut(r).mapv_inplace(|v| v / norm);
        }
    }
}

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mfrac><mn>1</mn><msqrt><mi>m</mi></msqrt></mfrac><mi>exp</mi><mo>(</mo><mi>W</mi><mi>x</mi><mo>−</mo><mfrac><msup><mrow><mo>‖</mo><mi>x</mi><mo>‖</mo></mrow><mn>2</mn></msup><mn>2</mn></mfrac><mo>)</mo></math>";

impl FeatureMap for Performer {
    fn name(&self) -> String {
        let kind = if self.params.orthogonal {
            "orthogonal"
        } else {
            "i.i.d."
        };
        format!("Performer FAVOR+ (m={}, {kind})", self.params.m)
    }
    fn feature_dim(&self, _d: usize) -> usize {
        self.params.m
    }
    fn random_params(&self) -> Option<RandomParams> {
        Some(self.params)
    }
    fn parameters(&self) -> Vec<f32> {
        self.projection.iter().map(|&w| w as f32).collect()
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, ctx: &MapContext) -> Features {
        let root = ctx.scale.max(0.0).sqrt();
        let scaled = x.mapv(|v| v * root);
        let logits = scaled.dot(&self.projection.t());
        let half_log_m = 0.5 * (self.params.m.max(1) as f64).ln();
        stable_exp_rows(&logits, |i| {
            -0.5 * scaled.row(i).dot(&scaled.row(i)) - half_log_m
        })
    }
}
