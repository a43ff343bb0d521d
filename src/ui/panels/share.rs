//! "Copy link" and "copy embed code": the current state as a link, and as an `<iframe>` of the
//! current view for a blog post. The text is also shown, for browsers that refuse the clipboard.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::state::AppState;

/// The page's address without its query: where links and embeds point.
fn base() -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

fn link(state: &AppState) -> String {
    let query = AppState {
        embed: false,
        ..state.clone()
    }
    .to_query();
    if query.is_empty() {
        base()
    } else {
        format!("{}?{query}", base())
    }
}

/// An iframe of the current view; the state's text and settings travel in its address.
pub fn embed_code(state: &AppState) -> String {
    let query = AppState {
        embed: true,
        ..state.clone()
    }
    .to_query();
    // The address is percent-encoded, so only `&` needs escaping inside the attribute.
    let src = format!("{}?{}", base(), query).replace('&', "&amp;");
    let title = format!("kernelscope: {}", state.view.label());
    format!(
        r#"<iframe src="{src}" title="{title}" width="720" height="560" loading="lazy" style="border:0"></iframe>"#
    )
}

#[component]
pub fn Share(state: RwSignal<AppState>) -> impl IntoView {
    let shown = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let copy = move |text: String, what: &'static str| {
        shown.set(text.clone());
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        spawn_local(async move {
            match JsFuture::from(promise).await {
                Ok(_) => status.set(format!("{what} copied.")),
                Err(_) => status.set(format!(
                    "The browser did not allow copying; select the {what} below and copy it."
                )),
            }
        });
    };
    view! {
        <section class="panel share" aria-labelledby="share-title">
            <h2 id="share-title">"Share"</h2>
            <div class="row">
                <button data-testid="copy-link" on:click=move |_| copy(state.with(link), "link")>
                    "Copy link"
                </button>
                <button data-testid="copy-embed" on:click=move |_| copy(state.with(embed_code), "embed code")>
                    "Copy embed code"
                </button>
            </div>
            <p class="token-summary" role="status">{move || status.get()}</p>
            <Show when=move || !shown.with(String::is_empty)>
                <textarea readonly rows="3" data-testid="share-text" aria-label="Link or embed code"
                    prop:value=move || shown.get()></textarea>
            </Show>
        </section>
    }
}
