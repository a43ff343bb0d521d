//! Where the math runs: the GPU when it is there and healthy, the CPU otherwise.
//!
//! The CPU path is the reference. A GPU failure of any kind (no WebGPU, no adapter,
//! a refused device, a rejected kernel, a lost device) turns into a CPU result plus
//! the reason, so the UI can switch over and say why.

pub mod assets;
#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub mod bench;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod cpu;
pub mod gpu;
pub mod protocol;
pub mod report;
pub mod session;
pub mod summary;
pub mod sweep;
#[cfg(target_arch = "wasm32")]
pub mod worker;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use gpu::{GpuEngine, GpuError, GpuSettings};

/// The user's choice of backend, kept in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// WebGPU when it works, the CPU when it does not.
    #[default]
    Auto,
    /// The CPU path only.
    Cpu,
}

impl BackendChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cpu => "cpu",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" | "gpu" => Some(BackendChoice::Auto),
            "cpu" => Some(BackendChoice::Cpu),
            _ => None,
        }
    }
}

/// The device that runs the kernels, as far as the platform tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdapterSummary {
    pub backend: String,
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    /// A GPU emulated on the CPU (lavapipe, SwiftShader: a "fallback adapter"), where optional
    /// bulk work is better left to the CPU engine.
    pub software: bool,
}

/// Why the CPU path is running.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuReason {
    /// The user asked for it.
    Chosen,
    /// The GPU path failed or is missing.
    Fallback(GpuError),
}

/// The engine that answers computations.
#[derive(Clone)]
pub enum Engine {
    Gpu(GpuEngine),
    Cpu(CpuReason),
}

/// A result, and the GPU failure that forced the CPU to produce it, if any.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    pub value: T,
    pub gpu_failure: Option<GpuError>,
}

impl Engine {
    /// Start the chosen backend; a GPU that cannot start becomes a CPU engine with the reason.
    pub async fn start(choice: BackendChoice, on_lost: impl Fn(String) + Send + 'static) -> Self {
        Self::start_with(choice, on_lost, GpuSettings::default()).await
    }

    /// [`Engine::start`] with the given GPU settings.
    pub async fn start_with(
        choice: BackendChoice,
        on_lost: impl Fn(String) + Send + 'static,
        settings: GpuSettings,
    ) -> Self {
        match choice {
            BackendChoice::Cpu => Engine::Cpu(CpuReason::Chosen),
            BackendChoice::Auto => match GpuEngine::with_settings(on_lost, settings).await {
                Ok(gpu) => Engine::Gpu(gpu),
                Err(error) => Engine::Cpu(CpuReason::Fallback(error)),
            },
        }
    }

    /// A CPU engine standing in for a GPU that failed with `error`.
    pub fn fallback(error: GpuError) -> Self {
        Engine::Cpu(CpuReason::Fallback(error))
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self, Engine::Gpu(_))
    }
}

impl Engine {
    /// One head's report on the active path. A GPU failure gives the CPU's report and the
    /// reason, so the caller can switch over and say why; the state is untouched either way.
    pub async fn analyze(
        &self,
        q: ArrayView2<'_, f64>,
        k: ArrayView2<'_, f64>,
        v: ArrayView2<'_, f64>,
        request: &report::Request,
    ) -> Outcome<Result<report::Report, crate::attention::MathError>> {
        // Bad numbers are the input's fault, not the GPU's: refuse them before choosing a path.
        if let Err(e) = crate::attention::check_inputs(q, k, v) {
            return Outcome {
                value: Err(e),
                gpu_failure: None,
            };
        }
        let mut gpu_failure = None;
        if let Engine::Gpu(gpu) = self {
            match gpu.analyze(q, k, v, request).await {
                Ok(r) => {
                    return Outcome {
                        value: Ok(r),
                        gpu_failure: None,
                    };
                }
                Err(error) => gpu_failure = Some(error),
            }
        }
        Outcome {
            value: cpu::analyze(q, k, v, request),
            gpu_failure,
        }
    }
}

impl Engine {
    /// The all-heads overview ([`cpu::mean_tv`] for every head, each with its own request:
    /// trained maps differ per head) on the active path. A GPU failure gives the CPU's answer
    /// and the reason.
    pub async fn mean_tv(
        &self,
        heads: &[[Array2<f64>; 3]],
        requests: &[report::Request],
    ) -> Outcome<Vec<Result<Vec<(String, f64)>, crate::attention::MathError>>> {
        let on_cpu = || {
            heads
                .iter()
                .zip(requests)
                .map(|([q, k, v], request)| cpu::mean_tv(q.view(), k.view(), v.view(), request))
                .collect()
        };
        // Bad numbers are the input's fault: the CPU path says so per head.
        let clean = heads
            .iter()
            .all(|[q, k, v]| crate::attention::check_inputs(q.view(), k.view(), v.view()).is_ok());
        let mut gpu_failure = None;
        if let (Engine::Gpu(gpu), true) = (self, clean) {
            match gpu.mean_tv(heads, requests).await {
                Ok(all) => {
                    return Outcome {
                        value: all.into_iter().map(Ok).collect(),
                        gpu_failure: None,
                    };
                }
                Err(error) => gpu_failure = Some(error),
            }
        }
        Outcome {
            value: on_cpu(),
            gpu_failure,
        }
    }
}
