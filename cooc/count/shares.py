"""Which thread of the compiled CPU counter adds which pairs: rows dealt to threads, the heaviest rows shared.

Each thread of the numba kernel (:mod:`cooc.count._numba`) adds the pairs of the centre rows it
owns, so no two threads ever write one head cell and no atomics are needed. Rows are dealt largest
first to the least loaded thread, weighed by word frequency (every occurrence of a centre brings its
window's pairs). One row can still be heavier than a thread's fair share: in a Zipf stream
(exponent 1, 100k types) the most frequent word is 8.3% of the tokens, so with 16 threads, whose
fair share is 6.25%, the thread that owned it had 1.40 times the mean load and the others waited
for it. Such a row, when all its columns lie in the dense head (so none of its pairs goes to the
tail), is cut into column ranges of about equal pair mass, each owned by a different thread: every
thread holding a share walks that row's windows and adds only the pairs whose context word falls in
its range. Each head cell still has exactly one writer.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shares:
    """Who adds which pairs.

    Attributes
    ----------
    owner : ndarray of shape (V,), int32
        The thread of each row that is not shared (-1 for a shared row).
    split : ndarray of shape (V,), int32
        -1, or the index ``k`` of a shared row in ``lo`` and ``hi``.
    lo, hi : ndarray of shape (K, threads), int64
        Thread ``t`` adds the pairs ``(a, b)`` of shared row ``k = split[a]`` with ``lo[k, t] <= b <
        hi[k, t]`` (none where ``lo == hi``).
    """

    owner: np.ndarray
    split: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def unshared(cls, owner: np.ndarray, threads: int | None = None) -> Shares:
        """Every row owned whole by the thread ``owner`` names."""
        owner = np.asarray(owner, dtype=np.int32)
        threads = int(owner.max(initial=0)) + 1 if threads is None else threads
        empty = np.zeros((0, threads), dtype=np.int64)
        return cls(owner, np.full(owner.shape[0], -1, dtype=np.int32), empty, empty.copy())

    def loads(self, weights: np.ndarray, col_weights: np.ndarray | None = None) -> np.ndarray:
        """Each thread's pairs under the model that row ``a`` brings ``weights[a]`` of them, spread over its
        columns as ``col_weights`` (default ``weights``)."""
        weights = np.asarray(weights, dtype=np.float64)
        threads = self.lo.shape[1]
        load = np.bincount(self.owner[self.owner >= 0], weights=weights[self.owner >= 0], minlength=threads)
        load = load.astype(np.float64)
        cum = _cumulative(weights if col_weights is None else col_weights)
        for a in np.flatnonzero(self.split >= 0):
            k = self.split[a]
            load += weights[a] * (cum[self.hi[k]] - cum[self.lo[k]])
        return load


def share_rows(
    weights: np.ndarray, threads: int, whole_in_head: np.ndarray, col_weights: np.ndarray | None = None
) -> Shares:
    """Deal rows to ``threads`` threads by ``weights``, cutting a row heavier than half a fair share into
    column ranges when ``whole_in_head[row]`` (every cell of the row in the dense head).

    Parameters
    ----------
    weights : ndarray of shape (V,)
        Each row's work (its word's count); 1 is added to each, as empty rows still cost a little.
    threads : int
    whole_in_head : ndarray of shape (V,), bool
    col_weights : ndarray of shape (V,), optional
        How a row's pairs spread over its columns (default ``weights``: context words as frequent as
        centre words).
    """
    weights = np.asarray(weights, dtype=np.float64)
    V = weights.shape[0]
    w = weights + 1.0
    owner = np.zeros(V, dtype=np.int32)
    if threads <= 1:
        return Shares.unshared(owner, max(threads, 1))
    cum = _cumulative(weights if col_weights is None else col_weights)
    half = w.sum() / threads / 2
    heavy = [int(row) for row in np.flatnonzero(w > half) if whole_in_head[row]]
    split = np.full(V, -1, dtype=np.int32)
    split[heavy] = np.arange(len(heavy), dtype=np.int32)
    # the work items, largest first (ties by row, then column): every row not shared, and each share
    rows, firsts, ends, works = [np.flatnonzero(split < 0)], [np.zeros(V - len(heavy), np.int64)], [], []
    ends.append(np.full(V - len(heavy), V, dtype=np.int64))
    works.append(w[rows[0]])
    for row in heavy:
        parts = min(threads, math.ceil(w[row] / half))
        cuts = np.searchsorted(cum, np.arange(1, parts) / parts, side="left")
        bounds = np.unique(np.clip(np.concatenate([[0], cuts, [V]]), 0, V))
        rows.append(np.full(bounds.size - 1, row))
        firsts.append(bounds[:-1])
        ends.append(bounds[1:])
        works.append(w[row] * (cum[bounds[1:]] - cum[bounds[:-1]]))
    item_row, item_first, item_end, item_work = (np.concatenate(x) for x in (rows, firsts, ends, works))
    order = np.lexsort((item_first, item_row, -item_work))
    lo = np.zeros((len(heavy), threads), dtype=np.int64)
    hi = np.zeros((len(heavy), threads), dtype=np.int64)
    holders: dict[int, set[int]] = {row: set() for row in heavy}
    heap = [(0.0, t) for t in range(threads)]
    for work, row, first, end in zip(
        item_work[order].tolist(), item_row[order].tolist(), item_first[order].tolist(), item_end[order].tolist()
    ):
        load, t = heapq.heappop(heap)
        if row not in holders:  # a row dealt whole
            owner[row] = t
            heapq.heappush(heap, (load + work, t))
            continue
        skipped = []  # threads that hold a share of this row already: one range each
        while t in holders[row]:
            skipped.append((load, t))
            load, t = heapq.heappop(heap)
        holders[row].add(t)
        lo[split[row], t], hi[split[row], t] = first, end
        heapq.heappush(heap, (load + work, t))
        for entry in skipped:
            heapq.heappush(heap, entry)
    owner[heavy] = -1
    return Shares(owner, split, lo, hi)


def _cumulative(col_weights: np.ndarray) -> np.ndarray:
    """``cum[b]``: the share of the column mass before column ``b`` (``cum[V] = 1``)."""
    col = np.asarray(col_weights, dtype=np.float64) + 1e-12
    return np.concatenate([[0.0], np.cumsum(col) / col.sum()])


__all__ = ["Shares", "share_rows"]
