"""The batched SGNS / CBOW step of :mod:`cooc.train.word2vec._step_torch`, compiled for the CPU with numba.

Same step, same semantics: every score and gradient is taken from the weights before the
step, repeated rows sum their updates, and ``damping`` bounds each row's step in the same
way. What changes is the memory traffic. The torch step materialises (B, K + 1, d) gathers
and products several times per batch; here each example is scored and its gradients formed
in one pass over its rows, in parallel over examples, and the updates are applied
row-partitioned: each row has one owning thread (:func:`_owner`), which applies all of that
row's updates in batch order. No two threads write one row, and each row receives its updates
in the same order whatever the number of threads, so a run is bitwise reproducible.

The rows are random and mostly out of cache, so the score asks for the rows of the example a
few ahead (:mod:`cooc.train.word2vec._prefetch`); the work arrays live between steps. On the 2-core VM
at V = 70,000 and batch 4096 these make a step 1.8 ms instead of 4.7.

Skip-gram is the case of one context word per example (the input word), so one kernel
serves both: example i averages the input vectors ``ctx[ptr[i]:ptr[i + 1]]``.
The torch step stays the reference (and the GPU path); tests hold the two equal.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import get_num_threads, njit, prange

from ..._core.numba_cache import prepare_kernels
from ._arrays import index_array, weight_view
from ._prefetch import prefetch_row

prepare_kernels()  # cached in the user cache directory; threads wait passively

# Examples ahead whose rows the score prefetches. Measured on the 2-core VM (V = 70,000, batch 4096):
# the score takes 1.2 ms instead of 2.0. The updates gain nothing from it: the score has just
# brought their rows into cache.
AHEAD = 4


@njit(cache=True)
def _out_row(outputs, negatives, i, k):
    """Example i's output row k: the word predicted (k = 0), then its K negatives."""
    return outputs[i] if k == 0 else negatives[i, k - 1]


@njit(parallel=True, cache=True, fastmath=True)
def _score(W_in, W_out, ctx, ptr, outputs, negatives, damped, h, gh, g, h_norm, curv_in, loss):
    """Per example: hidden vector h, coefficients g = dL/ds, dL/dh, and the curvature terms."""
    n_ex, k1 = outputs.size, negatives.shape[1] + 1
    d = W_in.shape[1]
    for i in prange(n_ex):
        if i + AHEAD < n_ex:  # the rows are random and mostly out of cache: ask for them early
            for k in range(k1):
                prefetch_row(W_out, _out_row(outputs, negatives, i + AHEAD, k))
            for j in range(ptr[i + AHEAD], ptr[i + AHEAD + 1]):
                prefetch_row(W_in, ctx[j])
        hi, ghi = h[i], gh[i]  # row views: the compiler then keeps the inner loops vectorised
        for c in range(d):
            hi[c] = 0.0
            ghi[c] = 0.0
        for j in range(ptr[i], ptr[i + 1]):
            w_row = W_in[ctx[j]]
            for c in range(d):
                hi[c] += w_row[c]
        n = ptr[i + 1] - ptr[i]
        if n > 1:
            for c in range(d):
                hi[c] /= n
        positive = outputs[i]
        li = 0.0
        log_terms = 1.0  # the product of the (1 + e) factors: one log per example instead of one per score
        ci = 0.0
        for k in range(k1):
            o = _out_row(outputs, negatives, i, k)
            if k > 0 and o == positive:  # a negative equal to its positive is skipped (word2vec.c)
                g[i, k] = 0.0
                continue
            o_row = W_out[o]
            s = np.float32(0.0)
            vn = np.float32(0.0)
            for c in range(d):  # the score and |v|^2 in one pass over the row
                s += o_row[c] * hi[c]
                vn += o_row[c] * o_row[c]
            x = -s if k == 0 else s  # the loss term is softplus(x)
            e = math.exp(-abs(x))
            li += max(x, 0.0)
            log_terms *= 1.0 + e  # each factor in (1, 2]
            if log_terms > 1e300:  # only with hundreds of negatives
                li += math.log(log_terms)
                log_terms = 1.0
            p = 1.0 / (1.0 + e) if s >= 0 else e / (1.0 + e)  # sigmoid(s) from the same exponential
            gk = np.float32(p - 1.0) if k == 0 else np.float32(p)
            g[i, k] = gk
            for c in range(d):
                ghi[c] += gk * o_row[c]
            if damped:
                ci += 0.25 * vn
        hn = np.float32(0.0)
        if damped:
            for c in range(d):
                hn += hi[c] * hi[c]
        h_norm[i] = hn
        curv_in[i] = ci
        loss[i] = li + math.log(log_terms)


