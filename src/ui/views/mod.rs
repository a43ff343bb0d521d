//! The five views, one file each, linked by the hovered token; each sits next to a short
//! explanation with its formula. They draw what the engine answered and compute nothing.

use std::sync::Arc;

use leptos::prelude::*;
use ndarray::Array2;

use super::Analysis;
use super::client::{EngineLink, Overview};
use super::plot::{
    Chart, ChartPlot, ColourScale, Heatmap, MatrixPlot, Series, fmt, keep, keep_rows,
};
use crate::engine::protocol::Task;
use crate::engine::report::{OVERVIEW_LIMIT, SPECTRUM_LIMIT};
use crate::engine::session::{AGAINST_M_SEEDS, SWEEP_LENGTHS};
use crate::engine::summary::{MapSummary, WonBack};
use crate::metrics::KernelComparison;
use crate::state::{AppState, View};

mod cost;
mod errors;
mod kernel;
mod maps;
mod overview;
mod spread;

use cost::CostView;
use errors::ErrorsView;
use kernel::KernelView;
use maps::MapsView;
use spread::SpreadView;

#[component]
pub fn ViewTabs(state: RwSignal<AppState>) -> impl IntoView {
    let tabs = View::ALL
        .into_iter()
        .map(|view| {
            let selected = move || state.with(|s| s.view == view);
            view! {
                <button role="tab" class="tab" data-testid=format!("tab-{}", view.as_str())
                    aria-selected=move || selected().to_string() class:selected=selected
                    on:click=move |_| state.update(|s| s.view = view)>
                    {view.label()}
                </button>
            }
        })
        .collect_view();
    view! { <nav class="tabs" role="tablist" aria-label="Views">{tabs}</nav> }
}

/// The view the state names.
#[component]
pub fn ActiveView(
    analysis: Analysis,
    state: RwSignal<AppState>,
    hovered: RwSignal<Option<usize>>,
    engine: EngineLink,
    overview_wanted: RwSignal<bool>,
) -> impl IntoView {
    let view = state.with_untracked(|s| s.view);
    let compute_ms = format!("{:.1}", analysis.compute_ms);
    let model_ms = format!("{:.2}", analysis.model_ms);
    let on_gpu = analysis.on_gpu;
    let (layer, head) = analysis.head;
    let query = analysis.query.clone();
    let body = match view {
        View::Maps => {
            view! { <MapsView analysis=analysis hovered=hovered state=state engine=engine overview_wanted=overview_wanted /> }
                .into_any()
        }
        View::Kernel => {
            view! { <KernelView analysis=analysis hovered=hovered state=state engine=engine /> }.into_any()
        }
        View::Errors => view! { <ErrorsView analysis=analysis hovered=hovered /> }.into_any(),
        View::Spread => {
            view! { <SpreadView analysis=analysis state=state engine=engine /> }.into_any()
        }
        View::Cost => view! { <CostView analysis=analysis engine=engine /> }.into_any(),
    };
    let path = if on_gpu { "webgpu" } else { "cpu" };
    view! {
        <section class="view" role="tabpanel" data-testid=format!("view-{}", view.as_str()) data-path=path
            data-head=format!("{layer}.{head}") data-state=query data-compute-ms=compute_ms data-model-ms=model_ms>
            {body}
        </section>
    }
}

/// The labels and token indices of the shown rows and columns.
fn axis(analysis: &Analysis) -> (Arc<Vec<String>>, Arc<Vec<usize>>) {
    let labels = analysis.tokens.labels();
    let kept = analysis.kept.clone();
    let shown = kept
        .iter()
        .map(|&i| labels.get(i).cloned().unwrap_or_default())
        .collect();
    (Arc::new(shown), kept)
}

fn token_plot(
    analysis: &Analysis,
    title: String,
    values: &Array2<f64>,
    scale: ColourScale,
    unit: &'static str,
    testid: String,
) -> MatrixPlot {
    let (labels, kept) = axis(analysis);
    MatrixPlot {
        title,
        values: Arc::new(keep(values, &kept)),
        row_labels: labels.clone(),
        col_labels: labels,
        row_tokens: Some(kept.clone()),
        col_tokens: Some(kept),
        scale,
        row_axis: "query token",
        col_axis: "key token",
        unit,
        testid,
    }
}

/// A map's mean KL over the rows where it is finite, and how many rows it is infinite on
/// (a row where the map gives no weight to a key softmax attends to); of `rows` in all.
fn kl_text(m: &MapSummary, rows: usize) -> String {
    match m.infinite_kl_rows {
        0 => fmt(m.mean_kl),
        all if all >= rows => format!("∞ (all {all} rows)"),
        1 => format!("{} (+1 row ∞)", fmt(m.mean_kl)),
        some => format!("{} (+{some} rows ∞)", fmt(m.mean_kl)),
    }
}

/// The read-outs of one map, as printed under it.
fn summary_text(analysis: &Analysis, key: &str) -> String {
    let Some(m) = analysis.summary.maps.iter().find(|m| m.key == key) else {
        return String::new();
    };
    let mut s = format!(
        "mean entropy {} nats · mean KL {} · mean TV {} · output error {} (relative)",
        fmt(m.mean_entropy),
        kl_text(m, analysis.report.n),
        fmt(m.mean_tv),
        fmt(m.output_error),
    );
    if m.degenerate_rows > 0 {
        s.push_str(&format!(
            " · {} rows had a vanishing normaliser and are shown uniform",
            m.degenerate_rows
        ));
    }
    s
}

/// "Working: … (2 of 3)" while the engine's long work for this analysis runs, or why it
/// cannot be done.
fn progress_note(engine: EngineLink, id: u64, task: Task) -> impl IntoView {
    move || {
        let unavailable = engine
            .unavailable
            .get()
            .filter(|(at, t, _)| *at == id && *t == task);
        if let Some((_, _, why)) = unavailable {
            return Some(
                view! {
                    <p class="error" role="alert" data-testid=format!("unavailable-{}", task_slug(task))>
                        {format!("Not available: {why}")}
                    </p>
                }
                .into_any(),
            );
        }
        engine.progress.get().and_then(|(at, t, done, total)| {
            (at == id && t == task && done < total).then(|| {
                view! {
                    <p class="pending" role="status" data-testid=format!("progress-{}", task_slug(task))>
                        {format!("Working: {} ({done} of {total} done)…", task.label())}
                    </p>
                }
                .into_any()
            })
        })
    }
}

fn task_slug(task: Task) -> &'static str {
    match task {
        Task::Overview => "overview",
        Task::Spread => "spread",
        Task::AgainstM => "against-m",
        Task::Sweep => "sweep",
    }
}

/// A view's formula in MathML beside the few sentences that say what to look at.
#[component]
fn Explained(formula: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=formula></div>
            <p class="explain">{children()}</p>
        </div>
    }
}
