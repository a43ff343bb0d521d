"""Expected WordPiece tokenizations from the reference tokenizer (Hugging Face `tokenizers`,
configured from the model's own tokenizer.json), for tests/tokenizer.rs.

Text: held-out English prose (the Python language reference that ships with CPython, in
`pydoc_data.topics`) plus generated lines that stress Unicode handling: emoji, CJK, Hangul,
right-to-left scripts, combining marks, control and zero-width characters, private-use and
unassigned code points, long words, markup, and the empty string.

Each line is tokenized with the full vocabulary (`ids`, `offsets`), which the app ships.

    python tools/model/tokenizer_golden.py     # needs tools/model/convert.py's download
"""

import argparse
import hashlib
import json
import pathlib
import random

import pydoc_data.topics
from tokenizers import Tokenizer

import convert

OUT = convert.ROOT / "tests" / "golden"

RANGES = [
    (0x20, 0x7E, 40), (0x00, 0x1F, 3), (0x7F, 0x9F, 2), (0xA0, 0xFF, 6), (0x100, 0x24F, 5),
    (0x300, 0x36F, 5), (0x370, 0x3FF, 3), (0x400, 0x4FF, 3), (0x590, 0x5FF, 3), (0x600, 0x6FF, 3),
    (0x900, 0x97F, 2), (0xE00, 0xE7F, 2), (0x1100, 0x11FF, 1), (0x1E00, 0x1EFF, 3), (0x2000, 0x206F, 3),
    (0x3000, 0x30FF, 3), (0x3400, 0x4DBF, 1), (0x4E00, 0x9FFF, 5), (0xAC00, 0xD7A3, 2),
    (0xE000, 0xE0FF, 1), (0xF900, 0xFAFF, 1), (0xFE00, 0xFE0F, 1), (0xFEFF, 0xFEFF, 1), (0xFF00, 0xFFEF, 2),
    (0x1F300, 0x1FAFF, 6), (0x20000, 0x2A6DF, 1), (0x2B820, 0x2CEAF, 1), (0x2FFF0, 0x2FFFF, 1), (0xE0000, 0xE007F, 1),
]


def stress_lines(count, rng):
    weights = [w for _, _, w in RANGES]
    lines = ["", " ", "\t\n", "<img src=x onerror=alert(1)>", "a" * 150, "Ünïcödé naïveté café résumé",
             "The cat that the dog chased ran up the tree because it was scared.",
             "ΟΔΥΣΣΕΥΣ ὀδυσσεύς", "İstanbul ǅemal ß ﬁ", "e\u0301 n\u0303 a\u030a\u0327"]
    while len(lines) < count:
        chars = []
        for _ in range(rng.randint(1, 40)):
            lo, hi, _ = rng.choices(RANGES, weights)[0]
            cp = rng.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            chars.append(chr(cp))
            if rng.random() < 0.2:
                chars.append(" ")
        lines.append("".join(chars))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help="folder for the golden files")
    parser.add_argument("--assets", type=pathlib.Path, default=convert.ROOT / "assets")
    args = parser.parse_args()
    out = args.out
    src = convert.fetch()
    tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    prose = [line for topic in pydoc_data.topics.topics.values() for line in topic.split("\n") if line.strip()]
    rng = random.Random(20261129)
    lines = rng.sample(prose, 3000) + stress_lines(1200, rng)
    records = []
    for text in lines:
        enc = tokenizer.encode(text, add_special_tokens=False)
        records.append({"text": text, "ids": enc.ids, "offsets": [x for pair in enc.offsets for x in pair]})
    vocab = (src / "vocab.txt").read_bytes()
    out.mkdir(parents=True, exist_ok=True)
    (out / "minilm-vocab.txt").write_bytes(vocab)
    payload = {
        "generator": "tools/model/tokenizer_golden.py",
        "reference": "tokenizers " + __import__("tokenizers").__version__ + " with the model's tokenizer.json",
        "vocab": "tests/golden/minilm-vocab.txt (all-MiniLM-L6-v2, Apache-2.0)",
        "vocab_sha256": hashlib.sha256(vocab).hexdigest(),
        "lines": records,
    }
    (out / "tokenizer.json").write_text(json.dumps(payload, ensure_ascii=True) + "\n")
    print(f"wrote {len(records)} lines")


if __name__ == "__main__":
    main()
