//! The engine's one entry point: a state in, everything the views draw out, as a stream of
//! [`FromEngine`] answers. The worker ([`super::worker`]) runs it in the browser; native tests
//! call it directly. Long work stops between steps once a newer state has arrived.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;

use ndarray::Array2;

use super::assets::Model;
use super::cpu;
use super::protocol::{
    AgainstM, Ask, BackendStatus, FromEngine, HeadAnswer, ModelFacts, SpreadRow, Task,
};
use super::report::{self, OVERVIEW_AUTO, OVERVIEW_LIMIT, Request};
use super::summary::{cost_model, crossovers, head_summary, won_back};
use super::sweep::sweep;
use super::{BackendChoice, CpuReason, Engine, GpuError};
use crate::kernels::MapSpec;
use crate::model::embeddings::WordEmbeddings;
use crate::model::forward::{Trace, forward};
use crate::model::weights::Weights;
use crate::state::{AppState, View};

/// Lengths the timing sweep measures: up to 2048, so it finishes in seconds even on the CPU.
pub const SWEEP_LENGTHS: [usize; 5] = [128, 256, 512, 1024, 2048];

/// Seeds averaged in the kernel error against m.
pub const AGAINST_M_SEEDS: usize = 5;

/// Where answers go, and how the engine learns that its work is outdated.
pub trait Host {
    fn send(&self, answer: FromEngine);
    /// False once a newer ask has arrived.
    fn is_current(&self, id: u64) -> bool;
    /// True once the page has drawn the answer to ask `id`.
    fn is_shown(&self, id: u64) -> bool;
    /// Let newer messages in: a turn of the event loop in the browser.
    fn breathe(&self) -> impl Future<Output = ()>;
    /// A clock in milliseconds, for the timing sweep.
    fn now_ms(&self) -> f64;
    /// The site's files at these relative paths, all requested at once: the word-embedding
    /// shards a text needs. Each comes back as its bytes or why it could not be had.
    fn fetch_all(&self, files: &[String]) -> impl Future<Output = Vec<Result<Vec<u8>, String>>>;
    /// Wait `ms` milliseconds, letting newer messages in.
    fn pause(&self, ms: f64) -> impl Future<Output = ()>;
}

/// Asks closer together than this are typing: before fetching the embedding shards of a text
/// being typed, the engine waits this long for the next keystroke, so the pieces of half-typed
/// words are not fetched (typing a sentence key by key fetched 36 shards, 167 KB, without it).
pub const TYPING_MS: f64 = 150.0;

/// How often an ask that waits (for files another ask is fetching, or for the page to draw)
/// looks again (ms).
const IN_FLIGHT_WAIT_MS: f64 = 20.0;

/// The rest of the model is fetched once the page has drawn the first map, or after this long
/// (ms) if the page does not say so.
const SHOWN_WAIT_MS: f64 = 2000.0;

/// The loaded model, the active backend, and the last forward pass (reused by every control
/// that does not change the text).
pub struct Session {
    model: Arc<Model>,
    engine: RefCell<Option<(BackendChoice, Engine)>>,
    traced: RefCell<Option<Traced>>,
    /// When the last ask arrived (the host's clock, ms).
    last_ask_ms: Cell<Option<f64>>,
    /// The files being fetched: an ask that needs one of them waits for it rather than
    /// fetching it again.
    in_flight: RefCell<Vec<String>>,
    /// The page has been told that the last layer file arrived.
    told_whole: Cell<bool>,
}

/// The last forward pass: its token ids, how many layer parts were in when it ran, its trace,
/// and the time it took (ms).
type Traced = (Vec<u32>, usize, Arc<Trace>, f64);

impl Session {
    pub fn new(model: Arc<Model>) -> Self {
        Self {
            model,
            engine: RefCell::new(None),
            traced: RefCell::new(None),
            last_ask_ms: Cell::new(None),
            in_flight: RefCell::new(Vec::new()),
            told_whole: Cell::new(false),
        }
    }

