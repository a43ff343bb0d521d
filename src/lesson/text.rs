//! A step's sentences as data: plain text and live numbers, each number with its exact value
//! and where the page draws it (for the tests). The page only writes them out.

use crate::engine::protocol::{AgainstM, SpreadRow};
use crate::engine::summary::{CostModel, HeadSummary};

use super::Facts;

/// A piece of a sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    /// A number from the report: its exact value, and where the page draws it. `whole`: a
    /// count (a rank, a number of tokens), shown without decimals.
    Live {
        value: f64,
        check: String,
        whole: bool,
    },
}

/// How a sentence is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Paragraph,
    /// One of a list (one per map).
    Item,
    /// The claim does not show on this text, and the sentence says so.
    Honest,
    /// Waiting for the numbers.
    Pending,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub kind: Kind,
    pub segments: Vec<Segment>,
}

/// What a step's sentences draw on: the head's facts and read-outs, and the long work so far.
pub struct Inputs<'a> {
    /// The word pieces of the text's tokens.
    pub pieces: &'a [String],
    pub facts: Option<&'a Facts>,
    pub summary: &'a HeadSummary,
    /// (key, name) of each chosen map.
    pub names: &'a [(String, String)],
    pub cost: &'a CostModel,
    pub against_m: Option<&'a [AgainstM]>,
    pub spread: Option<&'a [SpreadRow]>,
    /// Measured crossovers, when the reader has measured.
    pub crossovers: Option<&'a [(String, Option<usize>)]>,
}

/// Builds one sentence from text and numbers.
struct Builder(Vec<Segment>);

impl Builder {
    fn new() -> Self {
        Self(Vec::new())
    }
    fn text(mut self, text: impl Into<String>) -> Self {
        self.0.push(Segment::Text(text.into()));
        self
    }
    fn live(mut self, value: f64, check: impl Into<String>) -> Self {
        self.0.push(Segment::Live {
            value,
            check: check.into(),
            whole: false,
        });
        self
    }
    fn count(mut self, value: usize, check: impl Into<String>) -> Self {
        self.0.push(Segment::Live {
            value: value as f64,
            check: check.into(),
            whole: true,
        });
        self
    }
    fn done(self, kind: Kind) -> Sentence {
        Sentence {
            kind,
            segments: self.0,
        }
    }
}

fn say(kind: Kind, text: &str) -> Sentence {
    Builder::new().text(text).done(kind)
}

/// Rounded as the page shows numbers elsewhere.
fn fmt(v: f64) -> String {
    crate::ui::plot::fmt(v)
}

