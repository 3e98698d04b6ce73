"""Target matrices built from co-occurrence counts (SCIENCE.md section 2).

With weighted counts C over the V x V block, ``P_ij = C_ij / sum(C)`` and ``P_i`` the
global unigram frequency of word i normalised over the V words (or, with
``marginals="block"``, the block's row sums):

=========  ==========================================================  ============
kind       entry                                                       independence
=========  ==========================================================  ============
``p``      P_ij                                                        P_i P_j
``m``      P_ij / (P_i P_j)                                            1
``logm``   log(M_ij + eps)                                             0
``pmi``    log M_ij, and 0 where C_ij = 0 (Levy et al.'s PMI_0)        0
``ppmi``   max(PMI_ij, 0)                                              0
``sppmi``  max(PMI_ij - log neg, 0)                                    0
``mstar``  2 (P_ij - P_i P_j) / (P_ij + P_i P_j)                       0
=========  ==========================================================  ============

Pairs listed in ``Cooccurrence.independent_pairs`` (set by ``zero_block``) take the
independence value exactly. Entries whose marginal product is zero (a word that never
occurs) also take it, so no target holds inf or nan.

Context distribution smoothing (``alpha`` != 1, Levy et al. 2015) raises the context
marginal to ``P_j^alpha / sum P^alpha``; Levy's matrix is then not symmetric, and the
eigensolvers need a symmetric one, so cooc uses its symmetric part: every marginal P_i is
replaced by ``sqrt(P_i * P_i^alpha / sum P^alpha)`` on both sides (identical to Levy's PMI
before clipping, averaged with its transpose).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.device import get_sparse, get_xp, resolve_device
from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import InstanceOf, Interval, OneOf, validate
from ..cooccurrence.matrix import Cooccurrence

KINDS = ("p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar")
#: Targets whose value at an unobserved pair (C_ij = 0) is 0, so they can stay sparse.
SPARSE_KINDS = ("p", "m", "pmi", "ppmi", "sppmi")
#: Targets that are sparse by default (most entries clipped to zero).
SPARSE_BY_DEFAULT = ("ppmi", "sppmi")
INDEPENDENCE = {"m": 1.0, "logm": 0.0, "pmi": 0.0, "ppmi": 0.0, "sppmi": 0.0, "mstar": 0.0}


class Target:
    """A target matrix of a :class:`~cooc.Cooccurrence`, in estimator style.

    Parameters
    ----------
    kind : {"p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"}, default "mstar"
    eps : float, default 1e-2
        Floor of ``log(M + eps)`` (1e-2 in the analogy paper; 1e-5 or 1e-25 elsewhere;
        0 is allowed when every entry of M is positive).
    neg : float, default 1
        The k of shifted PPMI, ``max(PMI - log k, 0)``.
    alpha : float, default 1.0
        Context distribution smoothing exponent (0.75 in Levy et al. 2015; see module notes).
    marginals : {"global", "block"}, default "global"
        Unigram marginals from the global counts (the papers) or from the block's rows.
    output : {"auto", "dense", "sparse"}, default "auto"
        ``auto``: sparse for ppmi and sppmi, and for p, m, pmi when V > ``max_dense``;
        dense otherwise.
    max_dense : int, default 30000
        Largest V for which a dense V x V matrix is built automatically.
    dtype : {"float64", "float32"}, default "float64"
        Entries are computed in float64 and stored in this type.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where a dense target is built and kept (numpy or cupy array).
    block_rows : int, default 2048
        Rows densified at a time, bounding the temporary memory.

    Attributes
    ----------
    matrix_ : ndarray or cupy array of shape (V, V), or scipy.sparse.csr_matrix
    marginals_ : ndarray of shape (V,)
        The marginals used in the denominators (after smoothing).
    kind_ : str
    words_ : list of str
    """

    _constraints = {
        "kind": OneOf(KINDS),
        "eps": Interval(float, 0, None),
        "neg": Interval(float, 0, None, closed="neither"),
        "alpha": Interval(float, 0, None, closed="neither"),
        "marginals": OneOf(("global", "block")),
        "output": OneOf(("auto", "dense", "sparse")),
        "max_dense": Interval(int, 1, None),
        "dtype": OneOf(("float64", "float32")),
        "device": OneOf(("cpu", "cuda", "auto")),
        "block_rows": Interval(int, 1, None),
    }

    def __init__(
        self,
        kind: str = "mstar",
        *,
        eps: float = 1e-2,
        neg: float = 1,
        alpha: float = 1.0,
        marginals: str = "global",
        output: str = "auto",
        max_dense: int = 30000,
        dtype: str = "float64",
        device: str = "cpu",
        block_rows: int = 2048,
    ):
        self.kind = kind
        self.eps = eps
        self.neg = neg
        self.alpha = alpha
        self.marginals = marginals
        self.output = output
        self.max_dense = max_dense
        self.dtype = dtype
        self.device = device
        self.block_rows = block_rows

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._constraints}

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, cooc: Cooccurrence) -> Target:
        """Build the target of ``cooc``; the matrix is in ``matrix_``.

        A blocked (out-of-core) ``cooc`` gives a :class:`~cooc.spectral.operator.TargetOperator`
        (products block by block, for Lanczos) instead of a matrix.
        """
        params = self.get_params()
        validate(params, self._constraints, owner="Target")
        if getattr(cooc, "layout", None) == "blocked":  # out-of-core: a LinearOperator over row blocks
            from .operator import TargetOperator

            self.matrix_ = TargetOperator(cooc, self)
            self.marginals_, self.kind_, self.words_ = self.matrix_.marginals, self.kind, list(cooc.vocab.words)
            return self
        if not isinstance(cooc, Cooccurrence):
            InstanceOf(Cooccurrence).check("cooc", cooc, owner="Target")
        sparse = self._wants_sparse(len(cooc))
        self.marginals_ = smoothed_marginals(cooc.unigram_probabilities(self.marginals), self.alpha)
        total = float(cooc.total)
        if total <= 0:
            raise InputDataError("Target: the co-occurrence matrix is empty (its entries sum to 0).")
        if sparse:
            self.matrix_ = self._sparse(cooc, total)
        else:
            self.matrix_ = self._dense(cooc, total)
        self.kind_ = self.kind
        self.words_ = list(cooc.vocab.words)
        return self

    def fit_transform(self, cooc: Cooccurrence) -> Any:
        """``fit(cooc).matrix_``."""
        return self.fit(cooc).matrix_

    def _wants_sparse(self, V: int) -> bool:
        if self.output == "sparse":
            if self.kind not in SPARSE_KINDS:
                raise InvalidParameterError(
                    f"Target: kind {self.kind!r} is dense (unobserved pairs are not 0); "
                    f"output='sparse' is allowed for {SPARSE_KINDS}."
                )
            return True
        if self.output == "dense":
            return False
        if self.kind in SPARSE_BY_DEFAULT:
            return True
        if V > self.max_dense:
            if self.kind in SPARSE_KINDS:
                return True
            raise InvalidParameterError(
                f"Target: a dense {self.kind!r} target of V = {V} words exceeds max_dense = {self.max_dense} "
                f"({8 * V * V / 1e9:.1f} GB in float64); raise max_dense or subset the co-occurrence matrix."
            )
        return False

    def _entries(self, P: Any, outer: Any, xp: Any) -> Any:
        """The target's formula on probabilities ``P`` and marginal products ``outer`` (float64)."""
        kind = self.kind
        if kind == "p":
            return P
        if kind == "mstar":
            denom = P + outer
            return xp.where(denom > 0, 2.0 * (P - outer) / xp.where(denom > 0, denom, 1.0), 0.0)
        ok = outer > 0
        M = xp.where(ok, P / xp.where(ok, outer, 1.0), 1.0)
        if kind == "m":
            return M
        if kind == "logm":
            if self.eps == 0 and bool((M <= 0).any()):
                raise InputDataError("Target: log M with eps = 0 meets a zero entry of M; give eps > 0.")
            return xp.log(M + self.eps)
        observed = M > 0
        pmi = xp.where(observed, xp.log(xp.where(observed, M, 1.0)), 0.0)
        if kind == "pmi":
            return pmi
        shift = np.log(self.neg) if kind == "sppmi" else 0.0
        return xp.maximum(pmi - shift, 0.0)

    def _dense(self, cooc: Cooccurrence, total: float) -> Any:
        device = resolve_device(self.device)
        xp = get_xp(device)
        V = len(cooc)
        q = xp.asarray(self.marginals_, dtype=xp.float64)
        out = xp.empty((V, V), dtype=self.dtype)
        counts = cooc.counts
        for start in range(0, V, self.block_rows):
            stop = min(start + self.block_rows, V)
            P = xp.asarray(counts[start:stop].toarray(), dtype=xp.float64) / total
            out[start:stop] = self._entries(P, q[start:stop, None] * q[None, :], xp)
        pairs = cooc.independent_pairs
        if len(pairs):
            rows, cols = xp.asarray(pairs[:, 0]), xp.asarray(pairs[:, 1])
            out[rows, cols] = (q[rows] * q[cols]) if self.kind == "p" else INDEPENDENCE[self.kind]
        return out

    def _sparse(self, cooc: Cooccurrence, total: float) -> Any:
        """The sparse target: built on the host (O(nnz) work), moved to the GPU as a
        ``cupyx.scipy.sparse`` CSR matrix when ``device`` is CUDA."""
        matrix = self._sparse_host(cooc, total)
        if resolve_device(self.device) == "cpu":
            return matrix
        return get_sparse("cuda").csr_matrix(matrix)

    def _sparse_host(self, cooc: Cooccurrence, total: float) -> sp.csr_matrix:
        coo = cooc.counts.tocoo()
        q = self.marginals_
        P = coo.data.astype(np.float64) / total
        values = self._entries(P, q[coo.row] * q[coo.col], np)
        pairs = cooc.independent_pairs
        if len(pairs):
            V = len(cooc)
            hit = np.isin(coo.row.astype(np.int64) * V + coo.col, pairs[:, 0] * V + pairs[:, 1])
            values[hit] = (q[coo.row[hit]] * q[coo.col[hit]]) if self.kind == "p" else INDEPENDENCE[self.kind]
        matrix = sp.csr_matrix((values.astype(self.dtype), (coo.row, coo.col)), shape=cooc.shape)
        matrix.eliminate_zeros()
        return matrix


def smoothed_marginals(p: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Marginals after context distribution smoothing, symmetrised: ``sqrt(p * p^alpha / sum p^alpha)``.

    Parameters
    ----------
    p : ndarray of shape (V,)
        Unigram probabilities (summing to 1).
    alpha : float
        1 returns ``p`` unchanged.
    """
    p = np.asarray(p, dtype=np.float64)
    if alpha == 1.0:
        return p
    pa = p**alpha
    return np.sqrt(p * pa / pa.sum())


def target_matrix(cooc: Cooccurrence, kind: str = "mstar", **params: Any) -> Any:
    """The ``kind`` target of ``cooc`` (see :class:`Target` for ``params``).

    Returns
    -------
    ndarray (or cupy array) of shape (V, V), or scipy.sparse.csr_matrix of shape (V, V)
    """
    return Target(kind, **params).fit_transform(cooc)
