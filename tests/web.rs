//! The same checks in headless Chromium, where wgpu runs on the browser's WebGPU
//! (SwiftShader here). Run by `wasm-bindgen-test-runner` through chromedriver.
#![cfg(target_arch = "wasm32")]

#[path = "common/gpu_cases.rs"]
mod gpu_cases;
#[path = "common/random_features.rs"]
mod random_features;

use kernelscope::engine::{BackendChoice, Engine, GpuEngine, GpuError};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn gpu() -> GpuEngine {
    // No adapter is a failure here: webdriver.json starts Chromium with WebGPU enabled.
    GpuEngine::new(|_| {})
        .await
        .unwrap_or_else(|e| panic!("no WebGPU in the test browser: {e}"))
}

#[wasm_bindgen_test]
async fn webgpu_names_its_adapter_and_the_scores_kernel_matches_the_reference() {
    let engine = gpu().await;
    let adapter = engine.adapter();
    assert_eq!(adapter.backend, "WebGPU");
    assert_ne!(adapter.vendor, "unknown", "adapter.info names the vendor");
    gpu_cases::check_scores_golden(&engine).await;
}

#[wasm_bindgen_test]
async fn auto_starts_on_webgpu_and_cpu_when_chosen() {
    assert!(Engine::start(BackendChoice::Auto, |_| {}).await.is_gpu());
    assert!(!Engine::start(BackendChoice::Cpu, |_| {}).await.is_gpu());
}

#[wasm_bindgen_test]
async fn a_destroyed_device_falls_back_to_the_cpu_with_the_reason() {
    let engine = gpu().await;
    let x = gpu_cases::inputs(51, 12, 8, 4, 1.0);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = gpu_cases::full_request(kernelscope::attention::Mask::Bidirectional);
    engine.destroy_device();
    // The browser resolves `device.lost` asynchronously; give it a turn of the event loop.
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
    let on_cpu = kernelscope::engine::report::analyze(q.view(), k.view(), v.view(), &request)
        .expect("the CPU report");
    let fallback = outcome.value.expect("the fallback report");
    assert_eq!(fallback.softmax, on_cpu.softmax);
    assert_eq!(fallback.maps.len(), on_cpu.maps.len());
}

#[wasm_bindgen_test]
fn random_features_are_the_same_numbers_in_wasm32() {
    random_features::check_random_draws();
}

#[wasm_bindgen_test]
async fn webgpu_softmax_attention_matches_the_cpu_for_seeded_cases() {
    use kernelscope::attention::{Mask, softmax_attention};
    let engine = gpu().await;
    // (seed, tokens, head dim, value dim, spread): ragged, head dim 32, sharp rows.
    for (seed, n, d, d_v, spread) in [
        (2u64, 37usize, 5usize, 7usize, 1.0f64),
        (3, 130, 32, 32, 1.0),
        (4, 24, 16, 4, 8.0),
    ] {
        let x = gpu_cases::inputs(seed, n, d, d_v, spread);
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = engine
                .softmax_attention(x.q.view(), x.k.view(), x.v.view(), x.scale, mask)
                .await
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
            let on_cpu = softmax_attention(
                f64s(&x.q).view(),
                f64s(&x.k).view(),
                f64s(&x.v).view(),
                f64::from(x.scale),
                mask,
            );
            gpu_cases::assert_agrees(
                &format!("seed {seed} {mask:?} weights"),
                &on_gpu.weights,
                &on_cpu.weights,
            );
            gpu_cases::assert_agrees(
                &format!("seed {seed} {mask:?} outputs"),
                &on_gpu.output,
                &on_cpu.output,
            );
        }
    }
}

