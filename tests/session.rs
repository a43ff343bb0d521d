#![cfg(not(target_arch = "wasm32"))]
//! The engine's one entry point, called directly as the worker calls it: a state in, the
//! answers the views draw out, in order; outdated work dropped; malformed messages refused.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use kernelscope::engine::assets::Model;
use kernelscope::engine::cpu;
use kernelscope::engine::protocol::{Ask, FromEngine, Task, ToEngine, decode, encode};
use kernelscope::engine::report::{self, Request};
use kernelscope::engine::session::{AGAINST_M_SEEDS, Host, SWEEP_LENGTHS, Session};
use kernelscope::model::forward::forward;
use kernelscope::state::{AppState, View};

fn model() -> Arc<Model> {
    Arc::new(Model::from_folder(&assets()).expect("the shipped model loads"))
}

/// Collects answers; counts its breaths, and can declare the ask outdated after `current_for`.
struct Recorder {
    answers: RefCell<Vec<FromEngine>>,
    breaths: Cell<usize>,
    current_for: usize,
    /// The site's files it was asked for, in order.
    fetched: RefCell<Vec<String>>,
    /// Serve the files whose path starts with this one byte short, as a broken connection
    /// would ("" for every file).
    truncate: RefCell<Option<&'static str>>,
    /// Answers' kinds and fetched files, in the order they happened.
    events: RefCell<Vec<String>>,
}

impl Recorder {
    fn new(current_for: usize) -> Self {
        Self {
            answers: RefCell::new(Vec::new()),
            breaths: Cell::new(0),
            current_for,
            fetched: RefCell::new(Vec::new()),
            truncate: RefCell::new(None),
            events: RefCell::new(Vec::new()),
        }
    }
    fn kinds(&self) -> Vec<&'static str> {
        self.answers
            .borrow()
            .iter()
            .map(kind)
            .filter(|k| !["progress", "whole-model"].contains(k))
            .collect()
    }

    /// Forget what it recorded, then have `session` answer `state`.
    fn answer_afresh(&self, session: &Session, state: &AppState) {
        self.answers.borrow_mut().clear();
        self.fetched.borrow_mut().clear();
        pollster::block_on(session.answer(&ask(state), self));
    }

    /// The layer files it was asked for, in order.
    fn fetched_layers(&self) -> Vec<String> {
        let fetched = self.fetched.borrow();
        fetched
            .iter()
            .filter(|f| f.starts_with("layers/"))
            .cloned()
            .collect()
    }
}

fn kind(answer: &FromEngine) -> &'static str {
    match answer {
        FromEngine::Tokens { .. } => "tokens",
        FromEngine::Head { .. } => "head",
        FromEngine::Overview { .. } => "overview",
        FromEngine::Progress { .. } => "progress",
        FromEngine::AgainstM { .. } => "against-m",
        FromEngine::Spread { .. } => "spread",
        FromEngine::Sweep { .. } => "sweep",
        FromEngine::Backend(_) => "backend",
        FromEngine::Unavailable { .. } => "unavailable",
        FromEngine::WholeModel { .. } => "whole-model",
        _ => "other",
    }
}

impl Host for Recorder {
    fn send(&self, answer: FromEngine) {
        // Every answer crosses the worker boundary as bytes: it must survive the trip.
        let bytes = encode(&answer).expect("encodes");
        let back: FromEngine = decode(&bytes).expect("decodes");
        self.events.borrow_mut().push(kind(&back).to_string());
        self.answers.borrow_mut().push(back);
    }
    fn is_current(&self, _id: u64) -> bool {
        self.breaths.get() <= self.current_for
    }
    fn is_shown(&self, _id: u64) -> bool {
        true
    }
    async fn breathe(&self) {
        self.breaths.set(self.breaths.get() + 1);
    }
    fn now_ms(&self) -> f64 {
        0.0
    }
    async fn pause(&self, _ms: f64) {
        self.breaths.set(self.breaths.get() + 1);
    }
    /// The assets folder stands in for the site.
    async fn fetch_all(&self, files: &[String]) -> Vec<Result<Vec<u8>, String>> {
        files
            .iter()
            .map(|file| {
                self.fetched.borrow_mut().push(file.clone());
                self.events.borrow_mut().push(file.clone());
                let mut bytes = std::fs::read(assets().join(file)).map_err(|e| e.to_string())?;
                if self.truncate.borrow().is_some_and(|p| file.starts_with(p)) {
                    bytes.pop();
                }
                Ok(bytes)
            })
            .collect()
    }
}

