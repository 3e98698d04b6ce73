"""The batched SGNS / CBOW step of :mod:`cooc.train._sgns`, compiled for the CPU with numba.

Same step, same semantics: every score and gradient is taken from the weights before the
step, repeated rows sum their updates, and ``damping`` bounds each row's step in the same
way. What changes is the memory traffic. The torch step materialises (B, K + 1, d) gathers
and products several times per batch; here each example is scored and its gradients formed
in one pass over its rows, in parallel over examples, and the updates are applied row-partitioned: thread
t applies, in batch order, every update of the rows ``r`` with ``r % n_threads == t``. No two
threads write one row, and each row receives its updates in the same order whatever the
number of threads, so a run is bitwise reproducible.

Skip-gram is the case of one context word per example (the input word), so one kernel
serves both: example i averages the input vectors ``ctx[ptr[i]:ptr[i + 1]]``.
The torch step stays the reference (and the GPU path); tests hold the two equal.
"""
from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange


@njit(parallel=True, cache=True, fastmath=True)
def _score(W_in, W_out, ctx, ptr, out_idx, damped, h, gh, g, h_norm, curv_in, loss):
    """Per example: hidden vector h, coefficients g = dL/ds, dL/dh, and the curvature terms."""
    n_ex, k1 = out_idx.shape
    d = W_in.shape[1]
    for i in prange(n_ex):
        for c in range(d):
            h[i, c] = 0.0
            gh[i, c] = 0.0
        for j in range(ptr[i], ptr[i + 1]):
            w = ctx[j]
            for c in range(d):
                h[i, c] += W_in[w, c]
        n = ptr[i + 1] - ptr[i]
        if n > 1:
            for c in range(d):
                h[i, c] /= n
        positive = out_idx[i, 0]
        li = 0.0
        ci = 0.0
        for k in range(k1):
            o = out_idx[i, k]
            if k > 0 and o == positive:  # a negative equal to its positive is skipped (word2vec.c)
                g[i, k] = 0.0
                continue
            s = np.float32(0.0)
            vn = np.float32(0.0)
            for c in range(d):  # the score and |v|^2 in one pass over the row
                s += W_out[o, c] * h[i, c]
                vn += W_out[o, c] * W_out[o, c]
            x = -s if k == 0 else s  # the loss term is softplus(x)
            e = math.exp(-abs(x))
            li += max(x, 0.0) + math.log1p(e)
            p = 1.0 / (1.0 + e) if s >= 0 else e / (1.0 + e)  # sigmoid(s) from the same exponential
            gk = np.float32(p - 1.0) if k == 0 else np.float32(p)
            g[i, k] = gk
            for c in range(d):
                gh[i, c] += gk * W_out[o, c]
            if damped:
                ci += 0.25 * vn
        hn = np.float32(0.0)
        if damped:
            for c in range(d):
                hn += h[i, c] * h[i, c]
        h_norm[i] = hn
        curv_in[i] = ci
        loss[i] = li


@njit(cache=True)
def _occurrence_steps(rows, weights, scratch, lr, damping):
    """Per occurrence j: ``min(lr, damping / T_r)`` for its row r = ``rows[j]``, with ``T_r`` the sum of
    ``weights`` over r's occurrences. ``scratch`` holds zeros for every row and is left so: the work
    is proportional to the batch, not to the vocabulary."""
    for j in range(rows.size):
        scratch[rows[j]] += weights[j]
    step = np.empty(rows.size, dtype=np.float32)
    for j in range(rows.size):
        step[j] = min(lr, damping / max(scratch[rows[j]], 1e-30))
    for j in range(rows.size):
        scratch[rows[j]] = 0.0
    return step


@njit(cache=True)
def _out_curvature(out_idx, h_norm):
    """The output rows' occurrences and their curvature terms |h_i|^2 / 4 (skipped negatives carry 0)."""
    n_ex, k1 = out_idx.shape
    rows = out_idx.reshape(-1)
    weights = np.zeros(n_ex * k1)
    for i in range(n_ex):
        for k in range(k1):
            if k == 0 or out_idx[i, k] != out_idx[i, 0]:
                weights[i * k1 + k] = 0.25 * h_norm[i]
    return rows, weights


@njit(cache=True)
def _in_curvature(ptr, curv_in):
    """Each context occurrence's curvature term: that of its example."""
    weights = np.empty(ptr[-1])
    for i in range(ptr.size - 1):
        for j in range(ptr[i], ptr[i + 1]):
            weights[j] = curv_in[i]
    return weights


