//! How far a linear attention map is from softmax, and why: per-row entropy, KL and total
//! variation, error maps, output error, the kernel itself pair by pair, singular-value
//! spectra, and collisions of distinct queries onto the same attention row.
//!
//! Sums run in f64; results that are drawn are f64.

use nalgebra::DMatrix;
use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::kernels::{Features, MapContext, MapKey, MapSpec, RandomParams, Role};

/// Per-row comparison of softmax weights A with linear weights Â.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowMetrics {
    /// Entropy of each softmax row, in nats.
    pub entropy_softmax: Vec<f64>,
    /// Entropy of each linear row (negative weights clipped to zero and renormalised).
    pub entropy_linear: Vec<f64>,
    /// KL(A_i ‖ Â_i) in nats, on the same clipped Â; +∞ where Â_i has no mass where A_i has some.
    pub kl: Vec<f64>,
    /// Total variation ½·Σ_j |A_ij − Â_ij|, on the raw weights.
    pub tv: Vec<f64>,
}

/// A row as a probability distribution: negative entries clipped, then renormalised.
/// A row with no positive mass gives all zeros.
fn as_distribution(row: ArrayView1<'_, f64>) -> Vec<f64> {
    let clipped: Vec<f64> = row.iter().map(|&w| w.max(0.0)).collect();
    let total: f64 = clipped.iter().sum();
    if total > 0.0 {
        clipped.into_iter().map(|w| w / total).collect()
    } else {
        clipped
    }
}

/// Shannon entropy `−Σ p ln p` of a row (clipped and renormalised), with `0·ln 0 = 0`.
pub fn row_entropy(row: ArrayView1<'_, f64>) -> f64 {
    let h: f64 = as_distribution(row)
        .into_iter()
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    h
}

/// `KL(p ‖ q) = Σ p ln(p/q)` over rows treated as distributions.
pub fn row_kl(p: ArrayView1<'_, f64>, q: ArrayView1<'_, f64>) -> f64 {
    let (p, q) = (as_distribution(p), as_distribution(q));
    let mut kl = 0.0f64;
    for (&pj, &qj) in p.iter().zip(q.iter()) {
        if pj > 0.0 {
            if qj <= 0.0 {
                return f64::INFINITY;
            }
            kl += pj * (pj / qj).ln();
        }
    }
    // Rounding can leave a hair below zero for identical rows.
    kl.max(0.0)
}

/// Total variation distance `½·Σ |p − q|`.
pub fn row_tv(p: ArrayView1<'_, f64>, q: ArrayView1<'_, f64>) -> f64 {
    let sum: f64 = p.iter().zip(q.iter()).map(|(&a, &b)| (a - b).abs()).sum();
    0.5 * sum
}

pub fn row_metrics(softmax: &Array2<f64>, linear: &Array2<f64>) -> RowMetrics {
    let rows = softmax.rows().into_iter().zip(linear.rows());
    let mut m = RowMetrics {
        entropy_softmax: Vec::new(),
        entropy_linear: Vec::new(),
        kl: Vec::new(),
        tv: Vec::new(),
    };
    for (a, a_hat) in rows {
        m.entropy_softmax.push(row_entropy(a));
        m.entropy_linear.push(row_entropy(a_hat));
        m.kl.push(row_kl(a, a_hat));
        m.tv.push(row_tv(a, a_hat));
    }
    m
}

/// `|A − Â|`, `Â − A` and `‖A − Â‖_F / ‖A‖_F`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ErrorMaps {
    pub absolute: Array2<f64>,
    pub signed: Array2<f64>,
    pub relative_frobenius: f64,
}

pub fn error_maps(softmax: &Array2<f64>, linear: &Array2<f64>) -> ErrorMaps {
    let signed = linear - softmax;
    let absolute = signed.mapv(f64::abs);
    let diff: f64 = signed.iter().map(|&x| x.powi(2)).sum();
    let base: f64 = softmax.iter().map(|&x| x.powi(2)).sum();
    ErrorMaps {
        absolute,
        signed,
        relative_frobenius: relative(diff.sqrt(), base.sqrt()),
    }
}

