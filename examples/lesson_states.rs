//! Choose each lesson step's layer and head by measuring every head on the step's text, with
//! the engine's own report and the lesson's own facts; prints the ranking and the choice.
//! `src/lesson/mod.rs` holds the result.
//!
//!     cargo run --release --example lesson_states

use kernelscope::engine::assets::Model;
use kernelscope::engine::cpu;
use kernelscope::engine::report::{Request, mask};
use kernelscope::engine::summary::head_summary;
use kernelscope::lesson::{Facts, STEPS, facts};
use kernelscope::model::forward::forward;
use kernelscope::state::AppState;

fn model() -> Model {
    Model::from_folder(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"))
        .expect("the shipped model loads")
}

fn token_ids(model: &Model, text: &str) -> Vec<u32> {
    let encoding = model.tokenizer.encode(text, model.weights.config.positions);
    encoding.tokens.iter().map(|t| t.id).collect()
}

/// What a step measures on one head: larger is a clearer showing of its claim.
fn score(step: usize, f: &Facts, summary: &kernelscope::engine::summary::HeadSummary) -> f64 {
    match f {
        // The sharpest softmax weight, less the largest weight any map puts on the same pair.
        Facts::Sharpness { softmax, maps, .. } => {
            softmax - maps.iter().map(|m| m.weight).fold(0.0, f64::max)
        }
        // How many times worse Performer is on the largest-kernel pairs than on the rest (the
        // caller keeps only heads where its error falls like 1/√m).
        Facts::RandomFeatures { maps } => maps
            .iter()
            .find(|m| m.key == "performer")
            .map_or(0.0, |m| m.top_error / m.rest_error),
        // How far softmax's rank exceeds the largest linear map's, then its effective rank's.
        Facts::LowRank {
            softmax_rank,
            softmax_effective,
            maps,
            ..
        } => {
            let rank = maps
                .iter()
                .map(|m| m.numerical_rank as f64)
                .fold(0.0, f64::max);
            let effective = maps.iter().map(|m| m.effective_rank).fold(0.0, f64::max);
            1000.0 * (*softmax_rank as f64 - rank) + (softmax_effective - effective)
        }
        // The strongest pull-together of any map.
        Facts::Collisions { maps } => maps
            .iter()
            .map(|m| m.softmax_tv - m.linear_tv)
            .fold(f64::NEG_INFINITY, f64::max),
        // Step 5: best fixed map's mean TV less trained Hedgehog's.
        Facts::Summary if step == 5 => {
            let tv = |key: &str| {
                summary
                    .maps
                    .iter()
                    .find(|m| m.key == key)
                    .map(|m| m.mean_tv)
            };
            let fixed = summary
                .maps
                .iter()
                .filter(|m| !m.key.starts_with("hedgehog"))
                .map(|m| m.mean_tv)
                .fold(f64::INFINITY, f64::min);
            tv("hedgehog").map_or(f64::NEG_INFINITY, |t| fixed - t)
        }
        Facts::Summary => 0.0,
    }
}

fn main() {
    let model = model();
    for (i, step) in STEPS.iter().enumerate().take(5) {
        let n = i + 1;
        let (base, _) = AppState::from_query(step.preset);
        let ids = token_ids(&model, &base.text);
        let trace = forward(&model.weights, &ids, None).expect("forward");
        let mut ranked = Vec::new();
        for layer in 0..trace.layers.len() {
            for head in 0..12 {
                let state = AppState {
                    layer,
                    head,
                    ..base.clone()
                };
                let Some([q, k, v]) = cpu::head(&trace, layer, head) else {
                    continue;
                };
                let request = Request {
                    mask: mask(state.causal),
                    temperature: state.temperature,
                    maps: state.specs(model.trained()),
                    spectra: n == 3,
                    kernel_pairs: n == 2,
                };
                let report = cpu::analyze(q.view(), k.view(), v.view(), &request).expect("report");
                let summary = head_summary(&report, q.view(), k.view(), state.causal);
                let f = facts(n, &report, &summary, q.view());
                if n == 2 {
                    // Only heads where Performer's error falls at least half as fast as 1/√m.
                    let spec = request
                        .maps
                        .iter()
                        .find(|s| s.slug() == "performer")
                        .expect("performer");
                    let sweep =
                        cpu::error_against_m(q.view(), k.view(), 1.0, spec, 0, 5).expect("random");
                    let (first, last) = (&sweep[0], &sweep[sweep.len() - 1]);
                    let predicted = (last.m as f64 / first.m as f64).sqrt();
                    if first.mean / last.mean < predicted / 2.0 {
                        continue;
                    }
                }
                ranked.push((score(n, &f, &summary), layer, head));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let shown: Vec<String> = ranked
            .iter()
            .take(5)
            .map(|(s, l, h)| format!("L{l}.H{h} {s:.3}"))
            .collect();
        println!(
            "step {n} ({} tokens; now L{}.H{}): best {}",
            ids.len(),
            base.layer,
            base.head,
            shown.join(", ")
        );
    }
    // Step 6: the layer whose swap moves the last layer most, for the first map.
    let (base, _) = AppState::from_query(STEPS[5].preset);
    let ids = token_ids(&model, &base.text);
    let trace = forward(&model.weights, &ids, None).expect("forward");
    let d = model.weights.config.head_dim();
    for layer in 0..trace.layers.len() {
        let changes: Vec<String> = base
            .specs(model.trained())
            .iter()
            .map(|spec| {
                let maps: Vec<_> = (0..12)
                    .map(|h| {
                        base.specs_for(model.trained(), layer, h)
                            .into_iter()
                            .find(|s| s.key == spec.key)
                            .unwrap_or_else(|| spec.clone())
                            .build(d)
                    })
                    .collect();
                let s = cpu::spread(&model.weights, &ids, &trace, layer, &maps).expect("spread");
                let last = s.hidden_change.last().map_or(0.0, |c| c.1);
                format!(
                    "{} {last:.3} (cosine {:.4})",
                    spec.slug(),
                    s.sentence_cosine
                )
            })
            .collect();
        println!(
            "step 6, swap layer {layer}: last layer moves {}",
            changes.join(", ")
        );
    }
}
