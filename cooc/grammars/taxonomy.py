"""A taxonomy language: concepts on a tree, co-occurring as ``alpha exp(-beta d)`` of tree distance.

The model behind the hypernymy paper (arXiv 2605.23821, docs/science.md, section 5). Every node
of a tree (regular, or given by a parent array, e.g. from WordNet) is a word. A document
is a stationary Markov chain over the words whose one-step joint distribution is the
kernel itself::

    J_ij = P(x_t = i, x_{t+1} = j) = alpha * exp(-beta * d_ij),   alpha = 1 / sum_ij exp(-beta d_ij)

with ``d`` the tree distance (edges on the path). ``J`` is symmetric, so the chain is
reversible with stationary law ``pi_i = sum_j J_ij``, transition ``T = J / pi`` and lag-k
joint ``diag(pi) T^k``: the expected co-occurrence of any window is known exactly
(:meth:`TaxonomyModel.window_joint`), and adjacent pairs follow ``f(d)`` exactly.

The kernel is a dense V x V matrix: practical up to a few thousand concepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.params import Interval, OneOf, validate
from ..cooccurrence.matrix import Cooccurrence
from ._exact import exact_cooccurrence
from ._random import Seed, categorical_rows, numpy_rng

WEIGHTINGS = ("uniform", "linear", "harmonic")
MAX_NODES = 8192


class TaxonomyModel:
    """Words on a tree; documents are Markov chains with one-step joint ``alpha exp(-beta d)``.

    Parameters
    ----------
    parents : array-like of int, shape (V,), optional
        Parent of each node, -1 for the single root. Default: a regular tree.
    branching, depth : int
        The regular tree (used when ``parents`` is None): every internal node has
        ``branching`` children and leaves sit at ``depth`` (the root has depth 0).
    beta : float
        Decay rate of the kernel with tree distance.
    self_pairs : bool
        Keep the ``d = 0`` term (a word followed by itself); False sets ``J_ii = 0``.
    doc_length : int
        Tokens per document (at least 2).
    words : sequence of str, optional
        Node names (default ``n0, n1, ...`` in node order).

    Attributes
    ----------
    parents : int64 ndarray of shape (V,)
    depths : int64 ndarray of shape (V,)
    distances : int64 ndarray of shape (V, V)
    words : list of str
    """

    _constraints = {
        "branching": Interval(int, 1, None),
        "depth": Interval(int, 1, None),
        "beta": Interval(float, 0, None),
        "doc_length": Interval(int, 2, None),
    }

    def __init__(
        self,
        parents: Any = None,
        *,
        branching: int = 2,
        depth: int = 3,
        beta: float = 1.0,
        self_pairs: bool = True,
        doc_length: int = 20,
        words: Sequence[str] | None = None,
    ):
        validate(
            dict(branching=branching, depth=depth, beta=beta, doc_length=doc_length),
            self._constraints,
            type(self).__name__,
        )
        self.branching: int | None
        self.depth: int | None
        self.branching, self.depth = (int(branching), int(depth)) if parents is None else (None, None)
        self.beta, self.self_pairs, self.doc_length = float(beta), bool(self_pairs), int(doc_length)
        if parents is None and _regular_tree_size(int(branching), int(depth), MAX_NODES) > MAX_NODES:
            raise InvalidParameterError(
                f"a tree of branching {branching} and depth {depth} has more than {MAX_NODES} nodes, the most the "
                f"dense kernel allows."
            )
        self.parents = regular_tree(branching, depth) if parents is None else check_tree(parents)
        if len(self.parents) > MAX_NODES:
            raise InvalidParameterError(
                f"the tree has {len(self.parents)} nodes; the dense kernel allows at most {MAX_NODES}."
            )
        ancestors = ancestor_matrix(self.parents)
        self.depths = ancestors.sum(axis=1).astype(np.int64) - 1
        common = ancestors.astype(np.float32) @ ancestors.T.astype(np.float32)  # common ancestors = LCA depth + 1
        self.distances = self.depths[:, None] + self.depths[None, :] - 2 * (np.rint(common).astype(np.int64) - 1)
        V = len(self.parents)
        self.words = [f"n{i}" for i in range(V)] if words is None else [str(w) for w in words]
        if len(self.words) != V:
            raise InvalidParameterError(f"parameter 'words' must name {V} nodes, got {len(self.words)}.")
        if V < 2:
            raise InvalidParameterError("the tree needs at least 2 nodes.")

    def params(self) -> dict[str, Any]:
        return dict(
            branching=self.branching,
            depth=self.depth,
            beta=self.beta,
            self_pairs=self.self_pairs,
            doc_length=self.doc_length,
            n_nodes=self.vocab_size,
        )

    @property
    def vocab_size(self) -> int:
        return len(self.parents)

    def children(self) -> list[np.ndarray]:
        """The children of each node."""
        order = np.argsort(self.parents, kind="stable")
        bounds = np.searchsorted(self.parents[order], np.arange(-1, self.vocab_size + 1))
        return [order[bounds[i + 1] : bounds[i + 2]] for i in range(self.vocab_size)]

    # -- exact statistics -------------------------------------------------------------------
    def _shifted_kernel(self) -> tuple[np.ndarray, int]:
        """``exp(-beta (d_ij - d_min))`` (zero diagonal without self pairs) and ``d_min``, the smallest distance kept.

        Shifting the exponent by ``d_min`` leaves the normalised kernel unchanged (up to rounding) but keeps
        its largest entries at 1, so a large ``beta`` cannot underflow every entry to 0 (and the kernel to
        0 / 0): it tends to the uniform law over the pairs at distance ``d_min``, as it should.
        """
        d_min = 0 if self.self_pairs else 1  # a tree has an edge, and only i = j is at distance 0
        excess = np.maximum(self.distances - d_min, 0)  # (the diagonal, -1 without self pairs, is zeroed below)
        k = np.exp(-self.beta * excess.astype(np.float64))
        if not self.self_pairs:
            np.fill_diagonal(k, 0.0)
        return k, d_min

    def kernel(self) -> np.ndarray:
        """``f(d_ij) = alpha exp(-beta d_ij)`` (zero diagonal without self pairs), shape (V, V), sums to 1."""
        k, _ = self._shifted_kernel()
        return k / k.sum()

    @property
    def alpha(self) -> float:
        """The normalisation ``alpha`` of ``f(d) = alpha exp(-beta d)`` (``inf`` where it exceeds the float range)."""
        k, d_min = self._shifted_kernel()
        with np.errstate(over="ignore"):
            return float(np.exp(self.beta * d_min) / k.sum())

    def unigram(self) -> np.ndarray:
        """Stationary (and unigram) distribution ``pi``, shape (V,)."""
        return self.kernel().sum(axis=1)

    def transition(self) -> np.ndarray:
        """Markov transition ``T = J / pi`` (rows sum to 1), shape (V, V)."""
        return self.kernel() / self.unigram()[:, None]

    def joint(self, lag: int = 1) -> np.ndarray:
        """Exact joint of tokens ``lag`` apart, ``diag(pi) T^lag``, shape (V, V)."""
        validate({"lag": lag}, {"lag": Interval(int, 1, None)}, "joint")
        return self.unigram()[:, None] * np.linalg.matrix_power(self.transition(), lag)

    def window_joint(self, window: int, weighting: str = "uniform") -> np.ndarray:
        """Exact normalised co-occurrence ``P`` of symmetric window counts over this corpus.

        Within a document of length ``T`` there are ``T - k`` pairs at lag ``k``; with
        weights ``w(k)`` (uniform 1, linear ``window + 1 - k``, harmonic ``1/k``) the
        expected counts are ``sum_k w(k) (T - k) J_k`` (J_k symmetric), normalised to 1.
        """
        validate(
            {"window": window, "weighting": weighting},
            {"window": Interval(int, 1, None), "weighting": OneOf(WEIGHTINGS)},
            "window_joint",
        )
        T = self.transition()
        pi = self.unigram()
        power = np.eye(self.vocab_size)
        total = np.zeros_like(power)
        weight_sum = 0.0
        for k in range(1, min(window, self.doc_length - 1) + 1):
            power = power @ T
            w = {"uniform": 1.0, "linear": window + 1.0 - k, "harmonic": 1.0 / k}[weighting]
            c = w * (self.doc_length - k)
            total += c * (pi[:, None] * power)
            weight_sum += c
        return total / weight_sum

    def exact_cooccurrence(self, window: int = 1, weighting: str = "uniform") -> Cooccurrence:
        """The exact co-occurrence of a window count as a :class:`~cooc.Cooccurrence`."""
        return exact_cooccurrence(
            self.window_joint(window, weighting),
            self.unigram(),
            self.words,
            {"model": "taxonomy", "window": window, "weighting": weighting, **self.params()},
        )

    # -- sampling ---------------------------------------------------------------------------
    def sample(self, n_docs: int, seed: Seed = None) -> np.ndarray:
        """Draw ``n_docs`` stationary chains, int32 node ids of shape (n_docs, doc_length)."""
        validate({"n_docs": n_docs}, {"n_docs": Interval(int, 1, None)}, "sample")
        rng = numpy_rng(seed)
        cum_pi = np.cumsum(self.unigram())[None, :]
        cum_T = np.cumsum(self.transition(), axis=1)
        tokens = np.empty((n_docs, self.doc_length), dtype=np.int32)
        current = categorical_rows(np, cum_pi, np.zeros(n_docs, dtype=np.int64), rng.random(n_docs))
        tokens[:, 0] = current
        for t in range(1, self.doc_length):
            current = categorical_rows(np, cum_T, current, rng.random(n_docs))
            tokens[:, t] = current
        return tokens


def _regular_tree_size(branching: int, depth: int, bound: int) -> int:
    """The number of nodes of the regular tree, counted without building it; the count stops as soon as it
    exceeds ``bound`` (it is then some number above ``bound``)."""
    if branching == 1:
        return depth + 1
    total, level = 0, 1
    for _ in range(depth + 1):
        total += level
        if total > bound:
            break
        level *= branching
    return total


def regular_tree(branching: int, depth: int) -> np.ndarray:
    """Parent array of the regular tree in breadth-first order (root 0, parent -1)."""
    parents = [-1]
    level_start, level_size = 0, 1
    for _ in range(depth):
        for node in range(level_start, level_start + level_size):
            parents.extend([node] * branching)
        level_start, level_size = level_start + level_size, level_size * branching
    return np.asarray(parents, dtype=np.int64)


def check_tree(parents: Any) -> np.ndarray:
    """Validate a parent array (one root marked -1, no cycles) and return it as int64."""
    p = np.asarray(parents)
    if p.ndim != 1 or p.size < 2 or not np.issubdtype(p.dtype, np.integer):
        raise InvalidParameterError(f"parameter 'parents' must be a 1-D integer array of at least 2 nodes, got {p!r}.")
    p = p.astype(np.int64)
    roots = np.flatnonzero(p == -1)
    if roots.size != 1 or ((p < -1) | (p >= p.size)).any():
        raise InvalidParameterError(
            f"parameter 'parents' must have exactly one root (-1) and parents in [0, {p.size}); "
            f"found {roots.size} roots."
        )
    ancestor_matrix(p)  # raises on a cycle
    return p


def ancestor_matrix(parents: np.ndarray) -> np.ndarray:
    """Boolean (V, V): ``A[i, a]`` when ``a`` is ``i`` or one of its ancestors."""
    V = parents.size
    A = np.eye(V, dtype=bool)
    current = np.arange(V)
    for _ in range(V):
        up = parents[current]
        alive = up >= 0
        if not alive.any():
            return A
        current = np.where(alive, up, current)
        A[np.arange(V)[alive], current[alive]] = True
    raise InvalidParameterError("parameter 'parents' contains a cycle; it does not describe a tree.")
