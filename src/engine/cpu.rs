//! The CPU path: plain ndarray, the reference every other path is checked against.

use ndarray::{Array2, ArrayView2};

/// Attention scores `S = Q·Kᵀ · scale`, with Q of shape n_q×d and K of shape n_k×d.
pub fn scores(q: ArrayView2<f32>, k: ArrayView2<f32>, scale: f32) -> Array2<f32> {
    let mut s = q.dot(&k.t());
    s.mapv_inplace(|x| x * scale);
    s
}
