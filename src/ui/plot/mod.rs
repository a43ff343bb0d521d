//! The two plot kinds every view is made of, both on a canvas so any plot exports as PNG:
//! a heatmap (matrices: attention maps, errors, features) and a chart (lines and points).
//! Both have axes, a colour bar or legend, a hover and keyboard read-out of exact values,
//! and data attributes with the values drawn, for the end-to-end tests.
//!
//! What is drawn, where and in which colour (`data`, `scales`, `colour`) is plain Rust, tested
//! natively; the canvas drawing and the components are the browser's part.

pub mod colour;
pub mod data;
pub mod json;
pub mod layout;
pub mod scales;

#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(target_arch = "wasm32")]
mod chart;
#[cfg(target_arch = "wasm32")]
mod heatmap;

pub use colour::ColourScale;
pub use data::{ChartPlot, MatrixPlot, Series, keep, keep_rows};
pub use scales::fmt;

#[cfg(target_arch = "wasm32")]
pub use chart::Chart;
#[cfg(target_arch = "wasm32")]
pub use heatmap::Heatmap;
