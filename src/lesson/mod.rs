//! The guided lesson: one step per claim of the design, each with a few sentences, the state
//! that shows the claim best (chosen by measuring: `cargo run --release --example
//! lesson_states`), and facts computed live from the report for whatever text is there.
//!
//! The engine computes a step's [`Facts`] from the head's report ([`facts`]); the page writes
//! them as sentences. When the claim does not show on the reader's text, the facts say so and
//! the sentence says so.

pub mod text;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::engine::report::Report;
use crate::engine::summary::HeadSummary;
use crate::metrics::row_tv;

/// One step of the lesson.
pub struct Step {
    pub title: &'static str,
    /// What the reader should look at, in a few sentences.
    pub explanation: &'static str,
    /// The state that shows the claim best, as a link's query string (without `lesson`).
    pub preset: &'static str,
}

/// The seven steps, in order; step n is `STEPS[n - 1]`. Each head was chosen by
/// `examples/lesson_states.rs` over all 36 heads on the step's text: 1, L1.H6 (softmax's
/// sharpest weight 0.91 above any map's on the same pair); 2, L1.H2 (of the 3 heads where
/// Performer's error falls at least half as fast as 1/√m, the one worst on its largest-kernel
/// pairs); 3, L1.H8 (softmax's rank furthest above the linear maps', then effective rank);
/// 4, L1.H11 (the strongest pull-together, 0.93 of TV); 5, L0.H2 (trained Hedgehog furthest
/// below the best fixed map, 0.52 of TV); 6, layer 1 (its swap moves the last layer most:
/// elu+1 0.39, Performer 0.33, Hedgehog 0.18).
pub const STEPS: [Step; 7] = [
    Step {
        title: "Softmax is sharp; linear attention dilutes",
        explanation: "In associative recall, a query must find the one key that answers it. Softmax can put almost all of a row's weight on that key, because exp grows so fast. A linear map φ(q)·φ(k) grows slowly, so the same row spreads its weight over many keys: higher entropy, the “attention dilution” that costs linear attention its accuracy.",
        preset: "text=alice+42+bob+17+carol+93+dave+58+.+bob+17+alice+42+dave+58+carol+93+.+what+is+bob+%3F+bob+17&layer=1&head=6&maps=elu,relu,performer",
    },
    Step {
        title: "Random features: unbiased, but noisy where it matters",
        explanation: "Performer and trig random features estimate exp(s q·k) without bias: averaged over random draws they are exact. One draw of m features is not. Its error shrinks only like 1/√m, and it is largest on the pairs with the largest kernel, which are the pairs attention cares about.",
        preset: "layer=1&head=2&maps=performer,trig&view=kernel",
    },
    Step {
        title: "Low rank: a linear map cannot be full rank",
        explanation: "A linear attention map is φ(Q)·φ(K)ᵀ, normalised: its rank is at most the number of features m. Softmax's map of N tokens can have rank N. On a paragraph longer than m tokens, the singular values of each linear map fall off a cliff after m; softmax's keep going.",
        preset: "text=Linear+attention+replaces+the+softmax+kernel+with+a+product+of+feature+maps,+so+that+the+cost+grows+with+the+length+of+the+text+rather+than+with+its+square.+The+price+is+paid+in+sharpness:+a+head+that+once+looked+at+a+single+previous+word+now+spreads+its+weight+over+many,+and+the+errors+of+one+layer+travel+into+the+next.&layer=1&head=8&maps=elu,performer&m=16&view=errors",
    },
    Step {
        title: "Collisions: different queries, the same row",
        explanation: "Linear attention is not injective: queries that softmax tells apart can get (nearly) the same attention row. A ReLU map gives q and 2q exactly the same row, and on real text the linear maps pull apart rows close together.",
        preset: "layer=1&head=11&maps=elu,relu",
    },
    Step {
        title: "What trained Hedgehog wins back",
        explanation: "Hedgehog learns its feature map, exp(±(Wx + b)), per head, trained to mimic that head's softmax. It starts from W = I (the untrained map) and ends much closer to softmax than any fixed map; the table below measures how much it wins back on this text, head by head.",
        preset: "layer=0&head=2&maps=elu,performer,hedgehog-untrained,hedgehog",
    },
    Step {
        title: "The error spreads through later layers",
        explanation: "Swap one layer's softmax for a linear map and run the rest of the model unchanged. The error does not stay in that layer: the hidden states of every later layer move, and so does the sentence vector a downstream task would use.",
        preset: "layer=1&maps=elu,performer,hedgehog&view=spread",
    },
    Step {
        title: "The speed-up starts past a crossover",
        explanation: "Softmax costs grow with N², linear attention with N·m. For short texts softmax is both cheaper and exact; linear attention pays off only past N ≈ m. Measure both on this device to see where the crossover lies here.",
        preset: "maps=elu,performer,taylor,hedgehog&view=cost",
    },
];

