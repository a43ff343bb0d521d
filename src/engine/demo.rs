//! The fixed example the foundation computes on both paths.
//!
//! Entries are small multiples of 1/4, so they are exact in f32 and an independent
//! script (`tools/reference/scores.py`) reproduces the very same inputs.

use ndarray::Array2;

pub const DEMO_N: usize = 16;
pub const DEMO_D: usize = 32;

/// Queries: `((7i + 5c + 3) mod 17 − 8) / 4`.
pub fn demo_queries(n: usize, d: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, d), |(i, c)| {
        ((7 * i + 5 * c + 3) % 17) as f32 / 4.0 - 2.0
    })
}

/// Keys: `((11j + 3c + 1) mod 13 − 6) / 4`.
pub fn demo_keys(n: usize, d: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, d), |(j, c)| {
        ((11 * j + 3 * c + 1) % 13) as f32 / 4.0 - 1.5
    })
}

/// The usual attention scale `1/√d`.
pub fn inverse_sqrt_dim(d: usize) -> f32 {
    1.0 / (d.max(1) as f32).sqrt()
}
