#!/usr/bin/env bash
# Install what is missing, then run every check kernelscope has. Stops at the first failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

# Mesa complains without a runtime dir; give it one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
export CHROMEDRIVER=/usr/bin/chromedriver

step "Format"
cargo fmt --all -- --check

step "Clippy, native"
cargo clippy --all-targets -- -D warnings

step "Clippy, wasm32"
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

step "Golden files reproduce from the independent reference"
bash tools/reference/check.sh

step "Native tests (the GPU tests run on lavapipe)"
cargo test

step "Browser tests in headless Chromium with WebGPU (wasm-bindgen-test)"
cargo test --target wasm32-unknown-unknown --test web

step "Release build of the site"
trunk build --release --offline

step "Bundle size (gzip -9)"
total=0
for file in dist/*.wasm dist/*.js; do
  size=$(gzip -9 -c "$file" | wc -c)
  total=$((total + size))
  printf '%-48s %8d bytes raw %8d bytes gzipped\n' "$(basename "$file")" "$(wc -c <"$file")" "$size"
done
printf '%-48s %8s           %8d bytes gzipped\n' "wasm + js" "" "$total"

step "End-to-end tests in headless Chromium, WebGPU on and off"
(cd e2e && node --test --test-concurrency=1 tests/)