/// The step a link names, if it names one.
pub fn step(number: usize) -> Option<&'static Step> {
    number.checked_sub(1).and_then(|i| STEPS.get(i))
}

/// One map's weight on the key softmax picks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapShare {
    pub key: String,
    pub name: String,
    pub weight: f64,
    pub mean_entropy: f64,
}

/// A pair of queries that softmax tells apart and a linear map pulls together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub key: String,
    pub name: String,
    /// Query rows (indices into the tokens).
    pub rows: (usize, usize),
    pub softmax_tv: f64,
    pub linear_tv: f64,
    /// Pairs of distinct queries whose rows coincide outright (TV ≤ 1e-3).
    pub exact: usize,
}

/// One map's rank against softmax's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankFact {
    pub key: String,
    pub name: String,
    pub feature_dim: usize,
    pub numerical_rank: usize,
    pub effective_rank: f64,
}

/// A random map's kernel error on the largest-kernel pairs against the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomFact {
    pub key: String,
    pub name: String,
    /// `‖K̂ − K‖/‖K‖` over the tenth of pairs with the largest exact kernel, and over the rest.
    pub top_error: f64,
    pub rest_error: f64,
    /// Pairs whose estimate is negative (trig).
    pub negative: usize,
    pub pairs: usize,
}

/// What a step's sentences say, computed from the head's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Facts {
    /// Step 1: the sharpest softmax row, its key, and each map's weight there.
    Sharpness {
        row: usize,
        col: usize,
        softmax: f64,
        softmax_entropy: f64,
        maps: Vec<MapShare>,
    },
    /// Step 2: random maps' error where the kernel is largest.
    RandomFeatures { maps: Vec<RandomFact> },
    /// Step 3: ranks (needs the spectra of the errors view).
    LowRank {
        n: usize,
        softmax_rank: usize,
        softmax_effective: f64,
        maps: Vec<RankFact>,
    },
    /// Step 4: the strongest merge per map.
    Collisions { maps: Vec<Merge> },
    /// Steps 5 to 7 draw on the summary, the spread and the cost model the page has already.
    Summary,
}

/// The facts of `step` for one head's full report (before it is trimmed for its view), with
/// the head's queries (for collisions).
pub fn facts(step: usize, report: &Report, summary: &HeadSummary, q: ArrayView2<'_, f64>) -> Facts {
    match step {
        1 => sharpness(report, summary),
        2 => random_features(report),
        3 => low_rank(report),
        4 => collisions(report, q),
        _ => Facts::Summary,
    }
}

fn sharpness(report: &Report, summary: &HeadSummary) -> Facts {
    let w = &report.softmax.weights;
    let ((row, col), softmax) = w.indexed_iter().filter(|(_, x)| x.is_finite()).fold(
        ((0, 0), f64::NEG_INFINITY),
        |best, (at, &x)| {
            if x > best.1 { (at, x) } else { best }
        },
    );
    let maps = report
        .maps
        .iter()
        .map(|m| MapShare {
            key: m.key.clone(),
            name: m.name.clone(),
            weight: m
                .attention
                .weights
                .get((row, col))
                .copied()
                .unwrap_or(f64::NAN),
            mean_entropy: summary
                .maps
                .iter()
                .find(|s| s.key == m.key)
                .map_or(f64::NAN, |s| s.mean_entropy),
        })
        .collect();
    Facts::Sharpness {
        row,
        col,
        softmax: softmax.max(0.0),
        softmax_entropy: summary.softmax_mean_entropy,
        maps,
    }
}

