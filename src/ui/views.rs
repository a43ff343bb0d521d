//! The five views, side by side in the page and linked by the hovered token. Each sits next to
//! a short explanation with its formula.

use std::sync::Arc;

use leptos::prelude::*;
use ndarray::Array2;

use super::Analysis;
use super::client::{EngineLink, Overview};
use super::plot::{
    Chart, ChartPlot, ColourScale, Heatmap, MatrixPlot, Series, fmt, keep, keep_rows,
};
use crate::engine::protocol::Task;
use crate::engine::report::{MapReport, OVERVIEW_LIMIT, SPECTRUM_LIMIT};
use crate::engine::session::{AGAINST_M_SEEDS, SWEEP_LENGTHS};
use crate::engine::summary::WonBack;
use crate::metrics::KernelComparison;
use crate::state::{AppState, View};

const SOFTMAX_FORMULA: &str = r#"<math display="block"><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mfrac><mrow><mi>exp</mi><mo>(</mo><mi>s</mi><msub><mi>q</mi><mi>i</mi></msub><mo>·</mo><msub><mi>k</mi><mi>j</mi></msub><mo>)</mo></mrow><mrow><msub><mo>∑</mo><mi>l</mi></msub><mi>exp</mi><mo>(</mo><mi>s</mi><msub><mi>q</mi><mi>i</mi></msub><mo>·</mo><msub><mi>k</mi><mi>l</mi></msub><mo>)</mo></mrow></mfrac><mspace width="2em"/><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mfrac><mrow><mi>φ</mi><mo>(</mo><msub><mi>q</mi><mi>i</mi></msub><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><msub><mi>k</mi><mi>j</mi></msub><mo>)</mo></mrow><mrow><msub><mo>∑</mo><mi>l</mi></msub><mi>φ</mi><mo>(</mo><msub><mi>q</mi><mi>i</mi></msub><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><msub><mi>k</mi><mi>l</mi></msub><mo>)</mo></mrow></mfrac></math>"#;
const KERNEL_FORMULA: &str = r#"<math display="block"><mi>exp</mi><mo>(</mo><mi>s</mi><mi>q</mi><mo>·</mo><mi>k</mi><mo>)</mo><mo>≈</mo><mi>φ</mi><mo>(</mo><mi>q</mi><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><mi>k</mi><mo>)</mo></math>"#;
const ERROR_FORMULA: &str = r#"<math display="block"><mi>KL</mi><mo>(</mo><msub><mi>A</mi><mi>i</mi></msub><mo>‖</mo><msub><mover><mi>A</mi><mo>^</mo></mover><mi>i</mi></msub><mo>)</mo><mo>=</mo><msub><mo>∑</mo><mi>j</mi></msub><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mi>ln</mi><mfrac><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub></mfrac><mspace width="1.5em"/><mi>TV</mi><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msub><mo>∑</mo><mi>j</mi></msub><mo>|</mo><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>−</mo><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>|</mo></math>"#;
const SPREAD_FORMULA: &str = r#"<math display="block"><mfrac><mrow><mo>‖</mo><msup><mi>H</mi><mi>l</mi></msup><mo>−</mo><msup><mover><mi>H</mi><mo>^</mo></mover><mi>l</mi></msup><msub><mo>‖</mo><mi>F</mi></msub></mrow><mrow><mo>‖</mo><msup><mi>H</mi><mi>l</mi></msup><msub><mo>‖</mo><mi>F</mi></msub></mrow></mfrac></math>"#;
const COST_FORMULA: &str = r#"<math display="block"><msub><mi>C</mi><mi>softmax</mi></msub><mo>≈</mo><mn>4</mn><msup><mi>N</mi><mn>2</mn></msup><mi>d</mi><mspace width="2em"/><msub><mi>C</mi><mi>linear</mi></msub><mo>≈</mo><mn>4</mn><mi>N</mi><mi>d</mi><mi>m</mi></math>"#;

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
            data-head=format!("{layer}.{head}") data-state=query data-compute-ms=compute_ms>
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

