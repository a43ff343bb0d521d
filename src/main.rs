//! The binary only mounts the app; everything lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    kernelscope::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kernelscope is a web app: run `scripts/serve.sh` and open the printed address.");
}