fn token_ids(model: &Model, text: &str) -> Vec<u32> {
    let encoding = model.tokenizer.encode(text, 512);
    encoding.tokens.iter().map(|t| t.id).collect()
}

fn assets() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// The shipped model as the worker first holds it: no layer file and no word-embedding shard
/// in yet.
fn model_as_first_loaded() -> Arc<Model> {
    let read = |name: &str| std::fs::read(assets().join(name)).expect("an asset");
    Arc::new(
        Model::from_files(
            &read("model.safetensors"),
            &read("vocab.txt"),
            Ok(read("hedgehog.safetensors")),
        )
        .expect("the shipped model loads"),
    )
}

/// The word embeddings come in shards as the text needs them: a shard that arrives damaged is
/// refused with a message that names the text and keeps nothing; the next ask fetches it again
/// and succeeds; a later ask on the same words fetches nothing; the rows are the ones the whole
/// model holds.
#[test]
fn embedding_shards_are_fetched_as_the_text_needs_them_and_checked() {
    let session = Session::new(model_as_first_loaded());
    let state = AppState::default();
    let host = Recorder::new(usize::MAX);
    host.truncate.replace(Some(""));
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head"]);
    let failed = host.fetched.borrow().clone();
    assert!(!failed.is_empty() && failed.len() < 20, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|f| f.starts_with("embeddings/") && f.ends_with(".bin"))
    );
    {
        let answers = host.answers.borrow();
        let FromEngine::Head { head, .. } = &answers[1] else {
            unreachable!()
        };
        let Err(why) = head.as_ref() else {
            panic!("the head should be refused")
        };
        assert!(
            why.contains("“The cat that the dog chased ran up the t…” could not be analysed"),
            "{why}"
        );
        assert!(
            why.contains("bytes, expected") && why.contains("the next edit tries again"),
            "{why}"
        );
    }

    host.truncate.replace(None);
    host.answer_afresh(&session, &state);
    assert_eq!(host.kinds(), ["tokens", "head", "overview"]);
    let shards: Vec<String> = host
        .fetched
        .borrow()
        .iter()
        .filter(|f| f.starts_with("embeddings/"))
        .cloned()
        .collect();
    assert_eq!(shards, failed, "the same shards, fetched again");

    host.answer_afresh(&session, &state);
    assert!(host.fetched.borrow().is_empty());

    // The rows fetched are the rows of the whole table.
    let whole = model();
    let ids = token_ids(&whole, &state.text);
    let lazy = model_as_first_loaded();
    assert!(forward(&lazy.weights, &ids, None).is_err(), "no rows yet");
    let reference = forward(&whole.weights, &ids, None).expect("forward");
    lazy.weights
        .load_layers(&assets())
        .expect("the layer files");
    let session_trace = {
        let table = &lazy.weights.word_embeddings;
        for k in table.missing_shards(&ids) {
            let bytes = std::fs::read(assets().join(
                kernelscope::model::embeddings::WordEmbeddings::shard_file(k),
            ))
            .expect("shard");
            table.insert_shard(k, &bytes).expect("a good shard");
        }
        forward(&lazy.weights, &ids, None).expect("forward")
    };
    assert_eq!(session_trace.embeddings, reference.embeddings);
}

