//! The few WebGPU facts wgpu does not pass on in a browser, read straight from `navigator.gpu`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// True when the browser exposes `navigator.gpu` at all.
pub fn has_webgpu() -> bool {
    navigator_gpu().is_some()
}

fn navigator_gpu() -> Option<JsValue> {
    // `navigator` of a window or of a worker: the engine runs in a worker.
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let gpu = Reflect::get(&navigator, &JsValue::from_str("gpu")).ok()?;
    (!gpu.is_undefined() && !gpu.is_null()).then_some(gpu)
}

/// What `GPUAdapter.info` says about the adapter.
pub struct BrowserAdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    /// `GPUAdapterInfo.isFallbackAdapter`: a software implementation such as SwiftShader.
    pub software: bool,
}

/// The adapter's vendor and architecture; "unknown" where the browser hides them.
pub async fn adapter_info() -> BrowserAdapterInfo {
    let read = read_adapter_info().await.unwrap_or(None);
    read.unwrap_or(BrowserAdapterInfo {
        vendor: "unknown".into(),
        architecture: "unknown".into(),
        description: String::new(),
        software: false,
    })
}

async fn read_adapter_info() -> Result<Option<BrowserAdapterInfo>, JsValue> {
    let Some(gpu) = navigator_gpu() else {
        return Ok(None);
    };
    let request: Function = Reflect::get(&gpu, &JsValue::from_str("requestAdapter"))?.dyn_into()?;
    let promise: Promise = request.call0(&gpu)?.dyn_into()?;
    let adapter = JsFuture::from(promise).await?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(None);
    }
    let info = Reflect::get(&adapter, &JsValue::from_str("info"))?;
    let text = |name: &str| {
        Reflect::get(&info, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let fallback = Reflect::get(&info, &JsValue::from_str("isFallbackAdapter"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut description = text("description").unwrap_or_default();
    if fallback {
        description = format!("{description} (software fallback adapter)")
            .trim()
            .to_string();
    }
    Ok(Some(BrowserAdapterInfo {
        vendor: text("vendor").unwrap_or_else(|| "unknown".into()),
        architecture: text("architecture").unwrap_or_else(|| "unknown".into()),
        description,
        software: fallback,
    }))
}

/// Resolve after `ms` milliseconds, in a window or a worker (at once where nothing can time it).
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        let global = js_sys::global();
        let timed = Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .and_then(|set_timeout| {
                set_timeout
                    .call2(&global, &resolve, &JsValue::from(ms))
                    .ok()
            });
        if timed.is_none() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Let the event loop run what is queued (the page's newer messages among it), then resume.
/// The wake-up is a message through a channel of its own, not `setTimeout(0)`: timers set from
/// timers are clamped to 4 ms after five in a row, and the CPU timing sweep yields 45–75 times
/// in a row.
pub async fn yield_to_events() {
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        let posted = web_sys::MessageChannel::new().ok().and_then(|channel| {
            // An entangled port with a listener is kept alive until its message arrives.
            channel.port1().set_onmessage(Some(&resolve));
            channel.port2().post_message(&JsValue::NULL).ok()
        });
        if posted.is_none() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds from `performance.now()` of this global (0 where there is none).
pub fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}
