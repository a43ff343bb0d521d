"""Independent float64 reference for kernelscope's attention math core.

Writes tests/golden/attention.json: inputs, softmax and linear attention for every feature map,
in both masks, and every metric. The Rust code never writes golden files. Formulas here are
the textbook ones, computed directly in float64 (no log-scale bookkeeping, no stabilisation
tricks beyond softmax's max subtraction), so they check the Rust code rather than copy it.
Only the random-feature draw follows the same spec (SplitMix64 + Box-Muller), implemented
again here, and orthogonal blocks come from numpy's QR instead of Gram-Schmidt.

    pip install -r tools/reference/requirements.txt
    python tools/reference/attention.py [--out FILE]
"""

import argparse
import json
import math
import pathlib

import numpy as np

GOLDEN = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden"
MASK64 = (1 << 64) - 1
DEGENERATE_THRESHOLD = 1e-6
RANK_TOLERANCE = 1e-4
DISTINCT_QUERY_TOLERANCE = 1e-3
SAME_ROW_TOLERANCE = 1e-3


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def gaussian(self):
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def projection(d, m, seed, orthogonal):
    rng = SplitMix64(seed)
    if not orthogonal or d == 0:
        return np.array([[rng.gaussian() for _ in range(d)] for _ in range(m)]).reshape(m, d)
    rows = []
    while len(rows) < m:
        g = np.array([[rng.gaussian() for _ in range(d)] for _ in range(d)])
        q, r = np.linalg.qr(g.T)
        q = q * np.sign(np.diag(r))  # the QR whose R has a positive diagonal is Gram-Schmidt's
        rows.extend(q.T[: min(d, m - len(rows))])
    w = np.array(rows)
    norms = np.array([math.sqrt(sum(rng.gaussian() ** 2 for _ in range(d))) for _ in range(m)])
    return w * norms[:, None]


def feature_map(spec, x, scale, hedgehog, seq_len):
    kind = spec["kind"]
    n, d = x.shape
    if kind == "identity":
        return x
    if kind == "elu_plus_one":
        return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "relu_squared":
        return np.maximum(x, 0.0) ** 2
    if kind in ("performer", "trig"):
        w = projection(d, spec["m"], spec["seed"], spec["orthogonal"])
        xs = x * math.sqrt(scale)
        u = xs @ w.T
        sq = 0.5 * np.sum(xs * xs, axis=1, keepdims=True)
        m = spec["m"]
        if kind == "performer":
            return np.exp(u - sq) / math.sqrt(m)
        return np.exp(sq) / math.sqrt(m) * np.concatenate([np.sin(u), np.cos(u)], axis=1)
    if kind == "cos_former":
        angle = (math.pi / 2) * np.arange(n)[:, None] / max(seq_len, n, 1)
        r = np.maximum(x, 0.0)
        return np.concatenate([r * np.cos(angle), r * np.sin(angle)], axis=1)
    if kind == "taylor":
        outer = np.einsum("na,nb->nab", x, x).reshape(n, d * d)
        return np.concatenate([np.ones((n, 1)), math.sqrt(scale) * x, scale / math.sqrt(2) * outer], axis=1)
    if kind == "hedgehog":
        u = x @ hedgehog["w"].T + hedgehog["b"]
        return np.concatenate([np.exp(u), np.exp(-u)], axis=1)
    raise ValueError(kind)


def visible(mask, i, n_k):
    return n_k if mask == "bidirectional" else min(i + 1, n_k)


def softmax_attention(q, k, v, scale, mask):
    s = scale * (q @ k.T)
    a = np.zeros_like(s)
    for i in range(s.shape[0]):
        n = visible(mask, i, s.shape[1])
        row = s[i, :n] - s[i, :n].max()
        e = np.exp(row)
        a[i, :n] = e / e.sum()
    return a, a @ v


def linear_attention(fq, fk, v, mask):
    kern = fq @ fk.T
    a = np.zeros_like(kern)
    degenerate = []
    for i in range(kern.shape[0]):
        n = visible(mask, i, kern.shape[1])
        den = kern[i, :n].sum()
        bound = np.abs(fq[i]) @ np.abs(fk[:n]).sum(axis=0)
        if not np.isfinite(den) or abs(den) <= DEGENERATE_THRESHOLD * bound:
            degenerate.append(i)
            a[i, :n] = 1.0 / n
        else:
            a[i, :n] = kern[i, :n] / den
    return a, a @ v, degenerate


