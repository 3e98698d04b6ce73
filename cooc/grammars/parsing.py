"""Exact parsing of the varying-tree grammar: the inside (CYK) pass, parse counts and ambiguity.

In the varying-tree grammar (arXiv 2602.06065; docs/science.md, section 6) a sentence is
*globally ambiguous* when more than one derivation tree produces it. Derivation trees are
labelled: two trees differ when their shapes differ (where the binary and ternary
productions were used) or when a node's symbol differs. Since no tuple of symbols has two
parents, two trees with the same shape give the same labels, so here ambiguity always means
several shapes (bracketings) of one string.

The inside pass runs level by level, from the tokens (level ``L``) to the class (level
0). Every leaf of this grammar sits ``L`` levels below the root, so a level-``l`` symbol
spans between ``2**(L-l)`` and ``3**(L-l)`` tokens, and only spans of those lengths are
kept; at level 0 only the whole sentence is. The chart is sparse (dictionaries of
``symbol -> (count, weight)`` per span) because rules are found by a reverse lookup of
the child tuple, never by scanning all symbols, so the cost follows the number of local
parses instead of ``v**4``. For each sentence the pass returns, exactly:

- the number of derivation trees (a Python integer, stored as float64 in the result:
  exact below ``2**53``);
- the number of those trees whose root is ``a``, for every class ``a`` (a sentence is
  *class-ambiguous* when trees with different roots produce it);
- ``log P(sentence, class = a)`` for every class ``a``: the inside probability of the root
  symbol ``a`` times its prior ``1 / v``, so the posterior ``P(class | sentence)`` and the
  error of the Bayes-optimal classifier follow.

Inside probabilities are carried as logarithms. A tree has one rule per internal node, and
a depth-``L`` sentence has about ``2.5**L`` of them, each of probability ``(1 - p2) / m3`` or
``p2 / m2``; at ``v = 16`` and ``L = 6`` their product is below ``1e-500``, so plain
floating point would return zero for every class (and a posterior of NaN) there.

This is plain Python over the sparse chart (about a millisecond per sentence for ``L = 3``),
meant for thousands of sentences, not millions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.params import Interval, validate
from ._random import Seed
from .pcfg import Derivations, VaryingTreeGrammar


@dataclass
class InsideResult:
    """Exact parse statistics of a batch of sentences.

    Attributes
    ----------
    class_parses : float64 ndarray of shape (n, v)
        Number of derivation trees of each sentence whose root (class) is ``a``.
    log_joint : float64 ndarray of shape (n, v)
        ``log P(sentence, class = a)`` under the grammar's probabilities (``-inf`` where
        no tree has root ``a``).
    """

    class_parses: np.ndarray
    log_joint: np.ndarray

    @property
    def n_parses(self) -> np.ndarray:
        """Number of derivation trees of each sentence (0 for a string outside the language), shape (n,)."""
        return self.class_parses.sum(axis=1)

    @property
    def joint(self) -> np.ndarray:
        """``P(sentence, class = a)``, shape (n, v); underflows to 0 for long sentences, see ``log_joint``."""
        return np.exp(self.log_joint)

    @property
    def log_probability(self) -> np.ndarray:
        """``log P(sentence)``, shape (n,); ``-inf`` for strings outside the language."""
        with np.errstate(divide="ignore"):
            return np.logaddexp.reduce(self.log_joint, axis=1)

    @property
    def probability(self) -> np.ndarray:
        """``P(sentence)``, shape (n,); underflows to 0 for long sentences, see ``log_probability``."""
        return np.exp(self.log_probability)

    @property
    def ambiguous(self) -> np.ndarray:
        """Whether each sentence has more than one derivation tree, shape (n,)."""
        return self.n_parses > 1

    @property
    def class_ambiguous(self) -> np.ndarray:
        """Whether trees with different roots produce each sentence, shape (n,)."""
        return (self.class_parses > 0).sum(axis=1) > 1

    def posterior(self) -> np.ndarray:
        """``P(class | sentence)``, shape (n, v); rows of strings outside the language are NaN."""
        total = self.log_probability[:, None]
        inside = np.isfinite(total)
        with np.errstate(invalid="ignore"):
            return np.where(inside, np.exp(self.log_joint - np.where(inside, total, 0.0)), np.nan)

    def bayes_error(self) -> np.ndarray:
        """Error of the Bayes-optimal classifier on each sentence, ``1 - max_a P(a | sentence)``, shape (n,)."""
        return 1.0 - self.posterior().max(axis=1)


class InsideParser:
    """The inside (CYK) pass of a :class:`~cooc.grammars.pcfg.VaryingTreeGrammar`.

    Parameters
    ----------
    grammar : VaryingTreeGrammar
    """

    def __init__(self, grammar: VaryingTreeGrammar):
        if not isinstance(grammar, VaryingTreeGrammar):
            raise InvalidParameterError(
                f"InsideParser: parameter 'grammar' must be a VaryingTreeGrammar, got {type(grammar).__name__}."
            )
        self.grammar = grammar
        p2, p3 = math.log(grammar.p2 / grammar.m2), math.log((1 - grammar.p2) / grammar.m3)
        # reverse lookup per level: child tuple -> (parent, log rule probability); a tuple has one parent at most
        self._lookup: list[dict[tuple[int, ...], tuple[int, float]]] = []
        for l in range(grammar.L):
            table: dict[tuple[int, ...], tuple[int, float]] = {}
            for rules, p in ((grammar.binary[l], p2), (grammar.ternary[l], p3)):
                for a in range(grammar.v):
                    for rhs in rules[a]:
                        table[tuple(int(x) for x in rhs)] = (a, p)
            self._lookup.append(table)

    def parse(self, sentences: Derivations | Sequence[Sequence[int]]) -> InsideResult:
        """Parse counts and class likelihoods of each sentence.

        Parameters
        ----------
        sentences : Derivations or sequence of int sequences
            Token ids in ``[0, v)``.

        Returns
        -------
        InsideResult
        """
        rows = (
            [sentences.sentence(i) for i in range(len(sentences))] if isinstance(sentences, Derivations) else sentences
        )
        v = self.grammar.v
        counts = np.zeros((len(rows), v), dtype=np.float64)
        log_joint = np.full((len(rows), v), -np.inf, dtype=np.float64)
        for r, tokens in enumerate(rows):
            top = self._inside([int(t) for t in tokens])
            for a, (count, log_weight) in top.items():
                counts[r, a] = count
                log_joint[r, a] = log_weight - math.log(v)
        return InsideResult(counts, log_joint)

    def _inside(self, tokens: list[int]) -> dict[int, tuple[int, float]]:
        """``symbol -> (number of trees, log inside probability)`` of the level-0 span covering ``tokens``."""
        L, n = self.grammar.L, len(tokens)
        if n < 2**L or n > 3**L or min(tokens, default=0) < 0 or max(tokens, default=0) >= self.grammar.v:
            return {}
        # chart of the level below, indexed by start: start -> [(end, {symbol: (count, weight)})]
        below: dict[int, list[tuple[int, dict[int, tuple[int, float]]]]] = {
            i: [(i + 1, {t: (1, 0.0)})] for i, t in enumerate(tokens)
        }
        for l in reversed(range(L)):
            lo, hi = 2 ** (L - l), 3 ** (L - l)
            lookup = self._lookup[l]
            spans: dict[tuple[int, int], dict[int, tuple[int, float]]] = {}
            whole = l == 0  # the class spans the whole sentence
            for i, firsts in below.items():
                if whole and i:
                    continue
                for k, left in firsts:
                    for j, right in below.get(k, ()):
                        if lo <= j - i <= hi and (j == n or not whole):
                            _combine(spans, (i, j), lookup, (left, right))
                        for end, third in below.get(j, ()):
                            if lo <= end - i <= hi and (end == n or not whole):
                                _combine(spans, (i, end), lookup, (left, right, third))
            if l == 0:
                return spans.get((0, n), {})
            below = {}
            for (i, j), table in spans.items():
                below.setdefault(i, []).append((j, table))
        return {}  # pragma: no cover - the loop returns at level 0


def _combine(
    spans: dict[tuple[int, int], dict[int, tuple[int, float]]],
    key: tuple[int, int],
    lookup: dict[tuple[int, ...], tuple[int, float]],
    children: tuple[dict[int, tuple[int, float]], ...],
) -> None:
    """Add every parent of a product of child symbols to ``spans[key]`` (weights are log probabilities)."""
    combos: list[tuple[tuple[int, ...], int, float]] = [((), 1, 0.0)]
    for child in children:
        combos = [(syms + (b,), c * cb, w + wb) for syms, c, w in combos for b, (cb, wb) in child.items()]
    for syms, count, weight in combos:
        found = lookup.get(syms)
        if found is None:
            continue
        a, log_p = found
        table = spans.setdefault(key, {})
        weight += log_p
        if a in table:
            old_count, old = table[a]
            high, low = (old, weight) if old >= weight else (weight, old)
            table[a] = (old_count + count, high + math.log1p(math.exp(low - high)))
        else:
            table[a] = (count, weight)


def ambiguity(grammar: VaryingTreeGrammar, n: int = 1000, seed: Seed = 0) -> dict[str, Any]:
    """Fraction of globally ambiguous sentences and the Bayes-optimal error, from ``n`` sampled sentences.

    Parameters
    ----------
    grammar : VaryingTreeGrammar
    n : int
        Sentences drawn from the grammar (i.i.d.).
    seed : int, Generator or None

    Returns
    -------
    dict with ``fraction`` (of sentences with more than one tree) and its binomial standard
    error ``fraction_se``, ``class_fraction`` (of sentences whose trees have different roots)
    and ``class_fraction_se``, ``mean_parses``, ``bayes_error`` (mean over sentences of
    ``1 - max_a P(class a | sentence)``, exact per sentence) and ``bayes_error_se``.
    """
    validate({"n": n}, {"n": Interval(int, 1, None)}, "ambiguity")
    result = InsideParser(grammar).parse(grammar.sample(n, seed=seed))
    if (result.n_parses < 1).any():  # every sampled sentence has at least its own tree
        raise AssertionError("the inside pass missed the tree of a sampled sentence")  # pragma: no cover
    fraction = float(result.ambiguous.mean())
    class_fraction = float(result.class_ambiguous.mean())
    bayes = result.bayes_error()
    return {
        "f": grammar.f,
        "n": n,
        "fraction": fraction,
        "fraction_se": float(np.sqrt(fraction * (1 - fraction) / n)),
        "class_fraction": class_fraction,
        "class_fraction_se": float(np.sqrt(class_fraction * (1 - class_fraction) / n)),
        "mean_parses": float(result.n_parses.mean()),
        "bayes_error": float(bayes.mean()),
        "bayes_error_se": float(bayes.std() / np.sqrt(n)),
    }


__all__ = ["InsideParser", "InsideResult", "ambiguity"]
