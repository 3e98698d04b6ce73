"""One batched SGD step of skip-gram or CBOW with negative sampling (hand-written gradients).

A batch holds many examples at once, so a word may appear in it many times; updates are
accumulated with ``index_add_`` (never ``W[idx] -= ...``, which keeps only one of the
repeated rows). Summing many gradients of one row in one step is what makes large batches
unstable: word2vec.c applies them one after another, and the sigmoid saturates in between,
while their sum can overshoot (on a 20-word vocabulary a batch of 8192 pairs diverges).

``damping`` bounds each row's step by the smoothness of its part of the loss. For row r the
batch loss has Hessian ``sum_i sigma'(s_i) x_i x_i^T`` over the occurrences i of r (x_i: the
vector it is dotted with), and sigma' <= 1/4, so its gradient is L_r-Lipschitz with
``L_r <= T_r = sum_i |x_i|^2 / 4``. A step of ``lr * (summed gradient)`` cannot overshoot when
``lr * T_r <= 1``; each row's summed gradient is therefore multiplied by
``min(1, damping / (lr T_r))``. Rows seen a few times (almost all rows of a real vocabulary)
keep exactly the SGD step; the fixed points of SGD are unchanged; only steps that could
overshoot are shortened. (The Gauss-Newton curvature sigma'(s_i) at the current scores is
not enough: a positive pair scored far on the wrong side has sigma' ~ 0 but gradient ~ x_i,
and a 64-word corpus diverged with it.)
"""

from __future__ import annotations

# Every function below takes ``lr`` as a float or as a 0-d tensor on the weights' device (so
# that a captured CUDA graph can replay the step with a new learning rate), and launches as few
# kernels as the step allows: on a GPU the step's cost at moderate batches is mostly launches.


def _row_factor(index, sq_norms, n_rows: int, lr, damping: float):
    """Per-occurrence step ``min(lr, damping / T_row)``, ``T_row = sum |x|^2 / 4`` over the row's occurrences.

    ``sq_norms`` holds each occurrence's ``|x|^2`` (0 for skipped terms); the 1/4 is applied here.
    """
    import torch

    total = torch.zeros(n_rows, dtype=sq_norms.dtype, device=sq_norms.device).index_add_(0, index, sq_norms)
    return total.clamp_(min=1e-30).reciprocal_().mul_(4.0 * damping).clamp_(max=lr)[index]


_SIGNS: dict = {}


def _signs(n: int, like):
    """``[-1, 1, ..., 1]`` of length n and its negation, on ``like``'s device (made once, not per step)."""
    import torch

    key = (n, like.device, like.dtype)
    if key not in _SIGNS:
        sign = torch.ones(n, dtype=like.dtype, device=like.device)
        sign[0] = -1.0
        _SIGNS[key] = sign, -sign
    return _SIGNS[key]


def _output_side(u, out_idx, W_out, lr, damping: float | None):
    """Scores against the positive (column 0) and the negatives; the output-vector update.

    Parameters
    ----------
    u : tensor of shape (B, d)
        Input (hidden) vectors.
    out_idx : int64 tensor of shape (B, K + 1)
        Positive output id, then K negatives.

    Returns
    -------
    v : tensor of shape (B, K + 1, d)
        Output vectors before the step.
    g : tensor of shape (B, K + 1)
        -dLoss/dscore, the descent direction of each score (0 for a negative equal to its
        positive, which word2vec.c skips).
    valid : tensor of shape (B, K + 1)
        1 for the terms of the loss, 0 for skipped negatives (in ``u``'s dtype).
    loss : scalar tensor
        ``sum(-log sigmoid(s_pos) - sum_k log sigmoid(-s_neg_k))`` over the batch.
    """
    import torch
    import torch.nn.functional as F

    v = W_out[out_idx]
    s = torch.bmm(v, u.unsqueeze(2)).squeeze(2)
    valid = out_idx != out_idx[:, :1]
    valid[:, 0] = True
    valid = valid.to(u.dtype)
    sign, minus_sign = _signs(s.shape[1], s)
    z = s * sign  # each term of the loss is softplus(z): -s for the positive, s for a negative
    loss = (F.softplus(z) * valid).sum()
    g = torch.sigmoid(z) * (valid * minus_sign)  # -dL/ds: sigmoid(-s_pos) for the positive, -sigmoid(s_neg)
    if damping is None:
        coef = g * lr
    else:
        sq_norms = valid * (u * u).sum(1, keepdim=True)
        coef = g * _row_factor(out_idx.reshape(-1), sq_norms.reshape(-1), W_out.shape[0], lr, damping).view_as(g)
    # (index_add_ with alpha = -1 takes a 3x slower path on the CPU, hence the descent direction in g.)
    W_out.index_add_(0, out_idx.reshape(-1), (coef.unsqueeze(2) * u.unsqueeze(1)).reshape(-1, u.shape[1]))
    return v, g, valid, loss


def _input_step(v, g, valid, index, n_rows: int, lr, damping: float | None, per_example=None):
    """Update of the input side: -dLoss/du of each example times each row's step."""
    import torch

    grad = torch.bmm(g.unsqueeze(1), v).squeeze(1)
    if damping is None:
        return (grad[per_example] if per_example is not None else grad) * lr
    sq_norms = (valid * (v * v).sum(2)).sum(1)
    if per_example is not None:
        grad, sq_norms = grad[per_example], sq_norms[per_example]
    return grad * _row_factor(index, sq_norms, n_rows, lr, damping).unsqueeze(1)


