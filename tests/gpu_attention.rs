#![cfg(not(target_arch = "wasm32"))]
//! Softmax attention on the GPU (wgpu on Vulkan: lavapipe here) against the CPU reference.

#[path = "common/gpu_cases.rs"]
mod gpu_cases;

use kernelscope::engine::GpuEngine;

fn gpu() -> GpuEngine {
    pollster::block_on(GpuEngine::new(|_| {}))
        .unwrap_or_else(|e| panic!("no GPU for the GPU tests: {e}"))
}

/// Run one shared case (tests/common/gpu_cases.rs) to completion.
fn run<F: std::future::Future>(case: F) -> F::Output {
    pollster::block_on(case)
}

#[test]
fn the_scores_kernel_matches_the_reference_through_the_softmax_map() {
    run(gpu_cases::check_scores_golden(&gpu()));
}

#[test]
fn softmax_seed_1_single_token() {
    run(gpu_cases::check_softmax(&gpu(), 1, 1, 8, 3, 1.0));
}

#[test]
fn softmax_seed_2_ragged_shapes() {
    run(gpu_cases::check_softmax(&gpu(), 2, 37, 5, 7, 1.0));
}

#[test]
fn softmax_seed_3_head_dim_32() {
    run(gpu_cases::check_softmax(&gpu(), 3, 130, 32, 32, 1.0));
}

#[test]
fn softmax_seed_4_sharp_rows_with_large_scores() {
    // s·q·k in the hundreds: the stabilised softmax must not overflow in f32.
    run(gpu_cases::check_softmax(&gpu(), 4, 24, 16, 4, 8.0));
}

#[test]
fn softmax_seed_5_more_rows_than_one_workgroup_row() {
    run(gpu_cases::check_softmax(&gpu(), 5, 300, 8, 2, 1.0));
}

#[test]
fn softmax_of_an_empty_sequence_is_empty() {
    run(gpu_cases::check_empty_softmax(&gpu()));
}

#[test]
fn linear_seed_11_small() {
    run(gpu_cases::check_linear(&gpu(), 11, 9, 4, 3, 1.0));
}

#[test]
fn linear_seed_12_head_dim_32() {
    run(gpu_cases::check_linear(&gpu(), 12, 100, 32, 16, 1.0));
}

#[test]
fn linear_seed_13_relu_rows_without_any_key() {
    run(gpu_cases::check_relu_rows_without_any_key(&gpu()));
}

#[test]
fn metrics_seed_21_error_maps_entropy_kl_and_tv() {
    run(gpu_cases::check_metrics(&gpu()));
}

#[test]
fn recurrent_seed_31_every_map_both_masks_without_an_n_by_n_matrix() {
    run(gpu_cases::check_recurrent(&gpu()));
}

#[test]
fn kernel_pairs_seed_41_every_map() {
    run(gpu_cases::check_every_kernel_pair(&gpu()));
}

#[test]
fn a_kernel_the_driver_rejects_is_an_error_not_a_panic() {
    run(gpu_cases::check_rejected_kernel(&gpu()));
}

#[test]
fn buffers_are_reused_across_runs_without_mixing_results() {
    run(gpu_cases::check_buffer_reuse(&gpu()));
}

#[test]
fn report_seed_71_the_gpu_gives_the_cpu_report_for_both_masks() {
    run(gpu_cases::check_report_both_masks(&gpu()));
}

#[test]
fn report_on_a_real_head_of_the_model_matches_the_cpu() {
    run(gpu_cases::check_real_heads(&gpu()));
}

#[test]
fn a_lost_device_gives_the_cpu_report_and_the_reason() {
    run(gpu_cases::check_lost_device(gpu(), gpu()));
}

#[test]
fn streaming_softmax_seed_81_matches_the_full_form_on_both_paths() {
    run(gpu_cases::check_streaming_softmax(&gpu()));
}

#[test]
fn a_refused_device_request_falls_back_to_the_cpu_with_the_reason() {
    run(gpu_cases::check_refused_request());
}

#[test]
fn a_step_over_the_memory_budget_gives_the_cpu_report_and_the_reason() {
    let engine =
        run(GpuEngine::with_settings(|_| {}, gpu_cases::tight_budget())).expect("a GPU device");
    run(gpu_cases::check_out_of_memory(engine));
}

#[test]
fn overview_seeds_91_to_93_the_gpu_gives_the_cpu_mean_tv_for_every_head() {
    run(gpu_cases::check_overview(&gpu()));
}

#[test]
fn trained_hedgehog_on_the_gpu_gives_the_cpu_report() {
    run(gpu_cases::check_trained_hedgehog(&gpu()));
}
