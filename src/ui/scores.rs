//! The first computation: attention scores on a fixed example, on the active backend.

use leptos::prelude::*;
use ndarray::Array2;

use crate::engine::demo::{DEMO_D, DEMO_N, demo_keys, demo_queries, inverse_sqrt_dim};
use crate::engine::{Engine, cpu, max_abs_difference};

/// What the panel draws: the scores, which path made them, and the distance to the CPU reference.
#[derive(Clone)]
struct ScoresResult {
    scores: Array2<f32>,
    on_gpu: bool,
    gpu_cpu_difference: Option<f32>,
}

const FORMULA: &str = r#"<math display="block"><mi>S</mi><mo>=</mo><mfrac><mrow><mi>Q</mi><msup><mi>K</mi><mo>⊤</mo></msup></mrow><msqrt><mi>d</mi></msqrt></mfrac></math>"#;

#[component]
pub fn ScoresPanel(engine: RwSignal<Option<Engine>, LocalStorage>) -> impl IntoView {
    let result = LocalResource::new(move || {
        let active = engine.get();
        async move {
            let active = active?;
            let q = demo_queries(DEMO_N, DEMO_D);
            let k = demo_keys(DEMO_N, DEMO_D);
            let scale = inverse_sqrt_dim(DEMO_D);
            let outcome = active.scores(q.view(), k.view(), scale).await;
            if let Some(error) = outcome.gpu_failure {
                // The CPU answered this time; switch over for good and say why.
                super::fall_back(engine, error);
                return None;
            }
            let on_gpu = active.is_gpu();
            let gpu_cpu_difference = on_gpu.then(|| {
                let reference = cpu::scores(q.view(), k.view(), scale);
                max_abs_difference(outcome.value.view(), reference.view())
            });
            Some(ScoresResult {
                scores: outcome.value,
                on_gpu,
                gpu_cpu_difference,
            })
        }
    });

    view! {
        <section class="panel scores" aria-labelledby="scores-title">
            <h2 id="scores-title">"Attention scores"</h2>
            <div class="formula" inner_html=FORMULA></div>
            <p class="explain">
                {format!(
                    "Scores of {DEMO_N} queries against {DEMO_N} keys of dimension {DEMO_D}, on a fixed example. \
                     Softmax turns each row into attention weights; linear attention replaces exp(S) by a kernel."
                )}
            </p>
            {move || match result.get().flatten() {
                None => view! { <p class="pending">"Computing…"</p> }.into_any(),
                Some(r) => view! { <ScoresView result=r /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ScoresView(result: ScoresResult) -> impl IntoView {
    let scores = result.scores;
    let largest = scores
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    let checksum: f64 = scores.iter().map(|&v| f64::from(v)).sum();
    let values_json = serde_json::to_string(
        &scores
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let path = if result.on_gpu { "webgpu" } else { "cpu" };
    let difference = result
        .gpu_cpu_difference
        .map(|d| format!("{d:e}"))
        .unwrap_or_default();
    let agreement = result.gpu_cpu_difference.map(|d| {
        format!("GPU against the CPU reference: largest difference {d:.2e} (tolerance 1e-4).")
    });

    let rows = scores
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(j, &v)| {
                    // Diverging map centred on zero: blue negative, red positive.
                    let t = 0.5 - 0.5 * f64::from(v / largest);
                    let colour = colorous::RED_BLUE.eval_continuous(t.clamp(0.0, 1.0));
                    let style = format!("background-color: #{colour:x}");
                    let label = format!("S[{i},{j}] = {v:.5}");
                    view! { <td style=style title=label.clone() aria-label=label></td> }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();

    view! {
        <div
            class="scores-result"
            data-testid="scores"
            data-path=path
            data-checksum=format!("{checksum}")
            data-values=values_json
            data-gpu-cpu-difference=difference
        >
            <table class="heatmap" aria-label="Score matrix, queries by rows, keys by columns">
                <tbody>{rows}</tbody>
            </table>
            <p class="readout">
                {format!("Σ S = {checksum:.6} · computed on the {} path", if result.on_gpu { "WebGPU" } else { "CPU" })}
            </p>
            {agreement.map(|text| view! { <p class="readout agreement">{text}</p> })}
        </div>
    }
}
