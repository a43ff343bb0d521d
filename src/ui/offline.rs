//! The offline copy: once the engine holds the whole model, the page registers the site's
//! service worker (`src/offline/offline.js`), which keeps every file the site fetches so that
//! the page reloads and draws without a network. The files fetched before it started (the
//! default text's embedding shards) are handed to it by name. Where the browser has no service
//! workers (an insecure origin, a private window, a test that blocks them) the page works as
//! before, online.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The service worker's script, relative to the page (its folder is the worker's scope, so any
/// sub-path works).
const SCRIPT: &str = "./offline.js";

/// Register the service worker and give it `files` to keep; a refusal is a warning in the
/// console, never an error.
pub fn keep_offline_copy(files: Vec<String>) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(why) = register(files).await {
            web_sys::console::warn_2(&"kernelscope: no offline copy:".into(), &why);
        }
    });
}

async fn register(files: Vec<String>) -> Result<(), JsValue> {
    let Some(window) = web_sys::window() else {
        return Ok(());
    };
    let container = Reflect::get(&window.navigator(), &"serviceWorker".into())?;
    if !container.is_object() {
        return Ok(());
    }
    let call = |target: &JsValue, name: &str, argument: Option<&JsValue>| {
        let method: Function = Reflect::get(target, &name.into())?.dyn_into()?;
        let result = match argument {
            Some(argument) => method.call1(target, argument)?,
            None => method.call0(target)?,
        };
        Ok::<_, JsValue>(result)
    };
    let registered: Promise = call(&container, "register", Some(&SCRIPT.into()))?.dyn_into()?;
    JsFuture::from(registered).await?;
    // `ready` resolves once a worker is active for this page.
    let ready: Promise = Reflect::get(&container, &"ready".into())?.dyn_into()?;
    let registration = JsFuture::from(ready).await?;
    let active = Reflect::get(&registration, &"active".into())?;
    if active.is_object() {
        let names: Array = files.into_iter().map(JsValue::from).collect();
        call(&active, "postMessage", Some(&names.into()))?;
    }
    Ok(())
}
