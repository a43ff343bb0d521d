"""A tiny random BERT in kernelscope's model format, and its float64 forward pass, for
tests/model.rs: the Rust loader and forward pass are checked on weights made here, in every
storage encoding (f32, 8-bit rows, 3-, 4- and 5-bit groups), independently of the shipped model.

    python tools/model/tiny_golden.py [--out FOLDER]
"""

import argparse
import json
import pathlib

import numpy as np
from safetensors.numpy import save_file

import convert as C

HIDDEN, HEADS, LAYERS, INTER, VOCAB, POSITIONS = 64, 4, 2, 128, 40, 16


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=C.ROOT / "tests" / "golden")
    out = parser.parse_args().out
    rng = np.random.default_rng(42)
    f32 = lambda *shape, s=0.2: (s * rng.standard_normal(shape)).astype(np.float32)
    original = {
        "embeddings.word_embeddings.weight": f32(VOCAB, HIDDEN, s=0.5),
        "embeddings.position_embeddings.weight": f32(POSITIONS, HIDDEN, s=0.3),
        "embeddings.token_type_embeddings.weight": f32(2, HIDDEN, s=0.1),
        "embeddings.LayerNorm.weight": (1 + f32(HIDDEN, s=0.1)),
        "embeddings.LayerNorm.bias": f32(HIDDEN, s=0.1),
    }
    for l in range(LAYERS):
        p = f"encoder.layer.{l}."
        for name, rows, cols in [("attention.self.query", HIDDEN, HIDDEN), ("attention.self.key", HIDDEN, HIDDEN),
                                 ("attention.self.value", HIDDEN, HIDDEN), ("attention.output.dense", HIDDEN, HIDDEN),
                                 ("intermediate.dense", INTER, HIDDEN), ("output.dense", HIDDEN, INTER)]:
            original[p + name + ".weight"] = f32(rows, cols, s=0.25)
            original[p + name + ".bias"] = f32(rows, s=0.05)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            original[p + norm + ".weight"] = 1 + f32(HIDDEN, s=0.1)
            original[p + norm + ".bias"] = f32(HIDDEN, s=0.1)
    shipped, dequantised = {}, {}
    # Every encoding appears: 5-bit embeddings, 3-bit FFN output, 4-bit value/output/FFN input,
    # 8-bit positions and Q/K, f32 token types.
    bits = {"embeddings.word_embeddings.weight": 5, "embeddings.position_embeddings.weight": 8,
            "attention.self.query.weight": 8, "attention.self.key.weight": 8, "attention.self.value.weight": 4,
            "attention.output.dense.weight": 4, "intermediate.dense.weight": 4, "output.dense.weight": 3}
    for name, value in original.items():
        suffix = name.split("encoder.layer.")[-1].split(".", 1)[-1] if name.startswith("encoder.") else name
        encoded, dequantised[name] = C.quantise(value, bits.get(suffix, 32))
        for key, part in encoded.items():
            shipped[f"{name}.{key}" if key else name] = part
    out.mkdir(parents=True, exist_ok=True)
    save_file(shipped, str(out / "tiny-model.safetensors"), metadata=C.file_metadata(HEADS))
    cases = []
    for ids in ([2, 7, 11, 3], [2] + list(range(5, 18)) + [3], [2, 39, 39, 39, 0, 3]):
        for linear_layers in ((), (0,)):
            r = C.forward(dequantised, ids, LAYERS, heads=HEADS, linear_layers=linear_layers)
            cases.append({
                "ids": ids,
                "linear_layers": list(linear_layers),
                "embeddings": r["hidden"][0].ravel().tolist(),
                "layers": [
                    {"queries": r["q"][l].ravel().tolist(), "keys": r["k"][l].ravel().tolist(),
                     "values": r["v"][l].ravel().tolist(), "attention": r["attention"][l].ravel().tolist(),
                     "hidden": r["hidden"][l + 1].ravel().tolist()}
                    for l in range(LAYERS)
                ],
            })
    doc = {"generator": "tools/model/tiny_golden.py", "hidden": HIDDEN, "heads": HEADS, "layers": LAYERS,
           "intermediate": INTER, "vocab": VOCAB, "positions": POSITIONS, "cases": cases}
    (out / "tiny-forward.json").write_text(json.dumps(doc) + "\n")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
