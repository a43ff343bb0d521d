//! Copies `shaders/*.wgsl` into `OUT_DIR` without comments or indentation, for `include_str!`.
//! The wasm carries every kernel's source, and the comments were two fifths of it (2.8 KB of
//! the gzipped bundle). Each line stays where it was, so a compile error's line number still
//! points into the file under `shaders/`.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=shaders");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shaders");
    fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for entry in fs::read_dir("shaders").expect("shaders/ beside Cargo.toml") {
        let path = entry.expect("a readable directory entry").path();
        let (Some(name), Some("wgsl")) =
            (path.file_name(), path.extension().and_then(|e| e.to_str()))
        else {
            continue;
        };
        let source = fs::read_to_string(&path).expect("a readable WGSL file");
        // WGSL has no string literals, so `//` always starts a comment.
        let code: String = source
            .lines()
            .map(|line| line.split_once("//").map_or(line, |(code, _)| code).trim())
            .flat_map(|line| [line, "\n"])
            .collect();
        fs::write(out.join(name), code).expect("OUT_DIR is writable");
    }
}
