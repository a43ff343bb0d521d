"""Train Hedgehog feature maps on the shipped model's own heads, and measure them on held-out text.

    python tools/hedgehog/train.py             # train both widths, write assets/hedgehog.safetensors
                                               # and tools/hedgehog/report.{json,md}
    python tools/hedgehog/train.py --evaluate  # no training: check the shipped weights against the bars
    python tools/hedgehog/train.py --weights target/hh.safetensors --report target/hh-report \
        --golden target/hh-golden.json         # retrain elsewhere; fails unless every mean TV lands
                                               # within RETRAIN_TOLERANCE of the shipped report

Hedgehog (Zhang, Bhatia, Kumbong, Ré, ICLR 2024) is φ(x) = [exp(Wx + b), exp(−(Wx + b))], one W
and b per head, shared by queries and keys, trained so that linear attention with φ mimics that
head's softmax attention. Two widths ship: "Hedgehog" (W 32×32, 64 features) and "Hedgehog-128"
(W 64×32, 128 features). Both start from the identity, the map the app calls "Hedgehog
(untrained)"; each head also tries seeded random orthogonal starts and keeps the best (see
`starts`); the 64-feature map's last start is cut from the trained 128-feature one (`pruned`).

Training: Q and K of the shipped (dequantised) model, numpy float64 forward pass; loss is the
row-wise cross-entropy between softmax attention and Hedgehog's; gradients written out by hand
(checked against finite differences by test_train.py); Adam, learning rate 1e-2 falling to 1e-4
on a cosine over STEPS steps, minibatches of BATCH sequences of similar length; a fixed seed.

Data, split by document (a document lands wholly in one set: training, validation for choosing
the settings in tools/hedgehog/tune.py, or held out for the figures):
- prose: the topics of CPython's language reference (`pydoc_data.topics`);
- code: the source of a fixed list of standard-library modules;
- records: lines of numbers, codes, dates and names built from standard-library tables.
The app's preset sentences (src/state/mod.rs) are a third set, never trained on.

The shipped weights are W at 8 bits per row (a float32 scale per row) and b in float32; every
figure in the report is measured with those dequantised weights.
"""

import argparse
import functools
import hashlib
import inspect
import json
import math
import pathlib
import re
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tools" / "model"))
sys.path.insert(0, str(ROOT / "tools" / "reference"))
import attention  # noqa: E402
import convert as C  # noqa: E402
import model_golden  # noqa: E402
from attention import feature_map  # noqa: E402

# Performer's projection is drawn by a pure-Python RNG; draw each (d, m, seed) once.
attention.projection = functools.lru_cache(attention.projection)

SEED = 20261129
# Chosen by tools/hedgehog/tune.py on validation documents (layer 0, validation mean TV):
# 300 steps of 24 with exponential decay 0.219; with cosine decay 0.202; 1200 steps of 8 with
# cosine decay 0.193 in the same time; 900 of 16, 0.193 in twice the time; 1200 of 8 from 2e-2,
# 0.192 with a worse worst head.
STEPS = 1200
BATCH = 8
LR_START, LR_END = 1e-2, 1e-4
DECAY = "cosine"
# Sharp heads (training TV at least SHARP_TV after the screen) add TV_WEIGHT times their rows'
# total variation to the cross-entropy for the rest of the schedule: cross-entropy alone spends
# the map's width on keys of tiny weight, which a head that must single out one key cannot
# afford. Chosen by tools/hedgehog/tune.py --tv on validation documents (mean TV, worst head,
# mean KL). With the weight on every head (measured by an earlier form of --tv whose screen of
# starts counted TV too; the screen now counts cross-entropy alone, so a rerun differs a little):
# layer 0, weight 0 0.187 (0.436, KL 0.186), 10 0.179 (0.380, 0.197), 30 0.179 (0.381, 0.210);
# layer 1, 0 0.250 (0.492, 0.308), 3 0.245 (0.482, 0.320), 5 0.244 (0.472, 0.324), 10 0.242
# (0.458, 0.331), 30 0.242 (0.457, 0.350). It raised nearly every head's KL, and a retrain with weight 30 on every
# head took the held-out mean KL past its bar (0.275). On the sharp heads alone (threshold 0.4),
# weight 10: layer 0 0.184 (L0.H2 0.396, KL 0.196), layer 1 0.248 (L1.H8 0.471, KL 0.316). Each
# sharp head's KL still rises by about 0.1, so the threshold is 0.45: the heads furthest from
# softmax only.
TV_WEIGHT, SHARP_TV = 10.0, 0.45
# The shipped map is φ(x) = [exp(Wx + b), exp(−(Wx + b))] itself (None). tune.py --normalised
# measures two forms of public Hedgehog code with the same parameters: "halves", a softmax over
# each half (LoLCATs' SoftmaxDim), and "all", one softmax over all 2r features. Either divides the
# kernel by a factor of each key's own, which the shared map alone cannot express.
NORMALISE = None
# Several starts per head, screened on the training loss after the first SCREEN_STEPS steps.
# Chosen by tools/hedgehog/tune.py --starts on validation documents (validation mean TV, and the
# previous-token head L0.H2): layer 0 at 64 features, 1 start 0.193 (0.479), 4 starts 0.190
# (0.440), 8 or 12 starts 0.189 (0.440); layer 1, 1 start 0.260 (worst head 0.515), 4 starts 0.250
# (0.484); layer 0 at 128 features, 1 start 0.158 (0.289), 4 starts 0.150 (0.194). The 64-feature
# map's fourth start cut from the trained 128-feature map (`pruned`, tune.py --pruned) instead of
# a random one: layer 0 0.179 (0.372) against 0.188 (0.434); layer 1 0.243 against 0.250 (its
# next-token head L1.H8 0.489 against 0.492).
STARTS, START_SCALES = 4, (1.0, 2.0)
SCREEN_STEPS, SCREEN_SEQUENCES = 300, 48
TRAIN_SEQUENCES, HELD_OUT_SEQUENCES = 400, 200
MIN_TOKENS, MAX_TOKENS = 8, 128
HEAD_DIM = 32
WIDTHS = {"hedgehog": 32, "hedgehog128": 64}  # rows of W: 64 and 128 features
NAMED_HEADS = {"L0.H2": "previous token", "L1.H8": "next token", "L2.H8": "determiner → noun"}
CAUSAL_GAIN_TO_SHIP = 0.10
# Held-out sequences grouped by length (tokens, specials included; upper bound excluded): a
# linear map's error grows with the number of keys it must tell apart.
LENGTH_BANDS = ((8, 40), (40, 80), (80, 100), (100, MAX_TOKENS + 1))
# A retrain from scratch must reproduce every map's held-out mean TV within this.
RETRAIN_TOLERANCE = 0.01

