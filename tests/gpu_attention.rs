#![cfg(not(target_arch = "wasm32"))]
//! Softmax attention on the GPU (wgpu on Vulkan: lavapipe here) against the CPU reference.

#[path = "common/gpu_cases.rs"]
mod gpu_cases;

use gpu_cases::{assert_agrees, inputs};
use kernelscope::attention::{Mask, softmax_attention};
use kernelscope::engine::GpuEngine;

fn gpu() -> GpuEngine {
    pollster::block_on(GpuEngine::new(|_| {}))
        .unwrap_or_else(|e| panic!("no GPU for the GPU tests: {e}"))
}

fn check(seed: u64, n: usize, d: usize, d_v: usize, spread: f64) {
    let engine = gpu();
    let x = inputs(seed, n, d, d_v, spread);
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let on_gpu = pollster::block_on(engine.softmax_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            x.scale,
            mask,
        ))
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
        let on_cpu = softmax_attention(
            f64s(&x.q).view(),
            f64s(&x.k).view(),
            f64s(&x.v).view(),
            f64::from(x.scale),
            mask,
        );
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

#[test]
fn the_scores_kernel_matches_the_reference_through_the_softmax_map() {
    pollster::block_on(gpu_cases::check_scores_golden(&gpu()));
}

#[test]
fn softmax_seed_1_single_token() {
    check(1, 1, 8, 3, 1.0);
}

#[test]
fn softmax_seed_2_ragged_shapes() {
    check(2, 37, 5, 7, 1.0);
}

#[test]
fn softmax_seed_3_head_dim_32() {
    check(3, 130, 32, 32, 1.0);
}

#[test]
fn softmax_seed_4_sharp_rows_with_large_scores() {
    // s·q·k in the hundreds: the stabilised softmax must not overflow in f32.
    check(4, 24, 16, 4, 8.0);
}

#[test]
fn softmax_seed_5_more_rows_than_one_workgroup_row() {
    check(5, 300, 8, 2, 1.0);
}

#[test]
fn softmax_of_an_empty_sequence_is_empty() {
    let engine = gpu();
    let x = inputs(6, 0, 4, 2, 1.0);
    let a = pollster::block_on(engine.softmax_attention(
        x.q.view(),
        x.k.view(),
        x.v.view(),
        0.5,
        Mask::Causal,
    ))
    .expect("empty");
    assert_eq!(a.weights.dim(), (0, 0));
}