@njit(parallel=True, cache=True, fastmath=True)
def _apply(W_in, W_out, ctx, ptr, out_idx, g, h, gh, step_in, step_out, n_threads):
    """Row-partitioned updates: W_out[o] -= step * g * h_i, then W_in[w] -= step * dL/dh_i (the steps
    per occurrence: ``step_out[i * (K + 1) + k]`` and ``step_in[j]`` for context entry j)."""
    n_ex, k1 = out_idx.shape
    d = W_in.shape[1]
    for t in prange(n_threads):
        for i in range(n_ex):
            for k in range(k1):
                o = out_idx[i, k]
                if o % n_threads != t or g[i, k] == 0.0:
                    continue
                a = -step_out[i * k1 + k] * g[i, k]
                for c in range(d):
                    W_out[o, c] += a * h[i, c]
            for j in range(ptr[i], ptr[i + 1]):
                w = ctx[j]
                if w % n_threads != t:
                    continue
                a = -step_in[j]
                for c in range(d):
                    W_in[w, c] += a * gh[i, c]


def step(W_in: np.ndarray, W_out: np.ndarray, ctx: np.ndarray, ptr: np.ndarray, out_idx: np.ndarray,
         lr: float, damping: float | None) -> float:
    """One batched step; updates the float32 weights in place and returns the summed loss.

    Parameters
    ----------
    W_in, W_out : float32 arrays of shape (V, d), C-contiguous
    ctx : int64 array of shape (n_ctx,)
        Input rows; example i averages ``ctx[ptr[i]:ptr[i + 1]]`` (one row per example in skip-gram).
    ptr : int64 array of shape (n_ex + 1,)
    out_idx : int64 array of shape (n_ex, K + 1)
        The word predicted, then K negatives.
    """
    n_ex, k1 = out_idx.shape
    d = W_in.shape[1]
    h = np.empty((n_ex, d), dtype=np.float32)
    gh = np.empty((n_ex, d), dtype=np.float32)
    g = np.empty((n_ex, k1), dtype=np.float32)
    h_norm, curv_in, loss = np.empty(n_ex, np.float32), np.empty(n_ex), np.empty(n_ex)
    _score(W_in, W_out, ctx, ptr, out_idx, damping is not None, h, gh, g, h_norm, curv_in, loss)
    if damping is None:
        step_in = np.full(ctx.size, lr, dtype=np.float32)
        step_out = np.full(out_idx.size, lr, dtype=np.float32)
    else:
        scratch = _scratch(max(W_in.shape[0], W_out.shape[0]))
        rows, weights = _out_curvature(out_idx, h_norm)
        step_out = _occurrence_steps(rows, weights, scratch, float(lr), float(damping))
        step_in = _occurrence_steps(ctx, _in_curvature(ptr, curv_in), scratch, float(lr), float(damping))
    _apply(W_in, W_out, ctx, ptr, out_idx, g, h, gh, step_in, step_out, get_num_threads())
    return float(loss.sum())


_SCRATCH: dict[int, np.ndarray] = {}


def _scratch(n_rows: int) -> np.ndarray:
    """A float64 array of ``n_rows`` zeros, kept between steps (each use leaves it zeroed)."""
    if n_rows not in _SCRATCH:
        _SCRATCH.clear()
        _SCRATCH[n_rows] = np.zeros(n_rows)
    return _SCRATCH[n_rows]


def sgns_step(W_in, W_out, inputs, outputs, negatives, lr: float, damping: float | None = 1.0) -> float:
    """:func:`cooc.train._sgns.sgns_step` on CPU tensors (or arrays), compiled."""
    out_idx = np.concatenate([_np(outputs)[:, None], _np(negatives)], 1)
    inputs = _np(inputs)
    ptr = np.arange(inputs.size + 1, dtype=np.int64)
    return step(_weights(W_in), _weights(W_out), inputs, ptr, out_idx, lr, damping)


def cbow_step(W_in, W_out, centres, context, example, negatives, lr: float, damping: float | None = 1.0) -> float:
    """:func:`cooc.train._sgns.cbow_step` on CPU tensors (or arrays), compiled.

    ``example`` must be non-decreasing (each example's context words together), as the
    trainer produces it.
    """
    centres, example = _np(centres), _np(example)
    ptr = np.zeros(centres.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(example, minlength=centres.size), out=ptr[1:])
    out_idx = np.concatenate([centres[:, None], _np(negatives)], 1)
    return step(_weights(W_in), _weights(W_out), _np(context), ptr, out_idx, lr, damping)


def _np(x) -> np.ndarray:
    """Indices as a contiguous int64 numpy array (from a CPU tensor or an array)."""
    return np.ascontiguousarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.int64)


def _weights(x) -> np.ndarray:
    """A numpy view of float32 weights, which the step updates in place: never a copy."""
    a = x.numpy() if hasattr(x, "numpy") else x
    if a.dtype != np.float32 or not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError("the compiled word2vec step needs writeable C-contiguous float32 weights.")
    return a
