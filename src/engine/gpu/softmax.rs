//! Softmax attention on the GPU: scores, the stable row softmax and A·V.

use ndarray::{Array2, ArrayView2};

use super::*;
use crate::attention::Mask;

/// Softmax attention from the GPU: weights A (n_q×n_k) and outputs O = A·V.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuAttention {
    pub weights: Array2<f32>,
    pub output: Array2<f32>,
}

/// Softmax attention recorded into an encoder, not yet read: A (n_q×n_k) and O (n_q×d_v).
pub(super) struct SoftmaxBuffers {
    pub weights: wgpu::Buffer,
    pub output: wgpu::Buffer,
}

/// The head and value dimensions `shaders/softmax_streaming.wgsl` holds per row.
const STREAMING_MAX_DIM: usize = 128;

impl GpuEngine {
    /// Softmax attention's outputs `O = softmax(s·Q·Kᵀ + mask)·V` without the N×N matrix
    /// (online softmax, one invocation per query row): the form that reaches long sequences,
    /// for timing against linear attention's O(N) form. The twin of
    /// [`crate::attention::softmax_outputs`].
    pub async fn softmax_outputs(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        scale: f32,
        mask: Mask,
    ) -> Result<Array2<f32>, GpuError> {
        self.ensure_alive()?;
        let ((n_q, d), (n_k, d_k), (n_v, d_v)) = (q.dim(), k.dim(), v.dim());
        if d != d_k || n_k != n_v || n_q == 0 || n_k == 0 || d == 0 || d_v == 0 {
            return Err(GpuError::Shape(format!(
                "Q is {n_q}×{d}, K is {n_k}×{d_k}, V is {n_v}×{d_v}"
            )));
        }
        if d > STREAMING_MAX_DIM || d_v > STREAMING_MAX_DIM {
            return Err(GpuError::TooLarge(format!(
                "head dimension {d} or value dimension {d_v} above {STREAMING_MAX_DIM}"
            )));
        }
        for (what, len) in [
            ("the queries", n_q * d),
            ("the keys", n_k * d),
            ("the values", n_k * d_v),
            ("the outputs", n_q * d_v),
        ] {
            self.fits(what, len)?;
        }
        let params = SoftmaxStreamingParams {
            rows: n_q as u32,
            keys: n_k as u32,
            d: d as u32,
            d_v: d_v as u32,
            scale,
            causal: u32::from(mask == Mask::Causal),
            pad: [0; 2],
        };
        let (outputs, mut read) = self
            .run(|gpu, encoder, reads| {
                let params = gpu.uniform("streaming params", &params);
                let queries = gpu.upload_matrix("queries", q);
                let keys = gpu.upload_matrix("keys", k);
                let values = gpu.upload_matrix("values", v);
                let outputs = gpu.output_buffer("outputs", n_q * d_v);
                gpu.dispatch(
                    encoder,
                    Kernel::SoftmaxStreaming,
                    &[&params, &queries, &keys, &values, &outputs],
                    gpu.grid((n_q as u32).div_ceil(64)),
                );
                Ok(reads.add(outputs, n_q * d_v))
            })
            .await?;
        into_matrix(read.take(outputs), (n_q, d_v))
    }

    /// Softmax attention `A = softmax(s·Q·Kᵀ + mask)`, `O = A·V`, in one submission.
    pub async fn softmax_attention(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        scale: f32,
        mask: Mask,
    ) -> Result<GpuAttention, GpuError> {
        self.ensure_alive()?;
        let ((n_q, d), (n_k, d_k), (n_v, d_v)) = (q.dim(), k.dim(), v.dim());
        if d != d_k || n_k != n_v {
            return Err(GpuError::Shape(format!(
                "Q is {n_q}×{d}, K is {n_k}×{d_k}, V is {n_v}×{d_v}"
            )));
        }
        if n_q == 0 || n_k == 0 || d == 0 || d_v == 0 {
            // WebGPU forbids empty bindings; the CPU answers these trivial cases exactly.
            let exact = crate::attention::softmax_attention(
                q.mapv(f64::from).view(),
                k.mapv(f64::from).view(),
                v.mapv(f64::from).view(),
                f64::from(scale),
                mask,
            );
            return Ok(GpuAttention {
                weights: exact.weights.mapv(|x| x as f32),
                output: exact.output.mapv(|x| x as f32),
            });
        }
        self.check_softmax(q, k, v)?;
        let ((weights, output), mut read) = self
            .run(|gpu, encoder, reads| {
                let recorded = gpu.record_softmax(encoder, q, k, v, scale, mask)?;
                Ok((
                    reads.add(recorded.weights, n_q * n_k),
                    reads.add(recorded.output, n_q * d_v),
                ))
            })
            .await?;
        let output = into_matrix(read.take(output), (n_q, d_v))?;
        let weights = into_matrix(read.take(weights), (n_q, n_k))?;
        Ok(GpuAttention { weights, output })
    }

