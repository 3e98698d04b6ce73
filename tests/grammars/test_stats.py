"""RHM exact statistics: against enumeration, against the ensemble theory, and counted corpora against both."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.stats import (
    RHMStatistics,
    beta_theory,
    covariance_noise,
    empirical_mean_square_covariance,
    lca_height,
    loss_steps,
    p_max,
    pairs_at_height,
    rms_covariance_theory,
    sampling_floor,
)


def weighted_enumeration(model: RandomHierarchyModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sentence with its exact probability (reference for tiny settings)."""
    everything = model.enumerate()
    weight = np.full(len(everything), 1.0 / model.n_c)
    for l in range(model.L):
        weight *= np.prod(model.probs[everything.choices[l]], axis=1)
    return everything.tokens.astype(np.int64), everything.labels.astype(np.int64), weight


@pytest.mark.parametrize(
    "params", [dict(v=4, n_c=3, m=2, s=2, L=3), dict(v=3, n_c=2, m=3, s=3, L=2), dict(v=4, n_c=2, m=3, s=2, L=2, a=1.0)]
)
def test_exact_joints_match_weighted_enumeration(params):
    model = RandomHierarchyModel(**params, rule_seed=3)
    stats = RHMStatistics(model)
    tokens, labels, w = weighted_enumeration(model)
    np.testing.assert_allclose(w.sum(), 1.0)
    v, n = model.v, model.n_positions
    for i in range(n):
        marginal = np.bincount(tokens[:, i], weights=w, minlength=v)
        np.testing.assert_allclose(stats.token_marginal(i), marginal, atol=1e-14)
        cls = np.zeros((model.n_c, v))
        np.add.at(cls, (labels, tokens[:, i]), w)
        np.testing.assert_allclose(stats.token_class_covariance(i), cls - np.outer(cls.sum(1), marginal), atol=1e-14)
        for j in range(n):
            if i != j:
                joint = np.bincount(tokens[:, i] * v + tokens[:, j], weights=w, minlength=v * v).reshape(v, v)
                np.testing.assert_allclose(stats.token_joint(i, j), joint, atol=1e-14)


def test_lca_height_and_pairs():
    assert lca_height(0, 1, 2) == 1 and lca_height(1, 2, 2) == 2 and lca_height(3, 4, 2) == 3
    np.testing.assert_array_equal(lca_height(np.array([0, 0, 4]), np.array([2, 8, 5]), 3), [1, 2, 1])
    for s, L in [(2, 3), (3, 2)]:
        n = s**L
        for h in range(1, L + 1):
            pairs = pairs_at_height(s, L, h)
            expected = {(i, j) for i in range(n) for j in range(i + 1, n) if lca_height(i, j, s) == h}
            assert {tuple(p) for p in pairs.tolist()} == expected
            sampled = pairs_at_height(s, L, h, max_pairs=3, seed=1)
            assert (lca_height(sampled[:, 0], sampled[:, 1], s) == h).all() if len(expected) > 3 else True
    with pytest.raises(InvalidParameterError, match="'h' must be in \\[1, 3\\]"):
        pairs_at_height(2, 3, 4)


def test_closed_forms():
    assert p_max(32, 8, 2, 3) == 32 * 8**7 == RandomHierarchyModel(32, 32, 8, 2, 3).P_max
    np.testing.assert_allclose(rms_covariance_theory(16, 4, 2, 1), np.sqrt((1 - 4 / 16) / (16**3 * 4)))
    np.testing.assert_allclose(sampling_floor(16, 10**6), 1 / np.sqrt(256e6))
    np.testing.assert_allclose(loss_steps(16, 4, 2, 2), [16 * 4 / 0.75, 16 * 64 / 0.75])
    assert beta_theory(4, 2) == pytest.approx(2.0)


def test_sibling_formula_is_exact_for_a_uniform_parent_and_marginals():
    """The h = 1 theory is the mean square of J - 1/v^2 when v m of the v^2 pairs carry 1/(v m) each."""
    v, m = 8, 2
    J = np.zeros(v * v)
    J[np.random.default_rng(0).choice(v * v, v * m, replace=False)] = 1 / (v * m)
    assert np.mean((J - 1 / v**2) ** 2) == pytest.approx(rms_covariance_theory(v, m, 2, 1) ** 2, rel=1e-12)


def test_exact_rms_by_level_follows_the_ensemble_theory():
    """Averaged over rule draws, the exact rms is within 25% of the theory at every height (n_c = v)."""
    ratios = []
    for seed in range(4):
        stats = RHMStatistics(RandomHierarchyModel(v=32, n_c=32, m=8, s=2, L=3, rule_seed=seed))
        result = stats.covariance_by_level(max_pairs=16, seed=seed)
        ratios.append(result["exact"] ** 2 / result["theory"] ** 2)
    ratio = np.sqrt(np.mean(ratios, axis=0))
    assert np.all(np.abs(ratio - 1) < 0.25), ratio
    assert np.all(np.diff(result["exact"]) < 0)