/// The layers come in two files each, fetched as the chosen head needs them: a layer-0 map
/// waits only for layer 0's query/key/value file, and the rest of the model follows after the
/// head's answer (the overview needs it). The answers equal those of the model loaded whole.
#[test]
fn the_first_map_waits_only_for_the_layers_it_needs() {
    let session = Session::new(model_as_first_loaded());
    let state = AppState::default();
    let host = Recorder::new(usize::MAX);
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head", "overview"]);
    let events = host.events.borrow().clone();
    let at = |what: &str| {
        events
            .iter()
            .position(|e| e == what)
            .unwrap_or_else(|| panic!("{what} did not happen: {events:?}"))
    };
    assert!(at("layers/0.qkv.safetensors") < at("head"), "{events:?}");
    assert!(at("head") < at("layers/0.output.safetensors"), "{events:?}");
    // The page learns once that every layer is in (it then keeps an offline copy).
    assert!(
        at("layers/2.output.safetensors") < at("whole-model"),
        "{events:?}"
    );
    assert_eq!(events.iter().filter(|e| *e == "whole-model").count(), 1);
    assert_eq!(
        host.fetched_layers(),
        [
            "layers/0.qkv.safetensors",
            "layers/0.output.safetensors",
            "layers/1.qkv.safetensors",
            "layers/1.output.safetensors",
            "layers/2.qkv.safetensors",
            "layers/2.output.safetensors",
        ],
        "each file once, in the order the layers use them"
    );

    let whole = Recorder::new(usize::MAX);
    pollster::block_on(Session::new(model()).answer(&ask(&state), &whole));
    {
        let (got, want) = (host.answers.borrow(), whole.answers.borrow());
        let head = |answers: &[FromEngine]| match answers.iter().find(|a| kind(a) == "head") {
            Some(FromEngine::Head { head, .. }) => head.as_ref().clone().expect("a report"),
            _ => panic!("no head"),
        };
        let (a, b) = (head(&got), head(&want));
        assert_eq!(a.report.softmax, b.report.softmax);
        let overview = |answers: &[FromEngine]| match answers.last() {
            Some(FromEngine::Overview { layers, .. }) => layers.clone(),
            _ => panic!("no overview"),
        };
        assert_eq!(overview(&got), overview(&want));
    }

    // A head of layer 2 needs every layer before it; nothing is fetched twice.
    host.fetched.borrow_mut().clear();
    let later = AppState {
        layer: 2,
        ..AppState::default()
    };
    pollster::block_on(session.answer(&ask(&later), &host));
    assert!(host.fetched_layers().is_empty());
    let told = host
        .events
        .borrow()
        .iter()
        .filter(|e| *e == "whole-model")
        .count();
    assert_eq!(told, 1, "told once per session");
}

/// A damaged layer file: the head that needs it says which text and which file, the overview
/// that needs a later one says it is not available, and the next ask fetches them again.
#[test]
fn a_damaged_layer_file_is_refused_and_fetched_again() {
    let session = Session::new(model_as_first_loaded());
    let state = AppState::default();
    let host = Recorder::new(usize::MAX);
    host.truncate.replace(Some("layers/0.qkv"));
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head"]);
    {
        let answers = host.answers.borrow();
        let Some(FromEngine::Head { head, .. }) = answers.last() else {
            unreachable!()
        };
        let why = head.as_ref().as_ref().expect_err("refused");
        assert!(
            why.contains("could not be analysed")
                && why.contains("layers/0.qkv.safetensors")
                && why.contains("bytes, expected")
                && why.contains("the next edit tries again"),
            "{why}"
        );
    }

    host.truncate.replace(Some("layers/2."));
    host.answers.borrow_mut().clear();
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head", "unavailable"]);
    {
        let answers = host.answers.borrow();
        let Some(FromEngine::Unavailable { why, .. }) = answers.last() else {
            unreachable!()
        };
        assert!(
            why.contains("layers/2.qkv.safetensors") && why.contains("layers/2.output"),
            "{why}"
        );
    }

    host.truncate.replace(None);
    host.answer_afresh(&session, &state);
    assert_eq!(host.kinds(), ["tokens", "head", "overview"]);
    assert_eq!(
        host.fetched_layers(),
        ["layers/2.qkv.safetensors", "layers/2.output.safetensors"]
    );
}

fn ask(state: &AppState) -> Ask {
    Ask {
        id: 7,
        query: state.to_query(),
        overview: false,
        sweep: false,
    }
}

