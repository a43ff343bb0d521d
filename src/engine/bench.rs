//! The forward pass timed on its own, for `e2e/bench/ort.mjs`. ONNX Runtime Web's `session.run`
//! is timed there back to back after warm-up runs, on a page doing nothing else; the app's engine
//! worker does other work between passes (the views' analysis, the page's drawing on the other
//! core), so its own timing is not the same measurement. This runs the same forward pass the
//! same way, in a worker of the benchmark's own.

use wasm_bindgen::prelude::wasm_bindgen;

use super::assets::{Model, fetch_all};
use super::browser::now_ms;
use crate::model::embeddings::WordEmbeddings;
use crate::model::forward::forward;
use crate::model::weights::Weights;

/// Fetch the whole model and the embedding rows of `ids` from the site, then run the forward
/// pass on `ids` `warmup` times and `reps` more; each of the last `reps` runs' milliseconds.
#[wasm_bindgen]
pub async fn time_forward(ids: Vec<u32>, warmup: u32, reps: u32) -> Result<Vec<f64>, String> {
    console_error_panic_hook::set_once();
    let model = Model::fetch().await?;
    let weights = &model.weights;
    let shards = weights.word_embeddings.missing_shards(&ids);
    let files: Vec<String> = shards
        .iter()
        .map(|&k| WordEmbeddings::shard_file(k))
        .collect();
    for (&k, body) in shards.iter().zip(fetch_all(&files).await) {
        let kept = weights.word_embeddings.insert_shard(k, &body?);
        kept.map_err(|e| format!("{}: {e}", WordEmbeddings::shard_file(k)))?;
    }
    let parts = weights.missing_parts(weights.part_count());
    let files: Vec<String> = parts
        .iter()
        .map(|&(l, part)| Weights::part_file(l, part))
        .collect();
    for (&(l, part), body) in parts.iter().zip(fetch_all(&files).await) {
        let kept = weights.insert_part(l, part, &body?);
        kept.map_err(|e| format!("{}: {e}", Weights::part_file(l, part)))?;
    }
    let mut times = Vec::with_capacity(reps as usize);
    for run in 0..warmup + reps {
        let began = now_ms();
        let trace = forward(weights, &ids, None).map_err(|e| e.to_string())?;
        if !trace.is_complete(weights.layers.len()) {
            return Err("the forward pass stopped before the last layer".into());
        }
        if run >= warmup {
            times.push(now_ms() - began);
        }
    }
    Ok(times)
}
