#!/usr/bin/env bash
# Install whatever kernelscope's build and tests need, and skip what is already there.
# Sourced by scripts/serve.sh and scripts/test.sh; safe to run again and again.
# Nothing here downloads a prebuilt binary: Rust tools come from crates.io, wasm-opt and
# playwright-core from npm, Chromium and lavapipe from Debian.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.22.1"
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock")"

export PATH="$ROOT/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# shellcheck source=scripts/steps.sh
source "$ROOT/scripts/steps.sh"

# Tools are built once and reused, so build them lean: no LTO, light optimisation.
lean_cargo_install() {
  CARGO_PROFILE_RELEASE_LTO=off \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
  CARGO_PROFILE_RELEASE_DEBUG=0 \
  CARGO_PROFILE_RELEASE_STRIP=true \
    cargo "$@"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  compgen -G '/usr/share/vulkan/icd.d/lvp_icd.*.json' >/dev/null || missing+=(mesa-vulkan-drivers)
  # Capture, then test: grep -q closing a pipe early would fail it under pipefail.
  [ -n "$(ldconfig -p | grep 'libvulkan.so.1 ')" ] || missing+=(libvulkan1)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  # The release build's CSP hook (scripts/csp.py) and the golden-file venv need Python.
  command -v python3 >/dev/null || missing+=(python3)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "Debian packages: present"
    return
  fi
  step "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_rust_pieces() {
  if ! grep -qx wasm32-unknown-unknown <<<"$(rustup target list --installed)"; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local installed
  installed="$(rustup component list --installed)"
  for component in clippy rustfmt; do
    if ! grep -q "^$component" <<<"$installed"; then
      step "Adding $component"
      rustup component add "$component"
    fi
  done
  echo "Rust: $(rustc --version), wasm32 target present"
}

install_trunk() {
  if [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ]; then
    echo "trunk $TRUNK_VERSION: present"
    return
  fi
  # trunk 0.22 needs rustc >= 1.96.1; where stable is older, the machine's nightly builds it.
  local toolchain=() rustc_version
  rustc_version="$(rustc --version | awk '{print $2}')"
  if [ "$(printf '%s\n' 1.96.1 "$rustc_version" | sort -V | head -n1)" != "1.96.1" ]; then
    grep -q '^nightly' <<<"$(rustup toolchain list)" || rustup toolchain install nightly --profile minimal
    toolchain=(+nightly)
  fi
  step "Building trunk $TRUNK_VERSION (about 10 minutes, once)"
  # No default features: they include an update check that would reach the network.
  lean_cargo_install "${toolchain[@]}" install trunk --version "$TRUNK_VERSION" --locked \
    --no-default-features --features rustls
}

install_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] \
    && command -v wasm-bindgen-test-runner >/dev/null; then
    echo "wasm-bindgen-cli $WASM_BINDGEN_VERSION: present"
    return
  fi
  step "Building wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its lock pins a crate release the registry mirror lacks.
  lean_cargo_install install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
}

install_node_packages() {
  # playwright-core (never its browser download) and binaryen's wasm-opt, pinned by package-lock.json.
  local stamp="$ROOT/e2e/node_modules/.kernelscope-lock"
  local want
  want="$(sha256sum "$ROOT/e2e/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "node packages: present ($(wasm-opt --version))"
    return
  fi
  step "Installing node packages (playwright-core, binaryen)"
  (cd "$ROOT/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  echo "$want" >"$stamp"
}

begin_step "Tools: Debian packages (Chromium, lavapipe, node, python)"
install_debian_packages
begin_step "Tools: Rust target and components"
install_rust_pieces
begin_step "Tools: trunk"
install_trunk
begin_step "Tools: wasm-bindgen-cli"
install_wasm_bindgen
begin_step "Tools: node packages (wasm-opt, playwright-core)"
install_node_packages
close_step
