//! The kernel view: exp(s q·k) against φ(q)·φ(k), and the random maps' error against m.

use super::*;

const KERNEL_FORMULA: &str = r#"<math display="block"><mi>exp</mi><mo>(</mo><mi>s</mi><mi>q</mi><mo>·</mo><mi>k</mi><mo>)</mo><mo>≈</mo><mi>φ</mi><mo>(</mo><mi>q</mi><mo>)</mo><mo>·</mo><mi>φ</mi><mo>(</mo><mi>k</mi><mo>)</mo></math>"#;

/// Kernel pairs for the scatter: all of them for short texts, an even sample for long ones.
fn kernel_points(kernel: &KernelComparison, kept: &[usize]) -> Vec<(f64, f64)> {
    let pairs: Vec<(usize, usize)> = kept
        .iter()
        .flat_map(|&i| kept.iter().map(move |&j| (i, j)))
        .collect();
    let step = (pairs.len() / 4096).max(1);
    pairs
        .into_iter()
        .step_by(step)
        .map(|(i, j)| (kernel.exact[[i, j]], kernel.approx[[i, j]]))
        .collect()
}

#[component]
pub(super) fn KernelView(
    analysis: Analysis,
    hovered: RwSignal<Option<usize>>,
    state: RwSignal<AppState>,
    engine: EngineLink,
) -> impl IntoView {
    let id = analysis.id;
    let r = analysis.report.clone();
    let s = state.get_untracked();
    let (labels, kept) = axis(&analysis);
    let cards = r
        .maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let Some(kernel) = m.kernel.as_ref() else {
                return view! { <p class="explain">"The kernel pairs are computed on this view only."</p> }.into_any();
            };
            let points = kernel_points(kernel, &kept);
            let below = points.iter().filter(|p| p.1 <= 0.0).count();
            let scatter = ChartPlot {
                title: format!("{}: exact against approximate kernel", m.name),
                x_label: "exp(s q·k)".into(),
                y_label: "φ(q)·φ(k)".into(),
                series: vec![Series::dots(m.name.clone(), points).of_map(i)],
                log_x: true,
                log_y: true,
                diagonal: true,
                markers: vec![],
                integer_x: false,
                label_points: false,
                testid: format!("kernel-{}", m.key),
            };
            let features = keep_rows(&m.query_features, &kept);
            let signed = features.iter().any(|&x| x < 0.0);
            let limit = features.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
            let scale = if signed { ColourScale::Diverging { limit } } else { ColourScale::Sequential { lo: 0.0, hi: limit } };
            let feature_plot = MatrixPlot {
                title: format!("φ(q) of {} ({} features)", m.name, m.feature_dim),
                values: Arc::new(features),
                row_labels: labels.clone(),
                col_labels: Arc::new((0..m.feature_dim).map(|c| c.to_string()).collect()),
                row_tokens: Some(kept.clone()),
                col_tokens: None,
                scale,
                row_axis: "query token",
                col_axis: "feature",
                unit: "φ (row-scaled)",
                testid: format!("features-{}", m.key),
            };
            let (key, name, chosen_m) = (m.key.clone(), m.name.clone(), s.m);
            let score_range = analysis.summary.score_range;
            let random = crate::state::MapKey::parse(&key).is_some_and(|k| k.is_random());
            let against_m = move || {
                let series = engine.against_m.with(|a| {
                    a.as_ref()
                        .filter(|(at, _)| *at == id)
                        .and_then(|(_, all)| all.iter().find(|x| x.key == key).cloned())
                });
                match series {
                    Some(series) => {
                        let sweep = series.points;
                        let plot = ChartPlot {
                            title: format!("{name}: kernel error against m ({AGAINST_M_SEEDS} seeds)"),
                            x_label: "m".into(),
                            y_label: "‖K̂ − K‖ / ‖K‖".into(),
                            series: vec![Series {
                                name: "mean ± sd (low edge ≥ mean/10)".into(),
                                points: sweep.iter().map(|e| (e.m as f64, e.mean)).collect(),
                                // ± one sd; on the log axis the lower edge stops at a tenth of the mean.
                                band: Some(sweep.iter().map(|e| (e.m as f64, (e.mean - e.spread).max(0.1 * e.mean), e.mean + e.spread)).collect()),
                                scatter: false,
                                slot: None,
                            }
                            .of_map(i)],
                            log_x: true,
                            log_y: true,
                            diagonal: false,
                            markers: vec![(chosen_m as f64, format!("m = {chosen_m}"))],
                            integer_x: false,
                            label_points: false,
                            testid: format!("error-m-{key}"),
                        };
                        let why = against_m_note(&sweep, score_range);
                        view! {
                            <Chart plot=plot />
                            <p class="explain" data-testid=format!("why-{key}")>{why}</p>
                        }
                        .into_any()
                    }
                    None if random => progress_note(engine, id, Task::AgainstM).into_any(),
                    None => ().into_any(),
                }
            };
            view! {
                <div class="card">
                    <Chart plot=scatter />
                    <p class="stats">{format!(
                        "relative error {} · correlation {} · {} pairs ≤ 0 (hollow, on the axis){}{}",
                        fmt(kernel.relative_frobenius), fmt(kernel.correlation), below,
                        if kernel.overflowed > 0 { format!(" · {} pairs' exact kernel overflows f64 (left out)", kernel.overflowed) } else { String::new() },
                        if kernel.estimate_overflowed > 0 { format!(" · {} estimates overflow f64 (counted: the error is infinite)", kernel.estimate_overflowed) } else { String::new() }
                    )}</p>
                    <Heatmap plot=feature_plot hovered=hovered />
                    {against_m}
                </div>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <Explained formula=KERNEL_FORMULA>
                "Each point is one query–key pair: the exact softmax kernel against the map's estimate, on log axes, with the line y = x. "
                "Random features (Performer, trig) are unbiased, but their error shrinks only like 1/√m and is largest where the kernel is largest, on the pairs that matter most. "
                "Trig features can even go negative (hollow points on the axis). Fixed maps (elu+1, ReLU) do not estimate this kernel at all. "
                "Trained Hedgehog learns the normalised rows, not the kernel: its kernel may be off by a factor per query, which the row's normalisation cancels, so its points can sit far from y = x while its attention map is close to softmax's."
            </Explained>
        <div class="cards">{cards}</div>
    }
}

