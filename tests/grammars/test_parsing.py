"""The inside (CYK) pass of the varying-tree grammar against brute-force enumeration of every derivation."""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.parsing import InsideParser, ambiguity
from cooc.grammars.pcfg import VaryingTreeGrammar


def derivations(g: VaryingTreeGrammar, level: int, symbol: int) -> dict[tuple[int, ...], tuple[int, float]]:
    """Every string derived from ``symbol`` at ``level``, top-down: string -> (number of derivations, probability)."""
    return _derivations(g, level, symbol)


@functools.cache
def _derivations(g: VaryingTreeGrammar, level: int, symbol: int) -> dict[tuple[int, ...], tuple[int, float]]:
    if level == g.L:
        return {(symbol,): (1, 1.0)}
    out: dict[tuple[int, ...], tuple[int, float]] = defaultdict(lambda: (0, 0.0))
    for rules, p in ((g.binary[level], g.p2 / g.m2), (g.ternary[level], (1 - g.p2) / g.m3)):
        for rhs in rules[symbol]:
            partial = {(): (1, p)}
            for child in rhs:
                joined: dict[tuple[int, ...], tuple[int, float]] = defaultdict(lambda: (0, 0.0))
                for t, (c, q) in partial.items():
                    for u, (d, r) in _derivations(g, level + 1, int(child)).items():
                        old_c, old_q = joined[t + u]  # different splits can give one string: add them
                        joined[t + u] = (old_c + c * d, old_q + q * r)
                partial = joined
            for t, (c, q) in partial.items():
                old_c, old_q = out[t]
                out[t] = (old_c + c, old_q + q)
    return dict(out)


def all_derivations(g: VaryingTreeGrammar) -> dict[tuple[int, ...], dict[str, object]]:
    """The whole language of a tiny grammar: sentence -> number of trees and P(sentence, class) per class."""
    table: dict[tuple[int, ...], dict[str, object]] = defaultdict(lambda: {"count": 0, "joint": np.zeros(g.v)})
    for root in range(g.v):
        for tokens, (count, p) in derivations(g, 0, root).items():
            table[tokens]["count"] += count
            table[tokens]["joint"][root] += p / g.v
    return table


def count_by_splits(g: VaryingTreeGrammar, sentence: tuple[int, ...]) -> int:
    """Trees of one sentence: every root rule and every cut of the sentence into its children's strings,
    each child's count read from the enumerated level-1 languages."""
    total = 0
    n = len(sentence)
    for a in range(g.v):
        for rhs in g.binary[0][a]:
            for k in range(1, n):
                total += (
                    derivations(g, 1, int(rhs[0])).get(sentence[:k], (0, 0))[0]
                    * derivations(g, 1, int(rhs[1])).get(sentence[k:], (0, 0))[0]
                )
        for rhs in g.ternary[0][a]:
            for i in range(1, n - 1):
                for j in range(i + 1, n):
                    pieces = (sentence[:i], sentence[i:j], sentence[j:])
                    prod = 1
                    for child, piece in zip(rhs, pieces):
                        prod *= derivations(g, 1, int(child)).get(piece, (0, 0))[0]
                    total += prod
    return total


@pytest.mark.parametrize("v,f,p2", [(3, 1 / 3, 0.5), (2, 1.0, 0.5), (4, 0.25, 0.5), (2, 0.5, 0.5), (3, 1 / 3, 0.2)])
def test_inside_counts_and_probabilities_equal_brute_force(v, f, p2):
    g = VaryingTreeGrammar(v=v, f=f, L=2, rule_seed=3, p2=p2)
    table = all_derivations(g)
    sentences = list(table)
    result = InsideParser(g).parse(sentences)
    assert result.n_parses.tolist() == [table[s]["count"] for s in sentences]
    np.testing.assert_allclose(result.joint, np.stack([table[s]["joint"] for s in sentences]), rtol=1e-12)
    assert result.probability.sum() == pytest.approx(1.0, abs=1e-12)  # the language carries all the mass
    counts = np.array([table[s]["count"] for s in sentences])
    assert (result.ambiguous == (counts > 1)).all()
    if f == 1.0:
        assert result.ambiguous.any()  # every pair and triple is a rule: plenty of ambiguity
    # strings outside the language have no tree
    rng = np.random.default_rng(0)
    outside = [tuple(int(t) for t in rng.integers(0, v, size=n)) for n in range(1, 12) for _ in range(5)]
    outside = [s for s in outside if s not in table]
    assert outside and (InsideParser(g).parse(outside).n_parses == 0).all()


