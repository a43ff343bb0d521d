//! Which backend runs, on what device, and why any fallback happened.

use leptos::prelude::*;

use crate::engine::BackendChoice;
use crate::engine::protocol::BackendStatus;
use crate::state::AppState;

#[component]
pub fn BackendPanel(
    status: RwSignal<Option<BackendStatus>>,
    state: RwSignal<AppState>,
) -> impl IntoView {
    let kind = move || {
        status.with(|s| {
            s.as_ref()
                .map_or("starting".to_string(), |s| s.kind.clone())
        })
    };
    let summary = move || {
        status.with(|s| {
            s.as_ref()
                .map_or("Starting…".to_string(), |s| s.summary.clone())
        })
    };
    let detail = move || status.with(|s| s.as_ref().map(|s| s.detail.clone()).unwrap_or_default());
    let forced_cpu = move || state.with(|s| s.backend == BackendChoice::Cpu);
    let toggle = move |ev: leptos::ev::Event| {
        let backend = if event_target_checked(&ev) {
            BackendChoice::Cpu
        } else {
            BackendChoice::Auto
        };
        // "Starting…" until the engine says which backend answers the new choice.
        status.set(None);
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
