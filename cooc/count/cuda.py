"""GPU counting: fused CUDA kernels and host -> device streaming.

The chunk preparation, tail reduction, head layout and run store are the shared ``xp``
code of :mod:`cooc.count.windows` and :mod:`cooc.count.accumulate`, run on CuPy arrays.
What is GPU-specific is small:

* ``cooc_count_plain`` — one thread per centre (grid-stride): for each offset j the
  pair either adds its integer weight to the dense head with a 64-bit ``atomicAdd`` or,
  outside the head, becomes a tagged tail key written to a buffer (slots reserved once
  per centre). ``head_on``/``tail_on`` let a chunk whose tail overflowed the buffer be
  re-run for its tail only, in halves, so the buffer never has to hold a worst case.
* ``cooc_count_tiled`` — the same with the pairs of the ``tile_n`` most frequent words
  summed first in a shared-memory tile of 32-bit counters (flushed with one global
  atomic per nonzero cell per block). Those pairs are the most contended addresses.
  A block handles at most ``per_block`` centres, so a 32-bit cell cannot overflow.

Both kernels compute exactly what :class:`~cooc.count.engines.VectorizedEngine` computes;
the tests run their source on the CPU through a C++ emulation of the CUDA launch model
(threads of a block as OS threads, real atomics and barriers) and compare.

:func:`stream_to_device` copies raw chunks into pinned host buffers (in pieces on a few
threads: :mod:`cooc.count.host_copy`) and on to the GPU on a separate stream,
double-buffered, so the copy of chunk k+1 overlaps the kernels of chunk k. The result is
put together on the GPU too, by :mod:`cooc.count.assemble`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

import numpy as np

from .accumulate import RunStore, head_run, reduce_tagged
from .assemble import dense_planes
from .engines import Plan
from .host_copy import copy_into
from .windows import Chunk

TILE_N = 64  # shared-memory tile: the 64 x 64 most frequent pairs (16 KiB of uint32)
TILE_PER_BLOCK = 8192  # centres per block in the tiled kernel (at least twice the tile's cells)
BLOCK = 256

SOURCE = r"""
typedef long long i64;
typedef unsigned long long u64;

#ifndef COOC_SHARED_TILE
#define COOC_SHARED_TILE extern __shared__ unsigned int tile[]
#endif

__device__ __forceinline__ int cooc_tail_pairs(const int* __restrict__ ids, i64 i, int r, i64 V, i64 la) {
    int k = 0;
    for (int j = 1; j <= r; ++j) {
        int b = ids[i + j];
        if (b < V && b >= la) ++k;
    }
    return k;
}

extern "C" __global__ void cooc_count_plain(
        const int* __restrict__ ids, const int* __restrict__ rem, i64 begin, i64 end, i64 V, int window,
        int per_offset, int head_on, int tail_on, const i64* __restrict__ weights,
        const i64* __restrict__ row_start, const i64* __restrict__ row_len, i64 cells,
        u64* head, i64* tail, u64* tail_count, i64 tail_cap) {
    i64 stride = (i64)blockDim.x * gridDim.x;
    for (i64 i = begin + (i64)blockIdx.x * blockDim.x + threadIdx.x; i < end; i += stride) {
        int a = ids[i];
        if (a >= V) continue;
        int r = rem[i];
        i64 ra = row_start[a], la = row_len[a];
        u64 slot = 0;
        if (tail_on) {
            int k = cooc_tail_pairs(ids, i, r, V, la);
            if (k) slot = atomicAdd(tail_count, (u64)k);
        }
        for (int j = 1; j <= r; ++j) {
            int b = ids[i + j];
            if (b >= V) continue;
            if (b < la) {
                if (head_on) {
                    if (per_offset) atomicAdd(&head[(i64)(j - 1) * cells + ra + b], 1ULL);
                    else atomicAdd(&head[ra + b], (u64)weights[j - 1]);
                }
            } else if (tail_on) {
                i64 key = per_offset ? ((i64)(j - 1) * V + a) * V + b : ((i64)a * V + b) * window + (j - 1);
                if (slot < (u64)tail_cap) tail[slot] = key;
                ++slot;
            }
        }
    }
}

