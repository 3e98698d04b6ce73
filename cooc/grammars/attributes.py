"""The binary-attribute model of word co-occurrence (arXiv 2505.18651; docs/science.md, section 3).

A word is a vector of d binary attributes, alpha in {+1, -1}^d, and all 2^d words exist.
Attribute k takes its first value (alpha_k = +1, "index 0") with probability p_k, so
``P(i) = prod_k (p_k or 1 - p_k)``. Co-occurrence multiplies independent factors::

    P(i, j) = P(i) P(j) prod_k F_k[a_i^k, a_j^k],
    F_k = [[1 + s_k,        1 - q_k s_k    ],
           [1 - q_k s_k,    1 + q_k^2 s_k  ]],   q_k = p_k / (1 - p_k)

with ``a^k`` the value index (0 or 1). Each F_k has ``sum_b P_k(b) F_k[a, b] = 1``, so
the rows of P(i, j) sum to P(i) exactly. Consequences the tests check: M = P(i,j) /
(P(i) P(j)) is the Kronecker product of the F_k; log M has rank <= d + 1 with
eigenvectors affine in the attributes, so attribute analogies are exact for log M once
K covers that space, while M's accuracy peaks and decays.

Words are named by their attributes: attribute k contributes its letter and value index
(``"a0b1c0"`` for d = 3: lower-case letters and digits, so names survive tokenisers and
case folding), or the names given in ``values``. Rows of every matrix follow the frequency order of a cooc
Vocabulary (probability descending, ties alphabetical).
"""

from __future__ import annotations

import os
import string
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.params import Interval, validate

_constraints = {
    "d": Interval(int, 1, 20),
    "noise": Interval(float, 0, None),
    "total": Interval(float, 0, None, closed="neither"),
}


def _per_attribute(value: float | Sequence[float], d: int, name: str) -> np.ndarray:
    arr = (
        np.broadcast_to(np.asarray(value, dtype=np.float64), (d,)).copy()
        if np.ndim(value) == 0
        else np.asarray(value, dtype=np.float64)
    )
    if arr.shape != (d,):
        raise InvalidParameterError(
            f"BinaryAttributeModel: parameter {name!r} must be a number or {d} numbers, got {value!r}."
        )
    return arr


