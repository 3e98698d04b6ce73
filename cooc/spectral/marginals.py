"""The marginals in a target's denominators, after context distribution smoothing."""

from __future__ import annotations

import numpy as np

from .._core.errors import InvalidParameterError


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
    pa = _powered(p, alpha)
    return np.sqrt(p * pa / pa.sum())


def context_smoothed(p: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The context marginals of Levy et al.'s smoothing, ``p^alpha / sum p^alpha`` (one side only)."""
    p = np.asarray(p, dtype=np.float64)
    if alpha == 1.0:
        return p
    pa = _powered(p, alpha)
    return pa / pa.sum()


def _powered(p: np.ndarray, alpha: float) -> np.ndarray:
    """``p^alpha`` up to a common factor, which the normalisations above cancel.

    ``p^alpha`` itself where no word's term underflows; otherwise ``(p / max p)^alpha``, whose
    largest term is 1. A word of nonzero probability whose term still underflows to 0 (a large
    alpha: (1e-3 / 0.1)^200 is 0) is refused: its smoothed marginal would be 0, and its target
    entries those of a word never seen.
    """
    pa = p**alpha
    seen = p > 0
    total = pa.sum()
    if total > 0 and np.isfinite(total) and np.all(pa[seen] > 0):
        return pa
    pa = (p / p.max()) ** alpha if seen.any() else pa
    lost = seen & (pa == 0)
    if lost.any():
        raise InvalidParameterError(
            f"alpha = {alpha}: p^alpha underflows to 0 (relative to the most frequent word's) for "
            f"{int(lost.sum())} word(s) of nonzero probability, the rarest at p = {p[seen].min():.3g}; "
            "take a smaller alpha."
        )
    return pa


__all__ = ["smoothed_marginals", "context_smoothed"]
