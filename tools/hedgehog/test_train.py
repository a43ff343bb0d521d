"""The hand-written Hedgehog gradient agrees with finite differences, in both masks.

    python -m unittest tools/hedgehog/test_train.py
"""

import pathlib
import sys
import unittest

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import train  # noqa: E402


class Gradient(unittest.TestCase):
    def check(self, causal):
        rng = np.random.default_rng(1)
        heads, d, width = 2, train.HEAD_DIM, 5
        items = [(rng.standard_normal((heads, n, d)) * 0.7, rng.standard_normal((heads, n, d)) * 0.7) for n in (6, 4)]
        q, k, a, visible, row_weight = train.padded_batch(items, causal)
        w = rng.standard_normal((heads, width, d)) * 0.2
        b = rng.standard_normal((heads, width)) * 0.1
        loss, gw, gb = train.loss_and_gradient(q, k, a, visible, row_weight, w, b)
        self.assertTrue(np.all(np.isfinite(loss)))
        eps = 1e-6
        for index in [(0, 0, 0), (1, 3, 7), (0, 4, 31)]:
            wp, wm = w.copy(), w.copy()
            wp[index] += eps
            wm[index] -= eps
            numeric = (train.loss_and_gradient(q, k, a, visible, row_weight, wp, b)[0][index[0]]
                       - train.loss_and_gradient(q, k, a, visible, row_weight, wm, b)[0][index[0]]) / (2 * eps)
            self.assertAlmostEqual(numeric, gw[index], delta=1e-6 * max(1.0, abs(numeric)))
        for index in [(0, 1), (1, 4)]:
            bp, bm = b.copy(), b.copy()
            bp[index] += eps
            bm[index] -= eps
            numeric = (train.loss_and_gradient(q, k, a, visible, row_weight, w, bp)[0][index[0]]
                       - train.loss_and_gradient(q, k, a, visible, row_weight, w, bm)[0][index[0]]) / (2 * eps)
            self.assertAlmostEqual(numeric, gb[index], delta=1e-6 * max(1.0, abs(numeric)))

    def test_bidirectional(self):
        self.check(False)

    def test_causal(self):
        self.check(True)


if __name__ == "__main__":
    unittest.main()