    pub fn facts(&self) -> ModelFacts {
        let config = &self.model.weights.config;
        ModelFacts {
            hedgehog_refused: self.model.hedgehog.as_ref().err().cloned(),
            layers: config.layers,
            heads: config.heads,
        }
    }

    /// Use `engine` for states that choose `choice`.
    pub fn set_engine(&self, choice: BackendChoice, engine: Engine) {
        *self.engine.borrow_mut() = Some((choice, engine));
    }

    /// The backend chosen last, if one was started.
    pub fn engine_choice(&self) -> Option<BackendChoice> {
        self.engine.borrow().as_ref().map(|(choice, _)| *choice)
    }

    /// Destroy the GPU device, as a driver reset would (a test hook).
    pub fn destroy_device(&self) {
        if let Some((_, Engine::Gpu(gpu))) = self.engine.borrow().as_ref() {
            gpu.destroy_device();
        }
    }

    pub fn backend_status(&self) -> BackendStatus {
        BackendStatus::of(self.engine.borrow().as_ref().map(|(_, e)| e))
    }

    /// The engine for `choice`. Until that backend has started, the CPU answers, so the first
    /// maps do not wait for a device. A lost device turns into the CPU, with the reason.
    fn engine(&self, choice: BackendChoice, host: &impl Host) -> Engine {
        let lost = match self.engine.borrow().as_ref() {
            Some((c, Engine::Gpu(gpu))) if *c == choice => gpu.lost_reason(),
            _ => None,
        };
        if let Some(why) = lost {
            self.fall_back(GpuError::DeviceLost(why), host);
        }
        match self.engine.borrow().as_ref() {
            Some((c, engine)) if *c == choice => engine.clone(),
            _ => Engine::Cpu(CpuReason::Chosen),
        }
    }

    /// Switch to the CPU after a GPU failure and tell the page. Only the first failure switches.
    fn fall_back(&self, error: GpuError, host: &impl Host) {
        let switched = {
            let mut slot = self.engine.borrow_mut();
            match slot.as_mut() {
                Some((_, engine @ Engine::Gpu(_))) => {
                    *engine = Engine::fallback(error);
                    true
                }
                _ => false,
            }
        };
        if switched {
            host.send(FromEngine::Backend(self.backend_status()));
        }
    }

    /// Fetch and check the word-embedding shards that `ids` need and that are not in yet.
    /// While the text is being typed (`typing`), wait for a pause first; `Ok(false)` if a newer
    /// ask arrived meanwhile.
    async fn fetch_rows(
        &self,
        ids: &[u32],
        typing: bool,
        id: u64,
        host: &impl Host,
    ) -> Result<bool, String> {
        let table = &self.model.weights.word_embeddings;
        let missing = || {
            table
                .missing_shards(ids)
                .into_iter()
                .map(|k| (k, WordEmbeddings::shard_file(k)))
                .collect()
        };
        if typing && !table.missing_shards(ids).is_empty() {
            host.pause(TYPING_MS).await;
            if !host.is_current(id) {
                return Ok(false);
            }
        }
        let insert =
            |k: usize, bytes: &[u8]| table.insert_shard(k, bytes).map_err(|e| e.to_string());
        self.fetch_checked(missing, insert, id, host)
            .await
            .map_err(|failures| {
                format!(
                    "the embeddings of some of its words did not load ({})",
                    failures.join("; ")
                )
            })
    }

