"""The grammar-study drivers on tiny settings: structure, exact pieces, and parameter errors.

(Each study in analyses/ runs them at their default sizes against the theory: tests/experiments/test_studies.py.)
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.experiments.latent_prediction import latent_sample_complexity
from cooc.experiments.power_law import fit_learning_curve, memorization_error, power_law_curves
from cooc.experiments.rhm_complexity import rhm_sample_complexity
from cooc.experiments.srhm import srhm_invariances, srhm_sample_complexity
from cooc.experiments.varying_tree import _root_with_error, ambiguity_curves, first_moment_growth
from cooc.grammars.rhm import production_probabilities


def test_memorization_error_matches_a_simulated_memoriser():
    n_c, m, a = 3, 5, 1.0
    f = production_probabilities(m, a)
    rng = np.random.default_rng(0)
    P, reps = 12, 20000
    # each sentence is (class, production); a test sentence is answered iff it was seen in training
    train = rng.integers(0, n_c, (reps, P)) * m + rng.choice(m, size=(reps, P), p=f)
    test = rng.integers(0, n_c, reps) * m + rng.choice(m, size=reps, p=f)
    unseen = ~(train == test[:, None]).any(axis=1)
    simulated = unseen.mean() * (1 - 1 / n_c)
    exact = memorization_error([P], f, n_c)[0]
    assert simulated == pytest.approx(exact, abs=4 * math.sqrt(exact / reps))
    assert memorization_error([0], f, n_c)[0] == pytest.approx(1 - 1 / n_c)


def test_fit_learning_curve_recovers_a_planted_exponent_in_range():
    P = [16, 32, 64, 128, 256, 512]
    err = [0.7, 0.6] + [0.38 * (p / 64) ** -0.5 for p in P[2:]]  # above half of chance first, then P^-1/2
    summary = [{"P": p, "test_error": e, "test_error_sd": 0.0, "seeds": 2, "chance_error": 0.8} for p, e in zip(P, err)]
    fit = fit_learning_curve(summary, ceiling=0.5)
    assert fit["P"] == [64, 128, 256, 512]
    assert fit["measured"] == pytest.approx(0.5, abs=1e-9)
    assert fit_learning_curve(summary[:3], ceiling=0.5) is None


@pytest.fixture
def one_thread():
    """Tiny networks run faster on one torch thread (idle threads spin on a shared machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_rhm_sample_complexity_on_two_tiny_grammars(one_thread):
    torch.manual_seed(0)
    specs = ["rhm:v=4,n_c=2,m=2,s=2,L=3", "rhm:v=4,n_c=4,m=2,s=2,L=3"]
    r = rhm_sample_complexity(
        specs,
        factors=(1, 4),
        seeds=1,
        n_test=64,
        cnn={"steps": 60, "width": 8},
        shallow={"steps": 60, "width": 8, "factors": (4,)},
    )
    assert [g["scale"] for g in r["grammars"]] == [16, 32] and [g["P_max"] for g in r["grammars"]] == [256, 512]
    assert r["fit"] is None  # two grammars are too few for a fit with an error
    for g in r["grammars"]:
        assert [row["P"] for row in g["cnn"]["summary"]] == [g["scale"], 4 * g["scale"]]
        assert [row["P"] for row in g["shallow"]["summary"]] == [4 * g["scale"]]
        S = np.array(g["cnn"]["sensitivity"]["layers"])
        assert S.shape == (3, 2) and np.all((S >= 0) & (S < 3))
    with pytest.raises(InvalidParameterError, match="at least 2"):
        rhm_sample_complexity(specs[:1])
    with pytest.raises(InvalidParameterError, match="RHM"):
        rhm_sample_complexity(["srhm:v=4,n_c=2,m=2,s=2,L=2", specs[0]])


def test_ambiguity_curves_grow_with_f_and_skip_saturated_f():
    r = ambiguity_curves(8, [0.125, 0.5, 0.75], [2, 3], n_sentences=60)
    for entry in r["depths"].values():
        assert entry["fraction"][0] < entry["fraction"][2] and entry["n"] == 60
        assert all(c <= a for c, a in zip(entry["class_fraction"], entry["fraction"]))
    deep = r["depths"]["3"]
    assert deep["fraction"][2] > 0.6 and 0.125 < deep["f_half"] < 0.75 and deep["class_fraction"][2] > 0.3
    skipped = ambiguity_curves(8, [0.125, 0.5, 0.75], [2], n_sentences=20, saturation=0.0)
    assert skipped["depths"]["2"]["fraction"][1:] == [None, None]


def test_ambiguity_curves_pass_p2_to_the_grammar(monkeypatch):
    import cooc.experiments.varying_tree as varying_tree_module

    made = []
    real = varying_tree_module.VaryingTreeGrammar
    monkeypatch.setattr(varying_tree_module, "VaryingTreeGrammar", lambda **k: made.append(k["p2"]) or real(**k))
    r = ambiguity_curves(8, [0.25, 0.5], [2], n_sentences=20, p2=0.3)
    assert r["p2"] == 0.3 and made == [0.3, 0.3]


def test_root_of_the_growth_is_exact_for_a_log_linear_curve_and_its_error_is_propagated():
    f = np.array([0.2, 0.25, 0.3, 0.35])
    lam = np.exp(8.0 * (f - 0.27))  # log lambda linear in f: the interpolated root is exact
    se = np.array([0.01, 0.02, 0.03, 0.04])
    root, err = _root_with_error(f, lam, se)
    assert root == pytest.approx(0.27, abs=1e-12)
    # the error: first-order propagation of the two bracketing ratios' relative errors, checked numerically
    h, parts = 1e-6, []
    for k in (1, 2):
        bumped = np.log(lam)
        bumped[k] += h
        parts.append((_root_with_error(f, np.exp(bumped), se)[0] - root) / h * se[k] / lam[k])
    assert err == pytest.approx(math.hypot(*parts), rel=1e-4)
    assert np.isnan(_root_with_error(f, lam * 10, se)[0])  # starts above 1: no crossing inside the grid


def test_first_moment_growth_crosses_one_between_the_grid_values():
    g = first_moment_growth([0.2, 0.25, 0.3], 5, n_shapes=40, seed=1)
    assert g["growth_depths"] == [3, 4, 5] and len(g["f_star"]) == 3
    for k, star in enumerate(g["f_star"]):
        below, above = g["growth"][0][k], g["growth"][2][k]
        assert below < 1 < above and 0.2 < star < 0.3 and 0 < g["f_star_err"][k] < 0.02


def test_the_varying_tree_measurements_resume_from_their_ledger(tmp_path, monkeypatch):
    """The parsed scan, the first moment and its growth are recorded; run again, they compute nothing."""
    import cooc.experiments.varying_tree as varying_tree_module
    from cooc._core.ledger import RunLedger

    def measure(ledger):
        return (
            ambiguity_curves(8, [0.25, 0.5], [2, 3], n_sentences=20, ledger=ledger),
            varying_tree_module.first_moment_curves([0.25, 0.3], [3, 4], n_shapes=10, ledger=ledger),
            first_moment_growth([0.2, 0.3], 4, n_shapes=10, ledger=ledger),
        )

    first = measure(RunLedger(tmp_path / "runs.jsonl"))
    assert len(RunLedger(tmp_path / "runs.jsonl")) == 4 + 2 + 1  # (L, f) pairs parsed, depths, one growth
    for name in ("ambiguity", "expected_extra_trees", "growth_by_depth"):
        monkeypatch.setattr(varying_tree_module, name, lambda *a, **k: pytest.fail("computed again"))
    again = measure(RunLedger(tmp_path / "runs.jsonl"))
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(first))
    with pytest.raises(pytest.fail.Exception):  # another setting is another run
        first_moment_growth([0.2, 0.3], 4, n_shapes=11, ledger=RunLedger(tmp_path / "runs.jsonl"))