def sgns_step(W_in, W_out, inputs, outputs, negatives, lr, damping: float | None = 1.0):
    """One skip-gram step on a batch of pairs; updates ``W_in`` and ``W_out`` in place.

    Parameters
    ----------
    W_in, W_out : tensors of shape (V, d)
        Input and output vectors.
    inputs, outputs : int64 tensors of shape (B,)
        The word whose input vector is used (the context word, as in word2vec.c) and the
        word predicted (the centre).
    negatives : int64 tensor of shape (B, K)
    lr : float or 0-d tensor
    damping : float or None
        Curvature bound of each row's step (module docstring); None for plain summed SGD.

    Returns
    -------
    scalar tensor: the summed loss of the batch before the step.
    """
    import torch

    u = W_in[inputs]
    out_idx = torch.cat([outputs.unsqueeze(1), negatives], 1)
    v, g, valid, loss = _output_side(u, out_idx, W_out, lr, damping)
    W_in.index_add_(0, inputs, _input_step(v, g, valid, inputs, W_in.shape[0], lr, damping))
    return loss


def cbow_step(W_in, W_out, centres, context, example, negatives, lr, damping: float | None = 1.0):
    """One CBOW step (mean of the context vectors); updates ``W_in`` and ``W_out`` in place.

    Each context word receives the gradient with respect to the mean, undivided by the
    window size, as word2vec.c and gensim (``cbow_mean=1``) do.

    Parameters
    ----------
    centres : int64 tensor of shape (B,)
    context, example : int64 tensors of shape (n_ctx,)
        Context words and the example (row of ``centres``) each belongs to.
    negatives : int64 tensor of shape (B, K)

    Returns
    -------
    scalar tensor: the summed loss of the batch before the step.
    """
    import torch

    B, d = centres.shape[0], W_in.shape[1]
    counts = torch.bincount(example, minlength=B).clamp(min=1).to(W_in.dtype)
    h = torch.zeros((B, d), dtype=W_in.dtype, device=W_in.device).index_add_(0, example, W_in[context])
    h = h / counts.unsqueeze(1)
    out_idx = torch.cat([centres.unsqueeze(1), negatives], 1)
    v, g, valid, loss = _output_side(h, out_idx, W_out, lr, damping)
    W_in.index_add_(0, context, _input_step(v, g, valid, context, W_in.shape[0], lr, damping, per_example=example))
    return loss


def window_step(W_in, W_out, centres, context, negatives, lr, damping: float | None = 1.0):
    """One skip-gram step on a batch of windows whose pairs share their negatives; updates in place.

    Window i is the centre word ``centres[i]`` with its context words ``context[i]`` (padded with
    -1). Every context word c of the window is the input of one pair (c, centre), and all the
    window's pairs are scored against the same K negatives ``negatives[i]`` (Ji et al. 2016; the
    batched form of ``kernel="shared"``). The step is :func:`sgns_step` on those pairs, each given
    its window's negatives (tested so), computed without listing the pairs: every window gathers
    its K + 1 output rows once, and moves them once by the sum of its pairs' steps.

    Parameters
    ----------
    centres : int64 tensor of shape (B,)
    context : int64 tensor of shape (B, C)
        Context words of each window, -1 where there is none (C = 2 x the largest radius).
    negatives : int64 tensor of shape (B, K)

    Returns
    -------
    scalar tensor: the summed loss of the batch's pairs before the step.
    """
    import torch
    import torch.nn.functional as F

    here = (context >= 0).to(W_in.dtype)  # (B, C)
    ctx = context.clamp(min=0)  # a pad reads row 0 and adds exact zeros to it
    u = W_in[ctx] * here.unsqueeze(2)  # (B, C, d)
    out_idx = torch.cat([centres.unsqueeze(1), negatives], 1)  # (B, K + 1)
    v = W_out[out_idx]
    valid = out_idx != out_idx[:, :1]
    valid[:, 0] = True
    valid = valid.to(W_in.dtype)
    s = torch.bmm(u, v.transpose(1, 2))  # (B, C, K + 1)
    sign, minus_sign = _signs(s.shape[2], s)
    z = s * sign
    terms = here.unsqueeze(2) * valid.unsqueeze(1)  # 1 for each pair's terms of the loss
    loss = (F.softplus(z) * terms).sum()
    g = torch.sigmoid(z) * terms * minus_sign  # -dL/ds
    out_grad = torch.bmm(g.transpose(1, 2), u)  # (B, K + 1, d): summed over the window's pairs
    in_grad = torch.bmm(g, v)  # (B, C, d)
    n_rows, d = W_in.shape[0], W_in.shape[1]
    if damping is None:
        out_coef, in_coef = lr, lr
    else:
        out_sq = valid * (u * u).sum((1, 2)).unsqueeze(1)  # each output row's partners: the window's inputs
        in_sq = here * (valid * (v * v).sum(2)).sum(1, keepdim=True)
        out_coef = _row_factor(out_idx.reshape(-1), out_sq.reshape(-1), n_rows, lr, damping).view(-1, 1)
        in_coef = _row_factor(ctx.reshape(-1), in_sq.reshape(-1), n_rows, lr, damping).view(-1, 1)
    W_out.index_add_(0, out_idx.reshape(-1), out_grad.reshape(-1, d) * out_coef)
    W_in.index_add_(0, ctx.reshape(-1), in_grad.reshape(-1, d) * in_coef)
    return loss
