// kernelscope's forward pass timed alone, as ONNX Runtime's session.run is timed in index.html:
// a module worker of the benchmark's own, served from the site's root (e2e/bench/ort.mjs) so
// that the model's files are fetched by the same relative URLs as in the app. The message names
// the site's wasm-bindgen glue and wasm; `time_forward` (src/engine/bench.rs) fetches the model
// and runs the warm-up and timed passes. One load of the glue serves every message.
let bindings = null;
self.onmessage = async ({ data: { glue, wasm, cases, warmup, reps } }) => {
  try {
    if (!bindings) {
      bindings = await import(glue);
      await bindings.default({ module_or_path: wasm });
    }
    const out = [];
    for (const [n, ids] of cases) {
      out.push({ n, runs: Array.from(await bindings.time_forward(Uint32Array.from(ids), warmup, reps)) });
    }
    self.postMessage({ out });
  } catch (e) {
    self.postMessage({ error: String(e?.message ?? e) });
  }
};
