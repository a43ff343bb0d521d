//! The heatmap: a matrix on a canvas with its axes, colour bar, hover and keyboard read-out.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::HtmlCanvasElement;

use super::canvas::{context, drawing_point, export_png, ink, paper, pixel_ratio};
use super::data::{MatrixPlot, heatmap_pixels, values_json};
use super::layout::fit_title;
use super::scales::{cell_size, clip, fmt, grid_size};

const MARGIN_LEFT: f64 = 84.0;
const MARGIN_TOP: f64 = 28.0;
const MARGIN_BOTTOM: f64 = 74.0;
const BAR_WIDTH: f64 = 12.0;
const BAR_GAP: f64 = 36.0;
const BAR_LABELS: f64 = 44.0;
/// Shrunk into a card of about 540 px, a wider drawing's labels become too small to read (the
/// Taylor map's 1,057 features): such a map keeps its size and scrolls in a frame of its own.
const SCROLL_ABOVE: f64 = 640.0;

/// The drawing's width and height (CSS pixels) for a map of `rows` × `cols`.
fn drawing_size(rows: usize, cols: usize) -> (f64, f64) {
    let (w, h) = grid_size(rows, cols);
    (
        MARGIN_LEFT + w as f64 + BAR_GAP + BAR_WIDTH + BAR_LABELS,
        MARGIN_TOP + h as f64 + MARGIN_BOTTOM,
    )
}

/// The map's cells, one colour per cell, on a canvas of their own: drawn once, then copied
/// into each redraw (hover) at the screen's pixel density.
fn cells_canvas(plot: &MatrixPlot) -> Option<HtmlCanvasElement> {
    let (rows, cols) = plot.values.dim();
    let (w, h) = grid_size(rows, cols);
    let pixels = heatmap_pixels(plot);
    if w == 0 || h == 0 || pixels.len() != w * h * 4 {
        return None;
    }
    let cells: HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    cells.set_width(w as u32);
    cells.set_height(h as u32);
    let image =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), w as u32, h as u32)
            .ok()?;
    context(&cells)?.put_image_data(&image, 0.0, 0.0).ok()?;
    Some(cells)
}

fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    plot: &MatrixPlot,
    cells: Option<&HtmlCanvasElement>,
    highlight: Option<usize>,
    cursor: Option<(usize, usize)>,
) {
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols), cell_size(rows));
    let (w, h) = grid_size(rows, cols);
    let (width, height) = drawing_size(rows, cols);
    let ratio = pixel_ratio();
    canvas.set_width((width * ratio).round() as u32);
    canvas.set_height((height * ratio).round() as u32);
    let Some(ctx) = context(canvas) else { return };
    ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0).ok();
    ctx.set_fill_style_str(paper());
    ctx.fill_rect(0.0, 0.0, width, height);
    ctx.set_fill_style_str(ink());
    ctx.set_font("13px system-ui, sans-serif");
    // Shortened to fit the canvas; the figure's tooltip has it in full.
    ctx.fill_text(&fit_title(&plot.title, width - 8.0), 4.0, 16.0)
        .ok();

    if let Some(cells) = cells {
        // Each cell is whole CSS pixels: scaled to the screen, it must not blend into the next.
        ctx.set_image_smoothing_enabled(false);
        ctx.draw_image_with_html_canvas_element(cells, MARGIN_LEFT, MARGIN_TOP)
            .ok();
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

/// A heatmap with hover and keyboard read-outs. `hovered` is the token under the pointer in
/// any view; this map outlines its row and column.
#[component]
pub fn Heatmap(plot: MatrixPlot, hovered: RwSignal<Option<usize>>) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let cursor = RwSignal::new(None::<(usize, usize)>);
    let (rows, cols) = plot.values.dim();
    let (cell_w, cell_h) = (cell_size(cols) as f64, cell_size(rows) as f64);
    let drawn = StoredValue::new(plot.clone());
    // The cells' canvas once made (`Some`, itself `None` for an empty map).
    let cells = StoredValue::new_local(None::<Option<HtmlCanvasElement>>);
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
        if cells.try_with_value(Option::is_none) == Some(true)
            && let Some(made) = drawn.try_with_value(cells_canvas)
        {
            cells.try_set_value(Some(made));
        }
        let Some(Some(made)) = cells.try_get_value() else {
            return;
        };
        drawn.try_with_value(|plot| {
            draw_heatmap(&canvas, plot, made.as_ref(), highlight, at);
            if plot.testid == "map-softmax" {
                crate::ui::mark("kernelscope:maps-drawn");
            }
        });
    };
    // The first drawing of each map runs as a task of its own, so that a page of large maps
    // never holds the main thread for long at once; redraws (hover) reuse the pixels.
    Effect::new(move |_| {
        hovered.track();
        cursor.track();
        canvas_ref.track();
        if cells.try_with_value(Option::is_none) != Some(false) {
            set_timeout(draw, std::time::Duration::ZERO);
        } else {
            draw();
        }
    });
    let (width, height) = drawing_size(rows, cols);
    let cell_at = move |ev: &web_sys::MouseEvent| -> Option<(usize, usize)> {
        let canvas = canvas_ref.get_untracked()?;
        let (x, y) = drawing_point(ev, &canvas, width, height);
        let (x, y) = (x - MARGIN_LEFT, y - MARGIN_TOP);
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
            "End" => (i, cols.saturating_sub(1)),
            _ => return,
        };
        ev.prevent_default();
        cursor.set(Some(next));
        // In a scrolling frame, bring the chosen column into view.
        if let Some(frame) = canvas_ref.get_untracked().and_then(|c| c.parent_element()) {
            let x = MARGIN_LEFT + (next.1 as f64 + 0.5) * cell_w;
            let (left, shown) = (
                f64::from(frame.scroll_left()),
                f64::from(frame.client_width()),
            );
            if x < left || x > left + shown {
                frame.set_scroll_left((x - shown / 2.0).max(0.0) as i32);
            }
        }
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
    let class = if width > SCROLL_ABOVE {
        "plot heatmap wide"
    } else {
        "plot heatmap"
    };
    view! {
        <figure class=class data-testid=plot.testid.clone() data-rows=rows data-cols=cols title=plot.title.clone()
            data-values=values_json(&plot.values) data-max=format!("{max}")>
            // Shown at its drawing's size (or narrower); the canvas holds it at the screen's density.
            <div class="frame">
                <canvas node_ref=canvas_ref tabindex="0" role="img" aria-label=aria style=format!("width: {width}px")
                    on:mousemove=on_move on:mouseleave=move |_| hovered.set(None) on:keydown=on_key></canvas>
            </div>
            <figcaption>
                <span class="readout" aria-live="polite" data-testid="readout">{readout}</span>
                <button class="export" on:click=export>"Export PNG"</button>
            </figcaption>
        </figure>
    }
}