def mean_of(values):
    return "inf" if "inf" in values else float(np.mean(values))


def distribution(row):
    p = np.maximum(row, 0.0)
    total = p.sum()
    return p / total if total > 0 else p


def entropy(row):
    p = distribution(row)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def kl(p_row, q_row):
    p, q = distribution(p_row), distribution(q_row)
    total = 0.0
    for pj, qj in zip(p, q):
        if pj > 0:
            if qj <= 0:
                return "inf"
            total += pj * math.log(pj / qj)
    return max(total, 0.0)


def tv(p, q):
    return float(0.5 * np.abs(p - q).sum())


def spectrum(a):
    sv = np.linalg.svd(a, compute_uv=False)
    total = sv.sum()
    p = sv / total if total > 0 else sv
    p = p[p > 0]
    erank = float(np.exp(-(p * np.log(p)).sum())) if total > 0 else 0.0
    rank = int((sv > sv[0] * RANK_TOLERANCE).sum()) if len(sv) else 0
    return {"singular_values": sv.tolist(), "effective_rank": erank, "numerical_rank": rank}


def collisions(q, a):
    norms = np.linalg.norm(q, axis=1)
    found = []
    for i in range(q.shape[0]):
        for j in range(i + 1, q.shape[0]):
            gap = np.linalg.norm(q[i] - q[j])
            distinct = gap > DISTINCT_QUERY_TOLERANCE * max(norms[i], norms[j], 1e-38)
            if distinct and tv(a[i], a[j]) <= SAME_ROW_TOLERANCE:
                found.append([i, j])
    return found


def pearson(x, y):
    """Pearson correlation, 0 when either side is constant."""
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def kernel_summary(q, k, scale, fq, fk, keep_matrix):
    exact = np.exp(scale * (q @ k.T))
    approx = fq @ fk.T
    diff = approx - exact
    out = {
        "mse": float((diff**2).mean()),
        "max_relative_error": float((np.abs(diff) / exact).max()),
        "correlation": pearson(exact.ravel(), approx.ravel()),
        "relative_frobenius": float(np.linalg.norm(diff) / np.linalg.norm(exact)),
    }
    if keep_matrix:
        out["exact"] = exact.ravel().tolist()
        out["approx"] = approx.ravel().tolist()
    return out


def maps_for(d):
    return [
        {"kind": "identity"},
        {"kind": "elu_plus_one"},
        {"kind": "relu"},
        {"kind": "relu_squared"},
        {"kind": "performer", "m": 32, "seed": 7, "orthogonal": True},
        {"kind": "performer", "m": 24, "seed": 11, "orthogonal": False},
        {"kind": "trig", "m": 16, "seed": 5, "orthogonal": False},
        {"kind": "trig", "m": 16, "seed": 9, "orthogonal": True},
        {"kind": "cos_former"},
        {"kind": "taylor"},
        {"kind": "hedgehog"},
    ]


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def flat(a):
    return np.asarray(a).ravel().tolist()


