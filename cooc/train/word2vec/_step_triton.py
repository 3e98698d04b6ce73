"""The batched SGNS / CBOW step of :mod:`cooc.train.word2vec._step_torch` as two fused Triton kernels (GPU).

Same step, same semantics as the torch and numba steps: every score and gradient comes from
the weights before the step, repeated rows sum their updates, and ``damping`` bounds each
row's step by its curvature in the batch. The torch step spends a GPU's time launching ~40
kernels and moving (B, K + 1, d) temporaries through memory; here a batch is two launches:

1. ``_score``: per example, the hidden vector h (mean of its context rows; the input row in
   skip-gram), each score against the positive and the negatives, ``g = dL/ds``, ``dL/dh``,
   the loss, and (damped) each row's curvature total ``T_r`` by atomic adds.
2. ``_apply``: ``W_out[o] -= step_o g h`` and ``W_in[w] -= step_w dL/dh`` by atomic adds,
   with ``step_r = min(lr, damping / T_r)``. It reads only what ``_score`` wrote, never the
   weights, so no example can see another's update.

Atomic adds sum in no fixed order, so two GPU runs agree to float rounding (as ``index_add_``).
With ``TRITON_INTERPRET=1`` set before triton is imported, the same kernels run on CPU tensors
in Triton's interpreter (numpy): that is how the tests hold this step equal to the torch step
on machines without a GPU. It is slow there and meant for tests only.
"""

from __future__ import annotations

import os

from ..._core.errors import InvalidParameterError, MissingDependencyError

try:
    import triton
    import triton.language as tl
except ImportError as exc:  # pragma: no cover - exercised where triton is missing
    raise MissingDependencyError(
        "kernel='triton' needs the triton package (pip install triton; CUDA builds of torch on Linux ship it)."
    ) from exc


def block_shape(text: str | None, variable: str = "COOC_TRITON_BLOCK", default=(4, 4)) -> tuple[int, int]:
    """Examples and warps per program, from ``variable``'s value ``text`` ("BLOCK_MxNUM_WARPS", e.g. "8x4")."""
    if not text:
        return default
    try:
        block_m, num_warps = (int(x) for x in text.lower().split("x"))
    except ValueError:
        block_m = num_warps = 0
    if block_m < 1 or block_m & (block_m - 1) or num_warps not in (1, 2, 4, 8, 16):
        raise InvalidParameterError(
            f"{variable}={text!r}: expected BLOCK_MxNUM_WARPS with BLOCK_M a "
            "power of two and NUM_WARPS in 1, 2, 4, 8, 16 (e.g. 8x4)."
        )
    return block_m, num_warps


# Examples per program and warps per program. For sm_90, ptxas gives the score kernel 236
# registers a thread at 16x4 (2 programs an SM), 116 at 8x4 and 78 at 4x4, all without spills.
# Measured on an H100 (benchmarks/word2vec_step.py, batch 65536, d 100, 5 negatives, 2026-11-27):
# 0.65 ms a step at 4x4, 0.82 at 8x4, 0.99 at 8x8, 1.47 at 16x4 and 2.31 at 32x8, so 4x4 is the
# default. The environment variable COOC_TRITON_BLOCK="BxW" sets another shape without a code
# change (benchmarks/device_session.sh, with its opt-in 'w2v step' stage, trains with the fastest shape it
# has just timed).
BLOCK_M, NUM_WARPS = block_shape(os.environ.get("COOC_TRITON_BLOCK"))


@triton.jit
def program_tile(n_ex, d, BLOCK_M: tl.constexpr, BLOCK_D: tl.constexpr):
    """This program's examples (``rows``, ``live`` where they exist) and the columns (``in_d`` below d)."""
    pid = tl.program_id(0)
    rows = pid * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.arange(0, BLOCK_D)
    return pid, rows, rows < n_ex, cols, cols < d


@triton.jit
def _context_span(ptr, rows, live, SKIPGRAM: tl.constexpr):
    """Where example ``rows``' context rows start in ``ctx``, and how many there are."""
    if SKIPGRAM:  # one input row per example: ctx[i]
        start = rows.to(tl.int64)
        n = tl.where(live, 1, 0).to(tl.int64)
    else:
        start = tl.load(ptr + rows, mask=live, other=0)
        n = tl.load(ptr + rows + 1, mask=live, other=0) - start
    return start, n


@triton.jit
def sgns_terms(s, terms, positive):
    """Each score's loss term, softplus(-s) for the word predicted (``positive``) and softplus(s) for a negative,
    and dL/ds; both 0 outside ``terms``. Shared by the pair and window steps."""
    e = tl.exp(-tl.abs(s))
    x = tl.where(positive, -s, s)  # the loss term is softplus(x)
    loss = tl.where(terms, tl.maximum(x, 0.0) + tl.log(1.0 + e), 0.0)
    p = tl.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # sigmoid(s)
    return loss, tl.where(terms, tl.where(positive, p - 1.0, p), 0.0)


