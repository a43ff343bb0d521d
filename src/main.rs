//! The binary only mounts the app; everything lives in the library. The same wasm also runs the
//! engine in a Web Worker (`src/engine/engine_loader.js` calls `start_engine`), where there is
//! no page to mount.

#[cfg(target_arch = "wasm32")]
fn main() {
    if kernelscope::ui::in_a_page() {
        kernelscope::ui::start();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kernelscope is a web app: run `scripts/serve.sh` and open the printed address.");
}