@njit(cache=True)
def _owner(row, n_parts):
    """The partition (one thread each) that applies every update of ``row``: blocks of 8 rows (3,200
    bytes at d = 100, so two threads seldom write one cache line) spread over the partitions by a
    multiplicative hash (no integer division, and the frequent low ids do not pile onto one)."""
    return (((row >> 3) * 2654435761) & 0xFFFFFFFF) * n_parts >> 32


@njit(cache=True)
def _row_step(total, lr, damping, damped):
    """The step of a row whose curvature terms in the batch sum to ``total``: min(lr, damping / total)."""
    return np.float32(min(lr, damping / max(total, 1e-30))) if damped else np.float32(lr)


@njit(cache=True, fastmath=True)
def _update_rows(W, vectors, items, n, weights, factor, coef, scratch, lr, damping, damped):
    """Apply the updates ``items[:n]``, rows (row, example i, slot) in batch order, all owned by this
    thread: W[row] -= step * coef[slot] * vectors[i] (coefficient 1 where slot < 0), the step
    bounded by the row's curvature total, the sum of ``factor * weights[i]`` over its updates,
    which ``scratch`` holds meanwhile (and is zeroed again after)."""
    if damped:
        for m in range(n):
            scratch[items[m, 0]] += factor * weights[items[m, 1]]
    d = W.shape[1]
    for m in range(n):
        r, i, slot = items[m, 0], items[m, 1], items[m, 2]
        a = -_row_step(scratch[r], lr, damping, damped)
        if slot >= 0:
            if coef[slot] == 0.0:
                continue
            a *= coef[slot]
        row, v = W[r], vectors[i]
        for c in range(d):
            row[c] += a * v[c]
    if damped:
        for m in range(n):
            scratch[items[m, 0]] = 0.0


@njit(parallel=True, cache=True, fastmath=True)
def _apply(W_in, W_out, ctx, ptr, outputs, negatives, g, h, gh, h_norm, curv_in, lr, damping, damped, scratch, items):
    """The updates, row-partitioned: partition t lists, in batch order, the occurrences of the rows it
    owns (``items[t]``) and applies them (:func:`_update_rows`): W_out[o] -= step * g * h_i with
    curvature terms |h_i|^2 / 4, then W_in[w] -= step * dL/dh_i with example i's sum of |v|^2 / 4."""
    n_ex, k1 = outputs.size, negatives.shape[1] + 1
    n_parts = items.shape[0]
    g_flat = g.reshape(-1)
    for t in prange(n_parts):
        mine = items[t]
        n = 0
        for i in range(n_ex):  # output rows; a negative equal to its positive is skipped
            positive = outputs[i]
            for k in range(k1):  # branch-free: write every entry, keep those of this thread
                o = _out_row(outputs, negatives, i, k)
                mine[n, 0], mine[n, 1], mine[n, 2] = o, i, i * k1 + k
                n += ((k == 0) | (o != positive)) & (_owner(o, n_parts) == t)
        _update_rows(W_out, h, mine, n, h_norm, 0.25, g_flat, scratch, lr, damping, damped)
        n = 0
        for i in range(n_ex):  # input rows
            for j in range(ptr[i], ptr[i + 1]):
                w = ctx[j]
                mine[n, 0], mine[n, 1], mine[n, 2] = w, i, -1
                n += _owner(w, n_parts) == t
        _update_rows(W_in, gh, mine, n, curv_in, 1.0, g_flat, scratch, lr, damping, damped)


