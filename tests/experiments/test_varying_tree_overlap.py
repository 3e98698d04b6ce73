"""The varying-tree learning driver says how many of its test sentences are also training sentences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cooc.experiments.varying_tree import _tensors, _test_in_training, varying_tree_learning
from cooc.grammars.pcfg import VaryingTreeGrammar
from cooc.train._torch import task_seed


def test_test_in_training_counts_the_test_rows_found_among_the_first_p_training_rows():
    ids = np.array([[1, 2], [3, 4], [5, 6], [3, 4], [9, 9], [1, 2], [1, 2]])  # 3 test rows, then 4 training rows
    # test row [1, 2] first appears at training index 2, [3, 4] at 0, [5, 6] never
    assert _test_in_training(ids, 3, [1, 2, 3, 4]) == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])


def test_the_fraction_of_test_sentences_seen_in_training_is_reported_per_p():
    """i.i.d. sentences of a tiny grammar: the share of test sentences drawn for training too grows with P,
    and is what counting the driver's own draws gives."""
    sizes, n_test = [8, 64, 256], 64
    one = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        r = varying_tree_learning(
            4, 2, [0.25], sizes, seeds=2, n_test=n_test, cnn={"width": 8, "steps": 5}, transformer=False
        )
    finally:
        torch.set_num_threads(one)
    seen = r["by_f"]["0.25"]["test_in_training"]
    g = VaryingTreeGrammar(v=4, f=0.25, L=2, rule_seed=0)
    by_hand = []
    for seed in range(2):
        _, ids, _, _ = _tensors(g, n_test + sizes[-1], task_seed(seed, 0, 61))
        test = [tuple(row) for row in ids[:n_test]]
        by_hand.append([np.mean([t in {tuple(row) for row in ids[n_test : n_test + P]} for t in test]) for P in sizes])
    assert seen == pytest.approx(np.mean(by_hand, axis=0).tolist())
    assert seen[0] < seen[-1] and seen[-1] > 0.3  # a small grammar: many test sentences are training ones


def _trees(g: VaryingTreeGrammar, level: int, symbol: int) -> dict[tuple[int, ...], int]:
    """Every string a symbol derives, with its number of derivation trees, by expanding every rule top-down."""
    if level == g.L:
        return {(symbol,): 1}
    out: dict[tuple[int, ...], int] = {}
    for rules in (g.binary[level], g.ternary[level]):
        for rhs in rules[symbol]:
            partial: dict[tuple[int, ...], int] = {(): 1}
            for child in rhs:
                below = _trees(g, level + 1, int(child))
                joined: dict[tuple[int, ...], int] = {}
                for head, c in partial.items():
                    for tail, d in below.items():
                        joined[head + tail] = joined.get(head + tail, 0) + c * d
                partial = joined
            for string, c in partial.items():
                out[string] = out.get(string, 0) + c
    return out


@pytest.mark.parametrize("f", [0.5, 1.0])
def test_the_ambiguous_fraction_counts_sentences_with_more_than_one_whole_tree(f):
    """The driver's fraction against brute force on the same sampled sentences: every tree of every class is
    enumerated, and a sentence counts when the whole sentence has two trees or more (any roots)."""
    from cooc.experiments.varying_tree import ambiguity_curves

    v, L, n = 2, 2, 200
    g = VaryingTreeGrammar(v=v, f=f, L=L, rule_seed=0)
    language: dict[tuple[int, ...], int] = {}
    roots: dict[tuple[int, ...], set[int]] = {}
    for a in range(v):
        for string, c in _trees(g, 0, a).items():
            language[string] = language.get(string, 0) + c
            roots.setdefault(string, set()).add(a)
    r = ambiguity_curves(v, [f], [L], n_sentences=n, saturation=None)
    d = g.sample(n, seed=task_seed(0, L, 0))  # the driver's draw for (L, the first f)
    sentences = [tuple(int(t) for t in d.sentence(i)) for i in range(n)]
    entry = r["depths"][str(L)]
    assert entry["fraction"] == [pytest.approx(np.mean([language[s] > 1 for s in sentences]))]
    assert entry["class_fraction"] == [pytest.approx(np.mean([len(roots[s]) > 1 for s in sentences]))]
    assert entry["mean_parses"] == [pytest.approx(np.mean([language[s] for s in sentences]))]
    assert 0 < entry["fraction"][0] and entry["class_fraction"][0] <= entry["fraction"][0]
