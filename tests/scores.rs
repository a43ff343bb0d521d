#![cfg(not(target_arch = "wasm32"))]
//! The scores kernel on the CPU (ndarray) and the GPU (wgpu on Vulkan: lavapipe here),
//! each checked against the independent numpy reference and against each other.

mod common;

use common::{SCORES_RELATIVE_TOLERANCE, golden, relative_error};
use kernelscope::engine::demo::{DEMO_D, DEMO_N, demo_keys, demo_queries, inverse_sqrt_dim};
use kernelscope::engine::{Engine, GpuEngine, GpuError, cpu, max_abs_difference};
use ndarray::Array2;

fn gpu() -> GpuEngine {
    // A GPU test that cannot find a GPU fails: a skipped GPU path must not pass as tested.
    let engine = pollster::block_on(GpuEngine::new(|_| {}))
        .unwrap_or_else(|e| panic!("no GPU for the GPU tests (install mesa-vulkan-drivers): {e}"));
    eprintln!("GPU tests run on {:?}", engine.adapter());
    engine
}

#[test]
fn cpu_scores_match_the_reference() {
    for case in golden().cases {
        let s = cpu::scores(case.queries().view(), case.keys().view(), case.scale());
        let err = relative_error(&s, &case.expected());
        assert!(
            err <= SCORES_RELATIVE_TOLERANCE,
            "{}: relative error {err:e}",
            case.name
        );
    }
}

#[test]
fn the_demo_inputs_are_the_reference_inputs() {
    let golden = golden();
    let case = golden
        .cases
        .iter()
        .find(|c| c.name == "demo")
        .expect("demo case");
    assert_eq!((case.n_q, case.d), (DEMO_N, DEMO_D));
    assert_eq!(demo_queries(DEMO_N, DEMO_D), case.queries());
    assert_eq!(demo_keys(DEMO_N, DEMO_D), case.keys());
    assert_eq!(inverse_sqrt_dim(DEMO_D), case.scale());
}

#[test]
fn gpu_scores_match_the_reference_and_the_cpu() {
    let engine = gpu();
    for case in golden().cases {
        let (q, k) = (case.queries(), case.keys());
        let on_gpu = pollster::block_on(engine.scores(q.view(), k.view(), case.scale()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let err = relative_error(&on_gpu, &case.expected());
        assert!(
            err <= SCORES_RELATIVE_TOLERANCE,
            "{}: GPU relative error {err:e}",
            case.name
        );
        let on_cpu = cpu::scores(q.view(), k.view(), case.scale());
        let largest = on_cpu.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let gap = max_abs_difference(on_gpu.view(), on_cpu.view()) / largest;
        assert!(
            gap <= 1e-5,
            "{}: GPU and CPU differ by {gap:e} (relative)",
            case.name
        );
    }
}

#[test]
fn gpu_handles_empty_and_mismatched_inputs_without_panicking() {
    let engine = gpu();
    let empty = Array2::<f32>::zeros((0, 8));
    let keys = Array2::<f32>::ones((3, 8));
    let s = pollster::block_on(engine.scores(empty.view(), keys.view(), 1.0)).expect("empty");
    assert_eq!(s.dim(), (0, 3));
    let wrong = Array2::<f32>::ones((3, 5));
    let err = pollster::block_on(engine.scores(keys.view(), wrong.view(), 1.0));
    assert!(matches!(err, Err(GpuError::Shape(_))), "{err:?}");
}

#[test]
fn gpu_refuses_a_score_matrix_beyond_the_webgpu_limits() {
    let engine = gpu();
    // 8192² f32 = 256 MiB, over WebGPU's default 128 MiB storage binding.
    let q = Array2::<f32>::zeros((8192, 1));
    let result = pollster::block_on(engine.scores(q.view(), q.view(), 1.0));
    assert!(matches!(result, Err(GpuError::TooLarge(_))), "{result:?}");
}

#[test]
fn a_lost_device_becomes_a_cpu_result_with_the_reason() {
    let engine = gpu();
    let (tx, rx) = std::sync::mpsc::channel();
    let engine = {
        drop(engine);
        pollster::block_on(GpuEngine::new(move |why| {
            let _ = tx.send(why);
        }))
        .expect("GPU")
    };
    let q = demo_queries(DEMO_N, DEMO_D);
    let k = demo_keys(DEMO_N, DEMO_D);
    let scale = inverse_sqrt_dim(DEMO_D);

    engine.destroy_device();
    let direct = pollster::block_on(engine.scores(q.view(), k.view(), scale));
    assert!(matches!(direct, Err(GpuError::DeviceLost(_))), "{direct:?}");
    assert!(
        rx.try_recv().is_ok(),
        "the device-lost callback was not called"
    );

    let outcome = pollster::block_on(Engine::Gpu(engine).scores(q.view(), k.view(), scale));
    assert!(matches!(outcome.gpu_failure, Some(GpuError::DeviceLost(_))));
    assert_eq!(outcome.value, cpu::scores(q.view(), k.view(), scale));
}