extern "C" __global__ void cooc_count_tiled(
        const int* __restrict__ ids, const int* __restrict__ rem, i64 begin, i64 end, i64 V, int window,
        const i64* __restrict__ weights, const i64* __restrict__ row_start, const i64* __restrict__ row_len,
        u64* head, i64* tail, u64* tail_count, i64 tail_cap, int tile_n, i64 per_block) {
    COOC_SHARED_TILE;
    int tile_cells = tile_n * tile_n;
    for (int k = threadIdx.x; k < tile_cells; k += blockDim.x) tile[k] = 0u;
    __syncthreads();
    i64 lo = begin + (i64)blockIdx.x * per_block;
    i64 hi = lo + per_block < end ? lo + per_block : end;
    for (i64 i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        int a = ids[i];
        if (a >= V) continue;
        int r = rem[i];
        i64 ra = row_start[a], la = row_len[a];
        int k = cooc_tail_pairs(ids, i, r, V, la);
        u64 slot = k ? atomicAdd(tail_count, (u64)k) : 0;
        for (int j = 1; j <= r; ++j) {
            int b = ids[i + j];
            if (b >= V) continue;
            if (b < la) {
                if (a < tile_n && b < tile_n) atomicAdd(&tile[a * tile_n + b], (unsigned int)weights[j - 1]);
                else atomicAdd(&head[ra + b], (u64)weights[j - 1]);
            } else {
                if (slot < (u64)tail_cap) tail[slot] = ((i64)a * V + b) * window + (j - 1);
                ++slot;
            }
        }
    }
    __syncthreads();
    for (int k = threadIdx.x; k < tile_cells; k += blockDim.x) {
        unsigned int v = tile[k];
        if (v) atomicAdd(&head[row_start[k / tile_n] + k % tile_n], (u64)v);
    }
}
"""


class CupyKernels:
    """The kernels compiled by CuPy (NVRTC) and launched on the current stream."""

    def __init__(self):
        import cupy

        self.cupy = cupy
        self._plain = cupy.RawKernel(SOURCE, "cooc_count_plain", options=("--std=c++14",))
        self._tiled = cupy.RawKernel(SOURCE, "cooc_count_tiled", options=("--std=c++14",))
        self.sm_count = cupy.cuda.Device().attributes["MultiProcessorCount"]

    def plain(self, grid: int, block: int, args: tuple) -> None:
        self._plain((grid,), (block,), _scalars(args))

    def tiled(self, grid: int, block: int, shared: int, args: tuple) -> None:
        if shared > 48 * 1024 and self._tiled.max_dynamic_shared_size_bytes < shared:
            self._tiled.max_dynamic_shared_size_bytes = shared  # opt in beyond the default 48 KiB
        self._tiled((grid,), (block,), _scalars(args), shared_mem=shared)


def _scalars(args: tuple) -> tuple:
    """Python ints become the C types of the kernels' parameters (int for flags and sizes < 2^31 named so)."""
    return tuple(a if hasattr(a, "dtype") else (np.int32(a) if isinstance(a, _Int32) else np.int64(a)) for a in args)


class _Int32(int):
    """Marks a kernel argument declared ``int`` (everything else integral is ``long long``)."""


