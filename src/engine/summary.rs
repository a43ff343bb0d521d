//! The figures the views print beside their plots, derived from the reports here in the engine
//! so that views only format them: per-map means, the cost model, crossovers, and what trained
//! Hedgehog wins back per head.

use serde::{Deserialize, Serialize};

use super::report::Report;
use super::sweep::{SOFTMAX, SweepPoint, crossover};

/// Heads whose role was measured on the fp32 model (tools/model/head_roles.md).
pub const HEAD_ROLES: [((usize, usize), &str); 3] = [
    ((0, 2), "previous token"),
    ((1, 8), "next token"),
    ((2, 8), "determiner → noun"),
];

/// One map's read-outs against softmax, averaged over the query rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSummary {
    pub key: String,
    pub mean_entropy: f64,
    /// Over the rows where KL is finite; `infinite_kl_rows` counts the others.
    pub mean_kl: f64,
    pub infinite_kl_rows: usize,
    pub mean_tv: f64,
    /// `‖O − Ô‖_F / ‖O‖_F`.
    pub output_error: f64,
    /// Rows whose normaliser vanished (drawn uniform).
    pub degenerate_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadSummary {
    pub softmax_mean_entropy: f64,
    pub maps: Vec<MapSummary>,
    /// The largest weight of softmax and every map: the top of the maps' shared colour scale.
    pub largest_weight: f64,
    /// The smallest and largest score s·q·k over the pairs the mask lets through: where the
    /// scores are large, random features' variance explodes.
    pub score_range: (f64, f64),
}

/// The mean of the finite values (0 when there are none).
fn finite_mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    // An empty sum of floats is −0.0, which would print as "-0.0000".
    if finite.is_empty() {
        return 0.0;
    }
    finite.iter().sum::<f64>() / finite.len() as f64
}

/// The read-outs of one head's report, given its Q and K (for the score range) and mask.
pub fn head_summary(
    report: &Report,
    q: ndarray::ArrayView2<'_, f64>,
    k: ndarray::ArrayView2<'_, f64>,
    causal: bool,
) -> HeadSummary {
    let top = |a: &ndarray::Array2<f64>| a.iter().copied().fold(0.0f64, f64::max);
    let scores = q.dot(&k.t()) * report.scale;
    let score_range = scores
        .indexed_iter()
        .filter(|((i, j), s)| (!causal || j <= i) && s.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, &s)| {
            (lo.min(s), hi.max(s))
        });
    HeadSummary {
        score_range: if score_range.0 <= score_range.1 {
            score_range
        } else {
            (0.0, 0.0)
        },
        softmax_mean_entropy: finite_mean(&report.softmax_entropy),
        largest_weight: report
            .maps
            .iter()
            .map(|m| top(&m.attention.weights))
            .fold(top(&report.softmax.weights), f64::max),
        maps: report
            .maps
            .iter()
            .map(|m| MapSummary {
                key: m.key.clone(),
                mean_entropy: finite_mean(&m.rows.entropy_linear),
                mean_kl: finite_mean(&m.rows.kl),
                infinite_kl_rows: m.rows.kl.iter().filter(|x| !x.is_finite()).count(),
                mean_tv: finite_mean(&m.rows.tv),
                output_error: m.output.relative,
                degenerate_rows: m.attention.degenerate_rows.len(),
            })
            .collect(),
    }
}

/// FLOPs of one head as N grows: softmax `4N²d`, a linear map `4Ndm`; and each map's error
/// against its cost at this text's N.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    pub d: usize,
    pub n: usize,
    pub lengths: Vec<f64>,
    pub softmax_flops: Vec<f64>,
    /// Softmax's FLOPs at this text's N.
    pub softmax_flops_here: f64,
    pub maps: Vec<MapCost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapCost {
    pub key: String,
    pub name: String,
    pub flops: Vec<f64>,
    /// `4N²d = 4Ndm` where N = m.
    pub breaks_even_at: usize,
    pub flops_here: f64,
    pub mean_tv: f64,
}

