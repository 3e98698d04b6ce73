"""The result's CSR matrix, assembled on the counting device (CuPy; numpy in tests).

After counting, the cells sit in a dense int64 head on the device and, when the head is
partial, in sorted tail runs on the host (:class:`~cooc.count.accumulate.RunStore`). The
host-side assembly (scipy's ``M + M^T``, k-way merges, a weighting pass, concatenations
and validation passes) touches arrays of the result's size many times. Here the host sees
each output entry once:

* **nnz first.** The nonzeros of every row are counted on the device, so ``data``,
  ``indices`` and ``indptr`` are allocated once, at their final size and dtype: int32
  indices while nnz and V stay below 2^31 - 1, int64 beyond (:func:`index_dtype`).
* **Row blocks.** Rows are then produced a block at a time on the device — extracted,
  symmetrised, weighted (float64 = int64 counts / scale, :func:`weigh_counts`, which the
  host path uses too, so both give the same bits) — and each block is copied into its
  slice of the host arrays by a :class:`HostWriter` (on CuPy through reusable pinned
  buffers, the host-side copies on a few threads while the device works on).
* **No further passes.** The CSR matrix is built from the three arrays as they are and
  marked canonical (sorted, unique columns by construction): :func:`csr_from_parts`.

Two inputs:

* a **full head** (all V x V cells): ``M + M^T`` in place, block pair by block pair
  (:func:`symmetrize_dense`), then :func:`dense_to_csr`;
* a **partial head plus tail runs** (:func:`merged_to_csr`): the head's nonzeros become
  sorted cell keys ``a * V + b``; the runs are merged with them one row range at a time
  (upload, sort, reduce, then a merge by ``searchsorted`` — head and tail cells are
  disjoint); ``M + M^T`` is formed by key arithmetic: the entries of rows ``R`` are the
  forward keys of rows ``R`` and the transposed keys ``b * V + a`` of every entry whose
  column ``b`` lies in ``R``, merged and reduced (the diagonal is doubled, as by
  :func:`~cooc.count.counter.plus_transpose`). :func:`merge_steps` says whether the device
  budget allows it (and sizes the steps); the counter falls back to the host path when not.

Everything is written against ``xp``; only :class:`HostWriter` has a CuPy-specific branch.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from .._backend import to_numpy
from .accumulate import HeadLayout, reduce_sorted

INDEX_LIMIT = 2**31 - 1      # indices and indptr switch to int64 when nnz or V reach it
BLOCK_CELLS = 1 << 25        # dense cells scanned per step (256 MiB of int64)
CELL_WORK_BYTES = 48         # per dense cell of a step: nonzero mask and scan, positions, keys, values
ENTRY_WORK_BYTES = 112       # per entry of a row block: keys, values, sort order, merge positions, reduction
ENTRY_BYTES = 20             # per merged entry kept on the device: key, value, int32 column
MIN_STEP = 1 << 16           # the fewest cells or entries per step worth a device assembly
STAGING_BYTES = 32 << 20     # one pinned staging buffer
STAGING_SLOTS = 8            # pinned buffers (and host threads) in flight

#: When the merged assembly does not fit the device budget, the counter assembles on the
#: host instead (minutes for ~1G entries); benchmarks set this False to get an error instead.
ALLOW_HOST_FALLBACK = True


def index_dtype(nnz: int, n: int, limit: int = INDEX_LIMIT) -> np.dtype:
    """int32 for indices and indptr while ``nnz`` and ``n`` (the matrix side) stay below ``limit``, else int64."""
    return np.dtype(np.int64) if max(int(nnz), int(n)) >= limit else np.dtype(np.int32)


def weigh_counts(xp: ModuleType, counts: Any, weighting: str, scale: int) -> Any:
    """Integer weighted counts -> the result's values.

    int64 as they are for uniform weights; otherwise float64 ``counts / scale`` (the int64
    converted first, then one correctly rounded division, the same bits on every device).
    """
    if weighting == "uniform":
        return counts
    data = counts.astype(np.float64)
    if scale != 1:
        data /= scale
    return data


def csr_from_parts(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                   shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix made of these arrays, uncopied and unscanned, marked canonical.

    scipy's ``(data, indices, indptr)`` constructor scans int64 index arrays to see whether
    they fit int32 (and copies them if so); the arrays here are final, with sorted unique
    columns in every row, so they are set as they are.
    """
    m = sp.csr_matrix(shape, dtype=data.dtype)
    m.data, m.indices, m.indptr = data, indices, indptr
    m.has_canonical_format = True
    return m