# The bars of the issue that asked for trained Hedgehog (held-out set unless named).
BARS = {
    "hedgehog": {"mean_tv": 0.23, "mean_kl": 0.25, "worst_head_tv": 0.48, "L0.H2_tv": 0.37, "top1_min": 0.68,
                 "fixed_ratio": 0.7, "presets_mean_tv": 0.18},
    "hedgehog128": {"mean_tv": 0.20, "L0.H2_tv": 0.21},
}

CODE_MODULES = [
    "json.encoder", "json.decoder", "textwrap", "string", "shlex", "fnmatch", "glob", "bisect", "heapq",
    "colorsys", "calendar", "difflib", "fractions", "statistics", "base64", "csv", "gettext", "ipaddress",
    "pprint", "random", "secrets", "tokenize", "urllib.parse", "uuid", "zipfile", "argparse", "dataclasses",
    "enum", "functools", "graphlib", "html", "http.cookies", "locale", "netrc", "numbers", "operator",
    "platform", "queue", "sched", "selectors", "smtplib", "socketserver", "tempfile", "timeit", "typing",
    "wave", "weakref", "zipapp",
]


# --- corpus -------------------------------------------------------------------------------

def prose_documents():
    import pydoc_data.topics

    docs = []
    for name in sorted(pydoc_data.topics.topics):
        paragraphs = [p.strip().replace("\n", " ") for p in pydoc_data.topics.topics[name].split("\n\n")]
        docs.append(("prose", f"topic:{name}", [re.sub(r"\s+", " ", p) for p in paragraphs if len(p.split()) >= 6]))
    return docs


def code_documents():
    import importlib

    docs = []
    for name in CODE_MODULES:
        source = inspect.getsource(importlib.import_module(name))
        blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", source)]
        docs.append(("code", f"module:{name}", [b for b in blocks if len(b.split()) >= 6]))
    return docs


