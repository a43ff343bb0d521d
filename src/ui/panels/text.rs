//! The text input, its presets, and the token chips (each with the span of text it came from).

use leptos::prelude::*;

use crate::state::{AppState, PRESETS};
use crate::ui::{EngineLink, mark};

#[component]
pub fn TextPanel(
    state: RwSignal<AppState>,
    draft: RwSignal<String>,
    engine: EngineLink,
    hovered: RwSignal<Option<usize>>,
) -> impl IntoView {
    // No debounce: the engine runs off the main thread and drops work for outdated text.
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        // The box already shows what was typed: keep the draft current without writing the same
        // text back into it (for a long text that is a relayout within the keystroke's frame).
        draft.update_untracked(|d| d.clone_from(&text));
        mark("kernelscope:text-committed");
        state.update(|s| s.text = text);
        // Asked at once rather than from the state's effect a task later: the chips of the new
        // text come back within the frame. (The effect then finds the same question asked.)
        engine.ask(state.with_untracked(AppState::to_query), false, false);
    };
    let tokens = engine.tokens;
    let presets = PRESETS
        .iter()
        .map(|&(name, text)| {
            let pick = move |_| {
                draft.set(text.to_string());
                state.update(|s| s.text = text.to_string());
            };
            view! { <button class="preset" on:click=pick>{name}</button> }
        })
        .collect_view();

    // Keyed by everything a chip shows: typing redraws only the chips that changed, so a
    // keystroke in a long text does not rebuild hundreds of buttons within its frame.
    let chips = move || {
        let Some(t) = tokens.get() else {
            return Vec::new();
        };
        // For the keystroke benchmark: the chips of a new text are being drawn (this runs
        // synchronously before the DOM is patched; the benchmark waits for the next frame).
        mark("kernelscope:tokens-drawn");
        t.tokens
            .iter()
            .enumerate()
            .map(|(i, token)| Chip {
                index: i,
                piece: token.piece.clone(),
                span: (token.span.start, token.span.end),
                source: t.text.get(token.span.clone()).unwrap_or("").to_string(),
            })
            .collect()
    };
    let chip = move |c: Chip| {
        let i = c.index;
        let (start, end) = c.span;
        // The span is shown as the original text, so what the model saw sits next to what was typed.
        let title = if start == end {
            format!("token {i}: {} (added by the tokenizer)", c.piece)
        } else {
            format!(
                "token {i}: {} ← “{}” (bytes {start}–{end})",
                c.piece, c.source
            )
        };
        view! {
            <button class="chip" class:special=start == end
                class:hovered=move || hovered.get() == Some(i)
                title=title.clone() aria-label=title
                data-span=format!("{start}-{end}")
                on:mouseenter=move |_| hovered.set(Some(i))
                on:mouseleave=move |_| hovered.set(None)
                on:focus=move |_| hovered.set(Some(i))
                on:blur=move |_| hovered.set(None)>
                {c.piece}
            </button>
        }
    };
    let summary = move || {
        tokens.get().map(|t| {
            let n = t.tokens.len();
            if t.truncated > 0 {
                format!(
                    "{n} tokens; the last {} did not fit the model's {n} positions and are left out (your text is kept).",
                    t.truncated
                )
            } else {
                format!("{n} tokens, with [CLS] and [SEP].")
            }
        })
    };

    view! {
        <section class="panel text" aria-labelledby="text-title">
            <h2 id="text-title">"Text"</h2>
            <div class="presets" role="group" aria-label="Example texts">{presets}</div>
            <label class="visually-hidden" for="text-input">"Text to analyse"</label>
            <textarea id="text-input" data-testid="text" rows="4" spellcheck="false"
                prop:value=move || draft.get() on:input=on_input></textarea>
            <p class="token-summary" data-testid="token-summary">{summary}</p>
            <div class="chips" data-testid="tokens" role="group" aria-label="Tokens">
                <For each=chips key=|c| c.clone() children=chip />
            </div>
            // The views come next in the page's order, with dozens of stops; a keyboard user who
            // wants the controls jumps past them. Shown only while focused.
            <button class="skip" data-testid="skip-to-controls" on:click=|_| focus_controls()>
                "Skip to the controls"
            </button>
        </section>
    }
}

/// Move the keyboard's focus to the controls panel (the next Tab reaches its first control).
fn focus_controls() {
    use wasm_bindgen::JsCast;
    if let Some(controls) = document()
        .get_element_by_id("controls")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = controls.focus();
    }
}

/// One token chip: its position, the piece the model saw, and the text it came from.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Chip {
    index: usize,
    piece: String,
    /// Byte span in the text (empty for [CLS] and [SEP]).
    span: (usize, usize),
    source: String,
}
