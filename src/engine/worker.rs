//! The engine's message loop, in a dedicated Web Worker: the page posts asks, this answers
//! through [`Session`]. Only the newest ask is worked on; older ones stop at their next step.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::assets::{self, Model};
use super::protocol::{Ask, BackendStatus, FromEngine, ToEngine, decode, encode};
use super::session::{Host, Session};
use super::{BackendChoice, Engine, browser};
use crate::state::AppState;

/// What the loop keeps between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    /// The newest ask: answered once the model is in, answered again once a backend starts.
    latest: RefCell<Option<Ask>>,
    session: RefCell<Option<Rc<Session>>>,
    /// A backend that started before the model was in.
    started: RefCell<Option<(BackendChoice, Engine)>>,
    /// The backend being started, if one is.
    starting: Cell<Option<BackendChoice>>,
    /// The model's files are being fetched; after a failure this turns false, and the next
    /// ask fetches them again (the network may be back).
    loading: Cell<bool>,
    /// The newest ask whose answer the page has drawn.
    shown: Cell<u64>,
}

/// A [`Host`] for one ask.
struct Reply(Rc<Worker>);

impl Host for Reply {
    fn send(&self, answer: FromEngine) {
        post(&self.0.scope, &answer);
    }

    fn is_current(&self, id: u64) -> bool {
        self.0.latest.borrow().as_ref().is_some_and(|a| a.id == id)
    }

    fn is_shown(&self, id: u64) -> bool {
        self.0.shown.get() >= id
    }

    async fn breathe(&self) {
        browser::yield_to_events().await;
    }

    fn now_ms(&self) -> f64 {
        browser::now_ms()
    }

    async fn fetch_all(&self, files: &[String]) -> Vec<Result<Vec<u8>, String>> {
        assets::fetch_all(files).await
    }

    async fn pause(&self, ms: f64) {
        browser::sleep_ms(ms as i32).await;
    }
}

/// Post `answer` to the page; its bytes are transferred, not copied.
fn post(scope: &DedicatedWorkerGlobalScope, answer: &FromEngine) {
    let bytes = match encode(answer) {
        Ok(bytes) => bytes,
        Err(e) => {
            web_sys::console::error_1(&e.into());
            return;
        }
    };
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let transfer = js_sys::Array::of1(&array.buffer());
    if let Err(e) = scope.post_message_with_transfer(&array, &transfer) {
        web_sys::console::error_2(&"kernelscope: an answer could not be posted".into(), &e);
    }
}

/// The worker's entry point, called by `engine_loader.js` once the wasm is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_engine() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        latest: RefCell::new(None),
        session: RefCell::new(None),
        started: RefCell::new(None),
        starting: Cell::new(None),
        loading: Cell::new(false),
        shown: Cell::new(0),
    });
    let on_message = {
        let worker = worker.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            match decode::<ToEngine>(&bytes) {
                Ok(message) => receive(&worker, message),
                Err(e) => web_sys::console::warn_1(&e.into()),
            }
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromEngine::Ready);
    post(&scope, &FromEngine::Backend(BackendStatus::of(None)));
    load_model(&worker);
}

/// Fetch the model's files and start the session; on failure, say why and let the next ask
/// try again.
fn load_model(worker: &Rc<Worker>) {
    if worker.loading.replace(true) || worker.session.borrow().is_some() {
        return;
    }
    let worker = worker.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = Model::fetch().await;
        worker.loading.set(false);
        let facts = loaded.map(|model| {
            let session = Rc::new(Session::new(Arc::new(model)));
            if let Some((choice, engine)) = worker.started.borrow_mut().take() {
                session.set_engine(choice, engine);
            }
            let facts = session.facts();
            *worker.session.borrow_mut() = Some(session);
            facts
        });
        post(&worker.scope, &FromEngine::Model(facts));
        answer_latest(&worker);
    });
}

fn receive(worker: &Rc<Worker>, message: ToEngine) {
    match message {
        ToEngine::Ask(ask) => {
            let (state, _) = AppState::from_query(&ask.query);
            *worker.latest.borrow_mut() = Some(ask);
            start_backend(worker, state.backend);
            load_model(worker);
            answer_latest(worker);
        }
        ToEngine::Shown { id } => worker.shown.set(worker.shown.get().max(id)),
        ToEngine::Panic => panic!("the engine was asked to panic (a test of the page's recovery)"),
        ToEngine::LoseDevice => {
            let session = worker.session.borrow().clone();
            if let Some(session) = session {
                session.destroy_device();
            }
        }
    }
}

/// Answer the newest ask, if the model is in.
fn answer_latest(worker: &Rc<Worker>) {
    let session = worker.session.borrow().clone();
    let ask = worker.latest.borrow().clone();
    if let (Some(session), Some(ask)) = (session, ask) {
        let reply = Reply(worker.clone());
        wasm_bindgen_futures::spawn_local(async move { session.answer(&ask, &reply).await });
    }
}

/// Start the chosen backend unless it runs or is starting; once it is up, the newest ask is
/// answered again on it.
fn start_backend(worker: &Rc<Worker>, choice: BackendChoice) {
    let current = worker
        .session
        .borrow()
        .as_ref()
        .and_then(|s| s.engine_choice())
        .or_else(|| worker.started.borrow().as_ref().map(|(c, _)| *c));
    if current == Some(choice) || worker.starting.get() == Some(choice) {
        return;
    }
    worker.starting.set(Some(choice));
    post(&worker.scope, &FromEngine::Backend(BackendStatus::of(None)));
    let worker = worker.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // The device may be lost at any time later; the page then asks again, and the session
        // finds the lost device and falls back to the CPU.
        let engine = Engine::start(choice, |_| {
            let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
            post(&scope, &FromEngine::DeviceLost);
        })
        .await;
        if worker.starting.get() != Some(choice) {
            return;
        }
        worker.starting.set(None);
        post(
            &worker.scope,
            &FromEngine::Backend(BackendStatus::of(Some(&engine))),
        );
        let session = worker.session.borrow().clone();
        match session {
            Some(session) => session.set_engine(choice, engine),
            None => *worker.started.borrow_mut() = Some((choice, engine)),
        }
        answer_latest(&worker);
    });
}
