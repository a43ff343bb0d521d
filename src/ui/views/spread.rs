//! The spread view: how one layer's swap moves the layers after it.

use super::*;

const SPREAD_FORMULA: &str = r#"<math display="block"><mfrac><mrow><mo>‖</mo><msup><mi>H</mi><mi>l</mi></msup><mo>−</mo><msup><mover><mi>H</mi><mo>^</mo></mover><mi>l</mi></msup><msub><mo>‖</mo><mi>F</mi></msub></mrow><mrow><mo>‖</mo><msup><mi>H</mi><mi>l</mi></msup><msub><mo>‖</mo><mi>F</mi></msub></mrow></mfrac></math>"#;

#[component]
pub(super) fn SpreadView(
    analysis: Analysis,
    state: RwSignal<AppState>,
    engine: EngineLink,
) -> impl IntoView {
    let s = state.get_untracked();
    let id = analysis.id;
    let rows = move || {
        engine
            .spread
            .get()
            .filter(|(at, _)| *at == id)
            .map(|(_, rows)| rows)
            .unwrap_or_default()
    };
    let layer = s.layer;
    let chart = move || {
        let series = rows()
            .into_iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let spread = row.spread.ok()?;
                Some(
                    Series::line(
                        spread.name,
                        spread
                            .hidden_change
                            .iter()
                            .map(|&(l, c)| (l as f64, c))
                            .collect(),
                    )
                    .of_map(i),
                )
            })
            .collect();
        let plot = ChartPlot {
            title: format!("softmax swapped for each map in layer {layer}"),
            x_label: "layer".into(),
            y_label: "‖H − Ĥ‖ / ‖H‖".into(),
            series,
            log_x: false,
            log_y: false,
            diagonal: false,
            markers: vec![],
            integer_x: true,
            label_points: false,
            testid: "spread-chart".into(),
        };
        view! { <Chart plot=plot /> }
    };
    let table = move || {
        rows()
            .into_iter()
            .map(|row| match row.spread {
                Ok(spread) => view! {
                    <tr data-testid=format!("spread-{}", row.key)>
                        <td>{spread.name.clone()}</td>
                        {spread.hidden_change.iter().map(|(l, c)| view! { <td data-layer=l.to_string() data-value=c.to_string()>{format!("layer {l}: {}", fmt(*c))}</td> }).collect_view()}
                        <td data-cosine="" data-value=spread.sentence_cosine.to_string()>{fmt(spread.sentence_cosine)}</td>
                    </tr>
                }
                .into_any(),
                Err(e) => view! { <tr><td>{row.name}</td><td>{e}</td></tr> }.into_any(),
            })
            .collect_view()
    };
    view! {
        <Explained formula=SPREAD_FORMULA>
                "Swap one layer's softmax for a linear map and run the rest of the model unchanged: the hidden states of that layer and every later one move, "
                "and so does the mean-pooled sentence vector (cosine 1: unchanged). Choose the layer in the controls."
            </Explained>
        {progress_note(engine, id, Task::Spread)}
        <div class="cards">
            <div class="card">{chart}</div>
            <div class="card">
                <table class="spread" data-testid="spread-table">
                    <thead><tr><th>"map"</th><th colspan="3">"relative change of the hidden states"</th><th>"sentence cosine"</th></tr></thead>
                    <tbody>{table}</tbody>
                </table>
            </div>
        </div>
    }
}
