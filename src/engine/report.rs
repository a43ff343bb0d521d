//! The Report family: everything the views draw, the contract between compute and UI. Types
//! only; the CPU engine ([`super::cpu`]) and the GPU engine ([`super::gpu`]) fill them in.

use ndarray::Array2;

use crate::attention::{Attention, Mask};
use crate::kernels::MapSpec;
use crate::metrics::{ErrorMaps, KernelComparison, OutputError, RowMetrics, Spectrum};

/// Above this many tokens the singular-value spectra are skipped: an SVD per map is O(N³).
pub const SPECTRUM_LIMIT: usize = 256;

/// What to compute for one head.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub mask: Mask,
    /// Multiplies the softmax scale: `s = temperature / √d` (1 is the model's own).
    pub temperature: f64,
    pub maps: Vec<MapSpec>,
    /// Singular-value spectra (the errors view): an SVD per map.
    pub spectra: bool,
    /// Every query–key pair's exact and approximate kernel (the kernel view): O(N²·m).
    pub kernel_pairs: bool,
}

/// One linear map against softmax.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MapReport {
    /// The map's name in links and test ids ([`MapSpec::slug`]).
    pub key: String,
    pub name: String,
    /// MathML.
    pub formula: String,
    pub feature_dim: usize,
    pub attention: Attention,
    pub errors: ErrorMaps,
    pub rows: RowMetrics,
    pub output: OutputError,
    pub kernel: Option<KernelComparison>,
    /// φ(q_i) rows, each divided by its own scale (exponential maps: by its largest term),
    /// for the feature heatmap.
    pub query_features: Array2<f64>,
    pub spectrum: Option<Spectrum>,
}

/// Softmax and every requested map, for one head.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub n: usize,
    pub d: usize,
    pub scale: f64,
    pub softmax: Attention,
    pub softmax_entropy: Vec<f64>,
    pub softmax_spectrum: Option<Spectrum>,
    pub maps: Vec<MapReport>,
}

impl Report {
    /// Drop the matrices that `view` does not draw, before the report crosses to the page: at
    /// 512 tokens each N×N matrix is 2 MB. The figures and per-row metrics are kept.
    pub fn trim_for(&mut self, view: crate::state::View) {
        use crate::state::View;
        let empty = || Array2::zeros((0, 0));
        for m in &mut self.maps {
            if view != View::Errors {
                m.errors.absolute = empty();
                m.errors.signed = empty();
            }
            if view != View::Kernel {
                m.query_features = empty();
            }
        }
    }
}

/// How swapping one layer's softmax for a linear map moves what comes after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    pub name: String,
    /// Per layer from the swapped one on: `‖H − Ĥ‖_F / ‖H‖_F`.
    pub hidden_change: Vec<(usize, f64)>,
    /// Cosine of the mean-pooled sentence vectors, exact against swapped.
    pub sentence_cosine: f64,
}

/// The mask a causal flag stands for.
pub fn mask(causal: bool) -> Mask {
    if causal {
        Mask::Causal
    } else {
        Mask::Bidirectional
    }
}

/// Up to this many tokens the all-heads overview is computed with every change; up to
/// [`OVERVIEW_LIMIT`] on request. It runs every map on every head.
pub const OVERVIEW_AUTO: usize = 48;
pub const OVERVIEW_LIMIT: usize = 128;
