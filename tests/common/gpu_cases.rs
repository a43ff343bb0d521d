//! Random attention inputs shared by the native (lavapipe) and browser (SwiftShader) GPU
//! tests; the seed names the case, so a failure can be reproduced exactly.

use kernelscope::kernels::MapKey;
use kernelscope::kernels::rng::SplitMix64;
use ndarray::Array2;

pub struct Inputs {
    pub q: Array2<f32>,
    pub k: Array2<f32>,
    pub v: Array2<f32>,
    pub scale: f32,
}

/// n tokens, head dimension d, value dimension d_v, entries N(0, spread²), f32.
pub fn inputs(seed: u64, n: usize, d: usize, d_v: usize, spread: f64) -> Inputs {
    let mut rng = SplitMix64::new(seed);
    let mut m = |rows, cols| {
        Array2::from_shape_simple_fn((rows, cols), || (spread * rng.gaussian()) as f32)
    };
    Inputs {
        q: m(n, d),
        k: m(n, d),
        v: m(n, d_v),
        scale: 1.0 / (d as f32).sqrt(),
    }
}

/// GPU (f32) against the CPU reference (f64): 1e-4 of the largest reference value.
pub fn assert_agrees(what: &str, gpu: &Array2<f32>, cpu: &Array2<f64>) {
    assert_eq!(gpu.dim(), cpu.dim(), "{what}: shape");
    let scale = cpu.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    let worst = gpu
        .iter()
        .zip(cpu.iter())
        .map(|(&g, &c)| (f64::from(g) - c).abs())
        .fold(0.0f64, f64::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: GPU and CPU differ by {worst:e} (scale {scale:e})"
    );
}

/// GPU against CPU for linear attention: 1e-4 of the largest reference value, or 1e-6·κ_i in a
/// row whose normaliser cancels (κ_i = `Attention::conditioning`), since f32 loses κ·ε there.
pub fn assert_agrees_conditioned(
    what: &str,
    gpu: &Array2<f32>,
    cpu: &Array2<f64>,
    conditioning: &[f64],
) {
    assert_eq!(gpu.dim(), cpu.dim(), "{what}: shape");
    let scale = cpu.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    for (i, (g_row, c_row)) in gpu.rows().into_iter().zip(cpu.rows()).enumerate() {
        let tolerance = 1e-4f64.max(1e-6 * conditioning[i]) * scale;
        for (j, (&g, &c)) in g_row.iter().zip(c_row.iter()).enumerate() {
            let gap = (f64::from(g) - c).abs();
            assert!(
                gap <= tolerance,
                "{what}[{i},{j}]: GPU {g}, CPU {c}, κ {:e}",
                conditioning[i]
            );
        }
    }
}

/// The CPU reference of linear attention (quadratic form) for the same f32 inputs.
pub fn cpu_linear(
    x: &Inputs,
    spec: &kernelscope::kernels::MapSpec,
    mask: kernelscope::attention::Mask,
) -> kernelscope::attention::Attention {
    use kernelscope::kernels::{MapContext, Role};
    let f64s = |m: &Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let map = spec.build(q.ncols());
    let ctx = |role| MapContext {
        role,
        scale: f64::from(x.scale),
        // cosFormer's horizon M: the longer of the two sequences, as on the GPU.
        seq_len: q.nrows().max(k.nrows()),
    };
    let phi_q = map.apply(q.view(), &ctx(Role::Query));
    let phi_k = map.apply(k.view(), &ctx(Role::Key));
    kernelscope::attention::linear_attention(&phi_q, &phi_k, v.view(), mask)
}

/// Like `assert_agrees` for a list, where +∞ must match +∞ exactly.
pub fn assert_list_agrees(what: &str, gpu: &[f32], cpu: &[f64]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: length");
    let scale = cpu
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(1e-30);
    for (i, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        if c.is_infinite() || g.is_infinite() {
            assert_eq!(f64::from(g), c, "{what}[{i}]");
        } else {
            assert!(
                (f64::from(g) - c).abs() <= 1e-4 * scale,
                "{what}[{i}]: GPU {g}, CPU {c} (scale {scale:e})"
            );
        }
    }
}

/// Softmax weights and one linear map's weights for the same inputs, as f32 and f64.
pub fn weight_pair(x: &Inputs, spec: &kernelscope::kernels::MapSpec) -> (Array2<f64>, Array2<f64>) {
    use kernelscope::attention::{Mask, softmax_attention};
    let f64s = |m: &Array2<f32>| m.mapv(f64::from);
    let softmax = softmax_attention(
        f64s(&x.q).view(),
        f64s(&x.k).view(),
        f64s(&x.v).view(),
        f64::from(x.scale),
        Mask::Causal,
    );
    let linear = cpu_linear(x, spec, Mask::Causal);
    (softmax.weights, linear.weights)
}