def test_inside_counts_of_a_deeper_grammar_equal_counts_by_splits():
    # L = 3: level-1 spans themselves have several trees, so the counts of children multiply
    g = VaryingTreeGrammar(v=2, f=0.5, L=3, rule_seed=3)
    d = g.sample(150, seed=1)
    sentences = [tuple(int(t) for t in d.sentence(i)) for i in range(len(d))]
    rng = np.random.default_rng(2)
    sentences += [tuple(int(t) for t in rng.integers(0, 2, size=n)) for n in (8, 9, 12, 16, 20) for _ in range(6)]
    result = InsideParser(g).parse(sentences)
    brute = [count_by_splits(g, s) for s in sentences]
    assert result.n_parses.tolist() == brute
    assert max(brute) > 2 and min(brute[:150]) >= 1


def test_bayes_error_and_posterior():
    g = VaryingTreeGrammar(v=2, f=1.0, L=2, rule_seed=1)
    table = all_derivations(g)
    sentences = list(table)
    result = InsideParser(g).parse(sentences)
    post = result.posterior()
    assert np.allclose(post.sum(1), 1.0)
    joint = np.stack([table[s]["joint"] for s in sentences])
    # the Bayes error averaged over the language equals 1 - sum_x max_a P(x, a)
    expected = 1.0 - joint.max(1).sum()
    assert (result.bayes_error() * result.probability).sum() == pytest.approx(expected, abs=1e-12)


def test_parser_on_sampled_sentences_and_ambiguity_summary():
    g = VaryingTreeGrammar(v=8, f=0.125, L=3, rule_seed=0)
    d = g.sample(200, seed=0)
    result = InsideParser(g).parse(d)
    assert (result.n_parses >= 1).all()
    # the true class has nonzero likelihood, and with one binary rule per symbol ambiguity is rare
    assert (result.joint[np.arange(200), g.classes(d)] > 0).all()
    summary = ambiguity(g, n=200, seed=0)
    assert summary["fraction"] == pytest.approx(result.ambiguous.mean())
    assert 0 <= summary["bayes_error"] <= summary["fraction"]
    high = ambiguity(VaryingTreeGrammar(v=8, f=0.75, L=3, rule_seed=0), n=200, seed=0)
    assert high["fraction"] > 0.6 > summary["fraction"] + 0.5 and high["mean_parses"] > 2


def test_parser_rejects_other_grammars():
    with pytest.raises(InvalidParameterError, match="VaryingTreeGrammar"):
        InsideParser(object())


def tree_log_probability(g: VaryingTreeGrammar, d, i: int) -> float:
    """``log P(sentence i, its class)`` along the sentence's own tree: one rule per internal node."""
    parents = d.node_parent[d.node_offsets[i] : d.node_offsets[i + 1]]
    arity = np.bincount(parents[parents >= 0], minlength=parents.size)
    return float(
        (arity == 2).sum() * np.log(g.p2 / g.m2) + (arity == 3).sum() * np.log((1 - g.p2) / g.m3) - np.log(g.v)
    )


def test_deep_sentences_keep_their_likelihood_and_class_counts():
    # L = 7: about 400 rules per tree, each below 1/100, so P(sentence) is far below the smallest double
    g = VaryingTreeGrammar(v=16, f=0.25, L=7, rule_seed=0)
    d = g.sample(40, seed=4)
    result = InsideParser(g).parse(d)
    classes = g.classes(d)
    own = np.array([tree_log_probability(g, d, i) for i in range(len(d))])
    assert own.max() < -800 and (result.joint == 0).all()  # the regime where linear weights vanish
    rows = np.arange(len(d))
    single = result.n_parses == 1
    assert single.sum() >= 20 and (~single).any()
    np.testing.assert_allclose(result.log_joint[rows, classes][single], own[single], rtol=1e-12)
    assert (result.log_joint[rows, classes] >= own - 1e-9).all()  # the own tree is one of the summands
    post = result.posterior()
    assert np.isfinite(post).all() and np.allclose(post.sum(1), 1.0)
    assert (post[rows, classes][single] == 1.0).all() and np.isfinite(result.bayes_error()).all()
    # trees by root add up to the trees, and class ambiguity needs two roots
    np.testing.assert_array_equal(result.class_parses.sum(1), result.n_parses)
    assert (result.class_parses[rows, classes] >= 1).all()
    np.testing.assert_array_equal(result.class_ambiguous, (result.class_parses > 0).sum(1) > 1)
    assert result.class_ambiguous.sum() <= result.ambiguous.sum()


def test_class_ambiguity_against_brute_force():
    g = VaryingTreeGrammar(v=3, f=1 / 3, L=2, rule_seed=1)  # 21 ambiguous sentences, 14 of them in class
    table = all_derivations(g)
    sentences = list(table)
    result = InsideParser(g).parse(sentences)
    expected = np.array([(table[s]["joint"] > 0).sum() > 1 for s in sentences])
    assert expected.sum() == 14 and result.ambiguous.sum() == 21
    np.testing.assert_array_equal(result.class_ambiguous, expected)
    summary = ambiguity(VaryingTreeGrammar(v=8, f=0.5, L=3, rule_seed=0), n=300, seed=0)
    assert 0 < summary["class_fraction"] <= summary["fraction"]
