//! The GPU path: WGSL compute kernels through wgpu (WebGPU in the browser, Vulkan natively).
//!
//! Every way the GPU can fail ends in a [`GpuError`], never a panic, so the caller can
//! fall back to the CPU path and tell the user why.

use std::sync::{Arc, Mutex};

use ndarray::{Array1, Array2, ArrayView2};

use super::AdapterSummary;
use crate::attention::Mask;
use crate::kernels::{MapSpec, random_projection};
use crate::metrics::{KernelComparison, kernel_summary};

/// Why the GPU path could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    #[error("this browser has no WebGPU (navigator.gpu is missing)")]
    NoWebGpu,
    #[error("no GPU adapter is available ({0})")]
    NoAdapter(String),
    #[error("the GPU adapter refused to give a device ({0})")]
    DeviceRequest(String),
    #[error("the GPU device was lost ({0})")]
    DeviceLost(String),
    #[error("the GPU rejected the work ({0})")]
    Validation(String),
    #[error("the GPU ran out of memory ({0})")]
    OutOfMemory(String),
    #[error("reading results back from the GPU failed ({0})")]
    ReadBack(String),
    #[error("the problem is too large for this GPU's limits ({0})")]
    TooLarge(String),
    #[error("mismatched shapes: {0}")]
    Shape(String),
    #[error("the GPU path does not do this yet ({0})")]
    Unsupported(String),
}

/// Workgroup edge of `shaders/scores.wgsl` (8×8 = 64 invocations, inside WebGPU's default 256).
const SCORES_TILE: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ScoreDims {
    n_q: u32,
    n_k: u32,
    d: u32,
    scale: f32,
}

/// The compute pipelines, compiled once per device.
#[derive(Clone)]
struct Kernels {
    scores: wgpu::ComputePipeline,
    softmax_rows: wgpu::ComputePipeline,
    matmul: wgpu::ComputePipeline,
    features_pointwise: wgpu::ComputePipeline,
    abs_prefix: wgpu::ComputePipeline,
    linear_normalise: wgpu::ComputePipeline,
    row_metrics: wgpu::ComputePipeline,
    error_maps: wgpu::ComputePipeline,
    features_random: wgpu::ComputePipeline,
    common_scale: wgpu::ComputePipeline,
    features_cosformer: wgpu::ComputePipeline,
    features_taylor: wgpu::ComputePipeline,
    features_hedgehog: wgpu::ComputePipeline,
    matmul_tn: wgpu::ComputePipeline,
    column_sums: wgpu::ComputePipeline,
    linear_readout: wgpu::ComputePipeline,
    chunk_states: wgpu::ComputePipeline,
    chunk_prefix: wgpu::ComputePipeline,
    causal_readout: wgpu::ComputePipeline,
}

/// Keys per chunk in the causal O(N) form (`shaders/chunk_states.wgsl`).
const CAUSAL_CHUNK: usize = 64;
/// The causal readout keeps one output row in registers (`shaders/causal_readout.wgsl`).
const MAX_CAUSAL_VALUE_DIM: usize = 128;

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

/// Feature maps the GPU computes so far; the others run on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointwiseMap {
    Identity = 0,
    EluPlusOne = 1,
    Relu = 2,
    ReluSquared = 3,
}

impl PointwiseMap {
    pub fn from_spec(spec: &MapSpec) -> Option<Self> {
        match spec {
            MapSpec::Identity => Some(Self::Identity),
            MapSpec::EluPlusOne => Some(Self::EluPlusOne),
            MapSpec::Relu => Some(Self::Relu),
            MapSpec::ReluSquared => Some(Self::ReluSquared),
            _ => None,
        }
    }
}

/// A feature map the GPU can compute. Random maps carry their projection W (m×d), drawn on
/// the host from the same portable RNG as the CPU's.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuMap {
    Pointwise(PointwiseMap),
    Performer(Array2<f32>),
    Trig(Array2<f32>),
    CosFormer,
    Taylor,
    /// W (out×d) and b (out).
    Hedgehog(Array2<f32>, Array1<f32>),
}

