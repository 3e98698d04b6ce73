"""Exact accumulation of pair counts: a dense head for frequent words and a sparse tail.

Cells are ``(j, a, b)``: ``j`` indexes a *plane* (one plane for the total, one per offset
for position-resolved counts), ``a`` the centre, ``b`` the context. Values are int64.

* **Head.** Ids are frequency ranks, and pairs of frequent words carry most of the
  mass, so a dense block stores the cells with ``(a + 1) * (b + 1) <= P`` (a hyperbola
  like GloVe's ``cooccur``, which covers far more pairs per byte than a square): row
  ``a`` holds columns ``0 .. row_len[a] - 1`` at ``row_start[a]``. ``P`` is the largest
  bound that fits the memory given to the head.
* **Tail.** Every other pair becomes an int64 *tagged key* ``cell * T + tag`` (``tag`` =
  offset - 1 when the weights are applied here, ``T = 1`` otherwise). A batch of tagged
  keys is reduced by sort and run-length counting into a sorted *run* of unique cell
  keys with int64 values (:func:`reduce_tagged`).
* **Runs.** Runs are kept in host memory and merged when they exceed their budget; when
  even the merged runs exceed it they are written to a spill folder and read back at the
  end, one key range at a time, so the working memory stays bounded (:class:`RunStore`).

Cell keys are ``(j * V + a) * V + b``; sorted keys are in CSR order plane by plane.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from .._core.device import to_numpy
from .._core.faults import fault_point
from .._core.io import as_disk_full
from .._core.locks import Lock, claim_abandoned, lock_directory
from .._core.logs import log
from . import _numba


@dataclass
class HeadLayout:
    """Which cells of a plane live in the dense head, and where.

    Attributes
    ----------
    row_len : ndarray of shape (V,), int64
        Row ``a`` of the head holds columns ``b < row_len[a]``.
    row_start : ndarray of shape (V + 1,), int64
        Offset of row ``a`` in a plane; ``row_start[V]`` is the plane size.
    bound : int
        The product bound ``P`` (cells with ``(a + 1) * (b + 1) <= P``).
    """

    row_len: np.ndarray
    row_start: np.ndarray
    bound: int

    @property
    def cells(self) -> int:
        """Cells per plane."""
        return int(self.row_start[-1])

    @classmethod
    def for_bound(cls, vocab_size: int, bound: int) -> HeadLayout:
        """The layout of the cells with ``(a + 1) * (b + 1) <= bound``."""
        rows = np.arange(1, vocab_size + 1, dtype=np.int64)
        row_len = np.minimum(vocab_size, bound // rows)
        row_start = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int64)
        return cls(row_len, row_start, int(bound))

    @classmethod
    def fit(cls, vocab_size: int, max_cells: int) -> HeadLayout:
        """The largest hyperbolic head with at most ``max_cells`` cells per plane."""
        if max_cells >= vocab_size * vocab_size:
            return cls.for_bound(vocab_size, vocab_size * vocab_size)
        lo, hi = 0, vocab_size * vocab_size
        while lo < hi:  # largest bound whose layout fits
            mid = (lo + hi + 1) // 2
            if _cells_for_bound(vocab_size, mid) <= max_cells:
                lo = mid
            else:
                hi = mid - 1
        return cls.for_bound(vocab_size, lo)


def _cells_for_bound(vocab_size: int, bound: int) -> int:
    rows = np.arange(1, vocab_size + 1, dtype=np.int64)
    return int(np.minimum(vocab_size, bound // rows).sum())


def reduce_tagged(xp: ModuleType, tagged: Any, n_tags: int, tag_values: Any) -> tuple[Any, Any]:
    """Sum a batch of tagged keys into unique cell keys.

    Parameters
    ----------
    tagged : array of shape (m,), int64
        ``cell * n_tags + tag``.
    n_tags : int
    tag_values : array of shape (n_tags,), int64
        Value added by one occurrence of each tag.

    Returns
    -------
    keys : array of shape (k,), int64
        Sorted unique cell keys.
    values : array of shape (k,), int64
    """
    if tagged.shape[0] == 0:
        return xp.zeros(0, dtype=np.int64), xp.zeros(0, dtype=np.int64)
    s = xp.sort(tagged)
    if xp is np and _numba.available():  # one pass instead of a dozen temporaries
        return _numba.reduce_sorted_tagged(s, n_tags, np.asarray(tag_values, dtype=np.int64))
    first = xp.concatenate([xp.ones(1, dtype=bool), s[1:] != s[:-1]])
    where = xp.flatnonzero(first)
    counts = xp.diff(xp.concatenate([where, xp.asarray([s.shape[0]], dtype=where.dtype)]))
    uniq = s[where]
    if n_tags == 1:
        return uniq, counts.astype(np.int64) * tag_values[0]
    values = counts.astype(np.int64) * tag_values[uniq % n_tags]
    return reduce_sorted(xp, uniq // n_tags, values)


def reduce_sorted(xp: ModuleType, keys: Any, values: Any) -> tuple[Any, Any]:
    """Sum the values of equal keys in a sorted key array.

    Returns
    -------
    keys : array of shape (k,), int64
        Unique keys.
    values : array of shape (k,), int64
    """
    n = keys.shape[0]
    if n == 0:
        return keys, values
    last = xp.concatenate([keys[1:] != keys[:-1], xp.ones(1, dtype=bool)])
    ends = xp.flatnonzero(last)
    sums = xp.cumsum(values)[ends]
    sums = xp.concatenate([sums[:1], xp.diff(sums)])
    return keys[ends], sums


def merge_runs(runs: list[tuple[np.ndarray, np.ndarray]], trim: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted runs of (keys, values) into one run with unique keys (host arrays).

    With ``trim`` (default) a result whose merge buffers kept over a fifth unused (keys that several
    runs held) is copied into arrays of its own size; without, it may view larger buffers (a caller
    that copies it anyway, as :func:`merge_runs_parallel` joining its ranges)."""
    runs = [r for r in runs if r[0].shape[0]]
    if not runs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(runs) == 1:
        return runs[0]
    if _numba.available():
        # Two-way merges, the two shortest runs first (a Huffman order): each entry is copied about
        # log2(runs) times when the runs are alike, and a long run among short ones only once or twice.
        heap = [(int(k.shape[0]), i, k, v) for i, (k, v) in enumerate(runs)]
        heapq.heapify(heap)
        room = 0
        while len(heap) > 1:
            _, i, ka, va = heapq.heappop(heap)
            _, _, kb, vb = heapq.heappop(heap)
            room = int(ka.shape[0] + kb.shape[0])  # the merge's buffers; keys both hold leave some unused
            keys, values = _numba.merge_two(*(np.ascontiguousarray(x, dtype=np.int64) for x in (ka, va, kb, vb)))
            heapq.heappush(heap, (int(keys.shape[0]), i, keys, values))
        keys, values = heap[0][2], heap[0][3]
        if trim and room > keys.shape[0] + keys.shape[0] // 4:
            keys, values = keys.copy(), values.copy()  # the result does not keep much unused room alive
        return keys, values
    keys = np.concatenate([r[0] for r in runs])
    values = np.concatenate([r[1] for r in runs])
    order = np.argsort(keys, kind="stable")  # timsort: linear-time merging of sorted runs
    return reduce_sorted(np, keys[order], values[order])


