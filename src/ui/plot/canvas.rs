//! Canvas helpers shared by both plot kinds: the 2D context, theme colours, PNG export.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// Where a pointer event falls in a canvas's drawing coordinates (`width` × `height`),
/// however the page scaled the canvas: a phone shrinks a wide map or chart to its column.
pub fn drawing_point(
    ev: &web_sys::MouseEvent,
    canvas: &HtmlCanvasElement,
    width: f64,
    height: f64,
) -> (f64, f64) {
    let scale = |shown: i32, drawn: f64| {
        if shown > 0 {
            drawn / f64::from(shown)
        } else {
            1.0
        }
    };
    (
        f64::from(ev.offset_x()) * scale(canvas.client_width(), width),
        f64::from(ev.offset_y()) * scale(canvas.client_height(), height),
    )
}

/// Device pixels per CSS pixel (2 on most phones and laptops), so a chart's text and lines
/// are drawn sharp rather than stretched.
pub fn pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 4.0)
}

fn dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

pub fn ink() -> &'static str {
    if dark() { "#e8e8ee" } else { "#1d1d22" }
}

pub fn paper() -> &'static str {
    if dark() { "#1f1f26" } else { "#ffffff" }
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
