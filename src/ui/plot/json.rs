//! The few JSON shapes the plots write into data attributes (for the tests and for scripts),
//! written directly: a number, a string, rows of numbers, series of points, label boxes.
//! (serde_json's serialiser cost the page's wasm more than these lines.)

use std::fmt::Write;

use super::data::Series;
use super::layout::TextBox;

/// A number as JSON: the shortest text that reads back as the same f64; `null` if not finite.
pub fn number(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
    } else if v != 0.0 && !(1e-5..1e16).contains(&v.abs()) {
        // Display would write every digit of 1e300 or 1e-300; LowerExp is as exact and short.
        let _ = write!(out, "{v:e}");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// A string as JSON, escaped.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `[a, b, …]`, each item written by `item`.
fn list<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut String, T),
) {
    out.push('[');
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, x);
    }
    out.push(']');
}

/// Rows of numbers: `[[…], …]`.
pub fn rows<'a>(rows: impl IntoIterator<Item = ndarray::ArrayView1<'a, f64>>) -> String {
    let mut out = String::new();
    list(&mut out, rows, |out, row| {
        list(out, row.iter(), |out, &v| number(out, v))
    });
    out
}

/// Strings: `["…", …]`.
pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    list(&mut out, items, string);
    out
}

/// Each series as `[name, [[x, y], …]]`.
pub fn series(series: &[Series]) -> String {
    let mut out = String::new();
    list(&mut out, series, |out, s| {
        out.push('[');
        string(out, &s.name);
        out.push(',');
        list(out, &s.points, |out, &(x, y)| {
            out.push('[');
            number(out, x);
            out.push(',');
            number(out, y);
            out.push(']');
        });
        out.push(']');
    });
    out
}

/// Text boxes as `{"text": …, "x": …, "y": …, "w": …, "h": …}`.
pub fn boxes(boxes: &[&TextBox]) -> String {
    let mut out = String::new();
    list(&mut out, boxes, |out, b| {
        out.push_str("{\"text\":");
        string(out, &b.text);
        for (key, v) in [("x", b.x), ("y", b.y), ("w", b.w), ("h", b.h)] {
            let _ = write!(out, ",\"{key}\":");
            number(out, v);
        }
        out.push('}');
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is written reads back, through an independent parser, as the same values.
    #[test]
    fn everything_written_reads_back_exactly() {
        let values = ndarray::array![[0.1, 1.0 / 3.0], [1e-300, 2.5e17]];
        let parsed: Vec<Vec<f64>> = serde_json::from_str(&rows(values.rows())).expect("rows");
        assert_eq!(parsed, vec![vec![0.1, 1.0 / 3.0], vec![1e-300, 2.5e17]]);

        let s = vec![Series::line(
            "a \"quoted\" \\ name\n",
            vec![(1.0, f64::NAN), (2.0, -0.0)],
        )];
        let parsed: serde_json::Value = serde_json::from_str(&series(&s)).expect("series");
        assert_eq!(parsed[0][0], "a \"quoted\" \\ name\n");
        assert!(parsed[0][1][0][1].is_null());
        assert_eq!(parsed[0][1][1][0], 2.0);

        let b = TextBox {
            text: "“1e-11”".into(),
            x: 1.5,
            y: 2.0,
            w: 30.25,
            h: 14.0,
        };
        let parsed: Vec<String> =
            serde_json::from_str(&strings(["rgb(1,2,3)", "\""])).expect("strings");
        assert_eq!(parsed, ["rgb(1,2,3)", "\""]);

        let parsed: serde_json::Value = serde_json::from_str(&boxes(&[&b])).expect("boxes");
        assert_eq!(parsed[0]["text"], "“1e-11”");
        assert_eq!(parsed[0]["w"], 30.25);
    }
}