    /// Fetch and check the first `parts` layer files (file order) that are not in yet.
    async fn fetch_layers(&self, parts: usize, id: u64, host: &impl Host) -> Result<bool, String> {
        let weights = &self.model.weights;
        let missing = || {
            weights
                .missing_parts(parts)
                .into_iter()
                .map(|(layer, part)| ((layer, part), Weights::part_file(layer, part)))
                .collect()
        };
        let insert = |(layer, part), bytes: &[u8]| {
            weights
                .insert_part(layer, part, bytes)
                .map_err(|e| e.to_string())
        };
        let was_whole = weights.missing_parts(weights.part_count()).is_empty();
        let fetched = self
            .fetch_checked(missing, insert, id, host)
            .await
            .map_err(|failures| {
                format!("the model's layers did not load ({})", failures.join("; "))
            });
        let whole = weights.missing_parts(weights.part_count()).is_empty();
        if whole && !was_whole && !self.told_whole.replace(true) {
            let files = weights
                .word_embeddings
                .loaded_shards()
                .into_iter()
                .map(WordEmbeddings::shard_file)
                .collect();
            host.send(FromEngine::WholeModel { files });
        }
        fetched
    }

    /// Fetch the files `missing` names, all at once, and hand each to `insert`, which checks
    /// it and keeps it. A file that fails is not kept, so the next ask that needs it fetches
    /// it again. Files another ask is fetching are waited for, not fetched twice; `Ok(false)`
    /// if a newer ask arrived while waiting. `Err` lists each failure as "file: why".
    async fn fetch_checked<K: Copy>(
        &self,
        missing: impl Fn() -> Vec<(K, String)>,
        insert: impl Fn(K, &[u8]) -> Result<(), String>,
        id: u64,
        host: &impl Host,
    ) -> Result<bool, Vec<String>> {
        let wanted = loop {
            let wanted = missing();
            let waiting = {
                let in_flight = self.in_flight.borrow();
                wanted.iter().any(|(_, file)| in_flight.contains(file))
            };
            if !waiting {
                break wanted;
            }
            host.pause(IN_FLIGHT_WAIT_MS).await;
            if !host.is_current(id) {
                return Ok(false);
            }
        };
        if wanted.is_empty() {
            return Ok(true);
        }
        let files: Vec<String> = wanted.iter().map(|(_, file)| file.clone()).collect();
        self.in_flight.borrow_mut().extend(files.iter().cloned());
        let bodies = host.fetch_all(&files).await;
        self.in_flight.borrow_mut().retain(|f| !files.contains(f));
        let failures: Vec<String> = wanted
            .into_iter()
            .zip(bodies)
            .filter_map(|((key, file), body)| {
                let checked = body.and_then(|bytes| insert(key, &bytes));
                checked.err().map(|why| format!("{file}: {why}"))
            })
            .collect();
        if failures.is_empty() {
            Ok(true)
        } else {
            Err(failures)
        }
    }

    /// The forward pass of `ids` as far as the layers in go: once per text, again when more
    /// layers have arrived. Also the time it took (ms).
    fn trace(&self, ids: &[u32], host: &impl Host) -> Result<(Arc<Trace>, f64), String> {
        let weights = &self.model.weights;
        let parts = weights.part_count() - weights.missing_parts(weights.part_count()).len();
        if let Some((cached, cached_parts, trace, ms)) = self.traced.borrow().as_ref()
            && cached == ids
            && *cached_parts == parts
        {
            return Ok((trace.clone(), *ms));
        }
        let began = host.now_ms();
        let trace = Arc::new(forward(weights, ids, None).map_err(|e| e.to_string())?);
        let ms = host.now_ms() - began;
        *self.traced.borrow_mut() = Some((ids.to_vec(), parts, trace.clone(), ms));
        Ok((trace, ms))
    }

