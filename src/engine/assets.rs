//! The embedded model: three files fetched from the site itself (relative URLs, so any
//! sub-path works), then parsed and checked. Nothing comes from another host. The layers and
//! the word-embedding rows the model file indexes follow as the session needs them.

use crate::kernels::HedgehogSet;
use crate::model::tokenizer::Tokenizer;
use crate::model::weights::Weights;

/// The model and its tokenizer, read-only once loaded.
pub struct Model {
    pub weights: Weights,
    pub tokenizer: Tokenizer,
    /// Trained Hedgehog weights per head, or why they could not be used: without them the
    /// trained maps are left out with a notice, and everything else works.
    pub hedgehog: Result<HedgehogSet, String>,
}

pub const MODEL_FILE: &str = "model.safetensors";
pub const VOCAB_FILE: &str = "vocab.txt";
pub const HEDGEHOG_FILE: &str = "hedgehog.safetensors";

impl Model {
    pub fn trained(&self) -> Option<&HedgehogSet> {
        self.hedgehog.as_ref().ok()
    }

    /// Parse and check the three files; the Hedgehog file may be missing or refused.
    pub fn from_files(
        weights: &[u8],
        vocab: &[u8],
        hedgehog: Result<Vec<u8>, String>,
    ) -> Result<Self, String> {
        let weights = Weights::from_safetensors(weights).map_err(|e| e.to_string())?;
        let vocab = std::str::from_utf8(vocab).map_err(|_| format!("{VOCAB_FILE} is not UTF-8"))?;
        let tokenizer = Tokenizer::from_vocab_txt(vocab).map_err(|e| e.to_string())?;
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
        Ok(Model {
            weights,
            tokenizer,
            hedgehog,
        })
    }

    /// The model in `folder` with every layer file and word-embedding shard (native: tests and
    /// examples read the shipped model from `assets/`).
    pub fn from_folder(folder: &std::path::Path) -> Result<Self, String> {
        let read = |name: &str| {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let model = Self::from_files(&read(MODEL_FILE)?, &read(VOCAB_FILE)?, read(HEDGEHOG_FILE))?;
        model.weights.load_layers(folder)?;
        model.weights.word_embeddings.load_all(folder)?;
        Ok(model)
    }

    /// Fetch the three files (all in flight at once) from the site, in a page or a worker.
    #[cfg(target_arch = "wasm32")]
    pub async fn fetch() -> Result<Self, String> {
        let (weights, vocab, hedgehog) = (
            web::start(MODEL_FILE)?,
            web::start(VOCAB_FILE)?,
            web::start(HEDGEHOG_FILE)?,
        );
        let (weights, vocab) = (
            web::finish(MODEL_FILE, weights).await?,
            web::finish(VOCAB_FILE, vocab).await?,
        );
        let hedgehog = web::finish(HEDGEHOG_FILE, hedgehog).await;
        Self::from_files(&weights, &vocab, hedgehog)
    }
}

/// Fetch `files` from the site, all in flight at once.
#[cfg(target_arch = "wasm32")]
pub async fn fetch_all(files: &[String]) -> Vec<Result<Vec<u8>, String>> {
    let started: Vec<_> = files.iter().map(|f| web::start(f)).collect();
    let mut bodies = Vec::with_capacity(files.len());
    for (file, request) in files.iter().zip(started) {
        bodies.push(match request {
            Ok(request) => web::finish(file, request).await,
            Err(why) => Err(why),
        });
    }
    bodies
}

#[cfg(target_arch = "wasm32")]
mod web {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// `fetch(url)` on whatever global this runs in (a window or a worker).
    pub fn start(url: &str) -> Result<Promise, String> {
        let global = js_sys::global();
        let fetch = Reflect::get(&global, &JsValue::from_str("fetch"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or("this browser cannot fetch")?;
        fetch
            .call1(&global, &JsValue::from_str(url))
            .ok()
            .and_then(|p| p.dyn_into::<Promise>().ok())
            .ok_or_else(|| format!("could not request {url}"))
    }

    pub async fn finish(url: &str, request: Promise) -> Result<Vec<u8>, String> {
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

    pub fn describe(error: &JsValue) -> String {
        error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| error.as_string())
            .unwrap_or_else(|| "the request failed".into())
    }
}
