"""Pinned values of the curve summaries, P* and the sensitivity of hidden layers, each worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.train.grammar.curves import curve_table, sample_complexity, summarize
from cooc.train.grammar.ensemble import EnsembleNetwork
from cooc.train.grammar.sensitivity import members_inputs, sensitivity, unrelated_order

from .test_sensitivity import inputs  # one-hot inputs (K, n, T, c) of random tokens

GRAMMAR = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=2)  # scale n_c m^L = 128


def _rows(curves, chance=0.8, P=(10, 100, 1000)):
    return [
        {"P": p, "seed": s, "test_error": e, "test_loss": 1.0, "train_error": 0.0, "chance_error": chance}
        for s, errs in enumerate(curves)
        for p, e in zip(P, errs)
    ]


def test_summary_means_and_population_sds_by_hand():
    rows = [
        {"P": 1000, "seed": 0, "test_error": 0.0, "test_loss": 0.5, "train_error": 0.0, "chance_error": 0.75},
        {"P": 10, "seed": 0, "test_error": 0.1, "test_loss": 1.0, "train_error": 0.0, "chance_error": 0.75},
        {"P": 10, "seed": 1, "test_error": 0.2, "test_loss": 2.0, "train_error": 0.1, "chance_error": 0.75},
        {"P": 10, "seed": 2, "test_error": 0.6, "test_loss": 4.0, "train_error": 0.2, "chance_error": 0.75},
        {"P": 100, "seed": 0, "test_error": 0.05, "test_loss": 0.7, "train_error": 0.0, "chance_error": 0.75},
    ]
    summary = summarize(rows)
    assert [s["P"] for s in summary] == [10, 100, 1000]  # ascending, whatever the rows' order
    at10 = summary[0]
    assert at10["seeds"] == 3 and at10["untrained"] == 0 and at10["chance_error"] == 0.75
    # mean 0.3 (the median would be 0.2); deviations -0.2, -0.1, 0.3: variance 0.14 / 3 (over seeds, ddof 0)
    assert at10["test_error"] == pytest.approx(0.3, rel=1e-12)
    assert at10["test_error_sd"] == pytest.approx(math.sqrt(0.14 / 3), rel=1e-12)
    # losses 1, 2, 4: mean 7/3, deviations -4/3, -1/3, 5/3: variance 42/27
    assert at10["test_loss"] == pytest.approx(7 / 3, rel=1e-12)
    assert at10["test_loss_sd"] == pytest.approx(math.sqrt(42 / 27), rel=1e-12)
    assert at10["train_error"] == pytest.approx(0.1, rel=1e-12)  # the mean, not the worst
    assert summary[1]["seeds"] == 1 and summary[1]["test_loss"] == 0.7 and summary[1]["test_error_sd"] == 0.0


def test_an_error_exactly_at_the_threshold_has_not_fallen_below_it():
    # 0.25 * 0.5 = 0.125 exactly: "falls below" is strict
    assert math.isnan(sample_complexity([10, 100], [0.5, 0.125], 0.5, fraction=0.25))
    # at the threshold on the first point, below it on the second: crossed right at P = 10 (t = 0)
    assert sample_complexity([10, 100], [0.125, 0.0], 0.5, fraction=0.25) == pytest.approx(10.0, rel=1e-12)


@pytest.mark.parametrize(
    "P, err",
    [
        ([10, 10, 100], [0.8, 0.5, 0.0]),  # a repeated size is not ascending
        ([0, 10, 100], [0.8, 0.5, 0.0]),  # sizes must be positive
        ([-10, 10, 100], [0.8, 0.5, 0.0]),
        ([[10, 100]], [[0.8, 0.0]]),  # one curve, not a table
        ([1000, float("nan"), 10, 100], [0.8, 0.5, 0.3, 0.0]),  # NaN passed the ascending check: P* 82.9
        ([10, 100, float("inf")], [0.8, 0.5, 0.0]),
    ],
)
def test_sample_complexity_refuses_bad_grids(P, err):
    with pytest.raises(InvalidParameterError, match="positive and ascending"):
        sample_complexity(P, err, 0.9)


def test_curve_table_passes_its_fraction_to_the_mean_and_every_seed():
    # threshold 0.5 * 0.8 = 0.4. Seed 0 [0.8, 0.4, 0.0]: 0.4 is not below, crossed at t = 0 of the second
    # decade, P* = 100. Seed 1 [0.8, 0.0, 0.0]: t = 0.4 / 0.8, P* = 10**1.5. Mean [0.8, 0.2, 0.0]: t = 0.4 / 0.6.
    rows = _rows([[0.8, 0.4, 0.0], [0.8, 0.0, 0.0]])
    table = curve_table(GRAMMAR, rows, fraction=0.5)
    assert table["P_star"] == pytest.approx(10 ** (1 + 2 / 3), rel=1e-12)
    assert table["P_star_sd"] == pytest.approx((100 - 10**1.5) / 2, rel=1e-12)
    assert table["P_star_over_scale"] == pytest.approx(10 ** (1 + 2 / 3) / 128, rel=1e-12)


def test_curve_table_sorts_each_seed_by_P_and_skips_seeds_that_never_cross():
    # threshold 0.08. Seed 0: t = 0.32 / 0.4 of the second decade, 10**2.8; seed 1: t = 0.72 / 0.8, 10**1.9;
    # seed 2 never crosses (NaN, left out of the spread). Rows come largest P first.
    rows = _rows([[0.8, 0.4, 0.0], [0.8, 0.0, 0.0], [0.8, 0.8, 0.8]])[::-1]
    table = curve_table(GRAMMAR, rows)
    assert table["P_star_sd"] == pytest.approx((10**2.8 - 10**1.9) / 2, rel=1e-12)
    assert math.isnan(table["P_star"])  # the mean curve [0.8, 0.4, 0.8/3] never gets below 0.08


def test_one_seed_has_no_spread():
    table = curve_table(GRAMMAR, _rows([[0.8, 0.4, 0.0]]))
    assert table["P_star"] == pytest.approx(10**2.8, rel=1e-12) and math.isnan(table["P_star_sd"])


def _by_hand(net, x, moved, order):
    """S of every member and layer, from whole-batch hidden layers (no chunks)."""
    with torch.no_grad():
        hs, hms, hys = net.hidden(x), net.hidden(moved), net.hidden(x[:, order])
    out = np.zeros((x.shape[0], len(hs)))
    for layer, (h, hm, hy) in enumerate(zip(hs, hms, hys)):
        for k in range(x.shape[0]):
            out[k, layer] = float(((h[k] - hm[k]) ** 2).sum() / ((h[k] - hy[k]) ** 2).sum())
    return out


@pytest.mark.parametrize("chunk", [7, 25, 49])
def test_sensitivity_in_chunks_is_the_whole_batch_ratio(chunk):
    net = EnsembleNetwork("cnn", 2, 4, 8, 3, width=6, filter_size=2, seed=0)
    x, moved = inputs(2, 50, 8, 4, seed=0), inputs(2, 50, 8, 4, seed=1)
    S = sensitivity(net, x, moved, seed=3, chunk=chunk)
    np.testing.assert_allclose(S, _by_hand(net, x, moved, unrelated_order(50, seed=3)), rtol=1e-5)
    assert net.training  # put back in training mode


def test_sensitivity_of_identical_inputs_is_zero_not_nan():
    # every input the same sentence: the unrelated distance is 0 too, and S is 0, not 0/0
    net = EnsembleNetwork("cnn", 1, 3, 4, 2, width=5, filter_size=2, seed=0)
    x = inputs(1, 1, 4, 3, seed=0).repeat(1, 6, 1, 1)
    S = sensitivity(net, x, x.clone())
    assert np.all(S == 0.0)


def test_sensitivity_refuses_inputs_of_the_wrong_shape():
    net = EnsembleNetwork("cnn", 2, 3, 4, 2, width=5, filter_size=2, seed=0)
    x = inputs(3, 10, 4, 3, seed=0)  # three members' inputs for a two-member ensemble
    with pytest.raises(InvalidParameterError, match="K=2"):
        sensitivity(net, x, x.clone())
    flat = inputs(2, 10, 4, 3, seed=0).reshape(2, 10, 12)  # no token axis
    with pytest.raises(InvalidParameterError, match="shape"):
        sensitivity(net, flat, flat.clone())
    one = inputs(2, 1, 4, 3, seed=0)  # a single input has no unrelated partner
    with pytest.raises(InvalidParameterError, match="at least 2"):
        sensitivity(net, one, one.clone())


@pytest.mark.parametrize("seed", [0, 5])
def test_each_input_is_paired_with_the_next_one_round_its_random_cycle(seed):
    n = 9
    cycle = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    order = unrelated_order(n, seed).tolist()
    assert [order[cycle[i]] for i in range(n)] == [cycle[(i + 1) % n] for i in range(n)]


def test_members_inputs_gathers_each_members_pool():
    per_pool = torch.arange(2 * 3 * 1 * 1).reshape(2, 3, 1, 1)
    got = members_inputs([1, 0, 1], per_pool)
    assert got.shape == (3, 3, 1, 1)
    assert got[:, :, 0, 0].tolist() == [[3, 4, 5], [0, 1, 2], [3, 4, 5]]
