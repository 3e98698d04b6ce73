"""The result of a partial head plus tail runs, merged and assembled on the counting device.

When V x V cells do not fit the device, counting leaves a dense head for the frequent
words (on the device) and sorted tail runs of cell keys ``a * V + b`` (on the host). Here
the head's nonzeros become sorted keys; the runs are merged with them one row range at a
time (upload, sort, reduce, then a merge by ``searchsorted``: head and tail cells are
disjoint); ``M + M^T`` is formed by key arithmetic (the entries of rows ``R`` are the
forward keys of rows ``R`` and the transposed keys ``b * V + a`` of every entry whose
column ``b`` lies in ``R``, merged and reduced, the diagonal doubled as by
:func:`~cooc.count.result.plus_transpose`). Row counts come first, so the host arrays are
allocated once, and rows are copied out as in :mod:`cooc.count.assemble`.
:func:`merge_steps` says whether the device budget allows it and sizes the steps; the
counter assembles on the host when it does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.device import to_numpy
from .accumulate import HeadLayout, reduce_sorted
from .assemble import (
    BLOCK_CELLS,
    CELL_WORK_BYTES,
    ENTRY_BYTES,
    ENTRY_WORK_BYTES,
    INDEX_LIMIT,
    MIN_STEP,
    HostWriter,
    Stages,
    allocate_csr,
    csr_from_parts,
    index_dtype,
)


def merge_steps(
    head_cells: int, head_entries: int, run_entries: int, vocab_size: int, budget: int
) -> tuple[int, int] | None:
    """Step sizes for :func:`merged_to_csr` within ``budget`` device bytes, or None when it does not fit.

    While the head (``head_cells`` int64) is there, its ``head_entries`` nonzeros become
    (key, value) pairs, a few rows of cells at a time; once it is released the merged
    entries (at most head + run entries) stay on the device, and row blocks of entries
    are worked on beside them. Each step must hold at least one row (V cells, 2V entries).

    Returns
    -------
    (block_cells, block_entries) or None
    """
    cells_room = budget - 8 * head_cells - 16 * head_entries
    entries_room = budget - ENTRY_BYTES * (head_entries + run_entries)
    block_cells = min(BLOCK_CELLS, cells_room // CELL_WORK_BYTES)
    block_entries = entries_room // ENTRY_WORK_BYTES
    if block_cells < max(vocab_size, MIN_STEP) or block_entries < max(2 * vocab_size, MIN_STEP):
        return None
    return int(block_cells), int(block_entries)


def head_nonzeros(xp: ModuleType, head: Any, block_cells: int = BLOCK_CELLS) -> int:
    """Nonzero cells of the dense head, counted ``block_cells`` at a time.

    One ``count_nonzero`` over the whole head is a single reduction over billions of cells
    when V is large; the blocks keep each reduction the size of the ones :func:`merged_to_csr`
    runs over the same head (``head entries``), and the sum is the same.
    """
    n = int(head.shape[0])
    step = max(int(block_cells), 1)
    total = xp.zeros((), dtype=np.int64)
    for lo in range(0, n, step):
        total += xp.count_nonzero(head[lo : lo + step])
    return int(total)


def row_blocks(weights: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive row ranges ``[r0, r1)`` whose weights sum to at most ``limit`` (a heavier row alone)."""
    cum = np.concatenate([[0], np.cumsum(np.asarray(weights, dtype=np.int64))])
    n, r, out = len(weights), 0, []
    while r < n:
        r1 = max(r + 1, int(np.searchsorted(cum, cum[r] + limit, side="right")) - 1)
        out.append((r, min(r1, n)))
        r = out[-1][1]
    return out


def merge_sorted(xp: ModuleType, k1: Any, v1: Any, k2: Any, v2: Any) -> tuple[Any, Any]:
    """Merge two sorted key arrays (each without repeats) and their values; equal keys end up adjacent.

    ``v1``/``v2`` may be None (keys only).
    """
    n1, n2 = k1.shape[0], k2.shape[0]
    if n2 == 0 or n1 == 0:
        return (k1, v1) if n2 == 0 else (k2, v2)
    p1 = xp.searchsorted(k2, k1, side="left") + xp.arange(n1)
    p2 = xp.searchsorted(k1, k2, side="right") + xp.arange(n2)
    keys = xp.empty(n1 + n2, dtype=np.int64)
    keys[p1], keys[p2] = k1, k2
    if v1 is None:
        return keys, None
    values = xp.empty(n1 + n2, dtype=v1.dtype)
    values[p1], values[p2] = v1, v2
    return keys, values


