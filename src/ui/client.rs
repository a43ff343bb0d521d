//! The page's side of the engine: one Web Worker, asked with the state, answering with the
//! Report family. Answers for an outdated state are dropped. A worker that fails to start,
//! crashes or panics is started again once and asked again; a second failure is reported.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Worker};

use super::{Shared, Tokens, mark};
use crate::engine::protocol::{
    AgainstM, Ask, BackendStatus, FromEngine, ModelFacts, OverviewLayers, SpreadRow, Task,
    ToEngine, decode, encode,
};
use crate::engine::report::Report;
use crate::engine::summary::{CostModel, HeadSummary, WonBack};
use crate::engine::sweep::SweepPoint;

/// The worker's entry script (`src/engine/engine_loader.js`), relative to the page. It runs
/// this same wasm: one download for both, and the worker is a second entry point.
const WORKER_SCRIPT: &str = "./engine_loader.js";

/// How long a new worker may take to say it is listening before it counts as failed to start.
const START_TIMEOUT_MS: i32 = 30_000;

/// What every view reads: the report for the chosen head, and what it was computed from.
#[derive(Clone, PartialEq)]
pub struct Analysis {
    /// The ask it answers; the view's long work (overview, spread, …) carries the same id.
    pub id: u64,
    pub report: Shared<Report>,
    pub tokens: Tokens,
    /// Token indices shown in the maps ([CLS] and [SEP] can be hidden).
    pub kept: Arc<Vec<usize>>,
    /// Whether WebGPU computed the report (else the CPU engine).
    pub on_gpu: bool,
    /// The layer and head the report is of.
    pub head: (usize, usize),
    /// The state it was computed for, as its query string (tests wait for it to match the URL).
    pub query: String,
    /// The engine's own time for this answer: tokens, model and report (ms).
    pub compute_ms: f64,
    pub model_ms: f64,
    pub summary: Arc<HeadSummary>,
    pub cost: Arc<CostModel>,
    /// In a lesson step, the facts its sentences state.
    pub lesson: Option<Arc<crate::lesson::Facts>>,
}

/// The model's state, as far as the page knows.
#[derive(Clone, PartialEq)]
pub enum ModelStatus {
    Loading,
    Ready(ModelFacts),
    Failed(String),
}

/// Each chosen map's name and mean total variation from softmax, per layer and head; and what
/// trained Hedgehog wins back.
#[derive(Clone, PartialEq)]
pub struct Overview {
    pub layers: Arc<OverviewLayers>,
    pub won_back: Option<Arc<WonBack>>,
    pub on_gpu: bool,
}

/// A timing sweep's result.
#[derive(Clone, PartialEq)]
pub struct SweepRun {
    pub points: Vec<SweepPoint>,
    pub crossovers: Vec<(String, Option<usize>)>,
    pub on_gpu: bool,
}

/// The engine's answers, as signals the views read. Copy, so closures can hold it.
#[derive(Clone, Copy)]
pub struct EngineLink {
    pub model: RwSignal<ModelStatus>,
    pub backend: RwSignal<Option<BackendStatus>>,
    pub tokens: RwSignal<Option<Tokens>>,
    pub analysis: RwSignal<Option<Result<Analysis, String>>>,
    pub against_m: RwSignal<Option<(u64, Vec<AgainstM>)>>,
    pub spread: RwSignal<Option<(u64, Vec<SpreadRow>)>>,
    pub overview: RwSignal<Option<(u64, Overview)>>,
    pub sweep: RwSignal<Option<SweepRun>>,
    /// True while a sweep asked for runs.
    pub sweeping: RwSignal<bool>,
    pub progress: RwSignal<Option<(u64, Task, usize, usize)>>,
    /// Long work that cannot be done for an analysis, and why.
    pub unavailable: RwSignal<Option<(u64, Task, String)>>,
    /// Why the engine cannot answer at all (it failed twice).
    pub failure: RwSignal<Option<String>>,
    channel: StoredValue<Channel, LocalStorage>,
}

/// The worker and what the page remembers about talking to it.
#[derive(Default)]
struct Channel {
    worker: Option<Worker>,
    /// Answers come only after the worker says it listens.
    ready: bool,
    last_ask: Option<Ask>,
    next_id: u64,
    /// Restarts since the last answered report.
    restarts: u32,
    /// The worker's handlers, kept alive as long as it is.
    handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

/// What the worker needs to run this wasm: the URL of wasm-bindgen's glue (Trunk preloads it)
/// and the compiled module, which structured cloning hands over without a second download.
fn start_message() -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    let glue = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("link[rel=modulepreload]").ok().flatten())
        .ok_or("the page does not name its wasm-bindgen glue")?;
    // The `href` property is the absolute URL, whatever the sub-path.
    let glue = js_sys::Reflect::get(&glue, &"href".into())?;
    let message = js_sys::Object::new();
    js_sys::Reflect::set(&message, &"glue".into(), &glue)?;
    js_sys::Reflect::set(&message, &"module".into(), &wasm_bindgen::module())?;
    Ok(message.into())
}

