//! Kernel feature maps φ: linear attention replaces `exp(s·q·k)` by `φ(q)·φ(k)`.
//!
//! A map returns [`Features`]: rows of values with a per-row log-scale, so that
//! `φ(x_i) = values_i · exp(log_scale_i)`. Exponential maps (Performer, Hedgehog) and the
//! trigonometric map would overflow f64 on large inputs otherwise; the scale is exact
//! bookkeeping, not an approximation, and cancels where attention normalises.

mod cosformer;
mod elu;
mod hedgehog;
mod identity;
mod performer;
mod relu;
pub mod rng;
mod taylor;
mod trig;

pub mod catalog;

pub use catalog::{CATALOG, GpuFeatures, Grid, MapInfo, MapKey};
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use cosformer::CosFormer;
pub use elu::EluPlusOne;
pub use hedgehog::{HEDGEHOG_VARIANTS, Hedgehog, HedgehogError, HedgehogSet, HedgehogWeights};
pub use identity::Identity;
pub use performer::{Performer, random_projection};
pub use relu::{Relu, ReluSquared};
pub use taylor::Taylor;
pub use trig::TrigRandomFeatures;

/// Whether the rows being mapped are queries or keys (cosFormer and Performer care).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Key,
}

/// What a map needs besides the rows themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapContext {
    pub role: Role,
    /// The softmax scale `s` of `exp(s·q·k)` (1/√d by default); maps that estimate the
    /// softmax kernel use it, the others ignore it.
    pub scale: f64,
    /// Sequence length, for position re-weighting (cosFormer).
    pub seq_len: usize,
}

/// Mapped rows: `φ(x_i) = values_i · exp(log_scale_i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub values: Array2<f64>,
    pub log_scale: Array1<f64>,
    /// `log φ(x_i)_c` for every entry, where every feature is a positive exponential
    /// (Performer, Hedgehog). Entries far below their row's largest underflow in `values`;
    /// attention falls back to these logs when that would lose the terms that matter.
    pub log_values: Option<Array2<f64>>,
}

/// Below this many nats under the largest term, products of features may underflow f64
/// (whose smallest normal is e^-708): attention then works from [`Features::log_values`].
pub const LOG_SPACE_MARGIN: f64 = 600.0;

impl Features {
    /// Features that need no scale bookkeeping.
    pub fn unscaled(values: Array2<f64>) -> Self {
        let rows = values.nrows();
        Self {
            values,
            log_scale: Array1::zeros(rows),
            log_values: None,
        }
    }

    /// The spread of the log-scales plus the widest row of log-features: how many nats below
    /// its largest term a product of a query and a key feature may sit. Infinite without logs.
    pub fn log_range(&self) -> f64 {
        let Some(logs) = &self.log_values else {
            return f64::INFINITY;
        };
        let spread = |it: &mut dyn Iterator<Item = f64>| {
            let (lo, hi) = it.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
            if hi >= lo { hi - lo } else { 0.0 }
        };
        let widest_row = logs
            .rows()
            .into_iter()
            .map(|row| spread(&mut row.iter().copied()))
            .fold(0.0, f64::max);
        spread(&mut self.log_scale.iter().copied()) + widest_row
    }

    /// Rows scaled to one shared scale, as keys must be before they are summed: row j is
    /// multiplied by `exp(log_scale_j − max log_scale)`, which is at most 1.
    pub fn on_common_scale(&self) -> Array2<f64> {
        let top = self
            .log_scale
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut values = self.values.clone();
        if top.is_finite() {
            for (mut row, &s) in values.rows_mut().into_iter().zip(self.log_scale.iter()) {
                let factor = (s - top).exp();
                row.mapv_inplace(|v| v * factor);
            }
        }
        values
    }
}

/// Random-feature parameters, where a map has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomParams {
    /// Number of random features m.
    pub m: usize,
    pub seed: u64,
    /// Orthogonal blocks (lower variance) or i.i.d. Gaussian rows.
    pub orthogonal: bool,
}