#[test]
fn a_state_is_answered_with_tokens_then_the_report_then_the_overview() {
    let model = model();
    let session = Session::new(model.clone());
    let state = AppState::default();
    let host = Recorder::new(usize::MAX);
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head", "overview"]);

    let answers = host.answers.borrow();
    let FromEngine::Tokens { id, tokens, .. } = &answers[0] else {
        unreachable!()
    };
    assert_eq!(*id, 7);
    let expected = model
        .tokenizer
        .encode(&state.text, model.weights.config.positions);
    assert_eq!(tokens, &expected.tokens);

    // The report is the CPU engine's report of the chosen head, computed here independently of
    // the session.
    let FromEngine::Head { id, head } = &answers[1] else {
        unreachable!()
    };
    assert_eq!(*id, 7);
    let head = head.as_ref().as_ref().expect("a report");
    assert_eq!((head.layer, head.head, head.on_gpu), (0, 2, false));
    assert_eq!(head.query, state.to_query());
    let ids: Vec<u32> = expected.tokens.iter().map(|t| t.id).collect();
    let trace = forward(&model.weights, &ids, None).expect("forward");
    let [q, k, v] = cpu::head(&trace, 0, 2).expect("head 0.2");
    let request = Request {
        mask: report::mask(false),
        temperature: 1.0,
        maps: state.specs(model.trained()),
        spectra: false,
        kernel_pairs: false,
    };
    let direct = cpu::analyze(q.view(), k.view(), v.view(), &request).expect("report");
    assert_eq!(head.report.softmax, direct.softmax);
    let keys: Vec<&str> = head.report.maps.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["elu", "performer", "taylor", "hedgehog"]);
    for (got, want) in head.report.maps.iter().zip(&direct.maps) {
        assert_eq!(got.attention, want.attention, "{}", got.key);
        assert_eq!(got.rows, want.rows, "{}", got.key);
    }

    // The overview: every head, each chosen map, and the chosen head's entry is its mean TV.
    let Some(FromEngine::Overview { layers, on_gpu, .. }) = answers.last() else {
        unreachable!()
    };
    assert!(!on_gpu);
    assert_eq!(layers.len(), 3);
    assert!(layers.iter().all(|heads| heads.len() == 12));
    let tv_of_elu = layers[0][2]
        .iter()
        .find(|(name, _)| name == "elu+1")
        .expect("elu+1")
        .1;
    let mean_tv = direct.maps[0].rows.tv.iter().sum::<f64>() / direct.n as f64;
    assert!(
        (tv_of_elu - mean_tv).abs() <= 1e-12,
        "{tv_of_elu} against {mean_tv}"
    );
}

#[test]
fn work_for_an_outdated_state_stops_at_the_next_step() {
    let session = Session::new(model());
    let state = AppState::default();
    // Outdated after the first breath: the tokens went out, nothing after them does.
    let host = Recorder::new(0);
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens"]);
    // Outdated during the overview: the report went out, the overview does not.
    let host = Recorder::new(3);
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head"]);
}

#[test]
fn the_kernel_view_gets_error_against_m_for_random_maps_only() {
    let session = Session::new(model());
    let state = AppState {
        view: View::Kernel,
        maps: vec![
            kernelscope::state::MapKey::Elu,
            kernelscope::state::MapKey::Performer,
            kernelscope::state::MapKey::Trig,
        ],
        ..AppState::default()
    };
    let host = Recorder::new(usize::MAX);
    pollster::block_on(session.answer(&ask(&state), &host));
    assert_eq!(host.kinds(), ["tokens", "head", "against-m", "against-m"]);
    let answers = host.answers.borrow();
    assert!(
        matches!(
            answers.last(),
            Some(FromEngine::Progress {
                task: Task::AgainstM,
                done: 2,
                total: 2,
                ..
            })
        ),
        "the last word says the work is done"
    );
    let Some(FromEngine::AgainstM { series, .. }) = answers
        .iter()
        .rev()
        .find(|a| matches!(a, FromEngine::AgainstM { .. }))
    else {
        unreachable!()
    };
    let keys: Vec<&str> = series.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["performer", "trig"]);
    for s in series {
        assert_eq!(s.points.len(), 7, "{}", s.key);
        assert!(s.points.iter().all(|p| p.per_seed.len() == AGAINST_M_SEEDS));
    }
    let FromEngine::Head { head, .. } = &answers[1] else {
        unreachable!()
    };
    let report = &head.as_ref().as_ref().expect("report").report;
    assert!(
        report.maps.iter().all(|m| m.kernel.is_some()),
        "kernel pairs on the kernel view"
    );
}

