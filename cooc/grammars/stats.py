"""Exact statistics of the Random Hierarchy Model and their ensemble theory.

For a given model (fixed rules) the joint law of two tokens is exact: the symbol at
their lowest common ancestor (LCA) has a known marginal, the production used there fixes
the pair of children, and each child descends to its token through per-level transition
matrices. :class:`RHMStatistics` computes these exactly.

The *theory* (arXiv 2406.00048, docs/science.md, section 6) is the average over random rules:
a pair whose LCA is ``h`` levels above the tokens (``h = 1`` for siblings) has
mean-square covariance entry ``(1 - m / v**(s-1)) / (v**3 m**(2h-1))`` (the mean over the
``v**2`` entries ``C(mu, nu) = P(x_i = mu, x_j = nu) - P(x_i = mu) P(x_j = nu)``); as a
function of distance ``t`` it decays like ``t**-beta``, ``beta = ln m / ln s``. An
estimate from ``P`` sentences carries a noise floor ``(v**2 P)**-1/2`` per entry.

The ensemble formula is a leading-order average: measured against exact values averaged
over rule draws it holds within about 25% for ``n_c = v`` below the root (e.g. v=32, m=8,
s=2, L=3), but the root level deviates more (about -25% at h = L for v=16, m=4, L=4) and
``n_c << v`` changes the upper levels (factor 2.7 at h = 4 for v=64, n_c=8, m=4).
Use :class:`RHMStatistics` when the instance matters.

**Next-token entropies.** :func:`next_token_entropy` gives the entropy of a token given
the ``c`` tokens before it, the lowest loss a next-token predictor reading that context can
reach: exact (every sentence enumerated) for small grammars, a Monte Carlo mean of exact
terms for large ones. Each term comes from the inside algorithm (:func:`log_likelihood`),
which sums over the unobserved tokens. :func:`loss_plateaus` evaluates it at the
subtree contexts ``c = s**l - 1``: the plateaus ``H_l`` between which the loss of a
last-token learner steps down at ``P_l`` (:func:`loss_steps`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.params import Interval, validate
from .rhm import RandomHierarchyModel


# -- ensemble theory ------------------------------------------------------------------------
def p_max(n_c: int, m: int, s: int, L: int) -> int:
    """Number of distinct RHM sentences, ``n_c m**((s**L - 1)/(s - 1))`` (exact int)."""
    return int(n_c) * int(m) ** ((int(s) ** int(L) - 1) // (int(s) - 1))


def rms_covariance_theory(v: int, m: int, s: int, h: int | np.ndarray) -> Any:
    """Root-mean-square token-token covariance for LCA height ``h`` (ensemble average)."""
    h = np.asarray(h, dtype=np.float64)
    return np.sqrt((1 - m / v ** (s - 1)) / (v**3 * float(m) ** (2 * h - 1)))


def sampling_floor(v: int, n_samples: int | np.ndarray) -> Any:
    """Root-mean-square noise of an empirical covariance entry from ``n_samples`` sentences, ``(v**2 P)**-1/2``."""
    return 1.0 / np.sqrt(v**2 * np.asarray(n_samples, dtype=np.float64))


def loss_steps(v: int, m: int, s: int, L: int) -> np.ndarray:
    """Training-set sizes ``P_h = v m**(2h-1) / (1 - m / v**(s-1))``, h = 1..L, where next-token loss drops."""
    h = np.arange(1, L + 1, dtype=np.float64)
    return v * float(m) ** (2 * h - 1) / (1 - m / v ** (s - 1))


def beta_theory(m: int, s: int) -> float:
    """Decay exponent of correlations with distance, ``ln m / ln s``."""
    return math.log(m) / math.log(s)


def lca_height(i: Any, j: Any, s: int) -> Any:
    """Levels between tokens ``i != j`` and their lowest common ancestor (1 for siblings)."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    h = np.zeros(np.broadcast(i, j).shape, dtype=np.int64)
    while True:
        differ = i != j
        if not differ.any():
            return h
        h += differ
        i, j = i // s, j // s


