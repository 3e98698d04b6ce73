"""How much a network's hidden representations change under a label-preserving transformation.

For a hidden layer ``k`` with representation ``h_k(x)``, a set of test inputs ``x``, their
transformed versions ``T(x)`` (a synonym exchange or a discrete diffeomorphism, see
:mod:`cooc.grammars.transforms`) and unrelated inputs ``y`` (the same test inputs, each paired
with another one at random), the sensitivity is

    S_k = mean_x ||h_k(x) - h_k(T(x))||^2 / mean_(x, y) ||h_k(x) - h_k(y)||^2,

the normalisation of arXiv 2307.02129 and arXiv 2404.10727: ``S_k`` is about 1 for a
representation that does not distinguish a transformed input from an unrelated one and 0
for one invariant to the transformation. A network that has learned the hierarchy becomes
invariant to synonyms and to diffeomorphisms at the P* where its test error falls
(docs/science.md, section 6).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch

from ..._core.errors import InvalidParameterError
from .ensemble import EnsembleNetwork


def sensitivity(
    net: EnsembleNetwork, x: torch.Tensor, x_transformed: torch.Tensor, seed: int = 0, chunk: int = 2048
) -> np.ndarray:
    """The sensitivity of every hidden layer of every member.

    Parameters
    ----------
    net : EnsembleNetwork
    x, x_transformed : tensors of shape (K, n, T, c)
        Each member's test inputs and their transformed versions (row ``i`` of both is one sentence).
    seed : int
        Seed of the random pairing of each input with an unrelated one (:func:`unrelated_order`).
    chunk : int
        Inputs per forward pass.

    Returns
    -------
    ndarray of shape (K, n_hidden_layers)
    """
    if x.shape != x_transformed.shape or x.ndim != 4 or x.shape[0] != net.K:
        raise InvalidParameterError(
            f"sensitivity: x and x_transformed must both have shape (K={net.K}, n, T, c); "
            f"got {tuple(x.shape)} and {tuple(x_transformed.shape)}."
        )
    n = x.shape[1]
    if n < 2:
        raise InvalidParameterError("sensitivity: needs at least 2 test inputs.")
    order = unrelated_order(n, seed).to(x.device)
    moved, unrelated = None, None
    net.eval()
    with torch.no_grad():
        for lo in range(0, n, chunk):
            sl = slice(lo, lo + chunk)
            h = net.hidden(x[:, sl])
            ht = net.hidden(x_transformed[:, sl])
            hy = net.hidden(x[:, order[sl]])
            d_t = torch.stack([_sq_dist(a, b) for a, b in zip(h, ht)], dim=1)  # (K, layers)
            d_y = torch.stack([_sq_dist(a, b) for a, b in zip(h, hy)], dim=1)
            moved = d_t if moved is None else moved + d_t
            unrelated = d_y if unrelated is None else unrelated + d_y
    net.train()
    # n >= 2 inputs (and chunk >= 1), so the loop above ran at least once and set both sums
    ratio = cast(torch.Tensor, moved) / cast(torch.Tensor, unrelated).clamp(min=1e-30)
    return ratio.cpu().numpy()


def unrelated_order(n: int, seed: int = 0) -> torch.Tensor:
    """A random pairing of ``n`` inputs with others: ``order[i] != i`` for every ``i`` (n >= 2).

    A plain shuffle leaves about one input in place, whose distance to its "unrelated" partner
    is 0; that biases the denominator of ``S_k`` low by about 1/n. The inputs are instead put in
    a random order and each is paired with the next one round the cycle.
    """
    gen = torch.Generator().manual_seed(int(seed))
    cycle = torch.randperm(n, generator=gen)
    order = torch.empty(n, dtype=torch.long)
    order[cycle] = torch.roll(cycle, -1)
    return order


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Summed squared distance between paired representations, per member: (K,)."""
    diff = (a - b).reshape(a.shape[0], a.shape[1], -1).float()
    return (diff**2).sum(dim=(1, 2))


def members_inputs(pool_of: Any, per_pool: torch.Tensor) -> torch.Tensor:
    """Gather per-pool inputs ``(S, n, T, c)`` into per-member inputs ``(K, n, T, c)``."""
    index = torch.as_tensor(list(pool_of), dtype=torch.long, device=per_pool.device)
    return per_pool[index]


__all__ = ["members_inputs", "sensitivity"]