#[wasm_bindgen_test]
async fn webgpu_linear_attention_matches_the_cpu_for_seeded_cases() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu().await;
    for (seed, n, d, d_v) in [(11u64, 9usize, 4usize, 3usize), (12, 100, 32, 16)] {
        let x = gpu_cases::inputs(seed, n, d, d_v, 1.0);
        for spec in gpu_cases::gpu_maps() {
            let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
            for mask in [Mask::Bidirectional, Mask::Causal] {
                let on_gpu = engine
                    .linear_attention(x.q.view(), x.k.view(), x.v.view(), &map, x.scale, mask)
                    .await
                    .unwrap_or_else(|e| panic!("seed {seed} {spec:?}: {e}"));
                let on_cpu = gpu_cases::cpu_linear(&x, &spec, mask);
                let what = format!("seed {seed} {spec:?} {mask:?}");
                assert_eq!(
                    on_gpu.degenerate_rows, on_cpu.degenerate_rows,
                    "{what} degenerate rows"
                );
                gpu_cases::assert_agrees_conditioned(
                    &format!("{what} weights"),
                    &on_gpu.weights,
                    &on_cpu.weights,
                    &on_cpu.conditioning,
                );
                gpu_cases::assert_agrees_conditioned(
                    &format!("{what} outputs"),
                    &on_gpu.output,
                    &on_cpu.output,
                    &on_cpu.conditioning,
                );
            }
        }
    }
}

#[wasm_bindgen_test]
async fn webgpu_error_maps_and_row_metrics_match_the_cpu() {
    use kernelscope::kernels::MapSpec;
    let engine = gpu().await;
    let x = gpu_cases::inputs(21, 40, 8, 4, 1.0);
    for spec in [MapSpec::EluPlusOne, MapSpec::Relu, MapSpec::Identity] {
        let (a, a_hat) = gpu_cases::weight_pair(&x, &spec);
        let f32s = |m: &ndarray::Array2<f64>| m.mapv(|v| v as f32);
        let on_gpu = engine
            .compare(f32s(&a).view(), f32s(&a_hat).view())
            .await
            .expect("gpu");
        gpu_cases::check_comparison(&format!("seed 21 {spec:?}"), &on_gpu, &a, &a_hat);
    }
}

#[wasm_bindgen_test]
async fn webgpu_recurrent_linear_attention_matches_the_cpu() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu().await;
    let x = gpu_cases::inputs(31, 150, 16, 8, 1.0);
    for spec in gpu_cases::gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = engine
                .linear_attention_recurrent(x.q.view(), x.k.view(), x.v.view(), &map, x.scale, mask)
                .await
                .unwrap_or_else(|e| panic!("seed 31 {spec:?} {mask:?}: {e}"));
            let on_cpu = gpu_cases::cpu_linear(&x, &spec, mask);
            assert_eq!(
                on_gpu.degenerate_rows, on_cpu.degenerate_rows,
                "{spec:?} {mask:?}"
            );
            gpu_cases::assert_agrees_conditioned(
                &format!("seed 31 {spec:?} {mask:?} recurrent outputs"),
                &on_gpu.output,
                &on_cpu.output,
                &on_cpu.conditioning,
            );
        }
    }
}

#[wasm_bindgen_test]
async fn webgpu_kernel_pairs_match_the_cpu() {
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu().await;
    let x = gpu_cases::inputs(41, 24, 16, 2, 1.0);
    for spec in gpu_cases::gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
        let on_gpu = engine
            .kernel_pairs(x.q.view(), x.k.view(), &map, x.scale)
            .await
            .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        gpu_cases::check_kernel_pairs(&format!("seed 41 {spec:?}"), &on_gpu, &x, &spec);
    }
}

#[wasm_bindgen_test]
async fn a_kernel_the_browser_rejects_is_an_error_not_a_panic() {
    let engine = gpu().await;
    let broken = "@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }";
    assert!(matches!(
        engine.check_kernel(broken).await,
        Err(GpuError::Validation(_))
    ));
    assert_eq!(
        engine
            .check_kernel("@compute @workgroup_size(1) fn main() {}")
            .await,
        Ok(())
    );
}