@njit(cache=True)
def _step(
    W_in, W_out, ctx, ptr, outputs, negatives, lr, damping, damped, h, gh, g, h_norm, curv_in, loss, scratch, items
):
    """Score, then apply: one call from Python per step."""
    _score(W_in, W_out, ctx, ptr, outputs, negatives, damped, h, gh, g, h_norm, curv_in, loss)
    _apply(W_in, W_out, ctx, ptr, outputs, negatives, g, h, gh, h_norm, curv_in, lr, damping, damped, scratch, items)


@njit(cache=True)
def _steps(
    W_in,
    W_out,
    inputs,
    outputs,
    negatives,
    lrs,
    batch,
    damping,
    damped,
    ptr,
    h,
    gh,
    g,
    h_norm,
    curv_in,
    loss,
    scratch,
    items,
):
    """Skip-gram steps over consecutive batches of ``batch`` examples (the last may be shorter), batch b
    at learning rate ``lrs[b]``; each example's loss goes to ``loss``."""
    n = outputs.size
    for b in range(lrs.size):
        lo = b * batch
        hi = min(lo + batch, n)
        m = hi - lo
        _step(
            W_in,
            W_out,
            inputs[lo:hi],
            ptr[: m + 1],
            outputs[lo:hi],
            negatives[lo:hi],
            lrs[b],
            damping,
            damped,
            h[:m],
            gh[:m],
            g[:m],
            h_norm[:m],
            curv_in[:m],
            loss[lo:hi],
            scratch,
            items,
        )


def step(
    W_in: np.ndarray,
    W_out: np.ndarray,
    ctx: np.ndarray,
    ptr: np.ndarray,
    outputs: np.ndarray,
    negatives: np.ndarray,
    lr: float,
    damping: float | None,
    n_parts: int | None = None,
) -> float:
    """One batched step; updates the float32 weights in place and returns the summed loss.

    Parameters
    ----------
    W_in, W_out : float32 arrays of shape (V, d), C-contiguous
    ctx : int64 array of shape (n_ctx,)
        Input rows; example i averages ``ctx[ptr[i]:ptr[i + 1]]`` (one row per example in skip-gram).
    ptr : int64 array of shape (n_ex + 1,)
    outputs : int64 array of shape (n_ex,)
        The word each example predicts.
    negatives : int64 array of shape (n_ex, K)
    n_parts : int, optional
        Row partitions of the update (default: numba's thread count). The result does not
        depend on it; tests vary it beyond the cores they have.
    """
    n_ex, k1 = outputs.size, negatives.shape[1] + 1
    if negatives.shape[0] != n_ex or ptr.size != n_ex + 1:
        raise ValueError(
            f"the compiled word2vec step got {n_ex} outputs, {negatives.shape[0]} rows of negatives "
            f"and {ptr.size - 1} context ranges."
        )
    _check_int32(max(n_ex * k1, ctx.size), W_in, W_out)
    work = _workspace(
        n_ex,
        k1,
        max(n_ex * k1, ctx.size),
        W_in.shape[1],
        max(W_in.shape[0], W_out.shape[0]),
        n_parts or get_num_threads(),
    )
    loss = work["loss"][:n_ex]
    _step(
        W_in,
        W_out,
        ctx,
        ptr,
        outputs,
        negatives,
        float(lr),
        float(damping or 0.0),
        damping is not None,
        work["h"][:n_ex],
        work["gh"][:n_ex],
        work["g"][:n_ex],
        work["h_norm"][:n_ex],
        work["curv_in"][:n_ex],
        loss,
        work["scratch"],
        work["items"],
    )
    return float(loss.sum())


def _check_int32(occurrences: int, W_in: np.ndarray, W_out: np.ndarray) -> None:
    if max(occurrences, W_in.shape[0], W_out.shape[0]) >= 2**31:
        raise ValueError(
            "the compiled word2vec step indexes rows and occurrences with int32: batch or vocabulary too large."
        )


_LOCAL = threading.local()


