//! Linear attention on the GPU: every feature map, the quadratic form, and the O(N) form
//! (bidirectional, and causal in chunks).

use ndarray::{Array2, ArrayView2};

use super::*;
use crate::attention::Mask;
use crate::kernels::{GpuFeatures, Grid, MapSpec};

/// A feature map ready for the GPU: its kernel (the [`crate::kernels::CATALOG`] row's), its
/// parameters (a random projection drawn on the host from the same portable RNG as the CPU's,
/// or trained weights), and the head dimension and feature dimension it was built for.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuMap {
    kernel: &'static GpuFeatures,
    parameters: Vec<f32>,
    d: usize,
    feature_dim: usize,
}

impl GpuMap {
    /// The GPU version of `spec` for head dimension `d`.
    pub fn from_spec(spec: &MapSpec, d: usize) -> Self {
        let map = spec.build(d);
        Self {
            kernel: &spec.key.info().gpu,
            parameters: map.parameters(),
            d,
            feature_dim: map.feature_dim(d),
        }
    }

    pub(super) fn feature_dim(&self, d: usize) -> usize {
        debug_assert_eq!(d, self.d);
        self.feature_dim
    }
}

/// Linear attention from the GPU (quadratic form): weights Â, outputs Ô = Â·V, and the rows
/// whose normaliser vanished (uniform weights, as on the CPU).
#[derive(Debug, Clone, PartialEq)]
pub struct GpuLinearAttention {
    pub weights: Array2<f32>,
    pub output: Array2<f32>,
    pub degenerate_rows: Vec<usize>,
}

/// Linear attention recorded into an encoder, not yet read: Â (n_q×n_k), Ô (n_q×d_v), and
/// one flag per row (1 where the normaliser vanished).
pub(super) struct LinearBuffers {
    pub weights: wgpu::Buffer,
    pub output: wgpu::Buffer,
    pub degenerate: wgpu::Buffer,
}

/// Where a run's read-back puts each of [`LinearBuffers`].
pub(super) struct LinearReads {
    pub weights: Slot,
    pub output: Slot,
    pub degenerate: Slot,
}

impl LinearBuffers {
    /// Read all three back after the run (queries n_q, keys n_k, value dimension d_v).
    pub(super) fn read(self, reads: &mut Reads, n_q: usize, n_k: usize, d_v: usize) -> LinearReads {
        LinearReads {
            weights: reads.add(self.weights, n_q * n_k),
            output: reads.add(self.output, n_q * d_v),
            degenerate: reads.add(self.degenerate, n_q),
        }
    }
}

/// Keys per chunk in the causal O(N) form (`shaders/chunk_states.wgsl`).
const CAUSAL_CHUNK: usize = 64;

/// The causal readout keeps one output row in registers (`shaders/causal_readout.wgsl`).
const MAX_CAUSAL_VALUE_DIM: usize = 128;

impl GpuEngine {
    /// Linear attention in the quadratic form, features and all, in one submission.
    pub async fn linear_attention(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        mask: Mask,
    ) -> Result<GpuLinearAttention, GpuError> {
        self.ensure_alive()?;
        self.check_linear(q, k, v, map)?;
        let ((n_q, n_k), d_v) = ((q.nrows(), k.nrows()), v.ncols());
        let (slots, mut read) = self
            .run(|gpu, encoder, reads| {
                let recorded = gpu.record_linear(encoder, q, k, v, map, scale, mask)?;
                Ok(recorded.read(reads, n_q, n_k, d_v))
            })
            .await?;
        let weights = into_matrix(read.take(slots.weights), (n_q, n_k))?;
        let output = into_matrix(read.take(slots.output), (n_q, d_v))?;
        let degenerate_rows = flagged_rows(&read.take(slots.degenerate));
        Ok(GpuLinearAttention {
            weights,
            output,
            degenerate_rows,
        })
    }

