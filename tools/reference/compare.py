"""Compare regenerated golden files with the committed ones by meaning, not by bytes.

    python tools/reference/compare.py COMMITTED REGENERATED [COMMITTED REGENERATED ...]

Exact: structure (keys, list lengths, tensor names, shapes and dtypes), integers, strings,
booleans, token ids and offsets, safetensors metadata, and plain-text files.

Floats are compared within a tolerance that floating-point summation order explains. The
reference scripts compute in float64; numpy's BLAS kernel, chosen by the processor, sums matrix
products in another order on another machine, which moves the last digits (measured: up to
8e-14 relative in scores.json, 2e-12 in random_features.json). So a float may move by

    RTOL * scale + ATOL + one unit in the last place of the dtype it is stored in,

where scale is the largest |value| of its array (a tensor, or a JSON list of numbers) or, for a
lone number, its own magnitude. RTOL = 1e-9 leaves a margin of 500 over the worst difference seen
between machines and is 1000 times smaller than a 1e-6 change, which must fail. ATOL = 1e-14
covers values that are zero in exact arithmetic (KL of equal rows, singular values at the noise
floor): there only rounding noise of O(1) quantities remains. The last-place term covers a
float64 result rounded to float16/float32 for storage, which a tiny change can tip the other
way. A few lone numbers are cancelled sums and take their scale from what they sum (SCALE_OF).

A folder (assets/embeddings: the word-embedding shards; assets/layers: the layer files) must hold
the same files, byte for byte.

Quantised codes (safetensors tensors named *.q8, *.q4, ...) are compared by what they decode
to: equal codes, or, for at most MAX_CODE_FLIPS of the entries, a value one quantisation step
away (a rounding decision that sat on a tie).

The manifest's description of a generated file (its sha256 and gzip size) is checked against
the file it describes, committed against committed and regenerated against regenerated, since
a permitted code flip changes both. The pinned source wheels' sha256 are compared exactly.

Prints the worst difference per file; exits 1 if any file differs.
"""

import gzip
import hashlib
import json
import math
import pathlib
import sys

import numpy as np

RTOL = 1e-9
ATOL = 1e-14
MAX_CODE_FLIPS = 1e-4

# Lone numbers that are sums with cancellation: their scale is the sum of the magnitudes.
SCALE_OF = {
    "checksum": lambda parent: float(np.abs(np.asarray(parent["scores"], dtype=np.float64)).sum()),
    # Pearson's r lies in [-1, 1] and is a ratio of cancelled sums: judge it on that range.
    "correlation": lambda parent: 1.0,
}


