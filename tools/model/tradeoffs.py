"""Measure what quantisation costs in attention fidelity, against the fp32 original.

For each scheme: bits for the query/key weights, the value/output weights, the feed-forward
weights and the word embeddings ("8" = 8 bits per row, "4"/"3" = that many bits in groups of
32 with float16 scale and minimum, "32" = unquantised). Fidelity over the first three layers on
the sentences below: mean |ΔA| and the share of query rows whose most-attended token is
unchanged; and the same share counting a changed choice as agreeing when the token chosen now had,
in the original, a weight within 0.01 of the row's maximum (a near-tie). Sizes are the bytes those tensors take, for 3 layers and a vocabulary of V words.

    python tools/model/tradeoffs.py
"""

import numpy as np
import convert as C

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
GROUP = 32


def groups(w, bits):
    rows, cols = w.shape
    g = w.reshape(rows, cols // GROUP, GROUP)
    lo, hi = g.min(2), g.max(2)
    top = 2**bits - 1
    scale = ((hi - lo) / top).astype(np.float16).astype(np.float32)
    lo = lo.astype(np.float16).astype(np.float32)
    q = np.clip(np.round((g - lo[..., None]) / np.where(scale == 0, 1, scale)[..., None]), 0, top)
    return (q * scale[..., None] + lo[..., None]).reshape(rows, cols)


def rows8(w):
    s = np.abs(w).max(1) / 127
    s[s == 0] = 1
    return np.round(w / s[:, None]) * s[:, None]


def quantise(w, bits):
    if bits == 32:
        return w, w.size * 4
    if bits == 8:
        return rows8(w), w.size + w.shape[0] * 4
    return groups(w, bits), w.size * bits / 8 + w.size / GROUP * 4


def main():
    original, tok = C.reference()
    ids = [tok.encode(s).ids for s in SENTENCES]
    reference = [C.forward(original, x, 3)["attention"] for x in ids]
    parts = {
        "qk": ["attention.self.query.weight", "attention.self.key.weight"],
        "vo": ["attention.self.value.weight", "attention.output.dense.weight"],
        "ffn": ["intermediate.dense.weight", "output.dense.weight"],
    }
    print("| Q,K | V,O | FFN | embeddings | mean abs dA | top-1 agreement | top-1, ties within 0.01 | layers (MB) | embeddings, V=10k / 30.5k (MB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scheme in [(32, 32, 32, 32), (8, 8, 8, 8), (8, 4, 8, 8), (8, 8, 4, 8), (8, 8, 8, 4), (8, 4, 4, 8), (8, 4, 4, 4), (4, 4, 4, 4), (8, 4, 3, 4), (4, 3, 3, 3)]:
        w = dict(original)
        layer_bytes = 0
        for l in range(3):
            for part, bits in zip(("qk", "vo", "ffn"), scheme[:3]):
                for name in parts[part]:
                    key = f"encoder.layer.{l}.{name}"
                    w[key], size = quantise(original[key], bits)
                    layer_bytes += size
        emb = original["embeddings.word_embeddings.weight"]
        w["embeddings.word_embeddings.weight"], emb_bytes = quantise(emb, scheme[3])
        diffs, agree, tied = [], [], []
        for x, ref in zip(ids, reference):
            for a, b in zip(ref, C.forward(w, x, 3)["attention"]):
                diffs.append(np.abs(a - b).mean())
                agree.append((a.argmax(-1) == b.argmax(-1)).mean())
                chosen = np.take_along_axis(a, b.argmax(-1)[..., None], -1)[..., 0]
                tied.append((chosen >= a.max(-1) - 0.01).mean())
        per_word = emb_bytes / emb.shape[0]
        print(f"| {scheme[0]} | {scheme[1]} | {scheme[2]} | {scheme[3]} | {np.mean(diffs):.4f} | {100 * np.mean(agree):.1f}% | {100 * np.mean(tied):.1f}% "
              f"| {layer_bytes / 1e6:.2f} | {per_word * 10000 / 1e6:.2f} / {per_word * 30522 / 1e6:.2f} |", flush=True)


if __name__ == "__main__":
    main()