def test_latent_sample_complexity_on_a_tiny_grammar():
    r = latent_sample_complexity(4, 2, depths=(2, 3), samples=(50, 200, 800, 3200), seeds=1, n_test=300)
    latent, token = r["learners"]["latent"], r["learners"]["token"]
    assert latent["L"] == [2, 3] and latent["theory"] == 1.0 and token["theory"] == 2.0
    assert all(np.isfinite(latent["P_star"])) and latent["fit"] is not None
    assert set(latent["curves"]["2"]) == {"P", "accuracy"} and latent["curves"]["2"]["accuracy"][-1] >= 0.9


def test_srhm_invariances_need_empty_positions():
    with pytest.raises(InvalidParameterError, match="s0 >= 1"):
        srhm_invariances(dict(v=4, n_c=2, m=2, s=2, L=2), s0=0)
    with pytest.raises(InvalidParameterError, match="model"):
        srhm_invariances(dict(v=4, n_c=2, m=2, s=2, L=2), s0=1, model="fc")


def test_srhm_invariances_scale_the_sizes_to_each_network(one_thread):
    # n_c m^L = 16; at s0 = 1 the CNN's scale is (s0 + 1)^2 16 = 64 and the LCN's (s0 + 1)^3 16 = 128
    grammar = dict(v=4, n_c=2, m=2, s=2, L=3)
    small = dict(factors=(0.5, 1), seeds=1, n_test=32, network={"width": 8, "steps": 20, "batch_size": 16})
    for model, scale in (("cnn", 64), ("lcn", 128)):
        r = srhm_invariances(grammar, s0=1, model=model, **small)
        assert r["model"] == model and r["scale"] == scale and r["P"] == [scale // 2, scale]
        assert [row["P"] for row in r["summary"]] == r["P"]
        for name in ("synonym", "diffeo"):
            S = np.array(r[name]["layers"])
            assert S.shape == (3, 2) and np.all(S >= 0) and len(r[name]["initial"]) == 3


def test_the_ensemble_studies_run_again_with_their_ledger_train_nothing(one_thread, tmp_path, monkeypatch):
    """rhm_learning (its CNN measured after training, its shallow net for rows only), the srhm invariances, the
    power-law curves, the srhm sample complexity, the varying-tree curves and the latent learners resume from
    the ledger alone (as committed, or carried to another machine: no weights, no checkpoints) with the same
    numbers, the sensitivities measured after training included."""
    import cooc.experiments.varying_tree as varying_tree_module
    import cooc.train.grammar.ensemble as ensemble_module
    from cooc._core.ledger import RunLedger
    from cooc.experiments.varying_tree import varying_tree_learning
    from cooc.train.grammar.latent_network import LatentNetwork
    from cooc.train.grammar.latent_prediction import LatentClustering

    specs = ["rhm:v=4,n_c=2,m=2,s=2,L=3", "rhm:v=4,n_c=4,m=2,s=2,L=3"]
    kw = dict(factors=(1, 4), seeds=1, n_test=64, cnn={"steps": 30, "width": 8},
              shallow={"steps": 30, "width": 8, "factors": (4,)})  # fmt: skip
    small = dict(factors=(0.5, 1), seeds=1, n_test=32, network={"width": 8, "steps": 20, "batch_size": 16})
    grammar = dict(v=4, n_c=2, m=2, s=2, L=3)
    path = tmp_path / "runs.jsonl"
    zipf = dict(exponents=(1.0,), samples=(8, 16), seeds=1, n_test=32, network={"width": 8, "steps": 20})
    sc = dict(s0_values=(0, 1), factors=(1,), seeds=1, n_test=32, network=small["network"])

    def everything():
        torch.manual_seed(0)
        return (
            rhm_sample_complexity(specs, ledger=RunLedger(path), **kw),
            srhm_invariances(grammar, s0=1, model="cnn", ledger=RunLedger(path), **small),
            power_law_curves(dict(v=8, n_c=4, m=8, s=2, L=1), ledger=RunLedger(path), **zipf),
            srhm_sample_complexity(grammar, ledger=RunLedger(path), **sc),
            varying_tree_learning(
                4,
                2,
                [0.25],
                [8, 16],
                n_test=16,
                cnn={"width": 8, "steps": 10},
                transformer={"d_model": 8, "n_heads": 2, "n_layers": 1, "steps": 10},
                ledger=RunLedger(path),
            ),  # fmt: skip
            latent_sample_complexity(
                4,
                2,
                depths=(2,),
                samples=(50, 200),
                seeds=1,
                n_test=100,
                learners=("latent", "network"),
                network={"steps": 10},
                ledger=RunLedger(path),
            ),
        )

    first = everything()
    shutil.rmtree(tmp_path / "runs-checkpoints", ignore_errors=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.jsonl"]
    trained = []
    real = ensemble_module.train_ensemble
    monkeypatch.setattr(ensemble_module, "train_ensemble", lambda *a, **k: trained.append(1) or real(*a, **k))
    real_classifier = varying_tree_module.train_classifier
    monkeypatch.setattr(
        varying_tree_module, "train_classifier", lambda *a, **k: trained.append(2) or real_classifier(*a, **k)
    )
    for cls in (LatentClustering, LatentNetwork):
        monkeypatch.setattr(cls, "fit", lambda self, *a, **k: trained.append(3))
    again = everything()
    assert trained == []
    np.testing.assert_equal(again, first)


def test_varying_tree_transformers_trained_at_once_equal_those_trained_one_by_one(tmp_path, monkeypatch):
    """``jobs=2``: each transformer trains in a process of its own, to the same numbers; all are recorded."""
    import cooc._core.run_pool as run_pool

    monkeypatch.setattr(run_pool, "available_cores", lambda: 2)  # one torch thread in each worker, whatever the machine
    real_run_all, asked = run_pool.run_all, []
    monkeypatch.setattr(
        run_pool, "run_all", lambda tasks, jobs=1, *a: asked.append((len(tasks), jobs)) or real_run_all(tasks, jobs, *a)
    )
    from cooc._core.ledger import RunLedger
    from cooc.experiments.varying_tree import varying_tree_learning

    kw = dict(
        n_test=16, cnn={"width": 8, "steps": 10}, transformer={"d_model": 8, "n_heads": 2, "n_layers": 1, "steps": 10}
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in each worker (float sums depend on the threads)
    try:
        torch.manual_seed(0)
        alone = varying_tree_learning(4, 2, [0.25], [8, 16], seeds=2, **kw)
        torch.manual_seed(0)
        ledger = RunLedger(tmp_path / "runs.jsonl")
        together = varying_tree_learning(4, 2, [0.25], [8, 16], seeds=2, ledger=ledger, jobs=2, **kw)
    finally:
        torch.set_num_threads(threads)
    assert together["by_f"]["0.25"]["transformer"] == alone["by_f"]["0.25"]["transformer"]
    assert len(RunLedger(tmp_path / "runs.jsonl")) == 1 + 4  # the CNNs' ensemble and four transformers
    assert asked == [(4, 1), (4, 2)]  # alone, then the four transformers two at a time


@pytest.mark.parametrize("progress", [True, False])
def test_the_ensemble_drivers_pass_progress_on_to_their_ensembles(one_thread, capsys, monkeypatch, progress):
    """The studies pass ``progress=study.full``: every driver hands it to each ensemble it trains (lines off a
    terminal, one per step here), and none shows progress without it."""
    import cooc.train.grammar.ensemble as ensemble_module
    from cooc.experiments.varying_tree import varying_tree_learning

    monkeypatch.setattr(ensemble_module, "PROGRESS_LOG_SECONDS", 0.0)
    net = {"width": 8, "steps": 3, "batch_size": 8}
    grammar = dict(v=4, n_c=2, m=2, s=2, L=3)
    specs = ["rhm:v=4,n_c=2,m=2,s=2,L=3", "rhm:v=4,n_c=4,m=2,s=2,L=3"]
    tiny = dict(seeds=1, n_test=16, network=net, progress=progress)
    runs = {
        "rhm_sample_complexity (CNN and shallow net)": lambda: rhm_sample_complexity(
            specs, factors=(1,), seeds=1, n_test=16, cnn=net, shallow={**net, "factors": (2,)}, progress=progress
        ),
        "srhm_invariances": lambda: srhm_invariances(grammar, s0=1, factors=(1,), **tiny),
        "srhm_sample_complexity": lambda: srhm_sample_complexity(
            grammar, s0_values=(0, 1), models=("cnn",), factors=(1,), **tiny
        ),
        "power_law_curves": lambda: power_law_curves(
            dict(v=8, n_c=4, m=8, s=2, L=1), exponents=(1.0,), samples=(8,), **tiny
        ),
        "varying_tree_learning": lambda: varying_tree_learning(
            4, 2, [0.25], [8], n_test=16, cnn=net, transformer=False, progress=progress
        ),
    }
    ensembles = {"rhm_sample_complexity (CNN and shallow net)": 2, "srhm_sample_complexity": 2}
    for name, run in runs.items():
        run()
        ends = [line for line in capsys.readouterr().err.splitlines() if "3/3 steps," in line]
        assert len(ends) == (2 * ensembles.get(name, 1) if progress else 0), name  # the last step's line and close's
