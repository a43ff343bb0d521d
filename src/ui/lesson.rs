//! The lesson panel: the step's title and explanation, sentences whose numbers come live from
//! the engine's answers for whatever text is there, and the way to the previous and next step
//! or out into the explorer with the state kept.
//!
//! Every number sits in a `.live` span with its exact value (`data-value`) and where the page
//! draws the same number (`data-check`), so the tests can hold the prose to the report.

use leptos::prelude::*;

use super::client::EngineLink;
use super::{Analysis, plot::fmt};
use crate::lesson::{Facts, STEPS, step};
use crate::state::AppState;

/// A number in a sentence: shown rounded, carried exactly, with where else it is drawn.
fn live(value: f64, check: String) -> AnyView {
    view! { <span class="live" data-value=value.to_string() data-check=check>{fmt(value)}</span> }
        .into_any()
}

/// A token as the sentence quotes it.
fn quoted(analysis: &Analysis, index: usize) -> String {
    let piece = analysis
        .tokens
        .tokens
        .get(index)
        .map_or("?", |t| t.piece.as_str());
    format!("“{piece}” (token {index})")
}

#[component]
pub fn LessonPanel(
    state: RwSignal<AppState>,
    analysis: Signal<Option<Analysis>>,
    engine: EngineLink,
) -> impl IntoView {
    let number = move || state.with(|s| s.lesson).unwrap_or(1);
    let go = move |to: usize| {
        state.update(|s| {
            // A step's own state, with the reader's engine choice and embedding kept.
            *s = AppState {
                backend: s.backend,
                embed: s.embed,
                ..AppState::lesson_base(Some(to))
            }
        })
    };
    let leave = move |_| state.update(|s| s.lesson = None);
    let at_start = move || number() <= 1;
    let at_end = move || number() >= STEPS.len();
    let contents = move || {
        let n = number();
        step(n).map(|s| {
            view! {
                <p class="lesson-count">{format!("Lesson · step {n} of {}", STEPS.len())}</p>
                <h2 data-testid="lesson-title">{s.title}</h2>
                <p class="lesson-text">{s.explanation}</p>
            }
        })
    };
    let sentences = move || {
        let n = number();
        match analysis.get() {
            Some(a) => step_sentences(n, &a, engine).into_any(),
            None => view! { <p class="pending">"Waiting for the model…"</p> }.into_any(),
        }
    };
    view! {
        <section class="lesson" data-testid="lesson" data-step=number aria-live="polite">
            {contents}
            <div class="lesson-live" data-testid="lesson-live">{sentences}</div>
            <nav class="lesson-nav" aria-label="Lesson steps">
                <button data-testid="lesson-prev" disabled=at_start
                    on:click=move |_| go(number() - 1)>"← Previous"</button>
                <ol class="lesson-steps">
                    {(1..=STEPS.len()).map(|k| view! {
                        <li><button class:current=move || number() == k aria-current=move || (number() == k).then_some("step")
                            data-testid=format!("lesson-step-{k}") title=STEPS[k - 1].title
                            on:click=move |_| go(k)>{k}</button></li>
                    }).collect_view()}
                </ol>
                <button data-testid="lesson-next" disabled=at_end
                    on:click=move |_| go(number() + 1)>"Next →"</button>
                <button data-testid="lesson-leave" class="leave" on:click=leave>"Explore freely"</button>
            </nav>
        </section>
    }
}

