"""Engines that add the pairs of a prepared chunk into a head and a run store.

* :class:`VectorizedEngine` — array operations only (numpy or cupy through ``xp``): pairs
  offset by offset from :func:`~cooc.count.windows.offset_pairs`, head by scatter-add,
  tail by sort and reduce. The reference, and the fallback without numba.
* :class:`NumbaEngine` — CPU, the fused multi-threaded kernel of :mod:`cooc.count._numba`.
* ``cooc.count.cuda.KernelEngine`` — GPU, a fused CUDA kernel (same logic).

All engines share the head layout, the cell-key scheme and the run store, so their
results are identical integers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._core.memory import zeros_small_pages
from . import _numba
from .accumulate import HeadLayout, RunStore, head_index, head_run, reduce_tagged, scatter_add
from .planning import PAIR_BATCH_MAX
from .shares import share_rows
from .windows import Chunk, offset_pairs

PAIR_BATCH = PAIR_BATCH_MAX  # cap on the head updates a numba thread buffers (tests lower it)


@dataclass
class Plan:
    """What to count and where it goes.

    Attributes
    ----------
    vocab_size : int
        V: ids ``< V`` are counted.
    window : int
    weights : ndarray of shape (window,), int64
        Integer weight of each offset (applied here when ``planes == 1``).
    per_offset : bool
        One plane per offset, raw counts (weights applied at the end).
    layout : HeadLayout
    chunk_tokens : int
        Tokens per chunk.
    tail_batch : int
        Tail entries buffered before a sort (per thread for the numba engine).
    pair_batch : int
        Head updates a numba thread buffers before adding them (0: ``tail_batch``).
    """

    vocab_size: int
    window: int
    weights: np.ndarray
    per_offset: bool
    layout: HeadLayout
    chunk_tokens: int
    tail_batch: int
    pair_batch: int = 0

    @property
    def planes(self) -> int:
        return self.window if self.per_offset else 1

    @property
    def n_tags(self) -> int:
        """Tags per tail key: the offset when weights are applied while counting."""
        return 1 if self.per_offset else self.window

    def tag_values(self) -> np.ndarray:
        return np.ones(1, dtype=np.int64) if self.per_offset else self.weights


class VectorizedEngine:
    """Count with array operations on ``xp`` (numpy or cupy)."""

    def __init__(self, xp: ModuleType, plan: Plan, store: RunStore):
        self.xp = xp
        self.plan = plan
        self.store = store
        lay = plan.layout
        self.head = xp.zeros(plan.planes * lay.cells, dtype=np.int64)
        self.row_start = xp.asarray(lay.row_start)
        self.row_len = xp.asarray(lay.row_len)
        self.tag_values = xp.asarray(plan.tag_values())

    def add(self, chunk: Chunk, overlap: Callable[[], None] | None = None) -> None:
        """Count the pairs of ``chunk``; ``overlap`` (e.g. staging the next chunk) runs afterwards."""
        xp, p = self.xp, self.plan
        V = p.vocab_size
        tagged = []
        for j in range(1, p.window + 1):
            a, b = offset_pairs(xp, chunk, j, V)
            if a.shape[0] == 0:
                continue
            in_head, index = head_index(xp, self.row_start, self.row_len, a, b)
            plane = (j - 1) * p.layout.cells if p.per_offset else 0
            weight = 1 if p.per_offset else int(p.weights[j - 1])
            hidx = index[in_head] + plane
            scatter_add(xp, self.head, hidx, xp.full(hidx.shape[0], weight, dtype=np.int64))
            out = ~in_head
            cell = a[out].astype(np.int64) * V + b[out]
            if p.per_offset:
                tagged.append(cell + (j - 1) * V * V)
            else:
                tagged.append(cell * p.window + (j - 1))
        if overlap is not None:
            overlap()
        if tagged:
            keys, values = reduce_tagged(xp, xp.concatenate(tagged), p.n_tags, self.tag_values)
            self.store.add(keys, values)

    def head_run(self) -> tuple[Any, Any]:
        return head_run(self.xp, self.head, self.plan.layout, self.plan.vocab_size, self.plan.planes)

    def release(self) -> None:
        self.head = None


class NumbaEngine:
    """Count on the CPU with the fused numba kernel, ``threads`` threads owning disjoint centre rows.

    It reads raw shards (:meth:`add_range`) rather than prepared chunks: the kernel does
    the OOV and document bookkeeping of :func:`~cooc.count.windows.prepare_chunk` itself.
    """

    def __init__(self, plan: Plan, store: RunStore, threads: int, row_weights: np.ndarray):
        self.plan = plan
        self.store = store
        self.threads = threads
        # The head and the threads' buffers live in small pages: huge pages made their first touch cost
        # 3-8 times more system time on the 2-core VM and sped up nothing (cooc._core.memory).
        self.head: Any = zeros_small_pages(plan.planes * plan.layout.cells, np.int64)
        whole = np.asarray(plan.layout.row_len) >= plan.vocab_size  # rows whose pairs all go to the head
        self.owner = share_rows(np.asarray(row_weights, dtype=np.float64), threads, whole)
        self.tail: Any = zeros_small_pages((threads, max(plan.tail_batch, plan.window)), np.int64)
        batch = max(plan.window, min(plan.pair_batch or plan.tail_batch, PAIR_BATCH))
        packed = _numba.pair_dtype(plan.layout.cells, plan.planes, plan.window, plan.per_offset)
        self.pairs: np.ndarray = zeros_small_pages((threads, batch), packed)
        self.grouped: np.ndarray = zeros_small_pages((threads, batch), packed)
        self.tag_values = plan.tag_values()
        self._pool: ThreadPoolExecutor | None = None
        self._tail_values: np.ndarray | None = None
        # where the count phase went: the kernel's calls, the drains (sort and reduce, then runs kept,
        # merging them when over budget), the tail entries sorted
        self.profile: dict[str, float] = {"kernel": 0.0, "drain": 0.0, "calls": 0, "tail_entries": 0}

    def add_range(self, tokens: np.ndarray, offsets: np.ndarray, start: int, stop: int, drop: bool) -> None:
        """Count the pairs whose centre lies at positions ``start .. stop - 1`` of a raw shard."""
        p, lay = self.plan, self.plan.layout
        fill = np.zeros(self.threads, dtype=np.int64)
        resume = np.full(self.threads, start, dtype=np.int64)
        while True:
            t0 = time.perf_counter()
            _numba.count_owned(
                tokens,
                offsets,
                p.vocab_size,
                drop,
                p.per_offset,
                p.weights,
                lay.row_start,
                lay.row_len,
                lay.cells,
                self.head,
                self.owner,
                self.tail,
                self.pairs,
                self.grouped,
                fill,
                resume,
                stop,
            )
            t1 = time.perf_counter()
            self.profile["tail_entries"] += int(fill.sum())
            self._drain(fill)
            self.profile["kernel"] += t1 - t0
            self.profile["drain"] += time.perf_counter() - t1
            self.profile["calls"] += 1
            if (resume >= stop).all():
                return

    def _drain(self, fill: np.ndarray) -> None:
        """Reduce the filled part of every thread's tail buffer into a run, the threads' buffers in parallel.

        Threads own disjoint centre rows, so their runs hold disjoint keys. numpy's sort and
        the compiled reduction release the GIL, so Python threads run them side by side.
        """
        parts = [t for t in range(self.threads) if fill[t]]
        reduce = lambda t: self._reduce_in_place(t, int(fill[t]))  # noqa: E731
        if len(parts) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.threads)
            runs = list(self._pool.map(reduce, parts))
        else:
            runs = [reduce(part) for part in parts]
        for keys, values in runs:
            self.store.add(keys, values)
        fill[:] = 0

    def _reduce_in_place(self, t: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Thread ``t``'s tail entries as a run, sorted and reduced inside its own buffer.

        The buffer is refilled after the drain, so nothing needs a fresh copy but the run kept:
        on a VM, first-touching fresh pages costs about as much system time as the sort.
        """
        part = self.tail[t, :n]
        part.sort()
        if self._tail_values is None:
            self._tail_values = zeros_small_pages(self.tail.shape, self.tail.dtype)
        values = self._tail_values[t]
        k = _numba.reduce_sorted_tagged_into(part, self.plan.n_tags, np.asarray(self.tag_values, np.int64), values)
        return part[:k].copy(), values[:k].copy()

    def head_run(self) -> tuple[Any, Any]:
        return head_run(np, self.head, self.plan.layout, self.plan.vocab_size, self.plan.planes)

    def release(self) -> None:
        self.head = None
        self.tail = None
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
