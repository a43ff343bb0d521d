//! Layer, head, mask, maps, random features and temperature: every control writes the state,
//! and the state is the URL.

use leptos::prelude::*;

use crate::state::{AppState, HEADS, LAYERS, MAX_M, MapKey, TEMPERATURE_RANGE};

#[component]
pub fn Controls(state: RwSignal<AppState>) -> impl IntoView {
    let layer_options = (0..LAYERS)
        .map(|l| view! { <option value=l.to_string()>{format!("layer {l}")}</option> })
        .collect_view();
    let head_options = (0..HEADS)
        .map(|h| view! { <option value=h.to_string()>{format!("head {h}")}</option> })
        .collect_view();
    let maps = MapKey::all()
        .map(|key| {
            let checked = move || state.with(|s| s.maps.contains(&key));
            let toggle = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                state.update(|s| {
                    s.maps.retain(|k| *k != key);
                    if on {
                        s.maps.push(key);
                        // Keep the order of the list (the keys' order), so a link does not depend on click order.
                        s.maps.sort();
                    }
                });
            };
            view! {
                <label class="map-choice">
                    <input type="checkbox" data-testid=format!("use-{}", key.as_str())
                        prop:checked=checked on:change=toggle />
                    {format!(" {}", key.label())}
                </label>
            }
        })
        .collect_view();
    let number = |ev: &leptos::ev::Event| crate::decimal::parse(event_target_value(ev).trim());

    view! {
        <section class="panel controls" id="controls" tabindex="-1" aria-labelledby="controls-title">
            <h2 id="controls-title">"Controls"</h2>
            <div class="row">
                <label>"Layer "
                    <select data-testid="layer" prop:value=move || state.with(|s| s.layer.to_string())
                        on:change=move |ev| { if let Ok(l) = event_target_value(&ev).parse::<usize>() {
                            state.update(|s| s.layer = l.min(LAYERS - 1))
                        } }>{layer_options}</select>
                </label>
                <label>"Head "
                    <select data-testid="head" prop:value=move || state.with(|s| s.head.to_string())
                        on:change=move |ev| { if let Ok(h) = event_target_value(&ev).parse::<usize>() {
                            state.update(|s| s.head = h.min(HEADS - 1))
                        } }>{head_options}</select>
                </label>
            </div>
            <div class="row">
                <label><input type="checkbox" data-testid="causal" prop:checked=move || state.with(|s| s.causal)
                    on:change=move |ev| state.update(|s| s.causal = event_target_checked(&ev)) />" Causal mask"</label>
                <label><input type="checkbox" data-testid="specials" prop:checked=move || state.with(|s| s.specials)
                    on:change=move |ev| state.update(|s| s.specials = event_target_checked(&ev)) />" Show [CLS] and [SEP]"</label>
            </div>
            <fieldset class="maps">
                <legend>"Feature maps (softmax is always shown)"</legend>
                {maps}
            </fieldset>
            <fieldset class="random">
                <legend>"Random features (Performer, trig)"</legend>
                <label>"m "
                    <input type="number" min="1" max=MAX_M.to_string() data-testid="m"
                        prop:value=move || state.with(|s| s.m.to_string())
                        on:change=move |ev| { if let Some(m) = number(&ev) {
                            state.update(|s| s.m = (m.round() as usize).clamp(1, MAX_M))
                        } } />
                </label>
                <label>"seed "
                    <input type="number" min="0" data-testid="seed"
                        prop:value=move || state.with(|s| s.seed.to_string())
                        on:change=move |ev| { if let Ok(seed) = event_target_value(&ev).trim().parse::<u64>() {
                            state.update(|s| s.seed = seed)
                        } } />
                </label>
                <label><input type="checkbox" data-testid="orthogonal" prop:checked=move || state.with(|s| s.orthogonal)
                    on:change=move |ev| state.update(|s| s.orthogonal = event_target_checked(&ev)) />" orthogonal"</label>
            </fieldset>
            <label class="temperature">
                {move || format!("Softmax temperature ×{:.2} (scale {:.3}/√d) ", state.with(|s| s.temperature), state.with(|s| s.temperature))}
                <input type="range" min="-1.3" max="1.3" step="0.01" data-testid="temperature"
                    prop:value=move || state.with(|s| s.temperature.log10().to_string())
                    on:input=move |ev| { if let Some(x) = number(&ev) {
                        let t = (10f64.powf(x) * 100.0).round() / 100.0;
                        state.update(|s| s.temperature = t.clamp(TEMPERATURE_RANGE.0, TEMPERATURE_RANGE.1))
                    } } />
            </label>
        </section>
    }
}
