"""The sketching eigensolvers: randomized subspace iteration and block Krylov, on numpy or cupy.

Both start from a Gaussian sketch ``A Omega`` and stop by the same rule: every one of the top K Ritz
pairs has a relative residual ``||A u - lambda u|| / |lambda|`` below ``RANDOMIZED_RTOL`` (or a fixed
number of iterations or blocks, checked once at the end). Randomized subspace iteration (Halko,
Martinsson & Tropp 2011) keeps one block and multiplies it by A again; block Krylov (Musco & Musco
2015) keeps every block, so its basis spans polynomials in A and needs far fewer products on the slowly
decaying spectra of word matrices. On the CPU their products with a dense matrix go to a pool in
pieces (:mod:`cooc.spectral.products`); elsewhere they are single calls (:class:`Plain`).

:func:`cooc.spectral.eigen.top_eigenpairs` chooses among the solvers and sorts what they return; each
solver here returns ``(values, vectors, info)`` with the pairs in any order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import InvalidParameterError
from .._core.logs import log
from ._matrices import is_cupy_sparse, is_operator

#: The randomized solver iterates until every one of the top K Ritz pairs has a relative residual
#: ||A u - lambda u|| / |lambda| below this (its eigenvalue is then within about its square, relative,
#: for well separated values), or RANDOMIZED_MAX_ITER iterations.
RANDOMIZED_RTOL = 1e-3
RANDOMIZED_MAX_ITER = 60
#: The block Krylov solver stops at the same residual rule, or after this many blocks.
BLOCK_MAX_BLOCKS = 40
#: Blocks the solver first makes room for (it doubles the room when more are needed).
BLOCK_START_BLOCKS = 8


def operand(matrix: Any, device: str) -> tuple[Any, Any]:
    """The array module of ``device`` and the matrix as the sketching solvers multiply it (sparse
    matrices and operators as they are)."""
    if device == "cuda":
        import cupy

        return cupy, matrix if is_cupy_sparse(matrix) else cupy.asarray(matrix)
    return np, matrix if sp.issparse(matrix) or is_operator(matrix) else np.asarray(matrix)


class Plain:
    """The products of :class:`~cooc.spectral.products.Products` as single calls (GPU, or no pool)."""

    @staticmethod
    def matmul(X: Any, Y: Any) -> Any:
        return X @ Y

    @staticmethod
    def gram(X: Any, Y: Any) -> Any:
        return X.T @ Y


def product_with(A: Any, ops: Any) -> Callable[[Any], Any]:
    """``Q -> A @ Q``: a dense host matrix through ``ops`` (cut by rows), anything else as it multiplies."""
    if isinstance(A, np.ndarray):
        return lambda Q: ops.matmul(A, Q)
    return lambda Q: A @ Q


def sketch(times_a: Callable[[Any], Any], V: int, dtype: Any, width: int, seed: int, xp: Any) -> Any:
    """An orthonormal basis of ``A Omega``, Omega a Gaussian (V, width) matrix drawn from ``seed``."""
    omega = xp.asarray(np.random.default_rng(seed).standard_normal((V, width)), dtype=dtype)
    return xp.linalg.qr(times_a(omega))[0]


def small_eigh(B: Any, k: int, which: str, xp: Any) -> tuple[Any, Any]:
    """The top ``k`` eigenpairs of the small symmetric ``B`` (unsorted). On the host scipy's
    divide-and-conquer driver: twice as fast as ``numpy.linalg.eigh`` at n = 1750 here (0.32 against
    0.61 s on one thread); for ``"LA"`` only the ``k`` wanted pairs (0.15 s)."""
    if xp is not np:
        values, small = xp.linalg.eigh(B)
    else:
        import scipy.linalg as sl

        n = B.shape[0]
        if which == "LA" and k < n:
            return sl.eigh(B, subset_by_index=[n - k, n - 1], driver="evr", check_finite=False)
        values, small = sl.eigh(B, driver="evd", check_finite=False)
    top = xp.argsort(-xp.abs(values) if which == "LM" else -values)[:k]
    return values[top], small[:, top]


def ritz_pairs(Q: Any, Z: Any, B: Any, k: int, which: str, xp: Any, ops: Any) -> tuple[Any, Any, float]:
    """The top ``k`` Ritz pairs of the orthonormal basis ``Q`` given ``Z = A Q`` and ``B = Q^T Z``: their
    values, their coefficients ``s`` in the basis (vectors ``Q s``), and the largest relative residual
    ``||A u - lambda u|| / |lambda|`` among them."""
    values, coef = small_eigh((B + B.T) / 2, k, which, xp)
    coef = coef.astype(Q.dtype, copy=False)
    residual = ops.matmul(Z, coef) - ops.matmul(Q, coef * values.astype(Q.dtype, copy=False))
    worst = float(xp.max(xp.linalg.norm(residual, axis=0) / xp.maximum(xp.abs(values), 1e-300)))
    return values, coef, worst


@dataclass
class _Sketch:
    """What a sketching solve starts from and keeps: the array module, ``Q -> A Q`` and the products'
    pool, the request, the block width (k plus the oversampling, at most V) and the first orthonormal
    block, a sketch of A."""

    xp: Any
    times_a: Callable[[Any], Any]
    ops: Any
    V: int
    k: int
    which: str
    extra: int
    width: int
    Q: Any
    n_iter: int | None
    rtol: float
    bar: Any

    def info(self, method: str, n_iter: int, worst: float, **more: Any) -> dict[str, Any]:
        """The solve's info dict: the method, its oversampling and iterations, and its last residual check."""
        return {
            "method": method,
            "n_oversamples": self.extra,
            "n_iter": n_iter,
            **more,
            "relative_residual": worst,
            "converged": worst <= self.rtol,
        }


