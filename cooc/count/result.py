"""From counted integer planes to a Cooccurrence: symmetrise, weigh, attach the vocabulary and provenance."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.io import provenance
from ..cooccurrence.matrix import Cooccurrence
from ..corpus.store import TokenCorpus
from . import assemble
from .host_csr import plus_transpose


def build_result(
    corpus: TokenCorpus,
    planes: list[sp.csr_matrix],
    per_offset: bool,
    vocab_size: int,
    ints: np.ndarray,
    scale: int,
    settings: dict[str, Any],
    stats: dict[str, Any],
    symmetrized: bool = False,
    weighted: bool = False,
) -> Cooccurrence:
    """Symmetrise (unless ``symmetrized``), apply the weights (unless ``weighted``: ``planes``
    is then the finished total, see :func:`count_planes`) and wrap everything in a Cooccurrence."""
    if settings["symmetric"] and not symmetrized:
        if not per_offset and not weighted:  # one plane: weighed in the same pass, as weigh_planes would
            planes, weighted = [plus_transpose(planes[0], weigh=(settings["weighting"], scale))], True
        else:
            planes = [plus_transpose(m) for m in planes]
    exact = not per_offset or 2 * stats["tokens"] * int(ints.sum()) < 2**62
    if weighted:
        total, per = planes[0], None
    else:
        total, per = weigh_planes(planes, ints, scale, settings["weighting"], per_offset, exact)
    settings["exact"] = exact
    vocab = corpus.vocab.truncate(vocab_size) if vocab_size < len(corpus.vocab) else corpus.vocab
    settings.update(
        corpus=str(corpus.path),
        corpus_id=corpus.identity,
        corpus_created=corpus.manifest.get("created"),
        corpus_tokens=corpus.n_tokens,
        count=stats,
    )
    return Cooccurrence(
        total,
        vocab,
        vocab.counts[:vocab_size],
        settings,
        provenance(**{k: v for k, v in settings.items() if k != "count"}),
        per if settings["per_offset"] else None,
    )


def weigh_planes(
    planes: list[sp.csr_matrix], ints: np.ndarray, scale: int, weighting: str, offsets: bool, exact: bool
) -> tuple[sp.csr_matrix, list[sp.csr_matrix] | None]:
    """Apply the weights: integer planes -> the total (and, with ``offsets``, one matrix per offset).

    Entry by entry, so a row block of the planes gives the same row block of the result.

    Parameters
    ----------
    planes : list of sparse matrices of shape (R, V), int64
        One plane with the integer weights applied, or (``offsets``) one raw plane per offset.
    exact : bool
        Sum the weighted offsets in int64 (else in float64, in the fixed order j = 1..L).

    Returns
    -------
    total : sparse matrix of shape (R, V)
    per : list of sparse matrices of shape (R, V), or None without ``offsets``
    """

    def weighted(m: sp.csr_matrix, factor: int) -> sp.csr_matrix:
        # exact: every count times its weight fits int64 (the caller's bound); else float64, as the
        # int64 product could wrap (harmonic weights over a long window: lcm(1..L) / j is ~1e17)
        counts = m.data if factor == 1 else m.data * (factor if exact else float(factor))
        data = assemble.weigh_counts(np, counts, weighting, scale)
        return sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape)

    if not offsets:
        return weighted(planes[0], 1), None
    per = [weighted(m, int(w)) for m, w in zip(planes, ints)]
    if exact:
        total = weighted(functools.reduce(lambda x, y: x + y, [m * int(w) for m, w in zip(planes, ints)]), 1)
    else:  # fixed order j = 1..L, so every device gives the same rounding
        total = per[0].copy()
        for m in per[1:]:
            total = total + m
    return total, per


__all__ = ["build_result", "plus_transpose", "weigh_planes"]