class Result:
    """The verdict on one file: failures, and the worst float difference seen."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.worst = (0.0, None)  # (difference / tolerance, description)
        self.notes = []

    def fail(self, where, message):
        if len(self.failures) < 20:
            self.failures.append(f"{where}: {message}")
        elif len(self.failures) == 20:
            self.failures.append("... (more differences not listed)")

    def floats(self, where, ref, new, scale, ulp):
        """Element-wise check of float arrays; keeps the worst ratio of difference to tolerance."""
        ref = np.asarray(ref, dtype=np.float64)
        new = np.asarray(new, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            same_special = (np.isnan(ref) & np.isnan(new)) | (np.isinf(ref) & (ref == new))
            diff = np.where(same_special, 0.0, np.abs(ref - new))
        diff = np.where(np.isnan(diff), np.inf, diff)
        tolerance = RTOL * scale + ATOL + ulp
        ratio = diff / tolerance
        if ratio.size == 0:
            return
        i = int(np.argmax(ratio))
        if ratio.flat[i] > self.worst[0] or self.worst[1] is None:
            rel = diff.flat[i] / scale if scale > 0 else diff.flat[i]
            self.worst = (float(ratio.flat[i]), f"{where}[{i}]: {diff.flat[i]:.3g} absolute, {rel:.3g} of its scale")
        bad = np.flatnonzero(ratio > 1.0)
        if bad.size:
            j = int(bad[0])
            self.fail(where, f"{bad.size} value(s) outside tolerance, e.g. [{j}] {ref.flat[j]!r} against {new.flat[j]!r}")

    def report(self):
        ratio, where = self.worst
        worst = f"worst float difference {ratio:.2g} of its tolerance ({where})" if where else "no floats"
        if self.failures:
            print(f"{self.name}: DIFFERS ({worst})")
            for line in self.failures:
                print(f"    {line}")
        else:
            extra = "".join(f"; {n}" for n in self.notes)
            print(f"{self.name}: same within tolerance, {worst}{extra}")
        return not self.failures


# json.dumps cannot write infinities, so the scripts write an infinite KL as the string "inf".
SPECIAL = {"inf", "-inf", "nan"}


def is_number(x):
    return (isinstance(x, (int, float)) and not isinstance(x, bool)) or (isinstance(x, str) and x in SPECIAL)


def compare_json(result, ref, new, where="$", parent=None, key=None):
    if isinstance(ref, dict):
        if not isinstance(new, dict) or ref.keys() != new.keys():
            missing = sorted(set(ref) ^ set(new)) if isinstance(new, dict) else type(new).__name__
            return result.fail(where, f"keys differ: {missing}")
        for k in ref:
            compare_json(result, ref[k], new[k], f"{where}.{k}", ref, k)
        return
    if isinstance(ref, list):
        if not isinstance(new, list) or len(ref) != len(new):
            return result.fail(where, f"length {len(ref)} against {len(new) if isinstance(new, list) else type(new).__name__}")
        if ref and all(is_number(x) for x in ref) and any(isinstance(x, float) for x in ref + new):
            if not all(is_number(x) for x in new):
                return result.fail(where, "a number became something else")
            ref, new = [float(x) for x in ref], [float(x) for x in new]
            scale = max((abs(x) for x in ref if math.isfinite(x)), default=0.0)
            return result.floats(where, ref, new, scale, 0.0)
        for i, (a, b) in enumerate(zip(ref, new)):
            compare_json(result, a, b, f"{where}[{i}]", ref, None)
        return
    if isinstance(ref, float) or (is_number(ref) and isinstance(new, float)):
        if not is_number(new):
            return result.fail(where, f"{ref!r} against {new!r}")
        ref, new = float(ref), float(new)
        scale = SCALE_OF[key](parent) if key in SCALE_OF and isinstance(parent, dict) else abs(ref)
        return result.floats(where, [ref], [new], scale if math.isfinite(scale) else 0.0, 0.0)
    if type(ref) is not type(new) or ref != new:
        result.fail(where, f"{ref!r} against {new!r}")


def compare_manifest(result, committed, regenerated):
    """A manifest: as JSON, except that each listed file's hash and gzip size must describe the
    file beside the manifest."""
    ref = json.loads(committed.read_text(encoding="utf-8"))
    new = json.loads(regenerated.read_text(encoding="utf-8"))
    for manifest, folder, side in ((ref, committed.parent, "committed"), (new, regenerated.parent, "regenerated")):
        for name, entry in manifest.get("files", {}).items():
            data = (folder / name).read_bytes()
            if entry.get("sha256") != hashlib.sha256(data).hexdigest():
                result.fail(f"{side} files.{name}.sha256", "does not describe the file beside it")
            if entry.get("bytes") != len(data):
                result.fail(f"{side} files.{name}.bytes", "does not describe the file beside it")
            if entry.get("gzip_bytes") != len(gzip.compress(data, compresslevel=9, mtime=0)):
                result.fail(f"{side} files.{name}.gzip_bytes", "does not describe the file beside it")
            entry.pop("sha256", None)
            entry.pop("gzip_bytes", None)
    compare_json(result, ref, new)


def last_place(values, dtype):
    """One unit in the last place of `dtype` at each value (0 for float64: no rounding after)."""
    if dtype == np.float64:
        return 0.0
    return np.spacing(np.abs(np.asarray(values, dtype=dtype))).astype(np.float64)


def dequantised(tensors, base):
    """Decoded weights of a quantised tensor, and one quantisation step per entry."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "model"))
    import convert

    (key,) = [k for k in tensors if k.startswith(base + ".q")]
    suffix = key[len(base) + 1:]
    parts = {suffix: tensors[key], "scale": tensors[base + ".scale"]}
    if suffix == "q8":
        step = np.broadcast_to(tensors[base + ".scale"].astype(np.float64)[:, None], convert.dequantise_8bit(parts).shape)
        return convert.dequantise_8bit(parts), step
    parts["min"] = tensors[base + ".min"]
    w = convert.dequantise_groups(parts)
    step = np.repeat(tensors[base + ".scale"].astype(np.float64), convert.GROUP, axis=1)
    return w, step


