//! Native timing of the shipped encoder's forward pass (assets/model.safetensors: MiniLM's
//! hidden 384, 12 heads, intermediate 1536, 3 layers) for 32, 128 and 256 tokens.
//!
//!     cargo bench --bench model     # writes benches/results/model-forward.{json,md}

use std::time::{Duration, Instant};

use kernelscope::model::forward::forward;
use kernelscope::model::weights::Weights;

fn main() {
    let w = match Weights::from_safetensors(include_bytes!("../assets/model.safetensors")) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("the shipped model does not load: {e}");
            std::process::exit(1);
        }
    };
    let mut rows = Vec::new();
    let mut md = String::from(
        "Forward pass of the shipped model (3 layers), one thread; median of repeated runs.\n\n| tokens | ms |\n|---:|---:|\n",
    );
    for n in [32usize, 128, 256] {
        let ids: Vec<u32> = (0..n as u32).map(|i| 1000 + (i * 7) % 20000).collect();
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 50 && (samples.len() < 3 || start.elapsed() < Duration::from_secs(2))
        {
            let t = Instant::now();
            std::hint::black_box(forward(&w, &ids, None).ok());
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        eprintln!("{n} tokens: {median:.2} ms");
        md.push_str(&format!("| {n} | {median:.2} |\n"));
        rows.push(serde_json::json!({"tokens": n, "median_ms": median, "runs": samples.len()}));
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
