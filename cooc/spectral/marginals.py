"""The marginals in a target's denominators, after context distribution smoothing."""

from __future__ import annotations

import numpy as np


def smoothed_marginals(p: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Marginals after context distribution smoothing, symmetrised: ``sqrt(p * p^alpha / sum p^alpha)``.

    Parameters
    ----------
    p : ndarray of shape (V,)
        Unigram probabilities (summing to 1).
    alpha : float
        1 returns ``p`` unchanged.
    """
    p = np.asarray(p, dtype=np.float64)
    if alpha == 1.0:
        return p
    pa = p**alpha
    return np.sqrt(p * pa / pa.sum())


def context_smoothed(p: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The context marginals of Levy et al.'s smoothing, ``p^alpha / sum p^alpha`` (one side only)."""
    p = np.asarray(p, dtype=np.float64)
    if alpha == 1.0:
        return p
    pa = p**alpha
    return pa / pa.sum()


__all__ = ["smoothed_marginals", "context_smoothed"]
