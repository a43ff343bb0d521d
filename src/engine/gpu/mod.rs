//! The GPU path: WGSL compute kernels through wgpu (WebGPU in the browser, Vulkan natively).
//!
//! Every way the GPU can fail ends in a [`GpuError`], never a panic, so the caller can
//! fall back to the CPU path and tell the user why.

use std::sync::{Arc, Mutex};

mod analyze;
mod compare;
mod linear;
mod params;
mod softmax;

use ndarray::{Array2, ArrayView2};

use super::AdapterSummary;

pub use compare::GpuComparison;
pub use linear::{GpuLinearAttention, GpuMap};
pub use softmax::GpuAttention;

use params::*;

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

/// A buffer to read back after a run, named where it is recorded: [`Reads::add`] gives the
/// slot, [`ReadBack::take`] its values once the run is done.
#[derive(Clone, Copy, Debug)]
struct Slot(usize);

/// The buffers a run reads back.
#[derive(Default)]
struct Reads(Vec<(wgpu::Buffer, usize)>);

impl Reads {
    /// Read `len` f32 values of `buffer` after the run.
    fn add(&mut self, buffer: wgpu::Buffer, len: usize) -> Slot {
        self.0.push((buffer, len));
        Slot(self.0.len() - 1)
    }
}

/// The values a run read back, by slot.
struct ReadBack(Vec<Option<Vec<f32>>>);

impl ReadBack {
    /// The values of `slot` (empty if it was taken already, which a length check then refuses).
    fn take(&mut self, slot: Slot) -> Vec<f32> {
        self.0
            .get_mut(slot.0)
            .and_then(Option::take)
            .unwrap_or_default()
    }
}

/// A compute pipeline and the bind-group layout it was built with.
type Pipeline = (wgpu::ComputePipeline, wgpu::BindGroupLayout);