fn random_features(report: &Report) -> Facts {
    let maps = report
        .maps
        .iter()
        .filter(|m| crate::kernels::MapKey::parse(&m.key).is_some_and(|k| k.is_random()))
        .filter_map(|m| {
            let kernel = m.kernel.as_ref()?;
            let mut pairs: Vec<(f64, f64)> = kernel
                .exact
                .iter()
                .zip(kernel.approx.iter())
                .filter(|(e, _)| e.is_finite())
                .map(|(&e, &a)| (e, a))
                .collect();
            pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
            let top = pairs.len().div_ceil(10);
            let error = |part: &[(f64, f64)]| {
                let diff: f64 = part.iter().map(|(e, a)| (a - e).powi(2)).sum();
                let base: f64 = part.iter().map(|(e, _)| e * e).sum();
                if base > 0.0 {
                    (diff / base).sqrt()
                } else {
                    f64::NAN
                }
            };
            Some(RandomFact {
                key: m.key.clone(),
                name: m.name.clone(),
                top_error: error(&pairs[..top]),
                rest_error: error(&pairs[top..]),
                negative: pairs.iter().filter(|(_, a)| *a < 0.0).count(),
                pairs: pairs.len(),
            })
        })
        .collect();
    Facts::RandomFeatures { maps }
}

fn low_rank(report: &Report) -> Facts {
    let (softmax_rank, softmax_effective) = report
        .softmax_spectrum
        .as_ref()
        .map_or((0, f64::NAN), |s| (s.numerical_rank, s.effective_rank));
    Facts::LowRank {
        n: report.n,
        softmax_rank,
        softmax_effective,
        maps: report
            .maps
            .iter()
            .filter_map(|m| {
                let s = m.spectrum.as_ref()?;
                Some(RankFact {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    feature_dim: m.feature_dim,
                    numerical_rank: s.numerical_rank,
                    effective_rank: s.effective_rank,
                })
            })
            .collect(),
    }
}

fn collisions(report: &Report, q: ArrayView2<'_, f64>) -> Facts {
    let soft = &report.softmax.weights;
    Facts::Collisions {
        maps: report
            .maps
            .iter()
            .map(|m| {
                let (rows, softmax_tv, linear_tv) = strongest_merge(soft, &m.attention.weights);
                Merge {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    rows,
                    softmax_tv,
                    linear_tv,
                    exact: crate::metrics::collisions(q, &m.attention.weights).len(),
                }
            })
            .collect(),
    }
}

/// The pair of rows that softmax keeps furthest apart relative to the linear map: the largest
/// `TV_softmax − TV_linear`.
fn strongest_merge(soft: &Array2<f64>, linear: &Array2<f64>) -> ((usize, usize), f64, f64) {
    let n = soft.nrows().min(linear.nrows());
    let mut best = ((0, 0), 0.0, 0.0);
    let mut gap = f64::NEG_INFINITY;
    for i in 0..n {
        for j in i + 1..n {
            let s = row_tv(soft.row(i), soft.row(j));
            let l = row_tv(linear.row(i), linear.row(j));
            if s - l > gap {
                gap = s - l;
                best = ((i, j), s, l);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AppState;

    #[test]
    fn every_step_has_a_state_that_parses_without_notices() {
        for (i, step) in STEPS.iter().enumerate() {
            let (_, notices) = AppState::from_query(step.preset);
            assert!(notices.is_empty(), "step {}: {notices:?}", i + 1);
            assert!(!step.title.is_empty() && step.explanation.len() > 80);
        }
        assert!(step(0).is_none() && step(8).is_none());
        assert_eq!(step(7).map(|s| s.title), Some(STEPS[6].title));
    }

    #[test]
    fn the_strongest_merge_is_the_pair_the_linear_map_pulls_together_most() {
        let soft = ndarray::array![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let linear = ndarray::array![[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.1, 0.9]];
        let ((i, j), s, l) = strongest_merge(&soft, &linear);
        assert_eq!((i, j), (0, 1));
        assert_eq!((s, l), (1.0, 0.0));
    }
}