#[wasm_bindgen_test]
async fn webgpu_buffers_are_reused_without_mixing_results() {
    use kernelscope::attention::{Mask, softmax_attention};
    let engine = gpu().await;
    let big = gpu_cases::inputs(61, 90, 16, 8, 1.0);
    let small = gpu_cases::inputs(62, 7, 16, 8, 1.0);
    for x in [&big, &small, &big] {
        let on_gpu = engine
            .softmax_attention(x.q.view(), x.k.view(), x.v.view(), x.scale, Mask::Causal)
            .await
            .expect("softmax");
        let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
        let on_cpu = softmax_attention(
            f64s(&x.q).view(),
            f64s(&x.k).view(),
            f64s(&x.v).view(),
            f64::from(x.scale),
            Mask::Causal,
        );
        gpu_cases::assert_agrees("reused softmax weights", &on_gpu.weights, &on_cpu.weights);
        assert!(engine.pooled_buffers() > 0);
    }
}

#[wasm_bindgen_test]
async fn webgpu_report_matches_the_cpu_report_for_both_masks() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::analyze;
    let engine = gpu().await;
    let x = gpu_cases::inputs(71, 24, 16, 16, 1.5);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let request = gpu_cases::full_request(mask);
        let on_gpu = engine
            .analyze(q.view(), k.view(), v.view(), &request)
            .await
            .expect("gpu report");
        let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
        gpu_cases::check_report(&format!("{mask:?}"), &on_gpu, &on_cpu);
    }
}

#[wasm_bindgen_test]
async fn a_lost_device_mid_report_gives_the_cpu_report_and_the_reason() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::analyze;
    let engine = gpu().await;
    let x = gpu_cases::inputs(72, 12, 8, 8, 1.0);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = gpu_cases::full_request(Mask::Causal);
    engine.destroy_device();
    // The browser reports the loss asynchronously; the report either sees it at once or fails
    // on a later submission. Either way the answer is the CPU's, with the reason.
    let mut outcome = Engine::Gpu(engine.clone())
        .analyze(q.view(), k.view(), v.view(), &request)
        .await;
    for _ in 0..20 {
        if outcome.gpu_failure.is_some() {
            break;
        }
        outcome = Engine::Gpu(engine.clone())
            .analyze(q.view(), k.view(), v.view(), &request)
            .await;
    }
    assert!(outcome.gpu_failure.is_some(), "the loss is reported");
    let got = outcome.value.expect("the CPU's report");
    let want = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    assert_eq!(got.softmax, want.softmax);
    for (a, b) in got.maps.iter().zip(&want.maps) {
        assert_eq!(a.attention, b.attention);
    }
}

#[wasm_bindgen_test]
async fn webgpu_streaming_softmax_matches_the_cpu() {
    use kernelscope::attention::{Mask, softmax_attention};
    let engine = gpu().await;
    for (n, d, d_v, spread) in [(1, 4, 3, 1.0), (37, 16, 8, 3.0), (300, 32, 32, 1.0)] {
        let x = gpu_cases::inputs(81 + n as u64, n, d, d_v, spread);
        let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let full = softmax_attention(
                f64s(&x.q).view(),
                f64s(&x.k).view(),
                f64s(&x.v).view(),
                f64::from(x.scale),
                mask,
            );
            let on_gpu = engine
                .softmax_outputs(x.q.view(), x.k.view(), x.v.view(), x.scale, mask)
                .await
                .expect("gpu");
            gpu_cases::assert_agrees(&format!("streaming n={n} {mask:?}"), &on_gpu, &full.output);
        }
    }
}

#[wasm_bindgen_test]
async fn a_refused_device_request_falls_back_to_the_cpu_with_the_reason() {
    let engine =
        Engine::start_with(BackendChoice::Auto, |_| {}, gpu_cases::refused_settings()).await;
    gpu_cases::check_refused_device(&engine);
}

#[wasm_bindgen_test]
async fn a_step_over_the_memory_budget_gives_the_cpu_report_and_the_reason() {
    let engine = GpuEngine::with_settings(|_| {}, gpu_cases::tight_budget())
        .await
        .unwrap_or_else(|e| panic!("no WebGPU in the test browser: {e}"));
    gpu_cases::check_out_of_memory(engine).await;
}

#[wasm_bindgen_test]
async fn webgpu_overview_gives_the_cpu_mean_tv_for_every_head() {
    gpu_cases::check_overview(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_runs_trained_hedgehog_like_the_cpu() {
    gpu_cases::check_trained_hedgehog(&gpu().await).await;
}
