//! The embedded model: its WordPiece tokenizer, its weights and its forward pass.

pub mod activations;
pub mod embeddings;
pub mod forward;
pub mod products;
pub mod tokenizer;
pub mod weights;