/// The GPU's error maps and row metrics against the CPU's, for A and Â given in f64.
pub fn check_comparison(
    what: &str,
    gpu: &kernelscope::engine::gpu::GpuComparison,
    a: &Array2<f64>,
    a_hat: &Array2<f64>,
) {
    let errors = kernelscope::metrics::error_maps(a, a_hat);
    let rows = kernelscope::metrics::row_metrics(a, a_hat);
    assert_agrees(&format!("{what} signed"), &gpu.signed, &errors.signed);
    assert_agrees(&format!("{what} absolute"), &gpu.absolute, &errors.absolute);
    assert_list_agrees(
        &format!("{what} entropy softmax"),
        &gpu.entropy_softmax,
        &rows.entropy_softmax,
    );
    assert_list_agrees(
        &format!("{what} entropy linear"),
        &gpu.entropy_linear,
        &rows.entropy_linear,
    );
    assert_list_agrees(&format!("{what} kl"), &gpu.kl, &rows.kl);
    assert_list_agrees(&format!("{what} tv"), &gpu.tv, &rows.tv);
}

/// The feature maps the GPU implements, with small m so that tests stay quick.
pub fn gpu_maps() -> Vec<kernelscope::kernels::MapSpec> {
    use kernelscope::kernels::{MapKey, MapSpec, RandomParams};
    vec![
        MapSpec::of(MapKey::Identity),
        MapSpec::of(MapKey::Elu),
        MapSpec::of(MapKey::Relu),
        MapSpec::of(MapKey::ReluSquared),
        MapSpec::new(
            MapKey::Performer,
            RandomParams {
                m: 16,
                seed: 3,
                orthogonal: true,
            },
        ),
        MapSpec::new(
            MapKey::Performer,
            RandomParams {
                m: 8,
                seed: 4,
                orthogonal: false,
            },
        ),
        MapSpec::new(
            MapKey::Trig,
            RandomParams {
                m: 8,
                seed: 5,
                orthogonal: false,
            },
        ),
        MapSpec::of(MapKey::CosFormer),
        MapSpec::of(MapKey::Taylor),
        MapSpec::of(MapKey::HedgehogUntrained),
    ]
}

/// The GPU's kernel pairs against `metrics::kernel_comparison` on the CPU.
pub fn check_kernel_pairs(
    what: &str,
    gpu: &kernelscope::metrics::KernelComparison,
    x: &Inputs,
    spec: &kernelscope::kernels::MapSpec,
) {
    use kernelscope::kernels::{MapContext, Role};
    let f64s = |m: &Array2<f32>| m.mapv(f64::from);
    let (q, k) = (f64s(&x.q), f64s(&x.k));
    let map = spec.build(q.ncols());
    let seq_len = q.nrows().max(k.nrows());
    let ctx = |role| MapContext {
        role,
        scale: f64::from(x.scale),
        seq_len,
    };
    let cpu = kernelscope::metrics::kernel_comparison(
        q.view(),
        k.view(),
        f64::from(x.scale),
        &map.apply(q.view(), &ctx(Role::Query)),
        &map.apply(k.view(), &ctx(Role::Key)),
    );
    let close = |name: &str, g: f64, c: f64, tolerance: f64| {
        assert!(
            (g - c).abs() <= tolerance * c.abs().max(1e-12),
            "{what} {name}: GPU {g}, CPU {c}"
        );
    };
    let matrix = |name: &str, g: &Array2<f64>, c: &Array2<f64>| {
        let scale = c.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
        let worst = g
            .iter()
            .zip(c.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-4 * scale,
            "{what} {name}: differ by {worst:e} (scale {scale:e})"
        );
    };
    matrix("exact kernel", &gpu.exact, &cpu.exact);
    matrix("approximate kernel", &gpu.approx, &cpu.approx);
    close("mse", gpu.mse, cpu.mse, 1e-3);
    close("correlation", gpu.correlation, cpu.correlation, 1e-4);
    close(
        "relative Frobenius",
        gpu.relative_frobenius,
        cpu.relative_frobenius,
        1e-4,
    );
}

/// The positive feature maps, whose rows never cancel: the whole report is held to 1e-4.
pub fn positive_maps() -> Vec<kernelscope::kernels::MapSpec> {
    use kernelscope::kernels::MapKey;
    gpu_maps()
        .into_iter()
        .filter(|m| !matches!(m.key, MapKey::Identity | MapKey::Trig))
        .collect()
}