/// The compute pipelines, compiled once per device: those of [`KERNELS`] in the order of
/// [`Kernel`], and one per feature kernel of [`crate::kernels::CATALOG`] by its label.
struct Kernels {
    fixed: Vec<Pipeline>,
    features: Vec<(&'static str, Pipeline)>,
}

impl Kernels {
    fn build(device: &wgpu::Device) -> Self {
        let fixed = KERNELS
            .iter()
            .map(|(_, label, sources, access)| compile(device, label, &sources.concat(), access))
            .collect();
        let mut features: Vec<(&'static str, Pipeline)> = Vec::new();
        for info in crate::kernels::CATALOG {
            let kernel = &info.gpu;
            if !features.iter().any(|(label, _)| *label == kernel.label) {
                let pipeline = compile(device, kernel.label, kernel.source, &FEATURE_ACCESS);
                features.push((kernel.label, pipeline));
            }
        }
        Kernels { fixed, features }
    }
}

/// Compile one kernel with an explicit bind-group layout built from `access`.
fn compile(device: &wgpu::Device, label: &str, source: &str, access: &[Access]) -> Pipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let entries: Vec<wgpu::BindGroupLayoutEntry> = access
        .iter()
        .enumerate()
        .map(|(i, access)| wgpu::BindGroupLayoutEntry {
            binding: i as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match access {
                    Access::Uniform => wgpu::BufferBindingType::Uniform,
                    Access::Read => wgpu::BufferBindingType::Storage { read_only: true },
                    Access::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    (pipeline, layout)
}

/// Buffers kept from one run for the next, so typing does not allocate GPU memory on every
/// keystroke. An operation asks for its buffers in the same order every time, so slot i of
/// the last run is offered to the i-th request of the next; it is reused when its usage
/// matches and it is large enough. A run that starts while another is in flight finds the
/// pool empty and allocates afresh, so no buffer is ever shared by two runs.
#[derive(Default)]
struct BufferPool {
    spare: Vec<wgpu::Buffer>,
    recording: Option<Recording>,
}

/// The run being recorded: the spares it took, the buffers it has used so far, and how many
/// bytes of GPU memory they hold.
struct Recording {
    spare: Vec<wgpu::Buffer>,
    used: Vec<wgpu::Buffer>,
    bytes: u64,
    over_budget: bool,
}

/// A WebGPU device with the attention kernels compiled once, reused for every update.
/// Cloning is cheap: wgpu handles are reference-counted.
#[derive(Clone)]
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    kernels: Arc<Kernels>,
    lost: Arc<Mutex<Option<String>>>,
    pool: Arc<Mutex<BufferPool>>,
    memory_budget: u64,
    adapter: AdapterSummary,
}

/// What the engine asks of the GPU when it starts.
#[derive(Debug, Clone)]
pub struct GpuSettings {
    /// The device limits to request. WebGPU's defaults, so that what runs here runs on any
    /// WebGPU device (tests ask for impossible ones, to see a refused request fall back).
    pub limits: wgpu::Limits,
    /// The most GPU memory one run may hold, in bytes. A run that needs more is refused as
    /// out of memory before it is submitted, and the CPU answers: a page should not take a
    /// reader's whole GPU, and a driver that runs out may kill the device instead.
    pub memory_budget: u64,
}

impl Default for GpuSettings {
    fn default() -> Self {
        Self {
            limits: wgpu::Limits::default(),
            // The largest step the app asks for (every map with its kernel pairs, on a 512-token
            // head) needs about 100 MB.
            memory_budget: 1 << 30,
        }
    }
}

/// Natively (Vulkan, D3D12), the driver refuses new buffers past this percent of its memory
/// budget, as an out-of-memory error the engine falls back from.
const DRIVER_BUDGET_PERCENT: u8 = 90;

impl GpuEngine {
    /// Ask for an adapter and a device and compile the kernels.
    /// `on_lost` is called once if the device is lost later (driver reset, `destroy`, tab in background).
    pub async fn new(on_lost: impl Fn(String) + Send + 'static) -> Result<Self, GpuError> {
        Self::with_settings(on_lost, GpuSettings::default()).await
    }

    /// [`GpuEngine::new`] with the given limits and memory budget.
    pub async fn with_settings(
        on_lost: impl Fn(String) + Send + 'static,
        settings: GpuSettings,
    ) -> Result<Self, GpuError> {
        #[cfg(target_arch = "wasm32")]
        if !super::browser::has_webgpu() {
            return Err(GpuError::NoWebGpu);
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            memory_budget_thresholds: wgpu::MemoryBudgetThresholds {
                for_resource_creation: Some(DRIVER_BUDGET_PERCENT),
                for_device_loss: None,
            },
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(adapter_failure(e)))?;
        let summary = describe_adapter(&adapter).await;

        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("kernelscope"),
                required_limits: settings.limits,
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
        let kernels = Kernels::build(&device);
        if let Some(error) = scope.pop().await {
            return Err(GpuError::Validation(error.to_string()));
        }

        Ok(Self {
            device,
            queue,
            kernels: Arc::new(kernels),
            lost,
            pool: Arc::default(),
            memory_budget: settings.memory_budget,
            adapter: summary,
        })
    }

    /// Compile `wgsl` as a compute kernel on this device, reporting (never panicking on) a
    /// rejected shader. The engine's own kernels go through the same error scope when it starts;
    /// this shows that a kernel a driver refuses becomes an error the app can fall back from.
    pub async fn check_kernel(&self, wgsl: &str) -> Result<(), GpuError> {
        self.ensure_alive()?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("checked kernel"),
                source: wgpu::ShaderSource::Wgsl(wgsl.to_owned().into()),
            });
        let _pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("checked kernel"),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        match scope.pop().await {
            Some(error) => Err(GpuError::Validation(error.to_string())),
            None => Ok(()),
        }
    }