    /// Whether linear attention with `map` of these shapes can run on this device.
    pub(super) fn check_linear(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        map: &GpuMap,
    ) -> Result<(), GpuError> {
        let ((n_q, d), (n_k, d_k), (n_v, d_v)) = (q.dim(), k.dim(), v.dim());
        let m = map.feature_dim;
        if d != d_k || n_k != n_v || map.d != d || m == 0 {
            return Err(GpuError::Shape(format!(
                "Q is {n_q}×{d}, K is {n_k}×{d_k}, V is {n_v}×{d_v}, features {m}"
            )));
        }
        if n_q == 0 || n_k == 0 || d == 0 || d_v == 0 {
            return Err(GpuError::Shape(
                "linear attention needs at least one token and one dimension".into(),
            ));
        }
        for (what, len) in [
            ("the attention map", n_q * n_k),
            ("the query features", n_q * m),
            ("the key features", n_k * m),
            ("the values", n_k * d_v),
            ("the outputs", n_q * d_v),
        ] {
            self.fits(what, len)?;
        }
        Ok(())
    }

    /// Record linear attention's quadratic form into `encoder`: Â = normalised φ(Q)·φ(K)ᵀ,
    /// Ô = Â·V, and a flag per row whose normaliser vanished.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_linear(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        mask: Mask,
    ) -> Result<LinearBuffers, GpuError> {
        let (n_q, n_k, m) = (q.nrows(), k.nrows(), map.feature_dim(q.ncols()));
        let rows = n_q as u32;
        let horizon = n_q.max(n_k);
        let phi_q = self.features_pass(encoder, q, map, scale, horizon, false);
        let phi_k = self.features_pass(encoder, k, map, scale, horizon, true);

        let dims = self.uniform("prefix dims", &MatrixDims::new(n_k, m));
        let prefix = self.output_buffer("abs prefix", n_k * m);
        self.dispatch(
            encoder,
            Kernel::AbsPrefix,
            &[&dims, &phi_k, &prefix],
            ((m as u32).div_ceil(64), 1),
        );

        let weights = self.product_with_transpose(encoder, &phi_q, &phi_k, (n_q, n_k, m), 1.0)?;
        let params = LinearNormaliseParams {
            rows,
            cols: n_k as u32,
            feature_dim: m as u32,
            causal: u32::from(mask == Mask::Causal),
        };
        let params = self.uniform("normalise params", &params);
        let degenerate = self.output_buffer("degenerate rows", n_q);
        self.dispatch(
            encoder,
            Kernel::LinearNormalise,
            &[&params, &weights, &phi_q, &prefix, &degenerate],
            self.grid(rows),
        );

        let output = self.weighted_values(encoder, &weights, v, n_q);
        Ok(LinearBuffers {
            weights,
            output,
            degenerate,
        })
    }

    /// Linear attention in its O(N·m·d) form; no N×N matrix exists and `weights` is empty (0×0).
    /// Bidirectional: `kv_state = φ(K)ᵀV` and the key sums are built once and every query reads
    /// them. Causal: the keys are cut into chunks of 64; each chunk's sums are turned into
    /// prefix sums over chunks, and each query adds its own chunk's keys up to itself.
    pub async fn linear_attention_recurrent(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        mask: Mask,
    ) -> Result<GpuLinearAttention, GpuError> {
        self.ensure_alive()?;
        let ((n_q, d), (n_k, d_k), (n_v, d_v)) = (q.dim(), k.dim(), v.dim());
        let m = map.feature_dim(d);
        if d != d_k || n_k != n_v || n_q == 0 || n_k == 0 || d == 0 || d_v == 0 {
            return Err(GpuError::Shape(format!(
                "Q is {n_q}×{d}, K is {n_k}×{d_k}, V is {n_v}×{d_v}"
            )));
        }
        for (what, len) in [
            ("the query features", n_q * m),
            ("the key features", n_k * m),
            ("the state", m * d_v),
            ("the values", n_k * d_v),
        ] {
            self.fits(what, len)?;
        }
        if mask == Mask::Causal {
            return self.causal_recurrent(q, k, v, map, scale).await;
        }
        let value_mean: Vec<f32> = v
            .mean_axis(ndarray::Axis(0))
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let ((output, degenerate), mut read) = self
            .run(|gpu, encoder, reads| {
                let horizon = n_q.max(n_k);
                let phi_q = gpu.features_pass(encoder, q, map, scale, horizon, false);
                let phi_k = gpu.features_pass(encoder, k, map, scale, horizon, true);
                let values = gpu.upload_matrix("values", v);

                let dims = MatmulDims {
                    n: n_k as u32,
                    k: m as u32,
                    m: d_v as u32,
                    pad: 0,
                };
                let dims = gpu.uniform("state dims", &dims);
                let kv_state = gpu.output_buffer("kv state", m * d_v);
                let groups = (
                    (d_v as u32).div_ceil(SCORES_TILE),
                    (m as u32).div_ceil(SCORES_TILE),
                );
                gpu.dispatch(
                    encoder,
                    Kernel::MatmulTn,
                    &[&dims, &phi_k, &values, &kv_state],
                    groups,
                );

                let dims = gpu.uniform("sum dims", &MatrixDims::new(n_k, m));
                let key_sums = gpu.output_buffer("key sums", 2 * m);
                gpu.dispatch(
                    encoder,
                    Kernel::ColumnSums,
                    &[&dims, &phi_k, &key_sums],
                    ((m as u32).div_ceil(64), 1),
                );

                let mean = gpu.upload(
                    "value mean",
                    bytemuck::cast_slice(&value_mean),
                    wgpu::BufferUsages::STORAGE,
                );
                let params = LinearReadoutParams {
                    rows: n_q as u32,
                    feature_dim: m as u32,
                    value_dim: d_v as u32,
                    pad: 0,
                };
                let params = gpu.uniform("readout params", &params);
                let output = gpu.output_buffer("outputs", n_q * d_v);
                let degenerate = gpu.output_buffer("degenerate rows", n_q);
                gpu.dispatch(
                    encoder,
                    Kernel::LinearReadout,
                    &[
                        &params,
                        &phi_q,
                        &kv_state,
                        &key_sums,
                        &mean,
                        &output,
                        &degenerate,
                    ],
                    gpu.grid(n_q as u32),
                );
                Ok((reads.add(output, n_q * d_v), reads.add(degenerate, n_q)))
            })
            .await?;
        let output = into_matrix(read.take(output), (n_q, d_v))?;
        let degenerate_rows = flagged_rows(&read.take(degenerate));
        Ok(GpuLinearAttention {
            weights: Array2::zeros((0, 0)),
            output,
            degenerate_rows,
        })
    }

    pub(super) async fn causal_recurrent(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
    ) -> Result<GpuLinearAttention, GpuError> {
        let ((n, d), d_v) = (q.dim(), v.ncols());
        if k.nrows() != n {
            return Err(GpuError::Shape(format!(
                "causal attention needs as many keys as queries, not {} and {n}",
                k.nrows()
            )));
        }
        if d_v > MAX_CAUSAL_VALUE_DIM {
            return Err(GpuError::Unsupported(format!(
                "causal O(N) form with more than {MAX_CAUSAL_VALUE_DIM} value dimensions"
            )));
        }
        let m = map.feature_dim(d);
        let chunks = n.div_ceil(CAUSAL_CHUNK);
        let entries = m * (d_v + 2);
        self.fits("the chunk states", chunks * entries)?;
        // Σ_{j ≤ i} v_j, for rows whose normaliser vanishes (they read the running mean).
        let mut value_prefix = v.to_owned();
        for i in 1..n {
            let previous = value_prefix.row(i - 1).to_owned();
            let mut row = value_prefix.row_mut(i);
            row += &previous;
        }
        let ((output, degenerate), mut read) = self
            .run(|gpu, encoder, reads| {
                let phi_q = gpu.features_pass(encoder, q, map, scale, n, false);
                let phi_k = gpu.features_pass(encoder, k, map, scale, n, true);
                let values = gpu.upload_matrix("values", v);
                let params = ChunkParams {
                    rows: n as u32,
                    feature_dim: m as u32,
                    value_dim: d_v as u32,
                    chunk: CAUSAL_CHUNK as u32,
                };
                let params = gpu.uniform("causal params", &params);
                let state = gpu.output_buffer("chunk states", chunks * entries);
                let state_groups = gpu.grid(((chunks * entries) as u32).div_ceil(64));
                gpu.dispatch(
                    encoder,
                    Kernel::ChunkStates,
                    &[&params, &phi_k, &values, &state],
                    state_groups,
                );
                let prefix_params = ChunkPrefixParams {
                    chunks: chunks as u32,
                    entries: entries as u32,
                    pad: [0; 2],
                };
                let prefix_params = gpu.uniform("prefix params", &prefix_params);
                let prefix_groups = gpu.grid((entries as u32).div_ceil(64));
                gpu.dispatch(
                    encoder,
                    Kernel::ChunkPrefix,
                    &[&prefix_params, &state],
                    prefix_groups,
                );
                let prefix = gpu.upload_matrix("value prefix", value_prefix.view());
                let output = gpu.output_buffer("outputs", n * d_v);
                let degenerate = gpu.output_buffer("degenerate rows", n);
                gpu.dispatch(
                    encoder,
                    Kernel::CausalReadout,
                    &[
                        &params,
                        &phi_q,
                        &phi_k,
                        &values,
                        &state,
                        &prefix,
                        &output,
                        &degenerate,
                    ],
                    gpu.grid((n as u32).div_ceil(64)),
                );
                Ok((reads.add(output, n * d_v), reads.add(degenerate, n)))
            })
            .await?;
        let output = into_matrix(read.take(output), (n, d_v))?;
        let degenerate_rows = flagged_rows(&read.take(degenerate));
        Ok(GpuLinearAttention {
            weights: Array2::zeros((0, 0)),
            output,
            degenerate_rows,
        })
    }

    /// Record φ(x) for the rows of `x` into a new buffer. Keys are brought to one common scale
    /// (queries need none: their scale cancels in the normalisation).
    pub(super) fn features_pass(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        horizon: usize,
        keys: bool,
    ) -> wgpu::Buffer {
        self.features_with_scale(encoder, x, map, scale, horizon, keys)
            .0
    }

    /// φ(x) and, for maps that keep one, the per-row log-scale buffer. With `keys`, the rows
    /// are then brought to one shared scale (what keys need before they are summed).
    pub(super) fn features_with_scale(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        horizon: usize,
        keys: bool,
    ) -> (wgpu::Buffer, Option<wgpu::Buffer>) {
        let (n, d) = x.dim();
        let m = map.feature_dim;
        let kernel = map.kernel;
        let params = self.uniform(
            kernel.label,
            &FeatureParams {
                rows: n as u32,
                d: d as u32,
                features: m as u32,
                variant: kernel.variant,
                scale: scale.max(0.0),
                horizon: horizon.max(1) as u32,
                parameters: map.parameters.len() as u32,
                pad: 0,
            },
        );
        let input = self.upload_matrix("inputs", x);
        // A binding may not be empty: maps without parameters get one unused zero.
        let parameters = if map.parameters.is_empty() {
            &[0.0][..]
        } else {
            &map.parameters
        };
        let parameters = self.upload(
            "map parameters",
            bytemuck::cast_slice(parameters),
            wgpu::BufferUsages::STORAGE,
        );
        let out = self.output_buffer("features", n * m);
        let log_scale = self.output_buffer("log scale", n);
        let groups = match kernel.grid {
            Grid::Rows => n as u32,
            Grid::Inputs => ((n * d) as u32).div_ceil(64),
            Grid::Features => ((n * m) as u32).div_ceil(64),
        };
        self.dispatch_features(
            encoder,
            kernel,
            &[&params, &input, &parameters, &out, &log_scale],
            self.grid(groups),
        );
        if !kernel.log_scale {
            return (out, None);
        }
        if keys {
            let dims = self.uniform("scale dims", &MatrixDims::new(n, m));
            self.dispatch(
                encoder,
                Kernel::CommonScale,
                &[&dims, &out, &log_scale],
                (1, 1),
            );
        }
        (out, Some(log_scale))
    }
}
