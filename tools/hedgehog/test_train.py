"""The hand-written Hedgehog gradient agrees with finite differences, in both masks, with and
without total variation in the loss, for the shipped map and the normalised ones tune.py measures.

    python -m unittest tools/hedgehog/test_train.py
"""

import pathlib
import sys
import unittest

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import train  # noqa: E402


def shifted(x, index, by):
    y = x.copy()
    y[index] += by
    return y


class Gradient(unittest.TestCase):
    def check(self, causal, tv_weight=None, normalise=None):
        train.NORMALISE = normalise
        self.addCleanup(setattr, train, "NORMALISE", None)
        rng = np.random.default_rng(1)
        heads, d, width = 2, train.HEAD_DIM, 5
        items = [(rng.standard_normal((heads, n, d)) * 0.7, rng.standard_normal((heads, n, d)) * 0.7) for n in (6, 4)]
        q, k, a, visible, row_weight = train.padded_batch(items, causal)
        w = rng.standard_normal((heads, width, d)) * 0.2
        b = rng.standard_normal((heads, width)) * 0.1
        loss, gw, gb = train.loss_and_gradient(q, k, a, visible, row_weight, w, b, tv_weight)
        self.assertTrue(np.all(np.isfinite(loss)))
        loss_of = lambda w_, b_: train.loss_and_gradient(q, k, a, visible, row_weight, w_, b_, tv_weight)[0]
        eps = 1e-6
        # Central differences of one head's loss, entry by entry, for W and for b.
        for param, grad, indices, nudge in (
            (w, gw, [(0, 0, 0), (1, 3, 7), (0, 4, 31)], lambda x, i, e: loss_of(shifted(x, i, e), b)),
            (b, gb, [(0, 1), (1, 4)], lambda x, i, e: loss_of(w, shifted(x, i, e))),
        ):
            for index in indices:
                numeric = (nudge(param, index, eps)[index[0]] - nudge(param, index, -eps)[index[0]]) / (2 * eps)
                self.assertAlmostEqual(numeric, grad[index], delta=1e-6 * max(1.0, abs(numeric)))

    def test_bidirectional(self):
        self.check(False)

    def test_causal(self):
        self.check(True)

    # Head 0 on cross-entropy alone, head 1 with TV: as train_layer weighs a sharp head.
    def test_bidirectional_with_tv(self):
        self.check(False, np.array([0.0, 10.0]))

    def test_causal_with_tv(self):
        self.check(True, np.array([0.0, 10.0]))

    def test_softmax_over_each_half(self):
        self.check(False, np.array([0.0, 10.0]), "halves")
        self.check(True, None, "halves")

    def test_softmax_over_all_features(self):
        self.check(False, np.array([0.0, 10.0]), "all")
        self.check(True, None, "all")


if __name__ == "__main__":
    unittest.main()
