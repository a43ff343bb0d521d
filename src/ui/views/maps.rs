//! The maps view: softmax and each chosen map side by side, with the all-heads overview.

use super::overview::HeadsOverview;
use super::*;

const SOFTMAX_FORMULA: &str = r#"<math display="block"><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mfrac><mrow><mi>exp</mi><mo>(</mo><mi>s</mi><msub><mi>q</mi><mi>i</mi></msub><mo>·</mo><msub><mi>k</mi><mi>j</mi></msub><mo>)</mo></mrow><mrow><msub><mo>∑</mo><mi>l</mi></msub><mi>exp</mi><mo>(</mo><mi>s</mi><msub><mi>q</mi><mi>i</mi></msub><mo>·</mo><msub><mi>k</mi><mi>l</mi></msub><mo>)</mo></mrow></mfrac><mspace width="2em"/><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mfrac><mrow><mi>φ</mi><mo>(</mo><msub><mi>q</mi><mi>i</mi></msub><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><msub><mi>k</mi><mi>j</mi></msub><mo>)</mo></mrow><mrow><msub><mo>∑</mo><mi>l</mi></msub><mi>φ</mi><mo>(</mo><msub><mi>q</mi><mi>i</mi></msub><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><msub><mi>k</mi><mi>l</mi></msub><mo>)</mo></mrow></mfrac></math>"#;

#[component]
pub(super) fn MapsView(
    analysis: Analysis,
    hovered: RwSignal<Option<usize>>,
    state: RwSignal<AppState>,
    engine: EngineLink,
    overview_wanted: RwSignal<bool>,
) -> impl IntoView {
    let r = analysis.report.clone();
    let top = r.largest_weight();
    let scale = ColourScale::Sequential { lo: 0.0, hi: top };
    let softmax = token_plot(
        &analysis,
        "softmax".into(),
        &r.softmax.weights,
        scale,
        "weight",
        "map-softmax".into(),
    );
    let maps = r
        .maps
        .iter()
        .map(|m| {
            let plot = token_plot(
                &analysis,
                m.name.clone(),
                &m.attention.weights,
                scale,
                "weight",
                format!("map-{}", m.key),
            );
            view! {
                <div class="card">
                    <Heatmap plot=plot hovered=hovered />
                    <div class="formula" inner_html=m.formula.clone()></div>
                    <p class="stats" data-testid=format!("stats-{}", m.key)>{summary_text(&analysis, &m.key)}</p>
                </div>
            }
        })
        .collect_view();
    let hidden_note = (analysis.kept.len() < analysis.tokens.tokens.len())
        .then_some("[CLS] and [SEP] are hidden, so rows no longer sum to 1.");
    view! {
        <div class="explain-row">
            <div class="formula" inner_html=SOFTMAX_FORMULA></div>
            <p class="explain">
                "Softmax weights (left) against each linear map, on one colour scale. Softmax is sharp: it puts most of a row's weight on a few keys. "
                "Linear maps are diffuse: their weights spread over many keys (higher entropy), the “attention dilution” that costs linear attention its accuracy. "
                {hidden_note}
            </p>
        </div>
        <div class="cards">
            <div class="card">
                <Heatmap plot=softmax hovered=hovered />
                <p class="stats" data-testid="stats-softmax">{format!("mean entropy {} nats", fmt(analysis.summary.softmax_mean_entropy))}</p>
            </div>
            {maps}
        </div>
        <HeadsOverview state=state wanted=overview_wanted n=analysis.tokens.tokens.len() engine=engine id=analysis.id />
    }
}
