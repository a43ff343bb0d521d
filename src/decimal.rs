//! Decimal numbers read from text: the link's temperature, the controls' fields and the model
//! file's metadata.
//!
//! In the browser the conversion is JavaScript's own: Rust's float parser brings its tables into
//! the wasm, 15 KB of the gzipped bundle, for these few numbers. The syntax is checked here
//! first, so the browser and native builds accept exactly the same strings.

/// `[+|-] digits [. digits] [(e|E) [+|-] digits]`, with a digit on at least one side of the
/// point, as the nearest f64; `None` for anything else (spaces, `inf`, `NaN`, hex, `1,5`).
pub fn parse(text: &str) -> Option<f64> {
    if !is_decimal(text) {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    let value = js_sys::Number::parse_float(text);
    #[cfg(not(target_arch = "wasm32"))]
    let value = text.parse().ok()?;
    Some(value)
}

fn is_decimal(text: &str) -> bool {
    fn unsigned(s: &str) -> &str {
        s.strip_prefix(['+', '-']).unwrap_or(s)
    }
    fn digits(s: &str) -> bool {
        s.bytes().all(|b| b.is_ascii_digit())
    }
    let (mantissa, exponent) = match unsigned(text).split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(unsigned(e))),
        None => (unsigned(text), None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    digits(whole)
        && digits(fraction)
        && !(whole.is_empty() && fraction.is_empty())
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}
