"""The network learner (predictor + clusterer per level) recovers the planted latents of an RHM."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError, TrainingDivergedError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.train.grammar.latent_network import LatentNetwork
from cooc.train.grammar.latent_prediction import context_counts, tree_accuracy


def _tuple_codes(rules, v):
    return rules[:, :, 0].astype(int) * v + rules[:, :, 1].astype(int)  # (parents, m)


@pytest.mark.parametrize("target", ["latent", "token"])
def test_recovers_the_planted_level_one_classes_on_a_tiny_grammar(target):
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3, rule_seed=0)
    train, test = g.sample(4000, seed=0), g.sample(500, seed=1)
    model = LatentNetwork(2, 4, levels=2, target=target).fit(train.tokens, v=4)
    assert tree_accuracy(model, test.tokens, test.levels) == [1.0, 1.0]
    table = model.tables_[0]
    codes = _tuple_codes(g.rules[2], 4)  # level-2 symbols -> their tuples of tokens
    # synonyms (the m tuples of one parent) share one code, and the v parents have v distinct codes
    assert all(len(set(table[row])) == 1 for row in codes)
    assert {int(table[row[0]]) for row in codes} == {0, 1, 2, 3}
    assert (table[np.setdiff1d(np.arange(16), codes.ravel())] == -1).all()  # never seen: no code


def test_the_predictor_learns_the_empirical_conditional_distribution():
    # the loss minimum is the conditional entropy of the counts; the marginal alone is the no-information loss
    g = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=2, rule_seed=0)
    x = g.sample(1000, seed=0).tokens
    c = context_counts(x, 8, x, 8, 2)
    total = c.sum()
    conditional = -(c * np.log(np.where(c > 0, c / np.maximum(c.sum(-1, keepdims=True), 1), 1))).sum() / total
    marginal = c.sum(0) / np.maximum(c.sum((0, 2))[:, None], 1)
    no_info = -(c * np.log(np.where(c > 0, marginal[None], 1))).sum() / total
    loss = LatentNetwork(2, 8, 1).fit(x, v=8).losses_[0]["predictor"]
    assert conditional - 1e-6 < loss < conditional + 0.01 < no_info - 0.2


def test_too_few_samples_fail_and_enough_succeed_at_every_level():
    g = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=4, rule_seed=0)
    test = g.sample(1000, seed=9)
    pool = g.sample(4000, seed=2)
    few = LatentNetwork(2, 8, 3).fit(pool.tokens[:150], v=8)
    assert min(tree_accuracy(few, test.tokens, test.levels)) < 0.6
    many = LatentNetwork(2, 8, 3).fit(pool.tokens, v=8)
    assert min(tree_accuracy(many, test.tokens, test.levels)) > 0.95
    # the same data with token targets leaves the top level unrecovered (its signal is m**2 times weaker)
    token = LatentNetwork(2, 8, 3, target="token").fit(pool.tokens[:3000], v=8)
    assert tree_accuracy(token, test.tokens, test.levels)[-1] < 0.8


def test_the_same_recovery_on_every_device(tdevice):
    """The tiny grammar's tree on the CPU and, where torch sees one, on the GPU."""
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3, rule_seed=0)
    train, test = g.sample(4000, seed=0), g.sample(500, seed=1)
    model = LatentNetwork(2, 4, levels=2, device=tdevice).fit(train.tokens, v=4)
    assert tree_accuracy(model, test.tokens, test.levels) == [1.0, 1.0]
    assert np.isfinite(model.losses_[0]["predictor"])


def test_a_seed_fixes_the_result():
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3, rule_seed=1)
    x = g.sample(300, seed=3).tokens
    a, b = (LatentNetwork(2, 4, 2, seed=5, device="cpu").fit(x, v=4) for _ in range(2))
    for ta, tb in zip(a.tables_, b.tables_):
        np.testing.assert_array_equal(ta, tb)
    assert a.losses_ == b.losses_


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="levels"):
        LatentNetwork(2, 4, levels=3).fit(np.zeros((10, 8), dtype=int))
    with pytest.raises(InvalidParameterError, match="target"):
        LatentNetwork(2, 4, levels=1, target="class").fit(np.zeros((10, 8), dtype=int))
    with pytest.raises(InvalidParameterError, match="lr"):
        LatentNetwork(2, 4, levels=1, lr=0.0).fit(np.zeros((10, 8), dtype=int))
    with pytest.raises(InvalidParameterError, match="fit"):
        LatentNetwork(2, 4, levels=1).transform(np.zeros((2, 4), dtype=int))


@pytest.mark.parametrize("lr", [1e6, 1e30])
def test_a_diverged_predictor_is_an_error_not_a_learner_that_learned_nothing(lr):
    """At lr 1e6 the predictor's loss ended 2e5 and the fit returned chance-level trees; at 1e30 the clustering's
    SVD failed with a LinAlgError."""
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3, rule_seed=0)
    with pytest.raises(TrainingDivergedError, match=r"level-1 predictor diverged.*lower the learning rate \(lr = "):
        LatentNetwork(2, 4, levels=2, lr=lr).fit(g.sample(4000, seed=0).tokens, v=4)
