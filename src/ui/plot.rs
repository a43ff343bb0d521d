//! The two plot kinds every view is made of, both on a canvas so any plot exports as PNG:
//! a heatmap (matrices: attention maps, errors, features) and a chart (lines and points).
//! Both have axes, a colour bar or legend, a hover and keyboard read-out of exact values,
//! and data attributes with the values drawn, for the end-to-end tests.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use ndarray::Array2;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// How values become colours. Both maps are colour-blind safe (colorous).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColourScale {
    /// cividis from `lo` (dark) to `hi` (light).
    Sequential { lo: f64, hi: f64 },
    /// purple–orange, centred on 0, saturating at ±limit.
    Diverging { limit: f64 },
}

impl ColourScale {
    pub fn colour(self, v: f64) -> colorous::Color {
        if !v.is_finite() {
            return colorous::Color {
                r: 255,
                g: 0,
                b: 255,
            };
        }
        match self {
            ColourScale::Sequential { lo, hi } => {
                let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
                colorous::CIVIDIS.eval_continuous(t.clamp(0.0, 1.0))
            }
            ColourScale::Diverging { limit } => {
                let t = if limit > 0.0 {
                    0.5 + 0.5 * v / limit
                } else {
                    0.5
                };
                colorous::PURPLE_ORANGE.eval_continuous(t.clamp(0.0, 1.0))
            }
        }
    }

    fn range(self) -> (f64, f64) {
        match self {
            ColourScale::Sequential { lo, hi } => (lo, hi),
            ColourScale::Diverging { limit } => (-limit, limit),
        }
    }
}

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

const MARGIN_LEFT: f64 = 84.0;
const MARGIN_TOP: f64 = 28.0;
const MARGIN_BOTTOM: f64 = 74.0;
const BAR_WIDTH: f64 = 12.0;
const BAR_GAP: f64 = 36.0;
const BAR_LABELS: f64 = 44.0;

/// Pixels per cell along an axis of `count` cells: about 240 px in all, 1 to 22 px a cell.
fn cell_size(count: usize) -> usize {
    (240 / count.max(1)).clamp(1, 22)
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

fn dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn ink() -> &'static str {
    if dark() { "#e8e8ee" } else { "#1d1d22" }
}

fn paper() -> &'static str {
    if dark() { "#1f1f26" } else { "#ffffff" }
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

/// The values as JSON rows with 6 significant digits, for the tests.
/// Up to this many cells a heatmap carries its values as `data-values`, for the e2e tests and for
/// scripts; larger maps leave it out, since writing it would hold up the page.
const DATA_VALUES_LIMIT: usize = 128 * 128;

fn values_json(values: &Array2<f64>) -> Option<String> {
    if values.len() > DATA_VALUES_LIMIT {
        return None;
    }
    let rows: Vec<Vec<f64>> = values
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|&v| if v.is_finite() { v } else { 0.0 })
                .collect()
        })
        .collect();
    serde_json::to_string(&rows).ok()
}

/// The map's cells as RGBA pixels (`cell_size` pixels per cell), computed once per plot: the
/// colour mapping is the costly part of a redraw, and hovering redraws often.
fn heatmap_pixels(plot: &MatrixPlot) -> Vec<u8> {
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols), cell_size(rows));
    let (w, h) = (cols * cell_w, rows * cell_h);
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

fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    plot: &MatrixPlot,
    pixels: &[u8],
    highlight: Option<usize>,
    cursor: Option<(usize, usize)>,
) {
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols), cell_size(rows));
    let (w, h) = (cols * cell_w, rows * cell_h);
    let width = MARGIN_LEFT + w as f64 + BAR_GAP + BAR_WIDTH + BAR_LABELS;
    let height = MARGIN_TOP + h as f64 + MARGIN_BOTTOM;
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let Some(ctx) = context(canvas) else { return };
    ctx.set_fill_style_str(paper());
    ctx.fill_rect(0.0, 0.0, width, height);
    ctx.set_fill_style_str(ink());
    ctx.set_font("13px system-ui, sans-serif");
    ctx.fill_text(&plot.title, 4.0, 16.0).ok();

    if w > 0
        && h > 0
        && pixels.len() == w * h * 4
        && let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(pixels),
            w as u32,
            h as u32,
        )
    {
        ctx.put_image_data(&image, MARGIN_LEFT, MARGIN_TOP).ok();
    }

    // The hovered token's row and column, in every map at once.
    if let Some(t) = highlight {
        ctx.set_stroke_style_str("#e8590c");
        ctx.set_line_width(2.0);
        let (cw, ch, x0, y0) = (cell_w as f64, cell_h as f64, MARGIN_LEFT, MARGIN_TOP);
        if let Some(i) = plot
            .row_tokens
            .as_ref()
            .and_then(|r| r.iter().position(|&x| x == t))
        {
            ctx.stroke_rect(x0, y0 + i as f64 * ch, w as f64, ch);
        }
        if let Some(j) = plot
            .col_tokens
            .as_ref()
            .and_then(|r| r.iter().position(|&x| x == t))
        {
            ctx.stroke_rect(x0 + j as f64 * cw, y0, cw, h as f64);
        }
    }
    if let Some((i, j)) = cursor {
        ctx.set_stroke_style_str(ink());
        ctx.set_line_width(2.0);
        let (cw, ch) = (cell_w as f64, cell_h as f64);
        ctx.stroke_rect(
            MARGIN_LEFT + j as f64 * cw,
            MARGIN_TOP + i as f64 * ch,
            cw,
            ch,
        );
    }

    // Axes: token labels where they fit, indices otherwise.
    ctx.set_fill_style_str(ink());
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("right");
    for i in (0..rows).step_by((12 / cell_h).max(1)) {
        let label = plot
            .row_labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| i.to_string());
        let y = MARGIN_TOP + (i as f64 + 0.5) * cell_h as f64 + 4.0;
        ctx.fill_text(&clip(&label, 10), MARGIN_LEFT - 4.0, y).ok();
    }
    for j in (0..cols).step_by((12 / cell_w).max(1)) {
        let label = plot
            .col_labels
            .get(j)
            .cloned()
            .unwrap_or_else(|| j.to_string());
        let x = MARGIN_LEFT + (j as f64 + 0.5) * cell_w as f64;
        ctx.save();
        ctx.translate(x + 4.0, MARGIN_TOP + h as f64 + 4.0).ok();
        ctx.rotate(-std::f64::consts::FRAC_PI_2).ok();
        ctx.fill_text(&clip(&label, 8), 0.0, 0.0).ok();
        ctx.restore();
    }
    ctx.set_text_align("left");
    ctx.set_font("12px system-ui, sans-serif");
    ctx.fill_text(
        &format!("{} ↓ · {} →", plot.row_axis, plot.col_axis),
        4.0,
        height - 6.0,
    )
    .ok();

    // Colour bar with its range and unit.
    let bar_x = MARGIN_LEFT + w as f64 + BAR_GAP / 2.0;
    let bar_h = (h as f64).max(80.0);
    let (lo, hi) = plot.scale.range();
    for k in 0..bar_h as usize {
        let t = 1.0 - k as f64 / bar_h;
        let c = plot.scale.colour(lo + t * (hi - lo));
        ctx.set_fill_style_str(&format!("rgb({},{},{})", c.r, c.g, c.b));
        ctx.fill_rect(bar_x, MARGIN_TOP + k as f64, BAR_WIDTH, 1.0);
    }
    ctx.set_fill_style_str(ink());
    ctx.set_font("11px system-ui, sans-serif");
    ctx.fill_text(&fmt(hi), bar_x + BAR_WIDTH + 3.0, MARGIN_TOP + 9.0)
        .ok();
    ctx.fill_text(&fmt(lo), bar_x + BAR_WIDTH + 3.0, MARGIN_TOP + bar_h)
        .ok();
    ctx.fill_text(plot.unit, bar_x - 4.0, MARGIN_TOP + bar_h + 16.0)
        .ok();
}

fn clip(label: &str, chars: usize) -> String {
    if label.chars().count() > chars {
        let mut s: String = label.chars().take(chars - 1).collect();
        s.push('…');
        s
    } else {
        label.to_string()
    }
}

