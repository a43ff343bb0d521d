//! The same attention work on the GPU engine (wgpu: whatever adapter the machine has; lavapipe,
//! a CPU rasteriser, on the development machines) and on the CPU engine, as N grows from 128 to
//! 16384 (d = 32, m = 64). GPU times are end to end: upload, dispatch and read-back.
//!
//! Softmax is timed in two forms: with its N×N map (what the app draws; up to N = 4096) and
//! streaming (outputs only, O(N·d) memory; every N). Each linear map is timed in its O(N)
//! recurrent form at every N, and in the quadratic form up to N = 4096. The crossover is the
//! smallest N at which a map's recurrent form beats streaming softmax on the same engine.
//!
//!     cargo bench --bench gpu          # writes benches/results/gpu-attention.{json,md}
//!     KERNELSCOPE_BENCH_MAX_N=512 cargo bench --bench gpu

// Native only: it drives wgpu with pollster, which the browser build has no use for.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::{Duration, Instant};

    use kernelscope::attention::{
        Mask, linear_attention, linear_attention_recurrent, softmax_attention, softmax_outputs,
    };
    use kernelscope::engine::GpuEngine;
    use kernelscope::engine::gpu::GpuMap;
    use kernelscope::kernels::rng::SplitMix64;
    use kernelscope::kernels::{MapContext, MapKey, MapSpec, RandomParams, Role};
    use ndarray::Array2;

    const D: usize = 32;
    const M: usize = 64;

    /// Largest N for the forms that build an N×N matrix.
    const QUADRATIC_LIMIT: usize = 4096;

    fn median(mut f: impl FnMut()) -> f64 {
        let mut samples: Vec<f64> = Vec::new();
        let start = Instant::now();
        // Up to 15 runs within 0.8 s, at least two; one when a single run takes over 5 s.
        while samples.len() < 15
            && (samples.len() < 2 || start.elapsed() < Duration::from_millis(800))
            && !(samples.len() == 1 && samples[0] > 5000.0)
        {
            let t = Instant::now();
            f();
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    }

    pub fn run() {
        let engine = match pollster::block_on(GpuEngine::new(|_| {})) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("no GPU: {e}");
                return;
            }
        };
        let adapter = engine.adapter().clone();
        eprintln!("GPU: {adapter:?}");
        let max_n: usize = std::env::var("KERNELSCOPE_BENCH_MAX_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(16384);
        let maps = [
            MapSpec::of(MapKey::Elu),
            MapSpec::new(
                MapKey::Performer,
                RandomParams {
                    m: M,
                    seed: 1,
                    orthogonal: true,
                },
            ),
            MapSpec::new(
                MapKey::Trig,
                RandomParams {
                    m: M,
                    seed: 1,
                    orthogonal: false,
                },
            ),
        ];
        let mut rows = Vec::new();
        let mut md = format!(
            "Median milliseconds, d = {D}, m = {M}; GPU: {} ({}, {}), end to end including upload and read-back; CPU: the f64 reference engine, one thread.\n\n| work | N | CPU | GPU | GPU ÷ CPU |\n|---|---:|---:|---:|---:|\n",
            adapter.description, adapter.backend, adapter.architecture
        );
        let mut timings: Vec<(String, usize, f64, f64)> = Vec::new();
        for n in [128usize, 512, 2048, 4096, 8192, 16384]
            .into_iter()
            .filter(|&n| n <= max_n)
        {
            let mut rng = SplitMix64::new(n as u64);
            let mut m =
                |r: usize, c: usize| Array2::from_shape_simple_fn((r, c), || rng.gaussian() as f32);
            let (q, k, v) = (m(n, D), m(n, D), m(n, D));
            let (q64, k64, v64) = (q.mapv(f64::from), k.mapv(f64::from), v.mapv(f64::from));
            let scale = 1.0 / (D as f32).sqrt();
            let mut record = |work: String, cpu: f64, gpu: f64| {
                eprintln!("N={n} {work}: CPU {cpu:.2} ms, GPU {gpu:.2} ms");
                md.push_str(&format!(
                    "| {work} | {n} | {cpu:.2} | {gpu:.2} | {:.2} |\n",
                    gpu / cpu
                ));
                rows.push(serde_json::json!({"work": work, "n": n, "cpu_ms": cpu, "gpu_ms": gpu}));
                timings.push((work, n, cpu, gpu));
            };
            // A GPU run that fails is reported, never timed as if it had worked.
            let gpu_time = |ok: bool, f: &mut dyn FnMut()| if ok { median(f) } else { f64::NAN };
            let cpu = median(|| {
                std::hint::black_box(softmax_outputs(
                    q64.view(),
                    k64.view(),
                    v64.view(),
                    f64::from(scale),
                    Mask::Bidirectional,
                ));
            });
            let streaming = || {
                pollster::block_on(engine.softmax_outputs(
                    q.view(),
                    k.view(),
                    v.view(),
                    scale,
                    Mask::Bidirectional,
                ))
            };
            let ok = streaming()
                .map_err(|e| eprintln!("N={n} streaming softmax on the GPU: {e}"))
                .is_ok();
            let gpu = gpu_time(ok, &mut || {
                std::hint::black_box(streaming().ok());
            });
            record("softmax, streaming".into(), cpu, gpu);
            if n <= QUADRATIC_LIMIT {
                let cpu = median(|| {
                    std::hint::black_box(softmax_attention(
                        q64.view(),
                        k64.view(),
                        v64.view(),
                        f64::from(scale),
                        Mask::Bidirectional,
                    ));
                });
                let gpu = median(|| {
                    std::hint::black_box(
                        pollster::block_on(engine.softmax_attention(
                            q.view(),
                            k.view(),
                            v.view(),
                            scale,
                            Mask::Bidirectional,
                        ))
                        .ok(),
                    );
                });
                record("softmax, with its map".into(), cpu, gpu);
            }
            for spec in &maps {
                let map = spec.build(D);
                let gpu_map = GpuMap::from_spec(spec, D);
                let ctx = |role| MapContext {
                    role,
                    scale: f64::from(scale),
                    seq_len: n,
                };
                let cpu_features = || {
                    (
                        map.apply(q64.view(), &ctx(Role::Query)),
                        map.apply(k64.view(), &ctx(Role::Key)),
                    )
                };
                if n <= QUADRATIC_LIMIT {
                    let cpu = median(|| {
                        let (a, b) = cpu_features();
                        std::hint::black_box(linear_attention(
                            &a,
                            &b,
                            v64.view(),
                            Mask::Bidirectional,
                        ));
                    });
                    let gpu = median(|| {
                        std::hint::black_box(
                            pollster::block_on(engine.linear_attention(
                                q.view(),
                                k.view(),
                                v.view(),
                                &gpu_map,
                                scale,
                                Mask::Bidirectional,
                            ))
                            .ok(),
                        );
                    });
                    record(format!("{}, quadratic", map.name()), cpu, gpu);
                }
                let cpu = median(|| {
                    let (a, b) = cpu_features();
                    std::hint::black_box(linear_attention_recurrent(
                        &a,
                        &b,
                        v64.view(),
                        Mask::Bidirectional,
                    ));
                });
                let run = || {
                    pollster::block_on(engine.linear_attention_recurrent(
                        q.view(),
                        k.view(),
                        v.view(),
                        &gpu_map,
                        scale,
                        Mask::Bidirectional,
                    ))
                };
                let ok = run()
                    .map_err(|e| eprintln!("N={n} {}: {e}", map.name()))
                    .is_ok();
                let gpu = gpu_time(ok, &mut || {
                    std::hint::black_box(run().ok());
                });
                record(format!("{}, recurrent", map.name()), cpu, gpu);
            }
        }
        // Crossovers: the smallest N where a map's recurrent form beats streaming softmax.
        md.push_str(
            "\n| map | crossover N on the CPU | crossover N on the GPU |\n|---|---:|---:|\n",
        );
        let mut crossovers = Vec::new();
        for spec in &maps {
            let name = format!("{}, recurrent", spec.build(D).name());
            let first = |engine: usize| {
                timings
                    .iter()
                    .filter(|t| t.0 == name)
                    .find(|t| {
                        let soft = timings
                            .iter()
                            .find(|s| s.0 == "softmax, streaming" && s.1 == t.1);
                        soft.is_some_and(|s| {
                            let (mine, theirs) = if engine == 0 { (t.2, s.2) } else { (t.3, s.3) };
                            mine < theirs
                        })
                    })
                    .map(|t| t.1)
            };
            let show = |x: Option<usize>| x.map_or("none measured".to_string(), |n| format!("{n}"));
            md.push_str(&format!(
                "| {name} | {} | {} |\n",
                show(first(0)),
                show(first(1))
            ));
            crossovers.push(serde_json::json!({"work": name, "cpu": first(0), "gpu": first(1)}));
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results");
        let doc = serde_json::json!({"benchmark": "benches/gpu.rs", "gpu": format!("{adapter:?}"), "d": D, "m": M, "rows": rows, "crossovers": crossovers});
        for (file, text) in [
            (
                "gpu-attention.json",
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            ),
            ("gpu-attention.md", md),
        ] {
            if let Err(e) = std::fs::write(dir.join(file), text) {
                eprintln!("cannot write {file}: {e}");
            }
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::run();
}
