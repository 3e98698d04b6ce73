"""Next-token drivers: step positions, excess-loss exponents, the resumable learning-curve study."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cooc.experiments.next_token import excess_exponent, lm_study, rhm_theory, step_positions
from cooc.grammars.rhm import RandomHierarchyModel


@pytest.fixture(autouse=True)
def _one_torch_thread_each_test():
    """Numba's parallel counting (run by other tests in this process) sets OpenMP's thread count, which torch
    shares: put torch back on one thread, or these tiny models train many times slower on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_step_positions_interpolate_the_midpoint_crossing_in_log_p():
    P = [10, 20, 40, 80]
    loss = [2.0, 1.5, 0.5, 0.4]
    plateaus = [2.0, 1.0, 0.45, 0.1]
    # step 1 crosses 1.5 exactly at P = 20 ... below it first at 40: interpolate between 20 (1.5) and 40 (0.5)
    first, second, third = step_positions(P, loss, plateaus)
    t = (1.5 - 1.5) / (1.5 - 0.5)
    assert first == pytest.approx(math.exp(math.log(20) + t * math.log(2)))
    assert second == pytest.approx(math.exp(math.log(20) + (1.5 - 0.725) / 1.0 * math.log(2)))
    assert math.isnan(third)  # never crosses 0.275
    assert math.isnan(step_positions([1, 2], [0.1, 0.05], [2.0, 1.0])[0])  # already below at the first point


def test_excess_exponent_is_the_seed_mean_with_its_standard_error():
    rows = [
        {"P": P, "seed": s, "test_loss": 0.3 + (2 + s) * P ** -(0.5 + 0.1 * s)}
        for s in range(3)
        for P in (10, 100, 1000)
    ]
    fit = excess_exponent(rows, 0.3)
    assert fit["per_seed"] == pytest.approx([0.5, 0.6, 0.7]) and fit["alpha"] == pytest.approx(0.6)
    assert fit["alpha_err"] == pytest.approx(0.1 / math.sqrt(3))


def test_rhm_theory_matches_the_formulas():
    model = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2)
    theory = rhm_theory(model, 4)
    np.testing.assert_allclose(theory["P_l"], [4 * 2 / 0.5, 4 * 8 / 0.5])
    assert theory["plateaus"][0] > theory["plateaus"][1] > theory["plateaus"][2] == pytest.approx(theory["floor"])
    assert theory["by_position"][-1] == theory["floor"] and rhm_theory(object(), 4) is None


def test_lm_study_resumes_finished_runs(tmp_path):
    kwargs = dict(model="transformer", samples=[8, 16], seeds=1, n_val=8, n_test=16, device="cpu",
                  model_kwargs={"d_model": 8, "n_heads": 2, "n_layers": 1}, steps=10, eval_every=5)  # fmt: skip
    first = lm_study("rhm:v=4,n_c=4,m=2,s=2,L=3", tmp_path, **kwargs)
    assert [r["P"] for r in first["rows"]] == [8, 16] and (tmp_path / "curves.csv").exists()
    saved = json.loads((tmp_path / "runs.json").read_text())
    saved["rows"][0]["test_loss"] = 123.0  # a finished run is taken from runs.json, not retrained
    (tmp_path / "runs.json").write_text(json.dumps(saved))
    second = lm_study("rhm:v=4,n_c=4,m=2,s=2,L=3", tmp_path, **kwargs)
    assert second["rows"][0]["test_loss"] == 123.0 and second["rows"][1] == first["rows"][1]


def test_lm_study_refuses_a_folder_another_process_writes(tmp_path):
    from cooc._core.errors import OutputBusyError
    from cooc._core.locks import lock_directory

    from ..held import held_by_another_process

    with held_by_another_process(lambda: lock_directory(tmp_path, what="output folder")):
        with pytest.raises(OutputBusyError):
            lm_study("rhm:v=4,n_c=4,m=2,s=2,L=3", tmp_path, samples=[8], n_val=8, n_test=16, device="cpu", steps=2)
        assert not (tmp_path / "runs.json").exists()


