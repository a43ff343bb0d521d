#![cfg(not(target_arch = "wasm32"))]
//! The report the views draw, on the shipped model: the design's claims hold on its real heads,
//! and bad requests are errors, not panics.

use kernelscope::attention::Mask;
use kernelscope::engine::cpu::{analyze, error_against_m, head, spread};
use kernelscope::engine::report::Request;
use kernelscope::kernels::{MapKey, MapSpec, RandomParams};
use kernelscope::model::forward::forward;
use kernelscope::model::tokenizer::Tokenizer;
use kernelscope::model::weights::Weights;

const PRONOUN: &str = "The cat that the dog chased ran up the tree because it was scared.";

fn setup() -> (Weights, Vec<u32>) {
    let w = Weights::from_folder(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"))
        .expect("model");
    let t = Tokenizer::from_vocab_txt(include_str!("../assets/vocab.txt")).expect("vocab");
    let ids = t.encode(PRONOUN, 512).tokens.iter().map(|t| t.id).collect();
    (w, ids)
}

fn performer(m: usize) -> MapSpec {
    MapSpec::new(
        MapKey::Performer,
        RandomParams {
            m,
            seed: 0,
            orthogonal: true,
        },
    )
}

#[test]
fn on_the_previous_token_head_softmax_is_sharp_and_linear_maps_are_diffuse() {
    let (w, ids) = setup();
    let trace = forward(&w, &ids, None).expect("forward");
    let [q, k, v] = head(&trace, 0, 2).expect("L0.H2");
    let request = Request {
        mask: Mask::Bidirectional,
        temperature: 1.0,
        maps: vec![
            MapSpec::of(MapKey::Elu),
            MapSpec::of(MapKey::Relu),
            performer(64),
            MapSpec::of(MapKey::Taylor),
        ],
        spectra: true,
        kernel_pairs: true,
    };
    let r = analyze(q.view(), k.view(), v.view(), &request).expect("report");
    let n = ids.len();
    assert_eq!((r.n, r.d, r.maps.len()), (n, 32, 4));
    for row in r.softmax.weights.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-9);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let softmax_entropy = mean(&r.softmax_entropy);
    // L0.H2 puts ~all of its weight on the previous token (tools/model/head_roles.md).
    assert!(softmax_entropy < 0.3, "softmax entropy {softmax_entropy}");
    for m in &r.maps {
        let entropy = mean(&m.rows.entropy_linear);
        assert!(
            entropy > softmax_entropy + 0.5,
            "{}: entropy {entropy} against {softmax_entropy}",
            m.name
        );
        assert!(
            mean(&m.rows.tv) > 0.2,
            "{} is far from softmax here",
            m.name
        );
        for row in m.attention.weights.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-9, "{} rows sum to 1", m.name);
        }
        let spectrum = m.spectrum.as_ref().expect("spectra requested");
        assert!(spectrum.numerical_rank <= m.feature_dim.min(n));
    }
    // Softmax on this head is (nearly) full rank; elu+1 (feature dimension 32 > n) is not
    // limited by m here, yet its effective rank is far lower: its rows are nearly alike.
    let soft = r.softmax_spectrum.as_ref().expect("spectrum");
    assert!(
        soft.numerical_rank >= n - 1,
        "softmax rank {} of {n}",
        soft.numerical_rank
    );
    assert!(
        r.maps[0]
            .spectrum
            .as_ref()
            .expect("spectrum")
            .effective_rank
            < soft.effective_rank / 2.0
    );
}

#[test]
fn random_feature_error_shrinks_with_m() {
    let (w, ids) = setup();
    let trace = forward(&w, &ids, None).expect("forward");
    let [q, k, _] = head(&trace, 1, 0).expect("L1.H0");
    let sweep = error_against_m(q.view(), k.view(), 1.0, &performer(64), 3, 5).expect("random map");
    let first = sweep.first().expect("points");
    let last = sweep.last().expect("points");
    assert!(
        last.m > first.m && last.mean < first.mean / 3.0,
        "{first:?} → {last:?}"
    );
    assert!(error_against_m(q.view(), k.view(), 1.0, &MapSpec::of(MapKey::Elu), 0, 5).is_none());
}

#[test]
fn swapping_a_layer_moves_every_later_layer_and_the_sentence_vector() {
    let (w, ids) = setup();
    let exact = forward(&w, &ids, None).expect("forward");
    let elu = MapSpec::of(MapKey::Elu).build(32);
    let s = spread(&w, &ids, &exact, 1, std::slice::from_ref(&elu)).expect("spread");
    let layers: Vec<usize> = s.hidden_change.iter().map(|c| c.0).collect();
    assert_eq!(layers, [1, 2]);
    assert!(
        s.hidden_change
            .iter()
            .all(|c| c.1 > 1e-3 && c.1.is_finite())
    );
    assert!(s.sentence_cosine < 0.9999 && s.sentence_cosine > 0.0);
}

#[test]
fn bad_requests_are_errors_and_hidden_tokens_are_left_out() {
    let (w, ids) = setup();
    let trace = forward(&w, &ids, None).expect("forward");
    assert!(head(&trace, 3, 0).is_none() && head(&trace, 0, 12).is_none());
    let [q, k, v] = head(&trace, 0, 0).expect("head");
    for temperature in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let request = Request {
            mask: Mask::Causal,
            temperature,
            maps: vec![],
            spectra: false,
            kernel_pairs: false,
        };
        assert!(analyze(q.view(), k.view(), v.view(), &request).is_err());
    }
    let mut bad = q.clone();
    bad[[1, 1]] = f64::NAN;
    let request = Request {
        mask: Mask::Causal,
        temperature: 1.0,
        maps: vec![MapSpec::of(MapKey::Taylor)],
        spectra: false,
        kernel_pairs: false,
    };
    assert!(analyze(bad.view(), k.view(), v.view(), &request).is_err());
    let r = analyze(q.view(), k.view(), v.view(), &request).expect("report");
    assert_eq!(r.softmax.weights.dim(), (ids.len(), ids.len()));
    // Causal: no weight on later tokens.
    assert!(r.maps[0].attention.weights[[0, 1]].abs() < 1e-12);
}