def pairs_at_height(s: int, L: int, h: int, max_pairs: int | None = None, seed: int = 0) -> np.ndarray:
    """Token pairs ``(i, j)``, ``i < j``, whose LCA is ``h`` levels up; all of them, or ``max_pairs`` drawn at random.

    Returns an int64 array of shape (n, 2).
    """
    if not 1 <= h <= L:
        raise InvalidParameterError(f"parameter 'h' must be in [1, {L}], got {h!r}.")
    sub = s ** (h - 1)
    total = s ** (L - h) * (s * (s - 1) // 2) * sub * sub
    rng = np.random.default_rng(seed)
    if max_pairs is None or total <= max_pairs:
        block = np.repeat(np.arange(s ** (L - h)), (s * (s - 1) // 2) * sub * sub)
        c1, c2 = np.triu_indices(s, 1)
        kids = np.tile(np.repeat(np.arange(c1.size), sub * sub), s ** (L - h))
        inner = np.tile(np.arange(sub * sub), s ** (L - h) * c1.size)
        a, b, o1, o2 = block, kids, inner // sub, inner % sub
        first, second = c1[b], c2[b]
    else:
        a = rng.integers(0, s ** (L - h), max_pairs)
        k = rng.random((max_pairs, s)).argsort(axis=1)[:, :2]
        first, second = k.min(axis=1), k.max(axis=1)
        o1, o2 = rng.integers(0, sub, max_pairs), rng.integers(0, sub, max_pairs)
    i = (a * s + first) * sub + o1
    j = (a * s + second) * sub + o2
    return np.stack([i, j], axis=1).astype(np.int64)


# -- exact statistics of one model ----------------------------------------------------------
class RHMStatistics:
    """Exact marginals, joints and covariances of one :class:`RandomHierarchyModel`.

    Parameters
    ----------
    model : RandomHierarchyModel
    """

    def __init__(self, model: RandomHierarchyModel):
        self.model = model
        self._child = lru_cache(maxsize=None)(self._child_transition)
        self._pair = lru_cache(maxsize=None)(self._pair_transition)
        self._marginal = lru_cache(maxsize=None)(self._node_marginal)

    def _child_transition(self, level: int, k: int) -> np.ndarray:
        """``T[a, b] = P(child k = b | parent a)`` at ``level``, shape (n_parents, v)."""
        rules = self.model.rules[level]
        T = np.zeros((rules.shape[0], self.model.v))
        np.add.at(
            T,
            (np.repeat(np.arange(rules.shape[0]), self.model.m), rules[:, :, k].ravel()),
            np.tile(self.model.probs, rules.shape[0]),
        )
        return T

    def _pair_transition(self, level: int, k1: int, k2: int) -> np.ndarray:
        """``P(child k1 = b, child k2 = c | parent a)``, shape (n_parents, v, v)."""
        rules = self.model.rules[level]
        n = rules.shape[0]
        T = np.zeros((n, self.model.v, self.model.v))
        np.add.at(
            T,
            (np.repeat(np.arange(n), self.model.m), rules[:, :, k1].ravel(), rules[:, :, k2].ravel()),
            np.tile(self.model.probs, n),
        )
        return T

    def _digits(self, level: int, index: int) -> list[int]:
        """Child index taken at each level on the way from the root to node ``index`` of ``level``."""
        s = self.model.s
        return [(index // s ** (level - 1 - l)) % s for l in range(level)]

    def _node_marginal(self, level: int, index: int) -> np.ndarray:
        p = np.full(self.model.n_c, 1.0 / self.model.n_c)
        for l, k in enumerate(self._digits(level, index)):
            p = p @ self._child(l, k)
        return p

    def _check_level(self, level: Any, owner: str) -> None:
        validate({"level": level}, {"level": Interval(int, 0, self.model.L)}, owner)

    def _check_position(self, name: str, value: Any, owner: str) -> None:
        """A token position: an integer in ``[0, s**L)``."""
        validate({name: value}, {name: Interval(int, 0, self.model.n_positions, "left")}, owner)

    def node_marginal(self, level: int, index: int) -> np.ndarray:
        """Law of the symbol at node ``index`` of ``level`` (level 0 = class), shape (n_c,) or (v,)."""
        self._check_level(level, "node_marginal")
        validate({"index": index}, {"index": Interval(int, 0, self.model.s**level, "left")}, "node_marginal")
        return self._marginal(int(level), int(index)).copy()

    def token_given_node(self, level: int, position: int) -> np.ndarray:
        """``P(x_position = b | ancestor at level = a)``, shape (n_parents_at_level, v).

        ``level`` lies in ``[0, L]`` (``L``: the token itself, the identity) and ``position`` in ``[0, s**L)``.
        """
        self._check_level(level, "token_given_node")
        self._check_position("position", position, "token_given_node")
        level, position = int(level), int(position)
        L, s = self.model.L, self.model.s
        D = None
        for l in range(level, L):
            k = (position // s ** (L - 1 - l)) % s
            T = self._child(l, k)
            D = T if D is None else D @ T
        return D if D is not None else np.eye(self.model.v)

    def token_marginal(self, i: int) -> np.ndarray:
        """``P(x_i = b)``, shape (v,)."""
        self._check_position("i", i, "token_marginal")
        return self.node_marginal(self.model.L, i)

    def token_joint(self, i: int, j: int) -> np.ndarray:
        """``P(x_i = b, x_j = c)``, shape (v, v), for tokens ``i != j``."""
        L, s = self.model.L, self.model.s
        self._check_position("i", i, "token_joint")
        self._check_position("j", j, "token_joint")
        i, j = int(i), int(j)
        if i == j:
            raise InvalidParameterError(
                f"token_joint: token positions must differ and lie in [0, {s**L}), got ({i}, {j})."
            )
        h = int(lca_height(i, j, s))
        level = L - h
        k1, k2 = (i // s ** (h - 1)) % s, (j // s ** (h - 1)) % s
        p_lca = self._marginal(level, i // s**h)
        J = np.einsum("a,abc->bc", p_lca, self._pair(level, k1, k2))  # law of the two children
        left, right = self.token_given_node(level + 1, i), self.token_given_node(level + 1, j)
        return left.T @ J @ right

    def token_covariance(self, i: int, j: int) -> np.ndarray:
        """``C(b, c) = P(x_i = b, x_j = c) - P(x_i = b) P(x_j = c)``, shape (v, v)."""
        return self.token_joint(i, j) - np.outer(self.token_marginal(i), self.token_marginal(j))

    def token_class_covariance(self, i: int) -> np.ndarray:
        """``P(class = a, x_i = b) - P(class = a) P(x_i = b)``, shape (n_c, v)."""
        self._check_position("i", i, "token_class_covariance")
        given = self.token_given_node(0, i)
        return (given - self.token_marginal(i)[None, :]) / self.model.n_c

    def mean_square_covariance(self, pairs: np.ndarray) -> np.ndarray:
        """Mean over the ``v**2`` entries of ``C_ij**2`` for each pair, shape (n_pairs,)."""
        return np.array([np.mean(self.token_covariance(int(i), int(j)) ** 2) for i, j in pairs])

    def covariance_by_level(self, max_pairs: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
        """Exact and theoretical rms covariance against LCA height.

        Returns
        -------
        dict with ``height`` (L,), ``exact`` (L,) (rms over the pairs of each height, at
        most ``max_pairs`` of them), ``theory`` (L,), and ``pairs`` (list of (n, 2) arrays).
        """
        m = self.model
        pairs = [pairs_at_height(m.s, m.L, h, max_pairs, seed) for h in range(1, m.L + 1)]
        exact = np.array([np.sqrt(self.mean_square_covariance(p).mean()) for p in pairs])
        heights = np.arange(1, m.L + 1)
        return {
            "height": heights,
            "exact": exact,
            "theory": rms_covariance_theory(m.v, m.m, m.s, heights),
            "pairs": pairs,
        }

    def covariance_vs_distance(
        self, distances: Any = None, max_pairs: int = 64, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """Exact and theoretical rms covariance of token pairs ``(i, i + t)`` against distance ``t``."""
        m = self.model
        n = m.n_positions
        distances = np.arange(1, n) if distances is None else np.asarray(distances, dtype=np.int64)
        rng = np.random.default_rng(seed)
        exact, theory = [], []
        for t in distances:
            starts = np.arange(n - t)
            if starts.size > max_pairs:
                starts = rng.choice(starts, max_pairs, replace=False)
            pairs = np.stack([starts, starts + t], axis=1)
            exact.append(np.sqrt(self.mean_square_covariance(pairs).mean()))
            theory.append(
                np.sqrt(np.mean(rms_covariance_theory(m.v, m.m, m.s, lca_height(starts, starts + t, m.s)) ** 2))
            )
        return {"distance": distances, "exact": np.array(exact), "theory": np.array(theory)}


# -- next-token entropies (exact, through the inside algorithm) ------------------------------
def log_likelihood(model: RandomHierarchyModel, tokens: Any, observed: Any = None) -> np.ndarray:
    """``ln P(x_i for i observed)`` of each sentence, the other tokens summed over (inside algorithm).

    Going up the tree, a node's inside vector ``beta(a) = P(observed leaves below | symbol a)``
    is ``sum_k f_k prod_j beta_child_j(rule[a, k, j])`` (``f_k`` the production
    probabilities); an unobserved leaf has ``beta = 1`` for every symbol. The root averages
    over the ``n_c`` classes. Each level is rescaled and the scale kept in logs, so deep
    trees do not underflow.

    Parameters
    ----------
    model : RandomHierarchyModel
    tokens : int array of shape (N, s**L)
    observed : bool array of shape (s**L,), optional
        Which positions are seen (default: all).

    Returns
    -------
    ndarray of shape (N,)
        ``-inf`` where the observed tokens are impossible.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    N, n = tokens.shape
    if n != model.n_positions:
        raise InvalidParameterError(f"tokens must have shape (N, {model.n_positions}), got {tokens.shape}.")
    observed = np.ones(n, dtype=bool) if observed is None else np.asarray(observed, dtype=bool)
    beta = np.ones((N, n, model.v))
    cols = np.flatnonzero(observed)
    beta[:, cols, :] = 0.0
    beta[np.arange(N)[:, None], cols[None, :], tokens[:, cols]] = 1.0
    log_scale = np.zeros((N, n))  # each node's vector is kept with max 1, its scale in logs
    with np.errstate(divide="ignore"):
        for level in reversed(range(model.L)):
            rules = model.rules[level].astype(np.int64)  # (parents, m, s)
            child = beta.reshape(N, -1, model.s, beta.shape[-1])
            prod = child[:, :, 0, :][:, :, rules[:, :, 0]]
            for j in range(1, model.s):
                prod = prod * child[:, :, j, :][:, :, rules[:, :, j]]
            beta = prod @ model.probs  # (N, nodes, parents)
            log_scale = log_scale.reshape(N, -1, model.s).sum(axis=2)
            top = beta.max(axis=2)
            safe = np.where(top > 0, top, 1.0)
            beta = beta / safe[:, :, None]
            log_scale = log_scale + np.where(top > 0, np.log(safe), -np.inf)
        return np.log(beta[:, 0, :].mean(axis=1)) + log_scale[:, 0]


def next_token_entropy(
    model: RandomHierarchyModel,
    context: int,
    position: int | None = None,
    n_samples: int = 20000,
    seed: int = 0,
    exact_limit: int = 1 << 17,
    chunk: int = 8192,
) -> tuple[float, float]:
    """``H(x_t | x_{t-c} .. x_{t-1})``: the entropy (nats) of token ``t`` given the ``c`` tokens before it.

    This is the lowest test loss a next-token predictor that reads ``c`` tokens of context
    can reach at position ``t`` (default: the last token of the sentence). It is exact
    when the grammar has at most ``exact_limit`` sentences (all of them enumerated and
    weighted by their probability); otherwise it is a Monte Carlo mean of
    ``-ln P(x_t | context)`` over ``n_samples`` sampled sentences, each term exact
    (:func:`log_likelihood`), with its standard error.

    Returns
    -------
    (entropy, standard error)
        The error is 0 for the exact enumeration.
    """
    n = model.n_positions
    t = n - 1 if position is None else int(position)
    if not 0 <= t < n:
        raise InvalidParameterError(f"position must lie in [0, {n}), got {position!r}.")
    c = min(int(context), t)
    if c < 0:
        raise InvalidParameterError(f"context must be >= 0, got {context!r}.")
    window = np.zeros(n, dtype=bool)
    window[t - c : t] = True
    both = window.copy()
    both[t] = True
    exact = model.P_max <= exact_limit
    total = model.P_max if exact else int(n_samples)
    values, weights = [], []
    for lo in range(0, total, chunk):
        hi = min(total, lo + chunk)
        if exact:
            tokens = model.from_indices(np.arange(lo, hi, dtype=np.int64)).ids()
            weight = np.exp(log_likelihood(model, tokens)) if not model.uniform else np.full(hi - lo, 1.0 / model.P_max)
        else:
            tokens = model.sample(hi - lo, seed=np.random.default_rng([seed, lo])).ids()
            weight = np.full(hi - lo, 1.0 / total)
        values.append(log_likelihood(model, tokens, window) - log_likelihood(model, tokens, both))
        weights.append(weight)
    v, w = np.concatenate(values), np.concatenate(weights)
    mean = float(np.sum(w * v) / np.sum(w))
    error = 0.0 if exact else float(np.std(v) / math.sqrt(v.size))
    return mean, error


def loss_plateaus(model: RandomHierarchyModel, **kwargs: Any) -> dict[str, np.ndarray]:
    """The last token's entropy given its subtree of height ``l`` (``s**l - 1`` tokens of context), l = 0..L.

    A next-token learner that has resolved the correlations up to height ``l`` (past the
    step at ``P_l``, :func:`loss_steps`) sits on the plateau ``H_l``; ``H_0`` is the
    entropy of the last token alone, ``H_L`` the entropy given the whole sentence.

    Returns
    -------
    dict with ``height`` (L + 1,), ``context`` (L + 1,), ``entropy`` (L + 1,), ``error`` (L + 1,).
    """
    heights = np.arange(model.L + 1)
    context = model.s**heights - 1
    pairs = [next_token_entropy(model, int(c), **kwargs) for c in context]
    return {
        "height": heights,
        "context": context,
        "entropy": np.array([p[0] for p in pairs]),
        "error": np.array([p[1] for p in pairs]),
    }


def positional_entropies(model: RandomHierarchyModel, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """``H(x_t | x_0 .. x_{t-1})`` for every position ``t`` of the sentence: values and errors, shape (s**L,).

    The per-position loss of a perfect next-token predictor (the sentence starts fresh:
    position 0 has no context).
    """
    pairs = [next_token_entropy(model, t, position=t, **kwargs) for t in range(model.n_positions)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


# -- empirical counterparts -----------------------------------------------------------------
def empirical_covariance(tokens: np.ndarray, i: int, j: int, v: int) -> np.ndarray:
    """Covariance of tokens ``i`` and ``j`` counted over sentences ``tokens`` (P, n), shape (v, v)."""
    tokens = np.asarray(tokens)
    P = tokens.shape[0]
    joint = np.bincount(tokens[:, i].astype(np.int64) * v + tokens[:, j], minlength=v * v).reshape(v, v) / P
    return joint - np.outer(joint.sum(axis=1), joint.sum(axis=0))


def covariance_noise(joint: np.ndarray, n_samples: int) -> np.ndarray:
    """Variance of each empirical covariance entry from ``n_samples`` draws (delta method), shape (v, v).

    For ``C = J - p q^T`` estimated by counts, ``Var(C_ij) = Var(Z) / P`` with
    ``Z = 1[x = i, y = j] - q_j 1[x = i] - p_i 1[y = j]``; near-uniform marginals give
    about ``(1 - 2/v) / (v**2 P)``, the sampling floor squared.
    """
    J = np.asarray(joint, dtype=np.float64)
    p, q = J.sum(axis=1)[:, None], J.sum(axis=0)[None, :]
    second = J + p * q * (p + q) - 2 * J * (p + q) + 2 * p * q * J
    return np.clip(second - (J - 2 * p * q) ** 2, 0, None) / n_samples


def empirical_mean_square_covariance(tokens: np.ndarray, pairs: np.ndarray, v: int, debias: bool = False) -> np.ndarray:
    """Mean over entries of the squared empirical covariance for each pair, shape (n_pairs,).

    With ``debias`` the estimated sampling variance (:func:`covariance_noise`) is
    subtracted, giving an unbiased estimate of the exact mean square (it may be negative
    where the covariance is below the sampling floor).
    """
    tokens = np.asarray(tokens)
    P = tokens.shape[0]
    out = np.empty(len(pairs))
    for k, (i, j) in enumerate(pairs):
        joint = (
            np.bincount(tokens[:, int(i)].astype(np.int64) * v + tokens[:, int(j)], minlength=v * v).reshape(v, v) / P
        )
        cov = joint - np.outer(joint.sum(axis=1), joint.sum(axis=0))
        out[k] = np.mean(cov**2) - (np.mean(covariance_noise(joint, P)) if debias else 0.0)
    return out


def empirical_covariance_by_level(
    tokens: np.ndarray, model: RandomHierarchyModel, pairs: list[np.ndarray]
) -> np.ndarray:
    """Empirical rms covariance for each list of pairs (e.g. ``covariance_by_level()['pairs']``), shape (len(pairs),)."""
    return np.array([np.sqrt(empirical_mean_square_covariance(tokens, p, model.v).mean()) for p in pairs])


def tokens_of_corpus(corpus: Any, n_positions: int) -> np.ndarray:
    """All sentences of a fixed-length grammar corpus as a (n_docs, n_positions) array of ids."""
    chunks = []
    for tokens, offsets in corpus.iter_chunks():
        if np.any(np.diff(offsets) != n_positions):
            raise InvalidParameterError(f"every document must have {n_positions} tokens to form a sentence matrix.")
        chunks.append(np.asarray(tokens).reshape(-1, n_positions))
    return np.concatenate(chunks)
