//! The forward pass's matrix products (`src/model/products.rs`) against a plain float64 triple
//! loop, on shapes that leave remainders in every blocked dimension. Natively this runs the
//! portable code; in wasm32 (tests/web.rs) the SIMD kernels the browser runs.

use kernelscope::model::products::{outer, times};
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

/// `x·y` in outer-product form: column blocks of 16 and 4 with and without a remainder, odd
/// rows, the attention's own shapes (Q·Kᵀ with K transposed, n×32 by 32×n; A·V, n×n by n×32)
/// and the linear layers' (rows by Wᵀ, 384×1536 and 1536×384).
pub fn check_products() {
    for (n, k, m) in [
        (1, 3, 16),
        (3, 5, 17),
        (2, 32, 15),
        (5, 7, 9),
        (7, 32, 48),
        (130, 32, 130),
        (130, 130, 32),
        (32, 384, 1536),
        (33, 1536, 384),
        (4, 0, 16),
    ] {
        let (x, y) = (matrix(n, k, 6), matrix(k, m, 7));
        let product = times(x.view(), y.view());
        assert_eq!(product.dim(), (n, m));
        let mut out = vec![f32::NAN; n * m];
        outer(
            x.as_slice().expect("standard layout"),
            y.as_slice().expect("standard layout"),
            n,
            k,
            m,
            &mut out,
        );
        for r in 0..n {
            for c in 0..m {
                let terms = || (0..k).map(|p| f64::from(x[[r, p]]) * f64::from(y[[p, c]]));
                let (exact, size): (f64, f64) = (terms().sum(), terms().map(f64::abs).sum());
                let tolerance = 1e-6 * size.max(1.0);
                for (how, got) in [("times", product[[r, c]]), ("outer", out[r * m + c])] {
                    assert!(
                        (f64::from(got) - exact).abs() <= tolerance,
                        "{how} {n}×{k}·{k}×{m} at [{r}, {c}]: {got} against {exact}"
                    );
                }
            }
        }
    }
    // A transposed view (Kᵀ, as Q·Kᵀ passes it) gives the same as its standard-layout copy.
    let (q, k) = (matrix(9, 32, 8), matrix(21, 32, 9));
    assert_eq!(
        times(q.view(), k.t()),
        times(q.view(), k.t().as_standard_layout().view())
    );
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