/// A GPU report against the CPU's for the same request: maps and outputs (1e-4 of each array's
/// largest value, or 1e-6·κ in cancelling rows), error maps, per-row metrics, kernel pairs and
/// spectra.
pub fn check_report(
    what: &str,
    gpu: &kernelscope::engine::report::Report,
    cpu: &kernelscope::engine::report::Report,
) {
    let f32s = |a: &Array2<f64>| a.mapv(|x| x as f32);
    let list = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    assert_eq!(
        (gpu.n, gpu.d, gpu.maps.len()),
        (cpu.n, cpu.d, cpu.maps.len()),
        "{what}: sizes"
    );
    assert_agrees(
        &format!("{what} softmax"),
        &f32s(&gpu.softmax.weights),
        &cpu.softmax.weights,
    );
    assert_agrees(
        &format!("{what} softmax output"),
        &f32s(&gpu.softmax.output),
        &cpu.softmax.output,
    );
    assert_list_agrees(
        &format!("{what} softmax entropy"),
        &list(&gpu.softmax_entropy),
        &cpu.softmax_entropy,
    );
    for (g, c) in gpu.maps.iter().zip(&cpu.maps) {
        let name = format!("{what} {}", c.name);
        assert_eq!(g.name, c.name);
        let kappa = &c.attention.conditioning;
        assert_agrees_conditioned(
            &format!("{name} weights"),
            &f32s(&g.attention.weights),
            &c.attention.weights,
            kappa,
        );
        assert_agrees_conditioned(
            &format!("{name} output"),
            &f32s(&g.attention.output),
            &c.attention.output,
            kappa,
        );
        assert_eq!(
            g.attention.degenerate_rows, c.attention.degenerate_rows,
            "{name}: degenerate rows"
        );
        assert_agrees_conditioned(
            &format!("{name} signed error"),
            &f32s(&g.errors.signed),
            &c.errors.signed,
            kappa,
        );
        assert_agrees_conditioned(
            &format!("{name} absolute error"),
            &f32s(&g.errors.absolute),
            &c.errors.absolute,
            kappa,
        );
        assert!(
            (g.errors.relative_frobenius - c.errors.relative_frobenius).abs()
                <= 1e-4 * c.errors.relative_frobenius.max(1.0),
            "{name}: relative error"
        );
        assert_list_agrees(
            &format!("{name} entropy"),
            &list(&g.rows.entropy_linear),
            &c.rows.entropy_linear,
        );
        assert_list_agrees(&format!("{name} kl"), &list(&g.rows.kl), &c.rows.kl);
        assert_list_agrees(&format!("{name} tv"), &list(&g.rows.tv), &c.rows.tv);
        assert!(
            (g.output.relative - c.output.relative).abs() <= 1e-4 * c.output.relative.max(1.0),
            "{name}: output error"
        );
        match (&g.kernel, &c.kernel) {
            (Some(gk), Some(ck)) => {
                assert!(
                    (gk.relative_frobenius - ck.relative_frobenius).abs()
                        <= 1e-3 * ck.relative_frobenius.max(1.0),
                    "{name}: kernel error"
                );
                assert!(
                    (gk.correlation - ck.correlation).abs() <= 1e-3,
                    "{name}: kernel correlation"
                );
            }
            (None, None) => {}
            _ => panic!("{name}: kernel pairs on one path only"),
        }
        match (&g.spectrum, &c.spectrum) {
            (Some(gs), Some(cs)) => {
                let top = cs.singular_values.first().copied().unwrap_or(1.0);
                for (a, b) in gs.singular_values.iter().zip(&cs.singular_values) {
                    assert!(
                        (a - b).abs() <= 1e-4 * top,
                        "{name}: singular values {a} against {b}"
                    );
                }
            }
            (None, None) => {}
            _ => panic!("{name}: a spectrum on one path only"),
        }
    }
}

/// The request every report test makes: the positive maps, spectra and kernel pairs.
pub fn full_request(mask: kernelscope::attention::Mask) -> kernelscope::engine::report::Request {
    kernelscope::engine::report::Request {
        mask,
        temperature: 1.0,
        maps: positive_maps(),
        spectra: true,
        kernel_pairs: true,
    }
}

/// Limits no adapter offers: a device request with them is refused.
pub fn refused_settings() -> kernelscope::engine::GpuSettings {
    kernelscope::engine::GpuSettings {
        limits: wgpu::Limits {
            max_buffer_size: u64::MAX,
            max_storage_buffer_binding_size: u64::MAX,
            max_compute_workgroup_storage_size: u32::MAX,
            ..wgpu::Limits::default()
        },
        ..Default::default()
    }
}

/// A memory budget of 256 kB per step: a 16-token report fits, a 200-token one does not
/// (one 200×200 map alone is 160 kB).
pub fn tight_budget() -> kernelscope::engine::GpuSettings {
    kernelscope::engine::GpuSettings {
        memory_budget: 256 * 1024,
        ..Default::default()
    }
}

