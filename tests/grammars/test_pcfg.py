"""PCFG sampler (trees, probabilities) and the varying-tree grammar."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.grammars.pcfg import PCFG, VaryingTreeGrammar

TOY = {
    "S": [(["NP", "VP"], 1.0)],
    "NP": [(["the", "N"], 0.7), (["N"], 0.3)],
    "VP": [(["V", "NP"], 0.6), (["V"], 0.4)],
    "N": [(["cat"], 0.5), (["dog"], 0.25), (["fish"], 0.25)],
    "V": [(["sees"], 1.0)],
}


def sentence_probability(grammar: PCFG, words: tuple[str, ...]) -> float:
    """Inside probability by brute-force recursion (reference for tiny grammars)."""
    rules: dict[str, list] = {}
    names = grammar.nonterminals + grammar.terminals
    for r in range(grammar.rule_lhs.size):
        rhs = tuple(names[k] for k in grammar.rule_rhs[r, : grammar.rule_len[r]])
        rules.setdefault(grammar.nonterminals[grammar.rule_lhs[r]], []).append((rhs, grammar.rule_prob[r]))

    @functools.cache
    def inside(symbols: tuple[str, ...], lo: int, hi: int) -> float:
        if not symbols:
            return 1.0 if lo == hi else 0.0
        head, rest = symbols[0], symbols[1:]
        total = 0.0
        for mid in range(lo + 1, hi - len(rest) + 1):
            total += span(head, lo, mid) * inside(rest, mid, hi)
        return total

    @functools.cache
    def span(symbol: str, lo: int, hi: int) -> float:
        if symbol not in rules:
            return 1.0 if hi == lo + 1 and words[lo] == symbol else 0.0
        return sum(p * inside(rhs, lo, hi) for rhs, p in rules[symbol])

    return span("S", 0, len(words))


def test_sentence_frequencies_match_inside_probabilities():
    grammar = PCFG(TOY, "S")
    d = grammar.sample(40000, seed=0)
    names = grammar.terminals
    sentences = [tuple(names[t] for t in d.sentence(i)) for i in range(len(d))]
    values, counts = np.unique(np.array([" ".join(s) for s in sentences]), return_counts=True)
    total_p = 0.0
    for text, count in zip(values, counts):
        p = sentence_probability(grammar, tuple(text.split()))
        total_p += p
        assert abs(count / 40000 - p) < 6 * np.sqrt(p * (1 - p) / 40000) + 1e-4, text
    assert total_p > 0.99  # the observed sentences carry almost all the mass


def test_derivation_trees_are_consistent():
    grammar = PCFG(TOY, "S")
    d = grammar.sample(300, seed=1)
    n_nt = len(grammar.nonterminals)
    for i in range(len(d)):
        lo, hi = d.node_offsets[i], d.node_offsets[i + 1]
        sym, par = d.node_symbol[lo:hi], d.node_parent[lo:hi]
        assert par[0] == -1 and sym[0] == 0 and (par[1:] >= 0).all() and (par[1:] < np.arange(1, hi - lo)).all()
        # each internal node's children spell one of its rules; leaves are the sentence
        for node in range(hi - lo):
            kids = sym[par == node]
            if sym[node] < n_nt:
                rules = [
                    tuple(grammar.rule_rhs[r, : grammar.rule_len[r]])
                    for r in np.flatnonzero(grammar.rule_lhs == sym[node])
                ]
                assert tuple(kids) in rules
            else:
                assert kids.size == 0
        leaves = sym[sym >= n_nt] - n_nt
        np.testing.assert_array_equal(leaves, d.sentence(i))


def test_json_round_trip(tmp_path):
    grammar = PCFG(TOY, "S")
    path = tmp_path / "toy.json"
    path.write_text(grammar.to_json())
    again = PCFG.from_json(path)
    assert again.terminals == grammar.terminals
    np.testing.assert_array_equal(again.sample(50, seed=3).tokens, grammar.sample(50, seed=3).tokens)
    path.write_text(json.dumps({"rules": {}}))
    with pytest.raises(InputDataError, match="must hold 'start' and 'rules'"):
        PCFG.from_json(path)
    path.write_text(json.dumps({"start": "S", "rules": {"S": [["NP VP", 1.0]], "NP": [[["the"], 1.0]]}}))
    with pytest.raises(InvalidParameterError, match=r"right-hand side as the string 'NP VP'"):
        PCFG.from_json(path)  # was the symbols 'N', 'P', ' ', 'V', 'P'


@pytest.mark.parametrize(
    "rules, start, message",
    [
        ({"S": [(["a"], 0.5)]}, "S", "summing to 1"),
        ({"S": [([], 1.0)]}, "S", "empty"),
        ({"S": [(["a"], 1.0)]}, "X", "start symbol 'X'"),
        ({}, "S", "non-empty mapping"),
    ],
)
def test_bad_grammars_are_refused(rules, start, message):
    with pytest.raises(InvalidParameterError, match=message):
        PCFG(rules, start)


def test_non_terminating_grammar_is_reported():
    grammar = PCFG({"S": [(["S", "S"], 0.9), (["a"], 0.1)]}, "S", max_depth=8)
    with pytest.raises(InputDataError, match="deeper than max_depth = 8"):
        grammar.sample(50, seed=0)


def test_varying_tree_rules_and_depth():
    g = VaryingTreeGrammar(v=8, f=3 / 8, L=3, rule_seed=2)
    assert (g.m2, g.m3) == (3, 24)
    for l in range(3):
        pairs = g.binary[l].reshape(-1, 2)
        triples = g.ternary[l].reshape(-1, 3)
        assert len({tuple(p) for p in pairs.tolist()}) == pairs.shape[0]
        assert len({tuple(t) for t in triples.tolist()}) == triples.shape[0]
    d = g.sample(5000, seed=0)
    lengths = d.lengths()
    assert lengths.min() >= 8 and lengths.max() <= 27
    # every leaf at depth L: walk up the parents
    for i in range(20):
        lo, hi = d.node_offsets[i], d.node_offsets[i + 1]
        par, sym = d.node_parent[lo:hi], d.node_symbol[lo:hi]
        depth = np.zeros(hi - lo, dtype=int)
        for node in range(1, hi - lo):
            depth[node] = depth[par[node]] + 1
        assert (depth[sym >= len(g.grammar.nonterminals)] == 3).all()
    # binary and ternary expansions each with probability 1/2: mean children per internal node = 2.5
    n_internal = (d.node_symbol < len(g.grammar.nonterminals)).sum()
    n_edges = (d.node_parent >= 0).sum()
    assert abs(n_edges / n_internal - 2.5) < 0.02
    labels = g.classes(d)
    assert labels.min() >= 0 and labels.max() < 8
    assert abs(np.mean(labels == 0) - 1 / 8) < 0.03
    # p2 sets the binary share: 2 p2 + 3 (1 - p2) children per internal node
    d = VaryingTreeGrammar(v=8, f=3 / 8, L=3, rule_seed=2, p2=0.2).sample(5000, seed=0)
    n_internal = (d.node_symbol < len(g.grammar.nonterminals)).sum()
    assert abs((d.node_parent >= 0).sum() / n_internal - 2.8) < 0.02


def test_varying_tree_p2_reaches_the_spec_and_is_checked(tmp_path):
    from cooc.grammars.source import build_grammar_corpus

    corpus = build_grammar_corpus("varying-tree:v=4,f=0.5,L=2,p2=0.25", tmp_path / "c", 2000, seed=0)
    assert corpus.n_tokens / 2000 == pytest.approx(2.75**2, abs=0.1)  # 4.0 at p2 = 1 / 2
    for p2 in (0.0, 1.0):
        with pytest.raises(InvalidParameterError, match="'p2' must be a number in \\(0, 1\\)"):
            VaryingTreeGrammar(v=8, f=0.5, L=2, p2=p2)


@pytest.mark.parametrize(
    "f, message",
    [(0.0, "'f' must be a number in \\(0, 1\\]"), (1.5, "'f' must be a number"), (0.01, "m2 = round\\(f v\\) = 0")],
)
def test_varying_tree_refuses_f_out_of_range(f, message):
    with pytest.raises(InvalidParameterError, match=message):
        VaryingTreeGrammar(v=8, f=f, L=2)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
def test_non_finite_or_negative_production_probabilities_are_refused(bad):
    # NaN passed the old check: abs(nan - 1) > 1e-9 is False
    with pytest.raises(InvalidParameterError, match="productions of 'S' in parameter 'rules' must have finite"):
        PCFG({"S": [(["a"], bad), (["b"], 1.0)]}, "S")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
def test_non_finite_or_negative_start_probabilities_are_refused(bad):
    rules = {"S": [(["a"], 1.0)], "T": [(["b"], 1.0)]}
    with pytest.raises(InvalidParameterError, match="parameter 'start' must give finite, non-negative probabilities"):
        PCFG(rules, {"S": bad, "T": 1.0})


def test_valid_start_distribution_still_samples_its_law():
    grammar = PCFG({"S": [(["a"], 1.0)], "T": [(["b"], 1.0)]}, {"S": 0.0, "T": 1.0})
    d = grammar.sample(200, seed=0)
    assert {grammar.terminals[d.sentence(i)[0]] for i in range(200)} == {"b"}


@pytest.mark.parametrize("rhs", ["the cat", "a", b"ab"])
def test_a_string_right_hand_side_is_refused(rhs):
    # a string would be iterated into one terminal per character
    with pytest.raises(InvalidParameterError, match="production of 'S' in parameter 'rules' gives its right-hand side"):
        PCFG({"S": [(rhs, 1.0)]}, "S")
    with pytest.raises(InvalidParameterError, match="a sequence of symbol names"):
        PCFG({"S": [(["X"], 1.0)], "X": [(rhs, 1.0)]}, "S")


def test_a_right_hand_side_as_a_list_of_words_is_kept_whole():
    grammar = PCFG({"S": [(["the", "cat"], 1.0)]}, "S")
    assert grammar.terminals == ["the", "cat"]
