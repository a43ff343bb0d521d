//! Softmax attention and linear attention, on the CPU.
//!
//! Linear attention comes in two forms that must agree: the quadratic form materialises the
//! N×N weights for display, the recurrent form never does and costs O(N·m·d). Inputs must be
//! finite; [`check_finite`] says where they are not.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::kernels::{Features, LOG_SPACE_MARGIN};

/// Which keys a query may attend to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mask {
    /// Every key (an encoder, as in the embedded model).
    #[default]
    Bidirectional,
    /// Keys j ≤ i only (a decoder; linear attention becomes an RNN).
    Causal,
}

impl Mask {
    /// Number of keys query i may see among `n_k`: always the first ones.
    pub fn visible(self, i: usize, n_k: usize) -> usize {
        match self {
            Mask::Bidirectional => n_k,
            Mask::Causal => (i + 1).min(n_k),
        }
    }
}

/// Attention weights A (rows sum to 1) and outputs O = A·V.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attention {
    pub weights: Array2<f64>,
    pub output: Array2<f64>,
    /// Rows whose normaliser vanished (linear maps only); see [`linear_attention`].
    pub degenerate_rows: Vec<usize>,
    /// Per row, how much its normaliser cancels: `κ_i = Σ_c |φ(q_i)_c|·Σ_j |φ(k_j)_c| / |Σ_j
    /// φ(q_i)·φ(k_j)|`, at least 1. Rounding errors grow with κ, so a row with a large κ
    /// (signed maps: identity, trig) is fragile in any precision. 1 for softmax and for
    /// degenerate rows, whose weights are exact.
    pub conditioning: Vec<f64>,
}

/// Why the math refused its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MathError {
    #[error("{what} has a non-finite value (NaN or ±∞) at row {row}, column {col}")]
    NotFinite {
        what: &'static str,
        row: usize,
        col: usize,
    },
    #[error("mismatched shapes: {0}")]
    Shape(String),
}

/// The first NaN or infinity in `m`, if any.
pub fn check_finite(what: &'static str, m: ArrayView2<'_, f64>) -> Result<(), MathError> {
    match m.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), _)) => Err(MathError::NotFinite { what, row, col }),
        None => Ok(()),
    }
}

/// Check that Q, K, V fit together and are finite.
pub fn check_inputs(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
) -> Result<(), MathError> {
    if q.ncols() != k.ncols() {
        return Err(MathError::Shape(format!(
            "queries have dimension {}, keys {}",
            q.ncols(),
            k.ncols()
        )));
    }
    if k.nrows() != v.nrows() {
        return Err(MathError::Shape(format!(
            "{} keys but {} values",
            k.nrows(),
            v.nrows()
        )));
    }
    check_finite("Q", q)?;
    check_finite("K", k)?;
    check_finite("V", v)
}

/// `A = softmax(s·Q·Kᵀ + mask)`, `O = A·V`. Stable for any finite scores: each row's maximum
/// is subtracted before exponentiating, so the largest term is exactly 1.
pub fn softmax_attention(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
    scale: f64,
    mask: Mask,
) -> Attention {
    let (n_q, n_k) = (q.nrows(), k.nrows());
    let scores = q.dot(&k.t());
    let mut weights = Array2::<f64>::zeros((n_q, n_k));
    for i in 0..n_q {
        let visible = mask.visible(i, n_k);
        if visible == 0 {
            continue;
        }
        let row = scores.row(i);
        let top = (0..visible)
            .map(|j| scale * row[j])
            .fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0f64;
        for j in 0..visible {
            let e = (scale * row[j] - top).exp();
            weights[[i, j]] = e;
            total += e;
        }
        // total ≥ 1: the maximum contributes exp(0).
        weights.row_mut(i).mapv_inplace(|w| w / total);
    }
    let output = weights.dot(&v);
    Attention {
        weights,
        output,
        degenerate_rows: Vec::new(),
        conditioning: vec![1.0; n_q],
    }
}

/// Softmax attention's outputs `O = softmax(s·Q·Kᵀ + mask)·V`, one query row at a time, so
/// memory is O(N·d) rather than the N×N matrix: the form that reaches long sequences, for timing
/// against linear attention's O(N) form. Same numbers as [`softmax_attention`]'s output.
pub fn softmax_outputs(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    v: ArrayView2<'_, f64>,
    scale: f64,
    mask: Mask,
) -> Array2<f64> {
    let (n_q, n_k) = (q.nrows(), k.nrows());
    let mut output = Array2::<f64>::zeros((n_q, v.ncols()));
    let mut row_weights = vec![0.0f64; n_k];
    for i in 0..n_q {
        let visible = mask.visible(i, n_k);
        if visible == 0 {
            continue;
        }
        let qi = q.row(i);
        let mut top = f64::NEG_INFINITY;
        for (j, w) in row_weights.iter_mut().enumerate().take(visible) {
            *w = scale * qi.dot(&k.row(j));
            top = top.max(*w);
        }
        let mut total = 0.0f64;
        for w in row_weights.iter_mut().take(visible) {
            *w = (*w - top).exp();
            total += *w;
        }
        let mut out = output.row_mut(i);
        for (j, &w) in row_weights.iter().enumerate().take(visible) {
            out.scaled_add(w / total, &v.row(j));
        }
    }
    output
}

