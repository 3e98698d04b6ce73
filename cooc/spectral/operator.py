"""The target of an out-of-core co-occurrence matrix as a ``LinearOperator``, evaluated block by block.

A :class:`~cooc.cooccurrence.blocked.BlockedCooccurrence` is never loaded whole; Lanczos only needs
products ``A x``. Each target of :mod:`cooc.spectral.targets` is, entry by entry, a
function of ``P_ij`` and ``q_i q_j``; at unobserved pairs (``C_ij = 0``) it takes a
*background* value that depends only on whether ``q_i q_j > 0``:

* ``a`` where ``q_i q_j > 0`` (``log eps`` for ``logm``, ``-2`` for ``mstar``, 0 for the others);
* ``b`` where ``q_i q_j = 0`` (the value the dense target gives there).

With ``z`` the indicator of ``q > 0``, the background is ``B = b 1 1^T + (a - b) z z^T``
(rank two at most), so ``A = S + B`` where ``S`` is sparse with the pattern of the counts
(plus the pairs set to independence), ``S_ij = A_ij - B_ij``. A product costs one pass over
the blocks (``S_b x`` for each row block b) plus two dot products. Sparse targets
(``ppmi``, ``sppmi``, and the others with ``output="sparse"``) have no background, as
their in-memory sparse form, except ``m`` where a word's marginal is 0 (M = 1 at all its pairs). The blocks of ``S`` are kept in memory up to ``cache_bytes``
(the rest are rebuilt from disk at every product).

The operator equals the in-memory :class:`~cooc.spectral.targets.Target` to round-off,
so its eigenvectors are the same (tests compare them up to sign and by residual).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from .._core.device import parse_memory
from .._core.errors import InputDataError, InvalidParameterError
from .kinds import entries, independence_values, wants_sparse
from .marginals import smoothed_marginals

if TYPE_CHECKING:
    from .targets import Target


class TargetOperator(LinearOperator):
    """``A x`` for the target ``A`` of a blocked co-occurrence matrix, one row block at a time.

    Parameters
    ----------
    cooc : BlockedCooccurrence
    target : Target
        Its parameters (kind, eps, neg, alpha, marginals, output, max_dense, dtype) define A.
    cache_bytes : str or int
        Memory for keeping the computed blocks of ``S`` between products (0: none).

    Attributes
    ----------
    shape : (V, V)
    marginals : ndarray of shape (V,)
    sparse : bool
        Whether unobserved pairs are 0 (no background term, except M's 1 at a word without marginal).
    background : tuple of float
        ``(a, b)``: the value at unobserved pairs with ``q_i q_j > 0`` and with ``q_i q_j = 0``.
    """

    def __init__(self, cooc: Any, target: Target, cache_bytes: str | int = "2GB"):
        if target.device == "cuda":
            raise InvalidParameterError(
                "Target: a blocked (out-of-core) target is evaluated on the CPU; use device='cpu'."
            )
        V = len(cooc)
        super().__init__(dtype=np.dtype(target.dtype), shape=(V, V))
        self.cooc = cooc
        self.target = target
        alpha = 1.0 if target.kind == "p" else target.alpha  # P has no marginals in it (Target.fit)
        self.marginals = smoothed_marginals(cooc.unigram_probabilities(target.marginals), alpha)
        self.total = float(cooc.total)
        if self.total <= 0:
            raise InputDataError("Target: the co-occurrence matrix is empty (its entries sum to 0).")
        self.sparse = wants_sparse(target.kind, target.output, V, target.max_dense, dense_limit=False)
        self.z = (self.marginals > 0).astype(np.float64)
        self.background = self._background(V)
        # a sparse kind's unobserved pairs are 0 (a = 0), but M's are 1 at a word without marginal (b = 1)
        self._has_background = not self.sparse or (self.background[1] != 0 and bool((self.z == 0).any()))
        self.cache_bytes = 0 if cache_bytes in (0, "0") else parse_memory(cache_bytes)
        self._cache: dict[int, sp.csr_matrix] = {}
        self._cached_bytes = 0

    def _background(self, V: int) -> tuple[float, float]:
        t = self.target
        if t.kind == "logm" and t.eps == 0 and self.cooc.nnz < V * V:
            raise InputDataError("Target: log M with eps = 0 meets a zero entry of M; give eps > 0.")
        zero = np.zeros(1)
        a = float(entries(t.kind, zero, np.ones(1), np, t.eps, t.neg)[0])
        b = float(entries(t.kind, zero, zero, np, t.eps, t.neg)[0])
        return a, b

    def _background_rows(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        a, b = self.background
        return np.where(self.z[rows] * self.z[cols] > 0, a, b)

    def block_values(self, index: int) -> sp.csr_matrix:
        """Rows of ``S = A - B`` in block ``index``, shape (R, V)."""
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        start, stop = int(self.cooc.bounds[index]), int(self.cooc.bounds[index + 1])
        coo = self.cooc.block(index).tocoo()
        rows, cols = coo.row.astype(np.int64) + start, coo.col.astype(np.int64)
        P = np.asarray(coo.data, dtype=np.float64) / self.total
        rows, cols, P, indep = self._with_independent_pairs(start, stop, rows, cols, P)
        q = self.marginals
        t = self.target
        values = entries(t.kind, P, q[rows] * q[cols], np, t.eps, t.neg)
        if indep.any():
            values[indep] = independence_values(t.kind, q[rows[indep]], q[cols[indep]])
        if self._has_background:
            values = values - self._background_rows(rows, cols)
        S = sp.csr_matrix((values.astype(self.dtype), (rows - start, cols)), shape=(stop - start, self.shape[1]))
        S.eliminate_zeros()
        size = S.data.nbytes + S.indices.nbytes + S.indptr.nbytes
        if self._cached_bytes + size <= self.cache_bytes:
            self._cache[index] = S
            self._cached_bytes += size
        return S

    def _with_independent_pairs(
        self, start: int, stop: int, rows: np.ndarray, cols: np.ndarray, P: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mark the pairs set to independence; a dense target also sets those it never observed."""
        pairs = self.cooc.independent_pairs
        V = self.shape[1]
        if not len(pairs):
            return rows, cols, P, np.zeros(rows.shape[0], dtype=bool)
        mine = pairs[(pairs[:, 0] >= start) & (pairs[:, 0] < stop)]
        keys = rows * V + cols
        wanted = mine[:, 0] * V + mine[:, 1]
        indep = np.isin(keys, wanted)
        if not self.sparse:
            extra = np.setdiff1d(wanted, keys)
            rows = np.concatenate([rows, extra // V])
            cols = np.concatenate([cols, extra % V])
            P = np.concatenate([P, np.zeros(extra.shape[0])])
            indep = np.concatenate([indep, np.ones(extra.shape[0], dtype=bool)])
        return rows, cols, P, indep

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.result_type(self.dtype, X.dtype))
        out = np.empty((self.shape[0], X.shape[1]), dtype=X.dtype)
        for block in range(self.cooc.n_blocks):
            start, stop = int(self.cooc.bounds[block]), int(self.cooc.bounds[block + 1])
            out[start:stop] = self.block_values(block) @ X
        if self._has_background:
            a, b = self.background
            ones_x = X.sum(axis=0)
            z_x = self.z @ X
            out += b * ones_x[None, :] + (a - b) * self.z[:, None] * z_x[None, :]
        return out

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self._matmat(np.asarray(x).reshape(-1, 1)).ravel()

    def _adjoint(self) -> TargetOperator:
        return self  # targets are symmetric (symmetric counts; smoothing is symmetrised)

    def to_dense(self) -> np.ndarray:
        """The whole target as a dense (V, V) array (for checks on small matrices)."""
        return self._matmat(np.eye(self.shape[0]))


__all__ = ["TargetOperator"]
