"""Choose the shipped quantisation on tuning text, never on the held-out texts.

    python tools/model/choose_bits.py   # writes tools/model/bits.json, which convert.py ships

The tuning text is tools/hedgehog's training documents (prose, code and records from pinned
packages), the sequences GPTQ calibrates on. Every rounded scheme of tools/fidelity/measure.py
is measured there with the full vocabulary against the fp32 original, all 36 heads; the choice
is the scheme with the fewest bytes (layer matrices plus word embeddings) that meets every
fidelity bar of the model issue on this text. tools/fidelity/measure.py then reports how the
choice does on the held-out texts, which took no part in it.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "fidelity"))
import convert as C  # noqa: E402
import measure as M  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "bits.json"


def meets(figures):
    b = M.BARS
    return (figures["mean_abs_dA"] <= b["mean_abs_dA"] and figures["worst_head_mean_abs_dA"] <= b["worst_head_mean_abs_dA"]
            and figures["top1_agreement"] >= b["top1_agreement"]
            and figures["top1_agreement_ties_within_0.01"] >= b["top1_agreement_ties_within_0.01"]
            and figures["sentence_vector_cosine_min"] >= b["sentence_vector_cosine_min"])


def main():
    original, tokenizer = C.reference()
    ids = M.calibration(tokenizer)
    every_row = list(range(original["embeddings.word_embeddings.weight"].shape[0]))
    rows = []
    for qk, vo, ffn, emb in M.SCHEMES:
        scheme = {"qk": qk, "vo": vo, "ffn": ffn, "embeddings": emb}
        _, weights = C.package(original, every_row, scheme)
        figures = C.fidelity(original, ids, weights, ids)
        size = C.layer_matrix_bytes(original, scheme) + C.encoded_bytes(*original["embeddings.word_embeddings.weight"].shape, emb)
        rows.append({"bits": scheme, **figures, "bytes": size, "meets_bars": meets(figures)})
        print(json.dumps(rows[-1]), flush=True)
    chosen = min((r for r in rows if r["meets_bars"]), key=lambda r: r["bytes"])
    OUT.write_text(json.dumps({
        "generator": "tools/model/choose_bits.py",
        "tuning_text": f"{len(ids)} sequences of tools/hedgehog's training documents ({sum(map(len, ids))} tokens)",
        "rule": "fewest bytes among the schemes that meet every bar on the tuning text",
        "bars": {k: v for k, v in M.BARS.items() if k != "top1_agreement_per_kind"},
        "chosen": chosen["bits"], "schemes": rows}, indent=1) + "\n")
    print("chosen", chosen["bits"])


if __name__ == "__main__":
    main()