/// Download a canvas as a PNG file.
pub fn export_png(canvas: &HtmlCanvasElement, name: &str) {
    let Ok(url) = canvas.to_data_url_with_type("image/png") else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(a) = document.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(&url);
        a.set_download(&format!("{name}.png"));
        a.click();
    }
}

/// A heatmap with hover and keyboard read-outs. `hovered` is the token under the pointer in
/// any view; this map outlines its row and column.
#[component]
pub fn Heatmap(plot: MatrixPlot, hovered: RwSignal<Option<usize>>) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let cursor = RwSignal::new(None::<(usize, usize)>);
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols) as f64, cell_size(rows) as f64);
    let drawn = StoredValue::new((plot.clone(), Vec::new()));
    // A deferred first drawing may find its map already replaced by a newer one: then it has
    // nothing to draw, and must not touch the disposed values.
    let draw = move || {
        let Some(canvas) = canvas_ref.try_get_untracked().flatten() else {
            return;
        };
        let (Some(highlight), Some(at)) = (hovered.try_get_untracked(), cursor.try_get_untracked())
        else {
            return;
        };
        drawn.try_update_value(|(plot, pixels)| {
            if pixels.is_empty() {
                *pixels = heatmap_pixels(plot);
            }
        });
        drawn.try_with_value(|(plot, pixels)| {
            draw_heatmap(&canvas, plot, pixels, highlight, at);
            if plot.testid == "map-softmax" {
                super::mark("kernelscope:maps-drawn");
            }
        });
    };
    // The first drawing of each map runs as a task of its own, so that a page of large maps
    // never holds the main thread for long at once; redraws (hover) reuse the pixels.
    Effect::new(move |_| {
        hovered.track();
        cursor.track();
        canvas_ref.track();
        if drawn.try_with_value(|(_, pixels)| pixels.is_empty()) != Some(false) {
            set_timeout(draw, std::time::Duration::ZERO);
        } else {
            draw();
        }
    });
    let cell_at = move |ev: &web_sys::MouseEvent| -> Option<(usize, usize)> {
        let x = f64::from(ev.offset_x()) - MARGIN_LEFT;
        let y = f64::from(ev.offset_y()) - MARGIN_TOP;
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let (i, j) = ((y / cell_h) as usize, (x / cell_w) as usize);
        (i < rows && j < cols).then_some((i, j))
    };
    let row_tokens = plot.row_tokens.clone();
    let on_move = move |ev: web_sys::MouseEvent| {
        let at = cell_at(&ev);
        cursor.set(at);
        if let (Some((i, _)), Some(tokens)) = (at, row_tokens.as_ref()) {
            hovered.set(tokens.get(i).copied());
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let (i, j) = cursor.get_untracked().unwrap_or((0, 0));
        let next = match ev.key().as_str() {
            "ArrowUp" => (i.saturating_sub(1), j),
            "ArrowDown" => ((i + 1).min(rows.saturating_sub(1)), j),
            "ArrowLeft" => (i, j.saturating_sub(1)),
            "ArrowRight" => (i, (j + 1).min(cols.saturating_sub(1))),
            "Home" => (0, 0),
            _ => return,
        };
        ev.prevent_default();
        cursor.set(Some(next));
    };
    let values = plot.values.clone();
    let labels = (plot.row_labels.clone(), plot.col_labels.clone());
    let unit = plot.unit;
    let readout = move || match cursor.get() {
        Some((i, j)) if i < rows && j < cols => format!(
            "row {i} “{}”, column {j} “{}”: {} {unit}",
            labels.0.get(i).cloned().unwrap_or_default(),
            labels.1.get(j).cloned().unwrap_or_default(),
            fmt(values[[i, j]])
        ),
        _ => "Point at a cell, or focus the map and use the arrow keys, to read its value.".into(),
    };
    let name = plot.testid.clone();
    let export = move |_| {
        if let Some(canvas) = canvas_ref.get() {
            export_png(&canvas, &name);
        }
    };
    let max = plot
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::MIN, f64::max);
    let aria = format!(
        "{}: a {rows} by {cols} heatmap of {}; focus it and use the arrow keys to read values",
        plot.title, plot.unit
    );
    view! {
        <figure class="plot heatmap" data-testid=plot.testid.clone() data-rows=rows data-cols=cols
            data-values=values_json(&plot.values) data-max=format!("{max}")>
            <canvas node_ref=canvas_ref tabindex="0" role="img" aria-label=aria
                on:mousemove=on_move on:mouseleave=move |_| hovered.set(None) on:keydown=on_key></canvas>
            <figcaption>
                <span class="readout" aria-live="polite" data-testid="readout">{readout}</span>
                <button class="export" on:click=export>"Export PNG"</button>
            </figcaption>
        </figure>
    }
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
}

