//! The CPU engine (f64, the reference): from one head's Q, K and V to the Report family of
//! [`super::report`], and the long work behind the views (error against m, the spread, the
//! all-heads overview).

use ndarray::{Array2, ArrayView2, s};

use super::report::{MapReport, Report, Request, SPECTRUM_LIMIT, Spread};
use crate::attention::{MathError, check_inputs, linear_attention, softmax_attention};
use crate::kernels::{FeatureMap, MapContext, MapSpec, Role};
use crate::metrics::{
    ErrorAtM, error_maps, kernel_comparison, kernel_error_vs_m, output_error, row_entropy,
    row_metrics, spectrum,
};
use crate::model::forward::{Swap, Trace, cosine, forward, sentence_vector};
use crate::model::weights::{ModelError, Weights};

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

/// How swapping `layer`'s softmax for linear attention with `maps` (one per head, or one for
/// all) moves the hidden states of that layer and every later one.
pub fn spread(
    weights: &Weights,
    ids: &[u32],
    exact: &Trace,
    layer: usize,
    maps: &[Box<dyn FeatureMap>],
) -> Result<Spread, ModelError> {
    let swapped = forward(
        weights,
        ids,
        Some(&Swap {
            layers: vec![layer],
            maps,
        }),
    )?;
    let layers = weights.config.layers;
    if !exact.is_complete(layers) || !swapped.is_complete(layers) {
        return Err(ModelError::Incomplete);
    }
    let hidden_change = exact
        .layers
        .iter()
        .zip(&swapped.layers)
        .enumerate()
        .skip(layer)
        .filter_map(|(l, (a, b))| Some((l, a.hidden.as_ref()?, b.hidden.as_ref()?)))
        .map(|(l, a, b)| {
            let diff: f64 = a
                .iter()
                .zip(b.iter())
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum();
            let base: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum();
            (l, (diff / base.max(f64::MIN_POSITIVE)).sqrt())
        })
        .collect();
    let sentence_cosine = f64::from(cosine(
        sentence_vector(exact.last_hidden()).view(),
        sentence_vector(swapped.last_hidden()).view(),
    ));
    Ok(Spread {
        name: maps.first().map_or_else(String::new, |m| m.name()),
        hidden_change,
        sentence_cosine,
    })
}

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
