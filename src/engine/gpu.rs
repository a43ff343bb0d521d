//! The GPU path: WGSL compute kernels through wgpu (WebGPU in the browser, Vulkan natively).
//!
//! Every way the GPU can fail ends in a [`GpuError`], never a panic, so the caller can
//! fall back to the CPU path and tell the user why.

use std::sync::{Arc, Mutex};

use ndarray::{Array2, ArrayView2};

use super::AdapterSummary;

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

/// A WebGPU device with the attention kernels compiled once, reused for every update.
/// Cloning is cheap: wgpu handles are reference-counted.
#[derive(Clone)]
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    scores_pipeline: wgpu::ComputePipeline,
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
        let module = device.create_shader_module(wgpu::include_wgsl!("../../shaders/scores.wgsl"));
        let scores_pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("scores"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(error) = scope.pop().await {
            return Err(GpuError::Validation(error.to_string()));
        }

        Ok(Self {
            device,
            queue,
            scores_pipeline,
            lost,
            adapter: summary,
        })
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
        let limits = self.device.limits();
        let out_bytes = (n_q * n_k * 4) as u64;
        let largest_input = (n_q.max(n_k) * d * 4) as u64;
        let largest = out_bytes.max(largest_input);
        if largest > limits.max_storage_buffer_binding_size || largest > limits.max_buffer_size {
            return Err(GpuError::TooLarge(format!(
                "a {n_q}×{n_k} score matrix needs {largest} bytes, the device allows {}",
                limits.max_storage_buffer_binding_size
            )));
        }
        let groups_x = (n_k as u32).div_ceil(SCORES_TILE);
        let groups_y = (n_q as u32).div_ceil(SCORES_TILE);
        if groups_x.max(groups_y) > limits.max_compute_workgroups_per_dimension {
            return Err(GpuError::TooLarge(format!(
                "{n_q}×{n_k} needs more workgroups than the device allows"
            )));
        }

        let oom_scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation_scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);

        let dims = ScoreDims {
            n_q: n_q as u32,
            n_k: n_k as u32,
            d: d as u32,
            scale,
        };
        let dims_buffer = self.upload(
            "dims",
            bytemuck::bytes_of(&dims),
            wgpu::BufferUsages::UNIFORM,
        );
        let q_buffer = self.upload_matrix("queries", q);
        let k_buffer = self.upload_matrix("keys", k);
        let scores_buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores"),
            size: out_bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scores readback"),
            size: out_bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scores"),
            layout: &self.scores_pipeline.get_bind_group_layout(0),
            entries: &[
                bind(0, &dims_buffer),
                bind(1, &q_buffer),
                bind(2, &k_buffer),
                bind(3, &scores_buffer),
            ],
        });

        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("scores"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("scores"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.scores_pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups_x, groups_y, 1);
        }
        encoder.copy_buffer_to_buffer(&scores_buffer, 0, &readback, 0, out_bytes);
        self.queue.submit([encoder.finish()]);

        let validation = validation_scope.pop();
        let oom = oom_scope.pop();
        let mapped = self.read_back(&readback).await;
        if let Some(error) = validation.await {
            return Err(GpuError::Validation(error.to_string()));
        }
        if let Some(error) = oom.await {
            return Err(GpuError::OutOfMemory(error.to_string()));
        }
        let values = mapped?;
        Array2::from_shape_vec((n_q, n_k), values).map_err(|e| GpuError::ReadBack(e.to_string()))
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

fn bind(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
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
