//! Native timing of the shipped encoder's forward pass (assets/model.safetensors: MiniLM's
//! hidden 384, 12 heads, intermediate 1536, 3 layers) for 32, 128 and 256 tokens.
//!
//!     cargo bench --bench model     # writes benches/results/model-forward.{json,md}

use std::time::{Duration, Instant};

use kernelscope::model::forward::forward;
use kernelscope::model::weights::Weights;
use ndarray::Array2;

/// Median milliseconds of repeated runs (3 to 50, about 2 s).
fn median(mut f: impl FnMut()) -> (f64, usize) {
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 50 && (samples.len() < 3 || start.elapsed() < Duration::from_secs(2)) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples.len())
}

fn main() {
    let w = match Weights::from_folder(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"),
    ) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("the shipped model does not load: {e}");
            std::process::exit(1);
        }
    };
    let mut rows = Vec::new();
    let mut md = String::from(
        "Forward pass of the shipped model (3 layers), one thread; median of repeated runs.\n\n| tokens | forward (ms) | its matrix products alone (ms) | their GFLOP/s |\n|---:|---:|---:|---:|\n",
    );
    for n in [32usize, 128, 256] {
        let ids: Vec<u32> = (0..n as u32).map(|i| 1000 + (i * 7) % 20000).collect();
        let (forward_ms, runs) = median(|| {
            std::hint::black_box(forward(&w, &ids, None).ok());
        });
        // The pass's matrix products alone (Q, K, V, output, FFN in and out, every layer): the
        // floor no rewrite of the rest can go below.
        let x = Array2::<f32>::ones((n, w.config.hidden));
        let (products_ms, _) = median(|| {
            for l in &w.layers {
                let (Some(qkv), Some(out)) = (l.qkv.get(), l.output.get()) else {
                    continue;
                };
                for m in [&qkv.query, &qkv.key, &qkv.value, &out.attention_out] {
                    std::hint::black_box(x.dot(m));
                }
                let inner = x.dot(&out.ffn_in);
                std::hint::black_box(inner.dot(&out.ffn_out));
            }
        });
        let flops = 2.0 * n as f64 * w.layers.len() as f64 * {
            let (h, i) = (w.config.hidden as f64, w.config.intermediate as f64);
            4.0 * h * h + 2.0 * h * i
        };
        let gflops = flops / products_ms / 1e6;
        eprintln!(
            "{n} tokens: {forward_ms:.2} ms; matrix products alone {products_ms:.2} ms ({gflops:.1} GFLOP/s)"
        );
        md.push_str(&format!(
            "| {n} | {forward_ms:.2} | {products_ms:.2} | {gflops:.1} |\n"
        ));
        rows.push(
            serde_json::json!({"tokens": n, "median_ms": forward_ms, "runs": runs,
            "matrix_products_ms": products_ms, "matrix_gflops": gflops}),
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results");
    let doc = serde_json::json!({"benchmark": "benches/model.rs", "layers": 3, "hidden": 384, "rows": rows});
    for (file, text) in [
        (
            "model-forward.json",
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        ),
        ("model-forward.md", md),
    ] {
        if let Err(e) = std::fs::write(dir.join(file), text) {
            eprintln!("cannot write {file}: {e}");
        }
    }
}
