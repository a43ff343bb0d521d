//! One head's [`Report`] from the GPU: the same contract as the CPU's
//! [`crate::engine::report::analyze`]. The maps, their error maps, per-row metrics and kernel
//! pairs run on the GPU; the φ(q) heatmap, output errors and singular-value spectra (an SVD,
//! which has no kernel) are taken on the host from the GPU's results.

use ndarray::{Array2, ArrayView2};

use super::*;
use crate::attention::Attention;
use crate::engine::report::{MapReport, Report, Request, SPECTRUM_LIMIT};
use crate::kernels::{MapContext, Role};
use crate::metrics::{ErrorMaps, RowMetrics, output_error, row_entropy, spectrum};

fn widen(a: &Array2<f32>) -> Array2<f64> {
    a.mapv(f64::from)
}

fn widen_all(v: &[f32]) -> Vec<f64> {
    v.iter().copied().map(f64::from).collect()
}

impl GpuEngine {
    /// Softmax and every requested map for one head (Q, K, V are n×d), on the GPU.
    pub async fn analyze(
        &self,
        q: ArrayView2<'_, f64>,
        k: ArrayView2<'_, f64>,
        v: ArrayView2<'_, f64>,
        request: &Request,
    ) -> Result<Report, GpuError> {
        let (n, d) = q.dim();
        if !request.temperature.is_finite() || request.temperature <= 0.0 {
            return Err(GpuError::Shape(format!(
                "the temperature must be a positive number, not {}",
                request.temperature
            )));
        }
        let scale = request.temperature / (d.max(1) as f64).sqrt();
        let narrow = |a: ArrayView2<'_, f64>| a.mapv(|x| x as f32);
        let (q32, k32, v32) = (narrow(q), narrow(k), narrow(v));
        let soft = self
            .softmax_attention(
                q32.view(),
                k32.view(),
                v32.view(),
                scale as f32,
                request.mask,
            )
            .await?;
        let softmax = Attention {
            weights: widen(&soft.weights),
            output: widen(&soft.output),
            degenerate_rows: Vec::new(),
            conditioning: vec![1.0; n],
        };
        let spectra = request.spectra && n <= SPECTRUM_LIMIT;
        let ctx = MapContext {
            role: Role::Query,
            scale,
            seq_len: n,
        };
        let mut softmax_entropy = None;
        let mut maps = Vec::with_capacity(request.maps.len());
        for spec in &request.maps {
            let gpu_map = GpuMap::from_spec(spec, d)
                .ok_or_else(|| GpuError::Unsupported(format!("the map {spec:?}")))?;
            let map = spec.build(d, None);
            let linear = self
                .linear_attention(
                    q32.view(),
                    k32.view(),
                    v32.view(),
                    &gpu_map,
                    scale as f32,
                    request.mask,
                )
                .await?;
            let compared = self
                .compare(soft.weights.view(), linear.weights.view())
                .await?;
            let kernel = if request.kernel_pairs {
                Some(
                    self.kernel_pairs(q32.view(), k32.view(), &gpu_map, scale as f32)
                        .await?,
                )
            } else {
                None
            };
            softmax_entropy.get_or_insert_with(|| widen_all(&compared.entropy_softmax));
            let weights = widen(&linear.weights);
            let signed = widen(&compared.signed);
            let diff: f64 = signed.iter().map(|x| x * x).sum();
            let base: f64 = softmax.weights.iter().map(|x| x * x).sum();
            let attention = Attention {
                output: widen(&linear.output),
                degenerate_rows: linear.degenerate_rows,
                // The condition numbers are the CPU engine's bookkeeping; not computed here.
                conditioning: vec![f64::NAN; n],
                weights,
            };
            maps.push(MapReport {
                spec: spec.clone(),
                name: map.name(),
                formula: map.formula(),
                feature_dim: map.feature_dim(d),
                errors: ErrorMaps {
                    absolute: widen(&compared.absolute),
                    signed,
                    relative_frobenius: if base > 0.0 {
                        (diff / base).sqrt()
                    } else {
                        0.0
                    },
                },
                rows: RowMetrics {
                    entropy_softmax: widen_all(&compared.entropy_softmax),
                    entropy_linear: widen_all(&compared.entropy_linear),
                    kl: widen_all(&compared.kl),
                    tv: widen_all(&compared.tv),
                },
                output: output_error(&softmax.output, &attention.output),
                kernel,
                query_features: map.apply(q, &ctx).values,
                spectrum: spectra.then(|| spectrum(&attention.weights)),
                attention,
            });
        }
        Ok(Report {
            n,
            d,
            scale,
            softmax_entropy: softmax_entropy.unwrap_or_else(|| {
                softmax
                    .weights
                    .rows()
                    .into_iter()
                    .map(row_entropy)
                    .collect()
            }),
            softmax_spectrum: spectra.then(|| spectrum(&softmax.weights)),
            softmax,
            maps,
        })
    }
}