/// On an engine started with [`tight_budget`]: a report that fits runs on the GPU; one that
/// needs more memory than the budget gives the CPU's report and an out-of-memory reason; and
/// the engine still works afterwards (a refusal is not a broken device).
pub async fn check_out_of_memory(engine: kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::analyze;
    use kernelscope::engine::{Engine, GpuError};
    let f64s = |m: &Array2<f32>| m.mapv(f64::from);
    let small = inputs(74, 16, 8, 8, 1.0);
    let (q, k, v) = (f64s(&small.q), f64s(&small.k), f64s(&small.v));
    let request = full_request(Mask::Bidirectional);
    let fits = engine.analyze(q.view(), k.view(), v.view(), &request).await;
    let want_small = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    check_report(
        "16 tokens, under the budget",
        &fits.expect("fits the budget"),
        &want_small,
    );

    let big = inputs(75, 200, 8, 8, 1.0);
    let (q, k, v) = (f64s(&big.q), f64s(&big.k), f64s(&big.v));
    let outcome = Engine::Gpu(engine.clone())
        .analyze(q.view(), k.view(), v.view(), &request)
        .await;
    assert!(
        matches!(&outcome.gpu_failure, Some(GpuError::OutOfMemory(why)) if why.contains("bytes")),
        "{:?}",
        outcome.gpu_failure
    );
    let got = outcome.value.expect("the CPU's report");
    let want = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    assert_eq!(got.softmax, want.softmax);
    for (a, b) in got.maps.iter().zip(&want.maps) {
        assert_eq!(a.attention, b.attention, "{}", a.name);
        assert_eq!(a.rows, b.rows, "{}", a.name);
    }

    let again = engine
        .analyze(
            q.slice(ndarray::s![..16, ..]),
            k.slice(ndarray::s![..16, ..]),
            v.slice(ndarray::s![..16, ..]),
            &request,
        )
        .await;
    assert!(
        again.is_ok(),
        "the engine works after a refusal: {:?}",
        again.err()
    );
}

/// What a refused device request must give: a CPU engine that says why, and still answers.
pub fn check_refused_device(engine: &kernelscope::engine::Engine) {
    use kernelscope::engine::{CpuReason, Engine, GpuError};
    assert!(
        matches!(
            engine,
            Engine::Cpu(CpuReason::Fallback(GpuError::DeviceRequest(_)))
        ),
        "a refused device falls back to the CPU with the reason"
    );
}

/// Seeded heads of different lengths for the all-heads overview: GPU and CPU mean TV agree to
/// 1e-4 (TV lies in [0, 1]) for every positive map, both masks; heads are told apart by name.
pub async fn check_overview(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::mean_tv;
    use kernelscope::engine::report::Request;
    let heads: Vec<[Array2<f64>; 3]> = [(91, 5), (92, 17), (93, 40)]
        .into_iter()
        .map(|(seed, n)| {
            let x = inputs(seed, n, 8, 8, 1.5);
            [x.q, x.k, x.v].map(|m| m.mapv(f64::from))
        })
        .collect();
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let request = Request {
            mask,
            temperature: 1.3,
            maps: positive_maps(),
            spectra: false,
            kernel_pairs: false,
        };
        let on_gpu = engine
            .mean_tv(&heads, &vec![request.clone(); heads.len()])
            .await
            .expect("gpu overview");
        assert_eq!(on_gpu.len(), heads.len());
        for (i, ([q, k, v], gpu)) in heads.iter().zip(&on_gpu).enumerate() {
            let cpu = mean_tv(q.view(), k.view(), v.view(), &request).expect("cpu overview");
            assert_eq!(gpu.len(), cpu.len(), "head {i}");
            for ((gpu_name, gpu_tv), (cpu_name, cpu_tv)) in gpu.iter().zip(&cpu) {
                assert_eq!(gpu_name, cpu_name);
                assert!(
                    (gpu_tv - cpu_tv).abs() <= 1e-4,
                    "head {i} {mask:?} {cpu_name}: GPU {gpu_tv} against CPU {cpu_tv}"
                );
            }
        }
    }
}

/// The shipped Hedgehog weights, and the golden heads of `tools/hedgehog/train.py`.
pub fn trained_hedgehog() -> (kernelscope::kernels::HedgehogSet, serde_json::Value) {
    let set = kernelscope::kernels::HedgehogSet::from_safetensors(
        include_bytes!("../../assets/hedgehog.safetensors"),
        3,
        12,
        32,
    )
    .expect("the shipped Hedgehog weights load");
    let golden = serde_json::from_str(include_str!("../golden/hedgehog.json")).expect("golden");
    (set, golden)
}

/// Q, K and V of one golden head (n×32, f64).
pub fn golden_head(head: &serde_json::Value) -> [Array2<f64>; 3] {
    let n = head["n"].as_u64().expect("n") as usize;
    ["q", "k", "v"].map(|key| {
        let values: Vec<f64> = head[key]
            .as_array()
            .expect("values")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect();
        Array2::from_shape_vec((n, values.len() / n), values).expect("shape")
    })
}

