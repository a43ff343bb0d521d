//! The same checks in headless Chromium, where wgpu runs on the browser's WebGPU
//! (SwiftShader here). Run by `wasm-bindgen-test-runner` through chromedriver.
#![cfg(target_arch = "wasm32")]

#[path = "common/decimals.rs"]
mod decimals;
#[path = "common/gpu_cases.rs"]
mod gpu_cases;
#[path = "common/products.rs"]
mod products;
#[path = "common/random_features.rs"]
mod random_features;

use kernelscope::engine::{BackendChoice, Engine, GpuEngine};
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

/// The forward pass's SIMD matrix product, softmax and GELU against float64.
#[wasm_bindgen_test]
fn the_simd_matrix_product_and_activations_match_float64() {
    products::check_products();
    products::check_activations();
}

#[wasm_bindgen_test]
fn decimal_numbers_read_through_javascript_match_rusts_parser() {
    decimals::check_decimals();
}

#[wasm_bindgen_test]
fn random_features_are_the_same_numbers_in_wasm32() {
    random_features::check_random_draws();
}

#[wasm_bindgen_test]
async fn webgpu_softmax_attention_matches_the_cpu_for_seeded_cases() {
    let engine = gpu().await;
    // (seed, tokens, head dim, value dim, spread): a single token, ragged, head dim 32, sharp
    // rows, more rows than a workgroup row.
    for (seed, n, d, d_v, spread) in [
        (1u64, 1usize, 8usize, 3usize, 1.0f64),
        (2, 37, 5, 7, 1.0),
        (3, 130, 32, 32, 1.0),
        (4, 24, 16, 4, 8.0),
        (5, 300, 8, 2, 1.0),
    ] {
        gpu_cases::check_softmax(&engine, seed, n, d, d_v, spread).await;
    }
    gpu_cases::check_empty_softmax(&engine).await;
}

#[wasm_bindgen_test]
async fn webgpu_linear_attention_matches_the_cpu_for_seeded_cases() {
    let engine = gpu().await;
    gpu_cases::check_linear(&engine, 11, 9, 4, 3, 1.0).await;
    gpu_cases::check_linear(&engine, 12, 100, 32, 16, 1.0).await;
    gpu_cases::check_relu_rows_without_any_key(&engine).await;
}

#[wasm_bindgen_test]
async fn webgpu_error_maps_and_row_metrics_match_the_cpu() {
    gpu_cases::check_metrics(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_recurrent_linear_attention_matches_the_cpu() {
    gpu_cases::check_recurrent(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_kernel_pairs_match_the_cpu() {
    gpu_cases::check_every_kernel_pair(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn a_kernel_the_browser_rejects_is_an_error_not_a_panic() {
    gpu_cases::check_rejected_kernel(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_buffers_are_reused_without_mixing_results() {
    gpu_cases::check_buffer_reuse(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_report_matches_the_cpu_report_for_both_masks() {
    gpu_cases::check_report_both_masks(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_report_on_real_heads_of_the_model_matches_the_cpu() {
    gpu_cases::check_real_heads(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn a_lost_device_mid_report_gives_the_cpu_report_and_the_reason() {
    gpu_cases::check_lost_device(gpu().await, gpu().await).await;
}

#[wasm_bindgen_test]
async fn webgpu_streaming_softmax_matches_the_cpu() {
    gpu_cases::check_streaming_softmax(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn a_refused_device_request_falls_back_to_the_cpu_with_the_reason() {
    gpu_cases::check_refused_request().await;
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
