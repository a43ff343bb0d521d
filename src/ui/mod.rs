//! The Leptos UI: it reads the URL state, asks the engine, and draws. It does no math.
//!
//! Data flows one way: state (URL) → tokens → the model's trace (once per text) → one head's
//! report (per control change) → views.

mod backend;
mod controls;
mod load;
mod plot;
mod scores;
mod share;
mod text;
mod url;
mod views;

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::engine::report::{self, Report, Request};
use crate::engine::{CpuReason, Engine, GpuError};
use crate::model::forward::{Trace, forward};
use crate::model::tokenizer::Token;
use crate::state::{AppState, Notice, View};

pub use load::Model;

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
    pub tokens: Arc<Vec<Token>>,
    pub truncated: usize,
}

impl Tokens {
    /// What each token shows on an axis.
    pub fn labels(&self) -> Vec<String> {
        self.tokens.iter().map(|t| t.piece.clone()).collect()
    }
}

/// What every view reads: the report for the chosen head, and what it was computed from.
#[derive(Clone, PartialEq)]
pub struct Analysis {
    pub report: Shared<Report>,
    pub trace: Shared<Trace>,
    pub tokens: Tokens,
    /// Token indices shown in the maps ([CLS] and [SEP] can be hidden).
    pub kept: Arc<Vec<usize>>,
    /// Whether WebGPU computed the report (else the CPU engine).
    pub on_gpu: bool,
    /// The layer and head the report is of.
    pub head: (usize, usize),
    /// The state it was computed for, as its query string (tests wait for it to match the URL).
    pub query: String,
}

/// Each chosen map's name and mean total variation from softmax, for one head.
pub type HeadTv = Vec<(String, f64)>;

/// Per layer, per head: [`HeadTv`].
#[derive(Clone, PartialEq)]
pub struct Overview(pub Arc<Vec<Vec<HeadTv>>>);

/// What the all-heads overview compares: every head of a traced text, under one request.
#[derive(Clone, PartialEq)]
pub struct OverviewInput {
    pub trace: Shared<Trace>,
    /// One per head, layer-major.
    pub requests: Vec<Request>,
}

