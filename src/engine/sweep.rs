//! Timing softmax against linear attention as N grows, on whichever engine is active: the
//! measured half of the cost view. Softmax runs in its streaming form (outputs only, O(N·d)
//! memory) and each map in its O(N) recurrent form, on the same random Q, K and V.

use std::future::Future;

use ndarray::Array2;

use super::Engine;
use crate::attention::{Mask, linear_attention_recurrent, softmax_outputs};
use crate::kernels::rng::SplitMix64;
use crate::kernels::{MapContext, MapSpec, Role};

/// Head dimension of the sweep (the model's).
pub const SWEEP_D: usize = 32;

/// One timing: median milliseconds of `work` at length `n`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepPoint {
    pub work: String,
    pub n: usize,
    pub ms: f64,
}

/// The name of softmax's series.
pub const SOFTMAX: &str = "softmax (streaming)";

/// Time softmax and each map at each N: the median of three runs each, end to end (GPU runs
/// include upload and read-back). `now` is a clock in milliseconds; `pause` lets newer
/// messages in between runs; `proceed(lengths done)` is asked before each length, and the
/// sweep stops (with the points so far) when it says no. A GPU run that fails leaves its
/// point out.
pub async fn sweep<P, F>(
    engine: &Engine,
    maps: &[MapSpec],
    lengths: &[usize],
    now: impl Fn() -> f64,
    pause: P,
    proceed: impl Fn(usize) -> bool,
) -> Vec<SweepPoint>
where
    P: Fn() -> F,
    F: Future<Output = ()>,
{
    let mut points = Vec::new();
    let scale = 1.0 / (SWEEP_D as f64).sqrt();
    for (done, &n) in lengths.iter().enumerate() {
        if !proceed(done) {
            break;
        }
        let mut rng = SplitMix64::new(n as u64);
        let mut random = || Array2::from_shape_simple_fn((n, SWEEP_D), || rng.gaussian());
        let (q, k, v) = (random(), random(), random());
        let (q32, k32, v32) = (
            q.mapv(|x| x as f32),
            k.mapv(|x| x as f32),
            v.mapv(|x| x as f32),
        );
        let works = std::iter::once(None).chain(maps.iter().map(Some));
        for spec in works {
            let mut samples = Vec::new();
            let mut name = SOFTMAX.to_string();
            for _ in 0..3 {
                pause().await;
                let start = now();
                let ok = match (engine, spec) {
                    (Engine::Gpu(gpu), None) => gpu
                        .softmax_outputs(
                            q32.view(),
                            k32.view(),
                            v32.view(),
                            scale as f32,
                            Mask::Bidirectional,
                        )
                        .await
                        .is_ok(),
                    (Engine::Gpu(gpu), Some(spec)) => {
                        let map = super::gpu::GpuMap::from_spec(spec, SWEEP_D);
                        gpu.linear_attention_recurrent(
                            q32.view(),
                            k32.view(),
                            v32.view(),
                            &map,
                            scale as f32,
                            Mask::Bidirectional,
                        )
                        .await
                        .is_ok()
                    }
                    (Engine::Cpu(_), None) => {
                        std::hint::black_box(softmax_outputs(
                            q.view(),
                            k.view(),
                            v.view(),
                            scale,
                            Mask::Bidirectional,
                        ));
                        true
                    }
                    (Engine::Cpu(_), Some(spec)) => {
                        let map = spec.build(SWEEP_D);
                        let ctx = |role| MapContext {
                            role,
                            scale,
                            seq_len: n,
                        };
                        let a = map.apply(q.view(), &ctx(Role::Query));
                        let b = map.apply(k.view(), &ctx(Role::Key));
                        std::hint::black_box(linear_attention_recurrent(
                            &a,
                            &b,
                            v.view(),
                            Mask::Bidirectional,
                        ));
                        true
                    }
                };
                if !ok {
                    break;
                }
                samples.push(now() - start);
                if let Some(spec) = spec {
                    name = spec.build(SWEEP_D).name();
                }
            }
            if samples.len() == 3 {
                samples.sort_by(f64::total_cmp);
                points.push(SweepPoint {
                    work: name,
                    n,
                    ms: samples[1],
                });
            }
        }
    }
    points
}

/// The smallest N at which `work` is faster than softmax, if any was measured.
pub fn crossover(points: &[SweepPoint], work: &str) -> Option<usize> {
    points
        .iter()
        .filter(|p| p.work == work)
        .find(|p| {
            points
                .iter()
                .find(|s| s.work == SOFTMAX && s.n == p.n)
                .is_some_and(|s| p.ms < s.ms)
        })
        .map(|p| p.n)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::engine::CpuReason;
    use crate::kernels::{MapKey, RandomParams};

    #[test]
    fn the_cpu_sweep_times_every_work_at_every_length_and_finds_crossovers() {
        let clock = std::time::Instant::now();
        let maps = [
            MapSpec::of(MapKey::Elu),
            MapSpec::new(
                MapKey::Performer,
                RandomParams {
                    m: 8,
                    seed: 0,
                    orthogonal: true,
                },
            ),
        ];
        let points = pollster::block_on(sweep(
            &Engine::Cpu(CpuReason::Chosen),
            &maps,
            &[16, 512],
            || clock.elapsed().as_secs_f64() * 1e3,
            || std::future::ready(()),
            |_| true,
        ));
        assert_eq!(points.len(), 6);
        assert!(points.iter().all(|p| p.ms >= 0.0 && p.ms.is_finite()));
        // At N = 512, O(N·d·m) with m = 32 beats O(N²·d) on any machine.
        assert_eq!(crossover(&points, "elu+1").map(|n| n <= 512), Some(true));
        assert_eq!(crossover(&points, "no such map"), None);
    }

    #[test]
    fn a_sweep_told_to_stop_keeps_the_lengths_it_finished() {
        let points = pollster::block_on(sweep(
            &Engine::Cpu(CpuReason::Chosen),
            &[MapSpec::of(MapKey::Elu)],
            &[16, 32, 64],
            || 0.0,
            || std::future::ready(()),
            |done| done < 1,
        ));
        assert_eq!(points.iter().map(|p| p.n).collect::<Vec<_>>(), [16, 16]);
    }
}
