//! The lesson panel: the step's title and explanation, sentences whose numbers come live from
//! the engine's answers for whatever text is there, and the way to the previous and next step
//! or out into the explorer with the state kept.
//!
//! Every number sits in a `.live` span with its exact value (`data-value`) and where the page
//! draws the same number (`data-check`), so the tests can hold the prose to the report.

use leptos::prelude::*;

use super::client::EngineLink;
use super::{Analysis, plot::fmt};
use crate::lesson::text::{Inputs, Kind, Segment, sentences};
use crate::lesson::{STEPS, step};
use crate::state::AppState;

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
                <h2 id="lesson-title" data-testid="lesson-title">{s.title}</h2>
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
        <section class="lesson" data-testid="lesson" data-step=number aria-labelledby="lesson-title">
            {contents}
            // Only the numbers are announced as they change, not the whole step.
            <div class="lesson-live" data-testid="lesson-live" aria-live="polite">{sentences}</div>
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

/// The live sentences of step `n` for this analysis and the long work that followed it.
fn step_sentences(n: usize, a: &Analysis, engine: EngineLink) -> impl IntoView + use<> {
    let pieces = a.tokens.labels();
    let names: Vec<(String, String)> = a
        .report
        .maps
        .iter()
        .map(|m| (m.key.clone(), m.name.clone()))
        .collect();
    let against_m = engine.against_m.get().filter(|(at, _)| *at == a.id);
    let spread = engine.spread.get().filter(|(at, _)| *at == a.id);
    let sweep = engine.sweep.get();
    let written = sentences(
        n,
        &Inputs {
            pieces: &pieces,
            facts: a.lesson.as_deref(),
            summary: &a.summary,
            names: &names,
            cost: &a.cost,
            against_m: against_m.as_ref().map(|(_, all)| all.as_slice()),
            spread: spread.as_ref().map(|(_, rows)| rows.as_slice()),
            crossovers: sweep.as_ref().map(|run| run.crossovers.as_slice()),
        },
    );
    let items: Vec<AnyView> = written
        .iter()
        .filter(|s| s.kind == Kind::Item)
        .map(|s| view! { <li>{segments(&s.segments)}</li> }.into_any())
        .collect();
    let paragraphs: Vec<AnyView> = written
        .iter()
        .filter(|s| s.kind != Kind::Item)
        .map(|s| {
            let (class, testid) = match s.kind {
                Kind::Honest => ("honest", "lesson-honest"),
                Kind::Pending => ("pending", "lesson-pending"),
                _ => ("", "lesson-sentence"),
            };
            view! { <p class=class data-testid=testid>{segments(&s.segments)}</p> }.into_any()
        })
        .collect();
    let list = (!items.is_empty())
        .then(|| view! { <ul class="lesson-list" data-testid="lesson-sentence">{items}</ul> });
    view! { {paragraphs}{list} }
}

/// Text and live numbers: each number shown rounded, with its exact value and where the page
/// draws it.
fn segments(parts: &[Segment]) -> Vec<AnyView> {
    parts
        .iter()
        .map(|part| match part {
            Segment::Text(text) => text.clone().into_any(),
            Segment::Live {
                value,
                check,
                whole,
            } => view! {
                <span class="live" data-value=value.to_string() data-check=check.clone()>
                    {if *whole { format!("{value:.0}") } else { fmt(*value) }}
                </span>
            }
            .into_any(),
        })
        .collect()
}
