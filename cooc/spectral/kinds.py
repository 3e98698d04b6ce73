"""The table of target kinds: each kind's entry formula, independence value and sparsity.

Read by every path that builds a target: the dense and sparse in-memory matrices
(:class:`cooc.spectral.targets.Target`) and the block-by-block operator of an out-of-core
matrix (:class:`cooc.spectral.operator.TargetOperator`). The definitions are those of
docs/science.md, section 2: with ``P_ij = C_ij / sum(C)`` and marginals ``P_i``,

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError


@dataclass(frozen=True)
class TargetKind:
    """One kind of target.

    Attributes
    ----------
    name : str
    independence : float or None
        The value at a pair set to independence (``P_ij = P_i P_j``); None when it is the
        marginal product itself (kind ``p``).
    sparse : bool
        Whether an unobserved pair (``C_ij = 0``) gives 0, so the target can stay sparse.
    sparse_by_default : bool
        Whether most entries are clipped to zero, so ``output="auto"`` keeps it sparse at any V.
    label : str
        How figures and reports name it (``"log M"``, ``"M*"``).
    """

    name: str
    independence: float | None
    sparse: bool
    sparse_by_default: bool = False
    label: str = ""


TABLE: dict[str, TargetKind] = {
    k.name: k
    for k in (
        TargetKind("p", None, sparse=True, label="P"),
        TargetKind("m", 1.0, sparse=True, label="M"),
        TargetKind("logm", 0.0, sparse=False, label="log M"),
        TargetKind("pmi", 0.0, sparse=True, label="PMI"),
        TargetKind("ppmi", 0.0, sparse=True, sparse_by_default=True, label="PPMI"),
        TargetKind("sppmi", 0.0, sparse=True, sparse_by_default=True, label="SPPMI"),
        TargetKind("mstar", 0.0, sparse=False, label="M*"),
    )
}
KINDS = tuple(TABLE)
#: Targets whose value at an unobserved pair (C_ij = 0) is 0, so they can stay sparse.
SPARSE_KINDS = tuple(k for k, v in TABLE.items() if v.sparse)
#: Targets that are sparse by default (most entries clipped to zero).
SPARSE_BY_DEFAULT = tuple(k for k, v in TABLE.items() if v.sparse_by_default)
#: How figures and reports name each kind.
LABELS = {k: v.label for k, v in TABLE.items()}
#: The independence value of every kind that has a constant one.
INDEPENDENCE = {k: v.independence for k, v in TABLE.items() if v.independence is not None}


def entries(kind: str, P: Any, outer: Any, xp: Any, eps: float = 1e-2, neg: float = 1.0) -> Any:
    """The ``kind`` formula on probabilities ``P`` and marginal products ``outer`` (float64, same shape).

    A pair whose marginal product is 0 (a word without occurrences in the marginals) takes the
    independence value of every kind that divides by it (M 1, log M, PMI and M* 0), observed or not,
    so no entry is inf or nan; ``p`` is P itself.
    """
    if kind == "p":
        return P
    ok = outer > 0
    if kind == "mstar":
        return xp.where(ok, 2.0 * (P - outer) / xp.where(ok, P + outer, 1.0), 0.0)
    M = xp.where(ok, P / xp.where(ok, outer, 1.0), 1.0)
    if kind == "m":
        return M
    if kind == "logm":
        if eps == 0 and bool((M <= 0).any()):
            raise InputDataError("Target: log M with eps = 0 meets a zero entry of M; give eps > 0.")
        return xp.where(ok, xp.log(M + eps), 0.0)
    observed = M > 0
    pmi = xp.where(observed, xp.log(xp.where(observed, M, 1.0)), 0.0)
    if kind == "pmi":
        return pmi
    shift = np.log(neg) if kind == "sppmi" else 0.0
    return xp.maximum(pmi - shift, 0.0)


def entries_into(
    kind: str, P: np.ndarray, outer: np.ndarray, work: np.ndarray, eps: float = 1e-2, neg: float = 1.0
) -> np.ndarray:
    """:func:`entries` on the host without temporaries: the same values, bit for bit, written over
    ``P`` or ``work`` (the array returned); ``outer`` is overwritten too. ``P``, ``outer`` and
    ``work`` are float64 arrays of one shape.

    Building a dense target block by block, :func:`entries` makes several fresh arrays a block;
    the allocator maps arrays of megabytes afresh each time, and their page faults were most of
    the Bible's M* build (Target.block_rows). These buffers are made once and reused.
    """
    if kind == "p":
        return P
    ok = outer > 0
    if kind == "mstar":
        # 2 (P - outer) / (P + outer), and 0 where the marginal product is 0
        np.subtract(P, outer, out=work)
        np.multiply(work, 2.0, out=work)
        denom = np.add(P, outer, out=outer)
        np.divide(work, denom, out=work, where=ok)
        work[~ok] = 0.0
        return work
    np.divide(P, outer, out=P, where=ok)  # M, and 1 where the marginal product is 0
    P[~ok] = 1.0
    if kind == "m":
        return P
    if kind == "logm":
        if eps == 0 and bool((P <= 0).any()):
            raise InputDataError("Target: log M with eps = 0 meets a zero entry of M; give eps > 0.")
        np.add(P, eps, out=P)
        np.log(P, out=P)
        P[~ok] = 0.0
        return P
    np.log(P, out=P, where=P > 0)  # PMI_0: an unobserved pair (M = 0) keeps its 0
    if kind == "pmi":
        return P
    shift = np.log(neg) if kind == "sppmi" else 0.0
    np.subtract(P, shift, out=P)
    return np.maximum(P, 0.0, out=P)


def independence_values(kind: str, q_rows: Any, q_cols: Any) -> Any:
    """The values of pairs set to independence, given the marginals of their rows and columns."""
    value = TABLE[kind].independence
    return q_rows * q_cols if value is None else value


def wants_sparse(kind: str, output: str, V: int, max_dense: int, dense_limit: bool = True) -> bool:
    """Whether a target of ``kind`` over V words is built sparse.

    ``output="sparse"`` asks for it (refused for kinds that are dense); ``"dense"`` refuses it;
    ``"auto"`` is sparse for ppmi and sppmi, and for the other sparse kinds above ``max_dense``.
    With ``dense_limit`` a dense kind above ``max_dense`` is refused (an in-memory V x V matrix);
    without it (a block-by-block operator, nothing V x V is built) it stays dense.
    """
    if output == "sparse":
        if kind not in SPARSE_KINDS:
            raise InvalidParameterError(
                f"Target: kind {kind!r} is dense (unobserved pairs are not 0); "
                f"output='sparse' is allowed for {SPARSE_KINDS}."
            )
        return True
    if output == "dense":
        return False
    if kind in SPARSE_BY_DEFAULT:
        return True
    if V > max_dense:
        if kind in SPARSE_KINDS:
            return True
        if dense_limit:
            raise InvalidParameterError(
                f"Target: a dense {kind!r} target of V = {V} words exceeds max_dense = {max_dense} "
                f"({8 * V * V / 1e9:.1f} GB in float64); raise max_dense or subset the co-occurrence matrix."
            )
    return False


__all__ = [
    "TargetKind",
    "TABLE",
    "KINDS",
    "SPARSE_KINDS",
    "SPARSE_BY_DEFAULT",
    "INDEPENDENCE",
    "entries",
    "entries_into",
    "independence_values",
    "wants_sparse",
]