def test_counted_covariances_agree_with_exact_values_within_the_sampling_floor():
    """Empirical mean squares (noise variance subtracted) equal the exact ones within 6 standard errors.

    The standard error of a mean over N entries is sqrt((4 C^2 s^2 + 2 s^4) / N), s^2 the
    per-entry sampling variance (about the floor squared, (v^2 P)^-1).
    """
    model = RandomHierarchyModel(v=16, n_c=16, m=4, s=2, L=4, rule_seed=0)
    stats = RHMStatistics(model)
    P = 300_000
    tokens = model.sample(P, seed=11).tokens
    by_level = stats.covariance_by_level(max_pairs=24)
    floor2 = sampling_floor(model.v, P) ** 2
    for h, pairs in zip(by_level["height"], by_level["pairs"]):
        pairs = np.unique(pairs, axis=0)
        exact = stats.mean_square_covariance(pairs).mean()
        raw = empirical_mean_square_covariance(tokens, pairs, model.v).mean()
        debiased = empirical_mean_square_covariance(tokens, pairs, model.v, debias=True).mean()
        se = np.sqrt((4 * exact * floor2 + 2 * floor2**2) / (len(pairs) * model.v**2))
        assert abs(debiased - exact) < 6 * se, (h, debiased, exact, se)
        # the raw estimate sits one noise variance (about the floor squared) above the exact value
        assert 0.6 * floor2 < raw - exact + 6 * se and raw - exact - 6 * se < 1.2 * floor2


def test_covariance_noise_matches_the_spread_of_repeated_estimates():
    model = RandomHierarchyModel(v=6, n_c=6, m=2, s=2, L=2, rule_seed=1)
    stats = RHMStatistics(model)
    J = stats.token_joint(0, 1)
    P = 2000
    estimates = []
    for seed in range(300):
        tokens = model.sample(P, seed=seed).tokens.astype(np.int64)
        joint = np.bincount(tokens[:, 0] * 6 + tokens[:, 1], minlength=36).reshape(6, 6) / P
        estimates.append(joint - np.outer(joint.sum(1), joint.sum(0)))
    observed = np.var(estimates, axis=0, ddof=1)
    predicted = covariance_noise(J, P)
    assert abs(observed.mean() / predicted.mean() - 1) < 0.1


def test_covariance_against_distance():
    stats = RHMStatistics(RandomHierarchyModel(v=16, n_c=16, m=4, s=2, L=4, rule_seed=2))
    result = stats.covariance_vs_distance([1, 2, 4, 8])
    assert result["exact"][0] > result["exact"][1] > result["exact"][2] > result["exact"][3]
    # distance 1 mixes siblings (half the starts) and cousins further up
    heights = lca_height(np.arange(15), np.arange(1, 16), 2)
    expected = np.sqrt(np.mean(rms_covariance_theory(16, 4, 2, heights) ** 2))
    assert result["theory"][0] == pytest.approx(expected)


def test_token_given_node_matches_enumeration_at_every_level_and_position():
    model = RandomHierarchyModel(v=3, n_c=2, m=2, s=2, L=3, rule_seed=1)
    stats = RHMStatistics(model)
    everything = model.enumerate()  # uniform productions: every sentence equally likely
    for level in range(model.L + 1):
        for position in range(model.n_positions):
            node = everything.levels[level][:, position // model.s ** (model.L - level)].astype(np.int64)
            token = everything.tokens[:, position].astype(np.int64)
            n_parents = model.n_c if level == 0 else model.v
            counts = np.zeros((n_parents, model.v))
            np.add.at(counts, (node, token), 1.0)
            seen = counts.sum(axis=1) > 0
            expected = counts[seen] / counts[seen].sum(axis=1, keepdims=True)
            np.testing.assert_allclose(stats.token_given_node(level, position)[seen], expected, atol=1e-14)


@pytest.mark.parametrize(
    "level, position, message",
    [
        (0, 100, "token_given_node: parameter 'position' must be an integer in \\[0, 8\\), got 100\\."),
        (0, 8, "parameter 'position' must be an integer in \\[0, 8\\), got 8\\."),
        (0, -1, "parameter 'position' must be an integer in \\[0, 8\\), got -1\\."),
        (0, 1.5, "parameter 'position' must be an integer in \\[0, 8\\), got 1.5\\."),
        (10, 0, "token_given_node: parameter 'level' must be an integer in \\[0, 3\\], got 10\\."),
        (-1, 0, "parameter 'level' must be an integer in \\[0, 3\\], got -1\\."),
        (True, 0, "parameter 'level' must be an integer in \\[0, 3\\], got True\\."),
    ],
)
def test_token_given_node_refuses_out_of_range_levels_and_positions(level, position, message):
    # position 100 used to return position 4's law, level 10 the identity
    stats = RHMStatistics(RandomHierarchyModel(v=3, n_c=2, m=2, s=2, L=3))
    with pytest.raises(InvalidParameterError, match=message):
        stats.token_given_node(level, position)


def test_token_positions_must_be_integers_in_range():
    stats = RHMStatistics(RandomHierarchyModel(v=3, n_c=2, m=2, s=2, L=3))
    with pytest.raises(
        InvalidParameterError, match="token_joint: parameter 'i' must be an integer in \\[0, 8\\), got 1.5"
    ):
        stats.token_joint(1.5, 3)
    with pytest.raises(InvalidParameterError, match="token positions must differ"):
        stats.token_joint(3, 3)
    with pytest.raises(InvalidParameterError, match="token_class_covariance: parameter 'i' must be an integer"):
        stats.token_class_covariance(100)
    with pytest.raises(InvalidParameterError, match="token_marginal: parameter 'i' must be an integer in \\[0, 8\\)"):
        stats.token_marginal(8)
    with pytest.raises(InvalidParameterError, match="node_marginal: parameter 'index' must be an integer"):
        stats.node_marginal(1, 0.5)
    np.testing.assert_array_equal(stats.token_joint(np.int64(1), np.int64(3)), stats.token_joint(1, 3))
