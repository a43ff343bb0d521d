//! kernelscope: softmax attention against linear (kernel feature map) attention,
//! computed on WebGPU or the CPU and drawn side by side.
//!
//! The math (`engine`) never touches the DOM; the UI (`ui`) never does math.

pub mod attention;
pub mod decimal;
pub mod engine;
pub mod kernels;
pub mod lesson;
pub mod metrics;
pub mod model;
pub mod state;
pub mod ui;