def build_case(name, q, k, v, rng, summary_only=False, causal_maps=None):
    q, k, v = f32(q), f32(k), f32(v)
    n, d = q.shape
    scale = 1.0 / math.sqrt(d)
    hedgehog = {"w": f32(np.eye(d) + 0.3 * rng.standard_normal((d, d))), "b": f32(0.1 * rng.standard_normal(d))}
    case = {
        "name": name, "n": n, "d": d, "d_v": v.shape[1], "scale": scale,
        "q": flat(q), "k": flat(k), "v": flat(v),
        "hedgehog": {"w": flat(hedgehog["w"]), "b": flat(hedgehog["b"])},
        "summary_only": summary_only,
        "softmax": {}, "maps": [],
    }
    masks = ["bidirectional", "causal"]
    softmax = {}
    for mask in masks:
        a, o = softmax_attention(q, k, v, scale, mask)
        softmax[mask] = (a, o)
        entry = {"output": flat(o), "entropy": [entropy(r) for r in a]}
        if summary_only:
            entry["entropy_mean"] = mean_of(entry.pop("entropy"))
        else:
            entry["weights"] = flat(a)
            entry["spectrum"] = spectrum(a)
        case["softmax"][mask] = entry
    for spec in maps_for(d):
        fq = feature_map(spec, q, scale, hedgehog, n)
        fk = feature_map(spec, k, scale, hedgehog, n)
        entry = {"spec": spec, "feature_dim": fq.shape[1], "kernel": kernel_summary(q, k, scale, fq, fk, not summary_only), "masks": {}}
        if spec["kind"] in ("performer", "trig"):
            entry["projection"] = flat(projection(d, spec["m"], spec["seed"], spec["orthogonal"]))
        for mask in masks:
            if summary_only and causal_maps is not None and mask == "causal" and spec["kind"] not in causal_maps:
                continue
            a, o = softmax[mask]
            a_hat, o_hat, degenerate = linear_attention(fq, fk, v, mask)
            per_row = np.linalg.norm(o - o_hat, axis=1)
            m_entry = {
                "output": flat(o_hat),
                "degenerate_rows": degenerate,
                "entropy_linear": [entropy(r) for r in a_hat],
                "kl": [kl(x, y) for x, y in zip(a, a_hat)],
                "tv": [tv(x, y) for x, y in zip(a, a_hat)],
                "relative_frobenius": float(np.linalg.norm(a_hat - a) / np.linalg.norm(a)),
                "output_error": {
                    "per_row": per_row.tolist(),
                    "total": float(np.linalg.norm(o - o_hat)),
                    "relative": float(np.linalg.norm(o - o_hat) / np.linalg.norm(o)) if np.linalg.norm(o) > 0 else 0.0,
                },
            }
            if summary_only:
                # Per-row lists of a 1024-token case would bloat the file; their means still pin them.
                for key in ("entropy_linear", "kl", "tv"):
                    m_entry[key + "_mean"] = mean_of(m_entry.pop(key))
                m_entry["output_error"]["per_row"] = m_entry["output_error"]["per_row"][:16]
            if not summary_only:
                m_entry["weights"] = flat(a_hat)
                m_entry["spectrum"] = spectrum(a_hat)
                m_entry["collisions"] = collisions(q, a_hat)
            entry["masks"][mask] = m_entry
        case["maps"].append(entry)
    return case


def error_vs_m(q, k, family, orthogonal, ms, seeds):
    q, k = f32(q), f32(k)
    scale = 1.0 / math.sqrt(q.shape[1])
    exact = np.exp(scale * (q @ k.T))
    rows = []
    for m in ms:
        errors = []
        for seed in seeds:
            spec = {"kind": family, "m": m, "seed": seed, "orthogonal": orthogonal}
            approx = feature_map(spec, q, scale, None, q.shape[0]) @ feature_map(spec, k, scale, None, q.shape[0]).T
            errors.append(float(np.linalg.norm(approx - exact) / np.linalg.norm(exact)))
        rows.append({"m": m, "mean": float(np.mean(errors)), "spread": float(np.std(errors)), "per_seed": errors})
    return rows


