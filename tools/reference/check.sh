#!/usr/bin/env bash
# Regenerate the golden files in a private venv with the pinned numpy, and fail if they differ
# from the committed ones: the goldens come from this script and nothing else.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/reference-venv"
stamp="$venv/.requirements"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$here/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi
out="$(mktemp -d)"
"$venv/bin/python" "$here/scores.py" --out "$out/scores.json"
if cmp -s "$out/scores.json" "$root/tests/golden/scores.json"; then
  echo "tests/golden/scores.json: reproduced exactly"
else
  echo "tests/golden/scores.json differs from what tools/reference/scores.py writes" >&2
  exit 1
fi
