//! The messages between the page and the engine (a Web Worker in the browser): the page sends
//! the state, the engine answers with everything that is drawn. Both directions travel as
//! postcard bytes; anything that does not decode is rejected, never trusted.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::report::{Report, Spread};
use super::summary::{CostModel, HeadSummary, WonBack};
use super::sweep::SweepPoint;
use crate::metrics::ErrorAtM;
use crate::model::tokenizer::Token;

/// From the page to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToEngine {
    Ask(Ask),
    /// The page has drawn its answer to ask `id`: the engine may fetch the rest of the model
    /// without competing with the first map.
    Shown {
        id: u64,
    },
    /// Test hook (e2e): panic inside the engine, to prove that the page recovers.
    Panic,
    /// Test hook (e2e): destroy the GPU device, as a driver reset would.
    LoseDevice,
}

/// Everything the views need for one state. A newer ask supersedes every older one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ask {
    /// Increasing; answers carry it, so the page can drop those of an outdated state.
    pub id: u64,
    /// The state as its query string: the engine parses and validates it itself.
    pub query: String,
    /// The all-heads overview was asked for, on a text too long to compare by default.
    pub overview: bool,
    /// The timing sweep of the cost view was asked for.
    pub sweep: bool,
}

/// Each chosen map's name and mean TV from softmax, for one head.
pub type HeadTvs = Vec<(String, f64)>;

/// Per layer, per head: [`HeadTvs`].
pub type OverviewLayers = Vec<Vec<HeadTvs>>;

/// From the engine to the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum FromEngine {
    /// The engine is listening (messages sent before this are lost).
    Ready,
    /// The model loaded, or why it did not; sent once.
    Model(Result<ModelFacts, String>),
    /// Which backend answers now, and why.
    Backend(BackendStatus),
    /// The GPU device was lost: the page asks again, and the CPU answers.
    DeviceLost,
    Tokens {
        id: u64,
        /// The text the tokens' byte spans point into.
        text: String,
        tokens: Vec<Token>,
        /// Text tokens that did not fit the model.
        truncated: usize,
    },
    Head {
        id: u64,
        head: Box<Result<HeadAnswer, String>>,
    },
    /// Kernel error against m, per random map (the kernel view); grows map by map.
    AgainstM { id: u64, series: Vec<AgainstM> },
    /// One row per chosen map (the spread view); grows map by map.
    Spread { id: u64, rows: Vec<SpreadRow> },
    /// Per layer, per head, each map's mean TV (the maps view).
    Overview {
        id: u64,
        layers: OverviewLayers,
        /// Trained Hedgehog against the best other chosen map, per head.
        won_back: Option<WonBack>,
        on_gpu: bool,
    },
    /// The timing sweep (the cost view); `complete` is false when newer input cut it short.
    Sweep {
        id: u64,
        points: Vec<SweepPoint>,
        /// Per timed map, the smallest N at which it beat softmax.
        crossovers: Vec<(String, Option<usize>)>,
        on_gpu: bool,
        complete: bool,
    },
    /// Long work for `id` that cannot be done, and why (the model's later layers did not
    /// load); the page says so where the work's result would be.
    Unavailable { id: u64, task: Task, why: String },
    /// Long work under way for `id`; `done == total` once it has finished.
    Progress {
        id: u64,
        task: Task,
        done: usize,
        total: usize,
    },
    /// Every layer has arrived: the page may keep an offline copy of the site, with the
    /// embedding shards fetched so far (`files`, relative to the site). Sent once.
    WholeModel { files: Vec<String> },
}

/// What the page needs to know about the loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    /// Why the trained Hedgehog weights cannot be used, if they cannot.
    pub hedgehog_refused: Option<String>,
    pub layers: usize,
    pub heads: usize,
}

/// The backend panel's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    /// "starting", "webgpu" or "cpu".
    pub kind: String,
    pub summary: String,
    pub detail: String,
}

/// One head's report and what it was computed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadAnswer {
    pub report: Report,
    /// Whether WebGPU computed the report (else the CPU engine).
    pub on_gpu: bool,
    pub layer: usize,
    pub head: usize,
    /// The state it was computed for, as its query string.
    pub query: String,
    /// Token indices shown in the maps ([CLS] and [SEP] can be hidden).
    pub kept: Vec<usize>,
    /// The engine's own time for this ask up to the report: tokens, model and report (ms).
    pub compute_ms: f64,
    /// Of that, tokenizing the text and the model's forward pass (ms): the figure the
    /// ONNX Runtime comparison times (e2e/bench/ort.mjs).
    pub model_ms: f64,
    /// The read-outs printed beside the maps.
    pub summary: HeadSummary,
    /// FLOPs as N grows, and error against cost at this N.
    pub cost: CostModel,
    /// In a lesson step, the facts its sentences state.
    pub lesson: Option<crate::lesson::Facts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgainstM {
    /// The map's slug.
    pub key: String,
    pub name: String,
    pub points: Vec<ErrorAtM>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpreadRow {
    pub key: String,
    pub name: String,
    pub spread: Result<Spread, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    Overview,
    Spread,
    AgainstM,
    Sweep,
}

impl Task {
    pub fn label(self) -> &'static str {
        match self {
            Task::Overview => "comparing every head",
            Task::Spread => "running the model once per map",
            Task::AgainstM => "measuring error against m",
            Task::Sweep => "timing each length",
        }
    }
}

pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(message).map_err(|e| format!("could not encode a message: {e}"))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("a malformed message was rejected: {e}"))
}
