"""Self-supervised recovery of an RHM's latent tree by clustering tuples on what they predict.

Following arXiv 2605.27734 (docs/science.md, section 6): synonymous s-tuples (tuples produced
by one symbol) have the same conditional distribution of everything outside their subtree,
so grouping tuples by their correlations with a *context* recovers their parent symbols,
the level-1 latents, without labels. Doing it again on the sequence of recovered latents
gives the level-2 latents, and so on up to the children of the root (the root itself has
no context within the sentence). What is predicted decides the sample complexity:

- ``target="latent"`` (learn from your own latents): at level k the tuples of level-(k-1)
  latents are grouped by the latents of their *cousins*, the elements of the sibling
  patches (tree distance 3 from the tuple's parent). The correlation, hence the number of
  sentences needed, does not depend on the level: about ``m**3`` (times v), whatever L;
- ``target="token"`` (token-level self-supervision): the same tuples are grouped by the
  *tokens* under the sibling patches, whose correlation with the tuple weakens by a factor
  about ``m`` per level: the top level needs about ``m**(L+1)``.

The algorithm (the paper's iterative latent clustering, with the choices below ours):
for each level, every patch of ``s`` consecutive symbols is a tuple; for each tuple value
its *profile* is the empirical conditional distribution of each context slot (the tuple's
place in its group of siblings, the sibling's place, the element in that sibling), minus the
marginal distribution of that slot; the profiles are projected on their top
``n_latents`` singular directions (rows weighted by the square root of their counts) and
split into ``n_latents`` groups by k-means weighted by the counts (scikit-learn, several
restarts). Counts are pooled over all patches of a level (the rules of a level are the same
at every position, as a convolution shares its weights). A tuple never seen in training has
no latent (-1), and neither has any ancestor of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..._core.errors import InputDataError, InvalidParameterError
from ..._core.params import Interval, OneOf, validate

TARGETS = ("latent", "token")


class LatentClustering:
    """Iterative clustering of tuples by their context: a self-supervised latent-tree learner.

    Parameters
    ----------
    s : int
        Tuple length (the grammar's branching factor).
    n_latents : int
        Latent symbols per level (the grammar's ``v``).
    levels : int
        Levels to recover (at most ``L - 1`` for sentences of ``s**L`` tokens).
    target : {"latent", "token"}
        The context predicted (module notes).
    n_init : int
        k-means restarts.
    seed : int

    Attributes
    ----------
    tables_ : list of int ndarrays
        ``tables_[k]`` maps the code of a tuple of level-``k`` symbols (base ``n_symbols``,
        first symbol most significant) to its latent in ``[0, n_latents)``, or -1 (unseen).
    n_symbols_ : list of int
        Alphabet size of each level's input (``v`` for the tokens, then ``n_latents``).
    """

    _constraints = {
        "s": Interval(int, 2, None),
        "n_latents": Interval(int, 2, None),
        "levels": Interval(int, 1, None),
        "target": OneOf(TARGETS),
        "n_init": Interval(int, 1, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(self, s: int, n_latents: int, levels: int, target: str = "latent", n_init: int = 4, seed: int = 0):
        self.s, self.n_latents, self.levels, self.target, self.n_init, self.seed = (
            s,
            n_latents,
            levels,
            target,
            n_init,
            seed,
        )

    def fit(self, tokens: Any, v: int | None = None) -> LatentClustering:
        """Learn the tuple -> latent tables of every level from token strings (P, s**L), ids in ``[0, v)``."""
        validate(self.__dict__, self._constraints, type(self).__name__)
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim != 2 or tokens.shape[0] < 1:
            raise InputDataError(f"tokens must have shape (P, s**L), got {tokens.shape}.")
        L = _depth(tokens.shape[1], self.s)
        if self.levels > L - 1:
            raise InvalidParameterError(
                f"LatentClustering: levels = {self.levels} exceeds L - 1 = {L - 1} for sentences of {tokens.shape[1]} tokens."
            )
        v = int(tokens.max()) + 1 if v is None else int(v)
        self.tables_, self.n_symbols_ = [], []
        current, alphabet = tokens, v
        for level in range(self.levels):
            context = current if self.target == "latent" else tokens
            context_alphabet = alphabet if self.target == "latent" else v
            table = self._cluster(current, alphabet, context, context_alphabet, level)
            self.tables_.append(table)
            self.n_symbols_.append(alphabet)
            current = apply_table(table, current, self.s, alphabet)
            alphabet = self.n_latents
        return self

    def transform(self, tokens: Any) -> list[np.ndarray]:
        """The recovered latents of every level: ``out[k]`` of shape (P, s**(L - k - 1)), -1 where unknown."""
        if not hasattr(self, "tables_"):
            raise InvalidParameterError("LatentClustering: call fit before transform.")
        return apply_tables(self.tables_, self.n_symbols_, tokens, self.s)

    def _cluster(self, seq: np.ndarray, A: int, context: np.ndarray, C: int, level: int) -> np.ndarray:
        """The latent of each tuple code of one level, from profiles of its cousins."""
        from sklearn.cluster import KMeans

        counts = context_counts(seq, A, context, C, self.s)
        n_codes = counts.shape[0]
        per_slot = counts.sum(axis=2, keepdims=True)
        seen = per_slot.sum(axis=(1, 2)) > 0
        table = np.full(n_codes, -1, dtype=np.int64)
        if seen.sum() < self.n_latents:
            table[np.flatnonzero(seen)] = np.arange(int(seen.sum()))
            return table
        # marginal of each slot over all tuples; unobserved slots of a tuple carry no information
        marginal = counts.sum(axis=0) / np.maximum(counts.sum(axis=(0, 2))[:, None], 1)
        cond = np.where(per_slot > 0, counts / np.maximum(per_slot, 1), marginal[None])
        rows = (cond - marginal[None]).reshape(n_codes, -1)[seen]
        weight = per_slot.sum(axis=(1, 2))[seen]
        _, _, vt = np.linalg.svd(rows * np.sqrt(weight)[:, None], full_matrices=False)
        embedded = rows @ vt[: self.n_latents].T
        km = KMeans(n_clusters=self.n_latents, n_init=self.n_init, random_state=self.seed + level)
        table[np.flatnonzero(seen)] = km.fit_predict(embedded, sample_weight=weight)
        return table


def context_counts(seq: Any, A: int, context: Any, C: int, s: int) -> np.ndarray:
    """How often each tuple of one level co-occurs with each context symbol in each cousin slot.

    Parameters
    ----------
    seq : int array (P, n)
        Symbols of one level in ``[0, A)``, -1 unknown; ``n`` a multiple of ``s``.
    A : int
        Alphabet of ``seq``.
    context : int array (P, n_ctx)
        The symbols predicted (the level's own symbols, or the tokens), ``n_ctx`` a multiple of
        ``n / s``; -1 unknown.
    C : int
        Alphabet of ``context``.
    s : int

    Returns
    -------
    float ndarray (A**s, s * s * span, C)
        ``counts[code, (p * s + r) * span + t, c]``: patches with base-``A`` code ``code`` at place
        ``p`` in their group of ``s`` siblings whose sibling at place ``r != p`` has ``c`` as its
        ``t``-th context element (``span = n_ctx * s / n`` elements under one patch). Slots with
        ``r == p`` stay zero. Counts are pooled over all groups of a sentence.
    """
    seq, context = np.asarray(seq, dtype=np.int64), np.asarray(context, dtype=np.int64)
    P, n = seq.shape
    codes = _codes(seq, s, A)  # (P, n / s), -1 where unknown
    patches = n // s
    span = context.shape[1] // patches  # context elements under one patch
    ctx = context.reshape(P, patches, span)
    n_codes = A**s
    slots = s * s * span  # (own place p, sibling place r, element t)
    counts = np.zeros(n_codes * slots * C, dtype=np.float64)
    for j in range(patches):
        p, group = j % s, j // s
        own = codes[:, j]
        for r in range(s):
            if r == p:
                continue
            sib = ctx[:, group * s + r]  # (P, span)
            for t in range(span):
                value = sib[:, t]
                ok = (own >= 0) & (value >= 0)
                slot = (p * s + r) * span + t
                index = (own[ok] * slots + slot) * C + value[ok]
                counts += np.bincount(index, minlength=counts.size)
    return counts.reshape(n_codes, slots, C)


def _depth(n: int, s: int) -> int:
    L = round(np.log(n) / np.log(s))
    if s**L != n:
        raise InputDataError(f"sentences of {n} tokens are not s**L long for s = {s}.")
    return L


def _codes(seq: np.ndarray, s: int, A: int) -> np.ndarray:
    """Base-A code of every patch of ``s`` consecutive symbols, -1 if any symbol is unknown."""
    P, n = seq.shape
    groups = seq.reshape(P, n // s, s)
    code = np.zeros((P, n // s), dtype=np.int64)
    for k in range(s):
        code = code * A + np.maximum(groups[:, :, k], 0)
    return np.where((groups >= 0).all(axis=2), code, -1)


def apply_tables(tables: list[np.ndarray], n_symbols: list[int], tokens: Any, s: int) -> list[np.ndarray]:
    """Every level's codes of ``tokens`` through a learner's fitted ``tables`` (:func:`apply_table` per level)."""
    current = np.asarray(tokens, dtype=np.int64)
    out = []
    for table, alphabet in zip(tables, n_symbols):
        current = apply_table(table, current, s, alphabet)
        out.append(current)
    return out


def apply_table(table: np.ndarray, seq: np.ndarray, s: int, A: int) -> np.ndarray:
    codes = _codes(seq, s, A)
    return np.where(codes >= 0, table[np.maximum(codes, 0)], -1)


def matched_accuracy(predicted: Any, true: Any, n_symbols: int) -> float:
    """Fraction of positions whose predicted latent equals the true one under the best one-to-one relabelling.

    Parameters
    ----------
    predicted : int array
        Recovered latents in ``[0, n_symbols)``, -1 for unknown (always wrong).
    true : int array of the same shape
        True symbols in ``[0, n_symbols)``.
    n_symbols : int
    """
    predicted, true = np.asarray(predicted).ravel(), np.asarray(true).ravel().astype(np.int64)
    if predicted.shape != true.shape or predicted.size == 0:
        raise InputDataError("matched_accuracy: predicted and true must be non-empty arrays of one shape.")
    known = predicted >= 0
    confusion = np.zeros((n_symbols, n_symbols), dtype=np.int64)
    np.add.at(confusion, (predicted[known], true[known]), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / predicted.size)


def tree_accuracy(model: Any, tokens: Any, true_levels: list[Any]) -> list[float]:
    """Matched accuracy of every recovered level against the true latents.

    ``model`` is a fitted :class:`LatentClustering` or any learner with its ``transform`` and
    ``n_latents`` (the network of :mod:`~cooc.train.grammar.latent_network`). ``true_levels`` are an :class:`~cooc.grammars.rhm.RHMSample`'s ``levels`` (root first); the
    k-th recovered level (k = 0 the parents of the tokens) is compared with ``levels[L - 1 - k]``.
    """
    recovered = model.transform(tokens)
    L = len(true_levels) - 1
    return [matched_accuracy(rec, true_levels[L - 1 - k], model.n_latents) for k, rec in enumerate(recovered)]


__all__ = [
    "LatentClustering",
    "TARGETS",
    "apply_table",
    "apply_tables",
    "context_counts",
    "matched_accuracy",
    "tree_accuracy",
]
