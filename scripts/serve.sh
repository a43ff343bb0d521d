#!/usr/bin/env bash
# Install what is missing, then serve kernelscope at http://127.0.0.1:8080 with live rebuilds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
step "Serving on http://127.0.0.1:8080 (Ctrl-C to stop)"
exec trunk serve --offline "$@"