impl GpuMap {
    /// The GPU version of `spec` for head dimension `d`, if the GPU has one yet.
    pub fn from_spec(spec: &MapSpec, d: usize) -> Option<Self> {
        let projection = |p| random_projection(d, p).mapv(|w| w as f32);
        match spec {
            MapSpec::Performer(p) => Some(Self::Performer(projection(*p))),
            MapSpec::Trig(p) => Some(Self::Trig(projection(*p))),
            MapSpec::CosFormer => Some(Self::CosFormer),
            MapSpec::Taylor => Some(Self::Taylor),
            // The untrained start, as MapSpec::build gives without weights.
            MapSpec::Hedgehog => Some(Self::Hedgehog(Array2::eye(d), Array1::zeros(d))),
            other => PointwiseMap::from_spec(other).map(Self::Pointwise),
        }
    }

    fn feature_dim(&self, d: usize) -> usize {
        match self {
            Self::Pointwise(_) => d,
            Self::Performer(w) => w.nrows(),
            Self::Trig(w) => 2 * w.nrows(),
            Self::CosFormer => 2 * d,
            Self::Taylor => 1 + d + d * d,
            Self::Hedgehog(w, _) => 2 * w.nrows(),
        }
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

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Four {
    a: u32,
    b: u32,
    c: u32,
    d: u32,
}

/// Softmax attention from the GPU: weights A (n_q×n_k) and outputs O = A·V.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuAttention {
    pub weights: Array2<f32>,
    pub output: Array2<f32>,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SoftmaxParams {
    rows: u32,
    cols: u32,
    causal: u32,
    scale: f32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulDims {
    n: u32,
    k: u32,
    m: u32,
    pad: u32,
}

/// A WebGPU device with the attention kernels compiled once, reused for every update.
/// Cloning is cheap: wgpu handles are reference-counted.
#[derive(Clone)]
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    kernels: Arc<Kernels>,
    lost: Arc<Mutex<Option<String>>>,
    adapter: AdapterSummary,
}

impl GpuEngine {
    /// Ask for an adapter and a device and compile the kernels.
    /// `on_lost` is called once if the device is lost later (driver reset, `destroy`, tab in background).
    pub async fn new(on_lost: impl Fn(String) + Send + 'static) -> Result<Self, GpuError> {
        #[cfg(target_arch = "wasm32")]
        if !super::browser::has_webgpu() {
            return Err(GpuError::NoWebGpu);
        }
        let instance = wgpu::Instance::default();
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(adapter_failure(e)))?;
        let summary = describe_adapter(&adapter).await;

        // WebGPU's default limits only: what runs here runs on any WebGPU device.
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("kernelscope"),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::DeviceRequest(e.to_string()))?;

        let lost = Arc::new(Mutex::new(None));
        let lost_in_callback = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            let why = if message.is_empty() {
                format!("{reason:?}")
            } else {
                format!("{reason:?}: {message}")
            };
            if let Ok(mut slot) = lost_in_callback.lock() {
                *slot = Some(why.clone());
            }
            on_lost(why);
        });
        // wgpu's default handler panics; errors are caught by scopes around each run instead.
        device.on_uncaptured_error(Arc::new(|_error| {}));

        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kernels = Kernels {
            scores: compile(
                &device,
                "scores",
                wgpu::include_wgsl!("../../shaders/scores.wgsl"),
            ),
            softmax_rows: compile(
                &device,
                "softmax rows",
                wgpu::include_wgsl!("../../shaders/softmax_rows.wgsl"),
            ),
            matmul: compile(
                &device,
                "matmul",
                wgpu::include_wgsl!("../../shaders/matmul.wgsl"),
            ),
            features_pointwise: compile(
                &device,
                "pointwise features",
                wgpu::include_wgsl!("../../shaders/features_pointwise.wgsl"),
            ),
            abs_prefix: compile(
                &device,
                "abs prefix",
                wgpu::include_wgsl!("../../shaders/abs_prefix.wgsl"),
            ),
            linear_normalise: compile(
                &device,
                "linear normalise",
                wgpu::include_wgsl!("../../shaders/linear_normalise.wgsl"),
            ),
            row_metrics: compile(
                &device,
                "row metrics",
                wgpu::include_wgsl!("../../shaders/row_metrics.wgsl"),
            ),
            error_maps: compile(
                &device,
                "error maps",
                wgpu::include_wgsl!("../../shaders/error_maps.wgsl"),
            ),
            features_random: compile_source(
                &device,
                "random features",
                concat!(
                    include_str!("../../shaders/accurate_trig.wgsl"),
                    include_str!("../../shaders/features_random.wgsl")
                ),
            ),
            features_cosformer: compile_source(
                &device,
                "cosFormer features",
                concat!(
                    include_str!("../../shaders/accurate_trig.wgsl"),
                    include_str!("../../shaders/features_cosformer.wgsl")
                ),
            ),
            features_taylor: compile(
                &device,
                "Taylor features",
                wgpu::include_wgsl!("../../shaders/features_taylor.wgsl"),
            ),
            features_hedgehog: compile(
                &device,
                "Hedgehog features",
                wgpu::include_wgsl!("../../shaders/features_hedgehog.wgsl"),
            ),
            matmul_tn: compile(
                &device,
                "matmul tn",
                wgpu::include_wgsl!("../../shaders/matmul_tn.wgsl"),
            ),
            column_sums: compile(
                &device,
                "column sums",
                wgpu::include_wgsl!("../../shaders/column_sums.wgsl"),
            ),
            linear_readout: compile(
                &device,
                "linear readout",
                wgpu::include_wgsl!("../../shaders/linear_readout.wgsl"),
            ),
            chunk_states: compile(
                &device,
                "chunk states",
                wgpu::include_wgsl!("../../shaders/chunk_states.wgsl"),
            ),
            chunk_prefix: compile(
                &device,
                "chunk prefix",
                wgpu::include_wgsl!("../../shaders/chunk_prefix.wgsl"),
            ),
            causal_readout: compile(
                &device,
                "causal readout",
                wgpu::include_wgsl!("../../shaders/causal_readout.wgsl"),
            ),
            common_scale: compile(
                &device,
                "common scale",
                wgpu::include_wgsl!("../../shaders/common_scale.wgsl"),
            ),
        };
        if let Some(error) = scope.pop().await {
            return Err(GpuError::Validation(error.to_string()));
        }

        Ok(Self {
            device,
            queue,
            kernels: Arc::new(kernels),
            lost,
            adapter: summary,
        })
    }

    /// Compile `wgsl` as a compute kernel on this device, reporting (never panicking on) a
    /// rejected shader. The engine's own kernels go through the same error scope when it starts;
    /// this shows that a kernel a driver refuses becomes an error the app can fall back from.
    pub async fn check_kernel(&self, wgsl: &str) -> Result<(), GpuError> {
        self.ensure_alive()?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let _pipeline = compile(
            &self.device,
            "checked kernel",
            wgpu::ShaderModuleDescriptor {
                label: Some("checked kernel"),
                source: wgpu::ShaderSource::Wgsl(wgsl.to_owned().into()),
            },
        );
        match scope.pop().await {
            Some(error) => Err(GpuError::Validation(error.to_string())),
            None => Ok(()),
        }
    }

    /// What runs the kernels, for display.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// The reason the device was lost, if it was.
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|slot| slot.clone())
    }

    /// Destroy the device, as a driver reset would. Used to test the fallback.
    pub fn destroy_device(&self) {
        self.device.destroy();
    }

    fn ensure_alive(&self) -> Result<(), GpuError> {
        // Natively, a loss is only reported from poll; let it be reported now.
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::Poll);
        match self.lost_reason() {
            Some(why) => Err(GpuError::DeviceLost(why)),
            None => Ok(()),
        }
    }

    /// Attention scores `S = Q·Kᵀ · scale` on the GPU; the twin of [`super::cpu::scores`].
    pub async fn scores(
        &self,
        q: ArrayView2<'_, f32>,
        k: ArrayView2<'_, f32>,
        scale: f32,
    ) -> Result<Array2<f32>, GpuError> {
        self.ensure_alive()?;
        let (n_q, d) = q.dim();
        let (n_k, d_k) = k.dim();
        if d != d_k {
            return Err(GpuError::Shape(format!(
                "queries have {d} columns, keys have {d_k}"
            )));
        }
        if n_q == 0 || n_k == 0 || d == 0 {
            // WebGPU forbids empty bindings; the product is all zeros (or empty) anyway.
            return Ok(Array2::zeros((n_q, n_k)));
        }
        self.fits("the score matrix", n_q * n_k)?;
        self.fits("the queries", n_q * d)?;
        self.fits("the keys", n_k * d)?;
        let scores = self
            .run(|gpu, encoder| {
                let buffer = gpu.scores_pass(encoder, q, k, scale)?;
                Ok(vec![(buffer, n_q * n_k)])
            })
            .await?;
        into_matrix(scores.into_iter().next().unwrap_or_default(), (n_q, n_k))
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
        for (what, len) in [
            ("the attention map", n_q * n_k),
            ("the queries", n_q * d),
            ("the keys", n_k * d),
            ("the values", n_k * d_v),
            ("the outputs", n_q * d_v),
        ] {
            self.fits(what, len)?;
        }
        let rows = n_q as u32;
        let grid_x = rows.min(self.device.limits().max_compute_workgroups_per_dimension);
        let grid_y = rows.div_ceil(grid_x);
        let mut results = self
            .run(|gpu, encoder| {
                let weights = gpu.scores_pass(encoder, q, k, 1.0)?;
                let params = SoftmaxParams {
                    rows,
                    cols: n_k as u32,
                    causal: u32::from(mask == Mask::Causal),
                    scale,
                };
                let params = gpu.uniform("softmax params", &params);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.softmax_rows,
                    &[&params, &weights],
                    (grid_x, grid_y),
                );

                let output = gpu.weighted_values(encoder, &weights, v, n_q);
                Ok(vec![(weights, n_q * n_k), (output, n_q * d_v)])
            })
            .await?;
        let output = into_matrix(results.pop().unwrap_or_default(), (n_q, d_v))?;
        let weights = into_matrix(results.pop().unwrap_or_default(), (n_q, n_k))?;
        Ok(GpuAttention { weights, output })
    }

    /// Record `S = Q·Kᵀ·scale` into a new storage buffer.
    fn scores_pass(
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
    fn product_with_transpose(
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
        let dims = ScoreDims {
            n_q: n as u32,
            n_k: m as u32,
            d: d as u32,
            scale,
        };
        let dims = self.uniform("score dims", &dims);
        let product = self.output_buffer("scores", n * m);
        self.dispatch(
            encoder,
            &self.kernels.scores,
            &[&dims, a, b, &product],
            groups,
        );
        Ok(product)
    }

    /// Enough workgroups for `count` of them, folded into two dimensions.
    fn grid(&self, count: u32) -> (u32, u32) {
        let x = count.clamp(1, self.device.limits().max_compute_workgroups_per_dimension);
        (x, count.div_ceil(x))
    }

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
        let ((n_q, d), (n_k, d_k), (n_v, d_v)) = (q.dim(), k.dim(), v.dim());
        let m = map.feature_dim(d);
        let projection_fits = match map {
            GpuMap::Pointwise(_) => true,
            GpuMap::Performer(w) | GpuMap::Trig(w) => w.ncols() == d && w.nrows() > 0,
            GpuMap::Hedgehog(w, b) => w.ncols() == d && w.nrows() > 0 && b.len() == w.nrows(),
            GpuMap::CosFormer | GpuMap::Taylor => true,
        };
        if d != d_k || n_k != n_v || !projection_fits {
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
        let rows = n_q as u32;
        let results = self
            .run(|gpu, encoder| {
                let horizon = n_q.max(n_k);
                let phi_q = gpu.features_pass(encoder, q, map, scale, horizon, false);
                let phi_k = gpu.features_pass(encoder, k, map, scale, horizon, true);

                let dims = Four {
                    a: n_k as u32,
                    b: m as u32,
                    c: 0,
                    d: 0,
                };
                let dims = gpu.uniform("prefix dims", &dims);
                let prefix = gpu.output_buffer("abs prefix", n_k * m);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.abs_prefix,
                    &[&dims, &phi_k, &prefix],
                    ((m as u32).div_ceil(64), 1),
                );

                let weights =
                    gpu.product_with_transpose(encoder, &phi_q, &phi_k, (n_q, n_k, m), 1.0)?;
                let params = Four {
                    a: rows,
                    b: n_k as u32,
                    c: m as u32,
                    d: u32::from(mask == Mask::Causal),
                };
                let params = gpu.uniform("normalise params", &params);
                let degenerate = gpu.output_buffer("degenerate rows", n_q);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.linear_normalise,
                    &[&params, &weights, &phi_q, &prefix, &degenerate],
                    gpu.grid(rows),
                );

                let output = gpu.weighted_values(encoder, &weights, v, n_q);
                Ok(vec![
                    (weights, n_q * n_k),
                    (output, n_q * d_v),
                    (degenerate, n_q),
                ])
            })
            .await?;
        let mut results = results.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let weights = into_matrix(next(), (n_q, n_k))?;
        let output = into_matrix(next(), (n_q, d_v))?;
        let degenerate_rows = flagged_rows(&next());
        Ok(GpuLinearAttention {
            weights,
            output,
            degenerate_rows,
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
        let results = self
            .run(|gpu, encoder| {
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
                    &gpu.kernels.matmul_tn,
                    &[&dims, &phi_k, &values, &kv_state],
                    groups,
                );

                let dims = Four {
                    a: n_k as u32,
                    b: m as u32,
                    c: 0,
                    d: 0,
                };
                let dims = gpu.uniform("sum dims", &dims);
                let key_sums = gpu.output_buffer("key sums", 2 * m);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.column_sums,
                    &[&dims, &phi_k, &key_sums],
                    ((m as u32).div_ceil(64), 1),
                );

                let mean = gpu.upload(
                    "value mean",
                    bytemuck::cast_slice(&value_mean),
                    wgpu::BufferUsages::STORAGE,
                );
                let params = Four {
                    a: n_q as u32,
                    b: m as u32,
                    c: d_v as u32,
                    d: 0,
                };
                let params = gpu.uniform("readout params", &params);
                let output = gpu.output_buffer("outputs", n_q * d_v);
                let degenerate = gpu.output_buffer("degenerate rows", n_q);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.linear_readout,
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
                Ok(vec![(output, n_q * d_v), (degenerate, n_q)])
            })
            .await?;
        let mut results = results.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let output = into_matrix(next(), (n_q, d_v))?;
        let degenerate_rows = flagged_rows(&next());
        Ok(GpuLinearAttention {
            weights: Array2::zeros((0, 0)),
            output,
            degenerate_rows,
        })
    }

    async fn causal_recurrent(
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
        let results = self
            .run(|gpu, encoder| {
                let phi_q = gpu.features_pass(encoder, q, map, scale, n, false);
                let phi_k = gpu.features_pass(encoder, k, map, scale, n, true);
                let values = gpu.upload_matrix("values", v);
                let params = Four {
                    a: n as u32,
                    b: m as u32,
                    c: d_v as u32,
                    d: CAUSAL_CHUNK as u32,
                };
                let params = gpu.uniform("causal params", &params);
                let state = gpu.output_buffer("chunk states", chunks * entries);
                let state_groups = gpu.grid(((chunks * entries) as u32).div_ceil(64));
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.chunk_states,
                    &[&params, &phi_k, &values, &state],
                    state_groups,
                );
                let prefix_params = Four {
                    a: chunks as u32,
                    b: entries as u32,
                    c: 0,
                    d: 0,
                };
                let prefix_params = gpu.uniform("prefix params", &prefix_params);
                let prefix_groups = gpu.grid((entries as u32).div_ceil(64));
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.chunk_prefix,
                    &[&prefix_params, &state],
                    prefix_groups,
                );
                let prefix = gpu.upload_matrix("value prefix", value_prefix.view());
                let output = gpu.output_buffer("outputs", n * d_v);
                let degenerate = gpu.output_buffer("degenerate rows", n);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.causal_readout,
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
                Ok(vec![(output, n * d_v), (degenerate, n)])
            })
            .await?;
        let mut results = results.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let output = into_matrix(next(), (n, d_v))?;
        let degenerate_rows = flagged_rows(&next());
        Ok(GpuLinearAttention {
            weights: Array2::zeros((0, 0)),
            output,
            degenerate_rows,
        })
    }

    /// Record φ(x) for the rows of `x` into a new buffer. Keys are brought to one common scale
    /// (queries need none: their scale cancels in the normalisation).
    fn features_pass(
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

    /// φ(x) and, for maps that keep one, the per-row log-scale buffer. With `common`, the rows
    /// are first brought to one shared scale (what keys need before they are summed).
    fn features_with_scale(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: ArrayView2<'_, f32>,
        map: &GpuMap,
        scale: f32,
        horizon: usize,
        keys: bool,
    ) -> (wgpu::Buffer, Option<wgpu::Buffer>) {
        let (n, d) = x.dim();
        let m = map.feature_dim(d);
        let uniform = |value: Four| self.uniform("feature params", &value);
        let common_scale =
            |encoder: &mut wgpu::CommandEncoder, out: &wgpu::Buffer, log_scale: &wgpu::Buffer| {
                if keys {
                    let dims = uniform(Four {
                        a: n as u32,
                        b: m as u32,
                        c: 0,
                        d: 0,
                    });
                    self.dispatch(
                        encoder,
                        &self.kernels.common_scale,
                        &[&dims, out, log_scale],
                        (1, 1),
                    );
                }
            };
        match map {
            GpuMap::CosFormer => {
                let input = self.upload_matrix("inputs", x);
                let params = uniform(Four {
                    a: n as u32,
                    b: d as u32,
                    c: horizon.max(1) as u32,
                    d: 0,
                });
                let out = self.output_buffer("features", n * m);
                self.dispatch(
                    encoder,
                    &self.kernels.features_cosformer,
                    &[&params, &input, &out],
                    self.grid(((n * d) as u32).div_ceil(64)),
                );
                (out, None)
            }
            GpuMap::Taylor => {
                let input = self.upload_matrix("inputs", x);
                let params = uniform(Four {
                    a: n as u32,
                    b: d as u32,
                    c: scale.max(0.0).to_bits(),
                    d: 0,
                });
                let out = self.output_buffer("features", n * m);
                self.dispatch(
                    encoder,
                    &self.kernels.features_taylor,
                    &[&params, &input, &out],
                    self.grid(((n * m) as u32).div_ceil(64)),
                );
                (out, None)
            }
            GpuMap::Hedgehog(w, b) => {
                let input = self.upload_matrix("inputs", x);
                let weight = self.upload_matrix("hedgehog weight", w.view());
                let bias = self.upload(
                    "hedgehog bias",
                    bytemuck::cast_slice(b.as_slice().unwrap_or(&b.to_vec())),
                    wgpu::BufferUsages::STORAGE,
                );
                let params = uniform(Four {
                    a: n as u32,
                    b: d as u32,
                    c: w.nrows() as u32,
                    d: 0,
                });
                let out = self.output_buffer("features", n * m);
                let log_scale = self.output_buffer("log scale", n);
                self.dispatch(
                    encoder,
                    &self.kernels.features_hedgehog,
                    &[&params, &input, &weight, &bias, &out, &log_scale],
                    self.grid(n as u32),
                );
                common_scale(encoder, &out, &log_scale);
                (out, Some(log_scale))
            }
            GpuMap::Pointwise(kind) => {
                let input = self.upload_matrix("inputs", x);
                let len = (n * d) as u32;
                let params = Four {
                    a: len,
                    b: *kind as u32,
                    c: 0,
                    d: 0,
                };
                let params = self.uniform("feature params", &params);
                let out = self.output_buffer("features", n * d);
                self.dispatch(
                    encoder,
                    &self.kernels.features_pointwise,
                    &[&params, &input, &out],
                    self.grid(len.div_ceil(64)),
                );
                (out, None)
            }
            GpuMap::Performer(w) | GpuMap::Trig(w) => {
                let trig = matches!(map, GpuMap::Trig(_));
                let root = scale.max(0.0).sqrt();
                let input = self.upload_matrix("inputs", x.mapv(|v| v * root).view());
                let projection = self.upload_matrix("projection", w.view());
                let params = Four {
                    a: n as u32,
                    b: d as u32,
                    c: w.nrows() as u32,
                    d: u32::from(trig),
                };
                let params = self.uniform("feature params", &params);
                let out = self.output_buffer("features", n * m);
                let log_scale = self.output_buffer("log scale", n);
                self.dispatch(
                    encoder,
                    &self.kernels.features_random,
                    &[&params, &input, &projection, &out, &log_scale],
                    self.grid(n as u32),
                );
                common_scale(encoder, &out, &log_scale);
                (out, Some(log_scale))
            }
        }
    }

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
        let scaled = self
            .run(|gpu, encoder| {
                let horizon = n_q.max(n_k);
                let (phi_q, scale_q) =
                    gpu.features_with_scale(encoder, q, map, scale, horizon, false);
                let (phi_k, scale_k) =
                    gpu.features_with_scale(encoder, k, map, scale, horizon, false);
                let log_exact = gpu.scores_pass(encoder, q, k, scale)?;
                let approx =
                    gpu.product_with_transpose(encoder, &phi_q, &phi_k, (n_q, n_k, m), 1.0)?;
                let mut outputs = vec![(log_exact, n_q * n_k), (approx, n_q * n_k)];
                if let (Some(a), Some(b)) = (scale_q, scale_k) {
                    outputs.push((a, n_q));
                    outputs.push((b, n_k));
                }
                Ok(outputs)
            })
            .await?;
        let mut parts = scaled.into_iter();
        let log_exact = parts.next().unwrap_or_default();
        let product = parts.next().unwrap_or_default();
        let scale_q = parts.next().unwrap_or_else(|| vec![0.0; n_q]);
        let scale_k = parts.next().unwrap_or_else(|| vec![0.0; n_k]);
        if log_exact.len() != n_q * n_k || product.len() != n_q * n_k {
            return Err(GpuError::ReadBack("short kernel read-back".into()));
        }
        let exact =
            Array2::from_shape_fn((n_q, n_k), |(i, j)| f64::from(log_exact[i * n_k + j]).exp());
        let approx = Array2::from_shape_fn((n_q, n_k), |(i, j)| {
            f64::from(product[i * n_k + j]) * (f64::from(scale_q[i]) + f64::from(scale_k[j])).exp()
        });
        Ok(kernel_summary(exact, approx))
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
        let len = (rows * cols) as u32;
        let mut results = self
            .run(|gpu, encoder| {
                let a = gpu.upload_matrix("softmax weights", exact);
                let b = gpu.upload_matrix("linear weights", approx);
                let dims = Four {
                    a: len,
                    b: 0,
                    c: 0,
                    d: 0,
                };
                let dims = gpu.uniform("error dims", &dims);
                let signed = gpu.output_buffer("signed error", rows * cols);
                let absolute = gpu.output_buffer("absolute error", rows * cols);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.error_maps,
                    &[&dims, &a, &b, &signed, &absolute],
                    gpu.grid(len.div_ceil(64)),
                );
                let dims = Four {
                    a: rows as u32,
                    b: cols as u32,
                    c: 0,
                    d: 0,
                };
                let dims = gpu.uniform("metric dims", &dims);
                let metrics = gpu.output_buffer("row metrics", rows * 4);
                gpu.dispatch(
                    encoder,
                    &gpu.kernels.row_metrics,
                    &[&dims, &a, &b, &metrics],
                    gpu.grid(rows as u32),
                );
                Ok(vec![
                    (signed, rows * cols),
                    (absolute, rows * cols),
                    (metrics, rows * 4),
                ])
            })
            .await?
            .into_iter();
        let mut next = || results.next().unwrap_or_default();
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
            kl: column(2)
                .into_iter()
                .map(|kl| if kl < 0.0 { f32::INFINITY } else { kl })
                .collect(),
            tv: column(3),
        })
    }

    /// Refuse an array the device cannot bind (WebGPU default: 128 MiB per storage binding).
    fn fits(&self, what: &str, len: usize) -> Result<(), GpuError> {
        let limits = self.device.limits();
        let bytes = (len as u64).saturating_mul(4);
        if bytes > limits.max_storage_buffer_binding_size || bytes > limits.max_buffer_size {
            return Err(GpuError::TooLarge(format!(
                "{what} needs {bytes} bytes, the device allows {} per buffer",
                limits.max_storage_buffer_binding_size
            )));
        }
        Ok(())
    }

    /// Record work with `record`, submit it once, and read back the buffers it names
    /// (buffer, number of f32s). Validation and out-of-memory errors of the whole run are
    /// caught and returned, never panicked on.
    async fn run(
        &self,
        record: impl FnOnce(
            &Self,
            &mut wgpu::CommandEncoder,
        ) -> Result<Vec<(wgpu::Buffer, usize)>, GpuError>,
    ) -> Result<Vec<Vec<f32>>, GpuError> {
        let oom_scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation_scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("kernelscope"),
            });
        let recorded = record(self, &mut encoder);
        let mut staging = Vec::new();
        if let Ok(outputs) = &recorded {
            for (buffer, len) in outputs {
                let bytes = (*len as u64) * 4;
                let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("readback"),
                    size: bytes,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                encoder.copy_buffer_to_buffer(buffer, 0, &readback, 0, bytes);
                staging.push(readback);
            }
            self.queue.submit([encoder.finish()]);
        }
        let validation = validation_scope.pop();
        let oom = oom_scope.pop();
        recorded?;
        let mut values = Vec::with_capacity(staging.len());
        let mut failure = None;
        for buffer in &staging {
            match self.read_back(buffer).await {
                Ok(v) => values.push(v),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(error) = validation.await {
            return Err(self.lost_or(GpuError::Validation(error.to_string())));
        }
        if let Some(error) = oom.await {
            return Err(GpuError::OutOfMemory(error.to_string()));
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(values),
        }
    }

    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        (x, y): (u32, u32),
    ) {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
            .iter()
            .enumerate()
            .map(|(i, buffer)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: buffer.as_entire_binding(),
            })
            .collect();
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    fn output_buffer(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len as u64) * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    /// A buffer holding `bytes`. Written through the queue rather than mapped at creation:
    /// mapping panics inside wgpu when the device is already gone, a queue write just fails.
    fn upload(&self, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.len() as u64,
            usage: usage | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, bytes);
        buffer
    }

    fn upload_matrix(&self, label: &str, m: ArrayView2<'_, f32>) -> wgpu::Buffer {
        // Row-major, whatever the view's strides.
        let flat: Vec<f32> = m.iter().copied().collect();
        self.upload(
            label,
            bytemuck::cast_slice(&flat),
            wgpu::BufferUsages::STORAGE,
        )
    }

    /// A small uniform buffer holding `value`.
    fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        self.upload(
            label,
            bytemuck::bytes_of(value),
            wgpu::BufferUsages::UNIFORM,
        )
    }

    /// Record `O = A·V` for weights A (n_q×n_k, on the GPU) and values V.
    fn weighted_values(
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
            &self.kernels.matmul,
            &[&dims, weights, &values, &output],
            groups,
        );
        output
    }

    /// Map a MAP_READ buffer and copy its f32s out, without blocking the browser's thread.
    async fn read_back(&self, buffer: &wgpu::Buffer) -> Result<Vec<f32>, GpuError> {
        let (sender, receiver) = futures_channel::oneshot::channel();
        buffer.map_async(wgpu::MapMode::Read, .., move |result| {
            // The receiver only disappears if the caller was dropped; nothing to report then.
            let _ = sender.send(result);
        });
        // Natively the callback fires only from poll; on the web the browser drives it.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| self.lost_or(GpuError::ReadBack(e.to_string())))?;
        let mapped = receiver
            .await
            .map_err(|_| self.lost_or(GpuError::ReadBack("the map request was dropped".into())))?;
        mapped.map_err(|e| self.lost_or(GpuError::ReadBack(e.to_string())))?;
        let values = {
            let view = buffer
                .get_mapped_range(..)
                .map_err(|e| GpuError::ReadBack(e.to_string()))?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        buffer.unmap();
        Ok(values)
    }

    /// A loss explains any later failure better than the failure itself.
    fn lost_or(&self, error: GpuError) -> GpuError {
        match self.lost_reason() {
            Some(why) => GpuError::DeviceLost(why),
            None => error,
        }
    }
}

