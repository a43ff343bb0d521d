//! The chart: lines, bands and points on a canvas, with a legend and a read-out.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use web_sys::HtmlCanvasElement;

use super::canvas::{context, drawing_point, export_png, ink, paper, pixel_ratio};
use super::colour::series_colour;
use super::data::ChartPlot;
use super::layout::{ChartLayout, LABEL_FONT, POINT, SWATCH, TITLE_FONT, TextBox, estimate_width};
use super::scales::{CHART_H, CHART_W, PAD_B, PAD_L, PAD_R, fmt};

/// Fill `b`'s text at its box (left-aligned, on the box's baseline).
fn write(ctx: &web_sys::CanvasRenderingContext2d, b: &TextBox) {
    ctx.fill_text(&b.text, b.x, b.y + b.h - 3.0).ok();
}

/// Each series' colour, from its palette place (`Series::slot`).
fn series_colours(plot: &ChartPlot) -> Vec<String> {
    plot.series
        .iter()
        .enumerate()
        .map(|(i, s)| series_colour(s.colour_slot(i)))
        .collect()
}

fn draw_chart(
    canvas: &HtmlCanvasElement,
    plot: &ChartPlot,
    layout: &ChartLayout,
    cursor: Option<(usize, usize)>,
) {
    // The drawing is CHART_W × CHART_H; the canvas holds it at the screen's pixel density.
    let ratio = pixel_ratio();
    canvas.set_width((CHART_W * ratio).round() as u32);
    canvas.set_height((CHART_H * ratio).round() as u32);
    let Some(ctx) = context(canvas) else { return };
    ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0).ok();
    let axes = &layout.axes;
    let top = axes.top;
    ctx.set_fill_style_str(paper());
    ctx.fill_rect(0.0, 0.0, CHART_W, CHART_H);
    ctx.set_fill_style_str(ink());
    ctx.set_stroke_style_str(ink());
    ctx.set_text_align("left");
    ctx.set_font(&format!("{TITLE_FONT}px system-ui, sans-serif"));
    write(&ctx, &layout.title);
    ctx.set_font(&format!("{LABEL_FONT}px system-ui, sans-serif"));
    let colours = series_colours(plot);
    let colour_of = |i: usize| colours.get(i).map_or(ink(), String::as_str);
    for (i, b) in &layout.legend {
        ctx.set_fill_style_str(colour_of(*i));
        ctx.fill_rect(b.x - SWATCH - 3.0, b.y + 2.0, SWATCH, SWATCH);
        ctx.set_fill_style_str(ink());
        write(&ctx, b);
    }
    // Axes and ticks.
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(PAD_L, top);
    ctx.line_to(PAD_L, CHART_H - PAD_B);
    ctx.line_to(CHART_W - PAD_R, CHART_H - PAD_B);
    ctx.stroke();
    for (_, b) in layout.x_ticks.iter().chain(&layout.y_ticks) {
        write(&ctx, b);
    }
    ctx.set_text_align("center");
    ctx.fill_text(
        &plot.x_label,
        (PAD_L + CHART_W - PAD_R) / 2.0,
        CHART_H - 8.0,
    )
    .ok();
    ctx.save();
    ctx.translate(12.0, (top + CHART_H - PAD_B) / 2.0).ok();
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
        ctx.fill_text("y = x", CHART_W - PAD_R - 40.0, top + 12.0)
            .ok();
    }
    for (px, b) in &layout.markers {
        ctx.set_stroke_style_str("#e8590c");
        ctx.begin_path();
        ctx.move_to(*px, b.y + b.h);
        ctx.line_to(*px, CHART_H - PAD_B);
        ctx.stroke();
        ctx.set_fill_style_str("#e8590c");
        write(&ctx, b);
    }
    for (i, s) in plot.series.iter().enumerate() {
        let colour = colour_of(i);
        if let Some(band) = &s.band {
            ctx.set_global_alpha(0.2);
            ctx.set_fill_style_str(colour);
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
        ctx.set_stroke_style_str(colour);
        ctx.set_fill_style_str(colour);
        ctx.set_line_width(1.5);
        if s.scatter {
            // A few points are drawn large and solid; a dense cloud smaller and translucent, so
            // that its density still shows.
            let (half, alpha) = if s.points.len() <= 50 {
                (POINT, 1.0)
            } else {
                (2.5, 0.5)
            };
            ctx.set_global_alpha(alpha);
            for &(x, y) in &s.points {
                // Points off a log axis (zero or negative estimates) sit on its edge, hollow.
                let px = axes.px(x).unwrap_or(PAD_L);
                match axes.py(y) {
                    Some(py) => ctx.fill_rect(px - half, py - half, 2.0 * half, 2.0 * half),
                    None => {
                        ctx.stroke_rect(px - half, CHART_H - PAD_B - half, 2.0 * half, 2.0 * half)
                    }
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
    for (i, b) in &layout.point_labels {
        ctx.set_fill_style_str(colour_of(*i));
        write(&ctx, b);
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
    let layout = Arc::new(ChartLayout::new(&plot, &estimate_width));
    let plot = Arc::new(plot);
    let (drawn, drawn_layout) = (plot.clone(), layout.clone());
    Effect::new(move |_| {
        let at = cursor.get();
        if let Some(canvas) = canvas_ref.get() {
            draw_chart(&canvas, &drawn, &drawn_layout, at);
        }
    });
    let near = plot.clone();
    let near_layout = layout.clone();
    let on_move = move |ev: web_sys::MouseEvent| {
        let axes = &near_layout.axes;
        let Some(canvas) = canvas_ref.get_untracked() else {
            return;
        };
        let (mx, my) = drawing_point(&ev, &canvas, CHART_W, CHART_H);
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
                // A count (tokens, a layer, an index) reads as one.
                if read.integer_x && x.fract() == 0.0 {
                    format!("{x:.0}")
                } else {
                    fmt(x)
                },
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
    let series_json = super::json::series(&plot.series);
    // Each series' colour, for the test that a map keeps one colour across the page's charts.
    let colours = super::json::strings(series_colours(&plot).iter().map(String::as_str));
    let aria = format!(
        "{}: {} against {}; focus it and use the arrow keys to read values",
        plot.title, plot.y_label, plot.x_label
    );
    // Where every label went, for the tests that check none overlaps or leaves the chart.
    let labels = super::json::boxes(&layout.boxes());
    // Labels with no room on the chart are written under it instead.
    let overflow = (!layout.overflow.is_empty()).then(|| {
        view! { <span class="overflow" data-testid="chart-overflow">{layout.overflow.join(" · ")}</span> }
    });
    view! {
        <figure class="plot chart" data-testid=plot.testid.clone() data-series=series_json
            data-colours=colours data-labels=labels title=plot.title.clone()>
            <canvas node_ref=canvas_ref tabindex="0" role="img" aria-label=aria
                on:mousemove=on_move on:keydown=on_key></canvas>
            <figcaption>
                {overflow}
                <span class="readout" aria-live="polite" data-testid="readout">{readout}</span>
                <button class="export" on:click=export>"Export PNG"</button>
            </figcaption>
        </figure>
    }
}
