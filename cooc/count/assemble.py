"""The result's CSR matrix, assembled on the counting device (CuPy; numpy in tests).

After counting, the cells sit in a dense int64 head on the device and, when the head is
partial, in sorted tail runs on the host (:class:`~cooc.count.accumulate.RunStore`). The
host-side assembly (``M + M^T``, k-way merges, a weighting pass, concatenations
and validation passes) touches arrays of the result's size many times. Here the host sees
each output entry once:

* **nnz first.** The nonzeros of every row are counted on the device, so ``data``,
  ``indices`` and ``indptr`` are allocated once, at their final size and dtype: int32
  indices while nnz and V stay below 2^31 - 1, int64 beyond (:func:`index_dtype`).
* **Row blocks.** Rows are then produced a block at a time on the device — extracted,
  symmetrised, weighted (float64 = int64 counts / scale, :func:`weigh_counts`, which the
  host path uses too, so both give the same bits) — and each block is copied into its
  slice of the host arrays by a :class:`HostWriter` (on CuPy through reusable pinned
  buffers, the host-side copies on a few threads while the device works on). What crosses
  the link is narrowed where it fits (:data:`NARROW_ENV`): column ids as uint16 while the
  matrix has at most 65,536 columns, and a block's integer counts as uint32 while they fit,
  widened and weighted by the host threads as they land (the same bits: one exact conversion
  and one correctly rounded division), 6 bytes a nonzero instead of 12.
* **No further passes.** The CSR matrix is built from the three arrays as they are and
  marked canonical (sorted, unique columns by construction): :func:`csr_from_parts`.

Two inputs:

* a **full head** (all V x V cells): ``M + M^T`` in place, block pair by block pair
  (:func:`symmetrize_dense`), then :func:`dense_to_csr`;
* a **partial head plus tail runs**: :mod:`cooc.count.assemble_merged`, which merges
  them on the device and uses the helpers here for the copy-out.

Everything is written against ``xp``; only :class:`HostWriter` has a CuPy-specific branch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.device import to_numpy
from .._core.threads import available_cores

INDEX_LIMIT = 2**31 - 1  # indices and indptr switch to int64 when nnz or V reach it
BLOCK_CELLS = 1 << 25  # dense cells scanned per step (256 MiB of int64)
CELL_WORK_BYTES = 48  # per dense cell of a step: nonzero mask and scan, positions, keys, values
ENTRY_WORK_BYTES = 112  # per entry of a row block: keys, values, sort order, merge positions, reduction
ENTRY_BYTES = 20  # per merged entry kept on the device: key, value, int32 column
MIN_STEP = 1 << 16  # the fewest cells or entries per step worth a device assembly
STAGING_BYTES = 32 << 20  # one pinned staging buffer
STAGING_SLOTS = 8  # pinned buffers (and host threads) in flight
NARROW_ENV = "COOC_NARROW_COPY"  # "0": copy the result's final dtypes as they are (12 bytes a nonzero)
NARROW_COLUMNS = 1 << 16  # matrices with at most this many columns send uint16 column ids
NARROW_COUNT_MAX = 2**32 - 1  # blocks whose counts all fit uint32 send them so

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


def csr_from_parts(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
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
        self.downloaded = 0  # bytes the assembly's writers sent to the host

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if self.xp is not np:
            self.xp.cuda.get_current_stream().synchronize()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.seconds.items()}


def narrow_copy() -> bool:
    """Whether device assemblies narrow what they copy to the host (``COOC_NARROW_COPY``, default on)."""
    return os.environ.get(NARROW_ENV, "1").strip() not in ("0", "false", "no", "off")


class HostWriter:
    """Copies 1-D device arrays into slices of host arrays.

    With numpy a plain copy. With CuPy each piece of at most ``slot_bytes`` goes, on the
    current stream, from the device into one of ``slots`` reusable pinned buffers
    (``cudaMemcpyAsync``), and a pool thread waits for it and copies it on into its slice,
    so the host copies overlap each other and the device's next steps. :meth:`close` waits
    for every copy; read the host arrays only after it.

    :meth:`put_columns` and :meth:`put_counts` send narrower types than the host arrays hold
    where the values fit (``narrow``, default :func:`narrow_copy`) and widen them as they land,
    on numpy exactly as on the device; :attr:`sent` counts the bytes that crossed.
    """

    def __init__(
        self, xp: ModuleType, slot_bytes: int = STAGING_BYTES, slots: int = STAGING_SLOTS, narrow: bool | None = None
    ):
        self.xp = xp
        self.on_device = xp is not np
        self.narrow = narrow_copy() if narrow is None else bool(narrow)
        self.sent = 0
        self.slot_bytes = int(slot_bytes)
        self.buffers: list[np.ndarray] = []
        self.pending: list[Future | None] = []
        self.next = 0
        self.pool: ThreadPoolExecutor | None = None
        if self.on_device:
            import cupyx

            self.buffers = [cupyx.empty_pinned((self.slot_bytes,), dtype=np.uint8) for _ in range(slots)]
            self.pending = [None] * slots
            self.pool = ThreadPoolExecutor(max_workers=max(1, min(slots, available_cores())))

    def put(self, dst: np.ndarray, src: Any, land: Callable[[np.ndarray, np.ndarray], Any] | None = None) -> None:
        """``dst[:] = src``, perhaps still in flight until :meth:`close`.

        ``land(dst_piece, src_piece)`` writes a landed piece into its slice when ``src`` has another
        dtype than ``dst`` (a narrower one); without it the dtypes must be equal.
        """
        n = int(src.shape[0])
        if n != dst.shape[0] or (land is None and src.dtype != dst.dtype):
            raise RuntimeError(f"assembly error: a block of {n} {src.dtype} for a slice of {dst.shape[0]} {dst.dtype}")
        if n == 0:
            return
        land = np.copyto if land is None else land
        self.sent += n * src.dtype.itemsize
        if not self.on_device:
            land(dst, src)
            return
        cp, pool = self.xp, self.pool
        assert pool is not None  # made with the device buffers
        src = cp.ascontiguousarray(src)
        step = max(1, self.slot_bytes // src.itemsize)
        stream = cp.cuda.get_current_stream()
        for lo in range(0, n, step):
            piece = src[lo : lo + step]
            k = self.next
            self.next = (k + 1) % len(self.buffers)
            last = self.pending[k]
            if last is not None:
                last.result()  # the slot's last piece has landed: reuse its buffer
            buf = self.buffers[k][: piece.nbytes].view(src.dtype)
            cp.cuda.runtime.memcpyAsync(
                buf.ctypes.data, piece.data.ptr, piece.nbytes, cp.cuda.runtime.memcpyDeviceToHost, stream.ptr
            )
            self.pending[k] = pool.submit(_land, stream.record(), buf, dst[lo : lo + piece.shape[0]], piece, land)

    def put_columns(self, dst: np.ndarray, cols: Any, n_cols: int) -> None:
        """Column ids (any integer dtype on the device) into ``dst``: as uint16 when ``n_cols`` allows."""
        if self.narrow and n_cols <= NARROW_COLUMNS:
            self.put(dst, cols.astype(np.uint16, copy=False), land=np.copyto)
        else:
            self.put(dst, cols.astype(dst.dtype, copy=False))

    def put_counts(self, dst: np.ndarray, counts: Any, weighting: str | None, scale: int) -> None:
        """A block of int64 counts into ``dst`` as :func:`block_values` makes them: as uint32 when they all fit,
        weighted on the host as they land (the counts are never negative)."""
        if self.narrow and counts.shape[0] and int(counts.max()) <= NARROW_COUNT_MAX:
            self.put(dst, counts.astype(np.uint32), land=_weigher(weighting, scale))
        else:
            self.put(dst, block_values(self.xp, counts, weighting, scale))

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


def _weigher(weighting: str | None, scale: int) -> Callable[[np.ndarray, np.ndarray], Any]:
    """``land(dst, counts)`` writing :func:`weigh_counts`'s values (or the raw counts) from narrow counts:
    uint32 -> float64 is exact, then the same correctly rounded division, in place.

    Two passes: numpy divides uint32 by a float64 through a casting buffer at about half the speed
    (8M values on the 2-core dev VM: 6.3 ms, against 2.2 + 2.1 ms for the widening copy and the
    float64 division, and 2.9 ms for a plain float64 copy).
    """
    if weighting in (None, "uniform") or scale == 1:
        return np.copyto
    divisor = np.float64(scale)

    def land(dst: np.ndarray, counts: np.ndarray) -> None:
        np.copyto(dst, counts)
        np.divide(dst, divisor, out=dst)

    return land


def _land(
    done: Any, buf: np.ndarray, dst: np.ndarray, piece: Any, land: Callable[[np.ndarray, np.ndarray], Any]
) -> None:
    """Wait for a staged piece (``piece`` stays referenced until then) and write it to its host slice."""
    done.synchronize()
    land(dst, buf)


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


def allocate_csr(
    row_nnz: np.ndarray, n_cols: int, weighting: str | None, index_limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Host ``(data, indices, indptr)`` at their final sizes and dtypes, from the nonzeros of each row."""
    nnz = int(row_nnz.sum())
    idx = index_dtype(nnz, max(row_nnz.shape[0], n_cols), index_limit)
    indptr = np.empty(row_nnz.shape[0] + 1, dtype=idx)
    indptr[0] = 0
    np.cumsum(row_nnz, dtype=idx, out=indptr[1:])
    value = np.int64 if weighting in (None, "uniform") else np.float64
    return np.empty(nnz, dtype=value), np.empty(nnz, dtype=idx), indptr


