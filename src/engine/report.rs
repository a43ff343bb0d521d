//! From one head's Q, K and V to everything the views draw: the `Report` of the design, the
//! contract between compute and UI. This is the CPU engine's version (f64, the reference).

use ndarray::{Array2, ArrayView2, s};

use crate::attention::{
    Attention, Mask, MathError, check_inputs, linear_attention, softmax_attention,
};
use crate::kernels::{FeatureMap, MapContext, MapSpec, Role};
use crate::metrics::{
    ErrorAtM, ErrorMaps, KernelComparison, OutputError, RowMetrics, Spectrum, error_maps,
    kernel_comparison, kernel_error_vs_m, output_error, row_entropy, row_metrics, spectrum,
};
use crate::model::forward::{Swap, Trace, cosine, forward, sentence_vector};
use crate::model::weights::{ModelError, Weights};

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

    /// The largest weight of any map: the shared top of the maps' colour scale.
    pub fn largest_weight(&self) -> f64 {
        let top = |a: &Array2<f64>| a.iter().copied().fold(0.0f64, f64::max);
        self.maps
            .iter()
            .map(|m| top(&m.attention.weights))
            .fold(top(&self.softmax.weights), f64::max)
    }
}

/// Run softmax and each map on one head (Q, K, V are n×d).
pub fn analyze(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
    request: &Request,
) -> Result<Report, MathError> {
    let (n, d) = q.dim();
    if !request.temperature.is_finite() || request.temperature <= 0.0 {
        return Err(MathError::Shape(format!(
            "the temperature must be a positive number, not {}",
            request.temperature
        )));
    }
    let scale = request.temperature / (d.max(1) as f64).sqrt();
    check_inputs(q, k, v)?;
    let softmax = softmax_attention(q, k, v, scale, request.mask);
    if let Some((row, col)) = first_non_finite(&softmax.weights) {
        return Err(MathError::NotFinite {
            what: "the softmax map",
            row,
            col,
        });
    }
    let spectra = request.spectra && n <= SPECTRUM_LIMIT;
    let ctx = |role| MapContext {
        role,
        scale,
        seq_len: n,
    };
    let mut maps = Vec::with_capacity(request.maps.len());
    for spec in &request.maps {
        let map = spec.build(d);
        let phi_q = map.apply(q, &ctx(Role::Query));
        let phi_k = map.apply(k, &ctx(Role::Key));
        let attention = linear_attention(&phi_q, &phi_k, v, request.mask);
        if let Some((row, col)) = first_non_finite(&attention.weights) {
            return Err(MathError::NotFinite {
                what: "a linear attention map",
                row,
                col,
            });
        }
        let errors = error_maps(&softmax.weights, &attention.weights);
        let rows = row_metrics(&softmax.weights, &attention.weights);
        let output = output_error(&softmax.output, &attention.output);
        let kernel = request
            .kernel_pairs
            .then(|| kernel_comparison(q, k, scale, &phi_q, &phi_k));
        maps.push(MapReport {
            key: spec.slug().to_string(),
            name: map.name(),
            formula: spec.key.info().formula.to_string(),
            feature_dim: map.feature_dim(d),
            errors,
            rows,
            output,
            kernel,
            query_features: phi_q.values.clone(),
            spectrum: spectra.then(|| spectrum(&attention.weights)),
            attention,
        });
    }
    Ok(Report {
        n,
        d,
        scale,
        softmax_entropy: softmax
            .weights
            .rows()
            .into_iter()
            .map(row_entropy)
            .collect(),
        softmax_spectrum: spectra.then(|| spectrum(&softmax.weights)),
        softmax,
        maps,
    })
}

fn first_non_finite(a: &Array2<f64>) -> Option<(usize, usize)> {
    a.indexed_iter()
        .find(|(_, x)| !x.is_finite())
        .map(|(at, _)| at)
}

/// Q, K and V of one head of a traced layer, in f64.
pub fn head(trace: &Trace, layer: usize, head: usize) -> Option<[Array2<f64>; 3]> {
    let l = trace.layers.get(layer)?;
    if head >= l.queries.dim().0 {
        return None;
    }
    let pick = |t: &ndarray::Array3<f32>| t.slice(s![head, .., ..]).mapv(f64::from);
    Some([pick(&l.queries), pick(&l.keys), pick(&l.values)])
}

/// Kernel error against m for a random map, over `seeds` seeds from `seed` on.
pub fn error_against_m(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    temperature: f64,
    spec: &MapSpec,
    seed: u64,
    seeds: usize,
) -> Option<Vec<ErrorAtM>> {
    let params = spec.random?;
    let scale = temperature / (q.ncols().max(1) as f64).sqrt();
    let seeds: Vec<u64> = (0..seeds as u64).map(|i| seed.wrapping_add(i)).collect();
    Some(kernel_error_vs_m(
        q,
        k,
        scale,
        spec.key,
        params.orthogonal,
        &[4, 8, 16, 32, 64, 128, 256],
        &seeds,
    ))
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

pub fn spread(
    weights: &Weights,
    ids: &[u32],
    exact: &Trace,
    layer: usize,
    map: &dyn FeatureMap,
) -> Result<Spread, ModelError> {
    let swapped = forward(
        weights,
        ids,
        Some(&Swap {
            layers: vec![layer],
            map,
        }),
    )?;
    let hidden_change = exact
        .layers
        .iter()
        .zip(&swapped.layers)
        .enumerate()
        .skip(layer)
        .map(|(l, (a, b))| {
            let diff: f64 = a
                .hidden
                .iter()
                .zip(b.hidden.iter())
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum();
            let base: f64 = a.hidden.iter().map(|x| f64::from(*x).powi(2)).sum();
            (l, (diff / base.max(f64::MIN_POSITIVE)).sqrt())
        })
        .collect();
    let sentence_cosine = f64::from(cosine(
        sentence_vector(exact.last_hidden()).view(),
        sentence_vector(swapped.last_hidden()).view(),
    ));
    Ok(Spread {
        name: map.name(),
        hidden_change,
        sentence_cosine,
    })
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

/// Mean total variation between softmax and each requested map, for the all-heads overview:
/// the maps alone, without the kernel pairs and spectra of [`analyze`].
pub fn mean_tv(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
    request: &Request,
) -> Result<Vec<(String, f64)>, MathError> {
    check_inputs(q, k, v)?;
    let (n, d) = q.dim();
    let scale = request.temperature / (d.max(1) as f64).sqrt();
    let softmax = softmax_attention(q, k, v, scale, request.mask);
    let ctx = |role| MapContext {
        role,
        scale,
        seq_len: n,
    };
    Ok(request
        .maps
        .iter()
        .map(|spec| {
            let map = spec.build(d);
            let a = linear_attention(
                &map.apply(q, &ctx(Role::Query)),
                &map.apply(k, &ctx(Role::Key)),
                v,
                request.mask,
            );
            let tv = softmax
                .weights
                .rows()
                .into_iter()
                .zip(a.weights.rows())
                .map(|(p, q)| crate::metrics::row_tv(p, q))
                .sum::<f64>()
                / n.max(1) as f64;
            (map.name(), tv)
        })
        .collect())
}
