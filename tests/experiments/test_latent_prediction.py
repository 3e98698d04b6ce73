"""The latent-prediction driver runs the network learner beside the clustering learners."""

from __future__ import annotations

import json

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