PARALLEL_MERGE_MIN = 1 << 20  # entries below which one thread merges
SPLIT_SAMPLE = 4096  # keys sampled from each run to place the range bounds of a parallel merge


def merge_runs_parallel(runs: list[tuple[np.ndarray, np.ndarray]], threads: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`merge_runs` on ``threads`` threads: the key space cut into ``4 * threads`` ranges of about
    equal entries (from a sample of every run's keys), each range merged apart, the results joined.

    The compiled merges release the GIL, so the ranges are merged at once.
    """
    runs = [r for r in runs if r[0].shape[0]]
    total = sum(int(k.shape[0]) for k, _ in runs)
    if threads <= 1 or len(runs) <= 1 or total < PARALLEL_MERGE_MIN:
        return merge_runs(runs)
    sample = np.sort(np.concatenate([k[:: max(1, k.shape[0] // SPLIT_SAMPLE)] for k, _ in runs]))
    pieces = 4 * threads
    bounds = np.unique(sample[(np.arange(1, pieces) * sample.shape[0]) // pieces])
    cuts = [np.concatenate([[0], np.searchsorted(k, bounds), [k.shape[0]]]) for k, _ in runs]

    def merge(i: int) -> tuple[np.ndarray, np.ndarray]:
        # untrimmed: the join below copies every range once
        return merge_runs([(k[c[i] : c[i + 1]], v[c[i] : c[i + 1]]) for (k, v), c in zip(runs, cuts)], trim=False)

    with ThreadPoolExecutor(threads, thread_name_prefix="cooc-merge") as pool:
        parts = list(pool.map(merge, range(bounds.shape[0] + 1)))
    return np.concatenate([k for k, _ in parts]), np.concatenate([v for _, v in parts])


SPILL_PREFIX = "cooc-spill-"


def remove_abandoned_spills(root: Path) -> int:
    """Delete the spill folders under ``root`` whose process died (SIGKILL, a crash); return how many.

    A live counter holds a lock on its spill folder, so only abandoned ones are taken.
    """
    removed = 0
    if not root.is_dir():
        return 0
    for folder in root.glob(f"{SPILL_PREFIX}*"):
        lock = claim_abandoned(folder) if folder.is_dir() else None
        if lock is None:
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        finally:
            lock.release()
    if removed:
        log.info("removed %d spill folder(s) left in %r by killed counts.", removed, str(root))
    return removed


class RunStore:
    """Sorted runs of (cell key, value), in memory up to a budget, spilled to disk beyond it.

    Spilled runs go to a folder ``cooc-spill-*`` in ``spill_dir`` (default: the system's
    temporary folder, ``$TMPDIR``), locked while the count runs and removed when it ends,
    interrupted or not; one left by a killed process is removed by the next count that
    spills there. Values are stored in the narrowest integer type that holds them.

    Parameters
    ----------
    budget : int
        Bytes of runs kept in memory (16 bytes per entry).
    spill_dir : path or None
        Folder under which a temporary spill folder is made when needed.
    threads : int
        Threads that merge the runs when the budget is reached (:func:`merge_runs_parallel`).
    """

    ENTRY_BYTES = 16

    def __init__(self, budget: int, spill_dir: str | os.PathLike | None = None, threads: int = 1):
        self.budget = int(budget)
        self.threads = max(1, int(threads))
        self.spill_root = None if spill_dir is None else Path(spill_dir)
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.files: list[tuple[Path, Path]] = []
        self._dir: Path | None = None
        self._lock: Lock | None = None
        self.in_memory = 0
        self.peak = 0
        self.spills = 0
        self.spilled_bytes = 0
        self.compact_seconds = 0.0  # merging runs (and spilling them) while counting

    def add(self, keys: Any, values: Any) -> None:
        """Add a sorted run with unique keys."""
        keys, values = to_numpy(keys), to_numpy(values)
        if keys.shape[0] == 0:
            return
        self.runs.append((keys, values))
        self.in_memory += keys.shape[0] * self.ENTRY_BYTES
        self.peak = max(self.peak, self.in_memory)
        if self.in_memory > self.budget:
            self.compact()

    def compact(self) -> None:
        """Merge the in-memory runs (by key ranges on the store's threads); spill them to disk if still over budget."""
        started = time.perf_counter()
        keys, values = merge_runs_parallel(self.runs, self.threads)
        self.runs = [(keys, values)] if keys.shape[0] else []
        self.in_memory = keys.shape[0] * self.ENTRY_BYTES
        if self.in_memory > self.budget // 2:
            self._spill(keys, values)
        self.compact_seconds += time.perf_counter() - started

    @property
    def spill_folder(self) -> Path | None:
        """The folder of this count's spilled runs (None until the first spill)."""
        return self._dir

    def _spill(self, keys: np.ndarray, values: np.ndarray) -> None:
        if self._dir is None:
            root = self.spill_root if self.spill_root is not None else Path(tempfile.gettempdir())
            root.mkdir(parents=True, exist_ok=True)
            remove_abandoned_spills(root)
            self._dir = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX, dir=root))
            self._lock = lock_directory(self._dir, exclusive=True, what="spill folder")
        k = len(self.files)
        kp, vp = self._dir / f"run{k:05d}.keys.npy", self._dir / f"run{k:05d}.values.npy"
        ap = self._dir / f"run{k:05d}.anchors.npy"
        gaps, anchors = pack_keys(keys)
        values = narrowest(values)
        for path, array in ((kp, gaps), (ap, anchors), (vp, values)):
            try:
                np.save(path, array, allow_pickle=False)
            except OSError as exc:
                path.unlink(missing_ok=True)
                raise as_disk_full(exc, path) from None
            self.spilled_bytes += array.nbytes
        fault_point("count.spill")
        self.files.append((kp, vp))
        self.runs, self.in_memory = [], 0
        self.spills += 1

    def all_runs(self) -> list[tuple[Any, Any]]:
        """Every run as (keys, values): the spilled ones memory-mapped, then those in memory."""
        mapped: list[tuple[Any, Any]] = [
            (PackedKeys.open(kp), _Widened(np.load(vp, mmap_mode="r", allow_pickle=False))) for kp, vp in self.files
        ]
        return mapped + self.runs

    def iter_merged(self, key_bounds: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the merged entries of every run, one key range ``[key_bounds[i], key_bounds[i+1])`` at a time."""
        merge = self._range_merger(key_bounds)
        for i in range(len(key_bounds) - 1):
            yield merge(i)

    def merged_ranges(self, key_bounds: np.ndarray, threads: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
        """The merged entries of every key range, as :meth:`iter_merged` yields them, merged on ``threads`` threads.

        The compiled merge releases the GIL, so the ranges are merged at once; with ``threads``
        ranges in flight, plan them at a ``threads``-th of the memory budget each.
        """
        merge = self._range_merger(key_bounds)
        n = len(key_bounds) - 1
        if threads <= 1 or n <= 1:
            return [merge(i) for i in range(n)]
        with ThreadPoolExecutor(min(threads, n), thread_name_prefix="cooc-merge") as pool:
            return list(pool.map(merge, range(n)))

    def _range_merger(self, key_bounds: np.ndarray) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
        sources = self.all_runs()
        cuts = [np.searchsorted(k, key_bounds) for k, _ in sources]

        def merge(i: int) -> tuple[np.ndarray, np.ndarray]:
            parts = [
                (np.asarray(k[c[i] : c[i + 1]]), np.asarray(v[c[i] : c[i + 1]])) for (k, v), c in zip(sources, cuts)
            ]
            return merge_runs(parts)

        return merge

    def plan_ranges(self, lo: int, hi: int, max_entries: int, min_pieces: int = 1) -> np.ndarray:
        """Key bounds splitting ``[lo, hi)`` into ranges of about ``max_entries`` entries (all runs together),
        at least ``min_pieces`` of them, each holding about as many entries as the others.

        Every bound is found at once by bisection on the key, counting the entries below it in
        every run (``searchsorted``, one call a run and step for all bounds); a key's entries are
        never split between two ranges.
        """
        sources: list[Any] = [PackedKeys.open(kp) for kp, _ in self.files] + [k for k, _ in self.runs]

        def below(x: np.ndarray) -> np.ndarray:
            counts = np.zeros(x.shape, dtype=np.int64)
            for k in sources:
                counts += np.asarray(k.searchsorted(x), dtype=np.int64)
            return counts

        base, top = (int(c) for c in below(np.array([lo, hi], dtype=np.int64)))
        total = top - base
        pieces = max(1, int(min_pieces), -(-total // max(max_entries, 1)))
        targets = np.array([base + total * i // pieces for i in range(1, pieces)], dtype=np.int64)
        # each bound: the smallest key x in [lo, hi] with its target's entries below it (the targets grow,
        # so the bounds do: the same keys as bisecting each above the one before)
        a = np.full(targets.shape, int(lo), dtype=np.int64)
        b = np.full(targets.shape, int(hi), dtype=np.int64)
        while (open_ := np.flatnonzero(a < b)).size:
            mid = (a[open_] + b[open_]) // 2
            enough = below(mid) >= targets[open_]
            b[open_[enough]] = mid[enough]
            a[open_[~enough]] = mid[~enough] + 1
        return np.unique(np.concatenate([[int(lo)], a, [int(hi)]]).astype(np.int64))

    def close(self) -> None:
        """Remove the spill folder."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.runs, self.files = [], []


#: a spilled run stores the absolute key of every ANCHOR_EVERY-th entry, so a slice decodes from the nearest one
ANCHOR_EVERY = 1024
#: a packed run's searchsorted compares this many values at once with their blocks' keys (8 MB of keys)
SEARCH_VALUES = 1024


def pack_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique int64 keys as gaps in the narrowest unsigned type that holds them, and anchors.

    Cell keys of a run are sorted, so the gaps between neighbours are small next to the keys
    themselves: usually 2 or 4 bytes instead of 8. ``gaps[0]`` is 0; ``anchors`` (int64) are
    ``keys[::ANCHOR_EVERY]``. A run whose largest gap needs 8 bytes is stored as it is.

    Returns
    -------
    gaps : ndarray of shape (n,), unsigned (or the int64 keys themselves)
    anchors : ndarray of shape (ceil(n / ANCHOR_EVERY),), int64
    """
    anchors = np.ascontiguousarray(keys[::ANCHOR_EVERY], dtype=np.int64)
    if keys.shape[0] == 0:
        return keys, anchors
    gaps = np.diff(keys, prepend=keys[:1])
    top = int(gaps.max())
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return gaps.astype(dtype), anchors
    return keys, anchors


class PackedKeys:
    """The keys of a spilled run, read back as int64 slice by slice (see :func:`pack_keys`).

    Offers what the merges use of a key array: ``shape``, slicing, and ``searchsorted`` (which
    ``np.searchsorted`` calls), decoding only what is asked for.
    """

    def __init__(self, gaps: np.ndarray, anchors: np.ndarray):
        self.gaps, self.anchors = gaps, anchors
        self.shape = gaps.shape
        self.raw = gaps.dtype == np.int64

    @classmethod
    def open(cls, path: Path) -> PackedKeys:
        anchors = np.load(path.with_name(path.name.replace(".keys.", ".anchors.")), allow_pickle=False)
        return cls(np.load(path, mmap_mode="r", allow_pickle=False), anchors)

    def _decode(self, lo: int, hi: int) -> np.ndarray:
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        if self.raw:
            return np.asarray(self.gaps[lo:hi])
        start = (lo // ANCHOR_EVERY) * ANCHOR_EVERY
        out = np.empty(hi - start, dtype=np.int64)
        out[0] = 0
        np.cumsum(self.gaps[start + 1 : hi], dtype=np.int64, out=out[1:])
        out += self.anchors[lo // ANCHOR_EVERY]
        return out[lo - start :]

    def __getitem__(self, index: slice) -> np.ndarray:
        lo, hi, step = index.indices(self.shape[0])
        if step != 1:
            raise IndexError("a packed run is read in contiguous slices")
        return self._decode(lo, hi)

    def _decode_blocks(self, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keys of whole anchor blocks, one row each (shape ``(len(blocks), ANCHOR_EVERY)``), and which
        of them exist (the last block may be short)."""
        n = self.shape[0]
        at = blocks[:, None] * ANCHOR_EVERY + np.arange(ANCHOR_EVERY)
        valid = at < n
        raw = np.asarray(self.gaps[np.minimum(at, n - 1)], dtype=np.int64)
        if self.raw:
            return raw, valid
        raw[:, 0] = 0
        keys = np.cumsum(raw, axis=1, out=raw)
        keys += self.anchors[blocks][:, None]
        return keys, valid

    def searchsorted(self, values: Any, side: Literal["left", "right"] = "left", sorter: Any = None) -> Any:
        values = np.asarray(values)
        n = self.shape[0]
        if n == 0:
            return np.zeros(values.shape, dtype=np.intp)
        # The block of each value from the anchors, then its place inside that (decoded) block: the block's
        # keys below it (at or below it, on the right). All values at once, SEARCH_VALUES at a time.
        flat = values.ravel()
        block = np.clip(np.searchsorted(self.anchors, flat, side=side) - 1, 0, None)
        out = np.empty(flat.shape, dtype=np.intp)
        for lo in range(0, flat.shape[0], SEARCH_VALUES):
            part, mine = flat[lo : lo + SEARCH_VALUES], block[lo : lo + SEARCH_VALUES]
            blocks, row = np.unique(mine, return_inverse=True)
            keys, valid = self._decode_blocks(blocks)
            keys, valid = keys[row], valid[row]
            inside = keys < part[:, None] if side == "left" else keys <= part[:, None]
            out[lo : lo + SEARCH_VALUES] = mine * ANCHOR_EVERY + (inside & valid).sum(axis=1)
        return out.reshape(values.shape) if values.ndim else out.reshape(()).item()


class _Widened:
    """Spilled values read back as int64, slice by slice (they are stored narrower)."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.shape = values.shape

    def __getitem__(self, index: Any) -> np.ndarray:
        return np.asarray(self.values[index]).astype(np.int64)


def narrowest(values: np.ndarray) -> np.ndarray:
    """Non-negative int64 values in the smallest unsigned type that holds them (others unchanged);
    they add back into int64 exactly."""
    if values.shape[0] == 0 or values.min() < 0:
        return values
    top = int(values.max())
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values


def head_run(
    xp: ModuleType, head: Any, layout: HeadLayout, vocab_size: int, planes: int, block: int = 1 << 26
) -> tuple[np.ndarray, np.ndarray]:
    """The nonzero cells of the dense head as a sorted run of (cell key, value), on the host.

    The head is scanned ``block`` cells at a time, so the temporaries of the scan stay
    small next to the head itself (this matters for a GPU head of many GiB).

    Parameters
    ----------
    head : array of shape (planes * layout.cells,), int64
    """
    if xp is np and _numba.available():
        return _numba.head_nonzeros(head, layout.row_start, layout.row_len, layout.cells, planes, vocab_size)
    keys, values = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    row_start = xp.asarray(layout.row_start)
    for lo in range(0, head.shape[0], block):
        nz = xp.flatnonzero(head[lo : lo + block]) + lo
        if nz.shape[0] == 0:
            continue
        plane, idx = nz // layout.cells, nz % layout.cells
        a = xp.searchsorted(row_start, idx, side="right") - 1
        b = idx - row_start[a]
        keys.append(to_numpy((plane * vocab_size + a) * vocab_size + b))
        values.append(to_numpy(head[nz]))
    return np.concatenate(keys), np.concatenate(values)


def head_index(xp: ModuleType, layout_row_start: Any, layout_row_len: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Split pairs into head cells and the rest.

    Returns
    -------
    in_head : array of shape (m,), bool
    index : array of shape (m,), int64
        Position in a head plane (meaningful where ``in_head``).
    """
    a64 = a.astype(np.int64)
    in_head = b < layout_row_len[a64]
    return in_head, layout_row_start[a64] + b.astype(np.int64)


def scatter_add(xp: ModuleType, target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with repeated indices summed (exact for int64)."""
    if index.shape[0] == 0:
        return
    if xp is np:
        np.add.at(target, index, values)
    else:  # cupy: atomics on the unsigned view give the same two's-complement sums
        import cupyx

        cupyx.scatter_add(target.view(xp.uint64), index, values.astype(xp.int64).view(xp.uint64))
