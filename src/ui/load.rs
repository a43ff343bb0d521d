//! Loading the embedded model: two files fetched from the site itself (relative URLs, so any
//! sub-path works), then parsed and checked. Nothing comes from another host.

use std::sync::Arc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::kernels::HedgehogSet;
use crate::model::tokenizer::Tokenizer;
use crate::model::weights::Weights;

/// The model and its tokenizer, shared read-only by every view.
pub struct Model {
    pub weights: Weights,
    pub tokenizer: Tokenizer,
    /// Trained Hedgehog weights per head, or why they could not be used: without them the
    /// trained maps are left out with a notice, and everything else works.
    pub hedgehog: Result<HedgehogSet, String>,
}

impl Model {
    pub fn trained(&self) -> Option<&HedgehogSet> {
        self.hedgehog.as_ref().ok()
    }
}

pub const MODEL_FILE: &str = "model.safetensors";
pub const VOCAB_FILE: &str = "vocab.txt";
pub const HEDGEHOG_FILE: &str = "hedgehog.safetensors";

pub async fn load() -> Result<Arc<Model>, String> {
    // All requests are in flight at once; index.html also preloads the model.
    let (weights, vocab, hedgehog) = (
        start(MODEL_FILE)?,
        start(VOCAB_FILE)?,
        start(HEDGEHOG_FILE)?,
    );
    let (weights, vocab) = (
        finish(MODEL_FILE, weights).await?,
        finish(VOCAB_FILE, vocab).await?,
    );
    let hedgehog = finish(HEDGEHOG_FILE, hedgehog).await;
    let weights = Weights::from_safetensors(&weights).map_err(|e| e.to_string())?;
    let vocab = String::from_utf8(vocab).map_err(|_| format!("{VOCAB_FILE} is not UTF-8"))?;
    let tokenizer = Tokenizer::from_vocab_txt(&vocab).map_err(|e| e.to_string())?;
    if tokenizer.vocab_size() != weights.config.vocab {
        return Err(format!(
            "the vocabulary has {} pieces but the model {} embeddings",
            tokenizer.vocab_size(),
            weights.config.vocab
        ));
    }
    let config = &weights.config;
    let hedgehog = hedgehog.and_then(|bytes| {
        HedgehogSet::from_safetensors(&bytes, config.layers, config.heads, config.head_dim())
            .map_err(|e| format!("{HEDGEHOG_FILE} was refused: {e}"))
    });
    Ok(Arc::new(Model {
        weights,
        tokenizer,
        hedgehog,
    }))
}

fn start(url: &str) -> Result<js_sys::Promise, String> {
    let window = web_sys::window().ok_or("there is no window to fetch the model in")?;
    Ok(window.fetch_with_str(url))
}

async fn finish(url: &str, request: js_sys::Promise) -> Result<Vec<u8>, String> {
    let failed = |why: String| format!("could not load {url}: {why}");
    let response = JsFuture::from(request)
        .await
        .map_err(|e| failed(describe(&e)))?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| failed("not an HTTP response".into()))?;
    if !response.ok() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let body = response.array_buffer().map_err(|e| failed(describe(&e)))?;
    let body = JsFuture::from(body)
        .await
        .map_err(|e| failed(describe(&e)))?;
    Ok(js_sys::Uint8Array::new(&body).to_vec())
}

fn describe(error: &wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the request failed".into())
}