/// Relative size below which a linear normaliser counts as zero: `|Σ_j φ(q_i)·φ(k_j)|` is
/// compared with `Σ_c |φ(q_i)_c| · Σ_j |φ(k_j)_c|`, a bound on the terms that could cancel.
pub const DEGENERATE_THRESHOLD: f64 = 1e-6;

/// κ of a row (see [`Attention::conditioning`]).
fn condition(denominator: f64, bound: f64) -> f64 {
    if is_degenerate(denominator, bound) {
        1.0
    } else {
        (bound / denominator.abs()).max(1.0)
    }
}

fn is_degenerate(denominator: f64, bound: f64) -> bool {
    !denominator.is_finite() || denominator.abs() <= DEGENERATE_THRESHOLD * bound
}

/// Linear attention in the quadratic form: `Â_ij = φ(q_i)·φ(k_j) / Σ_j' φ(q_i)·φ(k_j')`.
///
/// A row whose normaliser vanishes (a ReLU query with no positive feature, a signed map whose
/// terms cancel) has no defined weights. Such a row is set to uniform weights over the keys it
/// may see, as softmax gives for equal scores, and its index is listed in `degenerate_rows`.
pub fn linear_attention(
    phi_q: &Features,
    phi_k: &Features,
    v: ArrayView2<'_, f64>,
    mask: Mask,
) -> Attention {
    if let Some(attention) = linear_attention_in_log_space(phi_q, phi_k, v, mask) {
        return attention;
    }
    let fq = &phi_q.values;
    let fk = phi_k.on_common_scale();
    let (n_q, n_k) = (fq.nrows(), fk.nrows());
    let kernel = fq.dot(&fk.t());
    let abs_k_sum = fk.mapv(f64::abs).sum_axis(Axis(0));
    let mut weights = Array2::<f64>::zeros((n_q, n_k));
    let mut degenerate_rows = Vec::new();
    let mut conditioning = vec![1.0; n_q];
    let mut abs_prefix = Array1::<f64>::zeros(fk.ncols());
    for i in 0..n_q {
        let visible = mask.visible(i, n_k);
        let bound_sum = match mask {
            Mask::Bidirectional => abs_k_sum.view(),
            Mask::Causal => {
                if i < n_k {
                    abs_prefix += &fk.row(i).mapv(f64::abs);
                }
                abs_prefix.view()
            }
        };
        let bound = fq.row(i).mapv(f64::abs).dot(&bound_sum);
        let denominator: f64 = (0..visible).map(|j| kernel[[i, j]]).sum();
        if visible == 0 {
            continue;
        }
        conditioning[i] = condition(denominator, bound);
        if is_degenerate(denominator, bound) {
            degenerate_rows.push(i);
            let uniform = 1.0 / visible as f64;
            for j in 0..visible {
                weights[[i, j]] = uniform;
            }
        } else {
            for j in 0..visible {
                weights[[i, j]] = kernel[[i, j]] / denominator;
            }
        }
    }
    let output = weights.dot(&v);
    Attention {
        weights,
        output,
        degenerate_rows,
        conditioning,
    }
}

/// Exact weights for positive exponential features whose scales are too far apart for f64
/// products (see [`LOG_SPACE_MARGIN`]): `log Â_ij = LSE_c(log φ(q_i)_c + log φ(k_j)_c)`, then
/// normalised per row like a softmax. `None` when the ordinary products are safe, or when the
/// features carry no logs. O(N²·m) exponentials, so only for such extreme inputs.
fn linear_attention_in_log_space(
    phi_q: &Features,
    phi_k: &Features,
    v: ArrayView2<'_, f64>,
    mask: Mask,
) -> Option<Attention> {
    let (lq, lk) = (phi_q.log_values.as_ref()?, phi_k.log_values.as_ref()?);
    if phi_q.log_range() + phi_k.log_range() <= LOG_SPACE_MARGIN {
        return None;
    }
    let (n_q, n_k) = (lq.nrows(), lk.nrows());
    let mut weights = Array2::<f64>::zeros((n_q, n_k));
    let mut logits = vec![0.0; n_k];
    for i in 0..n_q {
        let visible = mask.visible(i, n_k);
        for (j, logit) in logits.iter_mut().enumerate().take(visible) {
            *logit = log_sum_exp(lq.row(i).iter().zip(lk.row(j)).map(|(a, b)| a + b));
        }
        let top = logits[..visible]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logits[..visible].iter().map(|l| (l - top).exp()).sum();
        for j in 0..visible {
            weights[[i, j]] = (logits[j] - top).exp() / total;
        }
    }
    let output = weights.dot(&v);
    Some(Attention {
        weights,
        output,
        degenerate_rows: Vec::new(),
        // Positive terms only: nothing cancels.
        conditioning: vec![1.0; n_q],
    })
}