#[test]
fn the_spread_view_gets_one_row_per_map_and_the_cost_view_a_sweep_when_asked() {
    let session = Session::new(model());
    let state = AppState {
        view: View::Spread,
        layer: 1,
        ..AppState::default()
    };
    let host = Recorder::new(usize::MAX);
    pollster::block_on(session.answer(&ask(&state), &host));
    let answers = host.answers.borrow();
    // The last word says the work is done, so the page stops saying it is under way.
    assert!(
        matches!(
            answers.last(),
            Some(FromEngine::Progress {
                task: Task::Spread,
                done: 4,
                total: 4,
                ..
            })
        ),
        "{:?}",
        host.kinds()
    );
    let Some(FromEngine::Spread { rows, .. }) = answers
        .iter()
        .rev()
        .find(|a| matches!(a, FromEngine::Spread { .. }))
    else {
        panic!("{:?}", host.kinds())
    };
    assert_eq!(rows.len(), 4);
    for row in rows {
        let spread = row.spread.as_ref().expect("spread");
        let layers: Vec<usize> = spread.hidden_change.iter().map(|c| c.0).collect();
        assert_eq!(layers, [1, 2], "{}", row.key);
        assert!(spread.sentence_cosine <= 1.0 + 1e-9 && spread.sentence_cosine > 0.0);
    }
    // Trained Hedgehog swaps in with each head's own weights, not the chosen head's for all.
    let model = model();
    let ids = token_ids(&model, &state.text);
    let trace = forward(&model.weights, &ids, None).expect("forward");
    let d = model.weights.config.head_dim();
    let per_head: Vec<_> = (0..model.weights.config.heads)
        .map(|h| state.specs_for(model.trained(), 1, h)[3].build(d))
        .collect();
    let one_for_all = vec![state.specs(model.trained())[3].build(d)];
    let expected = cpu::spread(&model.weights, &ids, &trace, 1, &per_head).expect("spread");
    let wrong = cpu::spread(&model.weights, &ids, &trace, 1, &one_for_all).expect("spread");
    let hedgehog = rows
        .iter()
        .find(|r| r.key == "hedgehog")
        .expect("hedgehog row");
    assert_eq!(hedgehog.spread.as_ref().expect("spread"), &expected);
    assert_ne!(expected, wrong, "the heads' weights differ");
    drop(answers);

    let state = AppState {
        view: View::Cost,
        maps: vec![kernelscope::state::MapKey::Elu],
        ..AppState::default()
    };
    let host = Recorder::new(usize::MAX);
    let mut asked = ask(&state);
    asked.sweep = true;
    pollster::block_on(session.answer(&asked, &host));
    let answers = host.answers.borrow();
    let Some(FromEngine::Sweep {
        points, complete, ..
    }) = answers.last()
    else {
        panic!("{:?}", host.kinds())
    };
    assert!(complete);
    assert_eq!(points.len(), 2 * SWEEP_LENGTHS.len());
}

#[test]
fn a_hostile_query_is_answered_for_the_state_it_parses_to() {
    let session = Session::new(model());
    let host = Recorder::new(0);
    let hostile = Ask {
        id: 1,
        query: "layer=99&head=-1&maps=<script>&text=%F0%9F%A6%80%00".into(),
        overview: false,
        sweep: false,
    };
    pollster::block_on(session.answer(&hostile, &host));
    assert_eq!(host.kinds(), ["tokens"]);
}

#[test]
fn malformed_messages_are_rejected_not_trusted() {
    let ask = ToEngine::Ask(Ask {
        id: 3,
        query: "text=hello".into(),
        overview: true,
        sweep: false,
    });
    let bytes = encode(&ask).expect("encodes");
    assert_eq!(decode::<ToEngine>(&bytes).expect("decodes"), ask);
    // Cut short, garbage, empty, or an unknown variant: an error, never a panic.
    for bad in [
        &bytes[..bytes.len() - 3],
        &[0xff, 0xff, 0xff][..],
        &[][..],
        &[9, 1][..],
    ] {
        assert!(decode::<ToEngine>(bad).is_err(), "{bad:?}");
    }
    assert!(decode::<FromEngine>(&[2, 0xff]).is_err());
}