    /// Answer one state: tokens, then the head's report, then the chosen view's long work.
    pub async fn answer(&self, ask: &Ask, host: &impl Host) {
        let id = ask.id;
        let began = host.now_ms();
        // Time spent letting newer messages in is not the engine's compute time.
        let mut breathing = 0.0;
        let typing = self
            .last_ask_ms
            .replace(Some(began))
            .is_some_and(|last| began - last < TYPING_MS);
        let (state, _) = AppState::from_query(&ask.query);
        let model = &self.model;
        let tokenizing = host.now_ms();
        let encoding = model
            .tokenizer
            .encode(&state.text, model.weights.config.positions);
        let tokenize_ms = host.now_ms() - tokenizing;
        let ids: Vec<u32> = encoding.tokens.iter().map(|t| t.id).collect();
        let n = ids.len();
        host.send(FromEngine::Tokens {
            id,
            text: state.text.clone(),
            tokens: encoding.tokens,
            truncated: encoding.truncated,
        });
        let paused = host.now_ms();
        host.breathe().await;
        breathing += host.now_ms() - paused;
        if !host.is_current(id) {
            return;
        }
        let failed = |why: String| FromEngine::Head {
            id,
            head: Box::new(Err(why)),
        };
        // The text's embedding rows, then only the layers this head's Q, K and V depend on:
        // the first map does not wait for the rest of the model.
        let fetched = match self.fetch_rows(&ids, typing, id, host).await {
            Ok(true) if host.is_current(id) => {
                self.fetch_layers(Weights::parts_through(state.layer), id, host)
                    .await
            }
            other => other,
        };
        match fetched {
            Ok(true) if host.is_current(id) => {}
            Ok(_) => return,
            Err(why) => {
                return host.send(failed(format!(
                    "“{}” could not be analysed: {why}. The text is kept; the next edit tries again.",
                    excerpt(&state.text)
                )));
            }
        }
        let (trace, forward_ms) = match self.trace(&ids, host) {
            Ok(traced) => traced,
            Err(why) => return host.send(failed(why)),
        };
        let paused = host.now_ms();
        host.breathe().await;
        breathing += host.now_ms() - paused;
        if !host.is_current(id) {
            return;
        }
        let Some([q, k, v]) = cpu::head(&trace, state.layer, state.head) else {
            return host.send(failed(format!(
                "the model has no layer {} head {}",
                state.layer, state.head
            )));
        };
        let request = Request {
            mask: report::mask(state.causal),
            temperature: state.temperature,
            maps: state.specs(model.trained()),
            spectra: state.view == View::Errors,
            kernel_pairs: state.view == View::Kernel,
        };
        let engine = self.engine(state.backend, host);
        let outcome = engine.analyze(q.view(), k.view(), v.view(), &request).await;
        let on_gpu = engine.is_gpu() && outcome.gpu_failure.is_none();
        if let Some(error) = outcome.gpu_failure {
            self.fall_back(error, host);
        }
        let kept: Vec<usize> = if state.specials || n <= 2 {
            (0..n).collect()
        } else {
            (1..n - 1).collect()
        };
        let mut report = match outcome.value {
            Ok(report) => report,
            Err(e) => return host.send(failed(format!("the math refused this head: {e}"))),
        };
        let random: Vec<_> = report
            .maps
            .iter()
            .zip(&request.maps)
            .filter(|(_, spec)| spec.random.is_some())
            .map(|(m, spec)| (m.key.clone(), m.name.clone(), spec.clone()))
            .collect();
        let summary = head_summary(&report, q.view(), k.view(), state.causal);
        let cost = cost_model(&report, &summary);
        let lesson = state
            .lesson
            .map(|step| crate::lesson::facts(step, &report, &summary, q.view()));
        report.trim_for(state.view);
        host.send(FromEngine::Head {
            id,
            head: Box::new(Ok(HeadAnswer {
                summary,
                cost,
                lesson,
                report,
                on_gpu,
                layer: state.layer,
                head: state.head,
                query: ask.query.clone(),
                kept,
                compute_ms: host.now_ms() - began - breathing,
                model_ms: tokenize_ms + forward_ms,
            })),
        });
        match state.view {
            View::Kernel => self.against_m(id, &state, [&q, &k], random, host).await,
            View::Cost if ask.sweep => self.sweep(id, &state, host).await,
            _ => {}
        }
        // The rest of the model, once the first map is out: the overview and the spread need
        // every layer, and the other views will once the reader moves.
        let task = match state.view {
            View::Spread => Some(Task::Spread),
            View::Maps if n <= OVERVIEW_AUTO || (ask.overview && n <= OVERVIEW_LIMIT) => {
                Some(Task::Overview)
            }
            _ => None,
        };
        let all = model.weights.part_count();
        if !model.weights.missing_parts(all).is_empty() {
            // The first map goes on screen before the rest of the model competes with it.
            let waiting = host.now_ms();
            while !host.is_shown(id) && host.now_ms() - waiting < SHOWN_WAIT_MS {
                host.pause(IN_FLIGHT_WAIT_MS).await;
                if !host.is_current(id) {
                    return;
                }
            }
        }
        let fetched = self.fetch_layers(all, id, host).await;
        let Some(task) = task.filter(|_| host.is_current(id)) else {
            return;
        };
        let trace = match fetched.and_then(|_| self.trace(&ids, host)) {
            Ok((trace, _)) if trace.is_complete(model.weights.config.layers) => trace,
            Ok(_) => return,
            Err(why) => {
                return host.send(FromEngine::Unavailable {
                    id,
                    task,
                    why: format!("{why}. The next edit tries again."),
                });
            }
        };
        match task {
            Task::Spread => self.spread(id, &state, &ids, &trace, host).await,
            _ => self.overview(id, &state, &trace, host).await,
        }
    }

