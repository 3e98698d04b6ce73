"""The latent-prediction driver runs the network learner beside the clustering learners."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.experiments.latent_prediction import LEARNERS, latent_sample_complexity


@pytest.fixture(autouse=True)
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_network_learner_beside_the_clustering_one_on_a_tiny_grammar():
    r = latent_sample_complexity(
        4,
        2,
        depths=(2, 3),
        samples=(25, 100, 400, 1600),
        seeds=1,
        n_test=300,
        learners=("latent", "network", "network_token"),
        network={"steps": 30},
        depths_by_learner={"network_token": (3,)},
    )
    latent, net, tok = (r["learners"][k] for k in ("latent", "network", "network_token"))
    assert net["L"] == [2, 3] and tok["L"] == [3]
    assert net["theory"] == 1.0 and net["target"] == "latent" and tok["theory"] == 2.0 and tok["target"] == "token"
    # both recover the tree: accuracy crosses 0.9 inside the grid, and from the same order of data
    assert all(np.isfinite(net["P_star"])) and net["fit"] is not None
    assert all(0.25 < a / b < 4 for a, b in zip(net["P_star"], latent["P_star"]))
    assert net["curves"]["3"]["accuracy"][-1] >= 0.9 and net["curves"]["3"]["accuracy"][0] < 0.9
    assert tok["fit"] is None  # one depth: nothing to fit


def test_unknown_learners_are_refused():
    assert set(LEARNERS) == {"latent", "token", "network", "network_token"}
    with pytest.raises(InvalidParameterError, match="unknown learners"):
        latent_sample_complexity(4, 2, depths=(2,), learners=("cnn",))


def test_one_pool_per_depth_and_seed_shared_by_the_learners_and_none_when_resumed(tmp_path, monkeypatch):
    """The learners of one (L, seed) train on one pool (one draw of the pool and one of the test set);
    a study resumed from its ledger draws nothing and gives the same result."""
    from cooc._core.ledger import RunLedger
    from cooc.grammars.rhm import RandomHierarchyModel

    draws = []
    real = RandomHierarchyModel.sample

    def counted(self, n, seed=None, **kw):
        draws.append((self.L, n))
        return real(self, n, seed=seed, **kw)

    monkeypatch.setattr(RandomHierarchyModel, "sample", counted)
    kw = dict(depths=(2, 3), samples=(25, 100, 400), seeds=2, n_test=200, learners=("latent", "token"))
    first = latent_sample_complexity(4, 2, ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    assert sorted(draws) == sorted([(L, n) for L in (2, 3) for _ in range(2) for n in (400, 200)])
    draws.clear()
    again = latent_sample_complexity(4, 2, ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    assert draws == [] and json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)  # NaN too


def _planted(monkeypatch, curves):
    """Replace the learners by planted accuracy curves: ``curves[(learner, L, seed)]`` maps P to the accuracy."""
    import cooc.experiments.latent_prediction as module

    def accuracy(make, data, P, v, row):
        return {**row, "accuracy": curves[(row["learner"], row["L"], row["seed"])][P]}

    monkeypatch.setattr(module, "_accuracy", accuracy)


def test_a_seed_that_never_recovers_the_tree_leaves_its_depth_without_p_star_not_a_biased_one(monkeypatch):
    """Two seeds cross at P* = 200 and 800 (log-interpolated); at L = 4 the third never reaches the threshold:
    the geometric mean of the two that did (400) would sit below the true one, so L = 4 has no P*, a lower
    bound instead, and the fit runs through the depths that have one."""
    sizes = (100, 400, 1600, 6400)

    def crossing_at(p_star):  # accuracy linear in log P (past 1 too: the planted curve is a line), 0.9 at p_star
        return {P: 0.5 + 0.4 * np.log(P / 100) / np.log(p_star / 100) for P in sizes}

    never = {P: 0.5 for P in sizes}
    curves = {}
    for L, stars in ((2, (200, 200, 200)), (3, (400, 400, 400)), (4, (200, 800, None))):
        for seed, p in enumerate(stars):
            curves[("latent", L, seed)] = never if p is None else crossing_at(p)
    _planted(monkeypatch, curves)
    r = latent_sample_complexity(4, 2, depths=(2, 3, 4), samples=sizes, seeds=3, learners=("latent",))
    lat = r["learners"]["latent"]
    np.testing.assert_allclose(lat["P_star"][:2], [200, 400], rtol=1e-9)
    assert np.isnan(lat["P_star"][2]) and lat["P_star_censored"] == [None, None, "above"]
    np.testing.assert_allclose(lat["P_star_per_seed"][2][:2], [200, 800], rtol=1e-9)
    assert np.isnan(lat["P_star_per_seed"][2][2])
    # the bound: the never-recovered seed at the largest P tried
    assert lat["P_star_bound"][2] == pytest.approx((200 * 800 * 6400) ** (1 / 3))
    assert np.isnan(lat["P_star_bound"][0])
    assert lat["fit"]["L"] == [2, 3] and lat["fit"]["base"] == pytest.approx(2.0)
    # every seed crossed at L = 2 and 3 with the same P*: no spread between the seeds' own bases
    assert lat["fit"]["base_error_seeds"] == pytest.approx(0.0, abs=1e-9)
    # the seeds stop once two sizes in a row recover the tree: each mean says how many seeds it holds
    assert lat["curve_seeds"]["4"] == [3, 3, 3, 2] and lat["curve_seeds"]["2"] == [3, 3, 3]


def test_a_depth_recovered_at_the_smallest_size_is_censored_below_not_drawn_as_unreached(monkeypatch):
    sizes = (100, 400, 1600)
    curves = {("token", 2, 0): {100: 0.95, 400: 1.0, 1600: 1.0}, ("token", 2, 1): {100: 0.5, 400: 0.95, 1600: 1.0}}
    curves.update({("token", 3, s): {100: 0.3, 400: 0.5, 1600: 0.7} for s in (0, 1)})
    _planted(monkeypatch, curves)
    r = latent_sample_complexity(4, 2, depths=(2, 3), samples=sizes, seeds=2, learners=("token",))
    tok = r["learners"]["token"]
    assert tok["P_star_censored"] == ["below", "above"] and all(np.isnan(tok["P_star"]))
    p1 = math.exp(math.log(100) + (0.9 - 0.5) / (0.95 - 0.5) * math.log(4))  # seed 1's crossing
    assert tok["P_star_bound"][0] == pytest.approx(math.sqrt(100 * p1))  # an upper bound: seed 0 at P <= 100
    assert tok["P_star_bound"][1] == pytest.approx(1600.0) and tok["fit"] is None


def test_the_seeds_spread_widens_the_error_of_the_growth_per_level(monkeypatch):
    """Through two depths a line has no residuals (the least-squares error is NaN); the seeds' own bases give
    the error instead: ln-bases ln 2 and ln 4, so the base (their geometric mean, sqrt 8) +- base * 0.5 ln 2."""
    sizes = (100, 400, 1600, 6400)

    def crossing_at(p_star):
        return {P: 0.5 + 0.4 * np.log(P / 100) / np.log(p_star / 100) for P in sizes}

    curves = {("latent", 2, 0): crossing_at(200), ("latent", 3, 0): crossing_at(400)}
    curves.update({("latent", 2, 1): crossing_at(200), ("latent", 3, 1): crossing_at(800)})
    _planted(monkeypatch, curves)
    fit = latent_sample_complexity(4, 2, depths=(2, 3), samples=sizes, seeds=2, learners=("latent",))["learners"][
        "latent"
    ]["fit"]
    assert fit["base"] == pytest.approx(math.sqrt(8)) and math.isnan(fit["base_error_fit"])
    assert fit["base_error"] == fit["base_error_seeds"] == pytest.approx(math.sqrt(8) * 0.5 * math.log(2))