/// Trained Hedgehog (64 and 128 features) on real heads of the model: the GPU's report equals
/// the CPU's (1e-4) in both masks, untrained Hedgehog beside them.
pub async fn check_trained_hedgehog(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::analyze;
    use kernelscope::engine::report::Request;
    use kernelscope::kernels::{MapKey, MapSpec};
    let (set, golden) = trained_hedgehog();
    for head in golden["heads"].as_array().expect("heads") {
        let (layer, h) = (
            head["layer"].as_u64().expect("layer") as usize,
            head["head"].as_u64().expect("head") as usize,
        );
        let [q, k, v] = golden_head(head);
        for (mask, causal) in [(Mask::Bidirectional, false), (Mask::Causal, true)] {
            let trained = |key: MapKey| {
                let variant = key.trained_variant().expect("a trained map");
                MapSpec::trained(key, set.head(variant, layer, h, causal).expect("weights"))
            };
            let request = Request {
                mask,
                temperature: 1.0,
                maps: vec![
                    trained(MapKey::Hedgehog),
                    trained(MapKey::Hedgehog128),
                    MapSpec::of(MapKey::HedgehogUntrained),
                ],
                spectra: true,
                kernel_pairs: true,
            };
            let on_gpu = engine
                .analyze(q.view(), k.view(), v.view(), &request)
                .await
                .expect("gpu report");
            let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
            let names: Vec<&str> = on_cpu.maps.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["Hedgehog", "Hedgehog-128", "Hedgehog (untrained)"]);
            check_report(&format!("L{layer}.H{h} {mask:?}"), &on_gpu, &on_cpu);
        }
    }
}

/// The scores kernel, through the softmax map the reports draw: on every case of the
/// independent scores golden file (`tools/reference/scores.py`), the GPU's softmax weights
/// equal the row softmax of the reference scores `Q·Kᵀ/√d`.
pub async fn check_scores_golden(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../golden/scores.json")).expect("scores.json parses");
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5, "the golden file has its cases");
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let size = |key: &str| case[key].as_u64().expect("a size") as usize;
        let (n_q, n_k, d) = (size("n_q"), size("n_k"), size("d"));
        let numbers = |key: &str| -> Vec<f64> {
            case[key]
                .as_array()
                .expect("numbers")
                .iter()
                .map(|x| x.as_f64().expect("a number"))
                .collect()
        };
        let f32s = |rows, key: &str| {
            Array2::from_shape_vec((rows, d), numbers(key).iter().map(|&x| x as f32).collect())
                .expect("shape")
        };
        let (q, k) = (f32s(n_q, "q"), f32s(n_k, "k"));
        let scale = case["scale"].as_f64().expect("scale") as f32;
        let v = Array2::<f32>::ones((n_k, 1));
        let on_gpu = engine
            .softmax_attention(q.view(), k.view(), v.view(), scale, Mask::Bidirectional)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut expected =
            Array2::from_shape_vec((n_q, n_k), numbers("scores")).expect("scores shape");
        for mut row in expected.rows_mut() {
            let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            row.mapv_inplace(|s| (s - top).exp());
            let sum = row.sum();
            row.mapv_inplace(|w| w / sum);
        }
        assert_agrees(
            &format!("{name}: softmax of the scores"),
            &on_gpu.weights,
            &expected,
        );
    }
}

// The GPU cases themselves, each written once: `tests/gpu_attention.rs` runs them natively
// (lavapipe) with `pollster::block_on`, `tests/web.rs` in Chromium (SwiftShader) with `.await`.

fn f64s(m: &Array2<f32>) -> Array2<f64> {
    m.mapv(f64::from)
}

/// The CPU reference's softmax attention of `x` (in f64).
fn cpu_softmax(
    x: &Inputs,
    mask: kernelscope::attention::Mask,
) -> kernelscope::attention::Attention {
    kernelscope::attention::softmax_attention(
        f64s(&x.q).view(),
        f64s(&x.k).view(),
        f64s(&x.v).view(),
        f64::from(x.scale),
        mask,
    )
}

/// Softmax attention, both masks: GPU (f32) against the CPU (f64).
pub async fn check_softmax(
    engine: &kernelscope::engine::GpuEngine,
    seed: u64,
    n: usize,
    d: usize,
    d_v: usize,
    spread: f64,
) {
    use kernelscope::attention::Mask;
    let x = inputs(seed, n, d, d_v, spread);
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let on_gpu = engine
            .softmax_attention(x.q.view(), x.k.view(), x.v.view(), x.scale, mask)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let on_cpu = cpu_softmax(&x, mask);
        assert_agrees(
            &format!("seed {seed} {mask:?} weights"),
            &on_gpu.weights,
            &on_cpu.weights,
        );
        assert_agrees(
            &format!("seed {seed} {mask:?} outputs"),
            &on_gpu.output,
            &on_cpu.output,
        );
    }
}

