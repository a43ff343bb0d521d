//! How values become colours: the heatmaps' scales and the charts' series colours.

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

    /// The values at the bottom and top of the colour bar.
    pub fn range(self) -> (f64, f64) {
        match self {
            ColourScale::Sequential { lo, hi } => (lo, hi),
            ColourScale::Diverging { limit } => (-limit, limit),
        }
    }
}

/// The colour of a chart's i-th series (Tableau 10).
pub fn series_colour(i: usize) -> String {
    let c = colorous::TABLEAU10[i % colorous::TABLEAU10.len()];
    format!("rgb({},{},{})", c.r, c.g, c.b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_clamp_centre_and_flag_non_finite_values() {
        let rgb = |c: colorous::Color| (c.r, c.g, c.b);
        let seq = ColourScale::Sequential { lo: 0.0, hi: 1.0 };
        assert_eq!(rgb(seq.colour(-5.0)), rgb(seq.colour(0.0)));
        assert_eq!(rgb(seq.colour(7.0)), rgb(seq.colour(1.0)));
        let (dark, light) = (seq.colour(0.0), seq.colour(1.0));
        let lum = |c: colorous::Color| u32::from(c.r) + u32::from(c.g) + u32::from(c.b);
        assert!(lum(dark) < lum(light));
        let nan = seq.colour(f64::NAN);
        assert_eq!((nan.r, nan.g, nan.b), (255, 0, 255));
        let div = ColourScale::Diverging { limit: 2.0 };
        assert_eq!(
            rgb(div.colour(0.0)),
            rgb(colorous::PURPLE_ORANGE.eval_continuous(0.5))
        );
        assert_eq!(div.range(), (-2.0, 2.0));
        assert_ne!(series_colour(0), series_colour(1));
    }
}
