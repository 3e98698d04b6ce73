"""A count's CSR straight from the dense host head and the merged tail: no merge between them, and
``M + M^T`` without a forward matrix.

The head holds the cells with ``(a + 1) * (b + 1) <= P``: row ``a`` the columns ``b <
row_len[a]``. The counting engines send a pair to the tail exactly when it lies outside, so

* in CSR order each row is its head nonzeros followed by its tail entries, and the head never
  joins the k-way merge of the runs. On the Zipf 100M-token corpus at V = 50k the head's
  98M entries took most of that merge's 8 s, against 55M tail entries (2 cores);
* the head's region is symmetric (the bound is), so the head part of ``M + M^T`` is the head
  plus its own transpose, added in place tile by tile, and the tail part is the tail plus its
  transpose. The forward matrix (12 bytes an entry) and its transpose are never written: on the
  2-core VM writing fresh memory costs about a second a GB.

Steps, each on the counter's threads: the tail runs alone are merged by key ranges
(:meth:`RunStore.merged_ranges`) and made CSR; with ``symmetric`` the tail's transpose is formed
with each row's union size (:func:`cooc.count.host_csr.transpose_and_sizes`) and the head adds
its transpose in place; one pass counts each head row's nonzeros; a second writes each result
row: the head row's nonzeros, then the union of the tail row and the transpose's row (summed
where both hold a column), weighed on the way when asked. Rows are cut into parts of about
equal work (the first rows are the longest). The result equals the merged path bit for bit
(the tests compare them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._core.numba_cache import prepare_kernels
from . import assemble
from ._numba import balance_rows
from .accumulate import HeadLayout
from .host_csr import ranges_to_csr

prepare_kernels()

try:
    from numba import njit, prange

    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is a dependency
    AVAILABLE = False

TILE = 64  # rows and columns of a tile of the head's in-place transpose: 2 x 32 KiB of int64


if AVAILABLE:
    from .host_csr import equal_parts, transpose_and_sizes
    from .host_csr import put as _put

    @njit(parallel=True, cache=True)
    def _symmetrize_head(head, row_start, row_len, tile, owned_ptr, owned):  # pragma: no cover - compiled
        """``H <- H + H^T`` over the head's cells (the diagonal doubled), in place.

        Thread ``t`` takes the row blocks ``owned[owned_ptr[t]:owned_ptr[t + 1]]``; block ``A``
        covers the tiles ``(A, B)`` with ``B >= A``, writing both ``H[A, B]`` and ``H[B, A]``, so no
        cell is written by two threads.
        """
        V = row_len.shape[0]
        for t in prange(owned_ptr.shape[0] - 1):
            for q in range(owned_ptr[t], owned_ptr[t + 1]):
                a0 = owned[q] * tile
                a1 = min(a0 + tile, V)
                for b0 in range(a0, row_len[a0], tile):
                    b1 = min(b0 + tile, V)
                    for a in range(a0, a1):
                        ra = row_start[a]
                        lo = max(b0, a)
                        hi = min(b1, row_len[a])
                        for b in range(lo, hi):
                            if b == a:
                                head[ra + a] *= 2
                            else:
                                s = head[ra + b] + head[row_start[b] + a]
                                head[ra + b] = s
                                head[row_start[b] + a] = s

    @njit(parallel=True, cache=True)
    def _head_counts(head, row_start, row_len, starts):  # pragma: no cover - compiled
        """Nonzeros of every head row, part by part (rows ``starts[p] .. starts[p + 1] - 1``)."""
        counts = np.zeros(row_len.shape[0], dtype=np.int64)
        for p in prange(starts.shape[0] - 1):
            for a in range(starts[p], starts[p + 1]):
                base = row_start[a]
                c = 0
                for b in range(row_len[a]):
                    if head[base + b] != 0:
                        c += 1
                counts[a] = c
        return counts

    @njit(parallel=True, cache=True)
    def _fill(head, row_start, row_len, starts, tail, transposed, indptr, cols, values, scale):  # pragma: no cover
        """Each row: its head nonzeros, then the union of its tail row and its row of the tail's transpose
        (values summed where both have one; an empty transpose for forward counts), weighed on the way.

        Every head cell is written at the row's next free slot, which moves on only past a nonzero: no
        branch on the value (a third of the head's cells are zero, in no pattern a CPU predicts), and
        the slot a zero takes is taken again by the next entry, or lies past the row (not written).
        """
        fptr, find, fdat = tail
        tptr, tind, tdat = transposed
        for p in prange(starts.shape[0] - 1):
            for a in range(starts[p], starts[p + 1]):
                base = row_start[a]
                o = indptr[a]
                end = indptr[a + 1]
                for b in range(row_len[a]):
                    v = head[base + b]
                    if o < end:
                        cols[o] = b
                        _put(values, o, v, scale)
                    o += v != 0
                i, e = fptr[a], fptr[a + 1]
                j, f = tptr[a], tptr[a + 1]
                while i < e or j < f:
                    if j == f or (i < e and find[i] < tind[j]):
                        cols[o] = find[i]
                        _put(values, o, fdat[i], scale)
                        i += 1
                    elif i == e or tind[j] < find[i]:
                        cols[o] = tind[j]
                        _put(values, o, tdat[j], scale)
                        j += 1
                    else:
                        cols[o] = find[i]
                        _put(values, o, fdat[i] + tdat[j], scale)
                        i += 1
                        j += 1
                    o += 1


def _row_parts(layout: HeadLayout, tail_ptr: np.ndarray, n_parts: int) -> np.ndarray:
    """Row boundaries of ``n_parts`` parts of about equal work (head cells and tail entries, and one a row)."""
    work = np.concatenate([[0], np.cumsum(layout.row_len + np.diff(tail_ptr) + 1)]).astype(np.int64)
    return equal_parts(work, n_parts)


def _tile_owners(layout: HeadLayout, tile: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Row blocks dealt to threads by the cells of their tiles (:func:`~cooc.count._numba.balance_rows`),
    as each thread's blocks ``owned[ptr[t]:ptr[t + 1]]``."""
    V = layout.row_len.shape[0]
    firsts = np.arange(0, V, tile)
    rows = np.minimum(firsts + tile, V) - firsts
    work = rows * np.maximum(layout.row_len[firsts] - firsts, 0)
    owner = balance_rows(work.astype(np.float64), threads)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=threads))]).astype(np.int64)
    return ptr, np.argsort(owner, kind="stable").astype(np.int64)


