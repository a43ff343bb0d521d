//! The cost view: the FLOP model, and softmax against each map as N grows, measured.

use super::*;

const COST_FORMULA: &str = r#"<math display="block"><msub><mi>C</mi><mi>softmax</mi></msub><mo>≈</mo><mn>4</mn><msup><mi>N</mi><mn>2</mn></msup><mi>d</mi><mspace width="2em"/><msub><mi>C</mi><mi>linear</mi></msub><mo>≈</mo><mn>4</mn><mi>N</mi><mi>d</mi><mi>m</mi></math>"#;

/// Softmax against each chosen map as N grows, measured on this device's active engine.
#[component]
pub(super) fn MeasuredSweep(engine: EngineLink, query: String) -> impl IntoView {
    let start = move |_| engine.ask(query.clone(), false, true);
    let chart = move || {
        engine.sweep.get().map(|run| {
            let measured = run.points;
            let on_gpu = run.on_gpu;
            let mut names: Vec<String> = Vec::new();
            for p in &measured {
                if !names.contains(&p.work) {
                    names.push(p.work.clone());
                }
            }
            let series = names
                .iter()
                .map(|name| {
                    Series::line(
                        name.clone(),
                        measured
                            .iter()
                            .filter(|p| &p.work == name)
                            .map(|p| (p.n as f64, p.ms))
                            .collect(),
                    )
                })
                .collect();
            let markers = run
                .crossovers
                .iter()
                .filter_map(|(name, at)| {
                    at.map(|at| (at as f64, format!("{name} faster from N = {at}")))
                })
                .collect();
            let plot = ChartPlot {
                title: format!(
                    "measured on this device ({}), d = 32",
                    if on_gpu { "WebGPU" } else { "CPU" }
                ),
                x_label: "tokens N".into(),
                y_label: "ms".into(),
                series,
                log_x: true,
                log_y: true,
                diagonal: false,
                markers,
                integer_x: true,
                label_points: false,
                testid: "cost-measured".into(),
            };
            view! { <Chart plot=plot /> }
        })
    };
    view! {
        <div class="card">
            <p class="explain">
                {format!("Time softmax (streaming, outputs only) against each chosen map's O(N) recurrent form, N = {} to {}, on the active engine, end to end. ", SWEEP_LENGTHS[0], SWEEP_LENGTHS[SWEEP_LENGTHS.len() - 1])}
                "The crossover marks where a map becomes faster."
            </p>
            <button data-testid="measure" on:click=start disabled=move || engine.sweeping.get()>
                {move || if engine.sweeping.get() { "Measuring…" } else { "Measure on this device" }}
            </button>
            {move || engine.sweeping.get().then(|| progress_note(engine, engine.analysis.with(|a| a.as_ref().and_then(|a| a.as_ref().ok()).map_or(0, |a| a.id)), Task::Sweep))}
            {chart}
        </div>
    }
}

#[component]
pub(super) fn CostView(analysis: Analysis, engine: EngineLink) -> impl IntoView {
    let cost = analysis.cost.clone();
    let points = |flops: &[f64]| -> Vec<(f64, f64)> {
        cost.lengths
            .iter()
            .copied()
            .zip(flops.iter().copied())
            .collect()
    };
    let series = std::iter::once(Series::line("softmax", points(&cost.softmax_flops)))
        .chain(
            cost.maps
                .iter()
                .map(|m| Series::line(m.name.clone(), points(&m.flops))),
        )
        .collect();
    let markers = cost
        .maps
        .iter()
        .map(|m| {
            (
                m.breaks_even_at as f64,
                format!("{} breaks even at N = {}", m.name, m.breaks_even_at),
            )
        })
        .collect();
    let flops = ChartPlot {
        title: format!("cost of one head, d = {}", cost.d),
        x_label: "tokens N".into(),
        y_label: "FLOPs".into(),
        series,
        log_x: true,
        log_y: true,
        diagonal: false,
        markers,
        integer_x: true,
        label_points: false,
        testid: "cost-flops".into(),
    };
    let tradeoff = ChartPlot {
        title: format!("error against cost at this text's N = {}", cost.n),
        x_label: "FLOPs".into(),
        y_label: "mean TV".into(),
        // Softmax first, as in every chart of the maps, so each keeps its colour.
        series: std::iter::once(Series::dots(
            "softmax",
            vec![(cost.softmax_flops_here, 0.0)],
        ))
        .chain(
            cost.maps
                .iter()
                .map(|m| Series::dots(m.name.clone(), vec![(m.flops_here, m.mean_tv)])),
        )
        .collect(),
        log_x: true,
        log_y: false,
        diagonal: false,
        markers: vec![],
        integer_x: false,
        label_points: true,
        testid: "cost-tradeoff".into(),
    };
    view! {
        <Explained formula=COST_FORMULA>
                "Softmax costs grow with N², linear attention with N·m: the linear form pays off only past N ≈ m (the marked crossovers). "
                "Below that, softmax is both cheaper and exact. Measure both on this device below; the project's README has native timings to N = 16384."
            </Explained>
        <div class="cards">
            <div class="card"><Chart plot=flops /></div>
            <div class="card"><Chart plot=tradeoff /></div>
            <MeasuredSweep engine=engine query=analysis.query.clone() />
        </div>
    }
}
