//! What a plot draws: a matrix with its labels, or a chart's series; and the matrix's pixels.

use std::sync::Arc;

use ndarray::Array2;

use super::colour::ColourScale;
use super::scales::{cell_size, grid_size};

/// A matrix to draw, with the labels of its rows and columns.
#[derive(Clone)]
pub struct MatrixPlot {
    pub title: String,
    pub values: Arc<Array2<f64>>,
    pub row_labels: Arc<Vec<String>>,
    pub col_labels: Arc<Vec<String>>,
    /// Token index of each row / column, for the hover link (None for feature columns).
    pub row_tokens: Option<Arc<Vec<usize>>>,
    pub col_tokens: Option<Arc<Vec<usize>>>,
    pub scale: ColourScale,
    pub row_axis: &'static str,
    pub col_axis: &'static str,
    pub unit: &'static str,
    pub testid: String,
}

/// Up to this many cells a heatmap carries its values as `data-values`, for the e2e tests and for
/// scripts; larger maps leave it out, since writing it would hold up the page.
const DATA_VALUES_LIMIT: usize = 128 * 128;

/// The values as JSON rows, for `data-values`; `None` over [`DATA_VALUES_LIMIT`] cells.
pub fn values_json(values: &Array2<f64>) -> Option<String> {
    if values.len() > DATA_VALUES_LIMIT {
        return None;
    }
    // Non-finite cells read as 0, as they are drawn.
    let finite = values.mapv(|v| if v.is_finite() { v } else { 0.0 });
    Some(super::json::rows(finite.rows()))
}

/// The map's cells as RGBA pixels (`cell_size` pixels per cell), computed once per plot: the
/// colour mapping is the costly part of a redraw, and hovering redraws often.
pub fn heatmap_pixels(plot: &MatrixPlot) -> Vec<u8> {
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols), cell_size(rows));
    let (w, h) = grid_size(rows, cols);
    let mut rgba = vec![0u8; w * h * 4];
    for ((i, j), &v) in plot.values.indexed_iter() {
        let c = plot.scale.colour(v);
        for y in i * cell_h..(i + 1) * cell_h {
            let start = (y * w + j * cell_w) * 4;
            for px in rgba[start..start + cell_w * 4].chunks_exact_mut(4) {
                px.copy_from_slice(&[c.r, c.g, c.b, 255]);
            }
        }
    }
    rgba
}

/// The palette place of the i-th chosen map in every chart of the maps; softmax has 0.
pub fn map_slot(i: usize) -> usize {
    i + 1
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// A band (x, low, high) drawn behind the line, e.g. ± one standard deviation.
    pub band: Option<Vec<(f64, f64, f64)>>,
    /// Points only, no line (a scatter).
    pub scatter: bool,
    /// Its colour's place in the palette; `None`: its place among the chart's series. Charts
    /// of the chosen maps put softmax at 0 and the i-th chosen map at i + 1, so that a map has
    /// one colour in every chart of the page.
    pub slot: Option<usize>,
}

impl Series {
    /// A line through the points.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            band: None,
            scatter: false,
            slot: None,
        }
    }

    /// The points alone (a scatter).
    pub fn dots(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            scatter: true,
            ..Self::line(name, points)
        }
    }

    /// Coloured as the i-th chosen map (see [`map_slot`]).
    pub fn of_map(self, i: usize) -> Self {
        Self {
            slot: Some(map_slot(i)),
            ..self
        }
    }

    /// Its colour's place in the palette, as the `i`-th series of its chart.
    pub fn colour_slot(&self, i: usize) -> usize {
        self.slot.unwrap_or(i)
    }
}

/// A chart: lines or points, optional log axes, an optional y = x line and vertical markers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub log_x: bool,
    pub log_y: bool,
    pub diagonal: bool,
    /// Vertical lines with a label (e.g. the crossover N).
    pub markers: Vec<(f64, String)>,
    /// The x axis counts (layers, tokens): whole-number ticks only.
    pub integer_x: bool,
    /// Write each point's series name beside it (a scatter of one point per map).
    pub label_points: bool,
    pub testid: String,
}

/// The rows and columns of `a` kept when some tokens are hidden (e.g. [CLS] and [SEP]).
pub fn keep(a: &Array2<f64>, kept: &[usize]) -> Array2<f64> {
    Array2::from_shape_fn((kept.len(), kept.len()), |(i, j)| a[[kept[i], kept[j]]])
}

/// The rows of `a` kept when some tokens are hidden.
pub fn keep_rows(a: &Array2<f64>, kept: &[usize]) -> Array2<f64> {
    a.select(ndarray::Axis(0), kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::plot::ColourScale;

    fn plot(values: Array2<f64>) -> MatrixPlot {
        MatrixPlot {
            title: "t".into(),
            values: Arc::new(values),
            row_labels: Arc::new(Vec::new()),
            col_labels: Arc::new(Vec::new()),
            row_tokens: None,
            col_tokens: None,
            scale: ColourScale::Sequential { lo: 0.0, hi: 1.0 },
            row_axis: "row",
            col_axis: "col",
            unit: "",
            testid: "t".into(),
        }
    }

    #[test]
    fn pixels_fill_each_cell_with_its_colour() {
        let p = plot(Array2::from_shape_vec((2, 3), vec![0.0, 0.5, 1.0, 1.0, 0.5, 0.0]).unwrap());
        let (cw, ch) = (cell_size(3), cell_size(2));
        let pixels = heatmap_pixels(&p);
        assert_eq!(pixels.len(), 3 * cw * 2 * ch * 4);
        // The last pixel of the first row of cells is cell (0, 2), value 1.
        let c = p.scale.colour(1.0);
        let at = ((ch - 1) * 3 * cw + 3 * cw - 1) * 4;
        assert_eq!(&pixels[at..at + 4], &[c.r, c.g, c.b, 255]);
    }

    #[test]
    fn data_values_are_finite_json_and_left_out_for_large_maps() {
        let v = Array2::from_shape_vec((1, 2), vec![0.25, f64::INFINITY]).unwrap();
        assert_eq!(values_json(&v).as_deref(), Some("[[0.25,0]]"));
        assert_eq!(values_json(&Array2::zeros((129, 128))), None);
    }

    #[test]
    fn hidden_tokens_are_left_out_of_rows_and_columns() {
        let a = Array2::from_shape_fn((3, 3), |(i, j)| (10 * i + j) as f64);
        assert_eq!(keep(&a, &[0, 2]), ndarray::array![[0.0, 2.0], [20.0, 22.0]]);
        assert_eq!(keep_rows(&a, &[1]), ndarray::array![[10.0, 11.0, 12.0]]);
    }
}
