//! The Leptos UI: it keeps the state in the URL, asks the engine (a Web Worker, see
//! `client`), and draws what comes back. It does no math.
//!
//! Data flows one way: state (URL) → the engine → tokens, then the head's report, then the
//! view's long work → views. `app` wires it; `panels/` are the sidebar, `views/` one file per
//! view, `plot/` the heatmap and the chart (their layout and colours are tested natively).

pub mod plot;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod lesson;
#[cfg(target_arch = "wasm32")]
mod offline;
#[cfg(target_arch = "wasm32")]
mod panels;
#[cfg(target_arch = "wasm32")]
mod url;
#[cfg(target_arch = "wasm32")]
mod views;

#[cfg(target_arch = "wasm32")]
pub use app::{Shared, Tokens, in_a_page, mark, start};
#[cfg(target_arch = "wasm32")]
pub use client::{Analysis, EngineLink, ModelStatus};