def head_tail_to_csr(
    head: np.ndarray,
    layout: HeadLayout,
    tail: list[tuple[np.ndarray, np.ndarray]],
    vocab_size: int,
    planes: int,
    symmetric: bool = False,
    divide: int = 0,
    threads: int = 1,
) -> list[sp.csr_matrix]:
    """One (V, V) CSR matrix per plane from a dense host head and the merged tail.

    Parameters
    ----------
    head : ndarray of shape (planes * layout.cells,), int64
        Symmetrised in place when ``symmetric`` (it is spent afterwards).
    tail : list of (keys, values)
        The tail's merged entries in consecutive key ranges: cell keys ``(j * V + a) * V + b``,
        sorted and unique, every one outside the head (``b >= layout.row_len[a]``). The list is
        emptied once they are copied.
    symmetric : bool
        Each plane ``M + M^T`` (the diagonal doubled), as :func:`plus_transpose` makes it.
    divide : int
        0: int64 values as counted; else float64 ``value / divide`` (weighed on the way).
    threads : int
        Parts per pass (four a thread).
    """
    if not AVAILABLE:  # pragma: no cover - numba is a dependency
        raise RuntimeError("head_tail_to_csr needs numba")
    V = int(vocab_size)
    if symmetric and not np.array_equal(layout.row_len, HeadLayout.for_bound(V, layout.bound).row_len):
        raise ValueError("M + M^T from the head needs a hyperbolic head (HeadLayout.for_bound)")
    row_len = layout.row_len.astype(np.int64, copy=False)
    row_start = layout.row_start.astype(np.int64, copy=False)
    tails = ranges_to_csr(tail, V, planes, threads)
    tail.clear()  # the ranges' memory goes back before the result is written
    owned_ptr, owned = _tile_owners(layout, TILE, threads)
    out = []
    for j in range(planes):
        plane = head[j * layout.cells : (j + 1) * layout.cells]
        forward = tails.pop(0)
        fptr = forward.indptr.astype(np.int64, copy=False)
        if symmetric:  # the tail's transpose, and each row's union with it, sized
            tind = np.empty(forward.nnz, dtype=assemble.index_dtype(0, V))
            tdat = np.empty(forward.nnz, dtype=forward.data.dtype)
            parts = max(1, min(int(threads), forward.nnz // (2 * max(V, 1))))
            tptr, union = transpose_and_sizes(fptr, forward.indices, forward.data, parts, tind, tdat)
            _symmetrize_head(plane, row_start, row_len, TILE, owned_ptr, owned)
        else:
            tptr, tind, tdat, union = np.zeros(V + 1, np.int64), forward.indices[:0], forward.data[:0], fptr
        starts = _row_parts(layout, union, max(1, min(4 * int(threads), V)))
        counts = _head_counts(plane, row_start, row_len, starts)
        indptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(counts + np.diff(union), out=indptr[1:])
        index_dtype = assemble.index_dtype(int(indptr[-1]), V)
        cols = np.empty(int(indptr[-1]), dtype=index_dtype)
        values = np.empty(int(indptr[-1]), dtype=np.int64 if divide == 0 else np.float64)
        transposed = (tptr, tind, tdat)
        _fill(
            plane,
            row_start,
            row_len,
            starts,
            (fptr, forward.indices, forward.data),
            transposed,
            indptr,
            cols,
            values,
            float(divide),
        )
        del forward, transposed, tind, tdat
        out.append(assemble.csr_from_parts(values, cols, indptr.astype(index_dtype), (V, V)))
    return out


__all__ = ["AVAILABLE", "head_tail_to_csr"]