/// The sentences of step `n`.
pub fn sentences(n: usize, input: &Inputs<'_>) -> Vec<Sentence> {
    let quoted = |i: usize| {
        let piece = input.pieces.get(i).map_or("?", String::as_str);
        format!("“{piece}” (token {i})")
    };
    let pending = || vec![say(Kind::Pending, "Computing this step's numbers…")];
    match (n, input.facts) {
        (
            1,
            Some(Facts::Sharpness {
                row,
                col,
                softmax,
                softmax_entropy,
                maps,
            }),
        ) => {
            let (row, col) = (*row, *col);
            let mut out = vec![
                Builder::new()
                    .text(format!("Softmax gives {} ", quoted(row)))
                    .live(*softmax, format!("map-softmax:{row}:{col}"))
                    .text(format!(
                        " of its attention on {}; its rows have a mean entropy of ",
                        quoted(col)
                    ))
                    .live(*softmax_entropy, "compare-softmax:entropy")
                    .text(" nats.")
                    .done(Kind::Paragraph),
            ];
            out.extend(maps.iter().map(|m| {
                Builder::new()
                    .text(format!("{} gives it ", m.name))
                    .live(m.weight, format!("map-{}:{row}:{col}", m.key))
                    .text(" (mean row entropy ")
                    .live(m.mean_entropy, format!("compare-{}:entropy", m.key))
                    .text(" nats)")
                    .done(Kind::Item)
            }));
            if *softmax < 0.5 {
                out.push(say(Kind::Honest, "On this text no row of this head is sharp (its largest weight is under 0.5), so dilution has little to take away here; the step's own text shows it."));
            }
            out
        }
        (2, Some(Facts::RandomFeatures { maps })) => maps
            .iter()
            .map(|m| {
                let mut b = Builder::new()
                    .text(format!(
                        "{}: on the tenth of pairs with the largest exact kernel, its estimate is off by ",
                        m.name
                    ))
                    .live(m.top_error, format!("kernel-top:{}", m.key))
                    .text(" (relative); on the rest, by ")
                    .live(m.rest_error, format!("kernel-rest:{}", m.key))
                    .text(if m.top_error > m.rest_error {
                        "."
                    } else {
                        ". Here the largest pairs are not its worst: that part of the claim does not show on this head."
                    });
                if m.negative > 0 {
                    b = b.text(format!(
                        " {} of its {} estimates are negative, impossible for a kernel.",
                        m.negative, m.pairs
                    ));
                }
                let sweep = input
                    .against_m
                    .and_then(|all| all.iter().find(|s| s.key == m.key));
                if let Some((first, last)) =
                    sweep.and_then(|s| Some((s.points.first()?, s.points.last()?)))
                {
                    let count = sweep.map_or(0, |s| s.points.len());
                    let predicted = (last.m as f64 / first.m.max(1) as f64).sqrt();
                    b = b
                        .text(" Over its seeds, the error falls from ")
                        .live(first.mean, format!("error-m-{}:0:0", m.key))
                        .text(format!(" at m = {} to ", first.m))
                        .live(last.mean, format!("error-m-{}:0:{}", m.key, count - 1))
                        .text(format!(
                            " at m = {}: {}× lower, where 1/√m predicts {}×.",
                            last.m,
                            fmt(first.mean / last.mean),
                            fmt(predicted)
                        ));
                }
                b.done(Kind::Item)
            })
            .collect(),
        (
            3,
            Some(Facts::LowRank {
                n,
                softmax_rank,
                softmax_effective,
                maps,
            }),
        ) => {
            let mut out = vec![
                Builder::new()
                    .text(format!("Softmax's map of these {n} tokens has numerical rank "))
                    .count(*softmax_rank, "rank:softmax")
                    .text(" (effective rank ")
                    .live(*softmax_effective, "effective-rank:softmax")
                    .text(").")
                    .done(Kind::Paragraph),
            ];
            out.extend(maps.iter().map(|m| {
                Builder::new()
                    .text(format!("{}, with {} features, has rank ", m.name, m.feature_dim))
                    .count(m.numerical_rank, format!("rank:{}", m.key))
                    .text(" (effective rank ")
                    .live(m.effective_rank, format!("effective-rank:{}", m.key))
                    .text(if *n > m.feature_dim {
                        "): at most its feature count, however long the text."
                    } else {
                        "). This text is no longer than its feature count, so the limit does not bind here; the step's paragraph shows it."
                    })
                    .done(Kind::Item)
            }));
            out
        }
        (4, Some(Facts::Collisions { maps })) => maps
            .iter()
            .map(|m| {
                let (i, j) = m.rows;
                let mut b = Builder::new()
                    .text(format!(
                        "Softmax gives {} and {} rows that differ by a total variation of ",
                        quoted(i),
                        quoted(j)
                    ))
                    .live(m.softmax_tv, format!("tv:softmax:{i}:{j}"))
                    .text(format!("; {} gives them rows ", m.name))
                    .live(m.linear_tv, format!("tv:{}:{i}:{j}", m.key))
                    .text(if m.softmax_tv - m.linear_tv >= 0.1 {
                        " apart: it pulls together what softmax keeps apart."
                    } else {
                        " apart. On this text it does not pull any pair much closer than softmax does."
                    });
                if m.exact > 0 {
                    b = b.text(format!(
                        " {} pairs of different queries get exactly the same row.",
                        m.exact
                    ));
                }
                b.done(Kind::Item)
            })
            .collect(),
        (5, _) => wins_back(input),
        (6, _) => match input.spread {
            None => vec![say(Kind::Pending, "Running the model once per map…")],
            Some(rows) => rows
                .iter()
                .filter_map(|row| {
                    let s = row.spread.as_ref().ok()?;
                    let &(last, change) = s.hidden_change.last()?;
                    Some(
                        Builder::new()
                            .text(format!(
                                "With {} in place of softmax, layer {last}'s hidden states move by ",
                                s.name
                            ))
                            .live(change, format!("spread:{}:{last}", row.key))
                            .text(" of their size, and the sentence vector keeps a cosine of ")
                            .live(s.sentence_cosine, format!("cosine:{}", row.key))
                            .text(if change < 0.05 {
                                " with the exact one: on this text the swap barely reaches the last layer."
                            } else {
                                " with the exact one."
                            })
                            .done(Kind::Item),
                    )
                })
                .collect(),
        },
        (7, _) => {
            let cost = input.cost;
            let n = cost.n;
            let mut first = Builder::new()
                .text(format!("At this text's N = {n}, softmax costs "))
                .live(cost.softmax_flops_here, "flops:softmax")
                .text(format!(" FLOPs for one head of d = {}.", cost.d));
            if cost.maps.iter().all(|m| n < m.breaks_even_at) {
                first = first.text(" Every chosen map breaks even only at a longer text, so here softmax is cheaper as well as exact.");
            }
            let mut out = vec![first.done(Kind::Paragraph)];
            out.extend(cost.maps.iter().map(|m| {
                Builder::new()
                    .text(format!("{} costs ", m.name))
                    .live(m.flops_here, format!("flops:{}", m.key))
                    .text(" FLOPs here and breaks even with softmax at N = ")
                    .count(m.breaks_even_at, format!("breaks-even:{}", m.key))
                    .text(".")
                    .done(Kind::Item)
            }));
            out.push(match input.crossovers {
                Some(crossovers) => say(
                    Kind::Paragraph,
                    &crossovers
                        .iter()
                        .map(|(name, at)| match at {
                            Some(at) => format!("Measured on this device, {name} is faster than softmax from N = {at}."),
                            None => format!("Measured on this device, {name} was not faster than softmax at any length tried."),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                None => say(Kind::Paragraph, "Press “Measure on this device” below to time both."),
            });
            out
        }
        _ => pending(),
    }
}

/// Step 5: trained Hedgehog's mean TV against its untrained start and the best fixed map.
fn wins_back(input: &Inputs<'_>) -> Vec<Sentence> {
    let maps = &input.summary.maps;
    let tv = |key: &str| maps.iter().find(|m| m.key == key).map(|m| m.mean_tv);
    let name = |key: &str| {
        input
            .names
            .iter()
            .find(|(k, _)| k == key)
            .map_or(key.to_string(), |(_, n)| n.clone())
    };
    let fixed = maps
        .iter()
        .filter(|m| !m.key.starts_with("hedgehog"))
        .min_by(|x, y| x.mean_tv.total_cmp(&y.mean_tv));
    let (Some(trained), Some(best)) = (tv("hedgehog"), fixed) else {
        return vec![say(
            Kind::Honest,
            "Choose trained Hedgehog and at least one fixed map to compare them here (if its weights did not load, the notice above says why).",
        )];
    };
    let mut b = Builder::new()
        .text("On this head, trained Hedgehog's rows differ from softmax's by a mean total variation of ")
        .live(trained, "compare-hedgehog:tv");
    if let Some(u) = tv("hedgehog-untrained") {
        b = b
            .text(", against ")
            .live(u, "compare-hedgehog-untrained:tv")
            .text(" for its untrained start and");
    }
    let closed = 1.0 - trained / best.mean_tv;
    vec![
        b.text(" against ")
            .live(best.mean_tv, format!("compare-{}:tv", best.key))
            .text(format!(" for the best fixed map, {}. ", name(&best.key)))
            .text(if closed > 0.0 {
                format!(
                    "Training closed {:.0}% of that map's distance to softmax.",
                    100.0 * closed
                )
            } else {
                "Here training did not beat the best fixed map: this head is one of the places Hedgehog still loses.".to_string()
            })
            .done(Kind::Paragraph),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::summary::MapSummary;
    use crate::lesson::MapShare;

    fn summary(maps: &[(&str, f64)]) -> HeadSummary {
        HeadSummary {
            softmax_mean_entropy: 0.5,
            largest_weight: 1.0,
            score_range: (-1.0, 1.0),
            maps: maps
                .iter()
                .map(|&(key, tv)| MapSummary {
                    key: key.into(),
                    mean_entropy: 2.0,
                    mean_kl: 1.0,
                    infinite_kl_rows: 0,
                    mean_tv: tv,
                    output_error: 0.5,
                    degenerate_rows: 0,
                })
                .collect(),
        }
    }

    fn cost() -> CostModel {
        CostModel {
            d: 32,
            n: 10,
            lengths: Vec::new(),
            softmax_flops: Vec::new(),
            softmax_flops_here: 12800.0,
            maps: Vec::new(),
        }
    }

    fn inputs<'a>(
        pieces: &'a [String],
        facts: Option<&'a Facts>,
        summary: &'a HeadSummary,
        cost: &'a CostModel,
    ) -> Inputs<'a> {
        Inputs {
            pieces,
            facts,
            summary,
            names: &[],
            cost,
            against_m: None,
            spread: None,
            crossovers: None,
        }
    }

    fn lives(s: &[Sentence]) -> Vec<(f64, String)> {
        s.iter()
            .flat_map(|s| &s.segments)
            .filter_map(|p| match p {
                Segment::Live { value, check, .. } => Some((*value, check.clone())),
                Segment::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn step_one_quotes_the_tokens_and_carries_every_number_with_its_source() {
        let pieces: Vec<String> = ["[CLS]", "bob", "17", "[SEP]"].map(String::from).to_vec();
        let facts = Facts::Sharpness {
            row: 1,
            col: 2,
            softmax: 0.9,
            softmax_entropy: 0.4,
            maps: vec![MapShare {
                key: "elu".into(),
                name: "elu+1".into(),
                weight: 0.1,
                mean_entropy: 1.2,
            }],
        };
        let (summary, cost) = (summary(&[]), cost());
        let s = sentences(1, &inputs(&pieces, Some(&facts), &summary, &cost));
        let Segment::Text(opening) = &s[0].segments[0] else {
            panic!("{s:?}")
        };
        assert!(opening.contains("“bob” (token 1)"), "{opening}");
        assert_eq!(
            lives(&s),
            [
                (0.9, "map-softmax:1:2".to_string()),
                (0.4, "compare-softmax:entropy".into()),
                (0.1, "map-elu:1:2".into()),
                (1.2, "compare-elu:entropy".into())
            ]
        );
        assert!(s.iter().all(|s| s.kind != Kind::Honest), "a sharp row");
    }

    #[test]
    fn counts_are_whole_numbers_and_measurements_are_not() {
        let (pieces, summary) = (Vec::new(), summary(&[]));
        let mut cost = cost();
        cost.maps.push(crate::engine::summary::MapCost {
            key: "elu".into(),
            name: "elu+1".into(),
            flops: Vec::new(),
            breaks_even_at: 32,
            flops_here: 1280.0,
            mean_tv: 0.5,
        });
        let s = sentences(7, &inputs(&pieces, None, &summary, &cost));
        let wholes: Vec<(String, bool)> = s
            .iter()
            .flat_map(|s| &s.segments)
            .filter_map(|p| match p {
                Segment::Live { check, whole, .. } => Some((check.clone(), *whole)),
                Segment::Text(_) => None,
            })
            .collect();
        assert_eq!(
            wholes,
            [
                ("flops:softmax".to_string(), false),
                ("flops:elu".into(), false),
                ("breaks-even:elu".into(), true)
            ]
        );
    }

    #[test]
    fn when_the_claim_does_not_show_the_sentence_says_so() {
        let (pieces, cost) = (Vec::new(), cost());
        // Step 5 without trained Hedgehog among the maps.
        let fixed = summary(&[("elu", 0.6)]);
        let s = sentences(5, &inputs(&pieces, None, &fixed, &cost));
        assert_eq!(s[0].kind, Kind::Honest);
        // Trained Hedgehog worse than the best fixed map.
        let worse = summary(&[("elu", 0.3), ("hedgehog", 0.4)]);
        let s = sentences(5, &inputs(&pieces, None, &worse, &cost));
        let text: String = s[0]
            .segments
            .iter()
            .filter_map(|p| match p {
                Segment::Text(t) => Some(t.as_str()),
                Segment::Live { .. } => None,
            })
            .collect();
        assert!(text.contains("did not beat"), "{text}");
        // Facts for another step: the numbers are still coming.
        let s = sentences(1, &inputs(&pieces, Some(&Facts::Summary), &fixed, &cost));
        assert_eq!(s[0].kind, Kind::Pending);
    }
}