impl RandomParams {
    /// The app's defaults: m = 64, seed 0, orthogonal blocks.
    pub const DEFAULT: RandomParams = RandomParams {
        m: 64,
        seed: 0,
        orthogonal: true,
    };
}

/// A kernel feature map.
pub trait FeatureMap {
    /// Short name for legends, e.g. "elu+1".
    fn name(&self) -> String;
    /// Output dimension m for input dimension d.
    fn feature_dim(&self, d: usize) -> usize;
    /// Random-feature parameters, if the map is random.
    fn random_params(&self) -> Option<RandomParams> {
        None
    }
    /// The map's own numbers, flat, as its GPU kernel reads them (`parameters` at binding 2):
    /// a random projection, or trained weights. Empty for maps that have none.
    fn parameters(&self) -> Vec<f32> {
        Vec::new()
    }
    /// True when `φ(q)·φ(k) ≥ 0` for every q and k, so attention weights are never negative.
    fn nonnegative_kernel(&self) -> bool;
    /// Map the rows of `x` (n×d).
    fn apply(&self, x: ArrayView2<'_, f64>, ctx: &MapContext) -> Features;
}

/// One feature map as a request names it: which map ([`MapKey`], whose [`catalog::CATALOG`]
/// row says how to build it), its random-feature settings where it has them, and trained
/// weights where it needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSpec {
    pub key: MapKey,
    /// m, the seed and orthogonality; `None` for maps that are not random.
    pub random: Option<RandomParams>,
    /// One head's trained weights; they come from the shipped file, never from a link.
    pub weights: Option<std::sync::Arc<HedgehogWeights>>,
}

impl MapSpec {
    /// A map with no settings (a random map gets [`RandomParams::DEFAULT`]).
    pub fn of(key: MapKey) -> Self {
        Self::new(key, RandomParams::DEFAULT)
    }

    /// A map with these random-feature settings, which only random maps keep.
    pub fn new(key: MapKey, params: RandomParams) -> Self {
        Self {
            key,
            random: key.is_random().then_some(params),
            weights: None,
        }
    }

    /// A trained map with one head's weights.
    pub fn trained(key: MapKey, weights: std::sync::Arc<HedgehogWeights>) -> Self {
        Self {
            key,
            random: None,
            weights: Some(weights),
        }
    }

    /// The map's name in links and test ids (its [`catalog::CATALOG`] slug).
    pub fn slug(&self) -> &'static str {
        self.key.as_str()
    }

    /// The random-feature settings this map runs with.
    pub fn random_params(&self) -> RandomParams {
        self.random.unwrap_or(RandomParams::DEFAULT)
    }

    /// The map for head dimension `d`, by its table row.
    pub fn build(&self, d: usize) -> Box<dyn FeatureMap> {
        (self.key.info().cpu)(self, d)
    }
}

/// Apply a row-wise scalar function to every entry.
fn elementwise(x: ArrayView2<'_, f64>, f: impl Fn(f64) -> f64) -> Features {
    Features::unscaled(x.mapv(f))
}

/// `exp(u − max_row u)` with the max moved into the log-scale: the stable form of `exp(u)`
/// for rows of logits, shared by Performer and Hedgehog.
fn stable_exp_rows(logits: &Array2<f64>, extra_log_scale: impl Fn(usize) -> f64) -> Features {
    let mut values = logits.clone();
    let mut log_scale = Array1::zeros(logits.nrows());
    for (i, mut row) in values.rows_mut().into_iter().enumerate() {
        let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let top = if top.is_finite() { top } else { 0.0 };
        row.mapv_inplace(|u| (u - top).exp());
        log_scale[i] = top + extra_log_scale(i);
    }
    let mut log_values = logits.clone();
    for (i, mut row) in log_values.rows_mut().into_iter().enumerate() {
        let extra = extra_log_scale(i);
        row.mapv_inplace(|u| u + extra);
    }
    Features {
        values,
        log_scale,
        log_values: Some(log_values),
    }
}
