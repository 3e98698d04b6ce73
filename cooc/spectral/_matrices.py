"""What kind of matrix an eigensolver was given: a scipy ``LinearOperator`` (products only) or a sparse
matrix of cupy's."""

from __future__ import annotations

from typing import Any


def is_operator(matrix: Any) -> bool:
    """A ``scipy.sparse.linalg.LinearOperator``: the solvers can only multiply by it."""
    from scipy.sparse.linalg import LinearOperator

    return isinstance(matrix, LinearOperator)


def is_cupy_sparse(matrix: Any) -> bool:
    """A ``cupyx.scipy.sparse`` matrix (checked by its module: cupy need not be installed)."""
    return type(matrix).__module__.startswith("cupyx.scipy.sparse")


__all__ = ["is_cupy_sparse", "is_operator"]