#: Each method's default oversampling, from k.
_DEFAULT_EXTRA = {"randomized": lambda k: max(k, 10), "block": lambda k: max(k // 4, 10)}


def solve(
    method: str,
    matrix: Any,
    k: int,
    *,
    which: str,
    device: str,
    seed: int,
    n_oversamples: int | None,
    n_iter: int | None,
    tol: float = 0.0,
    bar: Any = None,
    ops: Any = None,
    **_: Any,
) -> tuple[Any, Any, dict[str, Any]]:
    """The top ``k`` eigenpairs (unsorted) by ``method``: ``"randomized"`` (subspace iteration) or ``"block"``
    (block Krylov). The arguments are :func:`cooc.spectral.eigen.top_eigenpairs`'s; ``ops`` is the pool
    of :mod:`cooc.spectral.products` (single calls when None)."""
    if method == "randomized" and which != "LM":
        raise InvalidParameterError(
            "solver 'randomized' finds the largest-magnitude pairs only (which='LM'); "
            "use solver='dense' or 'lanczos' for which='LA'."
        )
    ops = ops or Plain()
    xp, A = operand(matrix, device)
    times_a = product_with(A, ops)
    V = A.shape[0]
    extra = _DEFAULT_EXTRA[method](k) if n_oversamples is None else n_oversamples
    width = min(V, k + extra)
    Q = sketch(times_a, V, A.dtype, width, seed, xp)
    rtol = RANDOMIZED_RTOL if tol == 0 else tol
    state = _Sketch(xp, times_a, ops, V, k, which, extra, width, Q, n_iter, rtol, bar)
    values, vectors, info = (_subspace_iteration if method == "randomized" else _block_krylov)(state)
    if n_iter is None and not info["converged"]:  # the residual rule was asked for and is not met
        log.warning(
            "solver %r stopped at its limit (%s) with a relative residual of %.2g, above its tolerance %.2g: "
            "the top %d eigenpairs are approximate (raise n_oversamples, or use solver='lanczos').",
            method,
            f"{BLOCK_MAX_BLOCKS} blocks" if method == "block" else f"{RANDOMIZED_MAX_ITER} iterations",
            info["relative_residual"],
            rtol,
            k,
        )
    return values, vectors, info


def _subspace_iteration(s: _Sketch) -> tuple[Any, Any, dict[str, Any]]:
    """Randomized subspace iteration: the block multiplied by A again and orthonormalised, until the
    residual rule passes (or ``n_iter`` iterations, checked once at the end)."""
    xp, ops, Q = s.xp, s.ops, s.Q
    limit = RANDOMIZED_MAX_ITER if s.n_iter is None else s.n_iter
    for iteration in range(limit + 1):
        Z = s.times_a(Q)  # the one product of the iteration, used by the Ritz check and the next basis
        if s.bar is not None:
            s.bar.update(s.width)
        if s.n_iter is None or iteration == limit:  # a fixed number of iterations is checked once, at the end
            values, small, worst = ritz_pairs(Q, Z, ops.gram(Q, Z), s.k, s.which, xp, ops)
            if iteration == limit or worst <= s.rtol:
                break
        Q, _r = xp.linalg.qr(Z)
    return values, ops.matmul(Q, small), s.info("randomized subspace iteration", iteration, worst)


def _block_krylov(s: _Sketch) -> tuple[Any, Any, dict[str, Any]]:
    """Block Krylov: the span of ``A Omega, A^2 Omega, ...`` grown one block at a time, each block
    orthogonalised against all before it (twice, classical Gram-Schmidt), with the Rayleigh-Ritz
    pairs of the whole basis checked after every block. One product with A per block, all of them
    matrix-matrix products; the basis keeps every block, so it ends ``width * blocks`` columns wide.

    ``B = Q^T A Q`` grows by one block of columns a block (``Q^T A Q_new``, the product the first
    Gram-Schmidt pass needs anyway), not recomputed whole."""
    xp, ops, Q, V, width, k, which = s.xp, s.ops, s.Q, s.V, s.width, s.k, s.which
    limit = BLOCK_MAX_BLOCKS if s.n_iter is None else s.n_iter + 1
    # The orthonormal blocks Q_i side by side, their products A Q_i, and B = Q^T A Q: filled in place,
    # grown by doubling.
    basis = xp.empty((V, min(V, width * BLOCK_START_BLOCKS)), dtype=Q.dtype)
    images = xp.empty_like(basis)
    B = xp.empty((basis.shape[1], basis.shape[1]), dtype=Q.dtype)
    checks = used = 0
    for block in range(limit):
        Z = s.times_a(Q)
        w = Q.shape[1]  # width, or fewer for a last block that fills the basis to V columns
        if s.bar is not None:
            s.bar.update(w)
        if used + w > basis.shape[1]:
            basis, images = (_grown(a, min(V, 2 * a.shape[1]), used, xp) for a in (basis, images))
            B = _grown_square(B, basis.shape[1], used, xp)
        basis[:, used : used + w], images[:, used : used + w] = Q, Z
        Qa, Za = basis[:, : used + w], images[:, : used + w]
        C = ops.gram(Qa, Z)  # Q^T A Q_new: B's new columns, and the first Gram-Schmidt pass's coefficients
        B[: used + w, used : used + w] = C
        B[used : used + w, :used] = C[:used].T
        used += w
        # a basis of all V columns makes Rayleigh-Ritz exact: the last block is cut to fill it
        final = block == limit - 1 or used == V
        if final or s.n_iter is None:  # a fixed number of blocks is checked once, at the end
            values, ritz, worst = ritz_pairs(Qa, Za, B[:used, :used], k, which, xp, ops)
            checks += 1
            if final or worst <= s.rtol:
                break
        W = Z - ops.matmul(Qa, C)
        W -= ops.matmul(Qa, ops.gram(Qa, W))  # the second pass restores orthogonality lost to rounding
        Q, _r = xp.linalg.qr(W)
        Q = Q[:, : V - used]
    info = s.info("block Krylov", block, worst, ritz_checks=checks, basis=int(Qa.shape[1]))
    return values, ops.matmul(Qa, ritz), info


def _grown(a: Any, columns: int, used: int, xp: Any) -> Any:
    """A copy of ``a`` with ``columns`` columns, its first ``used`` columns kept."""
    out = xp.empty((a.shape[0], columns), dtype=a.dtype)
    out[:, :used] = a[:, :used]
    return out


def _grown_square(a: Any, size: int, used: int, xp: Any) -> Any:
    """A copy of the square ``a`` of side ``size``, its leading ``used`` x ``used`` block kept."""
    out = xp.empty((size, size), dtype=a.dtype)
    out[:used, :used] = a[:used, :used]
    return out


__all__ = [
    "BLOCK_MAX_BLOCKS",
    "BLOCK_START_BLOCKS",
    "RANDOMIZED_MAX_ITER",
    "RANDOMIZED_RTOL",
    "Plain",
    "ritz_pairs",
    "solve",
]
