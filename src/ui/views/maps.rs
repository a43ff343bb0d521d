//! The maps view: softmax and each chosen map side by side, with the all-heads overview.

use super::overview::HeadsOverview;
use super::*;
use crate::engine::summary::MapSummary;

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
    let top = analysis.summary.largest_weight;
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
        <Explained formula=SOFTMAX_FORMULA>
                "Softmax weights (left) against each linear map, on one colour scale. Softmax is sharp: it puts most of a row's weight on a few keys. "
                "Linear maps are diffuse: their weights spread over many keys (higher entropy), the “attention dilution” that costs linear attention its accuracy. "
                {hidden_note}
            </Explained>
        <CompareMaps analysis=analysis.clone() />
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

/// How a column ranks a map (lower is better), given softmax's mean entropy.
type Score = fn(&MapSummary, f64) -> f64;

/// The chosen maps' read-outs side by side: mean entropy (against softmax's), KL, TV and output
/// error, each with a bar on one scale per column and the best of each column marked.
#[component]
fn CompareMaps(analysis: Analysis) -> impl IntoView {
    let summary = analysis.summary.clone();
    let rows_in_all = analysis.report.n;
    let names: Vec<(String, String)> = analysis
        .report
        .maps
        .iter()
        .map(|m| (m.key.clone(), m.name.clone()))
        .collect();
    let maps = summary.maps.clone();
    let softmax_entropy = summary.softmax_mean_entropy;
    // Per column: a value per map, lower is better (entropy: its distance from softmax's).
    let columns: [(&str, Score); 4] = [
        ("entropy", |m, soft| (m.mean_entropy - soft).abs()),
        // A map that misses a key softmax attends to (KL ∞ on that row) is never the best.
        ("kl", |m, _| {
            if m.infinite_kl_rows > 0 {
                f64::INFINITY
            } else {
                m.mean_kl
            }
        }),
        ("tv", |m, _| m.mean_tv),
        ("output", |m, _| m.output_error),
    ];
    let best: Vec<Option<usize>> = columns
        .iter()
        .map(|(_, score)| {
            (0..maps.len())
                .filter(|&i| score(&maps[i], softmax_entropy).is_finite())
                .min_by(|&a, &b| {
                    score(&maps[a], softmax_entropy).total_cmp(&score(&maps[b], softmax_entropy))
                })
        })
        .collect();
    let shown = |m: &MapSummary| [m.mean_entropy, m.mean_kl, m.mean_tv, m.output_error];
    let widest: Vec<f64> = (0..4)
        .map(|c| {
            maps.iter()
                .map(|m| shown(m)[c])
                .chain((c == 0).then_some(softmax_entropy))
                .filter(|x| x.is_finite())
                .fold(0.0f64, f64::max)
        })
        .collect();
    let bar = move |value: f64, c: usize| {
        let share = if widest[c] > 0.0 && value.is_finite() {
            (100.0 * value / widest[c]).clamp(0.0, 100.0)
        } else {
            0.0
        };
        format!("width: {share:.1}%")
    };
    let bar_soft = bar.clone();
    let rows = maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = names
                .iter()
                .find(|(k, _)| *k == m.key)
                .map_or(m.key.clone(), |(_, n)| n.clone());
            let values = shown(m);
            let cells = (0..4)
                .map(|c| {
                    let text = if c == 1 { kl_text(m, rows_in_all) } else { fmt(values[c]) };
                    view! {
                        <td class:best=best[c] == Some(i) data-column=columns[c].0 data-value=values[c].to_string()>
                            <span class="bar" style=bar(values[c], c)></span>
                            <span class="value">{text}</span>
                        </td>
                    }
                })
                .collect_view();
            view! { <tr data-testid=format!("compare-{}", m.key)><th scope="row">{name}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        // It scrolls sideways at phone width, so it takes the keyboard's focus too.
        <table class="compare" data-testid="compare-maps" tabindex="0">
            <caption>"The chosen maps on this head, side by side (best of each column in bold; entropy: closest to softmax's; KL: of the maps finite on every row)"</caption>
            <thead><tr><th scope="col">"map"</th><th scope="col">"mean entropy (nats)"</th><th scope="col">"mean KL"</th><th scope="col">"mean TV"</th><th scope="col">"output error"</th></tr></thead>
            <tbody>
                <tr data-testid="compare-softmax">
                    <th scope="row">"softmax"</th>
                    <td data-column="entropy" data-value=softmax_entropy.to_string()><span class="bar" style=bar_soft(softmax_entropy, 0)></span><span class="value">{fmt(softmax_entropy)}</span></td>
                    <td>"0"</td><td>"0"</td><td>"0"</td>
                </tr>
                {rows}
            </tbody>
        </table>
    }
}
