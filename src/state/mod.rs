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
            match key.as_ref() {
                "backend" => match BackendChoice::parse(value.trim()) {
                    Some(choice) => state.backend = choice,
                    None => notices.push(Notice {
                        key: "backend".into(),
                        message: format!(
                            "backend “{}” is not one of auto, cpu; using auto",
                            echo(&value)
                        ),
                    }),
                },
                // Keys of later versions or other tools are left alone, not reported.
                _ => {}
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
