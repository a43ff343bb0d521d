//! The portable random draws, checked against `tests/golden/random_features.json`
//! (written by the independent Python implementation in tools/reference/attention.py).

use kernelscope::kernels::rng::SplitMix64;
use kernelscope::kernels::{RandomParams, random_projection};
use serde::Deserialize;

#[derive(Deserialize)]
struct Draws {
    seed: u64,
    u64: Vec<String>,
    gaussian_seed_42: Vec<f64>,
    projections: Vec<Projection>,
}

#[derive(Deserialize)]
struct Projection {
    d: usize,
    m: usize,
    seed: u64,
    orthogonal: bool,
    w: Vec<f64>,
}

/// Panics with the first draw that differs; identical bits for integers, 1e-12 for floats
/// (libm's last bit may differ between platforms).
pub fn check_random_draws() {
    let draws: Draws =
        serde_json::from_str(include_str!("../golden/random_features.json")).expect("parses");
    let mut rng = SplitMix64::new(draws.seed);
    for expected in &draws.u64 {
        assert_eq!(rng.next_u64().to_string(), *expected, "SplitMix64 stream");
    }
    let mut rng = SplitMix64::new(42);
    for (i, &expected) in draws.gaussian_seed_42.iter().enumerate() {
        let got = rng.gaussian();
        assert!(
            (got - expected).abs() <= 1e-12,
            "gaussian {i}: {got} against {expected}"
        );
    }
    for p in &draws.projections {
        let w = random_projection(
            p.d,
            RandomParams {
                m: p.m,
                seed: p.seed,
                orthogonal: p.orthogonal,
            },
        );
        assert_eq!(w.len(), p.w.len(), "projection d={} m={}", p.d, p.m);
        for (i, (&got, &expected)) in w.iter().zip(&p.w).enumerate() {
            assert!(
                (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                "projection d={} m={} seed={} orthogonal={} [{i}]: {got} against {expected}",
                p.d,
                p.m,
                p.seed,
                p.orthogonal
            );
        }
    }
}
