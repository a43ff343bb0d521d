"""GPTQ-style error compensation (Frantar et al., ICLR 2023) for the grouped 2–7-bit matrices.

Rounding each weight to its nearest level (what convert.py does) ignores how the inputs mix
the columns. GPTQ quantises one input column at a time and moves the error it made onto the
columns not yet quantised, weighted by the inverse of the inputs' second moment H = XᵀX, so
that W·x changes least on the inputs the layer actually sees. The levels (scale and minimum per
group of GROUP columns, float16) are those of convert.quantise_groups, fixed when the first
column of a group is reached; the result encodes and decodes exactly as convert.py's.

The calibration inputs come from tuning text (tools/hedgehog's training documents), never from
the held-out texts of tools/fidelity, and layer by layer from the already quantised layers below.
"""

import numpy as np

import convert as C

DAMPING = 0.01  # of the mean diagonal of H, added to H's diagonal (as in GPTQ)


def gptq_groups(w, x, bits):
    """Grouped `bits`-bit codes of w (out × in) chosen against inputs x (rows × in)."""
    w = w.astype(np.float64).copy()
    rows, cols = w.shape
    h = x.T @ x
    dead = np.diag(h) == 0
    h[dead, dead] = 1.0
    w[:, dead] = 0.0
    h[np.diag_indices(cols)] += DAMPING * np.mean(np.diag(h))
    # The upper Cholesky factor of H⁻¹: row i holds how column i's error spreads onward.
    u = np.linalg.cholesky(np.linalg.inv(h)).T
    top = 2**bits - 1
    q = np.zeros((rows, cols), np.uint8)
    scale = np.zeros((rows, cols // C.GROUP), np.float16)
    lo = np.zeros((rows, cols // C.GROUP), np.float16)
    for i in range(cols):
        g = i // C.GROUP
        if i % C.GROUP == 0:
            block = w[:, i:i + C.GROUP]
            mn, mx = block.min(axis=1), block.max(axis=1)
            scale[:, g] = ((mx - mn) / top).astype(np.float16)
            lo[:, g] = mn.astype(np.float16)
        s = scale[:, g].astype(np.float64)
        safe = np.where(s == 0, 1.0, s)
        m = lo[:, g].astype(np.float64)
        q[:, i] = np.clip(np.round((w[:, i] - m) / safe), 0, top)
        err = (w[:, i] - (q[:, i] * s + m)) / u[i, i]
        w[:, i + 1:] -= np.outer(err, u[i, i + 1:])
    stream = ((q[..., None] >> np.arange(bits, dtype=np.uint8)) & 1).reshape(rows, cols * bits)
    return {f"q{bits}": np.packbits(stream, axis=1, bitorder="little"), "scale": scale, "min": lo}


def layer_inputs(w, ids, layer):
    """The inputs of layer `layer`'s matrices on one sequence, from weights w (float64)."""
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = C.layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    for l in range(layer + 1):
        p = f"encoder.layer.{l}."
        lin = lambda h, name: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        heads, dh = C.HEADS, x.shape[1] // C.HEADS
        q, k, v = (lin(x, f"attention.self.{t}").reshape(n, heads, dh).transpose(1, 0, 2) for t in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, -1)
        x_attn = x
        x = C.layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        hmid = C.gelu(lin(x, "intermediate.dense"))
        if l == layer:
            return {"attention.self.query.weight": x_attn, "attention.self.key.weight": x_attn,
                    "attention.self.value.weight": x_attn, "attention.output.dense.weight": ctx,
                    "intermediate.dense.weight": x, "output.dense.weight": hmid}
        x = C.layer_norm(x + lin(hmid, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])


def package(original, keep, scheme, calibration):
    """convert.package with GPTQ for the grouped layer matrices: the dequantised weights."""
    _, weights = C.package(original, keep, scheme)
    current = {k: np.asarray(v, np.float64) for k, v in weights.items()}
    bits_of = {suffix: scheme[part] for part, suffixes in C.PARTS.items() for suffix in suffixes}
    for l in range(C.LAYERS):
        inputs = [layer_inputs(current, ids, l) for ids in calibration]
        for suffix, bits in bits_of.items():
            if 2 <= bits <= 7:
                name = f"encoder.layer.{l}.{suffix}"
                x = np.concatenate([i[suffix] for i in inputs])
                encoded = gptq_groups(original[name], x, bits)
                weights[name] = C.dequantise_groups(encoded)
                current[name] = weights[name].astype(np.float64)
    return weights