/// The read-outs of one map, as printed under it.
fn summary_text(analysis: &Analysis, key: &str) -> String {
    let Some(m) = analysis.summary.maps.iter().find(|m| m.key == key) else {
        return String::new();
    };
    let mut s = format!(
        "mean entropy {} nats · mean KL {}{} · mean TV {} · output error {} (relative)",
        fmt(m.mean_entropy),
        fmt(m.mean_kl),
        if m.infinite_kl_rows > 0 {
            format!(" (+{} rows ∞)", m.infinite_kl_rows)
        } else {
            String::new()
        },
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

fn map_slug(m: &MapReport) -> &str {
    &m.key
}

/// "Working: … (2 of 3)" while the engine's long work for this analysis runs.
fn progress_note(engine: EngineLink, id: u64, task: Task) -> impl IntoView {
    move || {
        engine.progress.get().and_then(|(at, t, done, total)| {
            (at == id && t == task).then(|| {
                view! {
                    <p class="pending" role="status" data-testid=format!("progress-{}", task_slug(task))>
                        {format!("Working: {} ({done} of {total} done)…", task.label())}
                    </p>
                }
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

#[component]
fn MapsView(
    analysis: Analysis,
    hovered: RwSignal<Option<usize>>,
    state: RwSignal<AppState>,
    engine: EngineLink,
    overview_wanted: RwSignal<bool>,
) -> impl IntoView {
    let r = analysis.report.clone();
    let top = r.largest_weight();
    let scale = ColourScale::Sequential { lo: 0.0, hi: top };
    let softmax = token_plot(
        &analysis,
        "softmax".into(),
        &r.softmax.weights,
        scale,
        "weight",
        "map-softmax".into(),
    );
    let maps = r
        .maps
        .iter()
        .map(|m| {
            let plot = token_plot(
                &analysis,
                m.name.clone(),
                &m.attention.weights,
                scale,
                "weight",
                format!("map-{}", map_slug(m)),
            );
            view! {
                <div class="card">
                    <Heatmap plot=plot hovered=hovered />
                    <div class="formula" inner_html=m.formula.clone()></div>
                    <p class="stats" data-testid=format!("stats-{}", map_slug(m))>{summary_text(&analysis, &m.key)}</p>
                </div>
            }
        })
        .collect_view();
    let hidden_note = (analysis.kept.len() < analysis.tokens.tokens.len())
        .then_some("[CLS] and [SEP] are hidden, so rows no longer sum to 1.");
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=SOFTMAX_FORMULA></div>
            <p class="explain">
                "Softmax weights (left) against each linear map, on one colour scale. Softmax is sharp: it puts most of a row's weight on a few keys. "
                "Linear maps are diffuse: their weights spread over many keys (higher entropy), the “attention dilution” that costs linear attention its accuracy. "
                {hidden_note}
            </p>
        </div>
        <div class="cards">
            <div class="card">
                <Heatmap plot=softmax hovered=hovered />
                <p class="stats" data-testid="stats-softmax">{format!("mean entropy {} nats", fmt(analysis.summary.softmax_mean_entropy))}</p>
            </div>
            {maps}
        </div>
        <HeadsOverview state=state wanted=overview_wanted n=analysis.tokens.tokens.len() engine=engine id=analysis.id />
    }
}

/// Every head of every kept layer at once: per head, the largest mean total variation of the
/// chosen maps from softmax, so it shows where each map fails. Selecting one opens it.
#[component]
fn HeadsOverview(
    state: RwSignal<AppState>,
    wanted: RwSignal<bool>,
    n: usize,
    engine: EngineLink,
    /// The analysis this overview belongs to.
    id: u64,
) -> impl IntoView {
    let compared = move || {
        engine
            .overview
            .get()
            .filter(|(at, _)| *at == id)
            .map(|(_, overview)| overview)
    };
    let path = move || match compared() {
        Some(o) if o.on_gpu => "webgpu",
        Some(_) => "cpu",
        None => "",
    };
    let computed = n <= crate::engine::report::OVERVIEW_AUTO || wanted.get_untracked();
    let grid = move || {
        let Some(Overview { layers, .. }) = compared() else {
            if computed && n <= OVERVIEW_LIMIT {
                return view! { <p class="pending">"Comparing every head…"</p> {progress_note(engine, id, Task::Overview)} }.into_any();
            }
            return if n <= OVERVIEW_LIMIT {
                view! {
                    <button data-testid="compute-overview" on:click=move |_| wanted.set(true)>
                        {format!("Compare every head ({n} tokens: this takes a moment)")}
                    </button>
                }
                .into_any()
            } else {
                view! { <p class="explain">{format!("The all-heads overview is computed for texts of up to {OVERVIEW_LIMIT} tokens (this one has {n}).")}</p> }.into_any()
            };
        };
        let (layer_now, head_now) = state.with_untracked(|s| (s.layer, s.head));
        layers
            .iter()
            .enumerate()
            .map(|(layer, heads)| {
                let cells = heads
                    .iter()
                    .enumerate()
                    .map(|(head, tvs)| {
                        let worst = tvs.iter().map(|x| x.1).fold(0.0, f64::max);
                        let badge = tvs.iter().map(|(n, tv)| format!("{n} {}", fmt(*tv))).collect::<Vec<_>>().join(" · ");
                        let colour = ColourScale::Sequential { lo: 0.0, hi: 1.0 }.colour(worst);
                        let style = format!("border-color: rgb({},{},{})", colour.r, colour.g, colour.b);
                        let label = format!("layer {layer} head {head}: mean TV {badge}");
                        view! {
                            <button class="thumb" class:selected=layer == layer_now && head == head_now style=style
                                title=label.clone() aria-label=label
                                data-testid=format!("thumb-{layer}-{head}") data-worst-tv=format!("{worst}")
                                on:click=move |_| state.update(|s| { s.layer = layer; s.head = head; })>
                                <span class="thumb-name">{format!("L{layer}.H{head}")}</span>
                                <span class="thumb-tv">{fmt(worst)}</span>
                            </button>
                        }
                    })
                    .collect_view();
                view! { <div class="thumb-row">{cells}</div> }
            })
            .collect_view()
            .into_any()
    };
    let won_back =
        move || compared().map(|overview| view! { <WonBackTable won_back=overview.won_back /> });
    view! {
        <section class="overview" aria-labelledby="overview-title" data-testid="overview" data-path=path>
            <h3 id="overview-title">"All heads"</h3>
            <p class="explain">"Per head, the largest mean total variation between softmax and the chosen maps (0: identical, 1: disjoint); the outline runs from dark (close) to light (far). Select a head to open it."</p>
            {grid}
            {won_back}
        </section>
    }
}

/// What training won back, head by head: trained Hedgehog's mean TV against the best of the
/// other chosen maps (untrained Hedgehog included), on the current text.
#[component]
fn WonBackTable(won_back: Option<Arc<WonBack>>) -> impl IntoView {
    let Some(won) = won_back else {
        return view! {
            <p class="explain" data-testid="won-back-hint">"Choose trained Hedgehog and at least one other map to see, head by head, what training wins back."</p>
        }
        .into_any();
    };
    let summary = format!(
        "On this text, trained Hedgehog's mean TV is {} against {} for the best other chosen map per head; it is closer to softmax on {} of {} heads.",
        fmt(won.mean_trained),
        fmt(won.mean_best_other),
        won.closer,
        won.rows.len()
    );
    let body = won
        .rows
        .iter()
        .map(|row| {
            let ratio = if row.best_tv > 0.0 {
                fmt(row.trained_tv / row.best_tv)
            } else {
                "–".to_string()
            };
            let (layer, head) = (row.layer, row.head);
            view! {
                <tr data-testid=format!("won-back-{layer}-{head}") class:named=!row.role.is_empty()>
                    <th scope="row">{format!("L{layer}.H{head}")}</th>
                    <td>{row.role.clone()}</td>
                    <td>{fmt(row.trained_tv)}</td>
                    <td>{format!("{} {}", row.best_name, fmt(row.best_tv))}</td>
                    <td>{ratio}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="won-back" data-testid="won-back">
            <h4>"What training wins back"</h4>
            <p class="explain">{summary}</p>
            <div class="formula" inner_html=HEDGEHOG_FORMULA></div>
            <div class="table-scroll" tabindex="0" role="region" aria-label="trained Hedgehog against the best other map, per head">
                <table class="won-back-table">
                    <thead><tr><th scope="col">"head"</th><th scope="col">"role"</th><th scope="col">"Hedgehog TV"</th><th scope="col">"best other map, TV"</th><th scope="col">"Hedgehog ÷ best"</th></tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

/// Hedgehog's map and what it is trained for, in MathML.
const HEDGEHOG_FORMULA: &str = "<math display=\"block\"><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>[</mo><msup><mi>e</mi><mrow><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi></mrow></msup><mo>,</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>W</mi><mi>x</mi><mo>−</mo><mi>b</mi></mrow></msup><mo>]</mo><mo>,</mo><mspace width=\"1em\"></mspace><munder><mi>min</mi><mrow><mi>W</mi><mo>,</mo><mi>b</mi></mrow></munder><munder><mo>∑</mo><mi>i</mi></munder><mi>CE</mi><mo>(</mo><msub><mi>A</mi><mi>i</mi></msub><mo>,</mo><msub><mover><mi>A</mi><mo>^</mo></mover><mi>i</mi></msub><mo>)</mo></math>";

/// Kernel pairs for the scatter: all of them for short texts, an even sample for long ones.
fn kernel_points(kernel: &KernelComparison, kept: &[usize]) -> Vec<(f64, f64)> {
    let pairs: Vec<(usize, usize)> = kept
        .iter()
        .flat_map(|&i| kept.iter().map(move |&j| (i, j)))
        .collect();
    let step = (pairs.len() / 4096).max(1);
    pairs
        .into_iter()
        .step_by(step)
        .map(|(i, j)| (kernel.exact[[i, j]], kernel.approx[[i, j]]))
        .collect()
}

#[component]
fn KernelView(
    analysis: Analysis,
    hovered: RwSignal<Option<usize>>,
    state: RwSignal<AppState>,
    engine: EngineLink,
) -> impl IntoView {
    let id = analysis.id;
    let r = analysis.report.clone();
    let s = state.get_untracked();
    let (labels, kept) = axis(&analysis);
    let cards = r
        .maps
        .iter()
        .map(|m| {
            let Some(kernel) = m.kernel.as_ref() else {
                return view! { <p class="explain">"The kernel pairs are computed on this view only."</p> }.into_any();
            };
            let points = kernel_points(kernel, &kept);
            let below = points.iter().filter(|p| p.1 <= 0.0).count();
            let scatter = ChartPlot {
                title: format!("{}: exact against approximate kernel", m.name),
                x_label: "exp(s q·k)".into(),
                y_label: "φ(q)·φ(k)".into(),
                series: vec![Series::dots(m.name.clone(), points)],
                log_x: true,
                log_y: true,
                diagonal: true,
                markers: vec![],
                testid: format!("kernel-{}", map_slug(m)),
            };
            let features = keep_rows(&m.query_features, &kept);
            let signed = features.iter().any(|&x| x < 0.0);
            let limit = features.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
            let scale = if signed { ColourScale::Diverging { limit } } else { ColourScale::Sequential { lo: 0.0, hi: limit } };
            let feature_plot = MatrixPlot {
                title: format!("φ(q) of {} ({} features)", m.name, m.feature_dim),
                values: Arc::new(features),
                row_labels: labels.clone(),
                col_labels: Arc::new((0..m.feature_dim).map(|c| c.to_string()).collect()),
                row_tokens: Some(kept.clone()),
                col_tokens: None,
                scale,
                row_axis: "query token",
                col_axis: "feature",
                unit: "φ (row-scaled)",
                testid: format!("features-{}", map_slug(m)),
            };
            let (key, name, chosen_m) = (m.key.clone(), m.name.clone(), s.m);
            let random = crate::state::MapKey::parse(&key).is_some_and(|k| k.is_random());
            let against_m = move || {
                let series = engine.against_m.with(|a| {
                    a.as_ref()
                        .filter(|(at, _)| *at == id)
                        .and_then(|(_, all)| all.iter().find(|x| x.key == key).cloned())
                });
                match series {
                    Some(series) => {
                        let sweep = series.points;
                        let plot = ChartPlot {
                            title: format!("{name}: kernel error against m ({AGAINST_M_SEEDS} seeds)"),
                            x_label: "m".into(),
                            y_label: "‖K̂ − K‖ / ‖K‖".into(),
                            series: vec![Series {
                                name: "mean ± sd".into(),
                                points: sweep.iter().map(|e| (e.m as f64, e.mean)).collect(),
                                band: Some(sweep.iter().map(|e| (e.m as f64, (e.mean - e.spread).max(1e-12), e.mean + e.spread)).collect()),
                                scatter: false,
                            }],
                            log_x: true,
                            log_y: true,
                            diagonal: false,
                            markers: vec![(chosen_m as f64, format!("m = {chosen_m}"))],
                            testid: format!("error-m-{key}"),
                        };
                        view! { <Chart plot=plot /> }.into_any()
                    }
                    None if random => progress_note(engine, id, Task::AgainstM).into_any(),
                    None => ().into_any(),
                }
            };
            view! {
                <div class="card">
                    <Chart plot=scatter />
                    <p class="stats">{format!(
                        "relative error {} · correlation {} · {} pairs ≤ 0 (hollow, on the axis){}",
                        fmt(kernel.relative_frobenius), fmt(kernel.correlation), below,
                        if kernel.overflowed > 0 { format!(" · {} pairs overflow f64", kernel.overflowed) } else { String::new() }
                    )}</p>
                    <Heatmap plot=feature_plot hovered=hovered />
                    {against_m}
                </div>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=KERNEL_FORMULA></div>
            <p class="explain">
                "Each point is one query–key pair: the exact softmax kernel against the map's estimate, on log axes, with the line y = x. "
                "Random features (Performer, trig) are unbiased, but their error shrinks only like 1/√m and is largest where the kernel is largest, on the pairs that matter most. "
                "Trig features can even go negative (hollow points on the axis). Fixed maps (elu+1, ReLU) do not estimate this kernel at all."
            </p>
        </div>
        <div class="cards">{cards}</div>
    }
}

#[component]
fn ErrorsView(analysis: Analysis, hovered: RwSignal<Option<usize>>) -> impl IntoView {
    let r = analysis.report.clone();
    let kept = analysis.kept.clone();
    let rows_of = |v: &[f64]| -> Vec<(f64, f64)> {
        kept.iter()
            .map(|&i| (i as f64, v.get(i).copied().unwrap_or(f64::NAN)))
            .collect()
    };
    let cards = r
        .maps
        .iter()
        .map(|m| {
            let largest = m.errors.absolute.iter().fold(0.0f64, |a, &x| a.max(x));
            let abs = token_plot(&analysis, format!("|A − Â|, {}", m.name), &m.errors.absolute, ColourScale::Sequential { lo: 0.0, hi: largest }, "|ΔA|", format!("abs-{}", map_slug(m)));
            let signed = token_plot(&analysis, format!("Â − A, {}", m.name), &m.errors.signed, ColourScale::Diverging { limit: largest }, "ΔA", format!("signed-{}", map_slug(m)));
            let per_row = ChartPlot {
                title: format!("{}: per query row", m.name),
                x_label: "query token".into(),
                y_label: "nats / TV".into(),
                series: vec![
                    Series::line("KL(A‖Â)", rows_of(&m.rows.kl)),
                    Series::line("TV", rows_of(&m.rows.tv)),
                    Series::line("entropy softmax", rows_of(&r.softmax_entropy)),
                    Series::line(format!("entropy {}", m.name), rows_of(&m.rows.entropy_linear)),
                ],
                log_x: false,
                log_y: false,
                diagonal: false,
                markers: vec![],
                testid: format!("rows-{}", map_slug(m)),
            };
            let spectrum = m.spectrum.as_ref().zip(r.softmax_spectrum.as_ref()).map(|(lin, soft)| {
                let points = |s: &[f64]| s.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect();
                ChartPlot {
                    title: format!("singular values: effective rank {} (softmax {}), rank {} (softmax {})",
                        fmt(lin.effective_rank), fmt(soft.effective_rank), lin.numerical_rank, soft.numerical_rank),
                    x_label: "index".into(),
                    y_label: "σ".into(),
                    series: vec![
                        Series::line("softmax", points(&soft.singular_values)),
                        Series::line(m.name.clone(), points(&lin.singular_values)),
                    ],
                    log_x: false,
                    log_y: true,
                    diagonal: false,
                    markers: vec![(m.feature_dim as f64, format!("feature dim {}", m.feature_dim))],
                    testid: format!("spectrum-{}", map_slug(m)),
                }
            });
            view! {
                <div class="card">
                    <Heatmap plot=abs hovered=hovered />
                    <Heatmap plot=signed hovered=hovered />
                    <Chart plot=per_row />
                    {match spectrum {
                        Some(plot) => view! { <Chart plot=plot /> }.into_any(),
                        None => view! { <p class="explain">{format!("Spectra are computed for up to {SPECTRUM_LIMIT} tokens.")}</p> }.into_any(),
                    }}
                    <p class="stats">{summary_text(&analysis, &m.key)}</p>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=ERROR_FORMULA></div>
            <p class="explain">
                "Where each map goes wrong: the absolute and signed difference from softmax (orange: the map gives more weight, purple: less), "
                "per-row KL, total variation and entropy, and the singular values. A linear map has rank at most its feature dimension; softmax is full rank."
            </p>
        </div>
        <div class="cards">{cards}</div>
    }
}

#[component]
fn SpreadView(analysis: Analysis, state: RwSignal<AppState>, engine: EngineLink) -> impl IntoView {
    let s = state.get_untracked();
    let id = analysis.id;
    let rows = move || {
        engine
            .spread
            .get()
            .filter(|(at, _)| *at == id)
            .map(|(_, rows)| rows)
            .unwrap_or_default()
    };
    let layer = s.layer;
    let chart = move || {
        let series = rows()
            .into_iter()
            .filter_map(|row| {
                let spread = row.spread.ok()?;
                Some(Series::line(
                    spread.name,
                    spread
                        .hidden_change
                        .iter()
                        .map(|&(l, c)| (l as f64, c))
                        .collect(),
                ))
            })
            .collect();
        let plot = ChartPlot {
            title: format!("softmax swapped for each map in layer {layer}"),
            x_label: "layer".into(),
            y_label: "‖H − Ĥ‖ / ‖H‖".into(),
            series,
            log_x: false,
            log_y: false,
            diagonal: false,
            markers: vec![],
            testid: "spread-chart".into(),
        };
        view! { <Chart plot=plot /> }
    };
    let table = move || {
        rows()
            .into_iter()
            .map(|row| match row.spread {
                Ok(spread) => view! {
                    <tr data-testid=format!("spread-{}", row.key)>
                        <td>{spread.name.clone()}</td>
                        {spread.hidden_change.iter().map(|(l, c)| view! { <td>{format!("layer {l}: {}", fmt(*c))}</td> }).collect_view()}
                        <td>{fmt(spread.sentence_cosine)}</td>
                    </tr>
                }
                .into_any(),
                Err(e) => view! { <tr><td>{row.name}</td><td>{e}</td></tr> }.into_any(),
            })
            .collect_view()
    };
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=SPREAD_FORMULA></div>
            <p class="explain">
                "Swap one layer's softmax for a linear map and run the rest of the model unchanged: the hidden states of that layer and every later one move, "
                "and so does the mean-pooled sentence vector (cosine 1: unchanged). Choose the layer above."
            </p>
        </div>
        {progress_note(engine, id, Task::Spread)}
        {chart}
        <table class="spread" data-testid="spread-table">
            <thead><tr><th>"map"</th><th colspan="3">"relative change of the hidden states"</th><th>"sentence cosine"</th></tr></thead>
            <tbody>{table}</tbody>
        </table>
    }
}

/// Softmax against each chosen map as N grows, measured on this device's active engine.
#[component]
fn MeasuredSweep(engine: EngineLink, query: String) -> impl IntoView {
    let start = move |_| engine.ask(query.clone(), false, true);
    let chart = move || {
        engine.sweep.get().map(|run| {
            let measured = run.points;
            let on_gpu = run.on_gpu;
            let mut names: Vec<String> = Vec::new();
            for p in &measured {
                if !names.contains(&p.work) {
                    names.push(p.work.clone());
                }
            }
            let series = names
                .iter()
                .map(|name| {
                    Series::line(
                        name.clone(),
                        measured
                            .iter()
                            .filter(|p| &p.work == name)
                            .map(|p| (p.n as f64, p.ms))
                            .collect(),
                    )
                })
                .collect();
            let markers = run
                .crossovers
                .iter()
                .filter_map(|(name, at)| {
                    at.map(|at| (at as f64, format!("{name} faster from N = {at}")))
                })
                .collect();
            let plot = ChartPlot {
                title: format!(
                    "measured on this device ({}), d = 32",
                    if on_gpu { "WebGPU" } else { "CPU" }
                ),
                x_label: "tokens N".into(),
                y_label: "ms".into(),
                series,
                log_x: true,
                log_y: true,
                diagonal: false,
                markers,
                testid: "cost-measured".into(),
            };
            view! { <Chart plot=plot /> }
        })
    };
    view! {
        <div class="card">
            <p class="explain">
                {format!("Time softmax (streaming, outputs only) against each chosen map's O(N) recurrent form, N = {} to {}, on the active engine, end to end. ", SWEEP_LENGTHS[0], SWEEP_LENGTHS[SWEEP_LENGTHS.len() - 1])}
                "The crossover marks where a map becomes faster."
            </p>
            <button data-testid="measure" on:click=start disabled=move || engine.sweeping.get()>
                {move || if engine.sweeping.get() { "Measuring…" } else { "Measure on this device" }}
            </button>
            {move || engine.sweeping.get().then(|| progress_note(engine, engine.analysis.with(|a| a.as_ref().and_then(|a| a.as_ref().ok()).map_or(0, |a| a.id)), Task::Sweep))}
            {chart}
        </div>
    }
}

#[component]
fn CostView(analysis: Analysis, engine: EngineLink) -> impl IntoView {
    let cost = analysis.cost.clone();
    let points = |flops: &[f64]| -> Vec<(f64, f64)> {
        cost.lengths
            .iter()
            .copied()
            .zip(flops.iter().copied())
            .collect()
    };
    let series = std::iter::once(Series::line("softmax", points(&cost.softmax_flops)))
        .chain(
            cost.maps
                .iter()
                .map(|m| Series::line(m.name.clone(), points(&m.flops))),
        )
        .collect();
    let markers = cost
        .maps
        .iter()
        .map(|m| {
            (
                m.breaks_even_at as f64,
                format!("{} breaks even at N = {}", m.name, m.breaks_even_at),
            )
        })
        .collect();
    let flops = ChartPlot {
        title: format!("cost of one head, d = {}", cost.d),
        x_label: "tokens N".into(),
        y_label: "FLOPs".into(),
        series,
        log_x: true,
        log_y: true,
        diagonal: false,
        markers,
        testid: "cost-flops".into(),
    };
    let tradeoff = ChartPlot {
        title: format!("error against cost at this text's N = {}", cost.n),
        x_label: "FLOPs".into(),
        y_label: "mean TV".into(),
        series: cost
            .maps
            .iter()
            .map(|m| Series::dots(m.name.clone(), vec![(m.flops_here, m.mean_tv)]))
            .chain(std::iter::once(Series::dots(
                "softmax",
                vec![(cost.softmax_flops_here, 0.0)],
            )))
            .collect(),
        log_x: true,
        log_y: false,
        diagonal: false,
        markers: vec![],
        testid: "cost-tradeoff".into(),
    };
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=COST_FORMULA></div>
            <p class="explain">
                "Softmax costs grow with N², linear attention with N·m: the linear form pays off only past N ≈ m (the marked crossovers). "
                "Below that, softmax is both cheaper and exact. Measure both on this device below; the project's README has native timings to N = 16384."
            </p>
        </div>
        <div class="cards">
            <div class="card"><Chart plot=flops /></div>
            <div class="card"><Chart plot=tradeoff /></div>
            <MeasuredSweep engine=engine query=analysis.query.clone() />
        </div>
    }
}
