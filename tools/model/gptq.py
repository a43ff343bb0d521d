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
    return {f"q{bits}": C.pack(q, bits), "scale": scale, "min": lo}


def package(original, keep, scheme, calibration):
    """convert.package with GPTQ for the grouped layer matrices: the dequantised weights."""
    _, weights = C.package(original, keep, scheme)
    current = {k: np.asarray(v, np.float64) for k, v in weights.items()}
    bits_of = {suffix: scheme[part] for part, suffixes in C.PARTS.items() for suffix in suffixes}
    for l in range(C.LAYERS):
        inputs = [C.forward(current, ids, l + 1)["matrix_inputs"][l] for ids in calibration]
        for suffix, bits in bits_of.items():
            if 2 <= bits <= 7:
                name = f"encoder.layer.{l}.{suffix}"
                x = np.concatenate([i[suffix] for i in inputs])
                encoded = gptq_groups(original[name], x, bits)
                weights[name] = C.dequantise_groups(encoded)
                current[name] = weights[name].astype(np.float64)
    return weights
