#!/usr/bin/env bash
# Install what is missing, then run every check kernelscope has. Stops at the first failure, and
# prints every step's wall time at the end either way.
set -euo pipefail
trap 'print_step_times $?' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

# Mesa complains without a runtime dir; give it one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
export CHROMEDRIVER=/usr/bin/chromedriver

begin_step "Format"
cargo fmt --all -- --check

begin_step "Clippy, native"
cargo clippy --all-targets -- -D warnings

begin_step "Clippy, wasm32"
cargo clippy --target wasm32-unknown-unknown --all-targets --all-features -- -D warnings

begin_step "Golden files reproduce from the independent reference"
bash tools/reference/check.sh

begin_step "Native tests (the GPU tests run on lavapipe)"
cargo test

begin_step "Browser tests in headless Chromium with WebGPU (wasm-bindgen-test)"
cargo test --target wasm32-unknown-unknown --test web

begin_step "Release build of the site"
trunk build --release --offline

begin_step "Bundle size (gzip -9)"
total=0
for file in dist/*.wasm dist/*.js; do
  size=$(gzip -9 -c "$file" | wc -c)
  total=$((total + size))
  printf '%-48s %8d bytes raw %8d bytes gzipped\n' "$(basename "$file")" "$(wc -c <"$file")" "$size"
done
printf '%-48s %8s           %8d bytes gzipped\n' "wasm + js" "" "$total"

begin_step "End-to-end tests in headless Chromium, WebGPU on and off"
(cd e2e && node --test --test-concurrency=1 tests/)
