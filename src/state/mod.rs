//! The app's state as it lives in the URL query string.
//!
//! Parsing never fails: a missing, malformed or hostile value falls back to its default
//! and leaves a [`Notice`] the page shows, so a bad link still opens a working app.

use crate::engine::BackendChoice;

/// Everything a shared link reproduces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppState {
    pub backend: BackendChoice,
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

impl AppState {
    /// Parse a query string, with or without its leading `?`.
    pub fn from_query(query: &str) -> (Self, Vec<Notice>) {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut state = AppState::default();
        let mut notices = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            // Keys of later versions or of other tools are left alone, not reported.
            if key == "backend" {
                match BackendChoice::parse(value.trim()) {
                    Some(choice) => state.backend = choice,
                    None => notices.push(Notice {
                        key: "backend".into(),
                        message: format!(
                            "backend “{}” is not one of auto, cpu; using auto",
                            echo(&value)
                        ),
                    }),
                }
            }
        }
        (state, notices)
    }

    /// The query string (without `?`) that reproduces this state; defaults are left out.
    pub fn to_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if self.backend != BackendChoice::default() {
            query.append_pair("backend", self.backend.as_str());
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_is_the_default_state() {
        assert_eq!(AppState::from_query(""), (AppState::default(), vec![]));
        assert_eq!(AppState::from_query("?"), (AppState::default(), vec![]));
    }

    #[test]
    fn the_backend_choice_round_trips() {
        let state = AppState {
            backend: BackendChoice::Cpu,
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
