//! Golden cases written by `tools/reference/scores.py` (float64 numpy), shared by the
//! native and the browser tests.
#![allow(dead_code)]

use ndarray::Array2;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct GoldenFile {
    pub cases: Vec<ScoresCase>,
}

#[derive(Deserialize)]
pub struct ScoresCase {
    pub name: String,
    pub n_q: usize,
    pub n_k: usize,
    pub d: usize,
    pub scale: f64,
    pub q: Vec<f64>,
    pub k: Vec<f64>,
    pub scores: Vec<f64>,
    pub checksum: f64,
}

impl ScoresCase {
    pub fn queries(&self) -> Array2<f32> {
        matrix(self.n_q, self.d, &self.q)
    }
    pub fn keys(&self) -> Array2<f32> {
        matrix(self.n_k, self.d, &self.k)
    }
    pub fn scale(&self) -> f32 {
        self.scale as f32
    }
    pub fn expected(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.n_q, self.n_k), self.scores.clone()).expect("golden shape")
    }
}

fn matrix(rows: usize, cols: usize, values: &[f64]) -> Array2<f32> {
    let values = values.iter().map(|&v| v as f32).collect();
    Array2::from_shape_vec((rows, cols), values).expect("golden shape")
}

pub fn golden() -> GoldenFile {
    serde_json::from_str(include_str!("../golden/scores.json")).expect("golden file parses")
}

/// Tolerance of the scores: 1e-5 of the largest |S| of the case (f32 accumulation over d terms).
pub const SCORES_RELATIVE_TOLERANCE: f64 = 1e-5;

/// Largest error of `actual` against `expected`, relative to the largest |expected| (or 1).
pub fn relative_error(actual: &Array2<f32>, expected: &Array2<f64>) -> f64 {
    assert_eq!(actual.dim(), expected.dim(), "shape");
    let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    actual
        .iter()
        .zip(expected.iter())
        .map(|(&a, &e)| (f64::from(a) - e).abs() / scale)
        .fold(0.0, f64::max)
}