impl Series {
    /// A line through the points.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            band: None,
            scatter: false,
        }
    }

    /// The points alone (a scatter).
    pub fn dots(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            scatter: true,
            ..Self::line(name, points)
        }
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
    pub testid: String,
}

const CHART_W: f64 = 460.0;
const CHART_H: f64 = 280.0;
const PAD_L: f64 = 64.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 40.0;
const PAD_B: f64 = 44.0;

struct Axes {
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
    log_y: bool,
}

impl Axes {
    fn fit(plot: &ChartPlot) -> Self {
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
        }
    }

    fn px(&self, v: f64) -> Option<f64> {
        let v = if self.log_x {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        Some(PAD_L + (v - self.x.0) / (self.x.1 - self.x.0) * (CHART_W - PAD_L - PAD_R))
    }

    fn py(&self, v: f64) -> Option<f64> {
        let v = if self.log_y {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        Some(CHART_H - PAD_B - (v - self.y.0) / (self.y.1 - self.y.0) * (CHART_H - PAD_T - PAD_B))
    }
}

fn ticks(range: (f64, f64), log: bool) -> Vec<(f64, String)> {
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
    // As many decimals as the step needs, and no more.
    let decimals = (-step.log10().floor()).max(0.0) as usize;
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

fn series_colour(i: usize) -> String {
    let c = colorous::TABLEAU10[i % colorous::TABLEAU10.len()];
    format!("rgb({},{},{})", c.r, c.g, c.b)
}

fn draw_chart(canvas: &HtmlCanvasElement, plot: &ChartPlot, cursor: Option<(usize, usize)>) {
    canvas.set_width(CHART_W as u32);
    canvas.set_height(CHART_H as u32);
    let Some(ctx) = context(canvas) else { return };
    let axes = Axes::fit(plot);
    ctx.set_fill_style_str(paper());
    ctx.fill_rect(0.0, 0.0, CHART_W, CHART_H);
    ctx.set_fill_style_str(ink());
    ctx.set_stroke_style_str(ink());
    ctx.set_font("13px system-ui, sans-serif");
    ctx.fill_text(&plot.title, 4.0, 15.0).ok();
    // Legend.
    ctx.set_font("11px system-ui, sans-serif");
    let mut lx = PAD_L;
    for (i, s) in plot.series.iter().enumerate() {
        ctx.set_fill_style_str(&series_colour(i));
        ctx.fill_rect(lx, 22.0, 10.0, 10.0);
        ctx.set_fill_style_str(ink());
        ctx.fill_text(&s.name, lx + 13.0, 31.0).ok();
        lx += 20.0 + 6.5 * s.name.chars().count() as f64;
    }
    // Axes and ticks.
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(PAD_L, PAD_T);
    ctx.line_to(PAD_L, CHART_H - PAD_B);
    ctx.line_to(CHART_W - PAD_R, CHART_H - PAD_B);
    ctx.stroke();
    ctx.set_text_align("center");
    for (v, label) in ticks(axes.x, axes.log_x) {
        if let Some(x) = axes.px(v) {
            ctx.fill_text(&label, x, CHART_H - PAD_B + 14.0).ok();
        }
    }
    ctx.set_text_align("right");
    for (v, label) in ticks(axes.y, axes.log_y) {
        if let Some(y) = axes.py(v) {
            ctx.fill_text(&label, PAD_L - 4.0, y + 4.0).ok();
        }
    }
    ctx.set_text_align("center");
    ctx.fill_text(
        &plot.x_label,
        (PAD_L + CHART_W - PAD_R) / 2.0,
        CHART_H - 8.0,
    )
    .ok();
    ctx.save();
    ctx.translate(12.0, (PAD_T + CHART_H - PAD_B) / 2.0).ok();
    ctx.rotate(-std::f64::consts::FRAC_PI_2).ok();
    ctx.fill_text(&plot.y_label, 0.0, 0.0).ok();
    ctx.restore();
    ctx.set_text_align("left");

    if plot.diagonal {
        ctx.set_stroke_style_str("#888");
        ctx.set_line_dash(&js_sys::Array::of2(&4.into(), &4.into()))
            .ok();
        let lo = if axes.log_x {
            10f64.powf(axes.x.0)
        } else {
            axes.x.0
        };
        let hi = if axes.log_x {
            10f64.powf(axes.x.1)
        } else {
            axes.x.1
        };
        if let (Some(x0), Some(y0), Some(x1), Some(y1)) =
            (axes.px(lo), axes.py(lo), axes.px(hi), axes.py(hi))
        {
            ctx.begin_path();
            ctx.move_to(x0, y0);
            ctx.line_to(x1, y1);
            ctx.stroke();
        }
        ctx.set_line_dash(&js_sys::Array::new()).ok();
        ctx.fill_text("y = x", CHART_W - PAD_R - 40.0, PAD_T + 12.0)
            .ok();
    }
    for (x, label) in &plot.markers {
        if let Some(px) = axes.px(*x) {
            ctx.set_stroke_style_str("#e8590c");
            ctx.begin_path();
            ctx.move_to(px, PAD_T);
            ctx.line_to(px, CHART_H - PAD_B);
            ctx.stroke();
            ctx.set_fill_style_str("#e8590c");
            ctx.fill_text(label, px + 3.0, PAD_T + 10.0).ok();
        }
    }
    for (i, s) in plot.series.iter().enumerate() {
        let colour = series_colour(i);
        if let Some(band) = &s.band {
            ctx.set_global_alpha(0.2);
            ctx.set_fill_style_str(&colour);
            ctx.begin_path();
            let top: Vec<_> = band
                .iter()
                .filter_map(|&(x, _, hi)| Some((axes.px(x)?, axes.py(hi)?)))
                .collect();
            let bottom: Vec<_> = band
                .iter()
                .rev()
                .filter_map(|&(x, lo, _)| Some((axes.px(x)?, axes.py(lo)?)))
                .collect();
            for (k, (x, y)) in top.iter().chain(bottom.iter()).enumerate() {
                if k == 0 {
                    ctx.move_to(*x, *y)
                } else {
                    ctx.line_to(*x, *y)
                }
            }
            ctx.close_path();
            ctx.fill();
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(&colour);
        ctx.set_fill_style_str(&colour);
        ctx.set_line_width(1.5);
        if s.scatter {
            ctx.set_global_alpha(0.6);
            for &(x, y) in &s.points {
                // Points off a log axis (zero or negative estimates) sit on its edge, hollow.
                let px = axes.px(x).unwrap_or(PAD_L);
                match axes.py(y) {
                    Some(py) => ctx.fill_rect(px - 1.5, py - 1.5, 3.0, 3.0),
                    None => ctx.stroke_rect(px - 2.0, CHART_H - PAD_B - 2.0, 4.0, 4.0),
                }
            }
            ctx.set_global_alpha(1.0);
        } else {
            ctx.begin_path();
            let mut started = false;
            for &(x, y) in &s.points {
                match (axes.px(x), axes.py(y)) {
                    (Some(px), Some(py)) if y.is_finite() => {
                        if started {
                            ctx.line_to(px, py)
                        } else {
                            ctx.move_to(px, py)
                        }
                        started = true;
                    }
                    _ => started = false,
                }
            }
            ctx.stroke();
        }
    }
    if let Some((si, pi)) = cursor
        && let Some(&(x, y)) = plot.series.get(si).and_then(|s| s.points.get(pi))
        && let (Some(px), Some(py)) = (axes.px(x), axes.py(y))
    {
        ctx.set_stroke_style_str(ink());
        ctx.set_line_width(2.0);
        ctx.stroke_rect(px - 4.0, py - 4.0, 8.0, 8.0);
    }
}

/// A chart with a hover and keyboard read-out of the nearest point.
#[component]
pub fn Chart(plot: ChartPlot) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let cursor = RwSignal::new(None::<(usize, usize)>);
    let plot = Arc::new(plot);
    let drawn = plot.clone();
    Effect::new(move |_| {
        let at = cursor.get();
        if let Some(canvas) = canvas_ref.get() {
            draw_chart(&canvas, &drawn, at);
        }
    });
    let near = plot.clone();
    let on_move = move |ev: web_sys::MouseEvent| {
        let axes = Axes::fit(&near);
        let (mx, my) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let mut best = None;
        let mut best_d = 400.0;
        for (si, s) in near.series.iter().enumerate() {
            for (pi, &(x, y)) in s.points.iter().enumerate() {
                if let (Some(px), Some(py)) = (axes.px(x), axes.py(y)) {
                    let d = (px - mx).powi(2) + (py - my).powi(2);
                    if d < best_d {
                        best_d = d;
                        best = Some((si, pi));
                    }
                }
            }
        }
        cursor.set(best);
    };
    let keys = plot.clone();
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let (si, pi) = cursor.get_untracked().unwrap_or((0, 0));
        let count = |s: usize| keys.series.get(s).map_or(0, |s| s.points.len());
        let n_series = keys.series.len().max(1);
        let next = match ev.key().as_str() {
            "ArrowRight" => (si, (pi + 1).min(count(si).saturating_sub(1))),
            "ArrowLeft" => (si, pi.saturating_sub(1)),
            "ArrowDown" => (
                (si + 1) % n_series,
                pi.min(count((si + 1) % n_series).saturating_sub(1)),
            ),
            "ArrowUp" => (
                (si + n_series - 1) % n_series,
                pi.min(count((si + n_series - 1) % n_series).saturating_sub(1)),
            ),
            _ => return,
        };
        ev.prevent_default();
        cursor.set(Some(next));
    };
    let read = plot.clone();
    let readout = move || match cursor.get() {
        Some((si, pi)) => match read
            .series
            .get(si)
            .and_then(|s| Some((s, *s.points.get(pi)?)))
        {
            Some((s, (x, y))) => format!(
                "{}: {} = {}, {} = {}",
                s.name,
                read.x_label,
                fmt(x),
                read.y_label,
                fmt(y)
            ),
            None => String::new(),
        },
        None => "Point at the chart, or focus it and use the arrow keys, to read values.".into(),
    };
    let name = plot.testid.clone();
    let export = move |_| {
        if let Some(canvas) = canvas_ref.get() {
            export_png(&canvas, &name);
        }
    };
    let series_json = serde_json::to_string(
        &plot
            .series
            .iter()
            .map(|s| (&s.name, &s.points))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let aria = format!(
        "{}: {} against {}; focus it and use the arrow keys to read values",
        plot.title, plot.y_label, plot.x_label
    );
    view! {
        <figure class="plot chart" data-testid=plot.testid.clone() data-series=series_json>
            <canvas node_ref=canvas_ref tabindex="0" role="img" aria-label=aria
                on:mousemove=on_move on:keydown=on_key></canvas>
            <figcaption>
                <span class="readout" aria-live="polite" data-testid="readout">{readout}</span>
                <button class="export" on:click=export>"Export PNG"</button>
            </figcaption>
        </figure>
    }
}

/// The rows and columns of `a` kept when some tokens are hidden (e.g. [CLS] and [SEP]).
pub fn keep(a: &Array2<f64>, kept: &[usize]) -> Array2<f64> {
    Array2::from_shape_fn((kept.len(), kept.len()), |(i, j)| a[[kept[i], kept[j]]])
}

/// The rows of `a` kept when some tokens are hidden.
pub fn keep_rows(a: &Array2<f64>, kept: &[usize]) -> Array2<f64> {
    a.select(ndarray::Axis(0), kept)
}