def test_rhm_plateaus_equal_conditional_entropies_counted_over_every_sentence():
    """H_l by hand: enumerate all P_max sentences (equally likely: uniform root, uniform productions) and take
    H(last | the s**l - 1 tokens before it) = H(those s**l tokens) - H(the s**l - 1 before the last)."""
    from collections import Counter

    def entropy(columns: np.ndarray) -> float:
        if columns.shape[1] == 0:
            return 0.0
        p = np.array(list(Counter(map(tuple, columns)).values())) / columns.shape[0]
        return float(-(p * np.log(p)).sum())

    model = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3)
    X = np.asarray(model.from_indices(np.arange(model.P_max)).ids())
    n = X.shape[1]
    by_hand = [entropy(X[:, n - 2**l :]) - entropy(X[:, n - 2**l : n - 1]) for l in range(model.L + 1)]
    np.testing.assert_allclose(rhm_theory(model, n)["plateaus"], by_hand, atol=1e-12)
    # H_0 by hand on the same grammar: the last token's marginal
    counts = np.bincount(X[:, -1], minlength=model.v) / model.P_max
    assert by_hand[0] == pytest.approx(float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum()))


def test_control_contexts_give_their_own_steps_and_the_context_sweep_reuses_the_curves_runs():
    """A control curve reads the last T tokens and measures only the steps its context holds; the context sweep's
    runs at the largest P (one seed, draw 0) are the curves' own, equal to training them again."""
    from cooc._core.errors import InvalidParameterError
    from cooc.experiments.next_token import next_token_experiment
    from cooc.train.grammar.lm import lm_learning_curve
    from cooc.train.grammar.lm_data import lm_data

    spec, train = "rhm:v=4,n_c=4,m=2,s=2,L=3", {"steps": 20, "batch_size": 8, "eval_every": 10, "patience": 2}
    models = {"cnn": {"model_kwargs": {"width": 8}}}
    r = next_token_experiment(spec, [8, 16], 2, models, train, (2, 4, 8), 16, context_model="cnn",
                              control_contexts=(4,), n_val=8, n_test=16)  # fmt: skip
    (control,) = r["controls"]
    assert control["T"] == 4 and [s["level"] for s in control["steps"]] == [1, 2]  # no step 3 from 4 tokens
    assert [s["level"] for s in r["steps"]["cnn"]] == [1, 2, 3] and len(control["steps"][0]["ratio_per_seed"]) == 2
    whole = [row for row in r["curves"]["cnn"]["rows"] if row["P"] == 16 and row["seed"] == 0]
    assert r["context"]["loss"][2] == whole[0]["test_loss_last"]
    for i, T in ((1, 4), (2, 8)):
        again = lm_learning_curve(lm_data(spec, T, 16, 8, 16, seed=0), "cnn", [16], seeds=[0], targets="last",
                                  model_kwargs={"width": 8}, **train)  # fmt: skip
        assert r["context"]["loss"][i] == pytest.approx(again[0]["test_loss_last"], abs=1e-7), T
    with pytest.raises(InvalidParameterError, match="control_contexts' must hold powers"):
        next_token_experiment(spec, [8], 1, models, train, (), 8, context_model="cnn", control_contexts=(3,))


