"""What kind of matrix an eigensolver was given: a scipy ``LinearOperator`` (products only) or a sparse
matrix of cupy's, and whether it is symmetric (what every solver assumes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.device import array_module

#: asymmetry accepted as round-off: max |A - A^T| up to this fraction of max |A|
SYMMETRY_RTOL = 1e-4
#: side of the tiles compared in a dense matrix (on a GPU 8 times longer)
SYMMETRY_BLOCK = 256


def is_operator(matrix: Any) -> bool:
    """A ``scipy.sparse.linalg.LinearOperator``: the solvers can only multiply by it."""
    from scipy.sparse.linalg import LinearOperator

    return isinstance(matrix, LinearOperator)


def is_cupy_sparse(matrix: Any) -> bool:
    """A ``cupyx.scipy.sparse`` matrix (checked by its module: cupy need not be installed)."""
    return type(matrix).__module__.startswith("cupyx.scipy.sparse")


def asymmetry(matrix: Any) -> tuple[float, float]:
    """``(max |A - A^T|, max |A|)`` of a dense (numpy or cupy) or sparse (scipy or cupyx) square matrix.

    A dense matrix is compared tile by tile (each tile of the upper triangle against its mirror),
    so no transposed copy of it is made; max |A| is then the upper triangle's, which is the whole
    matrix's whenever the matrix passes.
    """
    if hasattr(matrix, "tocsr"):  # sparse: the difference has at most twice its nonzeros
        if matrix.nnz == 0:
            return 0.0, 0.0
        diff = abs(matrix - matrix.T)
        return (float(diff.max()) if diff.nnz else 0.0), float(abs(matrix).max())
    xp = array_module(matrix)
    block = SYMMETRY_BLOCK if xp is np else 8 * SYMMETRY_BLOCK  # fewer, larger tiles on a GPU
    worst = largest = 0.0
    V = matrix.shape[0]
    for i in range(0, V, block):  # tiles of the upper triangle against their mirror tiles
        rows = slice(i, min(i + block, V))
        for j in range(i, V, block):
            cols = slice(j, min(j + block, V))
            tile = matrix[rows, cols]
            worst = max(worst, float(xp.max(xp.abs(tile - matrix[cols, rows].T))))
            largest = max(largest, float(xp.max(xp.abs(tile))))
    return worst, largest


def check_symmetric(matrix: Any, owner: str) -> float:
    """Raise :class:`~cooc.InputDataError` unless ``matrix`` equals its transpose up to round-off; return
    max |A| (found on the way).

    The eigensolvers read a symmetric matrix: ``scipy.linalg.eigh`` only its lower triangle,
    Lanczos and the sketching solvers its products ``A x``, so each would decompose a different
    matrix if it were not (docs/science.md, section 2).
    """
    from .._core.errors import InputDataError

    worst, largest = asymmetry(matrix)
    if worst > SYMMETRY_RTOL * largest:
        raise InputDataError(
            f"{owner}: the matrix is not symmetric (max |A - A^T| = {worst:.3g}, max |A| = {largest:.3g}); "
            f"the eigen-embedding decomposes a symmetric target. Counts made with directional=True "
            f"(cooc count --directional) hold the forward matrix F: decompose C = F + F^T "
            f"(Cooccurrence.from_scipy(c.counts + c.counts.T, c.vocab)); Target(smoothing='context') is asymmetric by "
            f"construction: smoothing='symmetric' gives its symmetric part."
        )
    return float(largest)


__all__ = ["asymmetry", "check_symmetric", "is_cupy_sparse", "is_operator"]