/// Natively wgpu lists every backend it tried, which helps; in a browser only one was asked.
fn adapter_failure(error: wgpu::RequestAdapterError) -> String {
    if cfg!(target_arch = "wasm32") {
        "the browser offers WebGPU but returned no adapter; it may be switched off or blocklisted for this GPU".into()
    } else {
        error.to_string()
    }
}

fn compile(
    device: &wgpu::Device,
    label: &str,
    source: wgpu::ShaderModuleDescriptor<'_>,
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(source);
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// For kernels assembled from several WGSL files (WGSL has no includes).
fn compile_source(
    device: &wgpu::Device,
    label: &str,
    source: &'static str,
) -> wgpu::ComputePipeline {
    compile(
        device,
        label,
        wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        },
    )
}

/// Indices of the rows a kernel flagged (non-zero entries).
fn flagged_rows(flags: &[f32]) -> Vec<usize> {
    flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != 0.0)
        .map(|(i, _)| i)
        .collect()
}

fn into_matrix(values: Vec<f32>, shape: (usize, usize)) -> Result<Array2<f32>, GpuError> {
    Array2::from_shape_vec(shape, values).map_err(|e| GpuError::ReadBack(e.to_string()))
}

#[cfg(not(target_arch = "wasm32"))]
async fn describe_adapter(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    AdapterSummary {
        backend: info.backend.to_string(),
        vendor: format!("{:#06x}", info.vendor),
        architecture: format!("{:?}", info.device_type),
        description: format!("{} ({})", info.name, info.driver),
    }
}

#[cfg(target_arch = "wasm32")]
async fn describe_adapter(_adapter: &wgpu::Adapter) -> AdapterSummary {
    // wgpu's get_info is empty in browsers; GPUAdapter.info has what the browser reveals.
    let info = super::browser::adapter_info().await;
    AdapterSummary {
        backend: "WebGPU".into(),
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
    }
}
