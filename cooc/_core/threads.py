"""How many threads cooc's compiled kernels use: all cores by default, fewer on request, and the
process's own setting restored afterwards (numba's thread count is shared by whatever runs next)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .errors import InvalidParameterError


def available_threads() -> int:
    """The threads numba may use here (its NUMBA_NUM_THREADS: the cores available, unless set lower)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


@contextlib.contextmanager
def thread_limit(threads: int | None) -> Iterator[int]:
    """Run the block with ``threads`` threads in numba's parallel kernels (None: all available); restore after.

    Yields the number used (``threads`` capped at :func:`available_threads`).
    """
    import numba

    if threads is not None and (isinstance(threads, bool) or int(threads) < 1):
        raise InvalidParameterError(f"parameter 'threads' must be a positive integer or None, got {threads!r}.")
    limit = available_threads()
    n = limit if threads is None else min(int(threads), limit)
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(before)


__all__ = ["available_threads", "thread_limit"]
