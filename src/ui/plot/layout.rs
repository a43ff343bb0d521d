//! Where a chart's text goes, so that no two labels overlap and none is cut off: the title
//! (shortened to fit, the full text kept for the tooltip), a legend that wraps, marker labels
//! stacked in rows above the plot area, tick labels thinned where they would collide, and the
//! name of each point on a labelled scatter, placed beside it. What cannot be placed is listed
//! in `overflow`, for the read-out under the chart.

use super::data::ChartPlot;
use super::scales::{Axes, CHART_H, CHART_W, PAD_B, PAD_L, PAD_R, PAD_T, clip, ticks};

/// The font sizes the chart draws with (px).
pub const TITLE_FONT: f64 = 13.0;
pub const LABEL_FONT: f64 = 11.0;
/// Height of a row of 11 px text, with its leading.
const ROW: f64 = 14.0;
/// A legend entry's colour swatch and the gap after it.
pub const SWATCH: f64 = 10.0;
const SWATCH_GAP: f64 = 3.0;
/// Marker labels take at most this many rows; the rest go to the read-out.
const MARKER_ROWS: usize = 3;
/// Half the side of a scatter point.
pub const POINT: f64 = 3.5;

/// A piece of text and the box it takes: (x, y) is its top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub text: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl TextBox {
    fn new(text: String, x: f64, y: f64, w: f64, h: f64) -> Self {
        Self { text, x, y, w, h }
    }

    pub fn overlaps(&self, other: &TextBox) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }

    /// Inside the rectangle from (left, top) to (right, bottom).
    fn within(&self, left: f64, top: f64, right: f64, bottom: f64) -> bool {
        self.x >= left && self.y >= top && self.x + self.w <= right && self.y + self.h <= bottom
    }
}

/// The width of `text` at `font` px. In the browser, the canvas measures it; natively (tests),
/// [`estimate_width`].
pub type Measure<'a> = &'a dyn Fn(&str, f64) -> f64;

/// A generous estimate of a text's width: 0.62 em per character.
pub fn estimate_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font * 0.62
}

/// `text`, cut with an ellipsis until it is at most `width` px wide at `font` px.
fn shorten(text: &str, width: f64, font: f64, measure: Measure<'_>) -> String {
    let mut shown = text.to_string();
    let mut keep = shown.chars().count();
    while measure(&shown, font) > width && keep > 4 {
        keep -= 1;
        shown = clip(text, keep);
    }
    shown
}

/// A title (13 px) shortened to fit `width` px, by the generous estimate.
pub fn fit_title(title: &str, width: f64) -> String {
    shorten(title, width, TITLE_FONT, &estimate_width)
}

/// Everything a chart writes, placed.
#[derive(Debug, Clone)]
pub struct ChartLayout {
    pub axes: Axes,
    pub title: TextBox,
    /// (series, its name's box); the swatch sits left of the box.
    pub legend: Vec<(usize, TextBox)>,
    /// (marker's x in px, its label's box).
    pub markers: Vec<(f64, TextBox)>,
    /// (tick's x in px, label box).
    pub x_ticks: Vec<(f64, TextBox)>,
    /// (tick's y in px, label box).
    pub y_ticks: Vec<(f64, TextBox)>,
    /// (series, the name written beside its point).
    pub point_labels: Vec<(usize, TextBox)>,
    /// Labels that found no room on the chart, for the read-out.
    pub overflow: Vec<String>,
}

