"""Probabilistic context-free grammars: a general vectorised sampler and the varying-tree grammar.

:class:`PCFG` takes rules and probabilities explicitly, so users can write their own
grammars; every sentence is drawn with its derivation tree. :class:`VaryingTreeGrammar`
(arXiv 2602.06065, docs/science.md, section 6) is a PCFG in which each level-``l`` symbol owns
``m2 = f v`` binary and ``m3 = f v**2`` ternary productions (drawn without replacement
across the level, so no tuple has two parents), a binary rule being used with probability
``p2`` (default 1/2, the paper's notation) and a ternary one with ``1 - p2``: every leaf sits
at depth ``L`` but the tree shape varies, and sentences have between ``2**L`` and ``3**L`` tokens.

Sampling expands all sentences at once, one tree level per step: a frontier of symbols
(flat, sentence by sentence, left to right) is replaced by the right-hand sides of rules
drawn for its non-terminals, while terminals pass through.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, validate
from ._random import Seed, categorical_rows, numpy_rng
from .rhm import MAX_TOKENS


@dataclass
class Derivations:
    """Sentences with their derivation trees, flat over sentences.

    Attributes
    ----------
    tokens : int64 ndarray of shape (n_tokens,)
        Terminal ids (index into ``PCFG.terminals``), sentences concatenated.
    offsets : int64 ndarray of shape (n + 1,)
        Sentence ``i`` is ``tokens[offsets[i]:offsets[i + 1]]``.
    node_symbol : int64 ndarray of shape (n_nodes,)
        Every node of every tree: a non-terminal id ``k`` as ``k``, a terminal id ``t``
        as ``n_nonterminals + t``; nodes are grouped by sentence, parents before children.
    node_parent : int64 ndarray of shape (n_nodes,)
        Index of the parent node within its sentence's node list, -1 for the root.
    node_offsets : int64 ndarray of shape (n + 1,)
        Sentence ``i`` owns nodes ``node_offsets[i]:node_offsets[i + 1]``.
    """

    tokens: np.ndarray
    offsets: np.ndarray
    node_symbol: np.ndarray
    node_parent: np.ndarray
    node_offsets: np.ndarray

    def __len__(self) -> int:
        return self.offsets.size - 1

    def sentence(self, i: int) -> np.ndarray:
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


class PCFG:
    """A probabilistic context-free grammar with a vectorised sampler.

    Parameters
    ----------
    rules : mapping from str to a sequence of (rhs, probability)
        For each non-terminal, its productions: ``rhs`` a sequence of symbol names
        (non-terminals or terminals), probabilities summing to 1 (within 1e-9).
    start : str or mapping from str to float
        The start symbol, or a distribution over start symbols.
    terminals : sequence of str, optional
        Terminal names in id order; default: every right-hand-side symbol that has no
        rules, in order of first appearance.
    max_depth : int
        Refuse derivations deeper than this (a grammar that does not terminate).

    Attributes
    ----------
    nonterminals, terminals : list of str
    """

    def __init__(
        self,
        rules: Mapping[str, Sequence[tuple[Sequence[str], float]]],
        start: str | Mapping[str, float],
        terminals: Sequence[str] | None = None,
        max_depth: int = 100,
    ):
        validate({"max_depth": max_depth}, {"max_depth": Interval(int, 1, None)}, "PCFG")
        if not isinstance(rules, Mapping) or not rules:
            raise InvalidParameterError(
                "PCFG: parameter 'rules' must be a non-empty mapping of non-terminal -> productions."
            )
        self._check_right_hand_sides(rules)
        self.nonterminals = [str(k) for k in rules]
        index = {name: i for i, name in enumerate(self.nonterminals)}
        seen = [str(sym) for prods in rules.values() for rhs, _ in prods for sym in rhs if str(sym) not in index]
        self.terminals = list(dict.fromkeys(seen)) if terminals is None else [str(t) for t in terminals]
        missing = set(seen) - set(self.terminals)
        if missing or set(self.terminals) & set(index):
            raise InvalidParameterError(
                f"PCFG: terminals must list every symbol without rules and no non-terminal; "
                f"missing {sorted(missing)[:5]}."
            )
        index.update({t: len(self.nonterminals) + j for j, t in enumerate(self.terminals)})
        self._index = index
        self.max_depth = int(max_depth)
        self._build_tables(rules)
        self.start_probs = self._start_distribution(start)

    @staticmethod
    def _check_right_hand_sides(rules: Mapping[str, Sequence[tuple[Sequence[str], float]]]) -> None:
        """Refuse a right-hand side given as a bare string: iterating it would make each character a symbol."""
        for name, prods in rules.items():
            for rhs, _ in prods:
                if isinstance(rhs, (str, bytes)):
                    raise InvalidParameterError(
                        f"PCFG: a production of {str(name)!r} in parameter 'rules' gives its right-hand side as the "
                        f"string {rhs!r}; it must be a sequence of symbol names, e.g. {str(rhs).split()!r}."
                    )

    def _build_tables(self, rules: Mapping[str, Sequence[tuple[Sequence[str], float]]]) -> None:
        n = len(self.nonterminals)
        lhs, rhs_list, probs = [], [], []
        for k, name in enumerate(self.nonterminals):
            prods = list(rules[name])
            p = np.array([float(pr) for _, pr in prods], dtype=np.float64)
            if not prods or not np.isfinite(p).all() or (p < 0).any() or abs(p.sum() - 1) > 1e-9:
                raise InvalidParameterError(
                    f"PCFG: the productions of {name!r} in parameter 'rules' must have finite, non-negative "
                    f"probabilities summing to 1, got {p.tolist()!r} (sum {float(p.sum())!r})."
                )
            for rhs, pr in prods:
                if len(rhs) == 0:
                    raise InvalidParameterError(
                        f"PCFG: a production of {name!r} is empty; empty productions are not supported."
                    )
                lhs.append(k)
                rhs_list.append([self._index[str(sym)] for sym in rhs])
                probs.append(float(pr))
        width = max(len(r) for r in rhs_list)
        self.rule_lhs = np.asarray(lhs, dtype=np.int64)
        self.rule_len = np.asarray([len(r) for r in rhs_list], dtype=np.int64)
        self.rule_rhs = np.full((len(rhs_list), width), -1, dtype=np.int64)
        for i, r in enumerate(rhs_list):
            self.rule_rhs[i, : len(r)] = r
        self.rule_prob = np.asarray(probs)
        counts = np.bincount(self.rule_lhs, minlength=n)
        self.rule_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        cum = np.ones((n, counts.max()))
        for k in range(n):
            cum[k, : counts[k]] = np.cumsum(self.rule_prob[self.rule_start[k] : self.rule_start[k] + counts[k]])
            cum[k, counts[k] - 1 :] = 1.0  # rounding must never select a padding column
        self._cum = cum

    def _start_distribution(self, start: str | Mapping[str, float]) -> np.ndarray:
        dist = {start: 1.0} if isinstance(start, str) else dict(start)
        probs = np.zeros(len(self.nonterminals))
        for name, p in dist.items():
            if name not in self._index or self._index[name] >= len(self.nonterminals):
                raise InvalidParameterError(f"PCFG: start symbol {name!r} is not a non-terminal.")
            probs[self._index[name]] = float(p)
        if not np.isfinite(probs).all() or (probs < 0).any() or abs(probs.sum() - 1) > 1e-9:
            raise InvalidParameterError(
                f"PCFG: parameter 'start' must give finite, non-negative probabilities summing to 1, "
                f"got {dist!r} (sum {float(probs.sum())!r})."
            )
        return probs

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> PCFG:
        """Read ``{"start": ..., "rules": {"A": [[["B", "c"], 0.5], ...]}, "terminals": [...]}``."""
        from .._core.io import load_json

        spec = load_json(path, "grammar")
        try:
            rules = {  # a string stays a string: the constructor refuses it (list() would split its letters)
                lhs: [(rhs if isinstance(rhs, str) else list(rhs), float(p)) for rhs, p in prods]
                for lhs, prods in spec["rules"].items()
            }
            return cls(rules, spec["start"], spec.get("terminals"), spec.get("max_depth", 100))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InvalidParameterError):
                raise
            raise InputDataError(
                f"grammar file {str(path)!r} must hold 'start' and 'rules' (lhs -> [[rhs symbols], probability]); {exc}"
            ) from None

    def to_json(self) -> str:
        rules: dict[str, list] = {name: [] for name in self.nonterminals}
        names = self.nonterminals + self.terminals
        for r in range(self.rule_lhs.size):
            rhs = [names[s] for s in self.rule_rhs[r, : self.rule_len[r]]]
            rules[self.nonterminals[self.rule_lhs[r]]].append([rhs, float(self.rule_prob[r])])
        start = {self.nonterminals[k]: float(p) for k, p in enumerate(self.start_probs) if p > 0}
        return json.dumps({"start": start, "rules": rules, "terminals": self.terminals, "max_depth": self.max_depth})

    # -- sampling -------------------------------------------------------------------------
    def sample(self, n: int, seed: Seed = None) -> Derivations:
        """Draw ``n`` sentences with their derivation trees."""
        validate({"n": n}, {"n": Interval(int, 1, None)}, "sample")
        rng = numpy_rng(seed)
        n_nt = len(self.nonterminals)
        start_cum = np.cumsum(self.start_probs)[None, :]
        symbol = categorical_rows(np, start_cum, np.zeros(n, dtype=np.int64), rng.random(n))
        sentence = np.arange(n, dtype=np.int64)
        node = np.arange(n, dtype=np.int64)  # global node id of each frontier item
        node_symbol, node_parent, node_sentence = [symbol], [np.full(n, -1, dtype=np.int64)], [sentence]
        n_nodes = n
        for _ in range(self.max_depth):
            open_ = symbol < n_nt
            if not open_.any():
                break
            rule = np.zeros(symbol.size, dtype=np.int64)
            local = categorical_rows(np, self._cum, symbol[open_], rng.random(int(open_.sum())))
            rule[open_] = self.rule_start[symbol[open_]] + local
            length = np.where(open_, self.rule_len[rule], 1)
            parent_item = np.repeat(np.arange(symbol.size), length)
            slot = np.arange(parent_item.size) - np.repeat(np.cumsum(length) - length, length)
            expanded = open_[parent_item]
            new_symbol = np.where(expanded, self.rule_rhs[rule[parent_item], slot], symbol[parent_item])
            new_node = node[parent_item].copy()
            fresh = np.flatnonzero(expanded)
            new_node[fresh] = n_nodes + np.arange(fresh.size)
            n_nodes += fresh.size
            node_symbol.append(new_symbol[fresh])
            node_parent.append(node[parent_item][fresh])
            node_sentence.append(sentence[parent_item][fresh])
            symbol, node, sentence = new_symbol, new_node, sentence[parent_item]
        else:
            if (symbol < n_nt).any():
                raise InputDataError(
                    f"PCFG: some derivations are deeper than max_depth = {self.max_depth}; "
                    "the grammar may not terminate (raise max_depth or lower recursive probabilities)."
                )
        offsets = np.concatenate([[0], np.cumsum(np.bincount(sentence, minlength=n))]).astype(np.int64)
        return Derivations(symbol - n_nt, offsets, *self._group_nodes(node_symbol, node_parent, node_sentence, n))

    @staticmethod
    def _group_nodes(
        symbols: list[np.ndarray], parents: list[np.ndarray], sentences: list[np.ndarray], n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Order the global node list by sentence (stable, so parents stay first) and localise parent indices."""
        symbol, parent, sentence = (np.concatenate(a) for a in (symbols, parents, sentences))
        order = np.argsort(sentence, kind="stable")
        node_offsets = np.concatenate([[0], np.cumsum(np.bincount(sentence, minlength=n))]).astype(np.int64)
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        local = np.where(parent >= 0, position[np.maximum(parent, 0)] - node_offsets[sentence], -1)
        return symbol[order], local[order], node_offsets


