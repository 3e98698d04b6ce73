"""Host CSR assembly on the counter's threads: merged key ranges to CSR planes, and ``M + M^T``.

**Key ranges to CSR** (:func:`ranges_to_csr`). The host merge leaves sorted, unique cell keys
``(j * V + a) * V + b`` with their values, in consecutive key ranges merged at once. Each range
writes its columns and values straight into the result's arrays at its offset (one thread per
range; no concatenation of the ranges first), and the row pointers come from a binary search
per row inside the range holding the row's first key.

**M + M^T** (:func:`plus_transpose`). The symmetric counts are the forward counts plus their
transpose. scipy forms that on one thread: a counting-sort transpose, then a row-by-row merge.
On the Zipf 20M-token corpus at V = 50k (47M forward entries, 79M symmetric) it took 2.5 s of
an 8.7 s count on 2 cores, and on 16 cores it would not shrink at all. The same two steps here
run on the counter's threads:

1. the rows are cut into parts of about equal entries; each part counts its entries per
   column, so every part knows where its entries of each column go, and the parts then scatter
   their entries into the transpose at once, with no atomics (within a column the rows stay in
   ascending order, because the parts are in row order);
2. each row of the result is the union of a row of ``M`` and the same row of ``M^T``: one pass
   counts the union's size per row (so the result is allocated once, at its exact size), a
   second writes it (weighed on the way when asked), both parallel over rows.

The result equals scipy's ``(M + M.T).tocsr()`` bit for bit (the tests compare them on random
matrices); without numba, scipy's is used. On the 2-core dev VM it takes 1.7 s against
scipy's 2.9 s on that matrix, but inside a count both are bound by the first touches of the
1.5 GB they allocate (benchmarks/RESULTS.md, 2026-12-03).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from .._core.numba_cache import prepare_kernels
from . import assemble

prepare_kernels()

try:
    import numba
    from numba import njit, prange

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency
    _HAVE_NUMBA = False


if _HAVE_NUMBA:

    @njit(cache=True, nogil=True)
    def _columns(keys, vocab_size, cols):  # pragma: no cover - compiled
        """The column ``key % V`` of every key, into ``cols``."""
        for i in range(keys.shape[0]):
            cols[i] = keys[i] % vocab_size

    @njit(cache=True, nogil=True)
    def equal_parts(indptr, n_parts):  # pragma: no cover - compiled
        """Row boundaries of ``n_parts`` parts holding about equal numbers of entries."""
        V = indptr.shape[0] - 1
        nnz = indptr[V]
        starts = np.empty(n_parts + 1, dtype=np.int64)
        for p in range(n_parts):
            target = nnz * p // n_parts
            lo, hi = 0, V
            while lo < hi:
                mid = (lo + hi) // 2
                if indptr[mid] < target:
                    lo = mid + 1
                else:
                    hi = mid
            starts[p] = lo
        starts[n_parts] = V
        return starts

    @njit(parallel=True, cache=True)
    def transpose_and_sizes(indptr, indices, data, n_parts, tind, tdat):  # pragma: no cover - compiled
        """``M^T`` into (``tind``, ``tdat``); returns its indptr and the indptr of ``M + M^T``."""
        V = indptr.shape[0] - 1
        starts = equal_parts(indptr, n_parts)
        at = np.zeros((n_parts, V), dtype=np.int64)  # entries per (part, column), then where they go
        for p in prange(n_parts):
            for i in range(indptr[starts[p]], indptr[starts[p + 1]]):
                at[p, indices[i]] += 1
        tptr = np.empty(V + 1, dtype=np.int64)
        o = 0
        for c in range(V):
            tptr[c] = o
            for p in range(n_parts):
                n = at[p, c]
                at[p, c] = o
                o += n
        tptr[V] = o
        for p in prange(n_parts):
            pos = at[p]
            for r in range(starts[p], starts[p + 1]):
                for i in range(indptr[r], indptr[r + 1]):
                    c = indices[i]
                    d = pos[c]
                    tind[d] = r
                    tdat[d] = data[i]
                    pos[c] = d + 1
        sizes = np.zeros(V + 1, dtype=np.int64)
        for r in prange(V):
            i, e = indptr[r], indptr[r + 1]
            j, f = tptr[r], tptr[r + 1]
            n = 0
            while i < e and j < f:
                a = indices[i]
                t = tind[j]
                if a <= t:
                    i += 1
                if t <= a:
                    j += 1
                n += 1
            sizes[r + 1] = n + (e - i) + (f - j)
        for r in range(V):
            sizes[r + 1] += sizes[r]
        return tptr, sizes

    @njit(cache=True, nogil=True, inline="always")
    def put(odat, o, value, scale):  # pragma: no cover - compiled
        """Write one value: as it is (``scale`` 0), or as float64 ``value / scale`` (``weigh_counts``'s bits)."""
        if scale != 0:
            odat[o] = np.float64(value) / scale
        else:
            odat[o] = value

    @njit(parallel=True, cache=True)
    def _merge_rows(indptr, indices, data, tptr, tind, tdat, optr, oind, odat, scale):  # pragma: no cover - compiled
        """Row ``r`` of the result: row ``r`` of ``M`` and of ``M^T`` merged, values summed where both have one
        (then divided by ``scale`` unless it is 0)."""
        V = indptr.shape[0] - 1
        for r in prange(V):
            i, e = indptr[r], indptr[r + 1]
            j, f = tptr[r], tptr[r + 1]
            o = optr[r]
            while i < e and j < f:
                a = indices[i]
                t = tind[j]
                if a < t:
                    oind[o] = a
                    put(odat, o, data[i], scale)
                    i += 1
                elif t < a:
                    oind[o] = t
                    put(odat, o, tdat[j], scale)
                    j += 1
                else:
                    oind[o] = a
                    put(odat, o, data[i] + tdat[j], scale)
                    i += 1
                    j += 1
                o += 1
            while i < e:
                oind[o] = indices[i]
                put(odat, o, data[i], scale)
                i += 1
                o += 1
            while j < f:
                oind[o] = tind[j]
                put(odat, o, tdat[j], scale)
                j += 1
                o += 1


def ranges_to_csr(
    ranges: list[tuple[np.ndarray, np.ndarray]], vocab_size: int, planes: int, threads: int = 1
) -> list[sp.csr_matrix]:
    """Sorted unique cell keys ``(j * V + a) * V + b`` and their values, in consecutive key ranges,
    as one (V, V) CSR matrix per plane ``j``.

    Parameters
    ----------
    ranges : list of (keys, values)
        int64 keys, each range's keys sorted and unique and below the next range's first key.
    threads : int
        Ranges copied at once.
    """
    V = int(vocab_size)
    rows = planes * V
    ranges = [(k, v) for k, v in ranges if k.shape[0]] or [(np.zeros(0, np.int64), np.zeros(0, np.int64))]
    sizes = [int(k.shape[0]) for k, _ in ranges]
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    # indptr over all planes' rows: row R starts at the first key >= R * V, found in the range holding it
    row_keys = np.arange(rows + 1, dtype=np.int64) * V
    indptr = np.empty(rows + 1, dtype=np.int64)
    firsts = np.array([k[0] if k.shape[0] else 0 for k, _ in ranges], dtype=np.int64)
    # rows owned by range i (the last range starting at or before the row) form one slice, in range order
    cut = np.searchsorted(row_keys, firsts, side="left")
    cut[0] = 0  # rows before every key start at 0: range 0's search gives that
    cut = np.append(cut, rows + 1)
    for i, (k, _) in enumerate(ranges):
        indptr[cut[i] : cut[i + 1]] = offsets[i] + np.searchsorted(k, row_keys[cut[i] : cut[i + 1]])
    per_plane = np.diff(indptr[::V]) if V else np.zeros(planes, np.int64)
    index_dtype = assemble.index_dtype(int(per_plane.max(initial=0)), V)
    cols = np.empty(int(offsets[-1]), dtype=index_dtype)
    values = np.empty(int(offsets[-1]), dtype=ranges[0][1].dtype)

    def fill(i: int) -> None:
        k, v = ranges[i]
        a, b = int(offsets[i]), int(offsets[i + 1])
        if _HAVE_NUMBA:
            _columns(k, V, cols[a:b])
        else:
            cols[a:b] = k % V
        values[a:b] = v

    if threads > 1 and len(ranges) > 1:
        with ThreadPoolExecutor(min(threads, len(ranges)), thread_name_prefix="cooc-csr") as pool:
            list(pool.map(fill, range(len(ranges))))
    else:
        for i in range(len(ranges)):
            fill(i)
    out = []
    for j in range(planes):
        lo, hi = int(indptr[j * V]), int(indptr[(j + 1) * V])
        ptr = (indptr[j * V : (j + 1) * V + 1] - lo).astype(index_dtype)
        out.append(assemble.csr_from_parts(values[lo:hi], cols[lo:hi], ptr, (V, V)))
    return out


def planes_to_csr(keys: np.ndarray, values: np.ndarray, vocab_size: int, planes: int) -> list[sp.csr_matrix]:
    """Sorted unique cell keys ``(j * V + a) * V + b`` (one range) as one (V, V) CSR matrix per plane."""
    return ranges_to_csr([(keys, values)], vocab_size, planes)


def plus_transpose(m: sp.csr_matrix, parts: int | None = None, weigh: tuple[str, int] | None = None) -> sp.csr_matrix:
    """``M + M^T`` (the diagonal doubled, as GloVe's symmetric counts), exact for integer values.

    Parameters
    ----------
    m : scipy.sparse.csr_matrix of shape (V, V)
        Duplicates are summed and indices sorted first if ``m`` is not in canonical form.
    parts : int, optional
        Row parts of the compiled transpose; default one per thread (numba's current setting,
        which ``thread_limit`` sets to the counter's threads), fewer where the parts' tables of
        entries per column (8 bytes per part and column) would outgrow ``M``'s column indices.
    weigh : (weighting, scale), optional
        Also weigh integer counts in the same pass, as :func:`cooc.count.assemble.weigh_counts`
        does after it (the same bits): float64 ``(M + M^T) / scale`` unless ``weighting`` is
        ``"uniform"`` (int64 as they are).

    Returns
    -------
    scipy.sparse.csr_matrix
        Canonical (sorted, unique indices); int32 indices while they fit
        (:func:`cooc.count.assemble.index_dtype`), else int64.
    """
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"M + M^T needs a square matrix, got shape {m.shape}")
    m = sp.csr_matrix(m)
    if not m.has_canonical_format:
        m = m.copy()
        m.sum_duplicates()
    if not _HAVE_NUMBA:
        out = (m + m.T).tocsr()
        if weigh is not None:
            out.data = assemble.weigh_counts(np, out.data, weigh[0], weigh[1])
        return out
    V = m.shape[0]
    if parts is None:  # one part a thread, while the parts' column tables (parts x V) stay small beside M
        parts = min(numba.get_num_threads(), m.nnz // (2 * max(V, 1)))
    n_parts = max(int(parts), 1)
    indptr = m.indptr.astype(np.int64, copy=False)
    tind = np.empty(m.nnz, dtype=assemble.index_dtype(0, V))
    tdat = np.empty(m.nnz, dtype=m.data.dtype)
    tptr, optr = transpose_and_sizes(indptr, m.indices, m.data, n_parts, tind, tdat)
    n = int(optr[-1])
    index_dtype = assemble.index_dtype(n, V)
    oind = np.empty(n, dtype=index_dtype)
    divide = 0.0 if weigh is None or weigh[0] == "uniform" else float(weigh[1])  # 0: no division
    odat = np.empty(n, dtype=m.data.dtype if divide == 0 else np.float64)
    _merge_rows(indptr, m.indices, m.data, tptr, tind, tdat, optr, oind, odat, divide)
    return assemble.csr_from_parts(odat, oind, optr.astype(index_dtype, copy=False), m.shape)


__all__ = ["planes_to_csr", "plus_transpose", "ranges_to_csr"]