impl ChartLayout {
    pub fn new(plot: &ChartPlot, measure: Measure<'_>) -> Self {
        let right = CHART_W - PAD_R;
        let mut overflow = Vec::new();

        // The title, shortened until it fits; the full text stays in the tooltip.
        let title = shorten(&plot.title, CHART_W - 8.0, TITLE_FONT, measure);
        let title = TextBox::new(title.clone(), 4.0, 2.0, measure(&title, TITLE_FONT), 16.0);

        // The legend, wrapped onto as many rows as it needs.
        let mut legend = Vec::new();
        let (mut x, mut y) = (PAD_L, 20.0);
        let room = right - PAD_L - SWATCH - SWATCH_GAP;
        for (i, s) in plot.series.iter().enumerate() {
            let name = shorten(&s.name, room, LABEL_FONT, measure);
            let w = measure(&name, LABEL_FONT);
            if x > PAD_L && x + SWATCH + SWATCH_GAP + w > right {
                x = PAD_L;
                y += ROW;
            }
            legend.push((i, TextBox::new(name, x + SWATCH + SWATCH_GAP, y, w, ROW)));
            x += SWATCH + SWATCH_GAP + w + 10.0;
        }
        if plot.series.is_empty() {
            y -= ROW;
        }
        let below_legend = y + ROW;

        // Marker labels, each beside its line, in the first row where it meets no other.
        let marker_rows: Vec<f64> = (0..MARKER_ROWS)
            .map(|r| below_legend + r as f64 * ROW)
            .collect();
        let mut placed: Vec<(f64, TextBox)> = Vec::new();
        let mut rows_used = 0;
        // The axes are fitted once the rows are known; the marker lines' x needs only the
        // x range, which does not depend on the top.
        let x_axes = Axes::fit(plot, PAD_T);
        for (at, label) in &plot.markers {
            // A marker off the axis's range is written under the chart instead.
            let Some(px) = x_axes.px(*at).filter(|px| (PAD_L..=right).contains(px)) else {
                overflow.push(label.clone());
                continue;
            };
            let w = measure(label, LABEL_FONT);
            let x = if px + 3.0 + w <= right {
                px + 3.0
            } else {
                (px - 3.0 - w).max(PAD_L)
            };
            let spot = marker_rows.iter().enumerate().find_map(|(r, &y)| {
                let candidate = TextBox::new(label.clone(), x, y, w, ROW);
                let free = candidate.x + candidate.w <= CHART_W
                    && placed.iter().all(|(_, other)| !candidate.overlaps(other));
                free.then_some((r, candidate))
            });
            match spot {
                Some((r, b)) => {
                    rows_used = rows_used.max(r + 1);
                    placed.push((px, b));
                }
                None => overflow.push(label.clone()),
            }
        }
        let top = (below_legend + rows_used as f64 * ROW + 4.0).max(PAD_T);
        let axes = Axes::fit(plot, top);

        // Tick labels, thinned so that neighbours keep a gap.
        let mut x_ticks: Vec<(f64, TextBox)> = Vec::new();
        for (v, label) in ticks(axes.x, axes.log_x, plot.integer_x) {
            if let Some(px) = axes.px(v) {
                let w = measure(&label, LABEL_FONT);
                let x = (px - w / 2.0).clamp(0.0, CHART_W - w);
                let b = TextBox::new(label, x, CHART_H - PAD_B + 3.0, w, ROW);
                if x_ticks
                    .last()
                    .is_none_or(|(_, prev)| prev.x + prev.w + 4.0 <= b.x)
                {
                    x_ticks.push((px, b));
                }
            }
        }
        let mut y_ticks: Vec<(f64, TextBox)> = Vec::new();
        for (v, label) in ticks(axes.y, axes.log_y, false) {
            if let Some(py) = axes.py(v) {
                let w = measure(&label, LABEL_FONT);
                let b = TextBox::new(label, PAD_L - 4.0 - w, py - ROW / 2.0, w, ROW);
                // Clear of the one above, and of the x axis's labels at the corner.
                if y_ticks.last().is_none_or(|(_, prev)| b.y + b.h <= prev.y)
                    && x_ticks.iter().all(|(_, x)| !b.overlaps(x))
                {
                    y_ticks.push((py, b));
                }
            }
        }

        // Each labelled point's name: right of it, else left, above, below or on a diagonal,
        // inside the plot area and clear of other names and points.
        let mut point_labels: Vec<(usize, TextBox)> = Vec::new();
        if plot.label_points {
            let points: Vec<(f64, f64)> = plot
                .series
                .iter()
                .flat_map(|s| &s.points)
                .filter_map(|&(x, y)| Some((axes.px(x)?, axes.py(y)?)))
                .collect();
            let dot = |&(x, y): &(f64, f64)| {
                TextBox::new(
                    String::new(),
                    x - POINT,
                    y - POINT,
                    2.0 * POINT,
                    2.0 * POINT,
                )
            };
            for (i, s) in plot.series.iter().enumerate() {
                for &(x, y) in &s.points {
                    let (Some(px), Some(py)) = (axes.px(x), axes.py(y)) else {
                        overflow.push(s.name.clone());
                        continue;
                    };
                    let w = measure(&s.name, LABEL_FONT);
                    let gap = POINT + 3.0;
                    let spots = [
                        (px + gap, py - ROW / 2.0),
                        (px - gap - w, py - ROW / 2.0),
                        (px - w / 2.0, py - gap - ROW),
                        (px - w / 2.0, py + gap),
                        (px + gap, py - gap - ROW),
                        (px + gap, py + gap),
                        (px - gap - w, py - gap - ROW),
                        (px - gap - w, py + gap),
                    ];
                    let found = spots.iter().find_map(|&(bx, by)| {
                        let b = TextBox::new(s.name.clone(), bx, by, w, ROW);
                        let clear = b.within(PAD_L + 1.0, top, right, CHART_H - PAD_B)
                            && point_labels.iter().all(|(_, o)| !b.overlaps(o))
                            && points.iter().all(|p| !b.overlaps(&dot(p)));
                        clear.then_some(b)
                    });
                    match found {
                        Some(b) => point_labels.push((i, b)),
                        None => overflow.push(s.name.clone()),
                    }
                }
            }
        }

        ChartLayout {
            axes,
            title,
            legend,
            markers: placed,
            x_ticks,
            y_ticks,
            point_labels,
            overflow,
        }
    }