class VaryingTreeGrammar:
    """Binary and ternary productions with uniform leaf depth (arXiv 2602.06065).

    Parameters
    ----------
    v : int
        Symbols per level (and terminal vocabulary size); the level-0 symbol is the class.
    f : float in (0, 1]
        Ambiguity: each symbol has ``m2 = round(f v)`` binary and ``m3 = round(f v**2)``
        ternary productions (both at least 1).
    L : int
        Depth: every leaf is ``L`` levels below the root.
    rule_seed : int
    p2 : float in (0, 1)
        Probability that a node uses a binary production (uniform among its ``m2``); a
        ternary one is used with ``1 - p2``. A node has ``2 p2 + 3 (1 - p2)`` children on average.

    Attributes
    ----------
    m2, m3 : int
    grammar : PCFG
        The underlying grammar: non-terminal ``"l{level}_s{symbol}"``, terminal ``"s{symbol}"``.
    binary, ternary : list of L arrays
        ``binary[l]`` of shape (v, m2, 2) and ``ternary[l]`` of shape (v, m3, 3): the rules of level ``l``.
    """

    _constraints = {
        "v": Interval(int, 2, None),
        "f": Interval(float, 0, 1, "right"),
        "L": Interval(int, 1, None),
        "rule_seed": Interval(int, 0, None),
        "p2": Interval(float, 0, 1, "neither"),
    }

    def __init__(self, v: int, f: float, L: int, rule_seed: int = 0, p2: float = 0.5):
        validate(dict(v=v, f=f, L=L, rule_seed=rule_seed, p2=p2), self._constraints, type(self).__name__)
        self.v, self.f, self.L, self.rule_seed, self.p2 = int(v), float(f), int(L), int(rule_seed), float(p2)
        if self.L * math.log2(3) > math.log2(MAX_TOKENS):
            raise InvalidParameterError(
                f"{type(self).__name__}: depth L = {self.L} gives sentences of up to 3**L tokens; at most "
                f"{MAX_TOKENS:,} are allowed (L <= {int(math.log(MAX_TOKENS, 3))})."
            )
        self.m2, self.m3 = int(round(f * v)), int(round(f * v * v))
        if self.m2 < 1:
            raise InvalidParameterError(
                f"f = {f} gives m2 = round(f v) = 0 binary rules; f must be at least 1/(2v) = {1 / (2 * v):.3g}."
            )
        from .rhm import draw_rules

        streams = np.random.SeedSequence(self.rule_seed).spawn(2)
        seeds = [int(s.generate_state(1)[0]) for s in streams]
        self.binary = draw_rules(self.v, [self.v] * self.L, self.m2, 2, seeds[0], np.int64)
        self.ternary = draw_rules(self.v, [self.v] * self.L, self.m3, 3, seeds[1], np.int64)
        self.grammar = PCFG(
            self._rules(),
            {f"l0_s{a}": 1.0 / self.v for a in range(self.v)},
            terminals=[f"s{a}" for a in range(self.v)],
            max_depth=self.L + 1,
        )

    def params(self) -> dict[str, Any]:
        return dict(v=self.v, f=self.f, L=self.L, rule_seed=self.rule_seed, p2=self.p2)

    def _rules(self) -> dict[str, list]:
        def name(level: int, symbol: int) -> str:
            return f"s{symbol}" if level == self.L else f"l{level}_s{symbol}"

        rules = {}
        for l in range(self.L):
            for a in range(self.v):
                prods = [([name(l + 1, c) for c in rhs], self.p2 / self.m2) for rhs in self.binary[l][a]]
                prods += [([name(l + 1, c) for c in rhs], (1 - self.p2) / self.m3) for rhs in self.ternary[l][a]]
                rules[name(l, a)] = prods
        return rules

    def sample(self, n: int, seed: Seed = None) -> Derivations:
        """Draw ``n`` sentences (lengths vary between ``2**L`` and ``3**L``) with their trees."""
        return self.grammar.sample(n, seed)

    def classes(self, derivations: Derivations) -> np.ndarray:
        """The level-0 symbol (class) of each sentence, shape (n,)."""
        return derivations.node_symbol[derivations.node_offsets[:-1]]  # non-terminal "l0_s{a}" has id a