/// `x / base`, with 0/0 = 0 and x/0 = ∞.
fn relative(x: f64, base: f64) -> f64 {
    if base > 0.0 {
        x / base
    } else if x == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `‖O_i − Ô_i‖` per row, `‖O − Ô‖_F`, and that relative to `‖O‖_F`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputError {
    pub per_row: Vec<f64>,
    pub total: f64,
    pub relative: f64,
}

pub fn output_error(exact: &Array2<f64>, approx: &Array2<f64>) -> OutputError {
    let per_row: Vec<f64> = exact
        .rows()
        .into_iter()
        .zip(approx.rows())
        .map(|(o, o_hat)| {
            o.iter()
                .zip(o_hat.iter())
                .map(|(&a, &b)| (a - b).powi(2))
                .sum::<f64>()
        })
        .collect();
    let total = per_row.iter().sum::<f64>().sqrt();
    let base = exact.iter().map(|&x| x.powi(2)).sum::<f64>().sqrt();
    OutputError {
        per_row: per_row.iter().map(|e| e.sqrt()).collect(),
        total,
        relative: relative(total, base),
    }
}

/// The softmax kernel `exp(s·q_i·k_j)` against its estimate `φ(q_i)·φ(k_j)`, every pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KernelComparison {
    pub exact: Array2<f64>,
    pub approx: Array2<f64>,
    /// Mean of `(approx − exact)²` over the pairs whose exact kernel is finite (∞ if any of
    /// their estimates is not).
    pub mse: f64,
    /// Largest `|approx − exact| / exact`.
    pub max_relative_error: f64,
    /// Pearson correlation of approx with exact.
    pub correlation: f64,
    /// `‖approx − exact‖_F / ‖exact‖_F`.
    pub relative_frobenius: f64,
    /// Pairs whose exact kernel overflows f64 (s·q·k > 709); left out of the statistics.
    pub overflowed: usize,
    /// Pairs whose exact kernel is finite but whose estimate is not (a trig estimate can
    /// overflow): errors of the map, so they make the error statistics infinite.
    pub estimate_overflowed: usize,
}

pub fn kernel_comparison(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    scale: f64,
    phi_q: &Features,
    phi_k: &Features,
) -> KernelComparison {
    let (n_q, n_k) = (q.nrows(), k.nrows());
    let mut exact = Array2::<f64>::zeros((n_q, n_k));
    let mut approx = Array2::<f64>::zeros((n_q, n_k));
    for i in 0..n_q {
        for j in 0..n_k {
            let dot: f64 = q.row(i).iter().zip(k.row(j)).map(|(&a, &b)| a * b).sum();
            exact[[i, j]] = (scale * dot).exp();
            let features: f64 = phi_q
                .values
                .row(i)
                .iter()
                .zip(phi_k.values.row(j))
                .map(|(&a, &b)| a * b)
                .sum();
            let log_scale = phi_q.log_scale[i] + phi_k.log_scale[j];
            approx[[i, j]] = features * log_scale.exp();
        }
    }
    kernel_summary(exact, approx)
}

/// The statistics of [`KernelComparison`] for given exact and approximate kernel matrices
/// (also used for the GPU's kernel pairs).
pub fn kernel_summary(exact: Array2<f64>, approx: Array2<f64>) -> KernelComparison {
    // Only the pairs the exact kernel cannot represent are left out; an estimate that is not
    // finite where the exact kernel is, is the map's error and is counted as such.
    let overflowed = exact.iter().filter(|e| !e.is_finite()).count();
    let estimate_overflowed = exact
        .iter()
        .zip(approx.iter())
        .filter(|(e, a)| e.is_finite() && !a.is_finite())
        .count();
    let pairs: Vec<(f64, f64)> = exact
        .iter()
        .zip(approx.iter())
        .filter(|(e, a)| e.is_finite() && a.is_finite())
        .map(|(&e, &a)| (e, a))
        .collect();
    let count = pairs.len().max(1) as f64;
    let mse = pairs.iter().map(|(e, a)| (a - e).powi(2)).sum::<f64>() / count;
    let max_relative_error = pairs
        .iter()
        .map(|(e, a)| (a - e).abs() / e)
        .fold(0.0, f64::max);
    let diff = pairs
        .iter()
        .map(|(e, a)| (a - e).powi(2))
        .sum::<f64>()
        .sqrt();
    let base = pairs.iter().map(|(e, _)| e * e).sum::<f64>().sqrt();
    let infinite_if_any = |x: f64| {
        if estimate_overflowed > 0 {
            f64::INFINITY
        } else {
            x
        }
    };
    KernelComparison {
        mse: infinite_if_any(mse),
        max_relative_error: infinite_if_any(max_relative_error),
        // Over the pairs where both are finite.
        correlation: pearson(&pairs),
        relative_frobenius: infinite_if_any(relative(diff, base)),
        overflowed,
        estimate_overflowed,
        exact,
        approx,
    }
}

