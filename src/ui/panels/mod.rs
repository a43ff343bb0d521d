//! The panels beside the views: the text and its tokens, the controls, sharing, and the engine choice.

mod backend;
mod controls;
mod share;
mod text;

pub use backend::BackendPanel;
pub use controls::Controls;
pub use share::Share;
pub use text::TextPanel;
