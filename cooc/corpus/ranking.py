"""The vocabulary's order, chosen at the end of a corpus build: count, descending, then the
type's UTF-8 bytes (which sort as code points): ties in count are broken alphabetically
(docs/science.md, Vocabulary).

The sort is numpy's on two integer keys per type (the count, and the first 8 bytes as a
big-endian integer); only types that tie on both are then ordered by their whole bytes in
Python. With millions of types the two-key sort is the largest serial step left in a build's
finish (0.5 s for 1.8M types on the 2-core VM), so :func:`lexsort_threads` cuts it into parts
of about equal size at splitters drawn from a sample, and sorts the parts on threads (numpy
releases the GIL while sorting). The result is exactly ``np.lexsort``'s: a part holds every
type whose keys fall between two splitters, so equal keys share a part and keep their order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._tokenize_fast import TypeTable
from .vocab import Vocabulary

PART_MIN = 1 << 17  # types per part at least: below that a thread costs more than it saves
SAMPLE_PER_PART = 64  # sample points per part when choosing the splitters


def lexsort_threads(major: np.ndarray, minor: np.ndarray, threads: int = 1) -> np.ndarray:
    """``np.lexsort((minor, major))`` (ascending by ``major``, then ``minor``; stable), sorted in
    up to ``threads`` parts at once. Both keys are 1-D integer arrays of one length."""
    n = major.size
    parts = max(1, min(threads, n // PART_MIN))
    if parts == 1:
        return np.lexsort((minor, major))
    part = _parts_of(major, minor, *_splitters(major, minor, parts))
    grouped = np.argsort(part, kind="stable")  # by part, each in the input's order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=parts))])
    order = np.empty(n, dtype=np.int64)

    def sort_part(k: int) -> None:
        lo, hi = bounds[k], bounds[k + 1]
        members = grouped[lo:hi]
        order[lo:hi] = members[np.lexsort((minor[members], major[members]))]

    with ThreadPoolExecutor(parts, thread_name_prefix="cooc-rank") as pool:
        list(pool.map(sort_part, range(parts)))
    return order


def _splitters(major: np.ndarray, minor: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """``parts - 1`` keys in ascending order: every (len(sample) / parts)-th key of a sorted, evenly
    strided sample of ``SAMPLE_PER_PART`` keys per part."""
    step = max(major.size // (SAMPLE_PER_PART * parts), 1)
    sample_major, sample_minor = major[::step], minor[::step]
    ranked = np.lexsort((sample_minor, sample_major))
    cut = ranked[(np.arange(1, parts) * ranked.size) // parts]
    return sample_major[cut], sample_minor[cut]


def _parts_of(major: np.ndarray, minor: np.ndarray, split_major: np.ndarray, split_minor: np.ndarray) -> np.ndarray:
    """Each key's part: how many splitters are at or below it (comparing ``major``, then ``minor``)."""
    below = np.searchsorted(split_major, major, side="left")  # splitters with a smaller major key
    level = np.searchsorted(split_major, major, side="right")
    ties = np.flatnonzero(level > below)  # keys whose major equals some splitter's: the minor decides
    part = below.astype(np.uint16 if split_major.size < (1 << 16) else np.int64)
    for value in np.unique(split_major):
        lo, hi = np.searchsorted(split_major, value, side="left"), np.searchsorted(split_major, value, side="right")
        at = ties[major[ties] == value]
        part[at] += np.searchsorted(split_minor[lo:hi], minor[at], side="right").astype(part.dtype)
    return part


def rank_order(types: TypeTable, ids: np.ndarray, counts: np.ndarray, threads: int = 1) -> np.ndarray:
    """The order of ``ids`` (distinct and ascending, as np.flatnonzero gives them) by count,
    descending, then by the type's bytes.

    numpy sorts by (count, first 8 bytes as a big-endian integer, zero-padded); only types that
    tie on both are then sorted by their whole bytes in Python. With a Python key per type, 2M types
    whose counts tie in the tail took 7.8 s on the 2-core VM (2.7 s this way), almost all in
    comparing the byte strings.
    """
    prefix = types.sort_prefix(ids)
    order = lexsort_threads(-np.asarray(counts, dtype=np.int64), prefix, threads)
    c, p = counts[order], prefix[order]
    tied = (c[1:] == c[:-1]) & (p[1:] == p[:-1])
    edges = np.diff(np.concatenate([[0], tied.astype(np.int8), [0]]))
    for lo, hi in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        group = order[lo : hi + 1]
        names = types.names(ids[group])
        order[lo : hi + 1] = group[sorted(range(group.size), key=names.__getitem__)]
    return order


def chosen_types(
    types: TypeTable, counts: np.ndarray, size: int | None, min_count: int, threads: int = 1
) -> np.ndarray:
    """Provisional ids of the kept words in rank order (count desc, then alphabetical)."""
    candidates = np.flatnonzero(counts >= min_count)
    if size is not None and candidates.size > size:
        # Everything strictly above the size-th count is in; ties at that count are sorted below.
        threshold = np.partition(counts[candidates], candidates.size - size)[candidates.size - size]
        candidates = candidates[counts[candidates] >= threshold]
    chosen = candidates[rank_order(types, candidates, counts[candidates], threads)]
    return chosen if size is None else chosen[:size]


def vocabulary_of(types: TypeTable, chosen: np.ndarray, counts: np.ndarray) -> Vocabulary:
    """The vocabulary of the ``chosen`` types, in their order (one word per type)."""
    return Vocabulary(types.decoded(chosen), counts[chosen], total=int(counts.sum()), distinct=True)


def choose_vocab(
    types: TypeTable, counts: np.ndarray, size: int | None, min_count: int, threads: int = 1
) -> tuple[np.ndarray, Vocabulary]:
    """Provisional ids of the kept words in rank order, and their vocabulary."""
    chosen = chosen_types(types, counts, size, min_count, threads)
    return chosen, vocabulary_of(types, chosen, counts)


__all__ = ["choose_vocab", "chosen_types", "lexsort_threads", "rank_order", "vocabulary_of"]