fn check_linear(seed: u64, n: usize, d: usize, d_v: usize, spread: f64) {
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu();
    let x = inputs(seed, n, d, d_v, spread);
    for spec in gpu_cases::gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = pollster::block_on(engine.linear_attention(
                x.q.view(),
                x.k.view(),
                x.v.view(),
                &map,
                x.scale,
                mask,
            ))
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

#[test]
fn linear_seed_11_small() {
    check_linear(11, 9, 4, 3, 1.0);
}

#[test]
fn linear_seed_12_head_dim_32() {
    check_linear(12, 100, 32, 16, 1.0);
}

#[test]
fn linear_seed_13_relu_rows_without_any_key() {
    // Queries that are all negative give ReLU features of zero: flagged, uniform rows.
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu();
    let mut x = inputs(13, 12, 6, 4, 1.0);
    x.q.row_mut(3).mapv_inplace(|v| -v.abs() - 0.1);
    x.q.row_mut(7).mapv_inplace(|v| -v.abs() - 0.1);
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let on_gpu = pollster::block_on(engine.linear_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            &GpuMap::from_spec(&kernelscope::kernels::MapSpec::Relu, 6).expect("relu"),
            x.scale,
            mask,
        ))
        .expect("gpu");
        let on_cpu = gpu_cases::cpu_linear(&x, &kernelscope::kernels::MapSpec::Relu, mask);
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

#[test]
fn metrics_seed_21_error_maps_entropy_kl_and_tv() {
    use kernelscope::kernels::MapSpec;
    let engine = gpu();
    let x = inputs(21, 40, 8, 4, 1.0);
    // elu+1: positive weights; relu: zeros (KL = ∞ in places); identity: negative weights.
    for spec in [MapSpec::EluPlusOne, MapSpec::Relu, MapSpec::Identity] {
        let (a, a_hat) = gpu_cases::weight_pair(&x, &spec);
        let f32s = |m: &ndarray::Array2<f64>| m.mapv(|v| v as f32);
        let on_gpu =
            pollster::block_on(engine.compare(f32s(&a).view(), f32s(&a_hat).view())).expect("gpu");
        gpu_cases::check_comparison(&format!("seed 21 {spec:?}"), &on_gpu, &a, &a_hat);
    }
}

#[test]
fn recurrent_seed_31_every_map_both_masks_without_an_n_by_n_matrix() {
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu();
    // 150 tokens: three chunks of the causal form, the last one partial.
    let x = inputs(31, 150, 16, 8, 1.0);
    for spec in gpu_cases::gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let on_gpu = pollster::block_on(engine.linear_attention_recurrent(
                x.q.view(),
                x.k.view(),
                x.v.view(),
                &map,
                x.scale,
                mask,
            ))
            .unwrap_or_else(|e| panic!("seed 31 {spec:?} {mask:?}: {e}"));
            let on_cpu = gpu_cases::cpu_linear(&x, &spec, mask);
            assert_eq!(on_gpu.weights.len(), 0, "the recurrent form builds no map");
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

#[test]
fn kernel_pairs_seed_41_every_map() {
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu();
    let x = inputs(41, 24, 16, 2, 1.0);
    for spec in gpu_cases::gpu_maps() {
        let map = GpuMap::from_spec(&spec, x.q.ncols()).expect("a GPU map");
        let on_gpu = pollster::block_on(engine.kernel_pairs(x.q.view(), x.k.view(), &map, x.scale))
            .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        gpu_cases::check_kernel_pairs(&format!("seed 41 {spec:?}"), &on_gpu, &x, &spec);
    }
}

#[test]
fn a_kernel_the_driver_rejects_is_an_error_not_a_panic() {
    use kernelscope::engine::GpuError;
    let engine = gpu();
    let broken = "@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }";
    let result = pollster::block_on(engine.check_kernel(broken));
    assert!(matches!(result, Err(GpuError::Validation(_))), "{result:?}");
    let fine = "@compute @workgroup_size(1) fn main() {}";
    assert_eq!(pollster::block_on(engine.check_kernel(fine)), Ok(()));
    // The engine keeps working after a rejected kernel.
    let x = inputs(51, 5, 4, 2, 1.0);
    assert!(
        pollster::block_on(engine.softmax_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            x.scale,
            Mask::Causal
        ))
        .is_ok()
    );
}

#[test]
fn buffers_are_reused_across_runs_without_mixing_results() {
    use kernelscope::engine::gpu::GpuMap;
    let engine = gpu();
    let big = inputs(61, 90, 16, 8, 1.0);
    let small = inputs(62, 7, 16, 8, 1.0);
    let map = GpuMap::from_spec(&kernelscope::kernels::MapSpec::EluPlusOne, 16).expect("elu");
    // Big, small (reusing the big run's larger buffers), big again: each must match the CPU.
    for x in [&big, &small, &big, &small] {
        let on_gpu = pollster::block_on(engine.softmax_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            x.scale,
            Mask::Causal,
        ))
        .expect("softmax");
        let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
        let on_cpu = softmax_attention(
            f64s(&x.q).view(),
            f64s(&x.k).view(),
            f64s(&x.v).view(),
            f64::from(x.scale),
            Mask::Causal,
        );
        assert_agrees("reused softmax weights", &on_gpu.weights, &on_cpu.weights);
        assert!(
            engine.pooled_buffers() > 0,
            "a finished run leaves its buffers for the next"
        );
        let linear = pollster::block_on(engine.linear_attention(
            x.q.view(),
            x.k.view(),
            x.v.view(),
            &map,
            x.scale,
            Mask::Causal,
        ))
        .expect("linear");
        let cpu_linear =
            gpu_cases::cpu_linear(x, &kernelscope::kernels::MapSpec::EluPlusOne, Mask::Causal);
        assert_agrees(
            "reused linear weights",
            &linear.weights,
            &cpu_linear.weights,
        );
    }
}

#[test]
fn report_seed_71_the_gpu_gives_the_cpu_report_for_both_masks() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::analyze;
    let engine = gpu();
    let x = inputs(71, 24, 16, 16, 1.5);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    for mask in [Mask::Bidirectional, Mask::Causal] {
        let request = gpu_cases::full_request(mask);
        let on_gpu = pollster::block_on(engine.analyze(q.view(), k.view(), v.view(), &request))
            .expect("gpu report");
        let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
        gpu_cases::check_report(&format!("{mask:?}"), &on_gpu, &on_cpu);
    }
}

