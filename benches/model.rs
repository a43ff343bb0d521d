//! Native timing of the encoder forward pass at the embedded model's sizes (MiniLM: hidden 384,
//! 12 heads, intermediate 1536, 3 layers) for 32, 128 and 256 tokens. Weights are random: the
//! time does not depend on their values.
//!
//!     cargo bench --bench model     # writes benches/results/model-forward.{json,md}

use std::time::{Duration, Instant};

use kernelscope::kernels::rng::SplitMix64;
use kernelscope::model::forward::forward;
use kernelscope::model::weights::{Config, LayerWeights, Weights};
use ndarray::{Array1, Array2};

fn random_weights() -> Weights {
    let mut rng = SplitMix64::new(7);
    let mut m = |r: usize, c: usize| {
        Array2::from_shape_simple_fn((r, c), || (0.05 * rng.gaussian()) as f32)
    };
    let (hidden, inter) = (384, 1536);
    let v = |n: usize| Array1::<f32>::ones(n);
    let layers = (0..3)
        .map(|_| LayerWeights {
            query: m(hidden, hidden),
            query_bias: v(hidden),
            key: m(hidden, hidden),
            key_bias: v(hidden),
            value: m(hidden, hidden),
            value_bias: v(hidden),
            attention_out: m(hidden, hidden),
            attention_out_bias: v(hidden),
            attention_norm_gain: v(hidden),
            attention_norm_bias: v(hidden),
            ffn_in: m(inter, hidden),
            ffn_in_bias: v(inter),
            ffn_out: m(hidden, inter),
            ffn_out_bias: v(hidden),
            ffn_norm_gain: v(hidden),
            ffn_norm_bias: v(hidden),
        })
        .collect();
    Weights {
        config: Config {
            vocab: 1000,
            positions: 256,
            hidden,
            heads: 12,
            layers: 3,
            intermediate: inter,
            layer_norm_eps: 1e-12,
        },
        word_embeddings: m(1000, hidden),
        position_embeddings: m(256, hidden),
        token_type: v(hidden),
        embedding_norm_gain: v(hidden),
        embedding_norm_bias: v(hidden),
        layers,
    }
}

fn main() {
    let w = random_weights();
    let mut rows = Vec::new();
    let mut md = String::from(
        "Forward pass, 3 layers of MiniLM size, one thread; median of repeated runs.\n\n| tokens | ms |\n|---:|---:|\n",
    );
    for n in [32usize, 128, 256] {
        let ids: Vec<u32> = (0..n as u32).map(|i| (i * 7) % 1000).collect();
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
