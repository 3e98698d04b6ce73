"""Exact co-occurrence of a model as a :class:`~cooc.Cooccurrence`, so every target applies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..cooccurrence.matrix import Cooccurrence
from ..corpus.vocab import Vocabulary


def exact_cooccurrence(
    joint: np.ndarray, unigram: np.ndarray, words: Sequence[str], settings: dict[str, Any] | None = None
) -> Cooccurrence:
    """Wrap an exact pair distribution (V, V) and unigram distribution (V,) as a Cooccurrence.

    The counts are the probabilities themselves (float64, summing to 1), so
    ``cooc.spectral.targets.Target(kind).fit(result)`` gives the exact M, PMI, M*, ...
    A joint law that is symmetric up to round-off (``p^T diag(q) p`` computed in floating point)
    is made exactly symmetric, as the eigensolvers require of its targets.
    """
    joint = np.asarray(joint, dtype=np.float64)
    if joint.size and np.abs(joint - joint.T).max() <= 1e-12 * np.abs(joint).max():
        joint = (joint + joint.T) / 2
    settings = {"exact": True, **(settings or {})}
    return Cooccurrence(
        sp.csr_matrix(joint / joint.sum()),
        Vocabulary(list(words)),
        unigram=np.asarray(unigram, dtype=np.float64),
        settings=settings,
    )


def pair_histogram(tokens: np.ndarray, n_words: int, lags: Sequence[int] | None = None) -> np.ndarray:
    """Counts of ordered token pairs inside each row of ``tokens`` (shape (n_docs, T)).

    ``lags=None`` counts every ordered pair of distinct positions; otherwise only pairs
    ``(x_t, x_{t+k})`` and ``(x_{t+k}, x_t)`` for ``k`` in ``lags`` (a symmetric window).
    Returns an int64 matrix of shape (n_words, n_words).
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    T = tokens.shape[1]
    lags = range(1, T) if lags is None else lags
    counts = np.zeros(n_words * n_words, dtype=np.int64)
    for k in lags:
        if 0 < k < T:
            codes = tokens[:, :-k] * n_words + tokens[:, k:]
            counts += np.bincount(codes.ravel(), minlength=n_words * n_words)
    matrix = counts.reshape(n_words, n_words)
    return matrix + matrix.T