class Stages:
    """Wall seconds per named stage of an assembly, the device synchronised at each stage's end."""

    def __init__(self, xp: ModuleType):
        self.xp = xp
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if self.xp is not np:
            self.xp.cuda.get_current_stream().synchronize()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.seconds.items()}


class HostWriter:
    """Copies 1-D device arrays into slices of host arrays.

    With numpy a plain copy. With CuPy each piece of at most ``slot_bytes`` goes, on the
    current stream, from the device into one of ``slots`` reusable pinned buffers
    (``cudaMemcpyAsync``), and a pool thread waits for it and copies it on into its slice,
    so the host copies overlap each other and the device's next steps. :meth:`close` waits
    for every copy; read the host arrays only after it.
    """

    def __init__(self, xp: ModuleType, slot_bytes: int = STAGING_BYTES, slots: int = STAGING_SLOTS):
        self.xp = xp
        self.on_device = xp is not np
        self.slot_bytes = int(slot_bytes)
        self.buffers: list[np.ndarray] = []
        self.pending: list[Future | None] = []
        self.next = 0
        self.pool: ThreadPoolExecutor | None = None
        if self.on_device:
            import cupyx
            self.buffers = [cupyx.empty_pinned((self.slot_bytes,), dtype=np.uint8) for _ in range(slots)]
            self.pending = [None] * slots
            self.pool = ThreadPoolExecutor(max_workers=max(1, min(slots, os.cpu_count() or 1)))

    def put(self, dst: np.ndarray, src: Any) -> None:
        """``dst[:] = src`` (same length and dtype), perhaps still in flight until :meth:`close`."""
        n = int(src.shape[0])
        if n != dst.shape[0] or src.dtype != dst.dtype:
            raise RuntimeError(f"assembly error: a block of {n} {src.dtype} for a slice of "
                               f"{dst.shape[0]} {dst.dtype}")
        if n == 0:
            return
        if not self.on_device:
            dst[...] = src
            return
        cp = self.xp
        src = cp.ascontiguousarray(src)
        step = max(1, self.slot_bytes // src.itemsize)
        stream = cp.cuda.get_current_stream()
        for lo in range(0, n, step):
            piece = src[lo:lo + step]
            k = self.next
            self.next = (k + 1) % len(self.buffers)
            if self.pending[k] is not None:
                self.pending[k].result()       # the slot's last piece has landed: reuse its buffer
            buf = self.buffers[k][:piece.nbytes].view(src.dtype)
            cp.cuda.runtime.memcpyAsync(buf.ctypes.data, piece.data.ptr, piece.nbytes,
                                        cp.cuda.runtime.memcpyDeviceToHost, stream.ptr)
            self.pending[k] = self.pool.submit(_land, stream.record(), buf, dst[lo:lo + piece.shape[0]], piece)

    def close(self) -> None:
        """Wait for every copy (raising the first error); the writer can't be used afterwards."""
        pending, self.pending = self.pending, [None] * len(self.pending)
        try:
            for f in pending:
                if f is not None:
                    f.result()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None


def _land(done: Any, buf: np.ndarray, dst: np.ndarray, piece: Any) -> None:
    """Wait for a staged piece (``piece`` stays referenced until then) and copy it to its host slice."""
    done.synchronize()
    np.copyto(dst, buf)


def symmetrize_dense(xp: ModuleType, m: Any, block: int = 4096) -> None:
    """``m <- m + m^T`` in place, block pair by block pair (temporaries of two blocks only).

    Parameters
    ----------
    m : array of shape (V, V), int64
    """
    V = m.shape[0]
    for i in range(0, V, block):
        bi = slice(i, min(i + block, V))
        d = m[bi, bi]
        m[bi, bi] = d + d.T
        for j in range(i + block, V, block):
            bj = slice(j, min(j + block, V))
            upper = m[bi, bj] + m[bj, bi].T
            m[bi, bj] = upper
            m[bj, bi] = upper.T


def _allocate(row_nnz: np.ndarray, n_cols: int, weighting: str | None,
              index_limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Host ``(data, indices, indptr)`` at their final sizes and dtypes, from the nonzeros of each row."""
    nnz = int(row_nnz.sum())
    idx = index_dtype(nnz, max(row_nnz.shape[0], n_cols), index_limit)
    indptr = np.empty(row_nnz.shape[0] + 1, dtype=idx)
    indptr[0] = 0
    np.cumsum(row_nnz, dtype=idx, out=indptr[1:])
    value = np.int64 if weighting in (None, "uniform") else np.float64
    return np.empty(nnz, dtype=value), np.empty(nnz, dtype=idx), indptr


def _values(xp: ModuleType, counts: Any, weighting: str | None, scale: int) -> Any:
    return counts if weighting is None else weigh_counts(xp, counts, weighting, scale)


def dense_to_csr(xp: ModuleType, m: Any, weighting: str | None = None, scale: int = 1, *,
                 writer: HostWriter | None = None, stages: Stages | None = None,
                 index_limit: int = INDEX_LIMIT, block_cells: int = BLOCK_CELLS) -> sp.csr_matrix:
    """The nonzeros of a dense (R, C) int64 device matrix as a host CSR matrix.

    Parameters
    ----------
    m : array of shape (R, C), int64, C-contiguous
    weighting : {"uniform", "linear", "harmonic"} or None
        Apply :func:`weigh_counts` on the device; ``None`` keeps the int64 counts.
    scale : int
        The integer weights' common scale.
    writer : HostWriter, optional
        Reused (and left open) when given.
    index_limit : int
        Where indices switch to int64 (tests lower it).
    block_cells : int
        Cells per step (whole rows, at least one).
    """
    R, C = m.shape
    stages = stages if stages is not None else Stages(xp)
    step = max(1, block_cells // max(C, 1))
    with stages("row counts"):
        counts = xp.zeros(R, dtype=np.int64)
        for r in range(0, R, step):
            counts[r:r + step] = xp.count_nonzero(m[r:r + step], axis=1)
        row_nnz = to_numpy(counts)
    data, indices, indptr = _allocate(row_nnz, C, weighting, index_limit)
    own = writer is None
    writer = HostWriter(xp) if own else writer
    try:
        with stages("extract + copy"):
            for r in range(0, R, step):
                lo, hi = int(indptr[r]), int(indptr[min(r + step, R)])
                if lo == hi:
                    continue
                sub = m[r:r + step]
                nz = xp.flatnonzero(sub)
                writer.put(indices[lo:hi], (nz % C).astype(indices.dtype))
                writer.put(data[lo:hi], _values(xp, sub.ravel()[nz], weighting, scale))
                del nz
        if own:
            with stages("copy drain"):
                writer.close()
    finally:
        if own:
            writer.close()
    return csr_from_parts(data, indices, indptr, (R, C))


def dense_planes(xp: ModuleType, head: Any, vocab_size: int, planes: int, symmetrize: bool,
                 weigh: tuple[str, int] | None = None, stages: Stages | None = None,
                 index_limit: int = INDEX_LIMIT) -> list[sp.csr_matrix]:
    """A full head (``planes`` V x V planes, flat) as host CSR matrices, symmetrised in place first when asked.

    ``weigh = (weighting, scale)`` applies the weights on the device (one plane only: the
    per-offset planes stay raw integers for the counter to weigh).
    """
    V = vocab_size
    stages = stages if stages is not None else Stages(xp)
    if weigh is not None and planes != 1:
        raise ValueError("weights are applied on the device to a single plane only")
    weighting, scale = weigh if weigh is not None else (None, 1)
    writer = HostWriter(xp)
    out = []
    try:
        for p in range(planes):
            plane = head[p * V * V:(p + 1) * V * V].reshape(V, V)
            if symmetrize:
                with stages("symmetrise"):
                    symmetrize_dense(xp, plane)
            out.append(dense_to_csr(xp, plane, weighting, scale, writer=writer, stages=stages,
                                    index_limit=index_limit))
        with stages("copy drain"):
            writer.close()
    finally:
        writer.close()
    return out


def merge_steps(head_cells: int, head_entries: int, run_entries: int, vocab_size: int,
                budget: int) -> tuple[int, int] | None:
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


def _head_entries(xp: ModuleType, head: Any, layout: HeadLayout, V: int,
                  block_cells: int) -> tuple[list[tuple[Any, Any, int, int]], np.ndarray]:
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
        local = starts_dev[r0:r1 + 1] - s0
        row = xp.searchsorted(local, nz, side="right") - 1   # empty rows share a start: 'right' skips them
        keys = (row + r0) * V + (nz - local[row])
        row_nnz[r0:r1] = to_numpy(xp.bincount(row, minlength=r1 - r0))
        out.append((keys, part[nz], int(keys[0]), int(keys[-1])))
    return out, row_nnz


def _merge_runs(xp: ModuleType, heads: list, head_rows: np.ndarray, runs: Sequence[tuple[np.ndarray, np.ndarray]],
                V: int, block_entries: int, col_dtype: np.dtype) -> tuple[list[tuple], np.ndarray]:
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
        if len(parts) > 1:                     # runs may share keys
            order = xp.argsort(tk)
            tk, tv = reduce_sorted(xp, tk[order], tv[order])
            del order
        hk, hv = _device_range(xp, heads, lo, hi)
        while heads and heads[0][3] < hi:
            heads.pop(0)
        keys, values = merge_sorted(xp, hk, hv, tk, tv)    # head and tail cells are disjoint
        del tk, tv, hk, hv
        if keys.shape[0] == 0:
            continue
        row_nnz[r0:r1] = to_numpy(xp.bincount(keys // V - r0, minlength=r1 - r0))
        blocks.append((keys, values, (keys % V).astype(col_dtype), r0, r1))
    return blocks, row_nnz


def _symmetric_block(xp: ModuleType, blocks: list, r0: int, r1: int, V: int,
                     with_values: bool) -> tuple[Any, Any]:
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


def merged_to_csr(xp: ModuleType, head: Any, layout: HeadLayout, runs: Sequence[tuple[np.ndarray, np.ndarray]],
                  vocab_size: int, *, symmetric: bool, weighting: str | None = None, scale: int = 1,
                  release: Callable[[], None] | None = None, stages: Stages | None = None,
                  index_limit: int = INDEX_LIMIT, block_cells: int = BLOCK_CELLS,
                  block_entries: int = 1 << 26) -> sp.csr_matrix:
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
            data, indices, indptr = _allocate(row_nnz, V, weighting, index_limit)
            with stages("extract + copy"):
                for r0, r1 in spans:
                    lo, hi = int(indptr[r0]), int(indptr[r1])
                    if lo == hi:
                        continue
                    keys, values = _symmetric_block(xp, blocks, r0, r1, V, with_values=True)
                    writer.put(indices[lo:hi], (keys % V).astype(indices.dtype))
                    writer.put(data[lo:hi], _values(xp, values, weighting, scale))
                    del keys, values
        else:
            data, indices, indptr = _allocate(fwd, V, weighting, index_limit)
            with stages("extract + copy"):
                at = 0
                for keys, values, cols, _, _ in blocks:
                    n = keys.shape[0]
                    writer.put(indices[at:at + n], cols.astype(indices.dtype, copy=False))
                    writer.put(data[at:at + n], _values(xp, values, weighting, scale))
                    at += n
        with stages("copy drain"):
            writer.close()
    finally:
        writer.close()
    return csr_from_parts(data, indices, indptr, (V, V))