#[component]
fn App() -> impl IntoView {
    let (initial, notices) = AppState::from_query(&url::current_query());
    let embed = initial.embed;
    let draft = RwSignal::new(initial.text.clone());
    let state = RwSignal::new(initial);
    let notices = RwSignal::new(notices);
    let hovered = RwSignal::new(None::<usize>);
    provide_context(views::SweepResults {
        points: RwSignal::new(None),
        running: RwSignal::new(false),
    });

    // Keep the URL in step with the state, so the address bar is always a shareable link.
    Effect::new(move |_| url::replace_query(&state.with(AppState::to_query)));

    let engine = start_engine(state);
    let model = LocalResource::new(load::load);
    let model_ready = Memo::new(move |_| match model.get() {
        Some(Ok(m)) => Some(Shared(m)),
        _ => None,
    });

    let tokens = Memo::new(move |_| {
        let model = model_ready.get()?;
        let encoding = state.with(|s| {
            model
                .tokenizer
                .encode(&s.text, model.weights.config.positions)
        });
        Some(Tokens {
            tokens: Arc::new(encoding.tokens),
            truncated: encoding.truncated,
        })
    });
    // The forward pass runs once per text; every other control reuses its Q, K and V.
    let trace = Memo::new(move |_| {
        let model = model_ready.get()?;
        let tokens = tokens.get()?;
        let ids: Vec<u32> = tokens.tokens.iter().map(|t| t.id).collect();
        let traced = forward(&model.weights, &ids, None);
        mark("kernelscope:model-done");
        Some(
            traced
                .map(|t| Shared(Arc::new(t)))
                .map_err(|e| e.to_string()),
        )
    });
    // The report runs on the active engine, asynchronously (GPU results are read back later).
    // A GPU failure answers from the CPU and switches the engine over, with the reason shown.
    let analysis = LocalResource::new(move || {
        let model = model_ready.get();
        let active = engine.get();
        let traced = trace.get();
        let tokens = tokens.get();
        let s = state.get();
        async move {
            // While WebGPU is still starting, the CPU answers, so the first maps do not wait
            // for the device; the report reruns on the GPU once it is up.
            let active = active.unwrap_or(Engine::Cpu(CpuReason::Chosen));
            let trace = match traced? {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            let tokens = tokens?;
            let n = tokens.tokens.len();
            let kept: Vec<usize> = if s.specials || n <= 2 {
                (0..n).collect()
            } else {
                (1..n - 1).collect()
            };
            let Some([q, k, v]) = report::head(&trace, s.layer, s.head) else {
                return Some(Err(format!(
                    "the model has no layer {} head {}",
                    s.layer, s.head
                )));
            };
            let request = Request {
                mask: report::mask(s.causal),
                temperature: s.temperature,
                maps: s.specs(model.as_ref().and_then(|m| m.trained())),
                spectra: s.view == View::Errors,
                kernel_pairs: s.view == View::Kernel,
            };
            let outcome = active.analyze(q.view(), k.view(), v.view(), &request).await;
            mark("kernelscope:report-done");
            let on_gpu = active.is_gpu() && outcome.gpu_failure.is_none();
            if let Some(error) = outcome.gpu_failure {
                fall_back(engine, error);
            }
            Some(
                outcome
                    .value
                    .map(|r| Analysis {
                        report: Shared(Arc::new(r)),
                        trace: trace.clone(),
                        tokens,
                        kept: Arc::new(kept),
                        on_gpu,
                        head: (s.layer, s.head),
                        query: s.to_query(),
                    })
                    .map_err(|e| format!("the math refused this head: {e}")),
            )
        }
    });

    // Every head at once, for the overview: only on the maps view, and only for short texts.
    // Asked for by a button on longer texts; a new text asks again, so typing stays quick.
    let overview_wanted = RwSignal::new(false);
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    Effect::new(move |_| {
        text.track();
        overview_wanted.set(false);
    });
    let overview = Memo::new(move |_| -> Option<OverviewInput> {
        let trace = trace.get()?.ok()?;
        let s = state.get();
        let n = trace.embeddings.nrows();
        let wanted =
            n <= report::OVERVIEW_AUTO || (overview_wanted.get() && n <= report::OVERVIEW_LIMIT);
        if s.view != View::Maps || !wanted {
            return None;
        }
        let model = model_ready.get();
        let trained = model.as_ref().and_then(|m| m.trained());
        let layers = trace.layers.len();
        let heads = trace.layers.first().map_or(0, |l| l.queries.dim().0);
        // One request per head, layer-major: trained maps have weights of their own per head.
        let requests = (0..layers)
            .flat_map(|layer| (0..heads).map(move |head| (layer, head)))
            .map(|(layer, head)| Request {
                mask: report::mask(s.causal),
                temperature: s.temperature,
                maps: s.specs_for(trained, layer, head),
                spectra: false,
                kernel_pairs: false,
            })
            .collect();
        Some(OverviewInput { trace, requests })
    });

    // Trained maps without their weights are left out of every view; say so, and keep the choice.
    let refused = move || {
        let model = model_ready.get()?;
        let error = model.hedgehog.as_ref().err()?;
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
        match model.get() {
        None => view! { <p class="pending" data-testid="model-status">"Loading the model (11 MB)…"</p> }.into_any(),
        Some(Err(e)) => view! {
            <p class="error" role="alert" data-testid="model-status">
                {format!("The model could not be loaded, so nothing can be drawn: {e}. Your text is kept; reload to try again.")}
            </p>
        }
        .into_any(),
        Some(Ok(_)) => ().into_any(),
    }
    };

    let body = move || {
        match analysis.get().flatten() {
        None => ().into_any(),
        Some(Err(e)) => {
            view! { <p class="error" role="alert" data-testid="analysis-error">{e}</p> }.into_any()
        }
        Some(Ok(a)) => {
            view! { <views::ActiveView analysis=a state=state hovered=hovered model=model_ready overview=overview overview_wanted=overview_wanted engine=engine /> }
                .into_any()
        }
    }
    };

    if embed {
        return view! {
            <main class="embed" data-testid="embed">
                {status}
                {refused}
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
        <div class="workspace">
            <aside class="sidebar">
                <text::TextPanel state=state draft=draft tokens=tokens hovered=hovered />
                <controls::Controls state=state />
                <share::Share state=state />
                <backend::BackendPanel engine=engine state=state />
                <scores::ScoresPanel engine=engine />
                <About />
            </aside>
            <main class="views">
                <views::ViewTabs state=state />
                {body}
            </main>
        </div>
    }
    .into_any()
}

/// Switch to the CPU after a GPU failure. Only the first failure switches: later ones (work that
/// was in flight on the same device) would only replace the reason the user is shown.
pub fn fall_back(engine: RwSignal<Option<Engine>, LocalStorage>, error: GpuError) {
    if engine.with_untracked(|current| matches!(current, Some(Engine::Gpu(_)))) {
        engine.set(Some(Engine::fallback(error)));
    }
}

/// The engine lives in a local signal: wgpu handles are not Send in the browser.
fn start_engine(state: RwSignal<AppState>) -> RwSignal<Option<Engine>, LocalStorage> {
    let engine: RwSignal<Option<Engine>, LocalStorage> = RwSignal::new_local(None);
    let backend = Memo::new(move |_| state.with(|s| s.backend));
    Effect::new(move |_| {
        let choice = backend.get();
        engine.set(None);
        spawn_local(async move {
            let started = Engine::start(choice, move |why| {
                // Only the engine whose own device died falls back; an older one may report late.
                engine.update(|current| {
                    if let Some(Engine::Gpu(gpu)) = current
                        && gpu.lost_reason().is_some()
                    {
                        *current = Some(Engine::fallback(GpuError::DeviceLost(why.clone())));
                    }
                });
            })
            .await;
            // A newer choice may have been made while this one started.
            if backend.get_untracked() == choice {
                engine.set(Some(started));
            }
        });
    });
    engine
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
                " by sentence-transformers (Apache-2.0; its LICENSE and NOTICE ship with this site), trimmed to a 25,916-piece vocabulary and quantised (query/key 8-bit, the rest 4-bit, embeddings 5-bit). Against the original, its attention maps differ by a mean |ΔA| of 0.0036 and keep the most-attended token for 96.1% of query rows."
            </p>
            <p>
                "Everything runs in this page: the tokenizer, the model, the attention maths (on WebGPU or the CPU). Nothing is sent anywhere."
            </p>
        </details>
    }
}