def extreme_scale_case(name, q, k, v):
    """Untrained Hedgehog (W = I, b = 0) on scores so large that f64 cannot hold exp(±q·k):
    every kernel value computed exactly in 60-digit decimal arithmetic, then rounded."""
    from decimal import Decimal, getcontext

    getcontext().prec = 60
    kernel = lambda qi, kj: sum(Decimal(a + b).exp() + Decimal(-(a + b)).exp() for a, b in zip(qi, kj))
    out = {"name": name, "q": q, "k": k, "v": v, "d": len(q[0]), "masks": {}}
    for mask in ("bidirectional", "causal"):
        weights = []
        for i, qi in enumerate(q):
            seen = visible(mask, i, len(k))
            row = [kernel(qi, kj) for kj in k[:seen]]
            total = sum(row)
            weights.append([float(x / total) for x in row] + [0.0] * (len(k) - seen))
        output = (np.array(weights) @ np.array(v, dtype=np.float64)).tolist()
        out["masks"][mask] = {"weights": weights, "output": output}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=GOLDEN, help="folder for the golden files")
    folder = parser.parse_args().out
    rng = np.random.default_rng(3141592)
    normal = rng.standard_normal
    cases = []
    cases.append(build_case("basic", normal((12, 8)), normal((12, 8)), normal((12, 6)), rng))
    # s·q·k reaches ±50 and beyond: sharp softmax rows, exp(s·q·k) near 1e40.
    cases.append(build_case("large_scores", 6.0 * normal((10, 16)), 6.0 * normal((10, 16)), normal((10, 4)), rng))
    cases.append(build_case("equal_keys", normal((8, 8)), np.tile(normal((1, 8)), (8, 1)), normal((8, 5)), rng))
    cases.append(build_case("single_token", normal((1, 8)), normal((1, 8)), normal((1, 3)), rng))
    cases.append(build_case("zeros", np.zeros((6, 4)), np.zeros((6, 4)), normal((6, 3)), rng))
    cases.append(build_case("d2", normal((16, 2)), normal((16, 2)), normal((16, 2)), rng))
    cases.append(build_case("d64", normal((12, 64)), normal((12, 64)), normal((12, 8)), rng))
    # Scale-invariant maps give q and 2q the same row: a built-in collision.
    base = normal((6, 8))
    cases.append(build_case("scaled_queries", np.vstack([base, 2.0 * base]), normal((12, 8)), normal((12, 4)), rng))
    cases.append(
        build_case(
            "n1024", normal((1024, 8)), normal((1024, 8)), normal((1024, 4)), rng,
            summary_only=True, causal_maps=("elu_plus_one", "performer", "trig"),
        )
    )
    sweep_q, sweep_k = 0.8 * normal((16, 8)), 0.8 * normal((16, 8))
    sweep = {
        "q": flat(f32(sweep_q)), "k": flat(f32(sweep_k)), "n": 16, "d": 8,
        "ms": [4, 16, 64, 256], "seeds": list(range(12)),
    }
    for family in ("performer", "trig"):
        sweep[family] = error_vs_m(sweep_q, sweep_k, family, False, sweep["ms"], sweep["seeds"])
    folder.mkdir(parents=True, exist_ok=True)
    # Scales 745 nats apart or more, where products of f64 features underflow to zero.
    extreme = [
        extreme_scale_case("keys_1000_and_1", [[-1000.0]], [[1000.0], [1.0]], [[1.0, 0.0], [0.0, 1.0]]),
        extreme_scale_case("spread_rows", [[-800.0, 3.0], [2.0, 900.0], [0.5, -0.5]],
                           [[700.0, -2.0], [1.0, 1.0], [-900.0, 0.0]], [[1.0], [2.0], [3.0]]),
    ]
    payload = {"generator": "tools/reference/attention.py", "cases": cases, "error_vs_m": sweep,
               "extreme_scales": extreme}
    out = folder / "attention.json"
    # Full precision (json writes the shortest repr that reads back exactly): rounding the scale to
    # 9 digits once moved badly conditioned outputs by half the Rust tests' tolerance.
    out.write_text(json.dumps(payload, allow_nan=False) + "\n")
    print(f"wrote {len(cases)} cases to {out} ({out.stat().st_size} bytes)")
    # A small file of raw random draws, for checking portability in the browser too.
    rng = SplitMix64(1234567)
    draws = {
        "generator": "tools/reference/attention.py",
        "seed": 1234567,
        "u64": [str(rng.next_u64()) for _ in range(4)],
        "gaussian_seed_42": [g for g in (lambda r: [r.gaussian() for _ in range(8)])(SplitMix64(42))],
        "projections": [
            {"d": d, "m": m, "seed": seed, "orthogonal": orth, "w": flat(projection(d, m, seed, orth))}
            for (d, m, seed, orth) in [(8, 20, 7, True), (8, 12, 3, False), (3, 5, 0, True), (32, 64, 2026, True)]
        ],
    }
    rng_out = folder / "random_features.json"
    rng_out.write_text(json.dumps(draws, allow_nan=False) + "\n")
    print(f"wrote {rng_out}")


if __name__ == "__main__":
    main()