    /// How many buffers wait in the pool for the next run (for diagnostics and tests).
    pub fn pooled_buffers(&self) -> usize {
        self.pool.lock().map(|p| p.spare.len()).unwrap_or(0)
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

    /// Enough workgroups for `count` of them, folded into two dimensions.
    fn grid(&self, count: u32) -> (u32, u32) {
        let x = count.clamp(1, self.device.limits().max_compute_workgroups_per_dimension);
        (x, count.div_ceil(x))
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
    async fn run<T>(
        &self,
        record: impl FnOnce(&Self, &mut wgpu::CommandEncoder, &mut Reads) -> Result<T, GpuError>,
    ) -> Result<(T, ReadBack), GpuError> {
        let oom_scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation_scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        if let Ok(mut pool) = self.pool.lock() {
            let spare = std::mem::take(&mut pool.spare);
            pool.recording = Some(Recording {
                spare,
                used: Vec::new(),
                bytes: 0,
                over_budget: false,
            });
        }
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("kernelscope"),
            });
        let mut reads = Reads::default();
        let recorded = record(self, &mut encoder, &mut reads);
        let mut staging = Vec::new();
        if recorded.is_ok() {
            for (buffer, len) in &reads.0 {
                let bytes = (*len as u64) * 4;
                let readback = self.buffer(
                    "readback",
                    bytes,
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                );
                encoder.copy_buffer_to_buffer(buffer, 0, &readback, 0, bytes);
                staging.push((readback, *len));
            }
        }
        let recording = self
            .pool
            .lock()
            .ok()
            .and_then(|mut pool| pool.recording.take());
        let needed = recording.as_ref().map_or(0, |r| r.bytes);
        let over_budget = recording.as_ref().is_some_and(|r| r.over_budget);
        let used = recording.map(|r| r.used);
        if recorded.is_ok() && !over_budget {
            self.queue.submit([encoder.finish()]);
        }
        let validation = validation_scope.pop();
        let oom = oom_scope.pop();
        let named = recorded?;
        if over_budget {
            // Nothing was submitted; the stand-in buffers it recorded with are dropped here.
            return Err(GpuError::OutOfMemory(format!(
                "this step needs {needed} bytes of GPU memory, more than the {} bytes one step may use",
                self.memory_budget
            )));
        }
        let read = self.read_back(&staging).await;
        // Out of memory first: a refused allocation makes every later use of it invalid too.
        let (oom, validation) = (oom.await, validation.await);
        if let Some(error) = oom {
            return Err(GpuError::OutOfMemory(error.to_string()));
        }
        if validation.is_some() || read.is_err() {
            self.await_loss().await;
        }
        if let Some(error) = validation {
            return Err(self.lost_or(GpuError::Validation(error.to_string())));
        }
        let values = read.map_err(|e| self.lost_or(e))?;
        // Only a run that finished cleanly hands its buffers on.
        if let (Some(used), Ok(mut pool)) = (used, self.pool.lock())
            && pool.spare.is_empty()
        {
            pool.spare = used;
        }
        Ok((named, ReadBack(values.into_iter().map(Some).collect())))
    }

    /// A buffer of at least `size` bytes: a spare from the last run when one fits this slot.
    fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let size = size.max(4);
        let mut pool = self.pool.lock().ok();
        if let Some(run) = pool.as_mut().and_then(|p| p.recording.as_mut()) {
            let reused = run
                .spare
                .get(run.used.len())
                .filter(|b| b.usage() == usage && b.size() >= size)
                .cloned();
            run.bytes = run
                .bytes
                .saturating_add(reused.as_ref().map_or(size, |b| b.size()));
            run.over_budget |= run.bytes > self.memory_budget;
            if run.over_budget {
                // The run will be refused before it is submitted; a stand-in lets it finish
                // recording, so the refusal can say how much it needed.
                return self.new_buffer(label, 4, usage);
            }
            let buffer = reused.unwrap_or_else(|| self.new_buffer(label, size, usage));
            run.used.push(buffer.clone());
            return buffer;
        }
        self.new_buffer(label, size, usage)
    }