    /// Every text box on the chart, for the overlap check (tests read them from `data-labels`).
    pub fn boxes(&self) -> Vec<&TextBox> {
        std::iter::once(&self.title)
            .chain(self.legend.iter().map(|(_, b)| b))
            .chain(self.markers.iter().map(|(_, b)| b))
            .chain(self.x_ticks.iter().map(|(_, b)| b))
            .chain(self.y_ticks.iter().map(|(_, b)| b))
            .chain(self.point_labels.iter().map(|(_, b)| b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::plot::Series;

    fn plot(series: Vec<Series>) -> ChartPlot {
        ChartPlot {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series,
            log_x: false,
            log_y: false,
            diagonal: false,
            markers: Vec::new(),
            integer_x: false,
            label_points: false,
            testid: "t".into(),
        }
    }

    fn assert_clear(layout: &ChartLayout) {
        let boxes = layout.boxes();
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a.x >= 0.0 && a.x + a.w <= CHART_W && a.y >= 0.0 && a.y + a.h <= CHART_H,
                "{a:?} leaves the chart"
            );
            for b in &boxes[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
    }

    /// The cost view's case: three crossovers close together, with long labels.
    #[test]
    fn marker_labels_close_together_take_rows_and_never_overlap() {
        let mut p = plot(vec![Series::line(
            "softmax",
            vec![(8.0, 1e3), (16384.0, 1e9)],
        )]);
        p.log_x = true;
        p.log_y = true;
        p.markers = vec![
            (32.0, "elu+1 breaks even at N = 32".into()),
            (64.0, "Performer FAVOR+ breaks even at N = 64".into()),
            (64.0, "Hedgehog breaks even at N = 64".into()),
            (1057.0, "Taylor (Based) breaks even at N = 1057".into()),
        ];
        p.markers
            .push((1.0, "identity breaks even at N = 1".into()));
        let layout = ChartLayout::new(&p, &estimate_width);
        assert_eq!(layout.markers.len() + layout.overflow.len(), 5);
        assert!(
            layout.overflow.iter().any(|l| l.contains("N = 1")),
            "off the axis"
        );
        assert!(layout.markers.len() >= 3, "{:?}", layout.overflow);
        assert!(
            layout.axes.top > PAD_T,
            "the plot area moves down for the rows"
        );
        assert_clear(&layout);
    }

    #[test]
    fn long_legends_wrap_and_long_titles_are_shortened() {
        let mut p = plot(
            [
                "softmax",
                "elu+1",
                "Performer FAVOR+ (m=64, orthogonal)",
                "Taylor (Based)",
                "Hedgehog",
                "Hedgehog-128",
            ]
            .iter()
            .map(|n| Series::line(*n, vec![(0.0, 0.0), (1.0, 1.0)]))
            .collect(),
        );
        p.title = "kernel error against m: exact against approximate kernel, Performer FAVOR+ on this head".into();
        let layout = ChartLayout::new(&p, &estimate_width);
        assert_eq!(layout.legend.len(), 6);
        assert!(layout.legend.iter().any(|(_, b)| b.y > 20.0), "wrapped");
        assert!(layout.title.text.ends_with('…'));
        assert!(layout.title.w <= CHART_W - 8.0);
        assert_clear(&layout);
    }

    /// The error-against-cost chart: every map's point is named on the chart.
    #[test]
    fn every_scatter_point_gets_its_name_beside_it() {
        let mut p = plot(
            [
                ("elu+1", 2e5, 0.61),
                ("Performer FAVOR+", 4e5, 0.53),
                ("Taylor (Based)", 6e6, 0.50),
                ("Hedgehog", 4.1e5, 0.23),
                ("softmax", 1.3e5, 0.0),
            ]
            .iter()
            .map(|&(n, x, y)| Series::dots(n, vec![(x, y)]))
            .collect(),
        );
        p.log_x = true;
        p.label_points = true;
        let layout = ChartLayout::new(&p, &estimate_width);
        assert_eq!(layout.point_labels.len(), 5, "{:?}", layout.overflow);
        assert_clear(&layout);
    }

    /// The kernel view's case: log axes whose lowest ticks meet at the corner.
    #[test]
    fn the_axes_labels_at_the_corner_do_not_collide() {
        let mut p = plot(vec![Series::dots(
            "elu+1",
            (0..40)
                .map(|i| (1e-11 * 1.5f64.powi(i), 1e-11 * 1.4f64.powi(i)))
                .collect(),
        )]);
        p.log_x = true;
        p.log_y = true;
        p.diagonal = true;
        let layout = ChartLayout::new(&p, &estimate_width);
        assert!(!layout.x_ticks.is_empty() && !layout.y_ticks.is_empty());
        assert_clear(&layout);
    }

    #[test]
    fn integer_axes_get_integer_ticks() {
        let mut p = plot(vec![Series::line(
            "m",
            vec![(0.0, 0.1), (1.0, 0.2), (2.0, 0.3)],
        )]);
        p.integer_x = true;
        let layout = ChartLayout::new(&p, &estimate_width);
        let labels: Vec<&str> = layout
            .x_ticks
            .iter()
            .map(|(_, b)| b.text.as_str())
            .collect();
        assert_eq!(labels, ["0", "1", "2"]);
        assert_clear(&layout);
    }
}
