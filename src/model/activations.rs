//! The forward pass's elementwise work: the softmax of each attention row and GELU. At 512
//! tokens that is 9.4 million exponentials and 2.4 million error functions; in the browser the
//! standard library computes each with a scalar software routine, so on wasm with SIMD both run
//! four lanes at a time here (Cephes' `expf` polynomial, within 2 ulp of the true value, and
//! Abramowitz & Stegun 7.1.26 for erf, within 1.5e-7). Natively the scalar code is kept.

use ndarray::{Array2, ArrayViewMut1};

/// Each row of `a`, times `scale`, through the softmax, in place.
pub fn softmax_rows(a: &mut Array2<f32>, scale: f32) {
    for row in a.rows_mut() {
        softmax(row, scale);
    }
}

fn softmax(mut row: ArrayViewMut1<'_, f32>, scale: f32) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if let Some(values) = row.as_slice_mut() {
        return simd::softmax(values, scale);
    }
    let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x * scale));
    row.mapv_inplace(|x| (x * scale - max).exp());
    let sum = row.sum();
    row /= sum;
}

/// GELU with the error function (the model's own, not the tanh approximation), in place.
pub fn gelu(x: &mut Array2<f32>) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if let Some(values) = x.as_slice_mut() {
        return simd::gelu(values);
    }
    x.mapv_inplace(|v| 0.5 * v * (1.0 + libm::erff(v / std::f32::consts::SQRT_2)));
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;

    #[inline(always)]
    fn load(four: &[f32]) -> v128 {
        assert_eq!(four.len(), 4);
        // SAFETY: `four` holds the 16 bytes read; v128_load needs no alignment.
        unsafe { v128_load(four.as_ptr().cast()) }
    }

    #[inline(always)]
    fn store(four: &mut [f32], v: v128) {
        assert_eq!(four.len(), 4);
        // SAFETY: `four` holds the 16 bytes written; v128_store needs no alignment.
        unsafe { v128_store(four.as_mut_ptr().cast(), v) }
    }

    #[inline(always)]
    fn mul_add(a: v128, b: v128, c: v128) -> v128 {
        f32x4_add(f32x4_mul(a, b), c)
    }

    #[inline(always)]
    fn lanes(v: v128) -> [f32; 4] {
        [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ]
    }

    /// e^x in each lane (Cephes `expf`): x = n·ln 2 + r, e^r by its polynomial, 2^n into the
    /// exponent bits. Inputs below −87.3 give about 1e-38 rather than a subnormal or zero.
    #[inline(always)]
    fn exp(x: v128) -> v128 {
        let x = f32x4_max(
            f32x4_min(x, f32x4_splat(88.722_83)),
            f32x4_splat(-87.336_55),
        );
        let n = f32x4_floor(mul_add(
            x,
            f32x4_splat(std::f32::consts::LOG2_E),
            f32x4_splat(0.5),
        ));
        // ln 2 in two parts, so r keeps its low bits.
        let r = f32x4_sub(x, f32x4_mul(n, f32x4_splat(0.693_359_4)));
        let r = f32x4_sub(r, f32x4_mul(n, f32x4_splat(-2.121_944_4e-4)));
        let mut p = f32x4_splat(1.987_569_1e-4);
        p = mul_add(p, r, f32x4_splat(1.398_199_9e-3));
        p = mul_add(p, r, f32x4_splat(8.333_452e-3));
        p = mul_add(p, r, f32x4_splat(4.166_579_6e-2));
        p = mul_add(p, r, f32x4_splat(0.166_666_65));
        p = mul_add(p, r, f32x4_splat(0.5));
        let e_r = f32x4_add(mul_add(p, f32x4_mul(r, r), r), f32x4_splat(1.0));
        let two_n = i32x4_shl(i32x4_add(i32x4_trunc_sat_f32x4(n), i32x4_splat(127)), 23);
        f32x4_mul(e_r, two_n)
    }

    pub fn softmax(values: &mut [f32], scale: f32) {
        let s = f32x4_splat(scale);
        let (body, tail) = values.split_at_mut(values.len() - values.len() % 4);
        let mut top = f32x4_splat(f32::NEG_INFINITY);
        for four in body.chunks_exact(4) {
            top = f32x4_max(top, f32x4_mul(load(four), s));
        }
        let max = lanes(top)
            .into_iter()
            .chain(tail.iter().map(|&x| x * scale))
            .fold(f32::NEG_INFINITY, f32::max);
        let shift = f32x4_splat(max);
        let mut total = f32x4_splat(0.0);
        for four in body.chunks_exact_mut(4) {
            let e = exp(f32x4_sub(f32x4_mul(load(four), s), shift));
            store(four, e);
            total = f32x4_add(total, e);
        }
        for x in tail.iter_mut() {
            *x = (*x * scale - max).exp();
        }
        let sum: f32 = lanes(total).into_iter().sum::<f32>() + tail.iter().sum::<f32>();
        let inverse = 1.0 / sum;
        let scale_by = f32x4_splat(inverse);
        for four in body.chunks_exact_mut(4) {
            store(four, f32x4_mul(load(four), scale_by));
        }
        for x in tail.iter_mut() {
            *x *= inverse;
        }
    }

    /// erf(x) in each lane (Abramowitz & Stegun 7.1.26, absolute error ≤ 1.5e-7).
    #[inline(always)]
    fn erf(x: v128) -> v128 {
        let a = f32x4_abs(x);
        let t = f32x4_div(
            f32x4_splat(1.0),
            mul_add(a, f32x4_splat(0.327_591_1), f32x4_splat(1.0)),
        );
        let mut p = f32x4_splat(1.061_405_4);
        p = mul_add(p, t, f32x4_splat(-1.453_152));
        p = mul_add(p, t, f32x4_splat(1.421_413_8));
        p = mul_add(p, t, f32x4_splat(-0.284_496_73));
        p = mul_add(p, t, f32x4_splat(0.254_829_6));
        let tail = f32x4_mul(f32x4_mul(p, t), exp(f32x4_neg(f32x4_mul(a, a))));
        let magnitude = f32x4_sub(f32x4_splat(1.0), tail);
        // x's sign onto |erf(x)|.
        let sign = f32x4_splat(-0.0);
        v128_or(v128_and(x, sign), v128_andnot(magnitude, sign))
    }

    pub fn gelu(values: &mut [f32]) {
        let (half, one) = (f32x4_splat(0.5), f32x4_splat(1.0));
        let root_half = f32x4_splat(std::f32::consts::FRAC_1_SQRT_2);
        let (body, tail) = values.split_at_mut(values.len() - values.len() % 4);
        for four in body.chunks_exact_mut(4) {
            let x = load(four);
            let e = erf(f32x4_mul(x, root_half));
            store(four, f32x4_mul(f32x4_mul(half, x), f32x4_add(one, e)));
        }
        for x in tail.iter_mut() {
            *x = 0.5 * *x * (1.0 + libm::erff(*x * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}
