"""Independent reference for the attention scores S = Q·Kᵀ/√d.

Writes tests/golden/scores.json. The Rust code never writes golden files; this script,
in float64 numpy, is the only source of expected values.

    pip install -r tools/reference/requirements.txt
    python tools/reference/scores.py
"""

import argparse
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "scores.json"


def demo_inputs(n, d):
    """The app's fixed example: exact multiples of 1/4, so f32 holds them exactly."""
    i = np.arange(n)[:, None]
    c = np.arange(d)[None, :]
    q = ((7 * i + 5 * c + 3) % 17) / 4.0 - 2.0
    k = ((11 * i + 3 * c + 1) % 13) / 4.0 - 1.5
    return q, k


def scores(q, k):
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    return (q @ k.T) / np.sqrt(q.shape[1])


def case(name, q, k):
    # Inputs are rounded to f32 first: the Rust side computes in f32 from the same numbers.
    q = q.astype(np.float32)
    k = k.astype(np.float32)
    s = scores(q, k)
    return {
        "name": name,
        "n_q": int(q.shape[0]),
        "n_k": int(k.shape[0]),
        "d": int(q.shape[1]),
        "scale": float(1.0 / np.sqrt(q.shape[1])),
        "q": q.astype(np.float64).ravel().tolist(),
        "k": k.astype(np.float64).ravel().tolist(),
        "scores": s.ravel().tolist(),
        "checksum": float(s.sum()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    out = parser.parse_args().out
    rng = np.random.default_rng(20261129)
    cases = [case("demo", *demo_inputs(16, 32))]
    # Shapes that do not fill the 8×8 workgroups, single tokens, tiny and wide heads.
    for n_q, n_k, d in [(1, 1, 2), (5, 9, 3), (17, 23, 64), (64, 64, 32), (100, 37, 16)]:
        q = rng.standard_normal((n_q, d))
        k = rng.standard_normal((n_k, d))
        cases.append(case(f"random_{n_q}x{n_k}_d{d}", q, k))
    # Large scores: the dot products reach the hundreds.
    q = rng.standard_normal((12, 32)) * 6.0
    k = rng.standard_normal((12, 32)) * 6.0
    cases.append(case("large_12x12_d32", q, k))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"generator": "tools/reference/scores.py", "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
