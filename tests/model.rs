#![cfg(not(target_arch = "wasm32"))]
//! The model loader and forward pass against an independent float64 numpy forward pass
//! (tools/model/tiny_golden.py) on a tiny random BERT stored in every encoding the format has.

#[path = "common/decimals.rs"]
mod decimals;
#[path = "common/products.rs"]
mod products;

use kernelscope::kernels::{MapKey, MapSpec};
use kernelscope::model::forward::{Swap, forward, forward_with_attention, sentence_vector};
use kernelscope::model::weights::{ModelError, Weights};
use serde::Deserialize;

/// f32 forward pass against float64: 1e-4 of each array's largest value.
const TOLERANCE: f64 = 1e-4;

#[derive(Deserialize)]
struct Golden {
    hidden: usize,
    heads: usize,
    layers: usize,
    intermediate: usize,
    vocab: usize,
    positions: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    ids: Vec<u32>,
    linear_layers: Vec<usize>,
    embeddings: Vec<f64>,
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    queries: Vec<f64>,
    keys: Vec<f64>,
    values: Vec<f64>,
    attention: Vec<f64>,
    hidden: Vec<f64>,
}

fn close(what: &str, actual: impl Iterator<Item = f32>, expected: &[f64]) {
    let actual: Vec<f64> = actual.map(f64::from).collect();
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    let scale = expected
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(1e-30);
    let worst = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= TOLERANCE * scale,
        "{what}: error {worst:e} against scale {scale:e}"
    );
}

fn load() -> (Weights, Golden) {
    let weights = Weights::from_safetensors(include_bytes!("golden/tiny-model.safetensors"))
        .expect("tiny model loads");
    let golden: Golden =
        serde_json::from_str(include_str!("golden/tiny-forward.json")).expect("golden");
    (weights, golden)
}

#[test]
fn the_loader_reads_the_sizes_from_the_file() {
    let (w, g) = load();
    let c = &w.config;
    assert_eq!(
        (
            c.hidden,
            c.heads,
            c.layers,
            c.intermediate,
            c.vocab,
            c.positions
        ),
        (
            g.hidden,
            g.heads,
            g.layers,
            g.intermediate,
            g.vocab,
            g.positions
        )
    );
}

#[test]
fn the_forward_pass_matches_the_reference_with_and_without_a_linear_layer() {
    let (w, golden) = load();
    let elu = MapSpec::of(MapKey::Elu).build(w.config.head_dim());
    for case in &golden.cases {
        let swap = Swap {
            layers: case.linear_layers.clone(),
            maps: std::slice::from_ref(&elu),
        };
        let trace = forward_with_attention(
            &w,
            &case.ids,
            (!case.linear_layers.is_empty()).then_some(&swap),
        )
        .expect("forward");
        let name = format!("ids {:?} linear {:?}", case.ids, case.linear_layers);
        close(
            &format!("{name} embeddings"),
            trace.embeddings.iter().copied(),
            &case.embeddings,
        );
        for (l, (got, want)) in trace.layers.iter().zip(&case.layers).enumerate() {
            close(
                &format!("{name} layer {l} Q"),
                got.queries.iter().copied(),
                &want.queries,
            );
            close(
                &format!("{name} layer {l} K"),
                got.keys.iter().copied(),
                &want.keys,
            );
            close(
                &format!("{name} layer {l} V"),
                got.values.iter().copied(),
                &want.values,
            );
            close(
                &format!("{name} layer {l} attention"),
                got.attention.iter().flatten().copied(),
                &want.attention,
            );
            close(
                &format!("{name} layer {l} hidden"),
                got.hidden.iter().flatten().copied(),
                &want.hidden,
            );
        }
    }
}

#[test]
fn the_apps_pass_keeps_no_attention_maps_and_computes_the_same_states() {
    let (w, _) = load();
    let ids = [2, 5, 9, 13, 17, 3];
    let lean = forward(&w, &ids, None).expect("forward");
    let kept = forward_with_attention(&w, &ids, None).expect("forward");
    assert_eq!(lean.layers.len(), kept.layers.len());
    for (a, b) in lean.layers.iter().zip(&kept.layers) {
        assert!(a.attention.is_none());
        assert!(b.attention.is_some());
        assert_eq!(
            (&a.queries, &a.keys, &a.values),
            (&b.queries, &b.keys, &b.values)
        );
        assert_eq!(a.hidden, b.hidden);
    }
}

#[test]
fn a_linear_layer_moves_the_later_hidden_states_and_the_sentence_vector() {
    let (w, _) = load();
    let ids = [2, 5, 9, 13, 17, 3];
    let exact = forward(&w, &ids, None).expect("forward");
    let elu = MapSpec::of(MapKey::Elu).build(w.config.head_dim());
    let swapped = forward(
        &w,
        &ids,
        Some(&Swap {
            layers: vec![0],
            maps: std::slice::from_ref(&elu),
        }),
    )
    .expect("forward");
    assert_eq!(
        exact.embeddings, swapped.embeddings,
        "before the swapped layer nothing moves"
    );
    assert_ne!(
        exact.layers[1].hidden, swapped.layers[1].hidden,
        "after it everything does"
    );
    let (a, b) = (
        sentence_vector(exact.last_hidden()),
        sentence_vector(swapped.last_hidden()),
    );
    assert!((a.dot(&a) - 1.0).abs() < 1e-5);
    assert!(a.dot(&b) < 0.99999, "the sentence vector moves");
}

#[test]
fn bad_input_and_bad_files_are_errors_not_panics() {
    let (w, _) = load();
    assert_eq!(
        forward(&w, &[2, 40, 3], None).unwrap_err(),
        ModelError::TokenId { id: 40, vocab: 40 }
    );
    assert!(matches!(
        forward(&w, &[2; 17], None),
        Err(ModelError::TooLong {
            tokens: 17,
            positions: 16
        })
    ));
    assert!(forward(&w, &[], None).is_ok());
    assert!(matches!(
        Weights::from_safetensors(b"not a model"),
        Err(ModelError::Format(_))
    ));
    // A truncated file must be refused, not read past its end.
    let bytes = include_bytes!("golden/tiny-model.safetensors");
    assert!(Weights::from_safetensors(&bytes[..bytes.len() / 2]).is_err());
}

/// The forward pass's matrix product and its blocking against a float64 loop (in wasm32,
/// tests/web.rs runs the same check on the SIMD kernel).
#[test]
fn the_matrix_product_matches_a_float64_loop() {
    products::check_products();
    products::check_activations();
}

/// The model file's metadata, the link and the controls read numbers through `decimal::parse`.
#[test]
fn decimal_numbers_read_as_rusts_parser_reads_them() {
    decimals::check_decimals();
}