class BinaryAttributeModel:
    """Exact statistics and a sampler for the binary-attribute model.

    Parameters
    ----------
    d : int
        Number of attributes (2^d words; d <= 20).
    p : float or sequence of d floats, default 0.5
        Probability of each attribute's first value, in (0, 1).
    s : float or sequence of d floats, default 0.3
        Coupling strength; every entry of F_k must stay positive.
    values : sequence of d (str, str), optional
        Names of each attribute's two values (default ``("a0", "a1")``, ``("b0", "b1")``, ...).

    Attributes
    ----------
    words : list of str, length 2^d
        In frequency order.
    attributes : ndarray of shape (2^d, d)
        +1 / -1 per word and attribute (rows follow ``words``).
    """

    def __init__(
        self,
        d: int,
        p: float | Sequence[float] = 0.5,
        s: float | Sequence[float] = 0.3,
        values: Sequence[tuple[str, str]] | None = None,
    ):
        validate({"d": d}, _constraints, owner="BinaryAttributeModel")
        self.d = d
        self.p = _per_attribute(p, d, "p")
        self.s = _per_attribute(s, d, "s")
        if not ((self.p > 0) & (self.p < 1)).all():
            raise InvalidParameterError(
                f"BinaryAttributeModel: parameter 'p' must lie in (0, 1), got {self.p.tolist()}."
            )
        self.q = self.p / (1 - self.p)
        self.factors = [np.array([[1 + s_, 1 - q * s_], [1 - q * s_, 1 + q * q * s_]]) for q, s_ in zip(self.q, self.s)]
        bad = [k for k, F in enumerate(self.factors) if not (F > 0).all()]
        if bad:
            k = bad[0]
            raise InvalidParameterError(
                f"BinaryAttributeModel: parameter 's' for attribute {k} gives a non-positive F_k entry "
                f"(s = {self.s[k]}, q = {self.q[k]:.4g}); keep -min(1, 1/q^2) < s < 1/q."
            )
        self.values = self._value_names(values)
        # binary (Kronecker) order: word b has value index (b >> (d - 1 - k)) & 1 for attribute k
        b = np.arange(2**d)
        self._index_kron = (b[:, None] >> (d - 1 - np.arange(d))[None, :]) & 1
        names = ["".join(self.values[k][v] for k, v in enumerate(row)) for row in self._index_kron]
        if len(set(names)) != len(names):
            raise InvalidParameterError("BinaryAttributeModel: the value names give two words the same name.")
        probs = self._unigram_kron()
        self._order = np.array(sorted(range(len(names)), key=lambda i: (-probs[i], names[i])), dtype=np.int64)
        self.words = [names[i] for i in self._order]
        self.value_index = self._index_kron[self._order]
        self.attributes = 1 - 2 * self.value_index

    def _value_names(self, values: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
        if values is None:
            if self.d > 26:  # pragma: no cover - d <= 20 is enforced
                raise InvalidParameterError("BinaryAttributeModel: give 'values' for d > 26.")
            return [(f"{string.ascii_lowercase[k]}0", f"{string.ascii_lowercase[k]}1") for k in range(self.d)]
        names = [tuple(map(str, v)) for v in values]
        if len(names) != self.d or any(len(v) != 2 or v[0] == v[1] for v in names):
            raise InvalidParameterError(
                f"BinaryAttributeModel: parameter 'values' must hold {self.d} pairs of distinct names, got {names!r}."
            )
        return cast("list[tuple[str, str]]", names)  # every entry was just checked to hold 2 names

    def __repr__(self) -> str:
        return f"BinaryAttributeModel(d={self.d}, p={self.p.tolist()}, s={self.s.tolist()})"

    @property
    def V(self) -> int:
        return 2**self.d

    # -- exact statistics -------------------------------------------------------------------
    def _unigram_kron(self) -> np.ndarray:
        out = np.ones(1)
        for pk in self.p:
            out = np.kron(out, np.array([pk, 1 - pk]))
        return out

    def kron_order(self) -> np.ndarray:
        """Row of each word in the Kronecker (binary) order, shape (2^d,): ``M[np.ix_(o, o)]`` of the
        Kronecker product equals :meth:`M`, with ``o = kron_order()``."""
        return self._order.copy()

    def unigram(self) -> np.ndarray:
        """P(i), shape (2^d,), summing to 1."""
        return self._unigram_kron()[self._order]

    def M(self) -> np.ndarray:
        """P(i, j) / (P(i) P(j)) = the Kronecker product of the F_k, shape (2^d, 2^d)."""
        out = np.ones((1, 1))
        for F in self.factors:
            out = np.kron(out, F)
        return out[np.ix_(self._order, self._order)]

    def joint(self) -> np.ndarray:
        """P(i, j), shape (2^d, 2^d): symmetric, sums to 1, rows sum to P(i)."""
        u = self.unigram()
        return self.M() * np.outer(u, u)

    def log_M_affine(self) -> np.ndarray:
        """The basis ``[1, alpha^1, ..., alpha^d]`` of log M's column space, shape (2^d, d + 1)."""
        return np.column_stack([np.ones(self.V), self.attributes])

    def families(self) -> dict[str, list[tuple[str, str]]]:
        """Analogy families: for attribute k, the pairs (word, word with attribute k flipped), the first
        word holding value 0 (2^(d-1) pairs per family), named ``"<value0>-<value1>"``."""
        index = {w: i for i, w in enumerate(self.words)}
        out = {}
        for k in range(self.d):
            pairs = []
            for i, w in enumerate(self.words):
                if self.value_index[i, k] == 0:
                    flipped = self.value_index[i].copy()
                    flipped[k] = 1
                    name = "".join(self.values[j][v] for j, v in enumerate(flipped))
                    pairs.append((w, self.words[index[name]]))
            out[f"{self.values[k][0]}-{self.values[k][1]}"] = pairs
        return out

    # -- as counts ----------------------------------------------------------------------------
    def to_cooccurrence(
        self, total: float = 1e9, noise: float = 0.0, keep: float | int | None = None, seed: int = 0
    ) -> Any:
        """A :class:`~cooc.Cooccurrence` with counts ``total * P(i, j)`` and unigram ``P(i)``.

        Parameters
        ----------
        total : float
            Sum of the counts (they are float64, not rounded).
        noise : float
            Multiplicative log-normal noise: ``P(i,j) * exp(noise * xi_ij - noise^2 / 2)`` with
            symmetric standard normal ``xi``, then renormalised; unigrams stay exact.
        keep : float in (0, 1] or int, optional
            Subsample the words: a fraction or a number of words kept (drawn with ``seed``);
            the kept words stay in frequency order.
        seed : int
        """
        from ..cooccurrence.matrix import Cooccurrence
        from ..corpus.vocab import Vocabulary

        validate({"noise": noise, "total": total}, _constraints, owner="BinaryAttributeModel")
        rng = np.random.default_rng(seed)
        P = self.joint()
        if noise > 0:
            xi = np.triu(rng.standard_normal(P.shape))
            xi = xi + np.triu(xi, 1).T
            P = P * np.exp(noise * xi - noise**2 / 2)
            P /= P.sum()
        ids = np.arange(self.V)
        if keep is not None:
            n = int(round(keep * self.V)) if isinstance(keep, float) else int(keep)
            if not 2 <= n <= self.V:
                raise InvalidParameterError(
                    f"BinaryAttributeModel: parameter 'keep' must keep 2..{self.V} words, got {keep!r}."
                )
            ids = np.sort(rng.choice(self.V, size=n, replace=False))
        u = self.unigram()
        vocab = Vocabulary(
            [self.words[i] for i in ids], np.round(u[ids] * total).astype(np.int64), total=int(round(total))
        )
        settings = {
            "source": "binary-attribute model",
            "d": self.d,
            "p": self.p.tolist(),
            "s": self.s.tolist(),
            "noise": noise,
            "keep": keep,
            "seed": seed,
            "exact": True,
            "symmetric": True,
        }
        return Cooccurrence(total * P[np.ix_(ids, ids)], vocab, u[ids], settings=settings)

    # -- sampling ------------------------------------------------------------------------------
    def sample_pairs(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` word pairs drawn from P(i, j), shape (n, 2), ids in ``words`` order."""
        rng = np.random.default_rng(seed)
        flat = rng.choice(self.V * self.V, size=int(n), p=self.joint().ravel())
        return np.column_stack([flat // self.V, flat % self.V])

    def sample_documents(self, n_docs: int, length: int, seed: int = 0) -> np.ndarray:
        """Documents from the Markov chain with transitions P(j | i) = P(i, j) / P(i).

        The chain starts from P(i) and P is symmetric with marginals P(i), so every adjacent
        pair (in either order) is distributed as P(i, j): counting with window 1 recovers it.

        Returns
        -------
        ndarray of shape (n_docs, length), int32 word ids.
        """
        if length < 2 or n_docs < 1:
            raise InvalidParameterError(f"sample_documents: need n_docs >= 1 and length >= 2, got {n_docs}, {length}.")
        rng = np.random.default_rng(seed)
        cdf = np.cumsum(self.joint() / self.unigram()[:, None], axis=1)
        cdf[:, -1] = 1.0
        docs = np.empty((n_docs, length), dtype=np.int32)
        docs[:, 0] = rng.choice(self.V, size=n_docs, p=self.unigram())
        for t in range(1, length):
            u = rng.random(n_docs)
            docs[:, t] = (cdf[docs[:, t - 1]] < u[:, None]).sum(axis=1)
        return docs

    def write_corpus(
        self, out: str | os.PathLike, n_docs: int, length: int, seed: int = 0, overwrite: bool = False
    ) -> Any:
        """Sample documents and write them as a :class:`~cooc.TokenCorpus` (ids re-ranked by sampled frequency)."""
        from ..corpus.store import CorpusWriter
        from ..corpus.vocab import Vocabulary

        docs = self.sample_documents(n_docs, length, seed)
        counts = np.bincount(docs.ravel(), minlength=self.V)
        present = np.flatnonzero(counts)
        order = present[np.lexsort((np.array(self.words)[present], -counts[present]))]
        remap = np.full(self.V, -1, dtype=np.int64)
        remap[order] = np.arange(order.size)
        vocab = Vocabulary([self.words[i] for i in order], counts[order])
        source = {"kind": "binary-attribute model", "d": self.d, "p": self.p.tolist(), "s": self.s.tolist()}
        settings = {"source": source, "n_docs": n_docs, "length": length, "seed": seed}
        with CorpusWriter(out, vocab, source, settings, overwrite=overwrite) as writer:
            flat = remap[docs].ravel().astype(np.int32)
            writer.add_documents(flat, np.arange(0, flat.size + 1, length, dtype=np.int64))
        return writer.close()
