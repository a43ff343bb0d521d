//! The app's state as it lives in the URL query string.
//!
//! Parsing never fails: a missing, malformed or hostile value falls back to its default
//! and leaves a [`Notice`] the page shows, so a bad link still opens a working app.

use crate::engine::BackendChoice;
pub use crate::kernels::catalog::MapKey;
use crate::kernels::{HedgehogSet, MapSpec, RandomParams};

/// The shipped model's layers and heads (assets/manifest.json): the bounds a link is held to.
pub const LAYERS: usize = 3;
pub const HEADS: usize = 12;
/// Longest text a link carries; the text box itself keeps whatever is typed.
pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_M: usize = 1024;
pub const TEMPERATURE_RANGE: (f64, f64) = (0.05, 20.0);

/// The example texts offered next to the input.
pub const PRESETS: [(&str, &str); 4] = [
    (
        "Simple sentence",
        "A quick brown fox jumps over the lazy dog near the river bank.",
    ),
    (
        "Pronoun",
        "The cat that the dog chased ran up the tree because it was scared.",
    ),
    (
        "Associative recall",
        "alice 42 bob 17 carol 93 dave 58 . bob 17 alice 42 dave 58 carol 93 . what is bob ? bob 17",
    ),
    (
        "Long paragraph",
        "Linear attention replaces the softmax kernel with a product of feature maps, so that the cost \
         grows with the length of the text rather than with its square. The price is paid in sharpness: \
         a head that once looked at a single previous word now spreads its weight over many, and the \
         errors of one layer travel into the next. Teachers who show this to students often start with \
         a short sentence, because it has a pronoun that must find its noun, and then move to longer \
         paragraphs where the difference grows. Random features estimate the softmax kernel without \
         bias, but their variance is largest exactly where the kernel is largest, on the pairs that \
         matter most. A learned map can recover some of the lost spikiness, at the cost of training it.",
    ),
];

/// Which view is shown (and, embedded, the only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Maps,
    Kernel,
    Errors,
    Spread,
    Cost,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Maps,
        View::Kernel,
        View::Errors,
        View::Spread,
        View::Cost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Maps => "maps",
            View::Kernel => "kernel",
            View::Errors => "errors",
            View::Spread => "spread",
            View::Cost => "cost",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            View::Maps => "Attention maps",
            View::Kernel => "Kernel approximation",
            View::Errors => "Errors",
            View::Spread => "Spread through layers",
            View::Cost => "Cost",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// Everything a shared link reproduces.
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub text: String,
    pub layer: usize,
    pub head: usize,
    pub causal: bool,
    pub maps: Vec<MapKey>,
    /// Random features: how many, drawn from which seed, orthogonal or i.i.d.
    pub m: usize,
    pub seed: u64,
    pub orthogonal: bool,
    /// Multiplies the softmax scale 1/√d.
    pub temperature: f64,
    /// Show [CLS] and [SEP] in the maps.
    pub specials: bool,
    pub view: View,
    pub backend: BackendChoice,
    /// One view alone, compact, for an iframe.
    pub embed: bool,
    /// The lesson step being read (1 to 7), if any: its state is the base the other settings
    /// of a link change.
    pub lesson: Option<usize>,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            text: PRESETS[1].1.to_string(),
            layer: 0,
            head: 2,
            causal: false,
            maps: vec![
                MapKey::Elu,
                MapKey::Performer,
                MapKey::Taylor,
                MapKey::Hedgehog,
            ],
            m: 64,
            seed: 0,
            orthogonal: true,
            temperature: 1.0,
            specials: true,
            view: View::Maps,
            backend: BackendChoice::Auto,
            embed: false,
            lesson: None,
        }
    }
}

impl AppState {
    /// The maps this state asks for, on its own layer and head.
    pub fn specs(&self, trained: Option<&HedgehogSet>) -> Vec<MapSpec> {
        self.specs_for(trained, self.layer, self.head)
    }

    /// The maps this state asks for, on any head (the all-heads overview). A trained map whose
    /// weights are missing is left out; [`AppState::refused_maps`] names it for the notice.
    pub fn specs_for(
        &self,
        trained: Option<&HedgehogSet>,
        layer: usize,
        head: usize,
    ) -> Vec<MapSpec> {
        self.maps
            .iter()
            .filter_map(|&key| match key.trained_variant() {
                Some(variant) => trained?
                    .head(variant, layer, head, self.causal)
                    .map(|weights| MapSpec::trained(key, weights)),
                None => Some(self.spec(key)),
            })
            .collect()
    }

