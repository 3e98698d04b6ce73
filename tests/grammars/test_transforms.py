"""Synonym exchange and discrete diffeomorphisms keep the class (and the parse) of every sentence."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.srhm import SparseRandomHierarchyModel
from cooc.grammars.transforms import diffeomorphism, synonym_exchange


@pytest.mark.parametrize("level", [0, 1, 2])
def test_synonym_exchange_keeps_the_label_and_changes_the_tuples(level):
    g = RandomHierarchyModel(v=8, n_c=4, m=3, s=2, L=3, rule_seed=1)
    x = g.sample(300, seed=0)
    y = synonym_exchange(g, x, level, seed=1)
    parsed = g.parse(y.tokens)
    assert parsed.valid.all() and (parsed.labels == x.labels).all() and (y.labels == x.labels).all()
    for l in range(level + 1):  # symbols at and above the level are kept
        assert (y.levels[l] == x.levels[l]).all()
    assert (y.choices[level] != x.choices[level]).all()  # every node takes another production ...
    children = x.levels[level + 1].reshape(300, -1, g.s), y.levels[level + 1].reshape(300, -1, g.s)
    assert (children[0] != children[1]).any(axis=2).all()  # ... so every tuple of children changes
    for l in range(level + 1, g.L):  # the choices below are kept
        assert (y.choices[l] == x.choices[l]).all()
    assert (parsed.choices[level] == y.choices[level]).all()


def test_synonym_exchange_of_the_token_tuples_changes_every_block_only():
    g = RandomHierarchyModel(v=6, n_c=3, m=2, s=3, L=2, rule_seed=0)
    x = g.sample(100, seed=3)
    y = synonym_exchange(g, x, g.L - 1, seed=4)
    blocks = x.tokens.reshape(100, -1, 3), y.tokens.reshape(100, -1, 3)
    assert (blocks[0] != blocks[1]).any(axis=2).all()
    assert (y.levels[g.L - 1] == x.levels[g.L - 1]).all()
    with pytest.raises(InvalidParameterError, match="level"):
        synonym_exchange(g, x, 2, seed=0)
    with pytest.raises(InvalidParameterError, match="m >= 2"):
        synonym_exchange(
            RandomHierarchyModel(v=4, n_c=2, m=1, s=2, L=2), RandomHierarchyModel(4, 2, 1, 2, 2).sample(3), 0
        )


@pytest.mark.parametrize("sparsity", ["a", "b"])
@pytest.mark.parametrize("level", [0, 1])
def test_diffeomorphism_moves_tokens_and_keeps_the_sentence(sparsity, level):
    g = SparseRandomHierarchyModel(v=6, n_c=3, m=2, s=2, L=2, s0=2, sparsity=sparsity, rule_seed=2)
    x = g.sample(200, seed=0)
    y = diffeomorphism(g, x, level, seed=5)
    assert (y.rhm.tokens == x.rhm.tokens).all() and (y.labels == x.labels).all()
    parsed = g.parse(y.tokens)
    assert parsed.valid.all() and (parsed.labels == x.labels).all()
    informative = y.tokens != g.empty
    assert (informative.sum(1) == g.s**g.L).all()
    old, new = g.offsets_of(x), g.offsets_of(y)
    for l in range(g.L):
        if l == level:
            assert (old[l] != new[l]).any(axis=2).all()  # every node's children move
        else:
            assert (old[l] == new[l]).all()  # placements elsewhere are kept
    if sparsity == "a":  # children stay in their own slot of s0 + 1 positions
        width = g.s0 + 1
        assert ((new[level] // width) == np.arange(g.s)).all()
        if level == g.L - 1:
            assert (y.positions[-1] != x.positions[-1]).all()  # every informative token moves


def test_arrange_inverts_offsets_of_and_s0_zero_refuses():
    g = SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=3, s0=1)
    x = g.sample(20, seed=1)
    again = g.arrange(x.rhm, g.offsets_of(x))
    assert (again.tokens == x.tokens).all()
    dense = SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2, s0=0)
    with pytest.raises(InvalidParameterError, match="s0 >= 1"):
        diffeomorphism(dense, dense.sample(5, seed=0), 0)
