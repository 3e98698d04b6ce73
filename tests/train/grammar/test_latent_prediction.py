"""Clustering tuples by their context recovers the planted latents of an RHM, level by level."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.train.grammar.latent_prediction import LatentClustering, matched_accuracy, tree_accuracy


def test_matched_accuracy_is_invariant_to_relabelling():
    true = np.array([0, 1, 2, 2, 1, 0])
    assert matched_accuracy((true + 1) % 3, true, 3) == 1.0
    assert matched_accuracy(np.array([0, 1, 2, 2, 1, -1]), true, 3) == pytest.approx(5 / 6)
    assert matched_accuracy(np.zeros(6, dtype=int), true, 3) == pytest.approx(2 / 6)


@pytest.mark.parametrize("target", ["latent", "token"])
def test_recovers_the_planted_level_one_classes_on_a_tiny_grammar(target):
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3, rule_seed=0)
    train, test = g.sample(4000, seed=0), g.sample(500, seed=1)
    model = LatentClustering(2, 4, levels=2, target=target).fit(train.tokens, v=4)
    acc = tree_accuracy(model, test.tokens, test.levels)
    assert acc == [1.0, 1.0]  # parents of the tokens, then the children of the root
    # the table maps exactly the rules' tuples to one latent per parent symbol
    table = model.tables_[0]
    rules = g.rules[2]  # level-2 symbols -> tuples of tokens
    for a in range(4):
        codes = rules[a, :, 0].astype(int) * 4 + rules[a, :, 1].astype(int)
        assert len(set(table[codes])) == 1
    parents = {int(table[rules[a, 0, 0] * 4 + rules[a, 0, 1]]) for a in range(4)}
    assert parents == {0, 1, 2, 3}
    unused = np.setdiff1d(np.arange(16), (rules[:, :, 0] * 4 + rules[:, :, 1]).ravel())
    assert (table[unused] == -1).all()  # tuples never seen have no latent


def test_too_few_samples_fail_and_tokens_need_more_than_latents():
    g = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=4, rule_seed=0)
    test = g.sample(1000, seed=9)
    few = LatentClustering(2, 8, 3).fit(g.sample(100, seed=0).tokens, v=8)
    assert min(tree_accuracy(few, test.tokens, test.levels)) < 0.6
    pool = g.sample(3000, seed=2)
    latent = LatentClustering(2, 8, 3, target="latent").fit(pool.tokens, v=8)
    token = LatentClustering(2, 8, 3, target="token").fit(pool.tokens, v=8)
    acc_latent = tree_accuracy(latent, test.tokens, test.levels)
    acc_token = tree_accuracy(token, test.tokens, test.levels)
    assert min(acc_latent) > 0.95 and acc_token[-1] < 0.8  # the top level, from tokens, is not there yet


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="levels"):
        LatentClustering(2, 4, levels=3).fit(np.zeros((10, 8), dtype=int))
    with pytest.raises(InvalidParameterError, match="target"):
        LatentClustering(2, 4, levels=1, target="class").fit(np.zeros((10, 8), dtype=int))
    with pytest.raises(InvalidParameterError, match="fit"):
        LatentClustering(2, 4, levels=1).transform(np.zeros((2, 4), dtype=int))