def compare_safetensors(result, committed, regenerated):
    from safetensors import safe_open

    with safe_open(str(committed), "numpy") as a, safe_open(str(regenerated), "numpy") as b:
        if a.metadata() != b.metadata():
            result.fail("metadata", "differs")
        if set(a.keys()) != set(b.keys()):
            return result.fail("tensors", f"names differ: {sorted(set(a.keys()) ^ set(b.keys()))}")
        ref = {k: a.get_tensor(k) for k in a.keys()}
        new = {k: b.get_tensor(k) for k in b.keys()}
    flips = total = 0
    for name in sorted(ref):
        x, y = ref[name], new[name]
        if x.dtype != y.dtype or x.shape != y.shape:
            result.fail(name, f"{x.dtype}{list(x.shape)} against {y.dtype}{list(y.shape)}")
            continue
        base, _, suffix = name.rpartition(".")
        if suffix[:1] == "q" and suffix[1:].isdigit():
            wx, step = dequantised(ref, base)
            wy, _ = dequantised(new, base)
            changed = np.abs(wx - wy) > 1e-12 * np.abs(step)
            flips += int(changed.sum())
            total += changed.size
            too_far = np.abs(wx - wy) > 1.0001 * step + last_place(wx, np.float32)
            if too_far.any():
                result.fail(name, f"{int(too_far.sum())} decoded value(s) more than one quantisation step apart")
        elif np.issubdtype(x.dtype, np.floating):
            scale = float(np.abs(x.astype(np.float64)).max()) if x.size else 0.0
            result.floats(name, x, y, scale, last_place(x, x.dtype))
        elif not np.array_equal(x, y):
            result.fail(name, f"{int((x != y).sum())} of {x.size} integer value(s) differ")
    if total:
        result.notes.append(f"{flips} of {total} quantised codes decode differently")
        if flips > MAX_CODE_FLIPS * total:
            result.fail("quantised codes", f"{flips} of {total} decode differently (at most {MAX_CODE_FLIPS:g} allowed)")


def compare(committed, regenerated, name=None):
    committed, regenerated = pathlib.Path(committed), pathlib.Path(regenerated)
    result = Result(name or str(committed))
    if not regenerated.exists():
        result.fail("file", "was not regenerated")
    elif committed.is_dir():
        # The word-embedding shards and the layer files: packed codes of elementwise rounding
        # and copied floats (no sums, so no machine noise), compared byte for byte, and the same
        # set of files on both sides. The model file lists their hashes, so they must be exact.
        names = sorted(p.name for p in committed.iterdir())
        if names != sorted(p.name for p in regenerated.iterdir()):
            result.fail("folder", "holds other files")
        for name in names:
            if (regenerated / name).exists() and (committed / name).read_bytes() != (regenerated / name).read_bytes():
                result.fail(name, "differs")
    elif committed.name == "manifest.json":
        compare_manifest(result, committed, regenerated)
    elif committed.suffix == ".json":
        compare_json(result, json.loads(committed.read_text(encoding="utf-8")), json.loads(regenerated.read_text(encoding="utf-8")))
    elif committed.suffix == ".safetensors":
        compare_safetensors(result, committed, regenerated)
    elif committed.read_bytes() != regenerated.read_bytes():
        result.fail("file", "differs (compared byte for byte: it holds no floats)")
    return result


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        raise SystemExit(__doc__)
    ok = True
    for committed, regenerated in zip(argv[::2], argv[1::2]):
        ok &= compare(committed, regenerated).report()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