    /// Whether softmax attention of these (non-empty, matching) shapes fits this device.
    pub(super) fn check_softmax(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
    ) -> Result<(), GpuError> {
        let ((n_q, d), n_k, d_v) = (q.dim(), k.nrows(), v.ncols());
        for (what, len) in [
            ("the attention map", n_q * n_k),
            ("the queries", n_q * d),
            ("the keys", n_k * d),
            ("the values", n_k * d_v),
            ("the outputs", n_q * d_v),
        ] {
            self.fits(what, len)?;
        }
        Ok(())
    }

    /// Record softmax attention `A = softmax(s·Q·Kᵀ + mask)`, `O = A·V` into `encoder`.
    pub(super) fn record_softmax(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        v: ArrayView2<'_, f32>,
        scale: f32,
        mask: Mask,
    ) -> Result<SoftmaxBuffers, GpuError> {
        let (n_q, n_k) = (q.nrows(), k.nrows());
        let rows = n_q as u32;
        let grid_x = rows.min(self.device.limits().max_compute_workgroups_per_dimension);
        let grid_y = rows.div_ceil(grid_x);
        let weights = self.scores_pass(encoder, q, k, 1.0)?;
        let params = SoftmaxRowsParams {
            rows,
            cols: n_k as u32,
            causal: u32::from(mask == Mask::Causal),
            scale,
        };
        let params = self.uniform("softmax params", &params);
        self.dispatch(
            encoder,
            Kernel::SoftmaxRows,
            &[&params, &weights],
            (grid_x, grid_y),
        );
        let output = self.weighted_values(encoder, &weights, v, n_q);
        Ok(SoftmaxBuffers { weights, output })
    }

    /// Record `S = Q·Kᵀ·scale` into a new storage buffer.
    pub(super) fn scores_pass(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        scale: f32,
    ) -> Result<wgpu::Buffer, GpuError> {
        let queries = self.upload_matrix("queries", q);
        let keys = self.upload_matrix("keys", k);
        self.product_with_transpose(
            encoder,
            &queries,
            &keys,
            (q.nrows(), k.nrows(), q.ncols()),
            scale,
        )
    }

    /// `A·Bᵀ·scale` for row-major A (n×d) and B (m×d) already on the GPU.
    pub(super) fn product_with_transpose(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        (n, m, d): (usize, usize, usize),
        scale: f32,
    ) -> Result<wgpu::Buffer, GpuError> {
        let groups = (
            (m as u32).div_ceil(SCORES_TILE),
            (n as u32).div_ceil(SCORES_TILE),
        );
        let most = self.device.limits().max_compute_workgroups_per_dimension;
        if groups.0.max(groups.1) > most {
            return Err(GpuError::TooLarge(format!(
                "{n}×{m} needs more workgroups than the device allows ({most})"
            )));
        }
        let dims = ScoresDims {
            n_q: n as u32,
            n_k: m as u32,
            d: d as u32,
            scale,
        };
        let dims = self.uniform("score dims", &dims);
        let product = self.output_buffer("scores", n * m);
        self.dispatch(encoder, Kernel::Scores, &[&dims, a, b, &product], groups);
        Ok(product)
    }

    /// Record `O = A·V` for weights A (n_q×n_k, on the GPU) and values V.
    pub(super) fn weighted_values(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        weights: &wgpu::Buffer,
        v: ArrayView2<'_, f32>,
        n_q: usize,
    ) -> wgpu::Buffer {
        let (n_k, d_v) = v.dim();
        let values = self.upload_matrix("values", v);
        let output = self.output_buffer("outputs", n_q * d_v);
        let dims = self.uniform(
            "matmul dims",
            &MatmulDims {
                n: n_q as u32,
                k: n_k as u32,
                m: d_v as u32,
                pad: 0,
            },
        );
        let groups = (
            (d_v as u32).div_ceil(SCORES_TILE),
            (n_q as u32).div_ceil(SCORES_TILE),
        );
        self.dispatch(
            encoder,
            Kernel::Matmul,
            &[&dims, weights, &values, &output],
            groups,
        );
        output
    }
}
