"""The learning studies' drivers (RHM sample complexity, sparse RHM, power-law productions): held-out sentences
never trained on, the error bars of the fitted exponents, and the weights of the learning-curve fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.experiments.power_law import fit_learning_curve, power_law_curves
from cooc.experiments.rhm_complexity import _fit as rhm_fit
from cooc.experiments.srhm import _grammar, _pools, _unseen_held_out, srhm_sample_complexity
from cooc.train._torch import task_seed

GRAMMAR = dict(v=4, n_c=2, m=2, s=2, L=3, sparsity="a")  # the srhm study's default: P_max = 2 * 2**7 = 256


def _rows(X):
    return [bytes(np.asarray(r, dtype=np.float32).tobytes()) for r in X]


def test_srhm_held_out_sentences_are_never_training_sentences_even_at_s0_zero():
    """At s0 = 0 an input is one of 256 dense sentences: an i.i.d. pool repeats held-out sentences in its training
    part (the draw below does), and the pools replace them by fresh sentences that no training set holds."""
    g = _grammar(GRAMMAR, 0)
    n_test, n = 256, 256 + 128  # the study's CNN pool at s0 = 0: n_test + 8 n_c m^L
    raw = g.sample(n, seed=task_seed(0, g.s0, 2, 31))
    raw_tokens = [bytes(r) for r in np.asarray(raw.tokens)]
    assert set(raw_tokens[:n_test]) & set(raw_tokens[n_test:])  # the problem is there to be solved
    pools, tests = _pools(g, 2, n, n_test, "cpu", salt=2)
    for i in range(2):
        X = pools.X[i, : pools.n_rows[i]].numpy()
        held_out, training = _rows(X[:n_test]), _rows(X[n_test:])
        assert not set(held_out) & set(training)
        parsed = g.parse(np.asarray(tests[i].tokens))  # the replacements are sentences, with their own labels
        assert parsed.valid.all() and (parsed.labels == pools.y[i, :n_test].numpy()).all()
        assert (tests[i].one_hot().transpose(0, 2, 1) == X[:n_test]).all()
    # the training part is the i.i.d. draw as it was: only held-out rows were replaced
    assert [bytes(r) for r in np.asarray(raw.tokens)[n_test:]] == raw_tokens[n_test:]
    kept = np.flatnonzero([t not in set(raw_tokens[n_test:]) for t in raw_tokens[:n_test]])
    assert (np.asarray(tests[0].tokens)[kept] == np.asarray(raw.tokens)[kept]).all()


def test_srhm_pools_with_placements_are_left_as_drawn_and_an_exhausted_grammar_is_refused():
    g = _grammar(GRAMMAR, 1)
    sample = g.sample(300, seed=1)
    assert _unseen_held_out(g, sample, 100, seed=2) is sample  # nothing to replace: same pools, same ledger keys
    tiny = _grammar(dict(GRAMMAR, L=2), 0)  # 16 dense sentences, all of them in a pool of 200
    with pytest.raises(InvalidParameterError, match="no held-out sentence outside it"):
        _unseen_held_out(tiny, tiny.sample(264, seed=0), 64, seed=1)


def test_srhm_sample_complexity_reports_per_seed_p_star_and_the_fits_two_errors():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        r = srhm_sample_complexity(
            GRAMMAR, s0_values=(0, 1), models=("cnn",), factors=(1, 8), seeds=2, n_test=64,
            network={"width": 8, "steps": 40, "batch_size": 16},
        )  # fmt: skip
    finally:
        torch.set_num_threads(before)
    for curve in r["models"]["cnn"]["curves"]:
        assert len(curve["P_star_per_seed"]) == 2
    fit = r["models"]["cnn"]["fit"]
    if fit is not None:
        assert {"error_fit", "error_seeds", "seed_exponents", "points"} <= set(fit)


def _curve(p_star, per_seed):
    return {"P_star": p_star, "P_star_per_seed": per_seed}


def test_rhm_fit_needs_three_grammars_and_counts_the_seeds_spread():
    scales = [32, 64, 128, 256]
    same = [_curve(2.0 * s, [2.0 * s, 2.0 * s]) for s in scales]
    fit = rhm_fit(scales, same, 2)
    assert fit["exponent"] == pytest.approx(1.0) and fit["error"] == pytest.approx(0.0, abs=1e-12)
    # the seeds disagree (exponents 0.9 and 1.1) while their mean lies on a line: the error is their spread
    spread = [_curve(2.0 * s, [2.0 * s**0.9, 2.0 * s**1.1]) for s in scales]
    fit = rhm_fit(scales, spread, 2)
    assert fit["error_seeds"] == pytest.approx(np.std([0.9, 1.1], ddof=1) / math.sqrt(2))
    assert fit["error"] == fit["error_seeds"] and fit["points"] == 4
    # a grammar whose P* was not reached is left out; below three grammars there is no fit
    missing = [*spread[:3], _curve(float("nan"), [])]  # a network with no rows: no per-seed values at all
    assert rhm_fit(scales, missing, 2)["points"] == 3
    assert rhm_fit(scales, [*spread[:2], _curve(float("nan"), []), _curve(float("nan"), [])], 2) is None


def test_the_learning_curve_fit_weights_points_by_the_standard_error_of_the_seed_mean():
    """summarize's sd divides by n; the standard error of a mean of n seeds is sd / sqrt(n - 1). With two points
    the fit has no scatter to scale by, so its error is the propagated one, computed here by hand."""
    P = np.array([100.0, 400.0])
    err = np.array([0.2, 0.1])
    sd = np.array([0.02, 0.01])  # population sd of 2 seeds
    summary = [
        {"P": p, "test_error": e, "test_error_sd": s, "seeds": 2, "chance_error": 0.9} for p, e, s in zip(P, err, sd)
    ]
    fit = fit_learning_curve(summary, ceiling=0.5)
    se = sd / math.sqrt(2 - 1)
    w = (err / se) ** 2  # 1 / sigma_log^2
    X = np.log(P)
    xm = (w * X).sum() / w.sum()
    assert fit["measured"] == pytest.approx(0.5)
    assert fit["measured_err"] == pytest.approx(math.sqrt(1 / (w * (X - xm) ** 2).sum()), rel=1e-9)


def test_power_law_curves_key_their_curves_as_the_table_prints_a():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        r = power_law_curves(
            dict(v=8, n_c=4, m=8, s=2, L=1), exponents=(1,), samples=(8, 16), seeds=1, n_test=32,
            network={"width": 8, "steps": 10},
        )  # fmt: skip
    finally:
        torch.set_num_threads(before)
    (row,) = r["exponents"]
    assert row["a"] == 1.0 and row["theory"] == pytest.approx(0.5)
    assert list(r["curves"]) == [str(row["a"])]  # the study looks each curve up by str(row["a"])


def test_rhm_curves_name_the_sizes_whose_networks_did_not_fit_their_training_sets(caplog):
    """A training error of a third of P*'s threshold doubled the shallow net's P* (600 steps instead of 1,200):
    such sizes are listed and warned of; a curve whose networks fitted everything lists none."""
    from cooc.experiments.rhm_complexity import UNDERFIT, _curve

    chance, fraction = 0.875, 0.1
    train = {432: 0.0, 864: 0.001, 1728: 0.026, 3456: 0.039}  # the default study's shallow net at 600 steps
    test = {432: 0.42, 864: 0.28, 1728: 0.17, 3456: 0.08}
    rows = [
        {"P": P, "seed": s, "test_error": test[P], "test_loss": 1.0, "train_error": train[P], "chance_error": chance}
        for s in (0, 1)
        for P in train
    ]
    with caplog.at_level("WARNING", logger="cooc"):
        curve = _curve(rows, fraction, "shallow")
    assert UNDERFIT * fraction * chance < 0.026 and curve["underfit_P"] == [1728, 3456]
    assert math.isfinite(curve["P_star"]) and curve["P_star_per_seed"] == [curve["P_star"]] * 2
    assert any("shallow" in r.getMessage() and "1728, 3456" in r.getMessage() for r in caplog.records)
    fitted = _curve([{**r, "train_error": 0.0} for r in rows], fraction)
    assert fitted["underfit_P"] == [] and fitted["P_star"] == curve["P_star"]


def test_the_shallow_net_trains_each_size_for_its_own_number_of_passes(monkeypatch):
    """With ``epochs``, a size P trains for max(steps, epochs P / batch) steps (rounded up to hundreds), each
    budget one ensemble; without it every size trains for ``steps`` in one ensemble, as recorded ledgers expect."""
    import cooc.experiments.rhm_complexity as rc

    assert rc.shallow_steps({"steps": 200, "batch_size": 64, "epochs": None}, 10_000) == 200
    assert rc.shallow_steps({"steps": 200, "batch_size": 64, "epochs": 3}, 1_000) == 200  # 47 < 200
    assert rc.shallow_steps({"steps": 200, "batch_size": 64, "epochs": 3}, 10_000) == 500  # 468.75 -> 500
    assert rc.shallow_steps({"steps": 200, "batch_size": 50, "epochs": 2}, 10_000) == 400  # exactly 400
    calls = []
    real = rc.ensemble_curve

    def spy(pools, kind, samples, **kw):
        if kind == "fc":
            calls.append((kw["steps"], {i: list(P) for i, P in samples.items()}))
        return real(pools, kind, samples, **kw)

    monkeypatch.setattr(rc, "ensemble_curve", spy)
    specs = ["rhm:v=8,n_c=4,m=2,s=2,L=3,rule_seed=1", "rhm:v=8,n_c=4,m=3,s=2,L=2,rule_seed=2"]  # two input shapes
    cnn = {"width": 4, "steps": 1, "batch_size": 8, "lr": 1e-2}  # not under test
    shallow = {"width": 8, "steps": 100, "batch_size": 4, "lr": 1e-2, "factors": (1, 2), "epochs": 10}
    rc.rhm_sample_complexity(specs, factors=(1,), seeds=1, n_test=8, cnn=cnn, shallow=shallow)
    # n_c m^L = 32 and 36: 10 passes in fours over 32, 64, 36, 72 sentences are 80, 160, 90, 180 steps
    assert calls == [(100, {0: [32]}), (200, {0: [64]}), (100, {0: [36]}), (200, {0: [72]})]
    calls.clear()
    rc.rhm_sample_complexity(specs, factors=(1,), seeds=1, n_test=8, cnn=cnn, shallow={**shallow, "epochs": None})
    assert calls == [(100, {0: [32, 64]}), (100, {0: [36, 72]})]


def test_shallow_sizes_that_do_not_fit_below_p_max_are_refused_before_any_training(monkeypatch):
    """The shallow net was silently skipped (P* nan) when none of its sizes fitted below P_max - n_test."""
    import cooc.experiments.rhm_complexity as rc

    def trained(*args, **kwargs):
        raise AssertionError("an ensemble was trained before the sizes were checked")

    monkeypatch.setattr(rc, "ensemble_curve", trained)
    monkeypatch.setattr(rc, "_run_group", trained)
    specs = ["rhm:v=4,n_c=2,m=2,s=2,L=3", "rhm:v=6,n_c=3,m=2,s=2,L=3"]  # n_c m^L = 16, 24; P_max = 256, 384
    cnn = {"width": 8, "steps": 100}
    # n_c m^L = 16: sizes 16,000 and 32,000 against P_max - n_test = 256 - 32
    with pytest.raises(
        InvalidParameterError,
        match=r"rhm:v=4,n_c=2,m=2,s=2,L=3: no shallow-net training size fits below P_max - n_test = 224 "
        r"\(sizes 16000, 32000: factors 1000, 2000 of n_c m\^L = 16\)",
    ):
        rc.rhm_sample_complexity(
            specs,
            factors=(1, 2),
            seeds=1,
            n_test=32,
            cnn=cnn,
            shallow={"width": 8, "steps": 100, "factors": (1000, 2000)},
        )
    # only the second grammar's sizes are too large: 3 * 16 = 48 <= 224, but 3 * 36 = 108 > P_max - n_test = 108 - 32
    specs = ["rhm:v=4,n_c=2,m=2,s=2,L=3", "rhm:v=8,n_c=4,m=3,s=2,L=2"]
    with pytest.raises(
        InvalidParameterError,
        match=r"rhm:v=8,n_c=4,m=3,s=2,L=2: no shallow-net training size fits below P_max - n_test = 76 "
        r"\(sizes 108: factors 3 of n_c m\^L = 36\)",
    ):
        rc.rhm_sample_complexity(
            specs, factors=(1, 2), seeds=1, n_test=32, cnn=cnn, shallow={"width": 8, "steps": 100, "factors": (3,)}
        )