def _workspace(n_ex: int, k1: int, n_items: int, d: int, n_rows: int, n_parts: int) -> dict[str, np.ndarray]:
    """The step's work arrays, kept between steps (per Python thread) and grown when a batch needs
    more: fresh arrays of a few MB every step cost page faults comparable to the step's arithmetic.
    ``scratch`` (one float64 zero per row) is left zeroed by every use; ``items[t]`` is partition
    t's list of (row, example, slot) updates (int32), room for all of a batch's occurrences: at
    batch 4096 and 5 negatives, 300 kB per thread."""
    w = getattr(_LOCAL, "work", None)
    key = (d, k1, n_rows, n_parts)
    if w is None or w["key"] != key or len(w["h"]) < n_ex or w["items"].shape[1] < n_items:
        if w is not None and w["key"] == key:
            n_ex, n_items = max(n_ex, len(w["h"])), max(n_items, w["items"].shape[1])
        w = _LOCAL.work = {
            "key": key,
            "h": np.empty((n_ex, d), np.float32),
            "gh": np.empty((n_ex, d), np.float32),
            "g": np.empty((n_ex, k1), np.float32),
            "h_norm": np.empty(n_ex, np.float32),
            "curv_in": np.empty(n_ex),
            "loss": np.empty(n_ex),
            "scratch": np.zeros(n_rows),
            "items": np.empty((n_parts, n_items, 3), np.int32),
        }
    return w


def sgns_step(W_in, W_out, inputs, outputs, negatives, lr: float, damping: float | None = 1.0) -> float:
    """:func:`cooc.train.word2vec._step_torch.sgns_step` on CPU tensors (or arrays), compiled."""
    inputs = index_array(inputs)
    ptr = np.arange(inputs.size + 1, dtype=np.int64)
    return step(
        weight_view(W_in), weight_view(W_out), inputs, ptr, index_array(outputs), index_array(negatives), lr, damping
    )


def sgns_steps(
    W_in, W_out, inputs, outputs, negatives, lrs, batch_size: int, damping: float | None = 1.0
) -> list[float]:
    """:func:`sgns_step` on consecutive batches of ``batch_size`` examples, batch b at learning rate
    ``lrs[b]``, in one compiled call (no Python between the steps); returns each batch's loss, the
    same, bitwise, as the steps one by one."""
    W_in, W_out = weight_view(W_in), weight_view(W_out)
    inputs, outputs, negatives = index_array(inputs), index_array(outputs), index_array(negatives)
    lrs, n = np.asarray(lrs, dtype=np.float64), inputs.size
    if lrs.size != -(-n // batch_size) or outputs.size != n or negatives.shape[0] != n:
        raise ValueError(
            f"sgns_steps: {n} inputs, {outputs.size} outputs and {negatives.shape[0]} rows of negatives "
            f"in batches of {batch_size} need one learning rate per batch, got {lrs.size}."
        )
    batch, k1 = min(batch_size, n), negatives.shape[1] + 1
    _check_int32(batch * k1, W_in, W_out)
    work = _workspace(batch, k1, batch * k1, W_in.shape[1], max(W_in.shape[0], W_out.shape[0]), get_num_threads())
    loss = np.empty(n)
    _steps(
        W_in,
        W_out,
        inputs,
        outputs,
        negatives,
        lrs,
        batch_size,
        float(damping or 0.0),
        damping is not None,
        np.arange(batch + 1, dtype=np.int64),
        work["h"],
        work["gh"],
        work["g"],
        work["h_norm"],
        work["curv_in"],
        loss,
        work["scratch"],
        work["items"],
    )
    return [float(loss[lo : lo + batch_size].sum()) for lo in range(0, n, batch_size)]


def cbow_step(W_in, W_out, centres, context, example, negatives, lr: float, damping: float | None = 1.0) -> float:
    """:func:`cooc.train.word2vec._step_torch.cbow_step` on CPU tensors (or arrays), compiled.

    ``example`` must be non-decreasing (each example's context words together), as the
    trainer produces it.
    """
    centres, example = index_array(centres), index_array(example)
    ptr = np.zeros(centres.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(example, minlength=centres.size), out=ptr[1:])
    return step(
        weight_view(W_in), weight_view(W_out), index_array(context), ptr, centres, index_array(negatives), lr, damping
    )