    /// Chosen maps that cannot be drawn because their trained weights are missing.
    pub fn refused_maps(&self, trained: Option<&HedgehogSet>) -> Vec<MapKey> {
        self.maps
            .iter()
            .copied()
            .filter(|key| {
                key.trained_variant().is_some_and(|variant| {
                    trained
                        .and_then(|t| t.head(variant, self.layer, self.head, self.causal))
                        .is_none()
                })
            })
            .collect()
    }

    /// The feature map a key stands for, with this state's random-feature settings. Trained
    /// maps need their weights: see [`AppState::specs`]; here they are the untrained start.
    pub fn spec(&self, key: MapKey) -> MapSpec {
        let params = RandomParams {
            m: self.m,
            seed: self.seed,
            orthogonal: self.orthogonal,
        };
        MapSpec::new(key, params)
    }
}

/// A value from the URL that was ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub message: String,
}

/// Longest value echoed back in a notice; a hostile link must not flood the page.
const ECHO_LIMIT: usize = 40;

fn echo(value: &str) -> String {
    let mut shown: String = value.chars().take(ECHO_LIMIT).collect();
    if value.chars().count() > ECHO_LIMIT {
        shown.push('…');
    }
    shown
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

fn number<T: std::str::FromStr + PartialOrd>(value: &str, lo: T, hi: T) -> Option<T> {
    within(value.parse::<T>().ok(), lo, hi)
}

fn within<T: PartialOrd>(value: Option<T>, lo: T, hi: T) -> Option<T> {
    value.filter(|x| *x >= lo && *x <= hi)
}

impl AppState {
    /// The state a lesson step starts from (the default state outside the lesson).
    pub fn lesson_base(step: Option<usize>) -> Self {
        match step.and_then(crate::lesson::step) {
            Some(s) => Self {
                lesson: step,
                ..Self::from_query(s.preset).0
            },
            None => Self::default(),
        }
    }

    /// Parse a query string, with or without its leading `?`. A lesson step's state is the
    /// base; the link's other settings change it.
    pub fn from_query(query: &str) -> (Self, Vec<Notice>) {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut notices = Vec::new();
        let lesson = form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == "lesson")
            .last()
            .and_then(|(_, value)| {
                let step = number(value.trim(), 1, crate::lesson::STEPS.len());
                if step.is_none() {
                    notices.push(Notice {
                        key: "lesson".into(),
                        message: format!(
                            "lesson “{}” is not a step from 1 to {}; showing the explorer",
                            echo(value.trim()),
                            crate::lesson::STEPS.len()
                        ),
                    });
                }
                step
            });
        let mut state = Self::lesson_base(lesson);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let raw = value.as_ref();
            let value = raw.trim();
            let mut reject = |why: String| {
                notices.push(Notice {
                    key: key.to_string(),
                    message: format!("{key} “{}” {why}", echo(value)),
                })
            };
            match key.as_ref() {
                "text" => {
                    // The text is kept as typed (no trim); only its length is bounded.
                    if raw.chars().count() > MAX_TEXT_CHARS {
                        state.text = raw.chars().take(MAX_TEXT_CHARS).collect();
                        notices.push(Notice {
                            key: "text".into(),
                            message: format!(
                                "the text in the link is longer than {MAX_TEXT_CHARS} characters; the rest was cut"
                            ),
                        });
                    } else {
                        state.text = raw.to_string();
                    }
                }
                "layer" => match number(value, 0, LAYERS - 1) {
                    Some(l) => state.layer = l,
                    None => reject(format!("is not a layer from 0 to {}; using 0", LAYERS - 1)),
                },
                "head" => match number(value, 0, HEADS - 1) {
                    Some(h) => state.head = h,
                    None => reject(format!("is not a head from 0 to {}; using 2", HEADS - 1)),
                },
                "causal" => match flag(value) {
                    Some(c) => state.causal = c,
                    None => reject("is not 0 or 1; using bidirectional".into()),
                },
                "maps" => {
                    let mut maps = Vec::new();
                    let mut bad = Vec::new();
                    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        match MapKey::parse(name) {
                            Some(k) if !maps.contains(&k) => maps.push(k),
                            Some(_) => {}
                            None => bad.push(name),
                        }
                    }
                    if !bad.is_empty() {
                        reject(format!(
                            "names unknown maps ({}); the others are kept",
                            echo(&bad.join(", "))
                        ));
                    }
                    state.maps = maps;
                }
                "m" => match number(value, 1, MAX_M) {
                    Some(m) => state.m = m,
                    None => reject(format!(
                        "is not a feature count from 1 to {MAX_M}; using 64"
                    )),
                },
                "seed" => match value.parse::<u64>() {
                    Ok(seed) => state.seed = seed,
                    Err(_) => reject("is not a whole number from 0 to 2⁶⁴−1; using 0".into()),
                },
                "ortho" => match flag(value) {
                    Some(o) => state.orthogonal = o,
                    None => reject("is not 0 or 1; using orthogonal features".into()),
                },
                "temp" => match within(
                    crate::decimal::parse(value),
                    TEMPERATURE_RANGE.0,
                    TEMPERATURE_RANGE.1,
                ) {
                    Some(t) => state.temperature = t,
                    None => reject(format!(
                        "is not a temperature from {} to {}; using 1",
                        TEMPERATURE_RANGE.0, TEMPERATURE_RANGE.1
                    )),
                },
                "specials" => match flag(value) {
                    Some(s) => state.specials = s,
                    None => reject("is not 0 or 1; showing [CLS] and [SEP]".into()),
                },
                "view" => match View::parse(value) {
                    Some(v) => state.view = v,
                    None => reject(
                        "is not one of maps, kernel, errors, spread, cost; using maps".into(),
                    ),
                },
                "backend" => match BackendChoice::parse(value) {
                    Some(choice) => state.backend = choice,
                    None => reject("is not one of auto, cpu; using auto".into()),
                },
                "embed" => match flag(value) {
                    Some(e) => state.embed = e,
                    None => reject("is not 0 or 1; showing the whole app".into()),
                },
                // Read above, before the rest: it sets the base state.
                "lesson" => {}
                // Keys of later versions or of other tools are left alone, not reported.
                _ => {}
            }
        }
        (state, notices)
    }

    /// The query string (without `?`) that reproduces this state; what equals the base (the
    /// lesson step's state, or the defaults) is left out.
    pub fn to_query(&self) -> String {
        let d = AppState::lesson_base(self.lesson);
        let mut query = form_urlencoded::Serializer::new(String::new());
        let bit = |b: bool| if b { "1" } else { "0" };
        if let Some(step) = d.lesson {
            query.append_pair("lesson", &step.to_string());
        }
        if self.text != d.text {
            query.append_pair("text", &self.text);
        }
        if self.layer != d.layer {
            query.append_pair("layer", &self.layer.to_string());
        }
        if self.head != d.head {
            query.append_pair("head", &self.head.to_string());
        }
        if self.causal != d.causal {
            query.append_pair("causal", bit(self.causal));
        }
        if self.maps != d.maps {
            let names: Vec<&str> = self.maps.iter().map(|k| k.as_str()).collect();
            query.append_pair("maps", &names.join(","));
        }
        if self.m != d.m {
            query.append_pair("m", &self.m.to_string());
        }
        if self.seed != d.seed {
            query.append_pair("seed", &self.seed.to_string());
        }
        if self.orthogonal != d.orthogonal {
            query.append_pair("ortho", bit(self.orthogonal));
        }
        if self.temperature != d.temperature {
            query.append_pair("temp", &self.temperature.to_string());
        }
        if self.specials != d.specials {
            query.append_pair("specials", bit(self.specials));
        }
        if self.view != d.view {
            query.append_pair("view", self.view.as_str());
        }
        if self.backend != d.backend {
            query.append_pair("backend", self.backend.as_str());
        }
        if self.embed != d.embed {
            query.append_pair("embed", bit(self.embed));
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trained_maps_without_weights_are_refused_and_kept_in_the_link() {
        let (state, notices) =
            AppState::from_query("maps=elu,hedgehog,hedgehog-128,hedgehog-untrained");
        assert!(notices.is_empty());
        assert_eq!(
            state.specs(None),
            vec![
                MapSpec::of(MapKey::Elu),
                MapSpec::of(MapKey::HedgehogUntrained)
            ]
        );
        assert_eq!(
            state.refused_maps(None),
            vec![MapKey::Hedgehog, MapKey::Hedgehog128]
        );
        assert_eq!(AppState::from_query(&state.to_query()).0.maps, state.maps);
        assert!(AppState::default().maps.contains(&MapKey::Hedgehog));
    }

    #[test]
    fn an_empty_query_is_the_default_state() {
        assert_eq!(AppState::from_query(""), (AppState::default(), vec![]));
        assert_eq!(AppState::from_query("?"), (AppState::default(), vec![]));
    }

    #[test]
    fn the_backend_choice_round_trips() {
        let state = AppState {
            backend: BackendChoice::Cpu,
            ..AppState::default()
        };
        assert_eq!(state.to_query(), "backend=cpu");
        assert_eq!(
            AppState::from_query(&format!("?{}", state.to_query())).0,
            state
        );
        assert_eq!(AppState::default().to_query(), "");
    }

    #[test]
    fn a_hostile_value_falls_back_with_a_short_notice() {
        let query = format!(
            "backend=%3Cscript%3Ealert(1)%3C%2Fscript%3E{}&other=%E0%A4%A&&=&%%",
            "x".repeat(10_000)
        );
        let (state, notices) = AppState::from_query(&query);
        assert_eq!(state, AppState::default());
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].key, "backend");
        assert!(
            notices[0].message.contains("<script>"),
            "echoed as text: {}",
            notices[0].message
        );
        assert!(
            notices[0].message.chars().count() < 120,
            "echo is cut short"
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let state = AppState {
            text: "Ünïcode <b>markup</b> & = ? # 😀 שלום".into(),
            layer: 2,
            head: 11,
            causal: true,
            maps: vec![MapKey::Trig, MapKey::Identity, MapKey::Hedgehog],
            m: 256,
            seed: u64::MAX,
            orthogonal: false,
            temperature: 0.5,
            specials: false,
            view: View::Spread,
            backend: BackendChoice::Cpu,
            embed: true,
            lesson: None,
        };
        let (back, notices) = AppState::from_query(&state.to_query());
        assert_eq!(back, state);
        assert!(notices.is_empty(), "{notices:?}");
        // In a lesson, the same state round-trips too, written as changes to the step's.
        let lesson = AppState {
            lesson: Some(3),
            ..state
        };
        let (back, notices) = AppState::from_query(&lesson.to_query());
        assert_eq!(back, lesson);
        assert!(notices.is_empty(), "{notices:?}");
    }

    #[test]
    fn a_lesson_link_is_short_and_a_bad_step_is_a_notice() {
        let (step, notices) = AppState::from_query("?lesson=2");
        assert!(notices.is_empty());
        assert_eq!(step.lesson, Some(2));
        assert_eq!(step.view, View::Kernel);
        assert_eq!(step.to_query(), "lesson=2");
        // The reader's own text stays in the link, on top of the step.
        let mine = AppState {
            text: "my own text".into(),
            ..step
        };
        assert_eq!(mine.to_query(), "lesson=2&text=my+own+text");
        let (back, _) = AppState::from_query(&mine.to_query());
        assert_eq!(back, mine);
        for bad in ["lesson=0", "lesson=8", "lesson=two", "lesson=-1"] {
            let (state, notices) = AppState::from_query(bad);
            assert_eq!(state.lesson, None, "{bad}");
            assert_eq!(notices.len(), 1, "{bad}");
        }
    }

    #[test]
    fn bad_values_fall_back_one_by_one_with_a_notice_each() {
        let (state, notices) = AppState::from_query(
            "layer=7&head=-1&causal=maybe&maps=elu,nope,elu&m=0&seed=x&temp=NaN&view=<svg>&embed=2&text=ok",
        );
        let d = AppState::default();
        assert_eq!(
            (state.layer, state.head, state.causal),
            (d.layer, d.head, d.causal)
        );
        assert_eq!(state.maps, vec![MapKey::Elu]);
        assert_eq!(
            (state.m, state.seed, state.view, state.embed),
            (d.m, d.seed, d.view, d.embed)
        );
        assert_eq!(state.temperature, 1.0);
        assert_eq!(state.text, "ok");
        let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "layer", "head", "causal", "maps", "m", "seed", "temp", "view", "embed"
            ]
        );
    }

    #[test]
    fn an_overlong_text_is_cut_with_a_notice() {
        let long = "é".repeat(MAX_TEXT_CHARS + 5);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("text", &long)
            .finish();
        let (state, notices) = AppState::from_query(&query);
        assert_eq!(state.text.chars().count(), MAX_TEXT_CHARS);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn an_empty_map_list_is_kept_empty() {
        let (state, notices) = AppState::from_query("maps=");
        assert!(state.maps.is_empty() && notices.is_empty());
    }
}