def _host_range(runs: Sequence[tuple[np.ndarray, np.ndarray]], lo: int, hi: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The slices with ``lo <= key < hi`` of sorted host runs (memory-mapped ones read here), empty ones left out."""
    out = []
    for k, v in runs:
        a, b = np.searchsorted(k, [lo, hi])
        if b > a:
            out.append((np.asarray(k[a:b]), np.asarray(v[a:b])))
    return out


def _device_range(xp: ModuleType, parts: Sequence[tuple[Any, Any, int, int]], lo: int, hi: int) -> tuple[Any, Any]:
    """The entries with ``lo <= key < hi`` of key-ordered, disjoint device parts ``(keys, values, first, last)``."""
    keys, values = [], []
    for k, v, first, last in parts:
        if last < lo or first >= hi:
            continue
        a, b = 0, k.shape[0]
        if first < lo or last >= hi:
            a, b = (int(x) for x in to_numpy(xp.searchsorted(k, xp.asarray([lo, hi], dtype=np.int64))))
        keys.append(k[a:b])
        values.append(v[a:b])
    return _joined(xp, keys, values)


def _joined(xp: ModuleType, keys: list, values: list) -> tuple[Any, Any]:
    if not keys:
        return xp.zeros(0, dtype=np.int64), xp.zeros(0, dtype=np.int64)
    if len(keys) == 1:
        return keys[0], values[0]
    return xp.concatenate(keys), xp.concatenate(values)


def _head_entries(
    xp: ModuleType, head: Any, layout: HeadLayout, V: int, block_cells: int
) -> tuple[list[tuple[Any, Any, int, int]], np.ndarray]:
    """The head's nonzeros as sorted device parts ``(keys, values, first key, last key)``, a few rows each,
    and the nonzeros of every row (host)."""
    starts = layout.row_start
    starts_dev = xp.asarray(starts)
    row_nnz = np.zeros(V, dtype=np.int64)
    out = []
    for r0, r1 in row_blocks(layout.row_len, block_cells):
        s0, s1 = int(starts[r0]), int(starts[r1])
        part = head[s0:s1]
        nz = xp.flatnonzero(part)
        if nz.shape[0] == 0:
            continue
        local = starts_dev[r0 : r1 + 1] - s0
        row = xp.searchsorted(local, nz, side="right") - 1  # empty rows share a start: 'right' skips them
        keys = (row + r0) * V + (nz - local[row])
        row_nnz[r0:r1] = to_numpy(xp.bincount(row, minlength=r1 - r0))
        out.append((keys, part[nz], int(keys[0]), int(keys[-1])))
    return out, row_nnz


def _merge_runs(
    xp: ModuleType,
    heads: list,
    head_rows: np.ndarray,
    runs: Sequence[tuple[np.ndarray, np.ndarray]],
    V: int,
    block_entries: int,
    col_dtype: np.dtype,
) -> tuple[list[tuple], np.ndarray]:
    """Forward entries by row blocks: the head parts merged with the runs, uploaded a key range at a time.

    Returns the blocks as device ``(keys, values, columns, r0, r1)`` and the entries of
    every row (host). Head parts are dropped from ``heads`` once merged, so the device
    holds about one copy of the entries.
    """
    bounds = np.arange(V + 1, dtype=np.int64) * V
    run_rows = np.zeros(V, dtype=np.int64)
    for k, _ in runs:
        run_rows += np.diff(np.searchsorted(k, bounds))
    row_nnz = np.zeros(V, dtype=np.int64)
    blocks = []
    for r0, r1 in row_blocks(run_rows + head_rows, block_entries):
        lo, hi = r0 * V, r1 * V
        parts = _host_range(runs, lo, hi)
        tk, tv = _joined(xp, [xp.asarray(k) for k, _ in parts], [xp.asarray(v) for _, v in parts])
        if len(parts) > 1:  # runs may share keys
            order = xp.argsort(tk)
            tk, tv = reduce_sorted(xp, tk[order], tv[order])
            del order
        hk, hv = _device_range(xp, heads, lo, hi)
        while heads and heads[0][3] < hi:
            heads.pop(0)
        keys, values = merge_sorted(xp, hk, hv, tk, tv)  # head and tail cells are disjoint
        del tk, tv, hk, hv
        if keys.shape[0] == 0:
            continue
        row_nnz[r0:r1] = to_numpy(xp.bincount(keys // V - r0, minlength=r1 - r0))
        blocks.append((keys, values, (keys % V).astype(col_dtype), r0, r1))
    return blocks, row_nnz


def _symmetric_block(xp: ModuleType, blocks: list, r0: int, r1: int, V: int, with_values: bool) -> tuple[Any, Any]:
    """Rows ``r0 .. r1 - 1`` of ``M + M^T``: sorted unique keys (and summed values when ``with_values``)."""
    forward = [(k, v, b0 * V, b1 * V - 1) for k, v, _, b0, b1 in blocks]
    fk, fv = _device_range(xp, forward, r0 * V, r1 * V)
    tk, tv = [], []
    for k, v, c, _, _ in blocks:
        sel = xp.flatnonzero((c >= r0) & (c < r1))
        if sel.shape[0]:
            tk.append(c[sel].astype(np.int64) * V + k[sel] // V)
            tv.append(v[sel])
    tk, tv = _joined(xp, tk, tv)
    if not with_values:
        keys, _ = merge_sorted(xp, fk, None, xp.sort(tk) if tk.shape[0] > 1 else tk, None)
        if keys.shape[0] > 1:
            keys = keys[xp.concatenate([xp.ones(1, dtype=bool), keys[1:] != keys[:-1]])]
        return keys, None
    if tk.shape[0] > 1:
        order = xp.argsort(tk)
        tk, tv = tk[order], tv[order]
    keys, values = merge_sorted(xp, fk, fv, tk, tv)
    return reduce_sorted(xp, keys, values)


def merged_to_csr(
    xp: ModuleType,
    head: Any,
    layout: HeadLayout,
    runs: Sequence[tuple[np.ndarray, np.ndarray]],
    vocab_size: int,
    *,
    symmetric: bool,
    weighting: str | None = None,
    scale: int = 1,
    release: Callable[[], None] | None = None,
    stages: Stages | None = None,
    index_limit: int = INDEX_LIMIT,
    block_cells: int = BLOCK_CELLS,
    block_entries: int = 1 << 26,
) -> sp.csr_matrix:
    """A partial head and tail runs as one host CSR matrix (``M``, or ``M + M^T`` when ``symmetric``).

    Parameters
    ----------
    head : array of shape (layout.cells,), int64
        One plane of the dense head, on the device.
    runs : list of (keys, values) host arrays
        Sorted runs of cell keys ``a * V + b`` (unique within a run; runs may share keys,
        never with the head).
    weighting, scale
        As for :func:`dense_to_csr`.
    release : callable, optional
        Called once the head's nonzeros are taken, to free the head (the caller drops its
        references; this function drops its own).
    block_cells, block_entries : int
        Step sizes: dense cells per step while the head is read, entries per row block
        after (:func:`merge_steps` sizes them for a device budget; tests make them small).
    stages : Stages, optional
        Receives the seconds of "head entries", "merge runs" (uploads, sorts, merges),
        "row counts" (symmetric: a first pass over the row blocks, keys only), "extract +
        copy" and "copy drain".
    """
    V = vocab_size
    stages = stages if stages is not None else Stages(xp)
    col_dtype = index_dtype(0, V)
    with stages("head entries"):
        heads, head_rows = _head_entries(xp, head, layout, V, block_cells)
    head = None
    if release is not None:
        release()
    with stages("merge runs"):
        blocks, fwd = _merge_runs(xp, heads, head_rows, runs, V, block_entries, col_dtype)
    writer = HostWriter(xp)
    try:
        if symmetric:
            with stages("row counts"):
                transposed = xp.zeros(V, dtype=np.int64)
                for _, _, c, _, _ in blocks:
                    transposed += xp.bincount(c, minlength=V)
                weights = fwd + to_numpy(transposed)
                spans = row_blocks(weights, block_entries)
                row_nnz = np.zeros(V, dtype=np.int64)
                for r0, r1 in spans:
                    if weights[r0:r1].any():
                        keys, _ = _symmetric_block(xp, blocks, r0, r1, V, with_values=False)
                        row_nnz[r0:r1] = to_numpy(xp.bincount(keys // V - r0, minlength=r1 - r0))
                        del keys
            data, indices, indptr = allocate_csr(row_nnz, V, weighting, index_limit)
            with stages("extract + copy"):
                for r0, r1 in spans:
                    lo, hi = int(indptr[r0]), int(indptr[r1])
                    if lo == hi:
                        continue
                    keys, values = _symmetric_block(xp, blocks, r0, r1, V, with_values=True)
                    writer.put_columns(indices[lo:hi], keys % V, V)
                    writer.put_counts(data[lo:hi], values, weighting, scale)
                    del keys, values
        else:
            data, indices, indptr = allocate_csr(fwd, V, weighting, index_limit)
            with stages("extract + copy"):
                at = 0
                for keys, values, cols, _, _ in blocks:
                    n = keys.shape[0]
                    writer.put_columns(indices[at : at + n], cols, V)
                    writer.put_counts(data[at : at + n], values, weighting, scale)
                    at += n
        with stages("copy drain"):
            writer.close()
    finally:
        writer.close()
    stages.downloaded += writer.sent
    return csr_from_parts(data, indices, indptr, (V, V))
