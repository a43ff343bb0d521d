//! The same attention work on the GPU engine (wgpu: whatever adapter the machine has; lavapipe,
//! a CPU rasteriser, on the development machines) and on the CPU engine, as N grows
//! (d = 32, m = 64). GPU times are end to end: upload, dispatch and read-back.
//!
//!     cargo bench --bench gpu          # writes benches/results/gpu-attention.{json,md}
//!     KERNELSCOPE_BENCH_MAX_N=512 cargo bench --bench gpu

// Native only: it drives wgpu with pollster, which the browser build has no use for.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::{Duration, Instant};

    use kernelscope::attention::{
        Mask, linear_attention, linear_attention_recurrent, softmax_attention,
    };
    use kernelscope::engine::GpuEngine;
    use kernelscope::engine::gpu::GpuMap;
    use kernelscope::kernels::rng::SplitMix64;
    use kernelscope::kernels::{MapContext, MapSpec, RandomParams, Role};
    use ndarray::Array2;

    const D: usize = 32;
    const M: usize = 64;

    fn median(mut f: impl FnMut()) -> f64 {
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 15
            && (samples.len() < 2 || start.elapsed() < Duration::from_millis(800))
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
            .unwrap_or(4096);
        let maps = [
            MapSpec::EluPlusOne,
            MapSpec::Performer(RandomParams {
                m: M,
                seed: 1,
                orthogonal: true,
            }),
            MapSpec::Trig(RandomParams {
                m: M,
                seed: 1,
                orthogonal: false,
            }),
        ];
        let mut rows = Vec::new();
        let mut md = format!(
            "Median milliseconds, d = {D}, m = {M}; GPU: {} ({}, {}), end to end including upload and read-back; CPU: the f64 reference engine, one thread.\n\n| work | N | CPU | GPU | GPU ÷ CPU |\n|---|---:|---:|---:|---:|\n",
            adapter.description, adapter.backend, adapter.architecture
        );
        for n in [128usize, 512, 2048, 4096]
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
            };
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
            record("softmax".into(), cpu, gpu);
            for spec in &maps {
                let map = spec.build(D, None);
                let gpu_map = GpuMap::from_spec(spec, D).expect("GPU map");
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
                let cpu = median(|| {
                    let (a, b) = cpu_features();
                    std::hint::black_box(linear_attention(&a, &b, v64.view(), Mask::Bidirectional));
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
                let cpu = median(|| {
                    let (a, b) = cpu_features();
                    std::hint::black_box(linear_attention_recurrent(
                        &a,
                        &b,
                        v64.view(),
                        Mask::Bidirectional,
                    ));
                });
                let gpu = median(|| {
                    std::hint::black_box(
                        pollster::block_on(engine.linear_attention_recurrent(
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
                record(format!("{}, recurrent", map.name()), cpu, gpu);
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results");
        let doc = serde_json::json!({"benchmark": "benches/gpu.rs", "gpu": format!("{adapter:?}"), "d": D, "m": M, "rows": rows});
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
