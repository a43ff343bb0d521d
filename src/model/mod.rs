//! The embedded model: its WordPiece tokenizer, its weights and its forward pass.

pub mod embeddings;
pub mod forward;
pub mod tokenizer;
pub mod weights;
