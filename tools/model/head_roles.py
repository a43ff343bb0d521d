"""Which heads of the kept layers do what, measured on the fp32 original (not guessed).

For every head of the first three layers, on the sentences below:
- previous token: mean attention from token i to token i-1 (text tokens only);
- next token: mean attention from token i to token i+1;
- [CLS] sink and [SEP] sink: mean attention of text tokens to [CLS] / [SEP];
- determiner -> noun: in generated "det adj noun" phrases, mean attention from the
  determiner to its noun (two tokens on).
A head gets a role when its score is at least THRESHOLD. Writes tools/model/head_roles.md.

    python tools/model/head_roles.py
"""

import itertools

import numpy as np
import convert as C

THRESHOLD = 0.4
DETS = ["the", "a", "this", "that", "every"]
ADJS = ["big", "old", "red", "small", "new"]
NOUNS = ["dog", "house", "car", "book", "city", "tree", "teacher", "river"]
VERBS = ["saw", "liked", "found"]


def main():
    w, tok = C.reference()
    layers, heads = 3, C.HEADS
    scores = {name: np.zeros((layers, heads)) for name in ("previous", "next", "cls", "sep", "det_noun")}
    counts = {name: 0 for name in scores}
    for sentence in C.SENTENCES:
        ids = tok.encode(sentence).ids
        n = len(ids)
        for l, a in enumerate(C.forward(w, ids, layers)["attention"]):
            text = range(1, n - 1)
            scores["previous"][l] += np.array([np.mean([a[h, i, i - 1] for i in text if i > 1]) for h in range(heads)])
            scores["next"][l] += np.array([np.mean([a[h, i, i + 1] for i in text if i < n - 2]) for h in range(heads)])
            scores["cls"][l] += np.array([np.mean([a[h, i, 0] for i in text]) for h in range(heads)])
            scores["sep"][l] += np.array([np.mean([a[h, i, n - 1] for i in text]) for h in range(heads)])
        for name in ("previous", "next", "cls", "sep"):
            counts[name] += 1
    phrases = 0
    for det, adj, noun, verb, noun2 in itertools.islice(itertools.product(DETS, ADJS, NOUNS, VERBS, NOUNS[::-1]), 0, 400, 13):
        text = f"{det} {adj} {noun} {verb} the {noun2}."
        enc = tok.encode(text)
        if len(enc.ids) != 9:  # [CLS] det adj noun verb the noun2 . [SEP]: every word one token
            continue
        for l, a in enumerate(C.forward(w, enc.ids, layers)["attention"]):
            scores["det_noun"][l] += a[:, 1, 3]
        phrases += 1
    counts["det_noun"] = phrases
    for name in scores:
        scores[name] /= max(counts[name], 1)
    labels = {"previous": "previous token", "next": "next token", "cls": "[CLS] sink", "sep": "[SEP] sink", "det_noun": "determiner → noun"}
    lines = [
        f"Written by `python tools/model/head_roles.py`: {len(C.SENTENCES)} sentences and {phrases} generated",
        f"determiner–adjective–noun phrases, fp32 original. A role is listed where its score is at least {THRESHOLD}.",
        "",
        "| head | previous | next | [CLS] | [SEP] | det → noun | roles |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for l in range(layers):
        for h in range(heads):
            row = {name: scores[name][l, h] for name in scores}
            roles = [labels[name] for name, v in row.items() if v >= THRESHOLD] or ["mixed / content"]
            lines.append(f"| L{l}.H{h} | {row['previous']:.2f} | {row['next']:.2f} | {row['cls']:.2f} | {row['sep']:.2f} | {row['det_noun']:.2f} | {', '.join(roles)} |")
    (C.ROOT / "tools" / "model" / "head_roles.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