impl EngineLink {
    pub fn start() -> Self {
        let link = EngineLink {
            model: RwSignal::new(ModelStatus::Loading),
            backend: RwSignal::new(None),
            tokens: RwSignal::new(None),
            analysis: RwSignal::new(None),
            against_m: RwSignal::new(None),
            spread: RwSignal::new(None),
            overview: RwSignal::new(None),
            sweep: RwSignal::new(None),
            sweeping: RwSignal::new(false),
            progress: RwSignal::new(None),
            unavailable: RwSignal::new(None),
            failure: RwSignal::new(None),
            channel: StoredValue::new_local(Channel::default()),
        };
        link.spawn();
        link.install_test_hooks();
        link
    }

    /// Ask for everything the views need for the state `query`; supersedes every older ask.
    /// The same question as the last one is not asked twice.
    pub fn ask(&self, query: String, overview: bool, sweep: bool) {
        let repeated = self.channel.with_value(|c| {
            c.last_ask.as_ref().is_some_and(|last| {
                last.query == query && last.overview == overview && last.sweep == sweep
            })
        });
        if !repeated {
            self.send_ask(query, overview, sweep);
        }
    }

    fn send_ask(&self, query: String, overview: bool, sweep: bool) {
        let ask = self.channel.try_update_value(|c| {
            c.next_id += 1;
            let ask = Ask {
                id: c.next_id,
                query,
                overview,
                sweep,
            };
            c.last_ask = Some(ask.clone());
            c.ready.then_some(ask)
        });
        self.sweeping.set(sweep);
        if let Some(Some(ask)) = ask {
            // After a failed load, an ask makes the engine fetch the model again.
            if matches!(self.model.get_untracked(), ModelStatus::Failed(_)) {
                self.model.set(ModelStatus::Loading);
            }
            self.post(&ToEngine::Ask(ask));
        }
    }

    /// Ask the newest state again, under a new id (after a restart or a lost device).
    fn ask_again(&self) {
        let last = self.channel.with_value(|c| c.last_ask.clone());
        if let Some(ask) = last {
            self.send_ask(ask.query, ask.overview, ask.sweep);
        }
    }

    fn latest(&self) -> u64 {
        self.channel.with_value(|c| c.next_id)
    }

    fn post(&self, message: &ToEngine) {
        let Ok(bytes) = encode(message) else {
            return;
        };
        self.channel.with_value(|c| {
            if let Some(worker) = &c.worker {
                let array = js_sys::Uint8Array::from(bytes.as_slice());
                if let Err(e) = worker.post_message(&array) {
                    web_sys::console::error_2(
                        &"kernelscope: the engine refused a message".into(),
                        &e,
                    );
                }
            }
        });
    }