#[test]
fn report_on_a_real_head_of_the_model_matches_the_cpu() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::{analyze, head};
    use kernelscope::model::{forward::forward, tokenizer::Tokenizer, weights::Weights};
    let w =
        Weights::from_safetensors(include_bytes!("../assets/model.safetensors")).expect("model");
    let t = Tokenizer::from_vocab_txt(include_str!("../assets/vocab.txt")).expect("vocab");
    let ids: Vec<u32> = t
        .encode(
            "The cat that the dog chased ran up the tree because it was scared.",
            512,
        )
        .tokens
        .iter()
        .map(|t| t.id)
        .collect();
    let trace = forward(&w, &ids, None).expect("forward");
    let engine = gpu();
    for (layer, h) in [(0, 2), (1, 8), (2, 8)] {
        let [q, k, v] = head(&trace, layer, h).expect("head");
        let request = gpu_cases::full_request(Mask::Bidirectional);
        let on_gpu = pollster::block_on(engine.analyze(q.view(), k.view(), v.view(), &request))
            .expect("gpu report");
        let on_cpu = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
        gpu_cases::check_report(&format!("L{layer}.H{h}"), &on_gpu, &on_cpu);
    }
}

#[test]
fn a_lost_device_gives_the_cpu_report_and_the_reason() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::analyze;
    use kernelscope::engine::{Engine, GpuError};
    let engine = gpu();
    let x = inputs(72, 12, 8, 8, 1.0);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = gpu_cases::full_request(Mask::Causal);
    engine.destroy_device();
    let outcome =
        pollster::block_on(Engine::Gpu(engine).analyze(q.view(), k.view(), v.view(), &request));
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
    // Bad numbers are refused before either path runs, and blamed on the input.
    let mut bad = q.clone();
    bad[[0, 0]] = f64::NAN;
    let engine = gpu();
    let outcome =
        pollster::block_on(Engine::Gpu(engine).analyze(bad.view(), k.view(), v.view(), &request));
    assert!(outcome.value.is_err() && outcome.gpu_failure.is_none());
}

#[test]
fn streaming_softmax_seed_81_matches_the_full_form_on_both_paths() {
    use kernelscope::attention::{Mask, softmax_outputs};
    let engine = gpu();
    for (n, d, d_v, spread) in [(1, 4, 3, 1.0), (37, 16, 8, 3.0), (300, 32, 32, 1.0)] {
        let x = inputs(81 + n as u64, n, d, d_v, spread);
        let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
        let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
        for mask in [Mask::Bidirectional, Mask::Causal] {
            let full = softmax_attention(q.view(), k.view(), v.view(), f64::from(x.scale), mask);
            let streamed = softmax_outputs(q.view(), k.view(), v.view(), f64::from(x.scale), mask);
            let gap = (&streamed - &full.output)
                .mapv(f64::abs)
                .fold(0.0f64, |a, &b| a.max(b));
            assert!(gap < 1e-12, "CPU streaming against the full form: {gap:e}");
            let on_gpu = pollster::block_on(engine.softmax_outputs(
                x.q.view(),
                x.k.view(),
                x.v.view(),
                x.scale,
                mask,
            ))
            .expect("gpu");
            assert_agrees(&format!("streaming n={n} {mask:?}"), &on_gpu, &full.output);
        }
    }
}

#[test]
fn a_refused_device_request_falls_back_to_the_cpu_with_the_reason() {
    use kernelscope::attention::Mask;
    use kernelscope::engine::report::analyze;
    use kernelscope::engine::{BackendChoice, Engine};
    let engine = pollster::block_on(Engine::start_with(
        BackendChoice::Auto,
        |_| {},
        gpu_cases::refused_settings(),
    ));
    gpu_cases::check_refused_device(&engine);
    let x = inputs(73, 10, 8, 8, 1.0);
    let f64s = |m: &ndarray::Array2<f32>| m.mapv(f64::from);
    let (q, k, v) = (f64s(&x.q), f64s(&x.k), f64s(&x.v));
    let request = gpu_cases::full_request(Mask::Bidirectional);
    let outcome = pollster::block_on(engine.analyze(q.view(), k.view(), v.view(), &request));
    assert!(
        outcome.gpu_failure.is_none(),
        "a CPU engine has no GPU to fail"
    );
    let want = analyze(q.view(), k.view(), v.view(), &request).expect("cpu report");
    assert_eq!(outcome.value.expect("report").softmax, want.softmax);
}

#[test]
fn a_step_over_the_memory_budget_gives_the_cpu_report_and_the_reason() {
    let engine = pollster::block_on(GpuEngine::with_settings(|_| {}, gpu_cases::tight_budget()))
        .expect("a GPU device");
    pollster::block_on(gpu_cases::check_out_of_memory(engine));
}

#[test]
fn overview_seeds_91_to_93_the_gpu_gives_the_cpu_mean_tv_for_every_head() {
    pollster::block_on(gpu_cases::check_overview(&gpu()));
}

#[test]
fn trained_hedgehog_on_the_gpu_gives_the_cpu_report() {
    pollster::block_on(gpu_cases::check_trained_hedgehog(&gpu()));
}
