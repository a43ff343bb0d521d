//! Where things go on a plot: cell sizes, chart axes and their ticks, and value labels.

use super::data::ChartPlot;

/// Pixels per cell along an axis of `count` cells: about 240 px in all, 1 to 22 px a cell.
pub fn cell_size(count: usize) -> usize {
    (240 / count.max(1)).clamp(1, 22)
}

/// The pixel width and height of the cells of a `rows` × `cols` map.
pub fn grid_size(rows: usize, cols: usize) -> (usize, usize) {
    (cols * cell_size(cols), rows * cell_size(rows))
}

/// Short, exact-enough text for a value.
pub fn fmt(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// `label`, cut to `chars` characters with an ellipsis.
pub fn clip(label: &str, chars: usize) -> String {
    if label.chars().count() > chars {
        let mut s: String = label.chars().take(chars - 1).collect();
        s.push('…');
        s
    } else {
        label.to_string()
    }
}

pub const CHART_W: f64 = 460.0;
pub const CHART_H: f64 = 280.0;
pub const PAD_L: f64 = 64.0;
pub const PAD_R: f64 = 16.0;
pub const PAD_T: f64 = 40.0;
pub const PAD_B: f64 = 44.0;

/// A chart's axes, fitted to its data: the ranges (in log10 units on a log axis), and the top
/// of the plot area (below the title, the legend and any marker labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Axes {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub log_x: bool,
    pub log_y: bool,
    pub top: f64,
}

