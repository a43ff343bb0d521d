//! The embedded model: its WordPiece tokenizer (and, later, weights and forward pass).

pub mod tokenizer;
