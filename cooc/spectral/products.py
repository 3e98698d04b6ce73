"""The sketching solvers' dense products on a pool of threads that share the work as they go.

A multi-threaded BLAS splits each product into one equal part per thread. When another process
holds one of the cores, the thread that shares it finishes last and the others spin at the
barrier: on the 2-core dev VM a block Krylov solve with 2 BLAS threads beside a busy core took 1.25
times as long as with one (benchmarks/RESULTS.md, 2026-12-04 08:38). Here a product is cut along its
long dimension into several times more pieces than threads, each piece a one-threaded BLAS call
(numpy releases the GIL), and a thread takes the next piece when it is done, so a slowed core
simply does fewer of them. The calling thread takes pieces too, rather than wait.

:class:`Products` offers the two shapes the solvers need: ``X @ Y`` cut by rows of the tall ``X``,
and ``X.T @ Y`` for two tall matrices, cut by their rows and the parts summed. Inside
:func:`one_thread_blas` every BLAS call (these pieces, and the solvers' QR and small eigenproblems)
runs on one thread.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: Pieces per thread: enough for a thread on a shared core to fall behind by whole pieces.
PIECES_PER_THREAD = 8
#: Below this many multiply-adds a product is done in one call (a piece costs a few tens of microseconds to hand out).
MIN_SPLIT_MACS = 1 << 22
#: Fewest rows in a piece.
MIN_PIECE_ROWS = 32


def blas_threads() -> int:
    """The threads the BLAS library would use now (its own setting or ``OPENBLAS_NUM_THREADS``), at least 1."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return 1
    counts = [int(info.get("num_threads") or 1) for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else 1


@contextlib.contextmanager
def one_thread_blas() -> Iterator[None]:
    """Every BLAS library at one thread inside the block (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


def row_pieces(rows: int, macs: int, threads: int) -> list[tuple[int, int]]:
    """Row ranges ``[a, b)`` covering ``0 .. rows``: one when the product is small or runs on one
    thread, else up to ``PIECES_PER_THREAD * threads`` of nearly equal size."""
    if threads <= 1 or macs < MIN_SPLIT_MACS or rows < 2 * MIN_PIECE_ROWS:
        return [(0, rows)]
    n = max(2, min(PIECES_PER_THREAD * threads, rows // MIN_PIECE_ROWS))
    bounds = np.linspace(0, rows, n + 1).astype(np.int64).tolist()
    return list(zip(bounds[:-1], bounds[1:]))


class Products:
    """``X @ Y`` and ``X.T @ Y`` for tall ``X`` on ``threads`` threads, in pieces taken as threads
    come free. With one thread (or a small product) each is a single numpy call."""

    def __init__(self, threads: int):
        self.threads = max(1, int(threads))
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Products:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _map(self, fn: Any, pieces: list[tuple[int, int]]) -> list[Any]:
        """``[fn(p) for p in pieces]``, the calling thread and ``threads - 1`` helpers each taking the
        next piece not yet taken until none is left (the caller works instead of waiting)."""
        if len(pieces) == 1:
            return [fn(pieces[0])]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="cooc-products")
        results: list[Any] = [None] * len(pieces)
        taken = itertools.count()  # next() on a count is atomic under the GIL

        def work() -> None:
            while (i := next(taken)) < len(pieces):
                results[i] = fn(pieces[i])

        helpers = [self._pool.submit(work) for _ in range(self.threads - 1)]
        try:
            work()
        finally:
            for helper in helpers:
                helper.result()
        return results

    def matmul(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``X @ Y`` for ``X`` of shape (n, a) and ``Y`` of shape (a, b), cut by rows of ``X``."""
        out = np.empty((X.shape[0], Y.shape[1]), dtype=np.result_type(X, Y))
        pieces = row_pieces(X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1], self.threads)

        def piece(rows: tuple[int, int]) -> None:
            a, b = rows
            np.matmul(X[a:b], Y, out=out[a:b])

        self._map(piece, pieces)
        return out

    def gram(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``X.T @ Y`` for ``X`` of shape (n, a) and ``Y`` of shape (n, b): the pieces' products over
        row ranges, summed (in a fixed order: the result does not depend on which thread took what)."""
        pieces = row_pieces(X.shape[0], X.shape[0] * X.shape[1] * Y.shape[1], self.threads)
        parts = self._map(lambda rows: X[rows[0] : rows[1]].T @ Y[rows[0] : rows[1]], pieces)
        total = parts[0]
        for part in parts[1:]:
            total += part
        return total


__all__ = ["Products", "blas_threads", "one_thread_blas", "row_pieces"]