def block_values(xp: ModuleType, counts: Any, weighting: str | None, scale: int) -> Any:
    return counts if weighting is None else weigh_counts(xp, counts, weighting, scale)


def dense_to_csr(
    xp: ModuleType,
    m: Any,
    weighting: str | None = None,
    scale: int = 1,
    *,
    writer: HostWriter | None = None,
    stages: Stages | None = None,
    index_limit: int = INDEX_LIMIT,
    block_cells: int = BLOCK_CELLS,
) -> sp.csr_matrix:
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
            counts[r : r + step] = xp.count_nonzero(m[r : r + step], axis=1)
        row_nnz = to_numpy(counts)
    data, indices, indptr = allocate_csr(row_nnz, C, weighting, index_limit)
    own = writer is None
    if writer is None:
        writer = HostWriter(xp)
    try:
        with stages("extract + copy"):
            for r in range(0, R, step):
                lo, hi = int(indptr[r]), int(indptr[min(r + step, R)])
                if lo == hi:
                    continue
                sub = m[r : r + step]
                nz = xp.flatnonzero(sub)
                writer.put_columns(indices[lo:hi], nz % C, C)
                writer.put_counts(data[lo:hi], sub.ravel()[nz], weighting, scale)
                del nz
        if own:
            with stages("copy drain"):
                writer.close()
    finally:
        if own:
            writer.close()
            stages.downloaded += writer.sent
    return csr_from_parts(data, indices, indptr, (R, C))


def dense_planes(
    xp: ModuleType,
    head: Any,
    vocab_size: int,
    planes: int,
    symmetrize: bool,
    weigh: tuple[str, int] | None = None,
    stages: Stages | None = None,
    index_limit: int = INDEX_LIMIT,
) -> list[sp.csr_matrix]:
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
            plane = head[p * V * V : (p + 1) * V * V].reshape(V, V)
            if symmetrize:
                with stages("symmetrise"):
                    symmetrize_dense(xp, plane)
            out.append(dense_to_csr(xp, plane, weighting, scale, writer=writer, stages=stages, index_limit=index_limit))
        with stages("copy drain"):
            writer.close()
    finally:
        writer.close()
    stages.downloaded += writer.sent
    return out