    /// Kernel error against m for each random map, over [`AGAINST_M_SEEDS`] seeds.
    async fn against_m(
        &self,
        id: u64,
        state: &AppState,
        [q, k]: [&Array2<f64>; 2],
        random: Vec<(String, String, MapSpec)>,
        host: &impl Host,
    ) {
        let mut series = Vec::new();
        let total = random.len();
        for (done, (key, name, spec)) in random.into_iter().enumerate() {
            if !next_step(host, id, Task::AgainstM, done, total).await {
                return;
            }
            let points = cpu::error_against_m(
                q.view(),
                k.view(),
                state.temperature,
                &spec,
                state.seed,
                AGAINST_M_SEEDS,
            )
            .unwrap_or_default();
            series.push(AgainstM { key, name, points });
            host.send(FromEngine::AgainstM {
                id,
                series: series.clone(),
            });
        }
        finished(host, id, Task::AgainstM, total);
    }

    /// Swap each chosen map into the state's layer and run the rest of the model.
    async fn spread(
        &self,
        id: u64,
        state: &AppState,
        ids: &[u32],
        trace: &Trace,
        host: &impl Host,
    ) {
        let d = self.model.weights.config.head_dim();
        let heads = self.model.weights.config.heads;
        let specs = state.specs(self.model.trained());
        let total = specs.len();
        let mut rows = Vec::new();
        for (done, spec) in specs.into_iter().enumerate() {
            if !next_step(host, id, Task::Spread, done, total).await {
                return;
            }
            // Trained maps have weights per head: each head of the layer gets its own.
            let maps: Vec<_> = (0..heads)
                .map(|h| {
                    state
                        .specs_for(self.model.trained(), state.layer, h)
                        .into_iter()
                        .find(|s| s.key == spec.key)
                        .unwrap_or_else(|| spec.clone())
                        .build(d)
                })
                .collect();
            let spread = cpu::spread(&self.model.weights, ids, trace, state.layer, &maps)
                .map_err(|e| e.to_string());
            rows.push(SpreadRow {
                key: spec.slug().to_string(),
                name: maps.first().map_or_else(String::new, |m| m.name()),
                spread,
            });
            host.send(FromEngine::Spread {
                id,
                rows: rows.clone(),
            });
        }
        finished(host, id, Task::Spread, total);
    }

