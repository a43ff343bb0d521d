//! kernelscope: softmax attention against linear (kernel feature map) attention,
//! computed on WebGPU or the CPU and drawn side by side.
//!
//! The math (`engine`) never touches the DOM; the UI (`ui`) never does math.

/// A kernel's WGSL from `shaders/`, as `build.rs` leaves it (without comments or indentation).
macro_rules! wgsl {
    ($file:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/shaders/", $file))
    };
}

pub mod attention;
pub mod decimal;
pub mod engine;
pub mod kernels;
pub mod lesson;
pub mod metrics;
pub mod model;
pub mod state;
pub mod ui;
