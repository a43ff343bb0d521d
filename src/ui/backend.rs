//! Which backend runs, on what device, and why any fallback happened.

use leptos::prelude::*;

use crate::engine::{BackendChoice, CpuReason, Engine};
use crate::state::AppState;

#[component]
pub fn BackendPanel(
    engine: RwSignal<Option<Engine>, LocalStorage>,
    state: RwSignal<AppState>,
) -> impl IntoView {
    let kind = move || match engine.get() {
        None => "starting",
        Some(Engine::Gpu(_)) => "webgpu",
        Some(Engine::Cpu(_)) => "cpu",
    };
    let summary = move || match engine.get() {
        None => "Starting…".to_string(),
        Some(Engine::Gpu(gpu)) => {
            let a = gpu.adapter();
            format!("{} on {} · {}", a.backend, a.vendor, a.architecture)
        }
        Some(Engine::Cpu(CpuReason::Chosen)) => "CPU (chosen)".to_string(),
        Some(Engine::Cpu(CpuReason::Fallback(_))) => "CPU (fallback)".to_string(),
    };
    let detail = move || match engine.get() {
        Some(Engine::Gpu(gpu)) => gpu.adapter().description.clone(),
        Some(Engine::Cpu(CpuReason::Fallback(error))) => format!("WebGPU is not used: {error}."),
        Some(Engine::Cpu(CpuReason::Chosen)) => {
            "WebGPU is switched off by the toggle below.".into()
        }
        None => String::new(),
    };
    let forced_cpu = move || state.with(|s| s.backend == BackendChoice::Cpu);
    let toggle = move |ev: leptos::ev::Event| {
        let backend = if event_target_checked(&ev) {
            BackendChoice::Cpu
        } else {
            BackendChoice::Auto
        };
        state.update(|s| s.backend = backend);
    };

    view! {
        <section class="panel backend" aria-labelledby="backend-title">
            <h2 id="backend-title">"Backend"</h2>
            <p class="backend-summary" data-testid="backend" data-backend=kind>
                {summary}
            </p>
            <p class="backend-detail" data-testid="backend-detail">{detail}</p>
            <label class="toggle">
                <input
                    type="checkbox"
                    data-testid="force-cpu"
                    prop:checked=forced_cpu
                    on:change=toggle
                />
                " Force the CPU path"
            </label>
        </section>
    }
}
