"""The skip-gram step by windows (:func:`cooc.train.word2vec._step_torch.window_step`) as two fused Triton kernels.

A window is a centre word, its context words and one draw of K negatives that all its pairs
share (``kernel="shared"``). The pair step (:mod:`cooc.train.word2vec._step_triton`) gathers, for
every pair, its input row and K + 1 output rows, and adds into K + 2 rows. By windows the K + 1
output rows are gathered once and moved once for the window's pairs, about 2r of them (r the
radius drawn, 3 on average for window 5): per pair about 2 row reads and 2 atomic row adds
instead of K + 2 each. A step of this kind is bound by those random row accesses.

1. ``_score``: per window, the K + 1 output rows in one (K + 1, d) tile; for each context word
   its row, its K + 1 scores, the loss, its input row's gradient (written out), and the output
   rows' gradients summed over the window (written out at the end); damped, each row's curvature
   total ``T_r`` by atomic adds.
2. ``_apply``: ``W_out[o] -= step_o dL/dv_o`` and ``W_in[c] -= step_c dL/du_c`` by atomic adds,
   with ``step_r = min(lr, damping / T_r)``. It reads only what ``_score`` wrote, so every score
   of the batch sees the weights before the step, as in the other batched steps.

With ``TRITON_INTERPRET=1`` set before triton is imported the kernels run on CPU tensors (tests).
"""

from __future__ import annotations

import os

from ._step_triton import (
    block_shape,
    checked_device,
    interpreted,
    launch_buffers,
    program_tile,
    sgns_terms,
    tl,
    triton,
)

# Windows per program and warps per program. A window holds its (K + 1, d) output tile and the
# same-sized gradient tile in registers, twice the pair step's load per example, hence 2 windows a
# program by default. COOC_TRITON_WINDOW_BLOCK="BxW" sets another shape (benchmarks/device_session.sh).
BLOCK_M, NUM_WARPS = block_shape(os.environ.get("COOC_TRITON_WINDOW_BLOCK"), "COOC_TRITON_WINDOW_BLOCK", (2, 4))


@triton.jit
def _output_tile(out_idx, rows, live, cols, in_d, d, K1: tl.constexpr, K1P: tl.constexpr):
    """Each window's output ids (BLOCK_M, K1P), which of them are terms of the loss, and their rows."""
    ks = tl.arange(0, K1P)
    o = tl.load(out_idx + rows[:, None] * K1 + ks[None, :], mask=live[:, None] & (ks < K1)[None, :], other=0)
    centre = tl.load(out_idx + rows * K1, mask=live, other=0)
    # a negative equal to the centre is skipped, as in word2vec.c
    valid = live[:, None] & (ks < K1)[None, :] & ((o != centre[:, None]) | (ks == 0)[None, :])
    tile = o[:, :, None] * d + cols[None, None, :]
    return ks, o, valid, tile, valid[:, :, None] & in_d[None, None, :]


