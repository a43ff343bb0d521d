// The engine worker's entry (a module worker). The page sends the URL of its wasm-bindgen glue
// and its compiled WebAssembly.Module, so the worker runs the same wasm without fetching it
// again; then the engine takes over the messages. A failure is thrown from a task of its own,
// so that the page sees an `error` event on the worker and can restart it.
self.onmessage = async (event) => {
  self.onmessage = null;
  try {
    const { glue, module } = event.data;
    const bindings = await import(glue);
    const exports = await bindings.default({ module_or_path: module });
    // The engine's wasm memory, for the e2e suite's memory figure (its heap after the model loads).
    self.__kernelscopeMemory = exports.memory;
    bindings.start_engine();
  } catch (e) {
    setTimeout(() => {
      throw e;
    });
  }
};
