"""Windows over token chunks: weights, chunk preparation and (centre, context, offset) pairs.

Everything here is written once against an array module ``xp`` (numpy or cupy), so the
GPU counter runs these very lines on CuPy arrays and CI runs them on numpy.

Definitions (docs/science.md, section 1): a centre token at position i and a context token at
position i + j, j = 1..L, form a *forward* pair of offset j when both are in the
vocabulary and in the same document. With ``oov="drop"`` out-of-vocabulary tokens are
removed before windowing, so windows bridge them; with ``oov="gap"`` they keep their
position and pairs touching them are skipped. The weight of offset j is 1 (uniform),
L + 1 - j (linear) or 1/j (harmonic).

Weights are applied as integers: ``w(j) = weight_ints[j-1] / scale`` exactly (for harmonic
weights ``scale = lcm(1..L)``), so every sum is an exact int64 and the result is the same
bit for bit on every device and in every summation order.

A *chunk* is a stretch of one shard. Chunks end at document boundaries when they can; a
document longer than a chunk is cut, and the last ``L`` tokens before the cut are carried
into the next chunk, where they become centres (see :class:`Carry`), so no pair is lost
or counted twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError

WEIGHTINGS = ("uniform", "linear", "harmonic")
#: the longest harmonic window: lcm(1..42) < 2**62 <= lcm(1..43)
MAX_HARMONIC_WINDOW = 42
OOV_MODES = ("drop", "gap")


def offset_weights(window: int, weighting: str) -> np.ndarray:
    """The weight w(j) of each offset.

    Returns
    -------
    ndarray of shape (window,), float64
        ``w[j - 1]`` for j = 1..window.
    """
    ints, scale = integer_weights(window, weighting)
    return ints / float(scale)


def integer_weights(window: int, weighting: str) -> tuple[np.ndarray, int]:
    """Weights as integers over a common scale: ``w(j) = ints[j - 1] / scale`` exactly.

    Returns
    -------
    ints : ndarray of shape (window,), int64
    scale : int
        1 for uniform and linear weights, ``lcm(1, ..., window)`` for harmonic weights.
    """
    j = np.arange(1, window + 1, dtype=np.int64)
    if weighting == "uniform":
        return np.ones(window, dtype=np.int64), 1
    if weighting == "linear":
        return (window + 1 - j).astype(np.int64), 1
    if weighting == "harmonic":
        if window > MAX_HARMONIC_WINDOW:
            raise InvalidParameterError(
                f"harmonic weights allow a window of at most {MAX_HARMONIC_WINDOW} (they are kept exact over the "
                f"common denominator lcm(1..window), which must fit int64); got {window}. Use weighting "
                f"'uniform' or 'linear' for longer windows."
            )
        scale = math.lcm(*range(1, window + 1))
        return np.array([scale // k for k in range(1, window + 1)], dtype=np.int64), scale
    raise ValueError(f"unknown weighting {weighting!r}; allowed: {WEIGHTINGS}")


@dataclass
class Carry:
    """Tokens at the end of a chunk that was cut inside a document.

    They have not been used as centres yet (their windows reach past the cut) and are
    prepended to the next chunk of the same shard.

    Attributes
    ----------
    ids : array of shape (k,), int32
    labels : array of shape (k,), int64
        Document labels (equal labels = same document).
    """

    ids: Any
    labels: Any


@dataclass
class Chunk:
    """A prepared chunk, ready for pair generation.

    Attributes
    ----------
    ids : array of shape (n,), int32
        Token ids (OOV removed with ``oov="drop"``; kept, as ids >= V, with ``"gap"``).
    rem : array of shape (n,), int32
        For each position, how many following tokens lie in the same document, at most
        ``window``: the offsets j = 1..rem[i] are the candidate pairs of centre i.
    n_centres : int
        Positions ``0 .. n_centres - 1`` are centres in this chunk; the rest are carried.
    """

    ids: Any
    rem: Any
    n_centres: int


def doc_labels(xp: ModuleType, n: int, starts: Any, first_label: int = 0) -> Any:
    """Label each of ``n`` positions with its document.

    Parameters
    ----------
    starts : array of int
        Positions (relative to the chunk) where a document starts; duplicates (empty
        documents) are allowed.
    first_label : int
        Label of a document already running at position 0.

    Returns
    -------
    array of shape (n,), int64
        Non-decreasing; equal for positions in the same document.
    """
    marks = xp.zeros(n, dtype=np.int64)
    starts = xp.asarray(starts, dtype=np.int64)
    starts = starts[starts < n]
    marks[starts] = 1
    return xp.cumsum(marks) + first_label


def remaining_in_doc(xp: ModuleType, labels: Any, window: int) -> Any:
    """For each position, the number of following positions with the same label, capped at ``window``.

    Parameters
    ----------
    labels : array of shape (n,)
        Non-decreasing document labels.

    Returns
    -------
    array of shape (n,), int32
    """
    n = labels.shape[0]
    if n == 0:
        return xp.zeros(0, dtype=np.int32)
    change = labels[1:] != labels[:-1]
    run = xp.concatenate([xp.zeros(1, dtype=np.int64), xp.cumsum(change, dtype=np.int64)])
    run_end = xp.concatenate([xp.flatnonzero(change) + 1, xp.asarray([n], dtype=np.int64)])
    rem = run_end[run] - xp.arange(n, dtype=np.int64) - 1
    return xp.minimum(rem, window).astype(np.int32)


def prepare_chunk(
    xp: ModuleType,
    tokens: Any,
    starts: Any,
    vocab_size: int,
    window: int,
    oov: str,
    carry: Carry | None,
    cut: bool,
    starts_mid_doc: bool,
) -> tuple[Chunk, Carry | None]:
    """Filter a raw chunk and work out the window limits of every position.

    Parameters
    ----------
    tokens : array of shape (n,), int32
        Raw token ids of the chunk (on the device of ``xp``).
    starts : array of int
        Chunk-relative positions where documents start.
    vocab_size : int
        Ids ``>= vocab_size`` are out of vocabulary.
    carry : Carry or None
        Tokens carried from the previous chunk of the same shard.
    cut : bool
        The chunk ends inside a document (the next chunk continues it).
    starts_mid_doc : bool
        The chunk begins inside the document the carry belongs to.

    Returns
    -------
    chunk : Chunk
    carry : Carry or None
        What the next chunk must start with (``None`` when ``cut`` is false).
    """
    first = 0
    if carry is not None and carry.labels.shape[0]:
        first = int(carry.labels[-1]) + (0 if starts_mid_doc else 1)
    labels = doc_labels(xp, tokens.shape[0], starts, first)
    ids = tokens.astype(np.int32, copy=False)
    if oov == "drop":
        keep = ids < vocab_size
        ids, labels = ids[keep], labels[keep]
    if carry is not None and carry.ids.shape[0]:
        ids = xp.concatenate([carry.ids, ids])
        labels = xp.concatenate([carry.labels, labels])
    n = ids.shape[0]
    rem = remaining_in_doc(xp, labels, window)
    if not cut:
        return Chunk(ids, rem, n), None
    n_centres = max(n - window, 0)
    return Chunk(ids, rem, n_centres), Carry(ids[n_centres:].copy(), labels[n_centres:].copy())


def offset_pairs(xp: ModuleType, chunk: Chunk, j: int, vocab_size: int) -> tuple[Any, Any]:
    """The forward pairs of offset ``j``: centres ``a`` and the contexts ``b`` j positions after them.

    Returns
    -------
    a, b : arrays of shape (m,), int32
        One entry per pair, in position order.
    """
    c = chunk.n_centres
    if c == 0 or j >= chunk.ids.shape[0]:
        empty = xp.zeros(0, dtype=np.int32)
        return empty, empty
    stop = min(c, chunk.ids.shape[0] - j)
    a = chunk.ids[:stop]
    b = chunk.ids[j : j + stop]
    valid = (chunk.rem[:stop] >= j) & (a < vocab_size) & (b < vocab_size)
    return a[valid], b[valid]
