#![cfg(not(target_arch = "wasm32"))]
//! The Rust WordPiece tokenizer against the reference tokenizer (Hugging Face `tokenizers`,
//! from the model's tokenizer.json) on 4200 lines: held-out English prose and generated
//! Unicode stress lines (tests/golden/tokenizer.json, from tools/model/tokenizer_golden.py).
//! Ids must be identical, and so must the spans (as character offsets). The app ships the full
//! vocabulary (assets/vocab.txt).

use kernelscope::model::tokenizer::Tokenizer;
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    text: String,
    ids: Vec<u32>,
    offsets: Vec<usize>,
}

const FULL_VOCAB: &str = include_str!("golden/minilm-vocab.txt");
const SHIPPED_VOCAB: &str = include_str!("../assets/vocab.txt");

fn golden() -> Golden {
    serde_json::from_str(include_str!("golden/tokenizer.json")).expect("golden")
}

#[test]
fn every_line_tokenizes_exactly_as_the_reference() {
    let golden = golden();
    let full: Vec<_> = golden
        .lines
        .iter()
        .map(|l| (&l.text, &l.ids, &l.offsets))
        .collect();
    assert_same_as_reference(FULL_VOCAB, &full);
}

/// The app ships the whole vocabulary: assets/vocab.txt is the model's own, piece for piece.
#[test]
fn the_shipped_vocabulary_is_the_models_whole_vocabulary() {
    assert_eq!(SHIPPED_VOCAB, FULL_VOCAB);
    let tokenizer = Tokenizer::from_vocab_txt(SHIPPED_VOCAB).expect("vocab");
    assert_eq!(tokenizer.vocab_size(), 30_522);
}

fn assert_same_as_reference(vocab: &str, lines: &[(&String, &Vec<u32>, &Vec<usize>)]) {
    let tokenizer = Tokenizer::from_vocab_txt(vocab).expect("vocab");
    let mut failures = Vec::new();
    for (n, &(text, want_ids, want_offsets)) in lines.iter().enumerate() {
        let tokens = tokenizer.tokenize(text);
        let ids: Vec<u32> = tokens.iter().map(|t| t.id).collect();
        // Byte spans to character offsets, as the reference reports them.
        let char_at = |byte: usize| text[..byte].chars().count();
        let offsets: Vec<usize> = tokens
            .iter()
            .flat_map(|t| [char_at(t.span.start), char_at(t.span.end)])
            .collect();
        if ids != *want_ids || offsets != *want_offsets {
            failures.push(format!(
                "line {n} {:?}\n  ids  {:?}\n  want {:?}\n  offsets {:?}\n  want    {:?}",
                text, ids, want_ids, offsets, want_offsets
            ));
        }
    }
    assert!(lines.len() >= 4000);
    assert!(
        failures.is_empty(),
        "{} of {} lines differ:\n{}",
        failures.len(),
        lines.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

mod any_text {
    use kernelscope::model::tokenizer::Tokenizer;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(7),
            ..ProptestConfig::default()
        })]

        /// Any text at all: no panic, spans on character boundaries, in order, inside the text.
        #[test]
        fn any_text_gives_ordered_spans_inside_it(text in any::<String>()) {
            let tokenizer = Tokenizer::from_vocab_txt(include_str!("golden/minilm-vocab.txt")).unwrap();
            let encoding = tokenizer.encode(&text, 256);
            prop_assert!(encoding.tokens.len() <= 256);
            let mut last = 0;
            for token in &encoding.tokens {
                prop_assert!(token.span.start <= token.span.end && token.span.end <= text.len());
                prop_assert!(text.is_char_boundary(token.span.start) && text.is_char_boundary(token.span.end));
                prop_assert!(token.span.start >= last);
                last = token.span.start;
                prop_assert_eq!(tokenizer.piece(token.id), Some(token.piece.as_str()));
            }
        }
    }
}
