"""A target's block for a few words, exact, without the V x V matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from ..cooccurrence.matrix import Cooccurrence
from ..corpus.vocab import Vocabulary
from .targets import Target

#: The name of the lumped word that stands for every word outside the block.
REST = "\x00rest"


def target_block(cooc: Any, words: Sequence[str], kind: str = "mstar", **params: Any) -> np.ndarray:
    """The block of the V x V target for ``words``, exactly, without building the V x V matrix.

    The other V - n words are lumped into one extra word that keeps their total counts
    and unigram mass, so every P_ij, P_i and the grand total seen by
    :class:`cooc.spectral.targets.Target` are those of the full matrix. With context
    smoothing (``alpha`` != 1) the lump would change sum P^alpha, so the full target is
    built and sliced instead.

    Parameters
    ----------
    cooc : Cooccurrence
    words : sequence of str, length n
    kind : str
        Any target kind (``"mstar"``, ``"m"``, ``"pmi"``, ...).
    **params
        Passed to ``Target`` (``eps``, ``neg``, ``marginals``, ...).

    Returns
    -------
    ndarray of shape (n, n)
    """
    words = list(words)
    ids = cooc.vocab.ids(words)
    missing = [w for w, i in zip(words, ids) if i < 0]
    if missing:
        raise InputDataError(f"{len(missing)} words are not in the co-occurrence vocabulary: {missing[:5]}")
    if params.get("alpha", 1.0) != 1.0:
        return _dense(Target(kind, **params).fit(cooc).matrix_, ids)
    C = cooc.counts
    n = len(ids)
    sub = C[ids][:, ids].toarray().astype(np.float64)
    # the lump's counts are differences of sums: rounding can leave -1e-18 where the true value is 0
    row = np.maximum(np.asarray(C[ids].sum(axis=1), dtype=np.float64).ravel() - sub.sum(axis=1), 0.0)
    col = np.maximum(np.asarray(C[:, ids].sum(axis=0), dtype=np.float64).ravel() - sub.sum(axis=0), 0.0)
    corner = float(cooc.total) - sub.sum() - row.sum() - col.sum()
    counts = np.block([[sub, row[:, None]], [col[None, :], np.array([[max(corner, 0.0)]])]])
    rest = max(float(cooc.unigram.sum() - cooc.unigram[ids].sum()), 0.0)
    unigram = np.append(cooc.unigram[ids].astype(np.float64), rest)
    pairs = cooc.subset(words).independent_pairs if len(cooc.independent_pairs) else None
    lump = Cooccurrence(counts, Vocabulary(words + [REST]), unigram, cooc.settings, independent_pairs=pairs)
    matrix = Target(kind, **params).fit(lump).matrix_
    return _dense(matrix, np.arange(n))


def _dense(matrix: Any, ids: Any) -> np.ndarray:
    block = matrix[ids][:, ids]
    return block.toarray() if hasattr(block, "toarray") else np.asarray(block)


__all__ = ["target_block"]