/// An empty sequence gives an empty map, not an error (WebGPU forbids empty bindings).
pub async fn check_empty_softmax(engine: &kernelscope::engine::GpuEngine) {
    let x = inputs(6, 0, 4, 2, 1.0);
    let a = engine
        .softmax_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            0.5,
            kernelscope::attention::Mask::Causal,
        )
        .await
        .expect("empty");
    assert_eq!(a.weights.dim(), (0, 0));
}

/// Linear attention (the quadratic form), every GPU map, both masks.
pub async fn check_linear(
    engine: &kernelscope::engine::GpuEngine,
    seed: u64,
    n: usize,
    d: usize,
    d_v: usize,
    spread: f64,
) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    let x = inputs(seed, n, d, d_v, spread);
    for spec in gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols());
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = engine
                .linear_attention(x.q.view(), x.k.view(), x.v.view(), &map, x.scale, mask)
                .await
                .unwrap_or_else(|e| panic!("seed {seed} {spec:?}: {e}"));
            let on_cpu = cpu_linear(&x, &spec, mask);
            let what = format!("seed {seed} {spec:?} {mask:?}");
            assert_eq!(
                on_gpu.degenerate_rows, on_cpu.degenerate_rows,
                "{what} degenerate rows"
            );
            assert_agrees_conditioned(
                &format!("{what} weights"),
                &on_gpu.weights,
                &on_cpu.weights,
                &on_cpu.conditioning,
            );
            assert_agrees_conditioned(
                &format!("{what} outputs"),
                &on_gpu.output,
                &on_cpu.output,
                &on_cpu.conditioning,
            );
        }
    }
}

/// Queries that are all negative give ReLU features of zero: flagged, uniform rows.
pub async fn check_relu_rows_without_any_key(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    use kernelscope::kernels::MapSpec;
    let mut x = inputs(13, 12, 6, 4, 1.0);
    x.q.row_mut(3).mapv_inplace(|v| -v.abs() - 0.1);
    x.q.row_mut(7).mapv_inplace(|v| -v.abs() - 0.1);
    let map = GpuMap::from_spec(&MapSpec::of(MapKey::Relu), 6);
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let on_gpu = engine
            .linear_attention(x.q.view(), x.k.view(), x.v.view(), &map, x.scale, mask)
            .await
            .expect("gpu");
        let on_cpu = cpu_linear(&x, &MapSpec::of(MapKey::Relu), mask);
        assert!(
            on_gpu.degenerate_rows.contains(&3) && on_gpu.degenerate_rows.contains(&7),
            "{:?}",
            on_gpu.degenerate_rows
        );
        assert_eq!(on_gpu.degenerate_rows, on_cpu.degenerate_rows);
        assert_agrees(
            &format!("seed 13 {mask:?} weights"),
            &on_gpu.weights,
            &on_cpu.weights,
        );
    }
}

/// Error maps, entropy, KL and TV. elu+1: positive weights; relu: zeros (KL = ∞ in places);
/// identity: negative weights.
pub async fn check_metrics(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::kernels::MapSpec;
    let x = inputs(21, 40, 8, 4, 1.0);
    for spec in [
        MapSpec::of(MapKey::Elu),
        MapSpec::of(MapKey::Relu),
        MapSpec::of(MapKey::Identity),
    ] {
        let (a, a_hat) = weight_pair(&x, &spec);
        let f32s = |m: &Array2<f64>| m.mapv(|v| v as f32);
        let on_gpu = engine
            .compare(f32s(&a).view(), f32s(&a_hat).view())
            .await
            .expect("gpu");
        check_comparison(&format!("seed 21 {spec:?}"), &on_gpu, &a, &a_hat);
    }
}

/// The O(N) recurrent form, every map, both masks; 150 tokens make three causal chunks, the
/// last one partial.
pub async fn check_recurrent(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    let x = inputs(31, 150, 16, 8, 1.0);
    for spec in gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols());
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = engine
                .linear_attention_recurrent(x.q.view(), x.k.view(), x.v.view(), &map, x.scale, mask)
                .await
                .unwrap_or_else(|e| panic!("seed 31 {spec:?} {mask:?}: {e}"));
            let on_cpu = cpu_linear(&x, &spec, mask);
            assert_eq!(on_gpu.weights.len(), 0, "the recurrent form builds no map");
            assert_eq!(
                on_gpu.degenerate_rows, on_cpu.degenerate_rows,
                "{spec:?} {mask:?}"
            );
            assert_agrees_conditioned(
                &format!("seed 31 {spec:?} {mask:?} recurrent outputs"),
                &on_gpu.output,
                &on_cpu.output,
                &on_cpu.conditioning,
            );
        }
    }
}