    /// Every head's mean TV per map, layer by layer.
    async fn overview(&self, id: u64, state: &AppState, trace: &Trace, host: &impl Host) {
        let layers = trace.layers.len();
        let heads = trace.layers.first().map_or(0, |l| l.queries.dim().0);
        // A software GPU (SwiftShader, lavapipe) is slower than the CPU engine at these many
        // small dispatches.
        let engine = match self.engine(state.backend, host) {
            Engine::Gpu(gpu) if !gpu.adapter().software => Engine::Gpu(gpu),
            _ => Engine::Cpu(CpuReason::Chosen),
        };
        let mut on_gpu = engine.is_gpu();
        let mut result = Vec::with_capacity(layers);
        for layer in 0..layers {
            if !next_step(host, id, Task::Overview, layer, layers).await {
                return;
            }
            let Some(inputs) = (0..heads)
                .map(|h| cpu::head(trace, layer, h))
                .collect::<Option<Vec<_>>>()
            else {
                return;
            };
            let requests: Vec<Request> = (0..heads)
                .map(|head| Request {
                    mask: report::mask(state.causal),
                    temperature: state.temperature,
                    maps: state.specs_for(self.model.trained(), layer, head),
                    spectra: false,
                    kernel_pairs: false,
                })
                .collect();
            let outcome = engine.mean_tv(&inputs, &requests).await;
            if let Some(error) = outcome.gpu_failure {
                on_gpu = false;
                self.fall_back(error, host);
            }
            result.push(
                outcome
                    .value
                    .into_iter()
                    .map(Result::unwrap_or_default)
                    .collect(),
            );
        }
        host.send(FromEngine::Overview {
            id,
            won_back: won_back(&result),
            layers: result,
            on_gpu,
        });
    }

    /// Softmax against each chosen map as N grows, on the active engine.
    async fn sweep(&self, id: u64, state: &AppState, host: &impl Host) {
        let engine = self.engine(state.backend, host);
        let maps = state.specs(self.model.trained());
        let total = SWEEP_LENGTHS.len();
        let points = sweep(
            &engine,
            &maps,
            &SWEEP_LENGTHS,
            || host.now_ms(),
            || host.breathe(),
            |done| {
                host.send(FromEngine::Progress {
                    id,
                    task: Task::Sweep,
                    done,
                    total,
                });
                host.is_current(id)
            },
        )
        .await;
        host.send(FromEngine::Sweep {
            id,
            complete: host.is_current(id),
            crossovers: crossovers(&points),
            points,
            on_gpu: engine.is_gpu(),
        });
    }
}

/// One step of long work: say how far it got, let newer messages in, and whether to go on.
async fn next_step(host: &impl Host, id: u64, task: Task, done: usize, total: usize) -> bool {
    host.send(FromEngine::Progress {
        id,
        task,
        done,
        total,
    });
    host.breathe().await;
    host.is_current(id)
}

/// Long work is done: the page stops saying it is under way.
fn finished(host: &impl Host, id: u64, task: Task, total: usize) {
    host.send(FromEngine::Progress {
        id,
        task,
        done: total,
        total,
    });
}

impl BackendStatus {
    /// What the backend panel says about `engine` (`None`: still starting).
    pub fn of(engine: Option<&Engine>) -> Self {
        let (kind, summary, detail) = match engine {
            None => ("starting", "Starting…".to_string(), String::new()),
            Some(Engine::Gpu(gpu)) => {
                let a = gpu.adapter();
                (
                    "webgpu",
                    format!("{} on {} · {}", a.backend, a.vendor, a.architecture),
                    a.description.clone(),
                )
            }
            Some(Engine::Cpu(CpuReason::Chosen)) => (
                "cpu",
                "CPU (chosen)".to_string(),
                "WebGPU is switched off by the toggle below.".to_string(),
            ),
            Some(Engine::Cpu(CpuReason::Fallback(error))) => (
                "cpu",
                "CPU (fallback)".to_string(),
                format!("WebGPU is not used: {error}."),
            ),
        };
        BackendStatus {
            kind: kind.to_string(),
            summary,
            detail,
        }
    }
}

/// The start of `text`, for a message that names it.
fn excerpt(text: &str) -> String {
    const CHARS: usize = 40;
    let mut short: String = text.chars().take(CHARS).collect();
    if text.chars().nth(CHARS).is_some() {
        short.push('…');
    }
    short
}