    /// Start a worker, with its handlers and a deadline for saying it listens.
    fn spawn(&self) {
        let link = *self;
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let started = Worker::new_with_options(WORKER_SCRIPT, &options).and_then(|worker| {
            worker.post_message(&start_message()?)?;
            Ok(worker)
        });
        let worker = match started {
            Ok(worker) => worker,
            Err(e) => {
                let why = e
                    .as_string()
                    .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| e.message().into()))
                    .unwrap_or_else(|| "the browser refused to start it".into());
                return link.failed(format!("the engine's worker could not start ({why})"));
            }
        };
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            match decode::<FromEngine>(&bytes) {
                Ok(answer) => link.receive(answer),
                Err(e) => web_sys::console::warn_1(&e.into()),
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            let why = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "it stopped".into());
            link.failed(format!("the engine's worker failed ({why})"));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.channel.update_value(|c| {
            if let Some(old) = c.worker.take() {
                old.terminate();
            }
            c.worker = Some(worker.clone());
            c.ready = false;
            c.handlers = vec![on_message, on_error];
        });
        // A worker that never says it listens (its wasm did not load) has failed to start.
        set_timeout(
            move || {
                let silent = link
                    .channel
                    .with_value(|c| !c.ready && c.worker.as_ref() == Some(&worker));
                if silent {
                    link.failed("the engine's worker did not start".into());
                }
            },
            std::time::Duration::from_millis(START_TIMEOUT_MS as u64),
        );
    }

    /// A worker failed: start it again once and ask again; a second failure is reported.
    fn failed(&self, why: String) {
        web_sys::console::warn_1(&format!("kernelscope: {why}").into());
        let retry = self.channel.try_update_value(|c| {
            c.restarts += 1;
            c.restarts <= 1
        });
        if retry == Some(true) {
            self.spawn();
        } else {
            self.channel.update_value(|c| {
                if let Some(worker) = c.worker.take() {
                    worker.terminate();
                }
                c.handlers.clear();
            });
            self.sweeping.set(false);
            self.failure.set(Some(format!(
                "The engine stopped and could not be restarted: {why}. Your text and settings are kept in the link; reload the page to try again."
            )));
        }
    }

    fn receive(&self, answer: FromEngine) {
        let latest = self.latest();
        match answer {
            FromEngine::Ready => {
                let ask = self.channel.try_update_value(|c| {
                    c.ready = true;
                    c.last_ask.clone()
                });
                if let Some(Some(ask)) = ask {
                    self.post(&ToEngine::Ask(ask));
                }
            }
            FromEngine::Model(result) => self.model.set(match result {
                Ok(facts) => ModelStatus::Ready(facts),
                Err(e) => ModelStatus::Failed(e),
            }),
            FromEngine::WholeModel { files } => super::offline::keep_offline_copy(files),
            FromEngine::Backend(status) => self.backend.set(Some(status)),
            FromEngine::DeviceLost => self.ask_again(),
            FromEngine::Tokens {
                id,
                text,
                tokens,
                truncated,
            } if id == latest => {
                mark("kernelscope:tokens-received");
                self.tokens.set(Some(Tokens {
                    text: Arc::new(text),
                    tokens: Arc::new(tokens),
                    truncated,
                }))
            }
            FromEngine::Head { id, head } if id == latest => {
                mark("kernelscope:report-received");
                self.channel.update_value(|c| c.restarts = 0);
                let tokens = self.tokens.get_untracked();
                let analysis = (*head).and_then(|h| {
                    let tokens = tokens.ok_or("the tokens did not arrive")?;
                    Ok(Analysis {
                        id,
                        report: Shared(Arc::new(h.report)),
                        tokens,
                        kept: Arc::new(h.kept),
                        on_gpu: h.on_gpu,
                        head: (h.layer, h.head),
                        query: h.query,
                        compute_ms: h.compute_ms,
                        model_ms: h.model_ms,
                        summary: Arc::new(h.summary),
                        cost: Arc::new(h.cost),
                        lesson: h.lesson.map(Arc::new),
                    })
                });
                // Drawn in a task of its own: decoding a large report and building its views
                // would otherwise be one long task.
                let link = *self;
                set_timeout(
                    move || {
                        if link.latest() == id {
                            link.analysis.set(Some(analysis));
                            // The maps draw in tasks queued while this one ends; a task queued
                            // from the next one runs after them.
                            set_timeout(
                                move || {
                                    set_timeout(
                                        move || link.post(&ToEngine::Shown { id }),
                                        std::time::Duration::ZERO,
                                    )
                                },
                                std::time::Duration::ZERO,
                            );
                        }
                    },
                    std::time::Duration::ZERO,
                );
            }
            FromEngine::AgainstM { id, series } if id == latest => {
                self.against_m.set(Some((id, series)))
            }
            FromEngine::Spread { id, rows } if id == latest => self.spread.set(Some((id, rows))),
            FromEngine::Overview {
                id,
                layers,
                won_back,
                on_gpu,
            } if id == latest => self.overview.set(Some((
                id,
                Overview {
                    layers: Arc::new(layers),
                    won_back: won_back.map(Arc::new),
                    on_gpu,
                },
            ))),
            FromEngine::Sweep {
                id,
                points,
                crossovers,
                on_gpu,
                complete,
            } if id == latest => {
                self.sweeping.set(false);
                if complete {
                    self.sweep.set(Some(SweepRun {
                        points,
                        crossovers,
                        on_gpu,
                    }));
                }
            }
            FromEngine::Progress {
                id,
                task,
                done,
                total,
            } if id == latest => self.progress.set(Some((id, task, done, total))),
            FromEngine::Unavailable { id, task, why } if id == latest => {
                self.unavailable.set(Some((id, task, why)))
            }
            // An answer to an outdated state.
            _ => {}
        }
    }

    /// `window.__kernelscope.panicEngine()` and `.loseDevice()`: the e2e tests' way to break
    /// the engine on purpose and watch the page recover.
    fn install_test_hooks(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let hooks = js_sys::Object::new();
        let link = *self;
        let panic = Closure::<dyn Fn()>::new(move || link.post(&ToEngine::Panic));
        let lose = Closure::<dyn Fn()>::new(move || link.post(&ToEngine::LoseDevice));
        let _ = js_sys::Reflect::set(&hooks, &"panicEngine".into(), panic.as_ref());
        let _ = js_sys::Reflect::set(&hooks, &"loseDevice".into(), lose.as_ref());
        let _ = js_sys::Reflect::set(&window, &"__kernelscope".into(), &hooks);
        panic.forget();
        lose.forget();
    }
}
