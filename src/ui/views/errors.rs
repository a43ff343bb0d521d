//! The error view: where each map's weights differ from softmax, and by how much per row.

use super::*;

const ERROR_FORMULA: &str = r#"<math display="block"><mi>KL</mi><mo>(</mo><msub><mi>A</mi><mi>i</mi></msub><mo>‖</mo><msub><mover><mi>A</mi><mo>^</mo></mover><mi>i</mi></msub><mo>)</mo><mo>=</mo><msub><mo>∑</mo><mi>j</mi></msub><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mi>ln</mi><mfrac><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub></mfrac><mspace width="1.5em"/><mi>TV</mi><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msub><mo>∑</mo><mi>j</mi></msub><mo>|</mo><msub><mi>A</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>−</mo><msub><mover><mi>A</mi><mo>^</mo></mover><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>|</mo></math>"#;

#[component]
pub(super) fn ErrorsView(analysis: Analysis, hovered: RwSignal<Option<usize>>) -> impl IntoView {
    let r = analysis.report.clone();
    let kept = analysis.kept.clone();
    let rows_of = |v: &[f64]| -> Vec<(f64, f64)> {
        kept.iter()
            .map(|&i| (i as f64, v.get(i).copied().unwrap_or(f64::NAN)))
            .collect()
    };
    let cards = r
        .maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let largest = m.errors.absolute.iter().fold(0.0f64, |a, &x| a.max(x));
            let abs = token_plot(&analysis, format!("|A − Â|, {}", m.name), &m.errors.absolute, ColourScale::Sequential { lo: 0.0, hi: largest }, "|ΔA|", format!("abs-{}", m.key));
            let signed = token_plot(&analysis, format!("Â − A, {}", m.name), &m.errors.signed, ColourScale::Diverging { limit: largest }, "ΔA", format!("signed-{}", m.key));
            let per_row = ChartPlot {
                title: format!("{}: per query row", m.name),
                x_label: "query token".into(),
                y_label: "nats / TV".into(),
                series: vec![
                    Series::line("KL(A‖Â)", rows_of(&m.rows.kl)),
                    Series::line("TV", rows_of(&m.rows.tv)),
                    Series::line("entropy softmax", rows_of(&r.softmax_entropy)),
                    Series::line(format!("entropy {}", m.name), rows_of(&m.rows.entropy_linear)),
                ],
                log_x: false,
                log_y: false,
                diagonal: false,
                markers: vec![],
                integer_x: true,
                label_points: false,
                testid: format!("rows-{}", m.key),
            };
            let spectrum = m.spectrum.as_ref().zip(r.softmax_spectrum.as_ref()).map(|(lin, soft)| {
                let points = |s: &[f64]| s.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect();
                ChartPlot {
                    title: format!("singular values: effective rank {} (softmax {}), rank {} (softmax {})",
                        fmt(lin.effective_rank), fmt(soft.effective_rank), lin.numerical_rank, soft.numerical_rank),
                    x_label: "index".into(),
                    y_label: "σ".into(),
                    series: vec![
                        Series::line("softmax", points(&soft.singular_values)),
                        Series::line(m.name.clone(), points(&lin.singular_values)).of_map(i),
                    ],
                    log_x: false,
                    log_y: true,
                    diagonal: false,
                    markers: vec![(m.feature_dim as f64, format!("feature dim {}", m.feature_dim))],
                    integer_x: true,
                    label_points: false,
                    testid: format!("spectrum-{}", m.key),
                }
            });
            view! {
                <div class="card">
                    <Heatmap plot=abs hovered=hovered />
                    <Heatmap plot=signed hovered=hovered />
                    <Chart plot=per_row />
                    {match spectrum {
                        Some(plot) => view! { <Chart plot=plot /> }.into_any(),
                        None => view! { <p class="explain">{format!("Spectra are computed for up to {SPECTRUM_LIMIT} tokens.")}</p> }.into_any(),
                    }}
                    <p class="stats">{summary_text(&analysis, &m.key)}</p>
                </div>
            }
        })
        .collect_view();
    view! {
        <Explained formula=ERROR_FORMULA>
                "Where each map goes wrong: the absolute and signed difference from softmax (orange: the map gives more weight, purple: less), "
                "per-row KL, total variation and entropy, and the singular values. A linear map has rank at most its feature dimension; softmax is full rank."
            </Explained>
        <div class="cards">{cards}</div>
    }
}