pub fn cost_model(report: &Report, summary: &HeadSummary) -> CostModel {
    let d = report.d as f64;
    let n = report.n as f64;
    // From N = 8, so that the break-even of a map with few features (elu+1: 32) is on the chart.
    let lengths: Vec<f64> = (3..=14).map(|e| 2f64.powi(e)).collect();
    CostModel {
        d: report.d,
        n: report.n,
        softmax_flops: lengths.iter().map(|&l| 4.0 * l * l * d).collect(),
        softmax_flops_here: 4.0 * n * n * d,
        maps: report
            .maps
            .iter()
            .zip(&summary.maps)
            .map(|(m, s)| {
                let f = m.feature_dim as f64;
                MapCost {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    flops: lengths.iter().map(|&l| 4.0 * l * d * f).collect(),
                    breaks_even_at: m.feature_dim,
                    flops_here: 4.0 * n * d * f,
                    mean_tv: s.mean_tv,
                }
            })
            .collect(),
        lengths,
    }
}

/// For each timed map, the smallest measured N at which it beat softmax, if any.
pub fn crossovers(points: &[SweepPoint]) -> Vec<(String, Option<usize>)> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        if p.work != SOFTMAX && !names.contains(&p.work) {
            names.push(p.work.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let at = crossover(points, &name);
            (name, at)
        })
        .collect()
}

/// Trained Hedgehog's mean TV against the best other chosen map, per head, on one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WonBack {
    pub rows: Vec<WonBackRow>,
    pub mean_trained: f64,
    pub mean_best_other: f64,
    /// Heads where trained Hedgehog is closer to softmax than every other chosen map.
    pub closer: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WonBackRow {
    pub layer: usize,
    pub head: usize,
    /// The measured role, or "".
    pub role: String,
    pub trained_tv: f64,
    pub best_name: String,
    pub best_tv: f64,
}

/// From the overview (per layer, per head: each map's name and mean TV); `None` without trained
/// Hedgehog and one other map.
pub fn won_back(layers: &[Vec<super::protocol::HeadTvs>]) -> Option<WonBack> {
    let trained = |name: &str| name == "Hedgehog" || name.starts_with("Hedgehog-");
    let rows: Vec<WonBackRow> = layers
        .iter()
        .enumerate()
        .flat_map(|(layer, heads)| {
            heads
                .iter()
                .enumerate()
                .map(move |(head, tvs)| ((layer, head), tvs))
        })
        .filter_map(|((layer, head), tvs)| {
            let (_, trained_tv) = tvs.iter().find(|(n, _)| n == "Hedgehog")?;
            let (best_name, best_tv) = tvs
                .iter()
                .filter(|(n, _)| !trained(n))
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            let role = HEAD_ROLES
                .iter()
                .find(|(at, _)| *at == (layer, head))
                .map_or("", |(_, r)| *r);
            Some(WonBackRow {
                layer,
                head,
                role: role.to_string(),
                trained_tv: *trained_tv,
                best_name: best_name.clone(),
                best_tv: *best_tv,
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mean = |f: fn(&WonBackRow) -> f64| rows.iter().map(f).sum::<f64>() / rows.len() as f64;
    Some(WonBack {
        mean_trained: mean(|r| r.trained_tv),
        mean_best_other: mean(|r| r.best_tv),
        closer: rows.iter().filter(|r| r.trained_tv < r.best_tv).count(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn won_back_compares_trained_hedgehog_with_the_best_other_map_per_head() {
        let head = |h: f64, e: f64, u: f64| {
            vec![
                ("elu+1".to_string(), e),
                ("Hedgehog (untrained)".to_string(), u),
                ("Hedgehog".to_string(), h),
                ("Hedgehog-128".to_string(), 0.0),
            ]
        };
        let layers = vec![vec![
            head(0.2, 0.5, 0.4),
            head(0.3, 0.6, 0.25),
            head(0.1, 0.3, 0.3),
        ]];
        let won = won_back(&layers).expect("rows");
        assert_eq!(won.rows.len(), 3);
        assert_eq!(won.rows[1].best_name, "Hedgehog (untrained)");
        assert_eq!(won.rows[2].role, "previous token");
        assert_eq!(won.closer, 2);
        assert!((won.mean_trained - 0.2).abs() < 1e-12);
        assert!((won.mean_best_other - (0.4 + 0.25 + 0.3) / 3.0).abs() < 1e-12);
        assert_eq!(won_back(&[vec![vec![("elu+1".into(), 0.5)]]]), None);
    }

    #[test]
    fn finite_means_skip_infinities() {
        assert_eq!(finite_mean(&[1.0, f64::INFINITY, 3.0]), 2.0);
        assert!(finite_mean(&[]) == 0.0 && finite_mean(&[]).is_sign_positive());
        assert!(finite_mean(&[f64::INFINITY]).is_sign_positive());
    }
}
