"""Host-to-host copies in pieces on a few threads: filling the GPU's pinned staging buffers from shards.

Counting on the GPU streams each chunk of a memory-mapped shard into a pinned host buffer and on to
the device. One thread copies at about 9.5 GB/s on the H100 host (2026-11-27), about what
2G tokens/s of int32 ids need on their own (8 GB/s), so the copy is split into pieces that a small
pool copies at once (numpy releases the GIL for plain copies; each thread also takes its own page
faults on the mapped shard). Copies smaller than two pieces stay on the calling thread.

``COOC_COPY_THREADS`` sets the pool's size (default: half the cores available, at most 4; 1 turns it off).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._core.threads import available_cores

MIN_PIECE_BYTES = 8 << 20  # below this a thread's start-up costs more than its share of the copy
_pools: dict[int, ThreadPoolExecutor] = {}


def copy_threads() -> int:
    """Threads for host copies: ``COOC_COPY_THREADS``, else half the cores, at most 4."""
    text = os.environ.get("COOC_COPY_THREADS", "")
    if text.strip():
        return max(1, int(text))
    return max(1, min(4, available_cores() // 2))


def copy_into(dst: np.ndarray, src: Any, threads: int | None = None, min_piece_bytes: int = MIN_PIECE_BYTES) -> int:
    """``dst[...] = src`` for 1-D arrays of equal length, in up to ``threads`` pieces copied at once.

    Returns the number of pieces used (1: a plain copy on this thread).
    """
    src = np.asarray(src)
    if dst.ndim != 1 or src.shape != dst.shape:
        raise ValueError(f"copy_into: 1-D arrays of one length expected, got {dst.shape} and {src.shape}.")
    threads = copy_threads() if threads is None else max(1, int(threads))
    pieces = int(min(threads, dst.nbytes // max(int(min_piece_bytes), 1)))
    if pieces < 2 or not (dst.flags.c_contiguous and src.flags.c_contiguous):
        np.copyto(dst, src)
        return 1
    bounds = np.linspace(0, dst.shape[0], pieces + 1).astype(np.int64).tolist()
    pool = _pools.get(pieces)
    if pool is None:
        pool = _pools[pieces] = ThreadPoolExecutor(pieces, thread_name_prefix="cooc-copy")
    futures = [pool.submit(np.copyto, dst[a:b], src[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    for future in futures:
        future.result()
    return pieces


__all__ = ["copy_into", "copy_threads", "MIN_PIECE_BYTES"]
