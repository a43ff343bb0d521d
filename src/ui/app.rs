//! The app's wiring: the state (kept in the URL), the engine link, the panels and the views.

use std::sync::Arc;

use leptos::prelude::*;

use super::client::{EngineLink, ModelStatus};
use super::{lesson, panels, url, views};
use crate::model::tokenizer::Token;
use crate::state::{AppState, Notice};

/// True in a page (a window with a document); false in the engine's worker.
pub fn in_a_page() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false)
}

/// Mount the app on `<body>`; the entry point of the wasm binary.
pub fn start() {
    install_panic_notice();
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

/// A panic is a bug; if one happens anyway, say so on the page instead of leaving it dead.
fn install_panic_notice() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(document) = document
            && let Some(body) = document.body()
            && let Ok(banner) = document.create_element("div")
        {
            banner.set_class_name("fatal");
            banner.set_attribute("role", "alert").ok();
            banner.set_text_content(Some(
                "kernelscope hit an internal error and stopped. Reload the page; the details are in the browser console.",
            ));
            body.prepend_with_node_1(&banner).ok();
        }
    }));
}

/// A performance mark, for the keystroke benchmark (e2e/bench/keystroke.mjs).
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        // A failed mark only costs the benchmark a sample.
        let _ = performance.mark(name);
    }
}

/// A value shared by pointer; equal only to itself, so a memo downstream reruns exactly when
/// it was recomputed.
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The tokens of the current text, and how many did not fit the model.
#[derive(Clone, PartialEq)]
pub struct Tokens {
    /// The text the tokens' byte spans point into.
    pub text: Arc<String>,
    pub tokens: Arc<Vec<Token>>,
    pub truncated: usize,
}

impl Tokens {
    /// What each token shows on an axis.
    pub fn labels(&self) -> Vec<String> {
        self.tokens.iter().map(|t| t.piece.clone()).collect()
    }
}