impl Axes {
    pub fn fit(plot: &ChartPlot, top: f64) -> Self {
        let t = |v: f64, log: bool| if log { v.max(1e-300).log10() } else { v };
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &plot.series {
            for &(x, y) in &s.points {
                if x.is_finite()
                    && y.is_finite()
                    && (!plot.log_x || x > 0.0)
                    && (!plot.log_y || y > 0.0)
                {
                    xs.push(t(x, plot.log_x));
                    ys.push(t(y, plot.log_y));
                }
            }
            for &(x, lo, hi) in s.band.iter().flatten() {
                if x.is_finite() && lo.is_finite() && hi.is_finite() && (!plot.log_y || lo > 0.0) {
                    ys.push(t(lo, plot.log_y));
                    ys.push(t(hi, plot.log_y));
                }
            }
        }
        let span = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                (0.0, 1.0)
            } else if hi - lo < 1e-12 {
                (lo - 0.5, hi + 0.5)
            } else {
                let pad = 0.04 * (hi - lo);
                (lo - pad, hi + pad)
            }
        };
        let (mut x, mut y) = (span(&xs), span(&ys));
        if plot.diagonal {
            let lo = x.0.min(y.0);
            let hi = x.1.max(y.1);
            x = (lo, hi);
            y = (lo, hi);
        }
        Axes {
            x,
            y,
            log_x: plot.log_x,
            log_y: plot.log_y,
            top,
        }
    }

    /// Pixels from the left for x (None where a log axis cannot show it).
    pub fn px(&self, v: f64) -> Option<f64> {
        let v = if self.log_x {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        Some(PAD_L + (v - self.x.0) / (self.x.1 - self.x.0) * (CHART_W - PAD_L - PAD_R))
    }

    /// Pixels from the top for y.
    pub fn py(&self, v: f64) -> Option<f64> {
        let v = if self.log_y {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        Some(
            CHART_H - PAD_B - (v - self.y.0) / (self.y.1 - self.y.0) * (CHART_H - self.top - PAD_B),
        )
    }
}

/// Tick values and their labels over `range` (log10 units on a log axis); on an `integer` axis
/// (layers, counts) only whole numbers.
pub fn ticks(range: (f64, f64), log: bool, integer: bool) -> Vec<(f64, String)> {
    if log {
        let (lo, hi) = (range.0.ceil() as i32, range.1.floor() as i32);
        let every = ((hi - lo) / 6 + 1).max(1);
        return (lo..=hi)
            .step_by(every as usize)
            .map(|e| (10f64.powi(e), format!("1e{e}")))
            .collect();
    }
    let span = range.1 - range.0;
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(mag * 10.0);
    let step = if integer { step.max(1.0).round() } else { step };
    // As many decimals as the step needs, and no more.
    let decimals = if integer {
        0
    } else {
        (-step.log10().floor()).max(0.0) as usize
    };
    let mut t = (range.0 / step).ceil() * step;
    let mut out = Vec::new();
    while t <= range.1 + 1e-12 && out.len() < 12 {
        // A tick within rounding of zero is zero, not "−0.0".
        if t.abs() < step * 1e-9 {
            t = 0.0;
        }
        let label = if step.abs() >= 1e4 || (step.abs() < 1e-3 && step != 0.0) {
            format!("{t:.1e}")
        } else {
            format!("{t:.decimals$}")
        };
        out.push((t, label));
        t += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::plot::{ChartPlot, Series};

    fn chart(points: Vec<(f64, f64)>, log_x: bool, log_y: bool) -> ChartPlot {
        ChartPlot {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series::line("s", points)],
            log_x,
            log_y,
            diagonal: false,
            markers: Vec::new(),
            integer_x: false,
            label_points: false,
            testid: "t".into(),
        }
    }

    #[test]
    fn linear_ticks_are_round_steps_inside_the_range() {
        let t = ticks((0.0, 1.0), false, false);
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        // A tick at rounding distance from zero reads 0, never −0.
        let t = ticks((-0.30000000000000004, 0.3), false, false);
        assert!(t.iter().any(|(v, l)| *v == 0.0 && l == "0.0"), "{t:?}");
        for range in [(0.0, 1e-9), (-5.0, 1e6), (3.0, 3.0 + 1e-12)] {
            let t = ticks(range, false, false);
            assert!(t.len() <= 12, "{range:?}: {t:?}");
            assert!(
                t.iter()
                    .all(|(v, _)| *v >= range.0 - 1e-9 && *v <= range.1 + 1e-9)
            );
        }
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let t = ticks((0.0, 3.0), true, false);
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["1e0", "1e1", "1e2", "1e3"]);
        assert_eq!(t[2].0, 100.0);
    }

    #[test]
    fn axes_fit_the_data_and_map_it_inside_the_plot_area() {
        let axes = Axes::fit(&chart(vec![(1.0, 10.0), (4.0, 30.0)], false, false), PAD_T);
        let (left, right) = (axes.px(1.0).unwrap(), axes.px(4.0).unwrap());
        let (low, high) = (axes.py(10.0).unwrap(), axes.py(30.0).unwrap());
        assert!(PAD_L <= left && left < right && right <= CHART_W - PAD_R);
        // Larger values sit higher, that is nearer the top.
        assert!(PAD_T <= high && high < low && low <= CHART_H - PAD_B);
        // Nothing finite to fit: a unit range, not NaN.
        let empty = Axes::fit(&chart(vec![(f64::NAN, 1.0)], false, false), PAD_T);
        assert_eq!(empty.x, (0.0, 1.0));
        // A log axis cannot show zero or a negative value.
        let log = Axes::fit(&chart(vec![(1.0, 1.0), (100.0, 10.0)], true, true), PAD_T);
        assert_eq!(log.px(0.0), None);
        assert_eq!(log.py(-1.0), None);
        assert!(log.px(10.0).unwrap() > log.px(1.0).unwrap());
    }

    #[test]
    fn values_read_exactly_enough_and_labels_are_cut_with_an_ellipsis() {
        assert_eq!(fmt(0.5), "0.5000");
        assert_eq!(fmt(12345.0), "1.234e4");
        assert_eq!(fmt(f64::NAN), "NaN");
        assert_eq!(fmt(f64::NEG_INFINITY), "−∞");
        assert_eq!(clip("attention", 5), "atte…");
        assert_eq!(clip("dog", 5), "dog");
        assert_eq!(cell_size(1), 22);
        assert_eq!(cell_size(24), 10);
        assert_eq!(cell_size(1000), 1);
        // 17 tokens by 1057 Taylor features: 14 px rows, 1 px columns.
        assert_eq!(grid_size(17, 1057), (1057, 17 * 14));
    }
}
