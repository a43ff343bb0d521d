//! CPU timing of softmax attention against every linear feature map, in the quadratic form
//! (the N×N map the app draws) and the recurrent O(N·m·d) form, as N grows (d = 32, m = 64).
//!
//!     cargo bench --bench attention            # N = 128 … 8192, a few minutes
//!     KERNELSCOPE_BENCH_MAX_N=512 cargo bench --bench attention
//!
//! Writes benches/results/cpu-attention.json and benches/results/cpu-attention.md.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use kernelscope::attention::{
    Mask, linear_attention, linear_attention_recurrent, softmax_attention,
};
use kernelscope::kernels::rng::SplitMix64;
use kernelscope::kernels::{MapContext, MapKey, MapSpec, RandomParams, Role};
use ndarray::Array2;

const D: usize = 32;
const M: usize = 64;
const SIZES: [usize; 7] = [128, 256, 512, 1024, 2048, 4096, 8192];
/// Quadratic forms whose kernel matrix costs more than this many multiply-adds are skipped.
const QUADRATIC_BUDGET: f64 = 2e10;

fn gaussian_matrix(rng: &mut SplitMix64, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.gaussian())
}

/// Median wall time over repetitions, repeating until half a second has passed (at most 15).
fn time(mut f: impl FnMut()) -> Duration {
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 15 && (samples.is_empty() || start.elapsed() < Duration::from_millis(500))
    {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

struct Row {
    map: String,
    feature_dim: usize,
    n: usize,
    softmax_ms: f64,
    quadratic_ms: Option<f64>,
    recurrent_ms: f64,
}

fn main() {
    let max_n: usize = std::env::var("KERNELSCOPE_BENCH_MAX_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8192);
    let random = |orthogonal| RandomParams {
        m: M,
        seed: 1,
        orthogonal,
    };
    let maps = [
        MapSpec::of(MapKey::Identity),
        MapSpec::of(MapKey::Elu),
        MapSpec::of(MapKey::Relu),
        MapSpec::of(MapKey::ReluSquared),
        MapSpec::new(MapKey::Performer, random(true)),
        MapSpec::new(MapKey::Trig, random(false)),
        MapSpec::of(MapKey::CosFormer),
        MapSpec::of(MapKey::Taylor),
        MapSpec::of(MapKey::HedgehogUntrained),
    ];
    let mut rows = Vec::new();
    for &n in SIZES.iter().filter(|&&n| n <= max_n) {
        let mut rng = SplitMix64::new(n as u64);
        let q = gaussian_matrix(&mut rng, n, D);
        let k = gaussian_matrix(&mut rng, n, D);
        let v = gaussian_matrix(&mut rng, n, D);
        let scale = 1.0 / (D as f64).sqrt();
        let softmax = time(|| {
            std::hint::black_box(softmax_attention(
                q.view(),
                k.view(),
                v.view(),
                scale,
                Mask::Bidirectional,
            ));
        });
        eprintln!("N={n}: softmax {:.2} ms", softmax.as_secs_f64() * 1e3);
        for spec in &maps {
            let map = spec.build(D);
            let ctx = |role| MapContext {
                role,
                scale,
                seq_len: n,
            };
            let feature_dim = map.feature_dim(D);
            let features = || {
                (
                    map.apply(q.view(), &ctx(Role::Query)),
                    map.apply(k.view(), &ctx(Role::Key)),
                )
            };
            let quadratic = ((n * n * feature_dim) as f64 <= QUADRATIC_BUDGET).then(|| {
                time(|| {
                    let (phi_q, phi_k) = features();
                    std::hint::black_box(linear_attention(
                        &phi_q,
                        &phi_k,
                        v.view(),
                        Mask::Bidirectional,
                    ));
                })
            });
            let recurrent = time(|| {
                let (phi_q, phi_k) = features();
                std::hint::black_box(linear_attention_recurrent(
                    &phi_q,
                    &phi_k,
                    v.view(),
                    Mask::Bidirectional,
                ));
            });
            let row = Row {
                map: map.name(),
                feature_dim,
                n,
                softmax_ms: softmax.as_secs_f64() * 1e3,
                quadratic_ms: quadratic.map(|t| t.as_secs_f64() * 1e3),
                recurrent_ms: recurrent.as_secs_f64() * 1e3,
            };
            eprintln!(
                "  {:<28} quadratic {:>10} ms, recurrent {:>9.2} ms",
                row.map,
                row.quadratic_ms
                    .map_or("skipped".into(), |t| format!("{t:.2}")),
                row.recurrent_ms
            );
            rows.push(row);
        }
    }
    write_results(&rows);
}

fn write_results(rows: &[Row]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return;
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::json!({"map": r.map, "feature_dim": r.feature_dim, "n": r.n, "d": D, "softmax_ms": r.softmax_ms, "linear_quadratic_ms": r.quadratic_ms, "linear_recurrent_ms": r.recurrent_ms}))
        .collect();
    let machine = format!(
        "{} CPU threads available; one thread used (ndarray without BLAS), f64",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let doc = serde_json::json!({"benchmark": "benches/attention.rs", "machine": machine, "d": D, "m": M, "rows": json});
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    if let Err(e) = std::fs::write(dir.join("cpu-attention.json"), pretty + "\n") {
        eprintln!("cannot write results: {e}");
    }

    let mut md = String::new();
    let _ = writeln!(
        md,
        "CPU, d = {D}, m = {M} for random features; median wall time in ms; {machine}.\n"
    );
    let _ = writeln!(
        md,
        "| map (feature dim) | N | softmax | linear, quadratic | linear, recurrent | recurrent ÷ softmax |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let quadratic = r
            .quadratic_ms
            .map_or("skipped".to_string(), |t| format!("{t:.2}"));
        let _ = writeln!(
            md,
            "| {} ({}) | {} | {:.2} | {} | {:.2} | {:.2} |",
            r.map,
            r.feature_dim,
            r.n,
            r.softmax_ms,
            quadratic,
            r.recurrent_ms,
            r.recurrent_ms / r.softmax_ms
        );
    }
    let _ = writeln!(
        md,
        "\nCrossover: the smallest measured N at which the recurrent linear form beats softmax.\n"
    );
    let _ = writeln!(md, "| map | crossover N |");
    let _ = writeln!(md, "|---|---:|");
    let mut names: Vec<&str> = rows.iter().map(|r| r.map.as_str()).collect();
    names.dedup();
    let mut seen = std::collections::BTreeSet::new();
    for name in names.into_iter().filter(|n| seen.insert(n.to_string())) {
        let crossover = rows
            .iter()
            .filter(|r| r.map == name && r.recurrent_ms < r.softmax_ms)
            .map(|r| r.n)
            .min();
        let _ = writeln!(
            md,
            "| {name} | {} |",
            crossover.map_or("not within the measured N".to_string(), |n| n.to_string())
        );
    }
    if let Err(e) = std::fs::write(dir.join("cpu-attention.md"), md) {
        eprintln!("cannot write results: {e}");
    }
}
