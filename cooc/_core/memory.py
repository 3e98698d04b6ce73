"""Large zeroed arrays in ordinary (4 KiB) pages.

numpy asks the kernel for transparent huge pages on every allocation of 4 MiB or more
(``madvise(MADV_HUGEPAGE)``), so each first touch of a 2 MiB region faults in and zeroes all
of it at once. On the 2-core dev VM such faults cost several times more system time than
ordinary pages for the same memory (benchmarks/RESULTS.md, "The CPU counter's head in small
pages"), and arrays updated at scattered cells (the CPU counter's dense head) gain nothing
from huge pages: their updates are grouped into cache-sized blocks whose pages the TLB holds
either way. :func:`zeros_small_pages` maps such an array privately and opts it out of huge pages.
"""

from __future__ import annotations

import math
import mmap

import numpy as np

SMALL_PAGE_MIN_BYTES = 4 << 20  # below numpy's own threshold for huge pages: a plain np.zeros


def zeros_small_pages(shape: int | tuple[int, ...], dtype: type | np.dtype) -> np.ndarray:
    """``np.zeros(shape, dtype)`` whose memory is never backed by transparent huge pages.

    The array views a private anonymous mapping (zero-filled by the kernel as pages are first
    touched, and unmapped when the array and every view of it are gone). Where the platform has
    no ``MADV_NOHUGEPAGE`` (not Linux), or the array is small, this is ``np.zeros``.
    """
    dtype = np.dtype(dtype)
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    nbytes = math.prod(dims) * dtype.itemsize
    if nbytes < SMALL_PAGE_MIN_BYTES or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.zeros(dims, dtype=dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE)  # anonymous: fd -1 (never shared with forked children)
    buf.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(buf, dtype=dtype).reshape(dims)


__all__ = ["zeros_small_pages"]