class KernelEngine:
    """Count on the GPU with the fused kernels (see the module docstring).

    Parameters
    ----------
    plan : Plan
    store : RunStore
    xp, kernels : optional
        The array module and the kernel launcher; CuPy and :class:`CupyKernels` by
        default. Tests pass numpy and a CPU emulation of the same CUDA source.
    tile_n : int, optional
        Side of the shared-memory tile (0: plain kernel only; default ``TILE_N``).
    """

    def __init__(
        self, plan: Plan, store: RunStore, xp: ModuleType | None = None, kernels: Any = None, tile_n: int | None = None
    ):
        if xp is None:
            import cupy

            xp = cupy
        self.xp: ModuleType = xp
        self.kernels = kernels if kernels is not None else CupyKernels()
        self.plan = plan
        self.store = store
        lay = plan.layout
        self.head = xp.zeros(plan.planes * lay.cells, dtype=np.int64)
        self.head_u64 = self.head.view(np.uint64)
        self.row_start = xp.asarray(lay.row_start)
        self.row_len = xp.asarray(lay.row_len)
        self.weights = xp.asarray(plan.weights)
        self.tag_values = xp.asarray(plan.tag_values())
        self.tail = xp.empty(max(plan.tail_batch, plan.window), dtype=np.int64)
        self.tail_count = xp.zeros(1, dtype=np.uint64)
        self.tile_n, self.per_block = self._tile(TILE_N if tile_n is None else tile_n)
        self.reruns = 0

    def _tile(self, tile_n: int) -> tuple[int, int]:
        """Tile side and centres per block so that no 32-bit tile cell can overflow."""
        p = self.plan
        if p.per_offset or tile_n <= 0:
            return 0, 0
        side = int(min(tile_n, p.vocab_size, np.sqrt(p.layout.bound)))
        # enough centres per block to pay for flushing the tile, few enough that no cell overflows
        per_block = min(max(TILE_PER_BLOCK, 2 * side * side), (2**32 - 1) // (p.window * int(p.weights.max())))
        while side > 0 and int(p.layout.row_len[side - 1]) < side:  # the tile must lie inside the head
            side -= 1
        return (side, per_block) if per_block >= 256 and side >= 8 else (0, 0)

    def _grid(self, n: int) -> int:
        sms = getattr(self.kernels, "sm_count", 1)
        return int(max(1, min(-(-n // BLOCK), sms * 32)))

    def add(self, chunk: Chunk, overlap: Callable[[], None] | None = None) -> None:
        """Count the pairs of ``chunk``; ``overlap`` runs on the host while the kernel runs."""
        n = int(chunk.n_centres)
        if n == 0:
            if overlap is not None:
                overlap()
            return
        self.tail_count.fill(0)
        if self.tile_n:
            grid = -(-n // self.per_block)
            self.kernels.tiled(grid, BLOCK, 4 * self.tile_n * self.tile_n, self._tiled_args(chunk, 0, n))
        else:
            self.kernels.plain(self._grid(n), BLOCK, self._plain_args(chunk, 0, n, head_on=1, tail_on=1))
        if overlap is not None:
            overlap()
        if not self._take_tail():
            self._tail_only(chunk, 0, n)

    def _take_tail(self) -> bool:
        """Reduce the tail buffer into a run; False (nothing taken) when it overflowed."""
        count = int(self.tail_count[0])
        if count > self.tail.shape[0]:
            self.reruns += 1
            return False
        if count:
            keys, values = reduce_tagged(self.xp, self.tail[:count], self.plan.n_tags, self.tag_values)
            self.store.add(keys, values)
        return True

    def _tail_only(self, chunk: Chunk, lo: int, hi: int) -> None:
        """Re-run centres ``lo .. hi - 1`` for their tail pairs only, halving until each half fits."""
        self.tail_count.fill(0)
        self.kernels.plain(self._grid(hi - lo), BLOCK, self._plain_args(chunk, lo, hi, head_on=0, tail_on=1))
        if self._take_tail():
            return
        mid = (lo + hi) // 2
        self._tail_only(chunk, lo, mid)
        self._tail_only(chunk, mid, hi)

    def _plain_args(self, chunk: Chunk, lo: int, hi: int, head_on: int, tail_on: int) -> tuple:
        p = self.plan
        return (
            chunk.ids,
            chunk.rem,
            lo,
            hi,
            p.vocab_size,
            _Int32(p.window),
            _Int32(int(p.per_offset)),
            _Int32(head_on),
            _Int32(tail_on),
            self.weights,
            self.row_start,
            self.row_len,
            p.layout.cells,
            self.head_u64,
            self.tail,
            self.tail_count,
            self.tail.shape[0],
        )

    def _tiled_args(self, chunk: Chunk, lo: int, hi: int) -> tuple:
        p = self.plan
        return (
            chunk.ids,
            chunk.rem,
            lo,
            hi,
            p.vocab_size,
            _Int32(p.window),
            self.weights,
            self.row_start,
            self.row_len,
            self.head_u64,
            self.tail,
            self.tail_count,
            self.tail.shape[0],
            _Int32(self.tile_n),
            self.per_block,
        )

    def head_run(self) -> tuple[Any, Any]:
        return head_run(self.xp, self.head, self.plan.layout, self.plan.vocab_size, self.plan.planes)

    @property
    def full_head(self) -> bool:
        """The head holds every cell (V x V per plane), so nothing ever reaches the tail."""
        return self.plan.layout.cells == self.plan.vocab_size**2

    def dense_planes(self, symmetrize: bool, weigh: tuple[str, int] | None = None) -> list[Any]:
        """With a full head: each plane as a host CSR matrix (see :func:`cooc.count.assemble.dense_planes`)."""
        return dense_planes(self.xp, self.head, self.plan.vocab_size, self.plan.planes, symmetrize, weigh)

    def release(self) -> None:
        self.head = self.head_u64 = self.tail = None


class DeviceFeeder:
    """Raw chunks copied host -> pinned buffer -> GPU on a copy stream, one chunk ahead.

    Iterating yields ``(tokens, starts, cut, starts_mid_doc)`` with ``tokens`` on the
    GPU. Call :meth:`prefetch` while the GPU works on the current chunk to stage the
    next one (iteration stages it otherwise).
    """

    def __init__(self, chunks: Iterable[tuple[np.ndarray, np.ndarray, bool, bool]]):
        import cupy
        import cupyx

        self.cupy, self.cupyx = cupy, cupyx
        self.chunks = iter(chunks)
        self.stream = cupy.cuda.Stream(non_blocking=True)
        self.pinned: list[Any] = [None, None]
        self.device: list[Any] = [None, None]
        self.copied: list[Any] = [None, None]  # H2D finished: pinned buffer free again
        self.used: list[Any] = [None, None]  # compute finished with the device buffer
        self.slot = 0
        self.staged: tuple | None = None
        self.exhausted = False
        self.bytes_moved = 0
        # host seconds: reading (and checking) shards, copying into pinned memory, waiting for buffers
        self.read_seconds = self.copy_seconds = self.wait_seconds = 0.0

    def _stage(self) -> None:
        if self.staged is not None or self.exhausted:
            return
        t0 = time.perf_counter()
        try:
            tokens, starts, cut, mid = next(self.chunks)
        except StopIteration:
            self.exhausted = True
            return
        t1 = time.perf_counter()
        self.read_seconds += t1 - t0
        k, n, cp = self.slot, tokens.shape[0], self.cupy
        if self.copied[k] is not None:  # the last upload from this pinned buffer is done
            self.copied[k].synchronize()
        if self.pinned[k] is None or self.pinned[k].shape[0] < n:
            if self.used[k] is not None:  # and the kernels reading its device twin
                self.used[k].synchronize()
            self.pinned[k] = self.cupyx.empty_pinned((max(n, 1),), dtype=np.int32)
            self.device[k] = cp.empty(max(n, 1), dtype=np.int32)
        t2 = time.perf_counter()
        self.wait_seconds += t2 - t1
        copy_into(self.pinned[k][:n], tokens)  # in pieces on a few threads (host_copy)
        self.copy_seconds += time.perf_counter() - t2
        if self.used[k] is not None:
            self.stream.wait_event(self.used[k])
        self.device[k][:n].set(self.pinned[k][:n], stream=self.stream)
        self.copied[k] = self.stream.record()
        self.bytes_moved += 4 * n
        self.staged = (k, self.device[k][:n], cp.asarray(starts), cut, mid, self.copied[k])
        self.slot = 1 - k

    def prefetch(self) -> None:
        """Stage the next chunk now (host copy + asynchronous upload)."""
        self._stage()

    def __iter__(self) -> Iterator[tuple[Any, Any, bool, bool]]:
        cp = self.cupy
        while True:
            self._stage()
            if self.staged is None:
                return
            k, tokens, starts, cut, mid, copied = self.staged
            self.staged = None
            cp.cuda.get_current_stream().wait_event(copied)
            yield tokens, starts, cut, mid
            self.used[k] = cp.cuda.get_current_stream().record()


def stream_to_device(chunks: Iterable[tuple[np.ndarray, np.ndarray, bool, bool]]) -> DeviceFeeder:
    """A :class:`DeviceFeeder` over ``chunks``."""
    return DeviceFeeder(chunks)
