//! The Leptos UI: it reads the URL state, asks the engine, and draws. It does no math.

mod backend;
mod scores;
mod url;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::engine::{Engine, GpuError};
use crate::state::{AppState, Notice};

/// Mount the app on `<body>`; the entry point of the wasm binary.
pub fn start() {
    install_panic_notice();
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

/// A panic is a bug; if one happens anyway, say so on the page instead of leaving it dead.
fn install_panic_notice() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(document) = document
            && let Some(body) = document.body()
            && let Ok(banner) = document.create_element("div")
        {
            banner.set_class_name("fatal");
            banner.set_attribute("role", "alert").ok();
            banner.set_text_content(Some(
                "kernelscope hit an internal error and stopped. Reload the page; the details are in the browser console.",
            ));
            body.prepend_with_node_1(&banner).ok();
        }
    }));
}

#[component]
fn App() -> impl IntoView {
    let (initial, notices) = AppState::from_query(&url::current_query());
    let state = RwSignal::new(initial);
    let notices = RwSignal::new(notices);

    // Keep the URL in step with the state, so the address bar is always a shareable link.
    Effect::new(move |_| url::replace_query(&state.with(AppState::to_query)));

    // The engine lives in a local signal: wgpu handles are not Send in the browser.
    let engine: RwSignal<Option<Engine>, LocalStorage> = RwSignal::new_local(None);
    Effect::new(move |_| {
        let choice = state.with(|s| s.backend);
        engine.set(None);
        spawn_local(async move {
            let started = Engine::start(choice, move |why| {
                // Only the engine whose own device died falls back; an older one may report late.
                engine.update(|current| {
                    if let Some(Engine::Gpu(gpu)) = current
                        && gpu.lost_reason().is_some()
                    {
                        *current = Some(Engine::fallback(GpuError::DeviceLost(why.clone())));
                    }
                });
            })
            .await;
            // A newer choice may have been made while this one started.
            if state.with_untracked(|s| s.backend) == choice {
                engine.set(Some(started));
            }
        });
    });

    view! {
        <header class="masthead">
            <h1>"kernelscope"</h1>
            <p class="tagline">"Why linear attention struggles to match softmax attention."</p>
        </header>
        <NoticeList notices=notices />
        <main class="panels">
            <backend::BackendPanel engine=engine state=state />
            <scores::ScoresPanel engine=engine />
        </main>
    }
}

/// Values from the URL that were ignored, shown once, dismissable.
#[component]
fn NoticeList(notices: RwSignal<Vec<Notice>>) -> impl IntoView {
    view! {
        <Show when=move || notices.with(|n| !n.is_empty())>
            <aside class="notices" role="status" data-testid="notices">
                <ul>
                    <For
                        each=move || notices.get()
                        key=|notice| notice.key.clone()
                        children=|notice| view! { <li>{notice.message}</li> }
                    />
                </ul>
                <button on:click=move |_| notices.set(Vec::new())>"Dismiss"</button>
            </aside>
        </Show>
    }
}