/// Every query–key pair's kernel, every map.
pub async fn check_every_kernel_pair(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::engine::gpu::GpuMap;
    let x = inputs(41, 24, 16, 2, 1.0);
    for spec in gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols());
        let on_gpu = engine
            .kernel_pairs(x.q.view(), x.k.view(), &map, x.scale)
            .await
            .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        check_kernel_pairs(&format!("seed 41 {spec:?}"), &on_gpu, &x, &spec);
    }
}

/// A kernel the driver rejects is an error, and the engine keeps working after it.
pub async fn check_rejected_kernel(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::engine::GpuError;
    let broken = "@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }";
    let result = engine.check_kernel(broken).await;
    assert!(matches!(result, Err(GpuError::Validation(_))), "{result:?}");
    let fine = "@compute @workgroup_size(1) fn main() {}";
    assert_eq!(engine.check_kernel(fine).await, Ok(()));
    let x = inputs(51, 5, 4, 2, 1.0);
    let after = engine
        .softmax_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            x.scale,
            kernelscope::attention::Mask::Causal,
        )
        .await;
    assert!(after.is_ok(), "{after:?}");
}

/// Big, small (reusing the big run's larger buffers), big again: each must match the CPU.
pub async fn check_buffer_reuse(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    use kernelscope::kernels::MapSpec;
    let big = inputs(61, 90, 16, 8, 1.0);
    let small = inputs(62, 7, 16, 8, 1.0);
    let map = GpuMap::from_spec(&MapSpec::of(MapKey::Elu), 16);
    for x in [&big, &small, &big, &small] {
        let on_gpu = engine
            .softmax_attention(x.q.view(), x.k.view(), x.v.view(), x.scale, Mask::Causal)
            .await
            .expect("softmax");
        let on_cpu = cpu_softmax(x, Mask::Causal);
        assert_agrees("reused softmax weights", &on_gpu.weights, &on_cpu.weights);
        assert!(
            engine.pooled_buffers() > 0,
            "a finished run leaves its buffers for the next"
        );
        let linear = engine
            .linear_attention(
                x.q.view(),
                x.k.view(),
                x.v.view(),
                &map,
                x.scale,
                Mask::Causal,
            )
            .await
            .expect("linear");
        let cpu = cpu_linear(x, &MapSpec::of(MapKey::Elu), Mask::Causal);
        assert_agrees("reused linear weights", &linear.weights, &cpu.weights);
    }
}

/// The whole report, both masks: the GPU's equals the CPU's within tolerance.
pub async fn check_report_both_masks(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::analyze;
    let x = inputs(71, 24, 16, 16, 1.5);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let request = full_request(mask);
        let on_gpu = engine
            .analyze(q.view(), k.view(), v.view(), &request)
            .await
            .expect("gpu report");
        let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
        check_report(&format!("{mask:?}"), &on_gpu, &on_cpu);
    }
}

/// The word-embedding shards the sentence of [`check_real_heads`] needs, built into the test
/// (a browser test has no files to read); the test checks that they are exactly the ones needed.
macro_rules! shards {
    ($($k:literal),*) => {
        [$(($k, include_bytes!(concat!("../../assets/embeddings/", $k, ".bin")) as &[u8])),*]
    };
}
const REAL_HEADS_SHARDS: [(usize, &[u8]); 12] =
    shards!(6, 63, 124, 125, 127, 133, 171, 212, 243, 308, 375, 831);

/// The shipped model's layer files, in file order (a browser test cannot read files).
const LAYER_FILES: [&[u8]; 6] = [
    include_bytes!("../../assets/layers/0.qkv.safetensors"),
    include_bytes!("../../assets/layers/0.output.safetensors"),
    include_bytes!("../../assets/layers/1.qkv.safetensors"),
    include_bytes!("../../assets/layers/1.output.safetensors"),
    include_bytes!("../../assets/layers/2.qkv.safetensors"),
    include_bytes!("../../assets/layers/2.output.safetensors"),
];

