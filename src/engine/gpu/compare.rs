//! How linear attention differs from softmax, on the GPU: error maps, per-row metrics and the
//! kernel pairs.

use ndarray::{Array2, ArrayView2};

use super::*;
use crate::metrics::{KernelComparison, kernel_summary};

/// The comparison recorded into an encoder, not yet read: signed and absolute error maps, and
/// four metrics per row (entropy of A, entropy of Â, KL, TV).
pub(super) struct ComparisonBuffers {
    pub signed: wgpu::Buffer,
    pub absolute: wgpu::Buffer,
    pub metrics: wgpu::Buffer,
}

/// How far linear weights Â are from softmax weights A, computed on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuComparison {
    pub signed: Array2<f32>,
    pub absolute: Array2<f32>,
    /// Per row: entropy of A, entropy of Â, KL(A‖Â), total variation.
    pub entropy_softmax: Vec<f32>,
    pub entropy_linear: Vec<f32>,
    pub kl: Vec<f32>,
    pub tv: Vec<f32>,
}

impl GpuEngine {
    /// The exact kernel `exp(s·q_i·k_j)` against `φ(q_i)·φ(k_j)` for every pair. The GPU
    /// computes `s·q·k` and `φ(q)·φ(k)` (with each row's log-scale); exponentials and the
    /// statistics are taken on the host in f64, where `exp(s·q·k)` cannot overflow f32.
    pub async fn kernel_pairs(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
    ) -> Result<KernelComparison, GpuError> {
        self.ensure_alive()?;
        self.check_kernel_pairs(q, k, map)?;
        let parts = self
            .run(|gpu, encoder| gpu.record_kernel_pairs(encoder, q, k, map, scale))
            .await?;
        kernel_pairs_from(parts, q.nrows(), k.nrows())
    }

    /// Whether the kernel pairs of these shapes fit this device.
    pub(super) fn check_kernel_pairs(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        map: &GpuMap,
    ) -> Result<(), GpuError> {
        let ((n_q, d), (n_k, d_k)) = (q.dim(), k.dim());
        let m = map.feature_dim(d);
        if d != d_k || n_q == 0 || n_k == 0 || d == 0 {
            return Err(GpuError::Shape(format!("Q is {n_q}×{d}, K is {n_k}×{d_k}")));
        }
        for (what, len) in [
            ("the kernel matrix", n_q * n_k),
            ("the query features", n_q * m),
            ("the key features", n_k * m),
        ] {
            self.fits(what, len)?;
        }
        Ok(())
    }

    /// Record `s·q·k` and `φ(q)·φ(k)` for every pair, and each row's log-scale where the map
    /// keeps one: the buffers [`kernel_pairs_from`] reads, in its order.
    pub(super) fn record_kernel_pairs(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
    ) -> Result<Vec<(wgpu::Buffer, usize)>, GpuError> {
        let (n_q, n_k, m) = (q.nrows(), k.nrows(), map.feature_dim(q.ncols()));
        let horizon = n_q.max(n_k);
        let (phi_q, scale_q) = self.features_with_scale(encoder, q, map, scale, horizon, false);
        let (phi_k, scale_k) = self.features_with_scale(encoder, k, map, scale, horizon, false);
        let log_exact = self.scores_pass(encoder, q, k, scale)?;
        let approx = self.product_with_transpose(encoder, &phi_q, &phi_k, (n_q, n_k, m), 1.0)?;
        let mut outputs = vec![(log_exact, n_q * n_k), (approx, n_q * n_k)];
        if let (Some(a), Some(b)) = (scale_q, scale_k) {
            outputs.push((a, n_q));
            outputs.push((b, n_k));
        }
        Ok(outputs)
    }

    /// Error maps and per-row metrics of `approx` (Â) against `exact` (A), in one submission.
    pub async fn compare(
        &self,
        exact: ArrayView2<'_, f32>,
        approx: ArrayView2<'_, f32>,
    ) -> Result<GpuComparison, GpuError> {
        self.ensure_alive()?;
        if exact.dim() != approx.dim() {
            return Err(GpuError::Shape(format!(
                "A is {:?}, Â is {:?}",
                exact.dim(),
                approx.dim()
            )));
        }
        let (rows, cols) = exact.dim();
        if rows == 0 || cols == 0 {
            return Err(GpuError::Shape(
                "an empty map has nothing to compare".into(),
            ));
        }
        self.fits("the attention map", rows * cols)?;
        let parts = self
            .run(|gpu, encoder| {
                let a = gpu.upload_matrix("softmax weights", exact);
                let b = gpu.upload_matrix("linear weights", approx);
                let recorded = gpu.record_compare(encoder, &a, &b, rows, cols);
                Ok(recorded.outputs(rows, cols))
            })
            .await?;
        comparison_from(parts, rows, cols)
    }