/// The live sentences of step `n` for this analysis (and the long work that followed it).
fn step_sentences(n: usize, a: &Analysis, engine: EngineLink) -> impl IntoView + use<> {
    let facts = a.lesson.clone();
    match (n, facts.as_deref()) {
        (
            1,
            Some(Facts::Sharpness {
                row,
                col,
                softmax,
                softmax_entropy,
                maps,
            }),
        ) => {
            let (row, col) = (*row, *col);
            let sharp = *softmax >= 0.5;
            let shares = maps
                .iter()
                .map(|m| {
                    view! { <li>{format!("{} gives it ", m.name)}{live(m.weight, format!("map-{}:{row}:{col}", m.key))}
                        {" (mean row entropy "}{live(m.mean_entropy, format!("compare-{}:entropy", m.key))}{" nats)"}</li> }
                })
                .collect_view();
            view! {
                <p data-testid="lesson-sentence">
                    {format!("Softmax gives {} ", quoted(a, row))}
                    {live(*softmax, format!("map-softmax:{row}:{col}"))}
                    {format!(" of its attention on {}; its rows have a mean entropy of ", quoted(a, col))}
                    {live(*softmax_entropy, "compare-softmax:entropy".into())}
                    " nats."
                </p>
                <ul class="lesson-list">{shares}</ul>
                {(!sharp).then(|| view! { <p class="honest" data-testid="lesson-honest">
                    "On this text no row of this head is sharp (its largest weight is under 0.5), so dilution has little to take away here; the step's own text shows it."
                </p> })}
            }
            .into_any()
        }
        (2, Some(Facts::RandomFeatures { maps })) => {
            let against_m = engine.against_m.get().filter(|(at, _)| *at == a.id);
            let rows = maps
                .iter()
                .map(|m| {
                    let worse = m.top_error > m.rest_error;
                    let sweep = against_m.as_ref().and_then(|(_, all)| all.iter().find(|s| s.key == m.key)).map(|s| s.points.clone());
                    let falls = sweep.and_then(|p| {
                        let (first, last) = (p.first()?.clone(), p.last()?.clone());
                        Some(view! {
                            {format!(" Over {} seeds its error falls from ", crate::engine::session::AGAINST_M_SEEDS)}
                            {live(first.mean, format!("error-m-{}:0:0", m.key))}
                            {format!(" at m = {} to ", first.m)}
                            {live(last.mean, format!("error-m-{}:0:{}", m.key, p.len() - 1))}
                            {format!(" at m = {}: {}× lower, where 1/√m predicts {}×.", last.m, fmt(first.mean / last.mean), fmt((last.m as f64 / first.m.max(1) as f64).sqrt()))}
                        })
                    });
                    view! {
                        <li>
                            {format!("{}: on the tenth of pairs with the largest exact kernel, its estimate is off by ", m.name)}
                            {live(m.top_error, format!("kernel-top:{}", m.key))}
                            " (relative); on the rest, by "
                            {live(m.rest_error, format!("kernel-rest:{}", m.key))}
                            {if worse { "." } else { ". Here the largest pairs are not its worst: the claim does not show on this head." }}
                            {(m.negative > 0).then(|| format!(" {} of its {} estimates are negative, impossible for a kernel.", m.negative, m.pairs))}
                            {falls}
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="lesson-list" data-testid="lesson-sentence">{rows}</ul> }.into_any()
        }
        (
            3,
            Some(Facts::LowRank {
                n,
                softmax_rank,
                softmax_effective,
                maps,
            }),
        ) => {
            let n = *n;
            let rows = maps
                .iter()
                .map(|m| {
                    let binds = n > m.feature_dim;
                    view! {
                        <li>
                            {format!("{}, with {} features, has rank ", m.name, m.feature_dim)}
                            {live(m.numerical_rank as f64, format!("rank:{}", m.key))}
                            " (effective rank "
                            {live(m.effective_rank, format!("effective-rank:{}", m.key))}
                            {if binds { "): at most its feature count, however long the text." } else { "). This text is no longer than its feature count, so the limit does not bind here; the step's paragraph shows it." }}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <p data-testid="lesson-sentence">
                    {format!("Softmax's map of these {n} tokens has numerical rank ")}
                    {live(*softmax_rank as f64, "rank:softmax".into())}
                    " (effective rank "
                    {live(*softmax_effective, "effective-rank:softmax".into())}
                    ")."
                </p>
                <ul class="lesson-list">{rows}</ul>
            }
            .into_any()
        }
        (4, Some(Facts::Collisions { maps })) => {
            let rows = maps
                .iter()
                .map(|m| {
                    let (i, j) = m.rows;
                    let pulled = m.softmax_tv - m.linear_tv >= 0.1;
                    view! {
                        <li>
                            {format!("Softmax gives {} and {} rows that differ by a total variation of ", quoted(a, i), quoted(a, j))}
                            {live(m.softmax_tv, format!("tv:softmax:{i}:{j}"))}
                            {format!("; {} gives them rows ", m.name)}
                            {live(m.linear_tv, format!("tv:{}:{i}:{j}", m.key))}
                            {if pulled { " apart: it pulls together what softmax keeps apart." } else { " apart. On this text it does not pull any pair much closer than softmax does." }}
                            {(m.exact > 0).then(|| format!(" {} pairs of different queries get exactly the same row.", m.exact))}
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="lesson-list" data-testid="lesson-sentence">{rows}</ul> }.into_any()
        }
        (5, _) => wins_back(a).into_any(),
        (6, _) => {
            let spread = engine.spread.get().filter(|(at, _)| *at == a.id);
            match spread {
                None => {
                    view! { <p class="pending">"Running the model once per map…"</p> }.into_any()
                }
                Some((_, rows)) => {
                    let items = rows
                        .into_iter()
                        .filter_map(|row| {
                            let s = row.spread.ok()?;
                            let (last, change) = *s.hidden_change.last()?;
                            Some(view! {
                                <li>
                                    {format!("With {} in place of softmax, layer {last}'s hidden states move by ", s.name)}
                                    {live(change, format!("spread:{}:{last}", row.key))}
                                    " of their size, and the sentence vector keeps a cosine of "
                                    {live(s.sentence_cosine, format!("cosine:{}", row.key))}
                                    {if change < 0.05 {
                                        " with the exact one: on this text the swap barely reaches the last layer."
                                    } else {
                                        " with the exact one."
                                    }}
                                </li>
                            })
                        })
                        .collect_view();
                    view! { <ul class="lesson-list" data-testid="lesson-sentence">{items}</ul> }
                        .into_any()
                }
            }
        }
        (7, _) => {
            let cost = a.cost.clone();
            let n = cost.n;
            let cheaper = cost.maps.iter().all(|m| n < m.breaks_even_at);
            let items = cost
                .maps
                .iter()
                .map(|m| {
                    view! {
                        <li>
                            {format!("{} costs ", m.name)}
                            {live(m.flops_here, format!("flops:{}", m.key))}
                            " FLOPs here and breaks even with softmax at N = "
                            {live(m.breaks_even_at as f64, format!("breaks-even:{}", m.key))}
                            "."
                        </li>
                    }
                })
                .collect_view();
            let measured = engine.sweep.get().map(|run| {
                run.crossovers
                    .iter()
                    .map(|(name, at)| match at {
                        Some(at) => format!("Measured on this device, {name} is faster than softmax from N = {at}."),
                        None => format!("Measured on this device, {name} was not faster than softmax at any length tried."),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            view! {
                <p data-testid="lesson-sentence">
                    {format!("At this text's N = {n}, softmax costs ")}
                    {live(cost.softmax_flops_here, "flops:softmax".into())}
                    {format!(" FLOPs for one head of d = {}.", cost.d)}
                    {if cheaper { " Every chosen map breaks even only at a longer text, so here softmax is cheaper as well as exact." } else { "" }}
                </p>
                <ul class="lesson-list">{items}</ul>
                <p>{measured.unwrap_or_else(|| "Press “Measure on this device” below to time both.".into())}</p>
            }
            .into_any()
        }
        _ => view! { <p class="pending">"Computing this step's numbers…"</p> }.into_any(),
    }
}

/// Step 5: trained Hedgehog's mean TV against its untrained start and the best fixed map.
fn wins_back(a: &Analysis) -> impl IntoView + use<> {
    let maps = &a.summary.maps;
    let tv = |key: &str| maps.iter().find(|m| m.key == key).map(|m| m.mean_tv);
    let name = |key: &str| {
        a.report
            .maps
            .iter()
            .find(|m| m.key == key)
            .map_or(key.to_string(), |m| m.name.clone())
    };
    let fixed = maps
        .iter()
        .filter(|m| !m.key.starts_with("hedgehog"))
        .min_by(|x, y| x.mean_tv.total_cmp(&y.mean_tv));
    match (tv("hedgehog"), fixed) {
        (Some(trained), Some(best)) => {
            let untrained = tv("hedgehog-untrained");
            let closed = 1.0 - trained / best.mean_tv;
            let untrained = untrained.map(|u| {
                view! { {", against "}{live(u, "compare-hedgehog-untrained:tv".into())}{" for its untrained start and"} }
            });
            view! {
                <p data-testid="lesson-sentence">
                    "On this head, trained Hedgehog's rows differ from softmax's by a mean total variation of "
                    {live(trained, "compare-hedgehog:tv".into())}
                    {untrained}
                    " against "
                    {live(best.mean_tv, format!("compare-{}:tv", best.key))}
                    {format!(" for the best fixed map, {}. ", name(&best.key))}
                    {if closed > 0.0 {
                        format!("Training closed {:.0}% of that map's distance to softmax.", 100.0 * closed)
                    } else {
                        "Here training did not beat the best fixed map: this head is one of the places Hedgehog still loses.".to_string()
                    }}
                </p>
            }
            .into_any()
        }
        _ => view! { <p data-testid="lesson-honest" class="honest">
            "Choose trained Hedgehog and at least one fixed map to compare them here (if its weights did not load, the notice above says why)."
        </p> }
        .into_any(),
    }
}
