//! One head's [`Report`] from the GPU: the same contract as the CPU's
//! [`crate::engine::cpu::analyze`]. The maps, their error maps, per-row metrics and kernel
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
    /// Softmax and every requested map for one head (Q, K, V are n×d), on the GPU, recorded
    /// into one submission and read back in one round trip.
    pub async fn analyze(
        &self,
        q: ArrayView2<'_, f64>,
        k: ArrayView2<'_, f64>,
        v: ArrayView2<'_, f64>,
        request: &Request,
    ) -> Result<Report, GpuError> {
        self.ensure_alive()?;
        let ((n, d), d_v) = (q.dim(), v.ncols());
        if !request.temperature.is_finite() || request.temperature <= 0.0 {
            return Err(GpuError::Shape(format!(
                "the temperature must be a positive number, not {}",
                request.temperature
            )));
        }
        if k.dim() != (n, d) || v.nrows() != n {
            return Err(GpuError::Shape(format!(
                "Q is {n}×{d}, K is {:?}, V is {:?}",
                k.dim(),
                v.dim()
            )));
        }
        if n == 0 || d == 0 || d_v == 0 {
            // Nothing to run: the CPU's (empty) report is exact, and is no GPU failure.
            return crate::engine::cpu::analyze(q, k, v, request)
                .map_err(|e| GpuError::Shape(e.to_string()));
        }
        let scale = request.temperature / (d as f64).sqrt();
        let narrow = |a: ArrayView2<'_, f64>| a.mapv(|x| x as f32);
        let (q32, k32, v32) = (narrow(q), narrow(k), narrow(v));
        let gpu_maps = request
            .maps
            .iter()
            .map(|spec| Ok(GpuMap::from_spec(spec, d)))
            .collect::<Result<Vec<_>, _>>()?;
        self.check_softmax(q32.view(), k32.view(), v32.view())?;
        for map in &gpu_maps {
            self.check_linear(q32.view(), k32.view(), v32.view(), map)?;
            if request.kernel_pairs {
                self.check_kernel_pairs(q32.view(), k32.view(), map)?;
            }
        }

        let ((soft_slots, map_slots), mut read) = self
            .run(|gpu, encoder, reads| {
                let (qv, kv, vv) = (q32.view(), k32.view(), v32.view());
                let soft = gpu.record_softmax(encoder, qv, kv, vv, scale as f32, request.mask)?;
                let mut map_slots = Vec::with_capacity(gpu_maps.len());
                for map in &gpu_maps {
                    let linear =
                        gpu.record_linear(encoder, qv, kv, vv, map, scale as f32, request.mask)?;
                    let compared =
                        gpu.record_compare(encoder, &soft.weights, &linear.weights, n, n);
                    let kernel = if request.kernel_pairs {
                        Some(gpu.record_kernel_pairs(encoder, qv, kv, map, scale as f32)?)
                    } else {
                        None
                    };
                    map_slots.push((
                        linear.read(reads, n, n, d_v),
                        compared.read(reads, n, n),
                        kernel.map(|k| k.read(reads)),
                    ));
                }
                let soft_slots = (
                    reads.add(soft.weights, n * n),
                    reads.add(soft.output, n * d_v),
                );
                Ok((soft_slots, map_slots))
            })
            .await?;

        let mut maps = Vec::with_capacity(request.maps.len());
        let softmax = Attention {
            weights: widen(&into_matrix(read.take(soft_slots.0), (n, n))?),
            output: widen(&into_matrix(read.take(soft_slots.1), (n, d_v))?),
            degenerate_rows: Vec::new(),
            conditioning: vec![1.0; n],
        };
        let spectra = request.spectra && n <= SPECTRUM_LIMIT;
        let ctx = MapContext {
            role: Role::Query,
            scale,
            seq_len: n,
        };
        let base: f64 = softmax.weights.iter().map(|x| x * x).sum();
        let mut softmax_entropy = None;
        for (spec, (linear, compared, kernel)) in request.maps.iter().zip(map_slots) {
            let map = spec.build(d);
            let weights = widen(&into_matrix(read.take(linear.weights), (n, n))?);
            let output = widen(&into_matrix(read.take(linear.output), (n, d_v))?);
            let degenerate_rows = flagged_rows(&read.take(linear.degenerate));
            let compared = compared.collect(&mut read)?;
            let kernel = kernel.map(|k| k.collect(&mut read)).transpose()?;
            softmax_entropy.get_or_insert_with(|| widen_all(&compared.entropy_softmax));
            let signed = widen(&compared.signed);
            let diff: f64 = signed.iter().map(|x| x * x).sum();
            let attention = Attention {
                output,
                degenerate_rows,
                // The condition numbers are the CPU engine's bookkeeping; not computed here.
                conditioning: vec![f64::NAN; n],
                weights,
            };
            maps.push(MapReport {
                key: spec.slug().to_string(),
                name: map.name(),
                formula: spec.key.info().formula.to_string(),
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

/// One head of the all-heads overview, narrowed to f32 and checked.
struct OverviewHead {
    q: Array2<f32>,
    k: Array2<f32>,
    v: Array2<f32>,
    maps: Vec<GpuMap>,
    names: Vec<String>,
    scale: f32,
    mask: crate::attention::Mask,
}

impl GpuEngine {
    /// The all-heads overview: for each head (Q, K, V), the mean total variation between
    /// softmax and each requested map; the twin of [`crate::engine::cpu::mean_tv`]. Every
    /// head is recorded into one submission, and only the per-row metrics are read back.
    pub async fn mean_tv(
        &self,
        heads: &[[Array2<f64>; 3]],
        requests: &[Request],
    ) -> Result<Vec<Vec<(String, f64)>>, GpuError> {
        self.ensure_alive()?;
        if requests.len() != heads.len() {
            return Err(GpuError::Shape(format!(
                "{} heads but {} requests",
                heads.len(),
                requests.len()
            )));
        }
        let mut prepared = Vec::with_capacity(heads.len());
        for ([q, k, v], request) in heads.iter().zip(requests) {
            if !request.temperature.is_finite() || request.temperature <= 0.0 {
                return Err(GpuError::Shape(format!(
                    "the temperature must be a positive number, not {}",
                    request.temperature
                )));
            }
            let (n, d) = q.dim();
            if n == 0 || d == 0 || v.ncols() == 0 || k.dim() != (n, d) || v.nrows() != n {
                return Err(GpuError::Shape(format!(
                    "Q is {n}×{d}, K is {:?}, V is {:?}",
                    k.dim(),
                    v.dim()
                )));
            }
            let narrow = |a: &Array2<f64>| a.mapv(|x| x as f32);
            let head = OverviewHead {
                q: narrow(q),
                k: narrow(k),
                v: narrow(v),
                maps: request
                    .maps
                    .iter()
                    .map(|spec| Ok(GpuMap::from_spec(spec, d)))
                    .collect::<Result<_, _>>()?,
                names: request.maps.iter().map(|s| s.build(d).name()).collect(),
                scale: (request.temperature / (d as f64).sqrt()) as f32,
                mask: request.mask,
            };
            let (q, k, v) = (head.q.view(), head.k.view(), head.v.view());
            self.check_softmax(q, k, v)?;
            for map in &head.maps {
                self.check_linear(q, k, v, map)?;
            }
            prepared.push(head);
        }
        let (slots, mut read) = self
            .run(|gpu, encoder, reads| {
                let mut slots = Vec::new();
                for head in &prepared {
                    let n = head.q.nrows();
                    let (q, k, v) = (head.q.view(), head.k.view(), head.v.view());
                    let soft = gpu.record_softmax(encoder, q, k, v, head.scale, head.mask)?;
                    for map in &head.maps {
                        let linear =
                            gpu.record_linear(encoder, q, k, v, map, head.scale, head.mask)?;
                        let compared =
                            gpu.record_compare(encoder, &soft.weights, &linear.weights, n, n);
                        slots.push(reads.add(compared.metrics, n * 4));
                    }
                }
                Ok(slots)
            })
            .await?;
        let mut metrics = slots.into_iter().map(|slot| read.take(slot));
        let mut overview = Vec::with_capacity(prepared.len());
        for head in &prepared {
            let n = head.q.nrows();
            let mut tvs = Vec::with_capacity(head.names.len());
            for name in &head.names {
                let rows = metrics.next().unwrap_or_default();
                if rows.len() != n * 4 {
                    return Err(GpuError::ReadBack("short overview read-back".into()));
                }
                // Column 3 of the row metrics is the total variation.
                let tv = rows
                    .iter()
                    .skip(3)
                    .step_by(4)
                    .map(|&x| f64::from(x))
                    .sum::<f64>();
                tvs.push((name.clone(), tv / n as f64));
            }
            overview.push(tvs);
        }
        Ok(overview)
    }
}
