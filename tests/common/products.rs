//! The forward pass's matrix product (`src/model/products.rs`) against a plain float64 triple
//! loop, on shapes that leave remainders in every blocked dimension. Natively this runs the
//! portable kernel; in wasm32 (tests/web.rs) the SIMD one the browser runs.

use kernelscope::model::products::{blocked, times_transposed};
use ndarray::Array2;

/// A deterministic matrix of values in [-1, 1).
fn matrix(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    })
}

pub fn check_products() {
    // (n, k, m): one row, odd rows, several row blocks; k with and without a remainder of 4;
    // m below, at and above multiples of 4; the model's own shapes.
    for (n, k, m) in [
        (1, 4, 4),
        (3, 7, 5),
        (5, 32, 9),
        (67, 384, 384),
        (130, 1536, 6),
        (32, 384, 1536),
        (9, 0, 3),
    ] {
        let (x, w) = (matrix(n, k, 1), matrix(m, k, 2));
        let y = times_transposed(x.view(), w.view());
        assert_eq!(y.dim(), (n, m));
        // The blocking itself, whichever kernel this target gives it.
        let mut out = vec![f32::NAN; n * m];
        blocked(
            x.as_slice().expect("standard layout"),
            w.as_slice().expect("standard layout"),
            n,
            k,
            m,
            &mut out,
        );
        for r in 0..n {
            for o in 0..m {
                let exact: f64 = (0..k)
                    .map(|c| f64::from(x[[r, c]]) * f64::from(w[[o, c]]))
                    .sum();
                let size: f64 = (0..k)
                    .map(|c| (f64::from(x[[r, c]]) * f64::from(w[[o, c]])).abs())
                    .sum();
                // f32 sums in another order: a few units in the last place of the terms' sum.
                let tolerance = 1e-6 * size.max(1.0);
                for (how, got) in [("product", y[[r, o]]), ("blocked", out[r * m + o])] {
                    assert!(
                        (f64::from(got) - exact).abs() <= tolerance,
                        "{how} {n}×{k}·({m}×{k})ᵀ at [{r}, {o}]: {got} against {exact}"
                    );
                }
            }
        }
    }
    // A transposed view (as A·V uses it) gives the same as its standard-layout copy.
    let (a, v) = (matrix(6, 10, 3), matrix(10, 4, 4));
    let by_view = times_transposed(a.view(), v.t());
    let by_copy = times_transposed(a.view(), v.t().as_standard_layout().view());
    assert_eq!(by_view, by_copy);
}

/// The softmax of attention rows and GELU (`src/model/activations.rs`) against float64, on
/// rows with and without a remainder of 4, large scores, and GELU's whole useful range.
pub fn check_activations() {
    use kernelscope::model::activations::{gelu, softmax_rows};
    for (rows, cols, spread) in [(3, 1, 1.0), (5, 7, 4.0), (4, 64, 30.0), (2, 131, 1e4)] {
        let scores = matrix(rows, cols, 5).mapv(|x| x * spread);
        let mut a = scores.clone();
        let scale = 0.176_776_7_f32;
        softmax_rows(&mut a, scale);
        for r in 0..rows {
            let max = scores
                .row(r)
                .iter()
                .map(|&x| f64::from(x * scale))
                .fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = scores
                .row(r)
                .iter()
                .map(|&x| (f64::from(x * scale) - max).exp())
                .collect();
            let total: f64 = exps.iter().sum();
            for (c, e) in exps.iter().enumerate() {
                let (got, want) = (f64::from(a[[r, c]]), e / total);
                // A few f32 roundings of a probability, and e^x below −87 taken as 1e-38.
                assert!(
                    (got - want).abs() <= 1e-6 * want + 1e-30,
                    "softmax [{r}, {c}] of {rows}×{cols} at spread {spread}: {got} against {want}"
                );
            }
        }
    }
    let mut x = Array2::from_shape_fn((3, 67), |(r, c)| (r * 67 + c) as f32 / 20.0 - 5.0);
    let inputs = x.clone();
    gelu(&mut x);
    for (&got, &v) in x.iter().zip(&inputs) {
        let v = f64::from(v);
        let want = 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
        // erf's approximation error (1.5e-7), carried by 0.5·|x|, plus f32 rounding.
        assert!(
            (f64::from(got) - want).abs() <= 1.5e-7 * 0.5 * v.abs() + 2e-7 * want.abs() + 1e-7,
            "gelu({v}): {got} against {want}"
        );
    }
}