/// Why the error against m looks as it does on this head, in numbers: does it fall like 1/√m
/// from the smallest m to the largest, and how large are the scores it estimates exp of?
fn against_m_note(sweep: &[crate::metrics::ErrorAtM], (lo, hi): (f64, f64)) -> String {
    let (Some(first), Some(last)) = (sweep.first(), sweep.last()) else {
        return String::new();
    };
    let predicted = (last.m as f64 / first.m.max(1) as f64).sqrt();
    let fell = first.mean / last.mean;
    let scores = format!(
        "The scores s·q·k on this head run from {} to {}.",
        fmt(lo),
        fmt(hi)
    );
    if fell.is_finite() && fell >= predicted / 2.0 {
        format!(
            "Here the error falls as random features promise: from {} at m = {} to {} at m = {}, {}× lower, where 1/√m predicts {}×. {scores}",
            fmt(first.mean),
            first.m,
            fmt(last.mean),
            last.m,
            fmt(fell),
            fmt(predicted)
        )
    } else {
        format!(
            "Here the error does not fall like 1/√m: from {} at m = {} to {} at m = {}, {}× lower, where 1/√m predicts {}×. {scores} \
             The variance of each random feature grows exponentially with the scores, so with scores this far from 0 a few features \
             dominate every estimate, seeds disagree (the wide band), and 1/√m only sets in at an m far beyond {}.",
            fmt(first.mean),
            first.m,
            fmt(last.mean),
            last.m,
            fmt(fell),
            fmt(predicted),
            last.m
        )
    }
}
