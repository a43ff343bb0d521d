#!/usr/bin/env bash
# Regenerate the golden files in a private venv with the pinned numpy, and fail if they differ
# from the committed ones: the goldens come from these scripts and nothing else.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/reference-venv"
stamp="$venv/.requirements"
requirements="$(cat "$here/requirements.txt" "$root/tools/model/requirements.txt")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$requirements" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" -r "$root/tools/model/requirements.txt"
  printf '%s' "$requirements" >"$stamp"
fi
out="$(mktemp -d)"
"$venv/bin/python" "$here/scores.py" --out "$out/scores.json"
"$venv/bin/python" "$here/attention.py" --out "$out"
# The tokenizer's expected output comes from the reference tokenizer on the model's own files
# (downloaded once, sha256-checked, into target/model-source).
"$venv/bin/python" "$root/tools/model/tokenizer_golden.py" --out "$out" >/dev/null
status=0
for file in scores.json attention.json random_features.json tokenizer.json minilm-vocab.txt; do
  if cmp -s "$out/$file" "$root/tests/golden/$file"; then
    echo "tests/golden/$file: reproduced exactly"
  else
    echo "tests/golden/$file differs from what tools/reference writes" >&2
    status=1
  fi
done
rm -rf "$out"
exit $status
