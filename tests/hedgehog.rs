#![cfg(not(target_arch = "wasm32"))]
//! Trained Hedgehog: the shipped weights load with every shape checked, a bad file is refused
//! with a reason, and the CPU's trained maps give the attention of the independent numpy
//! implementation in `tools/hedgehog/train.py` (tests/golden/hedgehog.json), in both masks.

// Shared with the GPU tests, which use the rest of it.
#[allow(dead_code)]
#[path = "common/gpu_cases.rs"]
mod gpu_cases;

use gpu_cases::{golden_head, trained_hedgehog};
use kernelscope::attention::{Mask, linear_attention};
use kernelscope::kernels::{HedgehogError, HedgehogSet, MapContext, MapKey, MapSpec, Role};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

const SHIPPED: &[u8] = include_bytes!("../assets/hedgehog.safetensors");

#[test]
fn the_cpu_gives_the_reference_attention_for_every_trained_map() {
    let (set, golden) = trained_hedgehog();
    let mut checked = 0;
    for head in golden["heads"].as_array().expect("heads") {
        let (layer, h) = (
            head["layer"].as_u64().expect("layer") as usize,
            head["head"].as_u64().expect("head") as usize,
        );
        let [q, k, v] = golden_head(head);
        for variant in ["hedgehog", "hedgehog128"] {
            for (mask, causal, key) in [
                (Mask::Bidirectional, false, "bidirectional"),
                (Mask::Causal, true, "causal"),
            ] {
                let weights = set.head(variant, layer, h, causal).expect("weights");
                // Causal weights, where they ship, are what the app uses under the causal mask.
                let name = match &head["maps"][format!("{variant}_causal.{key}")] {
                    serde_json::Value::Object(_) if causal => format!("{variant}_causal.{key}"),
                    _ => format!("{variant}.{key}"),
                };
                let expected = &head["maps"][&name];
                let map = MapSpec::trained(MapKey::Hedgehog, weights).build(32);
                let ctx = |role| MapContext {
                    role,
                    scale: 1.0 / 32f64.sqrt(),
                    seq_len: q.nrows(),
                };
                let a = linear_attention(
                    &map.apply(q.view(), &ctx(Role::Query)),
                    &map.apply(k.view(), &ctx(Role::Key)),
                    v.view(),
                    mask,
                );
                for (what, got) in [("weights", &a.weights), ("output", &a.output)] {
                    let want: Vec<f64> = expected[what]
                        .as_array()
                        .expect(what)
                        .iter()
                        .map(|x| x.as_f64().expect("number"))
                        .collect();
                    let top = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                    assert_eq!(got.len(), want.len(), "{name} L{layer}.H{h} {what}");
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert!(
                            (g - w).abs() <= 1e-9 * top,
                            "{name} L{layer}.H{h} {what}[{i}]: {g} against {w}"
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 12, "3 heads × 2 widths × 2 masks");
}

#[test]
fn the_shipped_file_names_64_and_128_features() {
    let set = HedgehogSet::from_safetensors(SHIPPED, 3, 12, 32).expect("loads");
    for (variant, features, label) in [
        ("hedgehog", 64, "Hedgehog"),
        ("hedgehog128", 128, "Hedgehog-128"),
    ] {
        let map = MapSpec::trained(
            MapKey::Hedgehog,
            set.head(variant, 2, 11, false).expect("head"),
        )
        .build(32);
        assert_eq!(map.feature_dim(32), features);
        assert_eq!(map.name(), label);
    }
    assert!(set.head("hedgehog", 3, 0, false).is_none(), "no layer 3");
    assert!(set.head("hedgehog", 0, 12, false).is_none(), "no head 12");
    assert!(
        set.head("hedgehog256", 0, 0, false).is_none(),
        "no such variant"
    );
}

/// The shipped file with one tensor replaced (or removed, given None).
fn edited(name: &str, replacement: Option<(Dtype, Vec<usize>, Vec<u8>)>) -> Vec<u8> {
    let file = SafeTensors::deserialize(SHIPPED).expect("shipped file");
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = file
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
        .collect();
    tensors.retain(|t| t.0 != name);
    if let Some((dtype, shape, data)) = replacement {
        tensors.push((name.to_string(), dtype, shape, data));
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).expect("view")))
        .collect();
    safetensors::serialize(views, None).expect("serialise")
}

#[test]
fn a_bad_weights_file_is_refused_with_a_reason() {
    let refuse =
        |bytes: &[u8]| HedgehogSet::from_safetensors(bytes, 3, 12, 32).expect_err("refused");
    assert!(matches!(
        refuse(&SHIPPED[..SHIPPED.len() / 2]),
        HedgehogError::Format(_)
    ));
    assert!(matches!(refuse(b""), HedgehogError::Format(_)));
    assert!(matches!(
        refuse(&edited("hedgehog128.b", None)),
        HedgehogError::Missing(name) if name == "hedgehog128.b"
    ));
    let wrong_shape = edited(
        "hedgehog.b",
        Some((Dtype::F32, vec![3, 12, 16], vec![0; 3 * 12 * 16 * 4])),
    );
    assert!(matches!(refuse(&wrong_shape), HedgehogError::Shape { .. }));
    let mut nan = vec![0u8; 3 * 12 * 32 * 4];
    nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(matches!(
        refuse(&edited(
            "hedgehog.b",
            Some((Dtype::F32, vec![3, 12, 32], nan))
        )),
        HedgehogError::NotFinite(_)
    ));
    // A model of another size is refused too: the file's shapes must match it.
    assert!(matches!(
        HedgehogSet::from_safetensors(SHIPPED, 6, 12, 32),
        Err(HedgehogError::Shape { .. })
    ));
}