def record_documents():
    """Numbers, codes, dates and names, as tables write them; each table is one document."""
    import calendar
    import http
    import mimetypes
    import unicodedata

    rng = np.random.default_rng(SEED)
    docs = []
    lines = [f"{s.value} {s.phrase}: {s.description}" for s in http.HTTPStatus]
    docs.append(("records", "http-status", [" ; ".join(lines[i:i + 4]) for i in range(0, len(lines), 4)]))
    types = sorted(mimetypes.types_map.items())
    docs.append(("records", "mime-types", [", ".join(f"{e} is {t}" for e, t in types[i:i + 6]) for i in range(0, len(types), 6)]))
    dates = []
    for _ in range(120):
        y, m, d = int(rng.integers(1890, 2030)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        amount = rng.integers(1, 10**6) / 100
        dates.append(f"On {calendar.day_name[calendar.weekday(y, m, d)]}, {d} {calendar.month_name[m]} {y} "
                     f"the invoice {int(rng.integers(10**5, 10**6))} came to {amount:.2f} euros ({y}-{m:02d}-{d:02d}).")
    docs.append(("records", "dates", [" ".join(dates[i:i + 3]) for i in range(0, len(dates), 3)]))
    names = [unicodedata.name(chr(c), "") for c in range(0x100, 0x250)]
    names = [n.lower() for n in names if n]
    docs.append(("records", "unicode-names", [", ".join(names[i:i + 8]) for i in range(0, len(names), 8)]))
    return docs


def preset_sentences():
    """The app's preset sentences as (label, text), read from the Rust source (the app's own list)."""
    source = (ROOT / "src" / "state" / "mod.rs").read_text(encoding="utf-8")
    block = source[source.index("pub const PRESETS"):]
    block = block[:block.index("];")]
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', re.sub(r"\\\n\s*", "", block))
    return list(zip(strings[0::2], strings[1::2]))


def preset_texts():
    return [text for _, text in preset_sentences()]


def sequences(documents, tokenizer, count, rng):
    """Token ids of up to `count` sequences of MIN_TOKENS..MAX_TOKENS tokens (specials included):
    consecutive paragraphs of a document packed up to a random length."""
    out = []
    for kind, name, paragraphs in documents:
        target = int(rng.integers(MIN_TOKENS + 8, MAX_TOKENS))
        text = ""
        for p in paragraphs:
            candidate = (text + " " + p).strip()
            ids = tokenizer.encode(candidate).ids
            if len(ids) > target and text:
                out.append((kind, name, tokenizer.encode(text).ids[:MAX_TOKENS - 1] + [tokenizer.token_to_id("[SEP]")]))
                text, target = p, int(rng.integers(MIN_TOKENS + 8, MAX_TOKENS))
            else:
                text = candidate
        if text:
            ids = tokenizer.encode(text).ids
            if len(ids) >= MIN_TOKENS:
                out.append((kind, name, ids[:MAX_TOKENS - 1] + [ids[-1]]))
    # Kinds take turns, so that code (the most plentiful) does not crowd out prose and records.
    by_kind = {}
    for i in rng.permutation(len(out)):
        by_kind.setdefault(out[i][0], []).append(out[i])
    queues = [by_kind[kind] for kind in sorted(by_kind)]
    picked = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def all_documents():
    return prose_documents() + code_documents() + record_documents()


def split_documents():
    """Training, validation and held-out documents, by a stable hash of each document's name:
    a third is held out (measured, never used for a choice), and a fifth of the rest validates
    the choice of training settings."""
    train_docs, validation_docs, held_docs = [], [], []
    for doc in all_documents():
        digest = int(hashlib.sha256(doc[1].encode()).hexdigest()[:8], 16)
        if digest % 3 == 0:
            held_docs.append(doc)
        elif (digest // 3) % 5 == 0:
            validation_docs.append(doc)
        else:
            train_docs.append(doc)
    return train_docs, validation_docs, held_docs


def corpus(tokenizer, tuning=False):
    """Train and held-out sequences, split by document; and the presets. The settings are chosen
    (`tuning`) by training on the training documents alone and measuring on the validation ones;
    the shipped maps are then trained on both, as usual once the choice is made."""
    rng = np.random.default_rng(SEED)
    train_docs, validation_docs, held_docs = split_documents()
    if not tuning:
        train_docs = [d for d in all_documents() if d in train_docs or d in validation_docs]
    train = sequences(train_docs, tokenizer, TRAIN_SEQUENCES, rng)
    held = sequences(held_docs, tokenizer, HELD_OUT_SEQUENCES, rng)
    presets = [("presets", f"preset:{i}", tokenizer.encode(t).ids[:MAX_TOKENS]) for i, t in enumerate(preset_texts())]
    return train, held, presets


def validation(tokenizer, count=100):
    """Sequences of the validation documents, for choosing training settings (tools/hedgehog/tune.py)."""
    return sequences(split_documents()[1], tokenizer, count, np.random.default_rng(SEED + 1))


# --- the model's heads ----------------------------------------------------------------------

def heads_of(weights, seqs):
    """Per sequence: per layer, Q and K (heads × n × d) from the numpy forward pass."""
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    out = []
    for _, _, ids in seqs:
        r = C.forward(weights, ids, C.LAYERS)
        out.append([(r["q"][l], r["k"][l]) for l in range(C.LAYERS)])
    return out


def softmax_rows(q, k, causal):
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if causal:
        n = s.shape[-1]
        s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    a = np.exp(s)
    return a / a.sum(-1, keepdims=True)


# --- Hedgehog: forward and hand-written gradient ----------------------------------------------

def transposed(x):
    """The last two axes swapped, in contiguous memory: numpy's stacked matmul only reaches BLAS
    on contiguous operands (14 times faster here)."""
    return np.ascontiguousarray(np.swapaxes(x, -1, -2))


def log_softmax(x):
    top = x.max(-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(-1, keepdims=True))


def log_features(x, w, b):
    """log φ(x) = [Wx + b, −(Wx + b)], for x (..., heads, n, d), W (heads, r, d), b (heads, r),
    normalised as NORMALISE says; and u = Wx + b."""
    u = x @ transposed(w) + b[:, None, :]
    if NORMALISE == "halves":
        return np.concatenate([log_softmax(u), log_softmax(-u)], axis=-1), u
    log_phi = np.concatenate([u, -u], axis=-1)
    return (log_softmax(log_phi) if NORMALISE == "all" else log_phi), u


def through_normalisation(d_log_phi, u):
    """The gradient with respect to u = Wx + b, from the gradient with respect to log φ(x)."""
    r = u.shape[-1]
    if NORMALISE == "halves":
        plus, minus = d_log_phi[..., :r], d_log_phi[..., r:]
        plus = plus - np.exp(log_softmax(u)) * plus.sum(-1, keepdims=True)
        minus = minus - np.exp(log_softmax(-u)) * minus.sum(-1, keepdims=True)
        return plus - minus
    if NORMALISE == "all":
        share = np.exp(log_softmax(np.concatenate([u, -u], axis=-1)))
        d_log_phi = d_log_phi - share * d_log_phi.sum(-1, keepdims=True)
    return d_log_phi[..., :r] - d_log_phi[..., r:]


def hedgehog_logits(q, k, w, b):
    """log of the kernel φ(q_i)·φ(k_j), up to a constant per row, computed stably; and what the
    gradient needs. Row maxima are subtracted before exp, as in the app. The n × n arrays are
    worked on in place: they are most of a training step's time."""
    (lq, uq), (lk, uk) = log_features(q, w, b), log_features(k, w, b)
    fq = np.exp(lq - lq.max(-1, keepdims=True))
    mk = lk.max(-1, keepdims=True)
    fk = np.exp(lk - mk)
    kt = fq @ transposed(fk)
    np.maximum(kt, np.finfo(fq.dtype).tiny, out=kt)
    logits = np.log(kt)
    logits += np.swapaxes(mk, -1, -2)
    return logits, (fq, fk, kt, uq, uk)


def attention_from_logits(logits, visible):
    z = np.where(visible, logits, -np.inf)
    top = z.max(-1, keepdims=True)
    z -= np.where(np.isfinite(top), top, 0.0)
    e = np.exp(z, out=z)
    # Padding rows see no key: they stay zero (and carry no weight in the loss).
    e /= np.maximum(e.sum(-1, keepdims=True), np.finfo(e.dtype).tiny)
    return e


def loss_and_gradient(q, k, a, visible, row_weight, w, b, tv_weight=None, want_loss=True):
    """Σ_i row_weight_i · (CE(A_i, Â_i) + tv_weight · TV(A_i, Â_i)) per head (None unless wanted:
    training needs only the gradient) and its gradient with respect to W and b. tv_weight: one
    per head, or None for cross-entropy alone.
    q, k: (B, heads, n, d); a, visible: (B, heads or 1, n, n); row_weight: (B, 1, n)."""
    logits, (fq, fk, kt, uq, uk) = hedgehog_logits(q, k, w, b)
    a_hat = attention_from_logits(logits, visible)
    # Â and A are zero wherever a pair is hidden, so their difference needs no mask.
    diff = a_hat - a
    loss = None
    if want_loss:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_a_hat = np.where(visible, np.log(np.where(visible, a_hat, 1.0)), 0.0)
        loss = (row_weight * -(a * log_a_hat).sum(-1)).sum(axis=(0, 2))
        if tv_weight is not None:
            loss += tv_weight * (row_weight * 0.5 * np.abs(diff).sum(-1)).sum(axis=(0, 2))
    # Through Â = softmax(logits): dCE/dlogK_ij = Â_ij − A_ij, and with s = ½ sign(Â − A),
    # dTV/dlogK_ij = Â_ij (s_ij − Σ_k Â_ik s_ik); logK_ij = log Σ_f exp(Lq_if + Lk_jf).
    # In place: these are the largest arrays of a step (batch × heads × n × n).
    if tv_weight is None:
        g = diff
    else:
        g = np.sign(diff)
        g *= a_hat
        g -= a_hat * g.sum(-1, keepdims=True)
        g *= (0.5 * tv_weight)[:, None, None]
        g += diff
    g /= kt
    g *= row_weight[..., None]
    d_lq = fq * (g @ fk)
    d_lk = fk * (transposed(g) @ fq)
    d_uq, d_uk = through_normalisation(d_lq, uq), through_normalisation(d_lk, uk)
    # Σ over sequences and rows of d_u ⊗ x, as one matrix product per head: the einsum it replaces
    # took half of each step, and a step is now 1.4 times faster (51 ms to 37 ms, batch of 8).
    per_head = lambda x: np.swapaxes(x, 0, 1).reshape(x.shape[1], -1, x.shape[-1])
    grad_w = transposed(per_head(d_uq)) @ per_head(q) + transposed(per_head(d_uk)) @ per_head(k)
    grad_b = d_uq.sum(axis=(0, 2)) + d_uk.sum(axis=(0, 2))
    return loss, grad_w, grad_b


def initial(width, heads):
    """The untrained map: W = I and b = 0 (the app's "Hedgehog (untrained)"), for evaluation."""
    w = np.zeros((heads, width, HEAD_DIM))
    w[:, :HEAD_DIM] = np.eye(HEAD_DIM)
    return w, np.zeros((heads, width))


def starts(width, heads):
    """STARTS candidate starting points per head, all with b = 0: the identity (over a random
    orthogonal block for the wider map), then stacked random orthogonal blocks at the scales of
    START_SCALES in turn. The loss has many local minima: on layer 0's previous-token head, one
    random start reached a validation TV of 0.40 where the identity stopped at 0.48."""
    rng = np.random.default_rng(SEED)
    out = []
    for i in range(STARTS):
        w = np.zeros((heads, width, HEAD_DIM))
        for h in range(heads):
            for top in range(0, width, HEAD_DIM):
                block = np.eye(HEAD_DIM) if i == 0 and top == 0 else random_orthogonal(rng)
                w[h, top:top + HEAD_DIM] = block[: width - top]
        out.append((START_SCALES[i % len(START_SCALES)] * w, np.zeros((heads, width))))
    return out


def random_orthogonal(rng):
    """A Haar-random orthogonal matrix: QR of a Gaussian one, with R's diagonal made positive so
    that the result does not depend on the LAPACK's sign convention."""
    q, r = np.linalg.qr(rng.standard_normal((HEAD_DIM, HEAD_DIM)))
    return q * np.sign(np.diag(r))


def padded_batch(items, causal):
    """Stack sequences of one layer into padded arrays, with the visible-pair mask and row weights."""
    n = max(q.shape[1] for q, _ in items)
    heads = items[0][0].shape[0]
    bsz = len(items)
    q = np.zeros((bsz, heads, n, HEAD_DIM))
    k = np.zeros_like(q)
    visible = np.zeros((bsz, 1, n, n), bool)
    row_weight = np.zeros((bsz, 1, n))
    for i, (qi, ki) in enumerate(items):
        m = qi.shape[1]
        q[i, :, :m], k[i, :, :m] = qi, ki
        visible[i, 0, :m, :m] = np.tril(np.ones((m, m), bool)) if causal else True
        row_weight[i, 0, :m] = 1.0
    row_weight /= row_weight.sum()
    a = np.zeros((bsz, heads, n, n))
    for i, (qi, ki) in enumerate(items):
        m = qi.shape[1]
        a[i, :, :m, :m] = softmax_rows(qi, ki, causal)
    return q, k, a, visible, row_weight


def pruned(wider, layer_heads, width, causal):
    """A start for the narrower map cut from a trained wider one: per head, the `width` rows of
    W (and b) whose features carry the most of softmax's attention. A row's share of the pair
    (i, j) is its two features' part of the kernel φ(q_i)·φ(k_j); weighted by A_ij and summed
    over a sample of training rows."""
    w, b = wider
    share = np.zeros(w.shape[:2])
    for i in np.linspace(0, len(layer_heads) - 1, SCREEN_SEQUENCES).astype(int):
        q, k = layer_heads[i]
        a = softmax_rows(q, k, causal)
        u_q = q @ transposed(w) + b[:, None, :]
        u_k = k @ transposed(w) + b[:, None, :]
        # log of each row's two features' product, per pair: heads × rows of W × n × n.
        s = u_q.transpose(0, 2, 1)[:, :, :, None] + u_k.transpose(0, 2, 1)[:, :, None, :]
        log_part = np.logaddexp(s, -s)
        log_kernel = np.logaddexp.reduce(log_part, axis=1)
        share += (a[:, None] * np.exp(log_part - log_kernel[:, None])).sum(axis=(-1, -2))
    keep = np.sort(np.argsort(-share, axis=1)[:, :width], axis=1)
    return np.take_along_axis(w, keep[:, :, None], 1), np.take_along_axis(b, keep, 1)


def sample_tv(items, w, b, causal):
    """Per head, the mean TV of Hedgehog (W, b) over the rows of `items` (one layer's Q and K)."""
    total, rows = np.zeros(w.shape[0]), 0
    for i in range(0, len(items), BATCH):
        q, k, a, visible, row_weight = padded_batch(items[i:i + BATCH], causal)
        logits, _ = hedgehog_logits(q, k, w, b)
        real = row_weight > 0
        total += (0.5 * np.abs(attention_from_logits(logits, visible) - a).sum(-1) * real).sum(axis=(0, 2))
        rows += int(real.sum())
    return total / rows


def train_layer(layer_heads, width, causal, seed, wider=None):
    """Adam on every head of one layer at once (heads are independent: each has its own W, b).
    Every start of `starts` runs the first SCREEN_STEPS steps of the schedule side by side; each
    head then keeps the start with the lowest training loss on a fixed sample of training
    sequences and runs the rest of the schedule from there, with TV in the loss of the heads still
    sharp (SHARP_TV). Given `wider`, a trained map of more rows for this layer, the last start is
    cut from it (`pruned`) instead. Float64 throughout: in float32 the wide map's small features
    fall into subnormal numbers, 13 times slower here (682 s against 50 s for layer 0)."""
    rng = np.random.default_rng(seed)
    heads = layer_heads[0][0].shape[0]
    # Minibatches of neighbours in length, so that little of each batch is padding.
    layer_heads = sorted(layer_heads, key=lambda qk: qk[0].shape[1])
    candidates = starts(width, heads)
    if wider is not None:
        candidates[-1] = pruned(wider, layer_heads, width, causal)
    tiles = len(candidates)
    # Candidates side by side as extra heads: candidate c of head h is head c·heads + h.
    w = np.concatenate([w for w, _ in candidates])
    b = np.concatenate([b for _, b in candidates])
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def batch(items):
        q, k, a, visible, row_weight = padded_batch(items, causal)
        tile = lambda x: np.tile(x, (1, tiles, 1, 1))
        return tile(q), tile(k), tile(a), visible, row_weight

    tv_weight = None
    for step in range(1, STEPS + 1):
        if step == SCREEN_STEPS + 1:
            sample = [layer_heads[int(i)] for i in np.linspace(0, len(layer_heads) - 1, SCREEN_SEQUENCES)]
            if tiles > 1:
                loss = np.zeros(tiles * heads)
                for i in range(0, len(sample), BATCH):
                    loss += loss_and_gradient(*batch(sample[i:i + BATCH]), w, b)[0]
                best = loss.reshape(tiles, heads).argmin(0) * heads + np.arange(heads)
                w, b, m_w, v_w, m_b, v_b = (x[best] for x in (w, b, m_w, v_w, m_b, v_b))
                tiles = 1
            sharp = sample_tv(sample, w, b, causal) >= SHARP_TV
            tv_weight = np.where(sharp, TV_WEIGHT, 0.0) if sharp.any() else None
            print(f"  heads with TV in the loss: {np.flatnonzero(sharp).tolist()}", flush=True)
        progress = (step - 1) / max(STEPS - 1, 1)
        if DECAY == "cosine":
            lr = LR_END + 0.5 * (LR_START - LR_END) * (1 + math.cos(math.pi * progress))
        else:
            lr = LR_START * (LR_END / LR_START) ** progress
        start = int(rng.integers(0, max(len(layer_heads) - BATCH, 0) + 1))
        _, gw, gb = loss_and_gradient(*batch(layer_heads[start:start + BATCH]), w, b, tv_weight, want_loss=False)
        for p, g, m, v in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w, b


# --- shipping format ---------------------------------------------------------------------------

def quantise_rows(w):
    """8 bits per row of W (symmetric, float32 scale per row), as the app loads it."""
    scale = np.abs(w).max(axis=-1) / 127.0
    scale[scale == 0] = 1.0
    codes = np.clip(np.round(w / scale[..., None]), -127, 127).astype(np.int8)
    return codes, scale.astype(np.float32)


def dequantise_rows(codes, scale):
    return codes.astype(np.float64) * scale.astype(np.float64)[..., None]


def save(path, trained):
    from safetensors.numpy import save_file

    tensors = {}
    for name, (w, b) in trained.items():
        codes, scale = quantise_rows(w)
        tensors[f"{name}.w.q8"] = codes
        tensors[f"{name}.w.scale"] = scale
        tensors[f"{name}.b"] = b.astype(np.float32)
    metadata = {"format": "kernelscope-hedgehog-v1", "layers": str(C.LAYERS), "heads": str(C.HEADS),
                "head_dim": str(HEAD_DIM), "maps": ",".join(sorted(trained)), "generator": "tools/hedgehog/train.py"}
    C.save_deterministic(tensors, path, metadata)


def load(path):
    from safetensors.numpy import load_file

    raw = load_file(str(path))
    names = sorted({k.split(".")[0] for k in raw})
    return {n: (dequantise_rows(raw[f"{n}.w.q8"], raw[f"{n}.w.scale"]), raw[f"{n}.b"].astype(np.float64)) for n in names}


# --- evaluation ---------------------------------------------------------------------------------

def fixed_maps():
    return {
        "elu+1": {"kind": "elu_plus_one"},
        "ReLU": {"kind": "relu"},
        "cosFormer": {"kind": "cos_former"},
        "Performer m=64": {"kind": "performer", "m": 64, "seed": 0, "orthogonal": True},
        "Taylor": {"kind": "taylor"},
    }


def linear_rows(fq, fk, causal):
    """Linear attention from features; a row whose normaliser vanishes is uniform, as in the app."""
    kern = fq @ fk.T
    n = kern.shape[0]
    if causal:
        kern = np.where(np.tril(np.ones((n, n), bool)), kern, 0.0)
    den = kern.sum(-1, keepdims=True)
    count = np.tril(np.ones((n, n))).sum(-1, keepdims=True) if causal else np.full((n, 1), n)
    visible = np.tril(np.ones((n, n), bool)) if causal else np.ones((n, n), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, kern / den, np.where(visible, 1.0 / count, 0.0))


def row_metrics(a, a_hat):
    """Per row: TV, KL(A‖Â) (inf where Â misses mass), and whether the top key agrees."""
    tv = 0.5 * np.abs(a - a_hat).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(a > 0, a * (np.log(a) - np.log(np.maximum(a_hat, 0.0))), 0.0)
    kl = np.maximum(terms.sum(-1), 0.0)
    top = a.argmax(-1) == a_hat.argmax(-1)
    return tv, kl, top


def evaluate(heads_per_seq, trained, causal):
    """Per map, per (layer, head): mean TV, mean KL, top-1 agreement over every row of every sequence."""
    maps = list(fixed_maps()) + ["Hedgehog (untrained)"] + list(trained)
    sums = {m: np.zeros((C.LAYERS, C.HEADS, 3)) for m in maps}
    rows = 0
    untrained = initial(HEAD_DIM, C.HEADS)
    for layers in heads_per_seq:
        n = layers[0][0].shape[1]
        rows += n
        for l, (q, k) in enumerate(layers):
            a = softmax_rows(q, k, causal)
            for h in range(C.HEADS):
                results = {}
                for name, spec in fixed_maps().items():
                    fq = feature_map(spec, q[h], 1 / math.sqrt(HEAD_DIM), None, n)
                    fk = feature_map(spec, k[h], 1 / math.sqrt(HEAD_DIM), None, n)
                    results[name] = linear_rows(fq, fk, causal)
                for name, (w, b) in [("Hedgehog (untrained)", untrained)] + [(n_, trained[n_][l]) for n_ in trained]:
                    logits, _ = hedgehog_logits(q[h][None, None], k[h][None, None], w[h][None], b[h][None])
                    visible = np.tril(np.ones((n, n), bool)) if causal else np.ones((n, n), bool)
                    results[name] = attention_from_logits(logits[0, 0], visible)
                for name, a_hat in results.items():
                    tv, kl, top = row_metrics(a[h], a_hat)
                    sums[name][l, h] += [tv.sum(), kl.sum(), top.sum()]
    return {m: s / rows for m, s in sums.items()}


def per_sequence_tv(heads_per_seq, trained):
    """Per sequence: its length, and each trained map's mean TV over its rows and all heads
    (bidirectional)."""
    out = []
    for layers in heads_per_seq:
        n = layers[0][0].shape[1]
        tv = {name: 0.0 for name in trained}
        for l, (q, k) in enumerate(layers):
            a = softmax_rows(q, k, False)
            for name, per_layer in trained.items():
                logits, _ = hedgehog_logits(q[None], k[None], *per_layer[l])
                a_hat = attention_from_logits(logits[0], np.ones((n, n), bool))
                tv[name] += 0.5 * np.abs(a - a_hat).sum(-1).mean() / len(layers)
        out.append((n, tv))
    return out


def by_length(per_sequence):
    """Mean TV over the rows of the sequences in each of LENGTH_BANDS."""
    bands = []
    for low, high in LENGTH_BANDS:
        inside = [(n, tv) for n, tv in per_sequence if low <= n < high]
        rows = sum(n for n, _ in inside)
        bands.append({"tokens": [low, high - 1], "sequences": len(inside),
                      "mean_tv": {name: sum(n * tv[name] for n, tv in inside) / max(rows, 1) for name in per_sequence[0][1]}})
    return bands


def summary(per_head):
    """Mean and worst head of each map, and the named heads."""
    out = {}
    for name, s in per_head.items():
        tv, kl, top = s[..., 0], s[..., 1], s[..., 2]
        worst = np.unravel_index(np.argmax(tv), tv.shape)
        out[name] = {
            "mean_tv": float(tv.mean()), "mean_kl": float(kl.mean()) if np.isfinite(kl).all() else "inf",
            "top1": float(top.mean()), "worst_head_tv": float(tv.max()), "worst_head": f"L{worst[0]}.H{worst[1]}",
            **{f"{head}_tv": float(tv[int(head[1]), int(head.split('H')[1])]) for head in NAMED_HEADS},
            "per_head_tv": tv.round(6).tolist(),
        }
    return out


def check_bars(report):
    """The bars, as (description, value, bound, ok)."""
    held = report["held_out"]["bidirectional"]
    checks = []
    for name, bars in BARS.items():
        s = held[name]
        for key in ("mean_tv", "mean_kl", "worst_head_tv", "L0.H2_tv"):
            if key in bars:
                checks.append((f"{name} {key}", s[key], bars[key], s[key] != "inf" and s[key] <= bars[key]))
        if "top1_min" in bars:
            checks.append((f"{name} top-1", s["top1"], bars["top1_min"], s["top1"] >= bars["top1_min"]))
        if "fixed_ratio" in bars:
            rivals = ["elu+1", "ReLU", "cosFormer", "Performer m=64", "Hedgehog (untrained)"]
            best = np.min([held[r]["per_head_tv"] for r in rivals], axis=0)
            ratio = float((np.array(s["per_head_tv"]) / best).max())
            checks.append((f"{name} worst ratio of its TV to the best of {', '.join(rivals)}", ratio, bars["fixed_ratio"],
                           ratio <= bars["fixed_ratio"]))
        if "presets_mean_tv" in bars:
            p = report["presets"]["bidirectional"][name]["mean_tv"]
            checks.append((f"{name} mean TV on the app's presets", p, bars["presets_mean_tv"], p <= bars["presets_mean_tv"]))
    return checks


def markdown(report, checks):
    lines = ["# Hedgehog, trained: fidelity", "",
             f"Written by `python tools/hedgehog/train.py`. Held-out set: {report['sets']['held_out']['sequences']} sequences "
             f"({report['sets']['held_out']['tokens']} tokens; {', '.join(f'{k} {v}' for k, v in report['sets']['held_out']['kinds'].items())}) "
             f"from {report['sets']['held_out']['documents']} documents never trained on; training set: "
             f"{report['sets']['train']['sequences']} sequences from {report['sets']['train']['documents']} other documents. "
             "All 36 heads of the shipped model (its dequantised weights), softmax at temperature 1. "
             "TV and KL are per query row, averaged over rows and heads; top-1: the most-attended key is the same.", ""]
    for set_name, title in (("held_out", "Held-out text"), ("presets", "The app's preset sentences")):
        for mask in ("bidirectional", "causal"):
            table = report[set_name].get(mask)
            if not table:
                continue
            lines += [f"## {title}, {mask}", "",
                      "| map | features | mean TV | worst-head TV | mean KL | top-1 | " + " | ".join(f"{h} ({r}) TV" for h, r in NAMED_HEADS.items()) + " |",
                      "|---|---:|---:|---:|---:|---:|" + "---:|" * len(NAMED_HEADS)]
            for name, s in table.items():
                kl = s["mean_kl"] if isinstance(s["mean_kl"], str) else f"{s['mean_kl']:.3f}"
                lines.append(f"| {report['labels'][name]} | {report['features'][name]} | {s['mean_tv']:.3f} | {s['worst_head_tv']:.3f} ({s['worst_head']}) | {kl} | "
                             f"{s['top1']:.3f} | " + " | ".join(f"{s[h + '_tv']:.3f}" for h in NAMED_HEADS) + " |")
            lines.append("")
    names = list(report["held_out"]["by_length"][0]["mean_tv"])
    lines += ["## Hedgehog by length, held-out text, bidirectional", "",
              "Mean TV over the rows of the held-out sequences of each length (tokens, specials included).", "",
              "| tokens | sequences | " + " | ".join(report["labels"][n] for n in names) + " |",
              "|---|---:|" + "---:|" * len(names)]
    lines += [f"| {b['tokens'][0]}–{b['tokens'][1]} | {b['sequences']} | " + " | ".join(f"{b['mean_tv'][n]:.3f}" for n in names) + " |"
              for b in report["held_out"]["by_length"]]
    lines += ["", "## Hedgehog on each preset sentence, bidirectional", "",
              "| preset | tokens | " + " | ".join(report["labels"][n] for n in names) + " |", "|---|---:|" + "---:|" * len(names)]
    lines += [f"| {p['preset']} | {p['tokens']} | " + " | ".join(f"{p['mean_tv'][n]:.3f}" for n in names) + " |"
              for p in report["presets"]["per_sentence"]]
    lines += ["", "## Bars", "", "| bar | measured | bound | met |", "|---|---:|---:|---|"]
    lines += [f"| {d} | {v:.3f} | {b} | {'yes' if ok else 'NO'} |" for d, v, b, ok in checks]
    causal = report["causal_training"]
    lines += ["", "## Causal weights", "",
              f"Trained on causal rows, Hedgehog's mean causal TV on held-out text is {causal['causal_trained_tv']:.3f}, against "
              f"{causal['bidirectional_trained_tv']:.3f} for the bidirectional weights under the causal mask: "
              f"{100 * causal['gain']:.1f}% better. " + (
                  "That clears the 10% bar, so causal weights ship and the app uses them under the causal mask."
                  if causal["shipped"] else "That is under the 10% bar, so no causal weights ship: the causal mask uses the bidirectional weights."),
              "", f"Training took {report['training_seconds']:.0f} s on this machine ({report['machine']}).", ""]
    return "\n".join(lines)


GOLDEN_HEADS = [(0, 2), (1, 8), (2, 8)]


def write_golden(path, weights, tokenizer, shipped):
    """Golden vectors for the Rust tests: Q, K, V of the named heads on the app's default text,
    and the trained maps' attention in both masks, computed here in float64 from the shipped
    (dequantised) weights. Q, K and V stay float64: rounding a matrix product to f32 could tip
    one way on this processor's BLAS and the other way on another's."""
    text = preset_texts()[1]
    ids = tokenizer.encode(text).ids
    r = C.forward(weights, ids, C.LAYERS)
    heads = []
    for layer, head in GOLDEN_HEADS:
        q, k, v = r["q"][layer][head], r["k"][layer][head], r["v"][layer][head]
        n = q.shape[0]
        entry = {"layer": layer, "head": head, "n": n, "q": q.ravel().tolist(), "k": k.ravel().tolist(),
                 "v": v.ravel().tolist(), "maps": {}}
        for name, (w, b) in sorted(shipped.items()):
            for causal in (False, True):
                visible = np.tril(np.ones((n, n), bool)) if causal else np.ones((n, n), bool)
                logits, _ = hedgehog_logits(q[None, None], k[None, None], w[layer][head][None], b[layer][head][None])
                a = attention_from_logits(logits[0, 0], visible)
                entry["maps"][f"{name}.{'causal' if causal else 'bidirectional'}"] = {
                    "weights": a.ravel().tolist(), "output": (a @ v).ravel().tolist()}
        heads.append(entry)
    doc = {"generator": "tools/hedgehog/train.py", "text": text, "ids": ids, "heads": heads}
    path.write_text(json.dumps(doc) + "\n")


README_START, README_END = "<!-- hedgehog-report:start -->", "<!-- hedgehog-report:end -->"


def update_readme(report_md):
    """Put the held-out tables and the bars of report.md between the README's markers, so the
    README's figures are the script's."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return
    sections = report_md.split("\n## ")
    keep = [s for s in sections[1:] if s.startswith(("Held-out text", "Hedgehog by length", "Hedgehog on each preset", "Bars",
                                                     "Causal weights"))]
    body = "\n".join("#### " + s.strip() + "\n" for s in keep)
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluate", action="store_true", help="check the shipped weights; train nothing")
    parser.add_argument("--weights", type=pathlib.Path, default=ROOT / "assets" / "hedgehog.safetensors")
    parser.add_argument("--report", type=pathlib.Path, default=HERE / "report")
    parser.add_argument("--golden", type=pathlib.Path, default=ROOT / "tests" / "golden" / "hedgehog.json")
    args = parser.parse_args()

    tokenizer = C.reference_tokenizer()
    weights = model_golden.shipped_weights(ROOT / "assets")
    train, held, presets = corpus(tokenizer)
    started = time.time()
    held_heads, preset_heads = heads_of(weights, held), heads_of(weights, presets)
    print(f"corpus: {len(train)} train, {len(held)} held-out, {len(presets)} presets", flush=True)

    if args.evaluate:
        shipped = load(args.weights)
        training_seconds = None
    else:
        train_heads = heads_of(weights, train)
        t0 = time.time()
        layer = lambda l: [s[l] for s in train_heads]
        stacked = lambda per_layer: (np.stack([w for w, _ in per_layer]), np.stack([b for _, b in per_layer]))
        # The wider map first: each narrower map's last start is cut from it.
        wide = [train_layer(layer(l), WIDTHS["hedgehog128"], False, SEED + l) for l in range(C.LAYERS)]
        print(f"trained hedgehog128 in {time.time() - t0:.0f} s", flush=True)
        narrow = [train_layer(layer(l), WIDTHS["hedgehog"], False, SEED + l, wider=wide[l]) for l in range(C.LAYERS)]
        print(f"trained hedgehog in {time.time() - t0:.0f} s", flush=True)
        trained = {"hedgehog": stacked(narrow), "hedgehog128": stacked(wide)}
        causal_64 = stacked([train_layer(layer(l), WIDTHS["hedgehog"], True, SEED + l, wider=wide[l]) for l in range(C.LAYERS)])
        training_seconds = time.time() - t0
        print(f"trained causal hedgehog; {training_seconds:.0f} s in all", flush=True)
        # What ships is 8-bit W: measure that.
        trial = dict(trained, hedgehog_causal=causal_64)
        args.weights.parent.mkdir(parents=True, exist_ok=True)
        save(args.weights, trial)
        shipped = load(args.weights)

    as_layers = lambda t: {n: [(w[l], b[l]) for l in range(C.LAYERS)] for n, (w, b) in t.items()}
    bidirectional = {n: v for n, v in shipped.items() if not n.endswith("_causal")}
    report = {
        "generator": "tools/hedgehog/train.py",
        "labels": {**{m: m for m in fixed_maps()}, "Hedgehog (untrained)": "Hedgehog (untrained)",
                   "hedgehog": "Hedgehog", "hedgehog128": "Hedgehog-128", "hedgehog_causal": "Hedgehog, causal weights"},
        "features": {"elu+1": 32, "ReLU": 32, "cosFormer": 64, "Performer m=64": 64, "Taylor": 1057,
                     "Hedgehog (untrained)": 64, "hedgehog": 64, "hedgehog128": 128, "hedgehog_causal": 64},
        "sets": {},
        "held_out": {"bidirectional": summary(evaluate(held_heads, as_layers(bidirectional), False)),
                     "causal": summary(evaluate(held_heads, as_layers(shipped), True))},
        "presets": {"bidirectional": summary(evaluate(preset_heads, as_layers(bidirectional), False))},
    }
    trained_maps = as_layers({n: v for n, v in bidirectional.items() if n in WIDTHS})
    report["held_out"]["by_length"] = by_length(per_sequence_tv(held_heads, trained_maps))
    report["presets"]["per_sentence"] = [{"preset": label, "tokens": n, "mean_tv": tv} for (label, _), (n, tv)
                                         in zip(preset_sentences(), per_sequence_tv(preset_heads, trained_maps))]
    for set_name, seqs in (("train", train), ("held_out", held), ("presets", presets)):
        kinds = {}
        for kind, _, _ in seqs:
            kinds[kind] = kinds.get(kind, 0) + 1
        report["sets"][set_name] = {"sequences": len(seqs), "documents": len({d for _, d, _ in seqs}),
                                    "tokens": sum(len(ids) for _, _, ids in seqs), "kinds": kinds}
    causal = report["held_out"]["causal"]
    if "hedgehog_causal" in causal:
        gain = 1 - causal["hedgehog_causal"]["mean_tv"] / causal["hedgehog"]["mean_tv"]
        report["causal_training"] = {"causal_trained_tv": causal["hedgehog_causal"]["mean_tv"],
                                     "bidirectional_trained_tv": causal["hedgehog"]["mean_tv"], "gain": gain,
                                     "shipped": gain >= CAUSAL_GAIN_TO_SHIP}
    else:
        # Causal weights were measured at training time and did not ship.
        report["causal_training"] = json.loads(args.report.with_suffix(".json").read_text())["causal_training"]
    checks = check_bars(report)
    report["bars"] = [{"bar": d, "measured": v, "bound": b, "met": bool(ok)} for d, v, b, ok in checks]
    for d, v, b, ok in checks:
        print(f"{'met   ' if ok else 'missed'} {d}: {v:.4f} (bound {b})")
    print(f"evaluation took {time.time() - started:.0f} s in all")

    write_golden(args.golden, weights, tokenizer, shipped)
    if args.evaluate:
        committed = json.loads((args.report.with_suffix(".json")).read_text())
        # The shipped report was measured on the same weights and text; summation order on another
        # processor moves its figures only in the last digits.
        drift = max(abs(report["held_out"]["bidirectional"][m]["mean_tv"] - committed["held_out"]["bidirectional"][m]["mean_tv"])
                    for m in report["held_out"]["bidirectional"])
        print(f"largest difference from the committed report's mean TVs: {drift:.2e} (tolerance 1e-6)")
        # Bars the committed weights met must stay met; those they miss are printed above and
        # stated in the README, and fail nothing until new weights meet them.
        met_before = {b["bar"] for b in committed["bars"] if b["met"]}
        regressed = [d for d, _, _, ok in checks if d in met_before and not ok]
        for d in regressed:
            print(f"REGRESSED: {d}")
        return 0 if drift < 1e-6 and not regressed else 1

    if not report["causal_training"]["shipped"]:
        save(args.weights, trained)  # the causal weights did not earn their place
        write_golden(args.golden, weights, tokenizer, load(args.weights))
    report["training_seconds"] = training_seconds
    committed = HERE / "report.json"
    if args.report.with_suffix(".json") != committed and committed.exists():
        # A retrain elsewhere (another processor sums in another order, and the updates compound)
        # must land near the shipped figures.
        shipped_report = json.loads(committed.read_text())["held_out"]["bidirectional"]
        drift = max(abs(report["held_out"]["bidirectional"][m]["mean_tv"] - shipped_report[m]["mean_tv"])
                    for m in shipped_report if m in report["held_out"]["bidirectional"])
        print(f"largest difference from the shipped report's mean TVs: {drift:.4f} (tolerance {RETRAIN_TOLERANCE})")
        if drift > RETRAIN_TOLERANCE:
            print("FAIL: the retrained maps do not reproduce the shipped figures")
            checks.append(("retrain reproduces the shipped mean TVs", drift, RETRAIN_TOLERANCE, False))
    import platform

    report["machine"] = f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores"
    args.report.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    args.report.with_suffix(".md").write_text(markdown(report, checks))
    if args.report.with_suffix(".json") == HERE / "report.json":
        update_readme(markdown(report, checks))
    print(f"wrote {args.weights}, {args.report}.json and .md")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