@triton.jit
def _score(
    W_in,
    W_out,
    ctx,
    ptr,
    out_idx,
    h,
    gh,
    g,
    T_in,
    T_out,
    loss_part,
    n_ex,
    d,
    K1: tl.constexpr,
    MAX_CTX: tl.constexpr,
    SKIPGRAM: tl.constexpr,
    DAMPED: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    pid, rows, live, cols, in_d = program_tile(n_ex, d, BLOCK_M, BLOCK_D)
    start, n = _context_span(ptr, rows, live, SKIPGRAM)
    hv = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)
    for j in range(0, MAX_CTX):
        here = live & (j < n)
        w = tl.load(ctx + start + j, mask=here, other=0)
        hv += tl.load(W_in + w[:, None] * d + cols[None, :], mask=here[:, None] & in_d[None, :], other=0.0)
    hv = hv / tl.maximum(n, 1).to(tl.float32)[:, None]
    h_norm = tl.sum(hv * hv, axis=1)
    positive = tl.load(out_idx + rows * K1, mask=live, other=0)
    ghv = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)
    loss = tl.zeros((BLOCK_M,), dtype=tl.float32)
    curv = tl.zeros((BLOCK_M,), dtype=tl.float32)
    for k in range(0, K1):
        o = tl.load(out_idx + rows * K1 + k, mask=live, other=0)
        valid = live & ((o != positive) | (k == 0))  # a negative equal to its positive is skipped
        v = tl.load(W_out + o[:, None] * d + cols[None, :], mask=valid[:, None] & in_d[None, :], other=0.0)
        s = tl.sum(v * hv, axis=1)
        term, gk = sgns_terms(s, valid, k == 0)
        loss += term
        tl.store(g + rows * K1 + k, gk, mask=live)
        ghv += gk[:, None] * v
        if DAMPED:
            curv += 0.25 * tl.sum(v * v, axis=1)
            tl.atomic_add(T_out + o, 0.25 * h_norm, mask=valid)
    tile = rows[:, None] * d + cols[None, :]
    tl.store(h + tile, hv, mask=live[:, None] & in_d[None, :])
    tl.store(gh + tile, ghv, mask=live[:, None] & in_d[None, :])
    if DAMPED:
        for j in range(0, MAX_CTX):
            here = live & (j < n)
            w = tl.load(ctx + start + j, mask=here, other=0)
            tl.atomic_add(T_in + w, curv, mask=here)
    tl.store(loss_part + pid, tl.sum(loss, axis=0))