    fn new_buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Record one dispatch of `kernel` with `buffers` at bindings 0, 1, … (its table row says
    /// what each must be).
    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        buffers: &[&wgpu::Buffer],
        groups: (u32, u32),
    ) {
        debug_assert_eq!(
            buffers.len(),
            KERNELS[kernel as usize].3.len(),
            "{kernel:?}"
        );
        self.dispatch_pipeline(
            encoder,
            &self.kernels.fixed[kernel as usize],
            buffers,
            groups,
        );
    }

    /// Record one dispatch of a map's feature kernel, its buffers in [`FEATURE_ACCESS`] order.
    fn dispatch_features(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: &crate::kernels::GpuFeatures,
        buffers: &[&wgpu::Buffer; 5],
        groups: (u32, u32),
    ) {
        // Every catalog kernel was compiled when the device was made.
        if let Some((_, pipeline)) = self
            .kernels
            .features
            .iter()
            .find(|(l, _)| *l == kernel.label)
        {
            self.dispatch_pipeline(encoder, pipeline, buffers, groups);
        }
    }

    fn dispatch_pipeline(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        (pipeline, layout): &Pipeline,
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
            layout,
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
        self.buffer(
            label,
            (len as u64) * 4,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )
    }

    /// A buffer holding `bytes`. Written through the queue rather than mapped at creation:
    /// mapping panics inside wgpu when the device is already gone, a queue write just fails.
    fn upload(&self, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let buffer = self.buffer(
            label,
            bytes.len() as u64,
            usage | wgpu::BufferUsages::COPY_DST,
        );
        // A stand-in of a run over its memory budget is smaller, and is never used.
        if buffer.size() >= bytes.len() as u64 {
            self.queue.write_buffer(&buffer, 0, bytes);
        }
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

    /// Map a MAP_READ buffer and copy its f32s out, without blocking the browser's thread.
    /// Map every staging buffer at once and wait once, so a run costs one round trip however
    /// many results it reads. Only the first `len` values of each: a reused buffer may be larger.
    async fn read_back(
        &self,
        staging: &[(wgpu::Buffer, usize)],
    ) -> Result<Vec<Vec<f32>>, GpuError> {
        let requests: Vec<_> = staging
            .iter()
            .map(|(buffer, len)| {
                let (sender, receiver) = futures_channel::oneshot::channel();
                buffer.map_async(wgpu::MapMode::Read, ..(*len as u64) * 4, move |result| {
                    // The receiver only disappears if the caller was dropped; nothing to report then.
                    let _ = sender.send(result);
                });
                receiver
            })
            .collect();
        // Natively the callbacks fire only from poll; on the web the browser drives them.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| self.lost_or(GpuError::ReadBack(e.to_string())))?;
        let mut values = Vec::with_capacity(staging.len());
        for ((buffer, len), receiver) in staging.iter().zip(requests) {
            let mapped = receiver.await.map_err(|_| {
                self.lost_or(GpuError::ReadBack("the map request was dropped".into()))
            })?;
            mapped.map_err(|e| self.lost_or(GpuError::ReadBack(e.to_string())))?;
            let bytes = (*len as u64) * 4;
            let read = {
                let view = buffer
                    .get_mapped_range(..bytes)
                    .map_err(|e| GpuError::ReadBack(e.to_string()))?;
                bytemuck::cast_slice::<u8, f32>(&view).to_vec()
            };
            buffer.unmap();
            values.push(read);
        }
        Ok(values)
    }

    /// In the browser, a destroyed device fails the next read-back before its `lost` promise
    /// resolves; give the loss a moment to arrive, so that it is what the user is told.
    async fn await_loss(&self) {
        #[cfg(target_arch = "wasm32")]
        for _ in 0..10 {
            if self.lost_reason().is_some() {
                break;
            }
            super::browser::sleep_ms(20).await;
        }
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
        software: info.device_type == wgpu::DeviceType::Cpu,
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
        software: info.software,
    }
}