#[component]
fn App() -> impl IntoView {
    let (initial, notices) = AppState::from_query(&url::current_query());
    let embed = initial.embed;
    let draft = RwSignal::new(initial.text.clone());
    let state = RwSignal::new(initial);
    let notices = RwSignal::new(notices);
    let hovered = RwSignal::new(None::<usize>);
    let engine = EngineLink::start();

    // The all-heads overview of a longer text is asked for by a button; a new text asks again.
    let overview_wanted = RwSignal::new(false);
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    Effect::new(move |_| {
        text.track();
        overview_wanted.set(false);
    });
    // Every change of the state asks the engine; the newest ask supersedes the rest.
    let query = Memo::new(move |_| state.with(AppState::to_query));
    // Keep the URL in step with the state, so the address bar is always a shareable link.
    Effect::new(move |_| url::replace_query(&query.get()));
    Effect::new(move |_| engine.ask(query.get(), overview_wanted.get(), false));

    // Trained maps without their weights are left out of every view; say so, and keep the choice.
    let refused = move || {
        let ModelStatus::Ready(facts) = engine.model.get() else {
            return None;
        };
        let error = facts.hedgehog_refused?;
        let refused = state.with(|s| s.refused_maps(None));
        (!refused.is_empty()).then(|| {
            let names: Vec<&str> = refused.iter().map(|k| k.label()).collect();
            view! {
                <p class="error" role="alert" data-testid="hedgehog-refused">
                    {format!("{} cannot be drawn: {error}. The other maps are drawn as usual, and your choice stays in the link.", names.join(" and "))}
                </p>
            }
        })
    };

    let status = move || {
        if let Some(why) = engine.failure.get() {
            return view! { <p class="error" role="alert" data-testid="engine-failed">{why}</p> }
                .into_any();
        }
        match engine.model.get() {
            ModelStatus::Loading => view! { <p class="pending" data-testid="model-status">"Loading the model (5 MB)…"</p> }.into_any(),
            ModelStatus::Failed(e) => view! {
                <p class="error" role="alert" data-testid="model-status">
                    {format!("The model could not be loaded, so nothing can be drawn: {e}. Your text is kept; edit it to try again.")}
                </p>
            }
            .into_any(),
            ModelStatus::Ready(_) => ().into_any(),
        }
    };

    let body = move || {
        match engine.analysis.get() {
        None => ().into_any(),
        Some(Err(e)) => {
            view! { <p class="error" role="alert" data-testid="analysis-error">{e}</p> }.into_any()
        }
        Some(Ok(a)) => view! {
            <views::ActiveView analysis=a state=state hovered=hovered engine=engine overview_wanted=overview_wanted />
        }
        .into_any(),
    }
    };

    // The lesson's sentences read the analysis as it arrives.
    let analysis = Signal::derive(move || engine.analysis.get().and_then(Result::ok));
    let lesson = move || {
        state.with(|s| s.lesson.is_some()).then(|| {
            view! { <lesson::LessonPanel state=state analysis=analysis engine=engine /> }
        })
    };

    if embed {
        return view! {
            <main class="embed" data-testid="embed">
                // What the link asked for and did not get, so a blogger with a typo learns why.
                <NoticeList notices=notices />
                {status}
                {refused}
                {lesson}
                {body}
                <p class="embed-credit">
                    <a href=move || format!("./?{}", state.with(|s| AppState { embed: false, ..s.clone() }.to_query()))
                        target="_blank" rel="noopener">"Open in kernelscope"</a>
                </p>
            </main>
        }
        .into_any();
    }

    view! {
        <header class="masthead">
            <h1>"kernelscope"</h1>
            <p class="tagline">"Why linear attention struggles to match softmax attention — on the real heads of a real model, for the text you type."</p>
        </header>
        <NoticeList notices=notices />
        {status}
        {refused}
        // The lesson leads: above the text and the views, at any width.
        {lesson}
        // In the order a reader (and the keyboard) takes them: the text, what it shows, then
        // the controls. On wide screens the stylesheet puts the views beside the other two.
        <div class="workspace">
            <panels::TextPanel state=state draft=draft engine=engine hovered=hovered />
            <main class="views">
                <views::ViewTabs state=state />
                {body}
            </main>
            <aside class="sidebar">
                <panels::Controls state=state />
                <panels::Share state=state />
                <panels::BackendPanel status=engine.backend state=state />
                <About />
            </aside>
        </div>
    }
    .into_any()
}

/// Values from the URL that were ignored, shown once, dismissable.
#[component]
fn NoticeList(notices: RwSignal<Vec<Notice>>) -> impl IntoView {
    view! {
        <Show when=move || notices.with(|n| !n.is_empty())>
            <aside class="notices" role="status" data-testid="notices">
                <ul>
                    <For
                        each=move || notices.get()
                        key=|notice| notice.key.clone()
                        children=|notice| view! { <li>{notice.message}</li> }
                    />
                </ul>
                <button on:click=move |_| notices.set(Vec::new())>"Dismiss"</button>
            </aside>
        </Show>
    }
}

/// Where the model comes from, and its licence.
#[component]
fn About() -> impl IntoView {
    view! {
        <details class="panel about" data-testid="about">
            <summary>"About"</summary>
            <p>
                "The model is the first 3 of the 6 layers of "
                <strong>"all-MiniLM-L6-v2"</strong>
                " by sentence-transformers (Apache-2.0; its LICENSE and NOTICE ship with this site), with its whole 30,522-piece vocabulary, quantised (query/key 8-bit, value/output and feed-forward 6-bit, embeddings 5-bit). On 65 held-out texts (code, chat, numbers, URLs, German, French, Spanish, names…) its attention maps differ from the original's by a mean |ΔA| of 0.0010 and keep the most-attended token for 97.5% of query rows."
            </p>
            <p>
                "Everything runs in this page: the tokenizer, the model, the attention maths (on WebGPU or the CPU). Nothing is sent anywhere."
            </p>
        </details>
    }
}