/// Pearson correlation; 0 when either side is constant.
fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    if pairs.len() < 2 {
        return 0.0;
    }
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (mx / n, my / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx.sqrt() * syy.sqrt())
    } else {
        0.0
    }
}

/// Singular values (descending), effective rank and numerical rank of a map.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spectrum {
    pub singular_values: Vec<f64>,
    /// `exp(H(σ/Σσ))` (Roy & Vetterli 2007): between 1 and the matrix size.
    pub effective_rank: f64,
    /// Singular values above `RANK_TOLERANCE · σ_max`: the rank that f64 maps resolve clearly.
    pub numerical_rank: usize,
}

/// Relative size below which a singular value counts as zero. f64 maps carry noise near
/// 1e-7·σ_max; real structure in a softmax map sits well above 1e-4.
pub const RANK_TOLERANCE: f64 = 1e-4;

pub fn spectrum(a: &Array2<f64>) -> Spectrum {
    let (n, m) = a.dim();
    if n == 0 || m == 0 {
        return Spectrum {
            singular_values: Vec::new(),
            effective_rank: 0.0,
            numerical_rank: 0,
        };
    }
    let matrix = DMatrix::from_row_iterator(n, m, a.iter().copied());
    let mut singular_values: Vec<f64> = matrix.singular_values().iter().copied().collect();
    singular_values.sort_by(|x, y| y.total_cmp(x));
    let total: f64 = singular_values.iter().sum();
    let effective_rank = if total > 0.0 {
        let h: f64 = singular_values
            .iter()
            .map(|s| s / total)
            .filter(|&p| p > 0.0)
            .map(|p| -p * p.ln())
            .sum();
        h.exp()
    } else {
        0.0
    };
    let top = singular_values.first().copied().unwrap_or(0.0);
    let threshold = top * RANK_TOLERANCE;
    let numerical_rank = singular_values.iter().filter(|&&s| s > threshold).count();
    Spectrum {
        singular_values,
        effective_rank,
        numerical_rank,
    }
}

/// Queries closer than this (relative to the larger norm) count as the same query.
pub const DISTINCT_QUERY_TOLERANCE: f64 = 1e-3;
/// Rows closer than this in total variation count as the same attention row.
pub const SAME_ROW_TOLERANCE: f64 = 1e-3;

/// Pairs (i, i') of distinct queries whose attention rows nearly coincide: linear attention is
/// not injective (Han et al. 2024); a ReLU map, for one, gives q and 2q the same row.
pub fn collisions(q: ArrayView2<'_, f64>, weights: &Array2<f64>) -> Vec<(usize, usize)> {
    let n = q.nrows().min(weights.nrows());
    let norms: Vec<f64> = q.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    let mut found = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let gap = q
                .row(i)
                .iter()
                .zip(q.row(j))
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            let distinct =
                gap > DISTINCT_QUERY_TOLERANCE * norms[i].max(norms[j]).max(f64::MIN_POSITIVE);
            if distinct && row_tv(weights.row(i), weights.row(j)) <= SAME_ROW_TOLERANCE {
                found.push((i, j));
            }
        }
    }
    found
}

/// Kernel error `‖K̂ − K‖_F / ‖K‖_F` at one m, over seeds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ErrorAtM {
    pub m: usize,
    pub mean: f64,
    /// Standard deviation over seeds.
    pub spread: f64,
    pub per_seed: Vec<f64>,
}

pub fn kernel_error_vs_m(
    q: ArrayView2<'_, f64>,
    k: ArrayView2<'_, f64>,
    scale: f64,
    map: MapKey,
    orthogonal: bool,
    ms: &[usize],
    seeds: &[u64],
) -> Vec<ErrorAtM> {
    let d = q.ncols();
    let seq_len = q.nrows().max(k.nrows());
    ms.iter()
        .map(|&m| {
            let per_seed: Vec<f64> = seeds
                .iter()
                .map(|&seed| {
                    let params = RandomParams {
                        m,
                        seed,
                        orthogonal,
                    };
                    let map = MapSpec::new(map, params).build(d);
                    let ctx = |role| MapContext {
                        role,
                        scale,
                        seq_len,
                    };
                    let phi_q = map.apply(q, &ctx(Role::Query));
                    let phi_k = map.apply(k, &ctx(Role::Key));
                    kernel_comparison(q, k, scale, &phi_q, &phi_k).relative_frobenius
                })
                .collect();
            let n = per_seed.len().max(1) as f64;
            let mean = per_seed.iter().sum::<f64>() / n;
            let spread = (per_seed.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n).sqrt();
            ErrorAtM {
                m,
                mean,
                spread,
                per_seed,
            }
        })
        .collect()
}