fn log_sum_exp(terms: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return top;
    }
    top + terms.map(|t| (t - top).exp()).sum::<f64>().ln()
}

/// Linear attention in its O(N·m·d) form: the keys and values are folded once into
/// `kv_state = Σ_j φ(k_j)·v_jᵀ` (m×d_v) and `k_sum = Σ_j φ(k_j)`, as running prefix sums when
/// causal, and each query reads `φ(q_i)ᵀ·kv_state / φ(q_i)·k_sum`. No N×N matrix exists.
/// Degenerate rows are treated as in [`linear_attention`]; `weights` is left empty (0×0).
pub fn linear_attention_recurrent(
    phi_q: &Features,
    phi_k: &Features,
    v: ArrayView2<'_, f64>,
    mask: Mask,
) -> Attention {
    // Scales too far apart for products of f64: the exact weights, then the outputs.
    if let Some(mut attention) = linear_attention_in_log_space(phi_q, phi_k, v, mask) {
        attention.weights = Array2::zeros((0, 0));
        return attention;
    }
    let fq = &phi_q.values;
    let fk = phi_k.on_common_scale();
    let (n_q, n_k, m, d_v) = (fq.nrows(), fk.nrows(), fk.ncols(), v.ncols());
    let mut output = Array2::<f64>::zeros((n_q, d_v));
    let mut degenerate_rows = Vec::new();
    let mut conditioning = vec![1.0; n_q];

    match mask {
        Mask::Bidirectional => {
            // One state for every query: read it with matrix products, not row by row.
            let kv_state = fk.t().dot(&v);
            let k_sum = fk.sum_axis(Axis(0));
            let abs_sum = fk.mapv(f64::abs).sum_axis(Axis(0));
            let numerators = fq.dot(&kv_state);
            let denominators = fq.dot(&k_sum);
            let bounds = fq.mapv(f64::abs).dot(&abs_sum);
            let v_mean = if n_k > 0 {
                v.sum_axis(Axis(0)) / n_k as f64
            } else {
                Array1::zeros(d_v)
            };
            for i in 0..n_q {
                if n_k == 0 {
                    continue;
                }
                conditioning[i] = condition(denominators[i], bounds[i]);
                if is_degenerate(denominators[i], bounds[i]) {
                    degenerate_rows.push(i);
                    output.row_mut(i).assign(&v_mean);
                } else {
                    output
                        .row_mut(i)
                        .assign(&(&numerators.row(i) / denominators[i]));
                }
            }
        }
        Mask::Causal => {
            let mut kv_state = Array2::<f64>::zeros((m, d_v));
            let mut k_sum = Array1::<f64>::zeros(m);
            let mut abs_sum = Array1::<f64>::zeros(m);
            let mut v_sum = Array1::<f64>::zeros(d_v);
            for (i, kappa) in conditioning.iter_mut().enumerate() {
                if i < n_k {
                    let (k_i, v_i) = (fk.row(i), v.row(i));
                    for a in 0..m {
                        let ka = k_i[a];
                        if ka != 0.0 {
                            kv_state.row_mut(a).scaled_add(ka, &v_i);
                        }
                    }
                    k_sum += &k_i;
                    abs_sum += &k_i.mapv(f64::abs);
                    v_sum += &v_i;
                }
                let visible = (i + 1).min(n_k);
                if visible == 0 {
                    continue;
                }
                let q_i = fq.row(i);
                let denominator = q_i.dot(&k_sum);
                let bound = q_i.mapv(f64::abs).dot(&abs_sum);
                *kappa = condition(denominator, bound);
                if is_degenerate(denominator, bound) {
                    degenerate_rows.push(i);
                    output.row_mut(i).assign(&(&v_sum / visible as f64));
                } else {
                    output
                        .row_mut(i)
                        .assign(&(q_i.dot(&kv_state) / denominator));
                }
            }
        }
    }
    Attention {
        weights: Array2::zeros((0, 0)),
        output,
        degenerate_rows,
        conditioning,
    }
}