    /// Record the error maps and row metrics of Â against A, both already on the GPU.
    pub(super) fn record_compare(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        exact: &wgpu::Buffer,
        approx: &wgpu::Buffer,
        rows: usize,
        cols: usize,
    ) -> ComparisonBuffers {
        let len = (rows * cols) as u32;
        let dims = ErrorMapsDims { len, pad: [0; 3] };
        let dims = self.uniform("error dims", &dims);
        let signed = self.output_buffer("signed error", rows * cols);
        let absolute = self.output_buffer("absolute error", rows * cols);
        self.dispatch(
            encoder,
            Kernel::ErrorMaps,
            &[&dims, exact, approx, &signed, &absolute],
            self.grid(len.div_ceil(64)),
        );
        let dims = MatrixDims::new(rows, cols);
        let dims = self.uniform("metric dims", &dims);
        let metrics = self.output_buffer("row metrics", rows * 4);
        self.dispatch(
            encoder,
            Kernel::RowMetrics,
            &[&dims, exact, approx, &metrics],
            self.grid(rows as u32),
        );
        ComparisonBuffers {
            signed,
            absolute,
            metrics,
        }
    }
}

impl ComparisonBuffers {
    /// The buffers to read, in the order [`comparison_from`] takes them.
    pub(super) fn outputs(self, rows: usize, cols: usize) -> Vec<(wgpu::Buffer, usize)> {
        vec![
            (self.signed, rows * cols),
            (self.absolute, rows * cols),
            (self.metrics, rows * 4),
        ]
    }
}

/// The comparison from its three read-back buffers (see [`ComparisonBuffers::outputs`]).
pub(super) fn comparison_from(
    parts: Vec<Vec<f32>>,
    rows: usize,
    cols: usize,
) -> Result<GpuComparison, GpuError> {
    let mut parts = parts.into_iter();
    let mut next = || parts.next().unwrap_or_default();
    let signed = into_matrix(next(), (rows, cols))?;
    let absolute = into_matrix(next(), (rows, cols))?;
    let metrics = next();
    let column = |c: usize| {
        metrics
            .iter()
            .skip(c)
            .step_by(4)
            .copied()
            .collect::<Vec<f32>>()
    };
    Ok(GpuComparison {
        signed,
        absolute,
        entropy_softmax: column(0),
        entropy_linear: column(1),
        // KL's +∞ travels as −1: WGSL has no infinity constant.
        kl: column(2)
            .into_iter()
            .map(|kl| if kl < 0.0 { f32::INFINITY } else { kl })
            .collect(),
        tv: column(3),
    })
}

/// The kernel pairs from the buffers [`GpuEngine::record_kernel_pairs`] names, in its order.
pub(super) fn kernel_pairs_from(
    parts: Vec<Vec<f32>>,
    n_q: usize,
    n_k: usize,
) -> Result<KernelComparison, GpuError> {
    let mut parts = parts.into_iter();
    let log_exact = parts.next().unwrap_or_default();
    let product = parts.next().unwrap_or_default();
    let scale_q = parts.next().unwrap_or_else(|| vec![0.0; n_q]);
    let scale_k = parts.next().unwrap_or_else(|| vec![0.0; n_k]);
    if log_exact.len() != n_q * n_k
        || product.len() != n_q * n_k
        || scale_q.len() != n_q
        || scale_k.len() != n_k
    {
        return Err(GpuError::ReadBack("short kernel read-back".into()));
    }
    let exact = Array2::from_shape_fn((n_q, n_k), |(i, j)| f64::from(log_exact[i * n_k + j]).exp());
    let approx = Array2::from_shape_fn((n_q, n_k), |(i, j)| {
        f64::from(product[i * n_k + j]) * (f64::from(scale_q[i]) + f64::from(scale_k[j])).exp()
    });
    Ok(kernel_summary(exact, approx))
}
