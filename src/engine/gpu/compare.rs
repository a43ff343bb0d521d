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
        let (slots, mut read) = self
            .run(|gpu, encoder, reads| {
                Ok(gpu
                    .record_kernel_pairs(encoder, q, k, map, scale)?
                    .read(reads))
            })
            .await?;
        slots.collect(&mut read)
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
    /// keeps one.
    pub(super) fn record_kernel_pairs(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
    ) -> Result<KernelPairBuffers, GpuError> {
        let (n_q, n_k, m) = (q.nrows(), k.nrows(), map.feature_dim(q.ncols()));
        let horizon = n_q.max(n_k);
        let (phi_q, scale_q) = self.features_with_scale(encoder, q, map, scale, horizon, false);
        let (phi_k, scale_k) = self.features_with_scale(encoder, k, map, scale, horizon, false);
        let log_exact = self.scores_pass(encoder, q, k, scale)?;
        let product = self.product_with_transpose(encoder, &phi_q, &phi_k, (n_q, n_k, m), 1.0)?;
        Ok(KernelPairBuffers {
            n_q,
            n_k,
            log_exact,
            product,
            log_scales: scale_q.zip(scale_k),
        })
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
        let (slots, mut read) = self
            .run(|gpu, encoder, reads| {
                let a = gpu.upload_matrix("softmax weights", exact);
                let b = gpu.upload_matrix("linear weights", approx);
                let recorded = gpu.record_compare(encoder, &a, &b, rows, cols);
                Ok(recorded.read(reads, rows, cols))
            })
            .await?;
        slots.collect(&mut read)
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
    /// Read all three back after the run.
    pub(super) fn read(self, reads: &mut Reads, rows: usize, cols: usize) -> ComparisonReads {
        ComparisonReads {
            rows,
            cols,
            signed: reads.add(self.signed, rows * cols),
            absolute: reads.add(self.absolute, rows * cols),
            metrics: reads.add(self.metrics, rows * 4),
        }
    }
}

/// Where a run's read-back puts each of [`ComparisonBuffers`].
pub(super) struct ComparisonReads {
    rows: usize,
    cols: usize,
    signed: Slot,
    absolute: Slot,
    metrics: Slot,
}

impl ComparisonReads {
    pub(super) fn collect(self, read: &mut ReadBack) -> Result<GpuComparison, GpuError> {
        let (rows, cols) = (self.rows, self.cols);
        let signed = into_matrix(read.take(self.signed), (rows, cols))?;
        let absolute = into_matrix(read.take(self.absolute), (rows, cols))?;
        let metrics = read.take(self.metrics);
        if metrics.len() != rows * 4 {
            return Err(GpuError::ReadBack("short row-metrics read-back".into()));
        }
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
}

/// The kernel pairs recorded into an encoder, not yet read: `s·q·k`, `φ(q)·φ(k)` (each row
/// scaled), and the rows' log-scales for maps that keep them.
pub(super) struct KernelPairBuffers {
    n_q: usize,
    n_k: usize,
    log_exact: wgpu::Buffer,
    product: wgpu::Buffer,
    log_scales: Option<(wgpu::Buffer, wgpu::Buffer)>,
}

impl KernelPairBuffers {
    pub(super) fn read(self, reads: &mut Reads) -> KernelPairReads {
        let (n_q, n_k) = (self.n_q, self.n_k);
        KernelPairReads {
            n_q,
            n_k,
            log_exact: reads.add(self.log_exact, n_q * n_k),
            product: reads.add(self.product, n_q * n_k),
            log_scales: self
                .log_scales
                .map(|(q, k)| (reads.add(q, n_q), reads.add(k, n_k))),
        }
    }
}

/// Where a run's read-back puts each of [`KernelPairBuffers`].
pub(super) struct KernelPairReads {
    n_q: usize,
    n_k: usize,
    log_exact: Slot,
    product: Slot,
    log_scales: Option<(Slot, Slot)>,
}

impl KernelPairReads {
    pub(super) fn collect(self, read: &mut ReadBack) -> Result<KernelComparison, GpuError> {
        let (n_q, n_k) = (self.n_q, self.n_k);
        let log_exact = read.take(self.log_exact);
        let product = read.take(self.product);
        let (scale_q, scale_k) = match self.log_scales {
            Some((q, k)) => (read.take(q), read.take(k)),
            None => (vec![0.0; n_q], vec![0.0; n_k]),
        };
        if log_exact.len() != n_q * n_k
            || product.len() != n_q * n_k
            || scale_q.len() != n_q
            || scale_k.len() != n_k
        {
            return Err(GpuError::ReadBack("short kernel read-back".into()));
        }
        let exact =
            Array2::from_shape_fn((n_q, n_k), |(i, j)| f64::from(log_exact[i * n_k + j]).exp());
        let approx = Array2::from_shape_fn((n_q, n_k), |(i, j)| {
            f64::from(product[i * n_k + j]) * (f64::from(scale_q[i]) + f64::from(scale_k[j])).exp()
        });
        Ok(kernel_summary(exact, approx))
    }
}
