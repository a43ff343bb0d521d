"""Golden vectors for tests/minilm.rs, from the independent float64 numpy forward pass in convert.py.

- tests/golden/minilm-original.safetensors: the fp32 original on convert.SENTENCES: the token
  ids (the full vocabulary, as the app's), and per kept layer Q, K, V (heads x n x 32), the attention
  (heads x n x n, float32) and the hidden states. Q/K/V/hidden are stored as float16 to keep the
  file small: the tests hold the shipped model to them only within its quantisation error.
- tests/golden/minilm-shipped.safetensors: the shipped weights (assets/model.safetensors,
  dequantised here in numpy) on two texts, one of them long, all in float32; the Rust forward
  pass must match it within 1e-4. A third case swaps layer 0 to elu+1 linear attention.

    python tools/model/model_golden.py [--out FOLDER] [--assets FOLDER]
"""

import argparse
import json
import pathlib

import numpy as np
from safetensors.numpy import load_file, save_file

import convert as C

LONG = (
    "Linear attention replaces the softmax kernel with a product of feature maps, so that the cost "
    "grows with the length of the text rather than with its square. The price is paid in sharpness: "
    "a head that once looked at a single previous word now spreads its weight over many, and the "
    "errors of one layer travel into the next. Teachers who show this to students often start with "
    "a sentence like the one about the cat that the dog chased, because it has a pronoun that must "
    "find its noun, and then move to longer paragraphs where the difference grows."
)


def shipped_weights(assets):
    """Dequantise assets/model.safetensors, assets/layers/ and assets/embeddings/ with the numpy
    decoders (not the Rust loader)."""
    raw = load_file(str(assets / "model.safetensors"))
    raw.update(C.read_layers(assets))
    raw.update({f"{C.WORD_EMBEDDINGS}.{k}": v for k, v in C.read_shards(assets).items()})
    weights = {}
    for name in raw:
        base, _, suffix = name.rpartition(".")
        if suffix == "q8":
            weights[base] = C.dequantise_8bit({"q8": raw[name], "scale": raw[base + ".scale"]})
        elif suffix.startswith("q") and suffix[1:].isdigit():
            weights[base] = C.dequantise_groups({suffix: raw[name], "scale": raw[base + ".scale"], "min": raw[base + ".min"]})
        elif suffix not in ("scale", "min"):
            weights[name] = raw[name]
    return weights


def record(out, prefix, ids, result, dtype):
    # astype keeps a transposed view's memory order, and safetensors writes memory order.
    contiguous = lambda a: np.ascontiguousarray(a.astype(dtype))
    out[f"{prefix}.ids"] = np.array(ids, dtype=np.int32)
    out[f"{prefix}.embeddings"] = contiguous(result["hidden"][0])
    for l in range(len(result["attention"])):
        out[f"{prefix}.l{l}.queries"] = contiguous(result["q"][l])
        out[f"{prefix}.l{l}.keys"] = contiguous(result["k"][l])
        out[f"{prefix}.l{l}.values"] = contiguous(result["v"][l])
        out[f"{prefix}.l{l}.attention"] = np.ascontiguousarray(result["attention"][l].astype(np.float32))
        out[f"{prefix}.l{l}.hidden"] = contiguous(result["hidden"][l + 1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=C.ROOT / "tests" / "golden")
    parser.add_argument("--assets", type=pathlib.Path, default=C.ROOT / "assets")
    args = parser.parse_args()
    original, tokenizer = C.reference()

    golden = {}
    for i, sentence in enumerate(C.SENTENCES):
        ids = tokenizer.encode(sentence).ids
        record(golden, f"s{i}", ids, C.forward(original, ids, C.LAYERS), np.float16)
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(golden, str(args.out / "minilm-original.safetensors"),
              metadata={"generator": "tools/model/model_golden.py", "model": "fp32 original", "sentences": json.dumps(C.SENTENCES)})

    weights = shipped_weights(args.assets)
    cases = [(C.SENTENCES[0], ()), (LONG, ()), (C.SENTENCES[0], (0,))]
    golden = {}
    for i, (text, linear_layers) in enumerate(cases):
        ids = tokenizer.encode(text).ids
        record(golden, f"c{i}", ids, C.forward(weights, ids, C.LAYERS, linear_layers=linear_layers), np.float32)
    save_file(golden, str(args.out / "minilm-shipped.safetensors"),
              metadata={"generator": "tools/model/model_golden.py", "model": "assets/model.safetensors",
                        "cases": json.dumps([{"text": t, "linear_layers": list(l), "map": "elu"} for t, l in cases])})
    print("wrote", args.out / "minilm-original.safetensors", args.out / "minilm-shipped.safetensors")


if __name__ == "__main__":
    main()