/// The report on three real heads of the shipped model.
pub async fn check_real_heads(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::{analyze, head};
    use kernelscope::model::forward::forward;
    use kernelscope::model::tokenizer::Tokenizer;
    use kernelscope::model::weights::{LayerPart, Weights};
    let w =
        Weights::from_safetensors(include_bytes!("../../assets/model.safetensors")).expect("model");
    let t = Tokenizer::from_vocab_txt(include_str!("../../assets/vocab.txt")).expect("vocab");
    let ids: Vec<u32> = t
        .encode(
            "The cat that the dog chased ran up the tree because it was scared.",
            512,
        )
        .tokens
        .iter()
        .map(|t| t.id)
        .collect();
    let needed = w.word_embeddings.missing_shards(&ids);
    assert_eq!(
        needed,
        REAL_HEADS_SHARDS.map(|(k, _)| k).to_vec(),
        "the sentence needs other shards: update REAL_HEADS_SHARDS"
    );
    for (k, bytes) in REAL_HEADS_SHARDS {
        w.word_embeddings.insert_shard(k, bytes).expect("a shard");
    }
    for (i, bytes) in LAYER_FILES.into_iter().enumerate() {
        let (layer, part) = (i / 2, LayerPart::ALL[i % 2]);
        w.insert_part(layer, part, bytes).expect("a layer file");
    }
    let trace = forward(&w, &ids, None).expect("forward");
    for (layer, h) in [(0, 2), (1, 8), (2, 8)] {
        let [q, k, v] = head(&trace, layer, h).expect("head");
        let request = full_request(Mask::Bidirectional);
        let on_gpu = engine
            .analyze(q.view(), k.view(), v.view(), &request)
            .await
            .expect("gpu report");
        let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
        check_report(&format!("L{layer}.H{h}"), &on_gpu, &on_cpu);
    }
}

/// A device lost before a report: the CPU's report, and the reason. Bad numbers are refused
/// before either path runs, and blamed on the input.
pub async fn check_lost_device(
    engine: kernelscope::engine::GpuEngine,
    fresh: kernelscope::engine::GpuEngine,
) {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::analyze;
    use kernelscope::engine::{Engine, GpuError};
    let x = inputs(72, 12, 8, 8, 1.0);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = full_request(Mask::Causal);
    engine.destroy_device();
    // The browser resolves `device.lost` asynchronously: ask again until it has.
    let mut outcome = Engine::Gpu(engine.clone())
        .analyze(q.view(), k.view(), v.view(), &request)
        .await;
    for _ in 0..20 {
        if matches!(outcome.gpu_failure, Some(GpuError::DeviceLost(_))) {
            break;
        }
        outcome = Engine::Gpu(engine.clone())
            .analyze(q.view(), k.view(), v.view(), &request)
            .await;
    }
    assert!(
        matches!(outcome.gpu_failure, Some(GpuError::DeviceLost(_))),
        "{:?}",
        outcome.gpu_failure
    );
    let got = outcome.value.expect("the CPU's report");
    let want = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    assert_eq!(got.softmax, want.softmax);
    for (a, b) in got.maps.iter().zip(&want.maps) {
        assert_eq!(a.attention, b.attention, "{}", a.name);
        assert_eq!(a.rows, b.rows, "{}", a.name);
    }
    let mut bad = q.clone();
    bad[[0, 0]] = f64::NAN;
    let outcome = Engine::Gpu(fresh)
        .analyze(bad.view(), k.view(), v.view(), &request)
        .await;
    assert!(outcome.value.is_err() && outcome.gpu_failure.is_none());
}

/// Streaming softmax (outputs only) against the full form, on both paths.
pub async fn check_streaming_softmax(engine: &kernelscope::engine::GpuEngine) {
    use kernelscope::attention::{Mask, softmax_attention, softmax_outputs};
    for (n, d, d_v, spread) in [(1, 4, 3, 1.0), (37, 16, 8, 3.0), (300, 32, 32, 1.0)] {
        let x = inputs(81 + n as u64, n, d, d_v, spread);
        let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let full = softmax_attention(q.view(), k.view(), v.view(), f64::from(x.scale), mask);
            let streamed = softmax_outputs(q.view(), k.view(), v.view(), f64::from(x.scale), mask);
            let gap = (&streamed - &full.output)
                .mapv(f64::abs)
                .fold(0.0f64, |a, &b| a.max(b));
            assert!(gap < 1e-12, "CPU streaming against the full form: {gap:e}");
            let on_gpu = engine
                .softmax_outputs(x.q.view(), x.k.view(), x.v.view(), x.scale, mask)
                .await
                .expect("gpu");
            assert_agrees(&format!("streaming n={n} {mask:?}"), &on_gpu, &full.output);
        }
    }
}

/// A refused device request: the engine is the CPU, with the reason, and answers as the CPU.
pub async fn check_refused_request() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::cpu::analyze;
    use kernelscope::engine::{BackendChoice, Engine};
    let engine = Engine::start_with(BackendChoice::Auto, |_| {}, refused_settings()).await;
    check_refused_device(&engine);
    let x = inputs(73, 10, 8, 8, 1.0);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = full_request(Mask::Bidirectional);
    let outcome = engine.analyze(q.view(), k.view(), v.view(), &request).await;
    assert!(
        outcome.gpu_failure.is_none(),
        "a CPU engine has no GPU to fail"
    );
    let want = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    assert_eq!(outcome.value.expect("report").softmax, want.softmax);
}
