#![cfg(not(target_arch = "wasm32"))]
//! The seeded random features are the same numbers here as in the reference (and, in
//! tests/web.rs, in the browser).

#[path = "common/random_features.rs"]
mod random_features;

#[test]
fn random_draws_match_the_independent_implementation() {
    random_features::check_random_draws();
}
