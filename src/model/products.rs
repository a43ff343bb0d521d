//! The forward pass's matrix products, all of one form: `x·y` with `x` n×k and `y` k×m, both
//! row-major. A linear layer's `x·Wᵀ` is one (the layers keep Wᵀ), attention's `A·V` another,
//! and `Q·Kᵀ` a third once K, n×32, is transposed.
//!
//! In the browser this is the hot loop, and ndarray's products there run matrixmultiply's
//! scalar kernel. So on wasm with SIMD the product is a sum of outer products: each 2×16 block
//! of the result is eight 4-lane accumulators gathering `x[i][p]·y[p][j..j + 16]` over p. No
//! sum across lanes is needed, so `Q·Kᵀ`'s sums, only 32 long, run as fast as the rest, and the
//! 16 columns of `y` being read stay in cache for every pair of rows. Natively ndarray's
//! products are already fast. Measured with `node e2e/bench/ort.mjs` (README: "The forward
//! pass against ONNX Runtime Web").

use ndarray::{Array2, ArrayView2};

/// `x·y` (n×m) for `x` n×k and `y` k×m.
pub fn times(x: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>) -> Array2<f32> {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let (n, k, m) = (x.nrows(), x.ncols(), y.ncols());
        if let (Some(xs), Some(ys)) = (x.as_slice(), y.as_slice())
            && y.nrows() == k
        {
            let mut out = vec![0f32; n * m];
            outer(xs, ys, n, k, m, &mut out);
            if let Ok(z) = Array2::from_shape_vec((n, m), out) {
                return z;
            }
        }
    }
    x.dot(&y)
}

/// `x·y` into `out` (n×m, row-major), for `x` n×k and `y` k×m, row-major: with SIMD 16
/// columns at a time in pairs of rows, then 4 columns at a time; the last columns one by one.
pub fn outer(x: &[f32], y: &[f32], n: usize, k: usize, m: usize, out: &mut [f32]) {
    let done = vector_columns(x, y, n, k, m, out);
    for j in done..m {
        for i in 0..n {
            out[i * m + j] = x[i * k..(i + 1) * k]
                .iter()
                .enumerate()
                .map(|(p, a)| a * y[p * m + j])
                .sum();
        }
    }
}

/// The columns of `outer`'s product that the SIMD kernels fill, from the first: how many.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn vector_columns(x: &[f32], y: &[f32], n: usize, k: usize, m: usize, out: &mut [f32]) -> usize {
    let x_row = |r: usize| &x[r * k..(r + 1) * k];
    let mut j = 0;
    while j + 16 <= m {
        let mut i = 0;
        while i < n {
            // An odd last row is paired with itself.
            let second = (i + 1).min(n - 1);
            let block = simd::outer_2x16(x_row(i), x_row(second), y, j, m);
            simd::store(&mut out[i * m + j..i * m + j + 16], &block[..4]);
            if second > i {
                simd::store(&mut out[second * m + j..second * m + j + 16], &block[4..]);
            }
            i += 2;
        }
        j += 16;
    }
    while j + 4 <= m {
        for i in 0..n {
            let four = simd::outer_1x4(x_row(i), y, j, m);
            simd::store(&mut out[i * m + j..i * m + j + 4], &[four]);
        }
        j += 4;
    }
    j
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn vector_columns(_: &[f32], _: &[f32], _: usize, _: usize, _: usize, _: &mut [f32]) -> usize {
    0
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};

    /// Rows `x0` and `x1` (k long) times columns `j..j + 16` of `y` (k×m, row-major): the two
    /// rows of the product's block, four vectors each. Written out in full: the release build
    /// optimises for size, which neither unrolls loops nor keeps arrays of vectors in registers.
    #[inline(always)]
    pub fn outer_2x16(x0: &[f32], x1: &[f32], y: &[f32], j: usize, m: usize) -> [v128; 8] {
        let k = x0.len();
        assert!(x1.len() == k && j + 16 <= m && (k == 0 || y.len() >= (k - 1) * m + j + 16));
        let zero = f32x4_splat(0.0);
        let (mut c00, mut c01, mut c02, mut c03) = (zero, zero, zero, zero);
        let (mut c10, mut c11, mut c12, mut c13) = (zero, zero, zero, zero);
        for (p, (&a0, &a1)) in x0.iter().zip(x1).enumerate() {
            let (a0, a1) = (f32x4_splat(a0), f32x4_splat(a1));
            // SAFETY: p < k and j + 16 <= m, so p·m + j + 16 <= y.len() (asserted above).
            let (y0, y1, y2, y3) = unsafe {
                let at = y.as_ptr().add(p * m + j);
                (
                    v128_load(at.cast()),
                    v128_load(at.add(4).cast()),
                    v128_load(at.add(8).cast()),
                    v128_load(at.add(12).cast()),
                )
            };
            c00 = f32x4_add(c00, f32x4_mul(a0, y0));
            c01 = f32x4_add(c01, f32x4_mul(a0, y1));
            c02 = f32x4_add(c02, f32x4_mul(a0, y2));
            c03 = f32x4_add(c03, f32x4_mul(a0, y3));
            c10 = f32x4_add(c10, f32x4_mul(a1, y0));
            c11 = f32x4_add(c11, f32x4_mul(a1, y1));
            c12 = f32x4_add(c12, f32x4_mul(a1, y2));
            c13 = f32x4_add(c13, f32x4_mul(a1, y3));
        }
        [c00, c01, c02, c03, c10, c11, c12, c13]
    }

    /// Row `x0` times columns `j..j + 4` of `y`: one vector.
    #[inline(always)]
    pub fn outer_1x4(x0: &[f32], y: &[f32], j: usize, m: usize) -> v128 {
        let k = x0.len();
        assert!(j + 4 <= m && (k == 0 || y.len() >= (k - 1) * m + j + 4));
        let mut c = f32x4_splat(0.0);
        for (p, &a) in x0.iter().enumerate() {
            // SAFETY: p < k and j + 4 <= m, so p·m + j + 4 <= y.len() (asserted above).
            let y0 = unsafe { v128_load(y.as_ptr().add(p * m + j).cast()) };
            c = f32x4_add(c, f32x4_mul(f32x4_splat(a), y0));
        }
        c
    }

    /// Vectors into `out`, four floats each.
    #[inline(always)]
    pub fn store(out: &mut [f32], vectors: &[v128]) {
        assert!(out.len() == 4 * vectors.len());
        for (i, v) in vectors.iter().enumerate() {
            // SAFETY: out holds 4·len floats, and 4i + 4 <= 4·len.
            unsafe { v128_store(out.as_mut_ptr().add(4 * i).cast(), *v) }
        }
    }
}
