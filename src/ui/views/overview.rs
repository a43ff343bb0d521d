//! The all-heads overview and what training won back, head by head.

use super::*;

/// Every head of every kept layer at once: per head, the largest mean total variation of the
/// chosen maps from softmax, so it shows where each map fails. Selecting one opens it.
#[component]
pub(super) fn HeadsOverview(
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
                        // Its name is what it shows (L0.H2 and the worst TV); the rest is its description.
                        let label = format!("layer {layer} head {head}: mean TV {badge}");
                        view! {
                            <button class="thumb" class:selected=layer == layer_now && head == head_now style=style
                                title=label
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
            <p class="explain">"Per head, the largest mean total variation between softmax and the chosen maps (0: identical, 1: disjoint; above 1 only for a map whose weights can go negative: identity and trig RFF); the outline runs from dark (close) to light (far). Select a head to open it."</p>
            {grid}
            {won_back}
        </section>
    }
}

/// What training won back, head by head: trained Hedgehog's mean TV against the best of the
/// other chosen maps (untrained Hedgehog included), on the current text.
#[component]
pub(super) fn WonBackTable(won_back: Option<Arc<WonBack>>) -> impl IntoView {
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
