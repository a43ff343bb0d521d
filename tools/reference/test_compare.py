"""The golden-file comparer fails on a real change and passes machine noise.

    python -m unittest tools/reference/test_compare.py

Each test copies committed golden files, changes one thing, and asks compare.py for its verdict:
a float moved by 1e-6 relative, a token id or offset, a tensor value, a quantised code moved by
more than a step or in more than a tiny fraction of entries, a pinned hash. Moves of 1e-12
relative (what another BLAS kernel does) and a single code one step off must pass.
"""

import contextlib
import io
import json
import pathlib
import shutil
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import compare  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
ASSETS = ROOT / "assets"


def verdict(committed, regenerated):
    with contextlib.redirect_stdout(io.StringIO()):
        return compare.compare(committed, regenerated).report()


class Edited(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp())

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edited_json(self, source, edit):
        doc = json.loads(source.read_text(encoding="utf-8"))
        edit(doc)
        path = self.tmp / source.name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    def assertVerdict(self, source, edit, expected):
        self.assertEqual(verdict(source, self.edited_json(source, edit)), expected)


def bump_largest(values, factor):
    """Scale the largest |value| of a list: the change is then `factor - 1` of the array's scale."""
    i = max(range(len(values)), key=lambda j: abs(values[j]))
    values[i] *= factor


class JsonGoldens(Edited):
    def test_unchanged_files_pass(self):
        for name in ("scores.json", "attention.json", "random_features.json", "tiny-forward.json", "tokenizer.json"):
            self.assertVerdict(GOLDEN / name, lambda doc: None, True)

    def test_a_float_moved_by_1e_6_fails(self):
        cases = {
            "scores.json": lambda d: bump_largest(d["cases"][2]["scores"], 1 + 1e-6),
            "attention.json": lambda d: bump_largest(d["cases"][0]["softmax"]["causal"]["weights"], 1 + 1e-6),
            "random_features.json": lambda d: bump_largest(d["projections"][3]["w"], 1 + 1e-6),
            "tiny-forward.json": lambda d: bump_largest(d["cases"][1]["layers"][1]["hidden"], 1 + 1e-6),
        }
        for name, edit in cases.items():
            with self.subTest(name):
                self.assertVerdict(GOLDEN / name, edit, False)

    def test_a_lone_metric_moved_by_1e_6_fails(self):
        def edit(doc):
            entry = doc["cases"][8]["maps"][1]["masks"]["bidirectional"]
            entry["relative_frobenius"] *= 1 + 1e-6

        self.assertVerdict(GOLDEN / "attention.json", edit, False)

    def test_machine_noise_passes(self):
        def edit(doc):
            for case in doc["cases"]:
                case["scores"] = [x * (1 + 1e-12) for x in case["scores"]]
                case["checksum"] += 1e-12 * sum(abs(x) for x in case["scores"])

        self.assertVerdict(GOLDEN / "scores.json", edit, True)

    def test_a_token_id_or_offset_fails(self):
        def token(doc):
            line = next(r for r in doc["lines"] if r["ids"])
            line["ids"][0] += 1

        def offset(doc):
            line = next(r for r in doc["lines"] if r["offsets"])
            line["offsets"][-1] += 1

        self.assertVerdict(GOLDEN / "tokenizer.json", token, False)
        self.assertVerdict(GOLDEN / "tokenizer.json", offset, False)

    def test_structure_fails(self):
        self.assertVerdict(GOLDEN / "scores.json", lambda d: d["cases"].pop(), False)
        self.assertVerdict(GOLDEN / "scores.json", lambda d: d["cases"][0].pop("checksum"), False)


class Tensors(Edited):
    def edited_tensors(self, source, edit):
        from safetensors import safe_open
        from safetensors.numpy import save_file

        with safe_open(str(source), "numpy") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
            metadata = f.metadata()
        edit(tensors)
        path = self.tmp / source.name
        save_file(tensors, str(path), metadata=metadata)
        return path

    def assertTensors(self, source, edit, expected):
        self.assertEqual(verdict(source, self.edited_tensors(source, edit)), expected)

    def test_unchanged_tensors_pass(self):
        self.assertTensors(GOLDEN / "minilm-shipped.safetensors", lambda t: None, True)

    def test_a_float_moved_by_1e_6_fails(self):
        def edit(t):
            hidden = t["c1.l2.hidden"].copy()
            hidden.flat[np.argmax(np.abs(hidden))] *= np.float32(1 + 1e-6)
            t["c1.l2.hidden"] = hidden

        self.assertTensors(GOLDEN / "minilm-shipped.safetensors", edit, False)

    def test_an_id_fails(self):
        def edit(t):
            t["c0.ids"] = t["c0.ids"].copy()
            t["c0.ids"][3] += 1

        self.assertTensors(GOLDEN / "minilm-shipped.safetensors", edit, False)

    def test_one_code_one_step_off_passes_and_more_fails(self):
        name = "encoder.layer.0.attention.self.value.weight.q4"

        def flip(count, bit):
            def edit(t):
                t[name] = t[name].copy()
                # The lowest bit of a low nibble: that code moves by one step (bit 0) or by four (bit 2).
                t[name].flat[:count] ^= np.uint8(1 << bit)

            return edit

        source = GOLDEN / "tiny-model.safetensors"
        self.assertTensors(source, flip(1, 0), True)
        self.assertTensors(source, flip(1, 2), False)
        self.assertTensors(source, flip(200, 0), False)


class Manifest(unittest.TestCase):
    def test_a_pinned_hash_fails_and_the_file_hash_describes_the_file(self):
        tmp = pathlib.Path(tempfile.mkdtemp())
        try:
            for name in ("manifest.json", "model.safetensors", "vocab.txt"):
                shutil.copy(ASSETS / name, tmp / name)
            shutil.copytree(ASSETS / "layers", tmp / "layers")
            self.assertTrue(verdict(ASSETS / "manifest.json", tmp / "manifest.json"))
            doc = json.loads((tmp / "manifest.json").read_text())
            doc["source"]["wheel_sha256"] = "0" * 64
            (tmp / "manifest.json").write_text(json.dumps(doc))
            self.assertFalse(verdict(ASSETS / "manifest.json", tmp / "manifest.json"))
            doc["source"]["wheel_sha256"] = json.loads((ASSETS / "manifest.json").read_text())["source"]["wheel_sha256"]
            doc["files"]["vocab.txt"]["sha256"] = "0" * 64
            (tmp / "manifest.json").write_text(json.dumps(doc))
            self.assertFalse(verdict(ASSETS / "manifest.json", tmp / "manifest.json"))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
