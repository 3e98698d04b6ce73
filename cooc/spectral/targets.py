"""Target matrices built from co-occurrence counts (docs/science.md, section 2).

With weighted counts C over the V x V block, ``P_ij = C_ij / sum(C)`` and ``P_i`` the
global unigram frequency of word i normalised over the V words (or, with
``marginals="block"``, the block's row sums). The kinds, their formulas and independence
values are one table, :mod:`cooc.spectral.kinds`.

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

import os
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._core.device import get_sparse, get_xp, resolve_device
from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import InstanceOf, Interval, OneOf, validate
from ..cooccurrence.blocked import BlockedCooccurrence
from ..cooccurrence.matrix import Cooccurrence, as_cooccurrence, check_counts
from .kinds import INDEPENDENCE, KINDS, entries, entries_into, independence_values, wants_sparse
from .marginals import context_smoothed, smoothed_marginals
from .operator import TargetOperator

#: Bytes of each float64 temporary when a dense target is built on the host (see ``Target.block_rows``).
HOST_BLOCK_BYTES = 4 << 20
#: Rows per block on a GPU (its memory pool reuses the temporaries; fewer, larger launches).
DEVICE_BLOCK_ROWS = 2048


class Target(BaseEstimator):
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
    smoothing : {"symmetric", "context"}, default "symmetric"
        How ``alpha`` enters: on both sides, symmetrised (cooc's default: eigensolvers need a
        symmetric matrix), or on the context (column) side only, Levy et al.'s asymmetric
        definition. hyperwords' PPMI and SPPMI are ``marginals="block", smoothing="context"``.
    output : {"auto", "dense", "sparse"}, default "auto"
        ``auto``: sparse for ppmi and sppmi, and for p, m, pmi when V > ``max_dense``;
        dense otherwise.
    max_dense : int, default 30000
        Largest V for which a dense V x V matrix is built automatically.
    dtype : {"float64", "float32"}, default "float64"
        Entries are computed in float64 and stored in this type.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where a dense target is built and kept (numpy or cupy array).
    block_rows : int, optional
        Rows densified at a time, bounding the temporary memory. Default: on the CPU as many as
        fit ``HOST_BLOCK_BYTES`` (4 MiB) of float64 (at least one row), computed in buffers made
        once (:func:`~cooc.spectral.kinds.entries_into`: the Bible's M* builds in 0.4 s, where
        fresh temporaries for each block of 2,048 rows took 3.3-4.9 s, mostly page faults); on a
        GPU 2048.

    Attributes
    ----------
    matrix_ : ndarray or cupy array of shape (V, V), or scipy.sparse.csr_matrix
    marginals_ : ndarray of shape (V,)
        The row marginals used in the denominators (after smoothing; kind ``p`` has no denominators
        and keeps them unsmoothed, for the values P_i P_j of the pairs set to independence).
    context_marginals_ : ndarray of shape (V,)
        The column marginals (the same array unless ``smoothing="context"``).
    kind_ : str
    words_ : list of str
    """

    _constraints = {
        "kind": OneOf(KINDS),
        "eps": Interval(float, 0, None),
        "neg": Interval(float, 0, None, closed="neither"),
        "alpha": Interval(float, 0, None, closed="neither"),
        "marginals": OneOf(("global", "block")),
        "smoothing": OneOf(("symmetric", "context")),
        "output": OneOf(("auto", "dense", "sparse")),
        "max_dense": Interval(int, 1, None),
        "dtype": OneOf(("float64", "float32")),
        "device": OneOf(("cpu", "cuda", "auto")),
        "block_rows": Interval(int, 1, None, allow_none=True),
    }

    def __init__(
        self,
        kind: str = "mstar",
        *,
        eps: float = 1e-2,
        neg: float = 1,
        alpha: float = 1.0,
        marginals: str = "global",
        smoothing: str = "symmetric",
        output: str = "auto",
        max_dense: int = 30000,
        dtype: str = "float64",
        device: str = "cpu",
        block_rows: int | None = None,
    ):
        self.kind = kind
        self.eps = eps
        self.neg = neg
        self.alpha = alpha
        self.marginals = marginals
        self.smoothing = smoothing
        self.output = output
        self.max_dense = max_dense
        self.dtype = dtype
        self.device = device
        self.block_rows = block_rows

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, cooc: Cooccurrence | str | os.PathLike, y: Any = None) -> Target:
        """Build the target of ``cooc`` (counts, or the path of saved ones); the matrix is in ``matrix_``
        (``y`` is ignored).

        A blocked (out-of-core) ``cooc`` gives a :class:`~cooc.spectral.operator.TargetOperator`
        (products block by block, for Lanczos) instead of a matrix.
        """
        params = self.get_params()
        validate(params, self._constraints, owner="Target")
        cooc = cast(Cooccurrence, as_cooccurrence(cooc))  # the path of saved counts is read
        if isinstance(cooc, BlockedCooccurrence):  # out-of-core: a LinearOperator over row blocks
            if self.smoothing != "symmetric":
                raise InvalidParameterError(
                    "Target: a blocked target is symmetric; smoothing='context' needs the matrix in memory."
                )
            self.matrix_ = TargetOperator(cooc, self)
            self.marginals_, self.kind_, self.words_ = self.matrix_.marginals, self.kind, list(cooc.vocab.words)
            self.context_marginals_ = self.marginals_
            return self
        if not isinstance(cooc, Cooccurrence):
            InstanceOf(Cooccurrence).check("cooc", cooc, owner="Target")
        check_counts(cooc, "Target")
        sparse = wants_sparse(self.kind, self.output, len(cooc), self.max_dense)
        probabilities = cooc.unigram_probabilities(self.marginals)
        if self.kind == "p":  # P has no marginals in it: smoothing changes nothing, P_i P_j at independence
            self.marginals_ = self.context_marginals_ = probabilities
        elif self.smoothing == "symmetric":
            self.marginals_ = self.context_marginals_ = smoothed_marginals(probabilities, self.alpha)
        else:
            self.marginals_, self.context_marginals_ = probabilities, context_smoothed(probabilities, self.alpha)
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

    def transform(self, X: Any = None) -> Any:
        """The fitted matrix (``X`` is ignored: a target belongs to the counts it was fitted on)."""
        check_is_fitted(self, "matrix_")
        return self.matrix_

    def fit_transform(self, cooc: Cooccurrence, y: Any = None) -> Any:
        """``fit(cooc).matrix_``."""
        return self.fit(cooc).matrix_

    def _entries(self, P: Any, outer: Any, xp: Any) -> Any:
        return entries(self.kind, P, outer, xp, self.eps, self.neg)

    def _dense(self, cooc: Cooccurrence, total: float) -> Any:
        device = resolve_device(self.device)
        xp = get_xp(device)
        V = len(cooc)
        q = xp.asarray(self.marginals_, dtype=xp.float64)
        qc = xp.asarray(self.context_marginals_, dtype=xp.float64)
        out = xp.empty((V, V), dtype=self.dtype)
        counts = cooc.counts
        block = self.block_rows or (DEVICE_BLOCK_ROWS if device == "cuda" else max(1, HOST_BLOCK_BYTES // (8 * V)))
        if device == "cuda":
            for start in range(0, V, block):
                stop = min(start + block, V)
                P = xp.asarray(counts[start:stop].toarray(), dtype=xp.float64) / total
                out[start:stop] = self._entries(P, q[start:stop, None] * qc[None, :], xp)
        else:  # the same values through buffers made once (kinds.entries_into)
            dense, P, outer, work = (np.empty((min(block, V), V), dtype=t) for t in (counts.dtype, *[np.float64] * 3))
            for start in range(0, V, block):
                stop = min(start + block, V)
                n = stop - start
                counts[start:stop].toarray(out=dense[:n])
                np.divide(dense[:n], total, out=P[:n])
                np.multiply(q[start:stop, None], qc[None, :], out=outer[:n])
                out[start:stop] = entries_into(self.kind, P[:n], outer[:n], work[:n], self.eps, self.neg)
        pairs = cooc.independent_pairs
        if len(pairs):
            rows, cols = xp.asarray(pairs[:, 0]), xp.asarray(pairs[:, 1])
            out[rows, cols] = independence_values(self.kind, q[rows], qc[cols])
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
        q, qc = self.marginals_, self.context_marginals_
        P = coo.data.astype(np.float64) / total
        values = self._entries(P, q[coo.row] * qc[coo.col], np)
        pairs = cooc.independent_pairs
        if len(pairs):
            V = len(cooc)
            hit = np.isin(coo.row.astype(np.int64) * V + coo.col, pairs[:, 0] * V + pairs[:, 1])
            values[hit] = independence_values(self.kind, q[coo.row[hit]], qc[coo.col[hit]])
        matrix = sp.csr_matrix((values.astype(self.dtype), (coo.row, coo.col)), shape=cooc.shape)
        matrix.eliminate_zeros()
        return _with_zero_marginals(matrix, self.kind, q, qc)


def _with_zero_marginals(matrix: sp.csr_matrix, kind: str, q: np.ndarray, qc: np.ndarray) -> sp.csr_matrix:
    """``matrix`` with the independence value at every pair of a word whose marginal is 0, observed or
    not, as the dense target has it (:func:`~cooc.spectral.kinds.entries`): only M's is not 0."""
    value = INDEPENDENCE.get(kind, 0.0)
    rows, cols = np.flatnonzero(q == 0), np.flatnonzero(qc == 0)
    if not value or not (rows.size or cols.size):
        return matrix
    V = matrix.shape[0]
    everyone = np.arange(V)
    pattern = sp.csr_matrix(
        (
            np.full(V * (rows.size + cols.size), value, dtype=matrix.dtype),
            (
                np.concatenate([np.repeat(rows, V), np.tile(everyone, cols.size)]),
                np.concatenate([np.tile(everyone, rows.size), np.repeat(cols, V)]),
            ),
        ),
        shape=matrix.shape,
    )
    pattern.sum_duplicates()
    pattern.data[:] = value  # a pair in both a zero row and a zero column was listed twice
    # those pairs hold the value already where observed (entries), so the larger of the two sets it
    return matrix.maximum(pattern).tocsr()


def target_matrix(cooc: Cooccurrence, kind: str = "mstar", **params: Any) -> Any:
    """The ``kind`` target of ``cooc`` (see :class:`Target` for ``params``).

    Returns
    -------
    ndarray (or cupy array) of shape (V, V), or scipy.sparse.csr_matrix of shape (V, V)
    """
    return Target(kind, **params).fit_transform(cooc)


def target_operator(cooc: Any, kind: str = "mstar", cache_bytes: str | int = "2GB", **params: Any) -> TargetOperator:
    """The ``kind`` target of a blocked co-occurrence matrix as a :class:`TargetOperator`.

    ``params`` are those of :class:`~cooc.spectral.targets.Target` (``device`` must be "cpu").

    Examples
    --------
    >>> blocked = Cooccurrence.load("wiki-counts")                        # doctest: +SKIP
    >>> pairs = top_eigenpairs(target_operator(blocked, "mstar"), k=300)  # doctest: +SKIP
    """
    target = Target(kind, **params)
    validate(target.get_params(), Target._constraints, owner="target_operator")
    return TargetOperator(cooc, target, cache_bytes)