@triton.jit
def _score(
    W_in,
    W_out,
    ctx,
    out_idx,
    in_grad,
    out_grad,
    T_in,
    T_out,
    loss_part,
    n_ex,
    d,
    K1: tl.constexpr,
    K1P: tl.constexpr,
    C: tl.constexpr,
    DAMPED: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    pid, rows, live, cols, in_d = program_tile(n_ex, d, BLOCK_M, BLOCK_D)
    ks, o, valid, tile, tile_mask = _output_tile(out_idx, rows, live, cols, in_d, d, K1, K1P)
    v = tl.load(W_out + tile, mask=tile_mask, other=0.0)  # (BLOCK_M, K1P, BLOCK_D)
    go = tl.zeros((BLOCK_M, K1P, BLOCK_D), dtype=tl.float32)
    loss = tl.zeros((BLOCK_M,), dtype=tl.float32)
    u_sq = tl.zeros((BLOCK_M,), dtype=tl.float32)
    v_sq = tl.sum(tl.sum(v * v, axis=2), axis=1)  # the skipped rows were loaded as zeros
    positive = (ks == 0)[None, :]
    for j in range(0, C):
        w = tl.load(ctx + rows * C + j, mask=live, other=-1)
        here = w >= 0
        u = tl.load(W_in + w[:, None] * d + cols[None, :], mask=here[:, None] & in_d[None, :], other=0.0)
        s = tl.sum(v * u[:, None, :], axis=2)  # (BLOCK_M, K1P)
        term, gk = sgns_terms(s, valid & here[:, None], positive)  # gk: dL/ds
        loss += tl.sum(term, axis=1)
        gu = tl.sum(gk[:, :, None] * v, axis=1)  # dL/du, (BLOCK_M, BLOCK_D)
        row = (rows * C + j).to(tl.int64)
        tl.store(in_grad + row[:, None] * d + cols[None, :], gu, mask=here[:, None] & in_d[None, :])
        go += gk[:, :, None] * u[:, None, :]
        if DAMPED:
            u_sq += tl.sum(u * u, axis=1)
            tl.atomic_add(T_in + w, 0.25 * v_sq, mask=here)
    slot = (rows[:, None] * K1 + ks[None, :]).to(tl.int64)
    tl.store(out_grad + slot[:, :, None] * d + cols[None, None, :], go, mask=tile_mask)
    if DAMPED:
        tl.atomic_add(T_out + o, 0.25 * u_sq[:, None] + tl.zeros((BLOCK_M, K1P), dtype=tl.float32), mask=valid)
    tl.store(loss_part + pid, tl.sum(loss, axis=0))


@triton.jit
def _apply(
    W_in,
    W_out,
    ctx,
    out_idx,
    in_grad,
    out_grad,
    T_in,
    T_out,
    lr_ptr,
    damping,
    n_ex,
    d,
    K1: tl.constexpr,
    K1P: tl.constexpr,
    C: tl.constexpr,
    DAMPED: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    pid, rows, live, cols, in_d = program_tile(n_ex, d, BLOCK_M, BLOCK_D)
    lr = tl.load(lr_ptr)
    ks, o, valid, tile, tile_mask = _output_tile(out_idx, rows, live, cols, in_d, d, K1, K1P)
    slot = (rows[:, None] * K1 + ks[None, :]).to(tl.int64)
    go = tl.load(out_grad + slot[:, :, None] * d + cols[None, None, :], mask=tile_mask, other=0.0)
    step_o = lr + tl.zeros((BLOCK_M, K1P), dtype=tl.float32)
    if DAMPED:
        step_o = tl.minimum(lr, damping / tl.maximum(tl.load(T_out + o, mask=valid, other=1.0), 1e-30))
    tl.atomic_add(W_out + tile, -step_o[:, :, None] * go, mask=tile_mask)
    for j in range(0, C):
        w = tl.load(ctx + rows * C + j, mask=live, other=-1)
        here = w >= 0
        row = (rows * C + j).to(tl.int64)
        gu = tl.load(in_grad + row[:, None] * d + cols[None, :], mask=here[:, None] & in_d[None, :], other=0.0)
        step = lr + tl.zeros((BLOCK_M,), dtype=tl.float32)
        if DAMPED:
            step = tl.minimum(lr, damping / tl.maximum(tl.load(T_in + w, mask=here, other=1.0), 1e-30))
        tl.atomic_add(W_in + w[:, None] * d + cols[None, :], -step[:, None] * gu, mask=here[:, None] & in_d[None, :])


def window_step(
    W_in,
    W_out,
    centres,
    context,
    negatives,
    lr,
    damping: float | None = 1.0,
    block_m: int | None = None,
    num_warps: int | None = None,
):
    """:func:`cooc.train.word2vec._step_torch.window_step` as fused Triton kernels; returns the summed loss.

    ``block_m`` and ``num_warps``: windows and warps per program (default :data:`BLOCK_M`,
    :data:`NUM_WARPS`; block 1024 in the interpreter, whose cost is per program).
    """
    import torch

    device = checked_device(W_in, W_out)
    out_idx = torch.cat([centres.unsqueeze(1), negatives], 1)
    n_ex, k1 = out_idx.shape
    c = context.shape[1]
    V, d = W_in.shape
    damped = damping is not None
    if n_ex == 0:
        return torch.zeros((), dtype=torch.float32, device=device)
    block_m = block_m or (1024 if interpreted() else BLOCK_M)
    in_grad = torch.empty((n_ex * c, d), dtype=torch.float32, device=device)
    out_grad = torch.empty((n_ex * k1, d), dtype=torch.float32, device=device)
    T, lr_t, grid, loss_part = launch_buffers(V, damped, lr, n_ex, block_m, device)
    ctx = context.contiguous()
    meta = {
        "K1": k1,
        "K1P": triton.next_power_of_2(k1),
        "C": c,
        "DAMPED": damped,
        "BLOCK_M": block_m,
        "BLOCK_D": triton.next_power_of_2(d),
    }
    if device.type == "cuda":
        meta["num_warps"] = num_warps or NUM_WARPS
    args = (W_in, W_out, ctx, out_idx, in_grad, out_grad, T[0], T[1])
    _score[grid](*args, loss_part, n_ex, d, **meta)
    _apply[grid](*args, lr_t, float(damping or 0.0), n_ex, d, **meta)
    return loss_part.sum()
