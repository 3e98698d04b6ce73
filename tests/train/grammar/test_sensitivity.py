"""Sensitivity of hidden layers: 0 for an unchanged input, the defining ratio otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.train.grammar.ensemble import EnsembleNetwork
from cooc.train.grammar.sensitivity import sensitivity, unrelated_order


def inputs(K, n, T, c, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((K, n, T, c), dtype=np.float32)
    ids = rng.integers(0, c, size=(K, n, T))
    x[np.arange(K)[:, None, None], np.arange(n)[None, :, None], np.arange(T)[None, None, :], ids] = 1
    return torch.from_numpy(x)


def test_sensitivity_is_zero_for_unchanged_inputs_and_the_defining_ratio_otherwise():
    net = EnsembleNetwork("cnn", 2, 4, 8, 3, width=6, filter_size=2, seed=0)
    x = inputs(2, 50, 8, 4, seed=0)
    assert np.allclose(sensitivity(net, x, x.clone()), 0.0)
    moved = inputs(2, 50, 8, 4, seed=1)
    S = sensitivity(net, x, moved, seed=3)
    assert S.shape == (2, 3)
    # by hand for member 1, layer 2
    order = unrelated_order(50, seed=3)
    with torch.no_grad():
        h, hm, hy = (net.hidden(z)[1][1] for z in (x, moved, x[:, order]))
    expected = ((h - hm) ** 2).sum() / ((h - hy) ** 2).sum()
    assert S[1, 1] == pytest.approx(float(expected), rel=1e-5)
    # an unrelated input is as far as an unrelated input: S near 1
    assert np.all(np.abs(S - 1) < 0.35)


def test_an_invariant_layer_has_zero_sensitivity():
    # a first layer that reads only the first symbol of each patch ignores changes of the second
    net = EnsembleNetwork("cnn", 1, 3, 4, 2, width=5, filter_size=2, seed=0)
    with torch.no_grad():
        net.weights[0][:, 3:] = 0  # rows of the patch's second position
    x = inputs(1, 40, 4, 3, seed=0)
    changed = x.clone()
    changed[:, :, 1::2] = inputs(1, 40, 4, 3, seed=5)[:, :, 1::2]
    S = sensitivity(net, x, changed)
    assert S[0, 0] == pytest.approx(0.0, abs=1e-12) and S[0, 1] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InvalidParameterError, match="shape"):
        sensitivity(net, x, changed[:, :10])


@pytest.mark.parametrize("n", [2, 3, 7, 256])
def test_every_input_is_paired_with_another_one(n):
    orders = [unrelated_order(n, seed) for seed in range(40)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(n))  # a pairing of the inputs among themselves
        assert not (order == torch.arange(n)).any()  # none with itself
    if n > 3:  # and the pairing depends on the seed
        assert len({tuple(o.tolist()) for o in orders}) > 1


def test_an_input_paired_with_itself_would_lower_the_unrelated_distance():
    # two inputs: the only pairing without a fixed point swaps them, so S is the defining ratio
    net = EnsembleNetwork("cnn", 1, 3, 4, 2, width=5, filter_size=2, seed=0)
    x, moved = inputs(1, 2, 4, 3, seed=0), inputs(1, 2, 4, 3, seed=1)
    S = sensitivity(net, x, moved, seed=11)
    with torch.no_grad():
        h, hm, hy = (net.hidden(z)[0][0] for z in (x, moved, x[:, [1, 0]]))
    assert S[0, 0] == pytest.approx(float(((h - hm) ** 2).sum() / ((h - hy) ** 2).sum()), rel=1e-5)