@triton.jit
def _apply(
    W_in,
    W_out,
    ctx,
    ptr,
    out_idx,
    h,
    gh,
    g,
    T_in,
    T_out,
    lr_ptr,
    damping,
    n_ex,
    d,
    K1: tl.constexpr,
    MAX_CTX: tl.constexpr,
    SKIPGRAM: tl.constexpr,
    DAMPED: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    pid, rows, live, cols, in_d = program_tile(n_ex, d, BLOCK_M, BLOCK_D)
    lr = tl.load(lr_ptr)
    tile = rows[:, None] * d + cols[None, :]
    hv = tl.load(h + tile, mask=live[:, None] & in_d[None, :], other=0.0)
    for k in range(0, K1):
        o = tl.load(out_idx + rows * K1 + k, mask=live, other=0)
        gk = tl.load(g + rows * K1 + k, mask=live, other=0.0)
        act = live & (gk != 0.0)
        step = lr
        if DAMPED:
            step = tl.minimum(lr, damping / tl.maximum(tl.load(T_out + o, mask=act, other=1.0), 1e-30))
        tl.atomic_add(
            W_out + o[:, None] * d + cols[None, :], (-step * gk)[:, None] * hv, mask=act[:, None] & in_d[None, :]
        )
    ghv = tl.load(gh + tile, mask=live[:, None] & in_d[None, :], other=0.0)
    start, n = _context_span(ptr, rows, live, SKIPGRAM)
    for j in range(0, MAX_CTX):
        here = live & (j < n)
        w = tl.load(ctx + start + j, mask=here, other=0)
        step = lr + tl.zeros((BLOCK_M,), dtype=tl.float32)
        if DAMPED:
            step = tl.minimum(lr, damping / tl.maximum(tl.load(T_in + w, mask=here, other=1.0), 1e-30))
        tl.atomic_add(W_in + w[:, None] * d + cols[None, :], -step[:, None] * ghv, mask=here[:, None] & in_d[None, :])


def interpreted() -> bool:
    """Whether Triton runs kernels in its interpreter (TRITON_INTERPRET=1 before triton was imported)."""
    return bool(triton.knobs.runtime.interpret)


def checked_device(W_in, W_out):
    """The weights' device, once they are known fit for the Triton steps: contiguous float32 tensors on CUDA
    (or on the CPU in Triton's interpreter)."""
    import torch

    for name, W in (("W_in", W_in), ("W_out", W_out)):
        if W.dtype != torch.float32 or not W.is_contiguous():
            raise ValueError(f"the Triton word2vec step needs contiguous float32 weights; {name} is not.")
    if W_in.device.type != "cuda" and not interpreted():
        raise ValueError(
            "the Triton word2vec step runs on CUDA tensors, or on CPU tensors in Triton's "
            "interpreter (set TRITON_INTERPRET=1 before triton is imported)."
        )
    return W_in.device


def launch_buffers(V: int, damped: bool, lr, n_ex: int, block_m: int, device):
    """What both kernels of a Triton step share: the curvature totals ``T`` (rows of ``W_in``, of ``W_out``;
    zeros), the learning rate as a 1-element tensor, the grid, and each program's loss slot."""
    import torch

    T = torch.zeros((2, V) if damped else (2, 1), dtype=torch.float32, device=device)
    lr_t = lr.reshape(1) if torch.is_tensor(lr) else torch.full((1,), lr, dtype=torch.float32, device=device)
    grid = (triton.cdiv(n_ex, block_m),)
    return T, lr_t, grid, torch.empty(grid[0], dtype=torch.float32, device=device)


def step(
    W_in,
    W_out,
    ctx,
    ptr,
    out_idx,
    lr,
    damping: float | None,
    max_ctx: int = 1,
    block_m: int | None = None,
    num_warps: int | None = None,
):
    """One batched step; updates the float32 weights in place and returns the summed loss (0-d tensor).

    Parameters
    ----------
    W_in, W_out : float32 tensors of shape (V, d), contiguous, on one device
    ctx : int64 tensor of shape (n_ctx,)
        Input rows; example i averages ``ctx[ptr[i]:ptr[i + 1]]``.
    ptr : int64 tensor of shape (n_ex + 1,), or None
        None for skip-gram: example i has the one input row ``ctx[i]``.
    out_idx : int64 tensor of shape (n_ex, K + 1)
        The word predicted, then K negatives.
    lr : float or 0-d tensor on the weights' device
    max_ctx : int
        An upper bound on the context rows of one example (1 in skip-gram).
    block_m, num_warps : int, optional
        Examples per Triton program and warps per program (default :data:`BLOCK_M`, :data:`NUM_WARPS`;
        block 4096 in the interpreter, whose cost is per program).
    """
    import torch

    device = checked_device(W_in, W_out)
    n_ex, k1 = out_idx.shape
    V, d = W_in.shape
    damped = damping is not None
    block_m = block_m or (4096 if interpreted() else BLOCK_M)
    h = torch.empty((n_ex, d), dtype=torch.float32, device=device)
    gh = torch.empty_like(h)
    g = torch.empty((n_ex, k1), dtype=torch.float32, device=device)
    if n_ex == 0:
        return torch.zeros((), dtype=torch.float32, device=device)
    T, lr_t, grid, loss_part = launch_buffers(V, damped, lr, n_ex, block_m, device)
    out_idx, ctx = out_idx.contiguous(), ctx.contiguous()
    ptr = ctx if ptr is None else ptr.contiguous()  # (unread in skip-gram)
    meta = {
        "K1": k1,
        "MAX_CTX": max_ctx,
        "SKIPGRAM": ptr is ctx,
        "DAMPED": damped,
        "BLOCK_M": block_m,
        "BLOCK_D": triton.next_power_of_2(d),
    }
    if device.type == "cuda":
        meta["num_warps"] = num_warps or NUM_WARPS
    _score[grid](W_in, W_out, ctx, ptr, out_idx, h, gh, g, T[0], T[1], loss_part, n_ex, d, **meta)
    _apply[grid](W_in, W_out, ctx, ptr, out_idx, h, gh, g, T[0], T[1], lr_t, float(damping or 0.0), n_ex, d, **meta)
    return loss_part.sum()


def sgns_step(
    W_in,
    W_out,
    inputs,
    outputs,
    negatives,
    lr,
    damping: float | None = 1.0,
    block_m: int | None = None,
    num_warps: int | None = None,
):
    """:func:`cooc.train.word2vec._step_torch.sgns_step` as fused Triton kernels."""
    import torch

    out_idx = torch.cat([outputs.unsqueeze(1), negatives], 1)
    return step(W_in, W_out, inputs, None, out_idx, lr, damping, 1, block_m, num_warps)


def cbow_step(
    W_in,
    W_out,
    centres,
    context,
    example,
    negatives,
    lr,
    damping: float | None = 1.0,
    max_context: int | None = None,
    block_m: int | None = None,
):
    """:func:`cooc.train.word2vec._step_torch.cbow_step` as fused Triton kernels.

    ``example`` must be non-decreasing (each example's context words together), as the trainer
    produces it. ``max_context`` bounds the context words of one example (twice the window);
    without it the bound is read from the batch, which waits for the GPU.
    """
    import torch

    counts = torch.bincount(example, minlength=centres.numel())
    ptr = torch.zeros(centres.numel() + 1, dtype=torch.int64, device=centres.device)
    torch.cumsum(counts, 0, out=ptr[1:])
    if max_context is None:
        max_context = int(counts.max()) if counts.numel() else 0
    out_idx = torch.cat([centres.unsqueeze(1), negatives], 1)
    return step(W_in, W_out, context, ptr, out_idx, lr, damping, max_context, block_m)
