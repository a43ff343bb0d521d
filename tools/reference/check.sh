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
"$venv/bin/python" "$root/tools/model/tiny_golden.py" --out "$out" >/dev/null
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
for file in scores.json attention.json random_features.json tokenizer.json minilm-vocab.txt \
  tiny-model.safetensors tiny-forward.json; do
  if same "$out/$file" "$root/tests/golden/$file"; then
    echo "tests/golden/$file: reproduced exactly"
  else
    echo "tests/golden/$file differs from what tools/reference writes" >&2
    status=1
  fi
done
rm -rf "$out"
exit $status
