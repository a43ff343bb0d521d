//! The forward pass's matrix products, all of one form: `x·Wᵀ` with `x` n×k and `W` m×k, both
//! rows contiguous along k (a linear layer's weights are out×in; attention's `Q·Kᵀ` is the same
//! form, and `A·V` is once V is transposed).
//!
//! In the browser this is the hot loop, and ndarray's products there run matrixmultiply's
//! scalar kernel. So on wasm with SIMD each 2×4 block of outputs is eight dot products kept in
//! 4-lane accumulators, and the rows of `x` are taken in blocks that stay in cache while all of
//! `W` streams past once per block (at 32 tokens, once in all). Natively ndarray's products are
//! already fast. Measured with `node e2e/bench/ort.mjs` (README: "The forward pass against
//! ONNX Runtime Web").

use ndarray::{Array2, ArrayView2};

/// Rows of `x` per block: 64 rows of the widest input (1536 floats) are 384 KB.
const ROW_BLOCK: usize = 64;

/// The kernel's block of outputs: rows of `x` by rows of `w`.
const X_ROWS: usize = 2;
const W_ROWS: usize = 4;

/// `x·wᵀ` (n×m) for `x` n×k and `w` m×k.
pub fn times_transposed(x: ArrayView2<'_, f32>, w: ArrayView2<'_, f32>) -> Array2<f32> {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let (x, w) = (x.as_standard_layout(), w.as_standard_layout());
        let (n, k, m) = (x.nrows(), x.ncols(), w.nrows());
        if let (Some(xs), Some(ws)) = (x.as_slice(), w.as_slice())
            && w.ncols() == k
        {
            let mut out = vec![0f32; n * m];
            blocked(xs, ws, n, k, m, &mut out);
            if let Ok(y) = Array2::from_shape_vec((n, m), out) {
                return y;
            }
        }
    }
    x.dot(&w.t())
}

/// The blocked product into `out` (n×m, row-major); `x` n×k and `w` m×k, row-major.
pub fn blocked(x: &[f32], w: &[f32], n: usize, k: usize, m: usize, out: &mut [f32]) {
    if k == 0 {
        out.fill(0.0);
        return;
    }
    let x_row = |r: usize| &x[r * k..(r + 1) * k];
    let w_row = |o: usize| &w[o * k..(o + 1) * k];
    for r0 in (0..n).step_by(ROW_BLOCK) {
        let r1 = (r0 + ROW_BLOCK).min(n);
        let mut o = 0;
        while o + W_ROWS <= m {
            let ws: [&[f32]; W_ROWS] = std::array::from_fn(|j| w_row(o + j));
            let mut r = r0;
            while r + X_ROWS <= r1 {
                let sums = dot_block(std::array::from_fn(|i| x_row(r + i)), ws);
                for (i, row) in sums.iter().enumerate() {
                    out[(r + i) * m + o..(r + i) * m + o + W_ROWS].copy_from_slice(row);
                }
                r += X_ROWS;
            }
            for r in r..r1 {
                for (j, wj) in ws.iter().enumerate() {
                    out[r * m + o + j] = dot(x_row(r), wj);
                }
            }
            o += W_ROWS;
        }
        for o in o..m {
            for r in r0..r1 {
                out[r * m + o] = dot(x_row(r), w_row(o));
            }
        }
    }
}

/// Eight dot products: two rows of `x` against four rows of `w`, all k long. Eight
/// accumulators and six inputs fit the sixteen vector registers of x86-64; larger blocks spill
/// (at 512 tokens a 4×4 block took 1.27× as long, 3×4 1.57×; 4×2, 1×8 and 2×2 were slower too).
/// Written out in full: the release build optimises for size, which neither unrolls loops nor
/// keeps arrays of vectors in registers.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn dot_block(x: [&[f32]; X_ROWS], w: [&[f32]; W_ROWS]) -> [[f32; W_ROWS]; X_ROWS] {
    use core::arch::wasm32::{f32x4_add, f32x4_extract_lane as lane, f32x4_mul, f32x4_splat, v128};
    let k = x[0].len();
    let body = k - k % 4;
    assert!(x.iter().chain(&w).all(|row| row.len() == k));
    let zero = f32x4_splat(0.0);
    let (mut c00, mut c01, mut c02, mut c03) = (zero, zero, zero, zero);
    let (mut c10, mut c11, mut c12, mut c13) = (zero, zero, zero, zero);
    let mut at = 0;
    while at < body {
        // SAFETY: every row is k long (asserted above) and at + 4 <= body <= k.
        let (x0, x1, w0, w1, w2, w3) = unsafe {
            (
                load(x[0], at),
                load(x[1], at),
                load(w[0], at),
                load(w[1], at),
                load(w[2], at),
                load(w[3], at),
            )
        };
        c00 = f32x4_add(c00, f32x4_mul(x0, w0));
        c01 = f32x4_add(c01, f32x4_mul(x0, w1));
        c02 = f32x4_add(c02, f32x4_mul(x0, w2));
        c03 = f32x4_add(c03, f32x4_mul(x0, w3));
        c10 = f32x4_add(c10, f32x4_mul(x1, w0));
        c11 = f32x4_add(c11, f32x4_mul(x1, w1));
        c12 = f32x4_add(c12, f32x4_mul(x1, w2));
        c13 = f32x4_add(c13, f32x4_mul(x1, w3));
        at += 4;
    }
    let c = [c00, c01, c02, c03, c10, c11, c12, c13];
    let lanes = |v: v128| (lane::<0>(v) + lane::<1>(v)) + (lane::<2>(v) + lane::<3>(v));
    let tail = |i: usize, j: usize| -> f32 { (body..k).map(|c| x[i][c] * w[j][c]).sum() };
    std::array::from_fn(|i| std::array::from_fn(|j| lanes(c[i * W_ROWS + j]) + tail(i, j)))
}

/// The four floats of `row` from `at` as one vector.
///
/// # Safety
/// `at + 4 <= row.len()`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
unsafe fn load(row: &[f32], at: usize) -> core::arch::wasm32::v128 {
    // SAFETY: the caller keeps the 16 bytes read inside `row`; v128_load needs no alignment.
    unsafe { core::arch::wasm32::v128_load(row.as_ptr().add(at).cast()) }
}

/// The portable twin of the SIMD kernel (natively `times_transposed` uses ndarray instead; this
/// keeps `blocked` testable on any target).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn dot_block(x: [&[f32]; X_ROWS], w: [&[f32]; W_ROWS]) -> [[f32; W_ROWS]; X_ROWS] {
    let mut sums = [[0f32; W_ROWS]; X_ROWS];
    for (i, xi) in x.iter().enumerate() {
        for (j, wj) in w.iter().enumerate() {
            sums[i][j] = dot(xi, wj);
        }
    }
    sums
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