def test_the_control_can_be_another_model_than_the_context_sweeps():
    """``control_model``: the control curve is that model's, and the context sweep (another model) trains its own
    runs at the control's T instead of taking the control's."""
    from cooc._core.errors import InvalidParameterError
    from cooc.experiments.next_token import next_token_experiment
    from cooc.train.grammar.lm import lm_learning_curve
    from cooc.train.grammar.lm_data import lm_data

    spec, train = "rhm:v=4,n_c=4,m=2,s=2,L=3", {"steps": 20, "batch_size": 8, "eval_every": 10, "patience": 2}
    tiny = {"d_model": 8, "n_heads": 2, "n_layers": 1}
    models = {"cnn": {"model_kwargs": {"width": 8}}, "transformer": {"model_kwargs": tiny}}
    r = next_token_experiment(spec, [8, 16], 1, models, train, (4,), 16, context_model="transformer",
                              control_contexts=(4,), control_model="cnn", n_val=8, n_test=16)  # fmt: skip
    (control,) = r["controls"]
    assert control["model"] == "cnn" and all(row["model"] == "cnn" for row in control["rows"])
    alone = lm_learning_curve(lm_data(spec, 4, 16, 8, 16, seed=0), "transformer", [16], seeds=[0], targets="last",
                              model_kwargs=tiny, **train)  # fmt: skip
    assert r["context"]["loss"][0] == pytest.approx(alone[0]["test_loss_last"], abs=1e-7)
    cnn_at_16 = [row for row in control["rows"] if row["P"] == 16]
    assert r["context"]["loss"][0] != cnn_at_16[0]["test_loss_last"]
    default = next_token_experiment(spec, [8], 1, models, train, (), 8, context_model="transformer",
                                    control_contexts=(4,), n_val=8, n_test=16)  # fmt: skip
    assert default["controls"][0]["model"] == "transformer"  # without control_model: the context sweep's
    with pytest.raises(InvalidParameterError, match="parameter 'control_model' must be one of"):
        next_token_experiment(spec, [8], 1, models, train, (), 8, control_contexts=(4,), control_model="lstm")


def test_the_experiment_run_again_with_its_ledger_trains_nothing_and_gives_the_same_numbers(tmp_path, monkeypatch):
    """Every run of the study (curves, control, context sweep) goes through the ledger."""
    import cooc.train.grammar.lm as lm_module
    from cooc._core.ledger import RunLedger
    from cooc.experiments.next_token import next_token_experiment

    spec, train = "rhm:v=4,n_c=4,m=2,s=2,L=3", {"steps": 20, "batch_size": 8, "eval_every": 10, "patience": 2}
    models = {"cnn": {"model_kwargs": {"width": 8}}}
    args = (spec, [8, 16], 2, models, train, (2, 4, 8), 16)
    kw = dict(context_model="cnn", control_contexts=(4,), n_val=8, n_test=16)
    first = next_token_experiment(*args, **kw, ledger=RunLedger(tmp_path / "runs.jsonl"))
    trained = []
    real = lm_module.train_lm
    monkeypatch.setattr(lm_module, "train_lm", lambda *a, **k: trained.append(a[2]) or real(*a, **k))
    ledger = RunLedger(tmp_path / "runs.jsonl")
    again = next_token_experiment(*args, **kw, ledger=ledger)
    assert trained == [] and ledger.taken > 0
    assert again["context"]["loss"] == first["context"]["loss"]
    np.testing.assert_equal(again["steps"], first["steps"])  # NaN where a step is not bracketed, in both
    np.testing.assert_equal(again["controls"][0]["summary"], first["controls"][0]["summary"])
    calls = []  # every learning curve of the study (curves, control, context sweep) gets the study's jobs
    real_curve = lm_module.lm_learning_curve
    monkeypatch.setattr(
        lm_module, "lm_learning_curve", lambda *a, **k: calls.append(k.get("jobs")) or real_curve(*a, **k)
    )
    next_token_experiment(*args, **kw, ledger=RunLedger(tmp_path / "runs.jsonl"), jobs=3)
    assert len(calls) == 2 + 2 + 1 and set(calls) == {3}


def test_the_step_positions_p_l_are_the_uniform_rules_formula_and_not_given_for_power_law_rules(tmp_path):
    """P_l comes from the covariances of uniform productions; with Zipf-like ones (``a``) it is NaN, and the study's
    figure draws no P_l, while the plateaus H_l stay exact."""
    uniform = rhm_theory(RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2), 4)
    zipf = rhm_theory(RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2, a=1.0), 4)
    np.testing.assert_allclose(uniform["P_l"], [16, 64])
    assert np.isnan(zipf["P_l"]).all() and zipf["plateaus"][0] > zipf["plateaus"][-1] > 0
    r = lm_study("rhm:v=4,n_c=4,m=2,s=2,L=2,a=1,distinct=false", tmp_path, model="cnn", samples=[8], n_val=8,
                 n_test=16, device="cpu", steps=2)  # fmt: skip
    assert "loss.png" in r["files"] and np.isnan(r["theory"]["P_l"]).all()
