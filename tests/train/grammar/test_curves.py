"""Learning curves on grammars: data, P* estimation on synthetic curves, the CNN learning a tiny RHM."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.pcfg import VaryingTreeGrammar
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.srhm import SparseRandomHierarchyModel
from cooc.train._torch import torch_device
from cooc.train.grammar.curves import curve_table, learning_curve, sample_complexity, summarize
from cooc.train.grammar.data import draw_data, grammar_from_spec, grammar_scale


def test_sample_complexity_exact_on_log_linear_pieces():
    # 0.4 at P=100, 0 at P=1000; threshold 0.1 * 0.9 = 0.09 is crossed at t = 0.31 / 0.4 of the decade.
    p_star = sample_complexity([10, 100, 1000], [0.8, 0.4, 0.0], chance_error=0.9)
    assert p_star == pytest.approx(10 ** (2 + 0.31 / 0.4), rel=1e-12)


def test_sample_complexity_on_a_smooth_curve():
    P0, chance = 300.0, 0.75
    P = np.geomspace(10, 1e5, 200)
    err = chance * np.exp(-P / P0)  # crosses 10% of chance at P0 ln 10
    assert sample_complexity(P, err, chance) == pytest.approx(P0 * math.log(10), rel=2e-3)
    assert sample_complexity(P, err, chance, fraction=0.5) == pytest.approx(P0 * math.log(2), rel=2e-3)


def test_sample_complexity_unbracketed_and_bad_input():
    assert math.isnan(sample_complexity([10, 100], [0.8, 0.5], 0.9))
    assert math.isnan(sample_complexity([10, 100], [0.01, 0.0], 0.9))
    with pytest.raises(InvalidParameterError):
        sample_complexity([100, 10], [0.8, 0.0], 0.9)
    with pytest.raises(InvalidParameterError):
        sample_complexity([10, 100], [0.8], 0.9)


def test_draw_data_shapes_disjoint_and_nested(tdevice):
    device = torch_device(tdevice)
    g = RandomHierarchyModel(v=4, n_c=3, m=2, s=2, L=2)  # P_max = 3 * 2**3 = 24
    data = draw_data(g, 16, 8, "cnn", seed=1, device=device)
    assert data.X.shape == (24, 4, 4) and data.y.shape == (24,) and data.n_out == 3
    assert (data.filter_size, data.depth, data.chance_error) == (2, 2, pytest.approx(2 / 3))
    Xtr, ytr = data.train(16)
    Xte, _ = data.test()
    train = {tuple(r) for r in Xtr.argmax(1).cpu().tolist()}
    test = {tuple(r) for r in Xte.argmax(1).cpu().tolist()}
    assert len(train) == 16 and len(test) == 8 and not train & test  # distinct sentences, held out
    assert (data.train(10)[0] == Xtr[:10]).all()
    # Labels are the classes that generated the sentences (the exact parser agrees).
    parsed = g.parse(Xtr.argmax(1).cpu().numpy())
    assert parsed.valid.all() and (parsed.labels == ytr.cpu().numpy()).all()
    ids = draw_data(g, 16, 8, "transformer", task="next", seed=1, device=device)
    assert ids.X.shape == (24, 3) and ids.n_out == 4 and not ids.X.dtype.is_floating_point and ids.task == "next"
    torch_ids = data.X.argmax(1)
    assert (ids.y == torch_ids[:, -1]).all() and (ids.X == torch_ids[:, :-1]).all()
    with pytest.raises(InvalidParameterError, match="P_max = 24"):
        draw_data(g, 20, 8, "cnn", seed=1, device=device)


def test_draw_data_sparse_and_varying_tree():
    srhm = SparseRandomHierarchyModel(v=4, n_c=3, m=2, s=2, L=2, s0=1)
    data = draw_data(srhm, 16, 8, "cnn", seed=0)
    assert data.X.shape == (24, 4, 16) and data.filter_size == 4 and data.depth == 2
    assert (data.X.sum((1, 2)) == 4).all()  # s**L informative tokens, the empty ones all-zero columns
    vt = VaryingTreeGrammar(v=4, f=0.5, L=2)
    data = draw_data(vt, 30, 10, "transformer", seed=0)
    assert data.X.shape == (40, 9) and data.pad_id == 4
    lengths = (data.X != 4).sum(1)
    assert lengths.min() >= 4 and lengths.max() <= 9
    with pytest.raises(InvalidParameterError, match="filter_size"):
        learning_curve(vt, "cnn", samples=[10], n_test=5, steps=1)
    with pytest.raises(InvalidParameterError, match="parameter 'seeds' must name at least one seed"):
        learning_curve(srhm, "cnn", samples=[10], seeds=[], n_test=5, steps=1)  # not an empty table's IndexError
    assert math.isnan(grammar_scale(vt)) and grammar_scale(srhm) == 3 * 2**2


def test_grammar_from_spec():
    g = grammar_from_spec("rhm:v=8,n_c=4,m=2,s=2,L=3")
    assert isinstance(g, RandomHierarchyModel) and g.params()["L"] == 3
    with pytest.raises(InvalidParameterError, match="cannot be used for training"):
        grammar_from_spec("taxonomy:")


def test_cnn_learns_a_tiny_rhm(tdevice):
    """v = n_c = 8, m = 4, L = 2 (P_max = 512): with 384 samples the deep CNN fits them all and generalises."""
    g = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=2)
    rows = learning_curve(
        g,
        "cnn",
        samples=[384],
        seeds=[0],
        n_test=128,
        steps=600,
        batch_size=32,
        lr=3e-3,
        model_kwargs={"width": 64},
        device=tdevice,
    )
    (row,) = rows
    assert row["train_error"] == 0.0
    assert row["test_error"] < 0.1 * row["chance_error"], row
    assert row["chance_error"] == pytest.approx(7 / 8)


def test_a_network_that_turns_nan_is_an_error():
    import torch

    from cooc._core.errors import TrainingDivergedError
    from cooc.train.grammar.curves import train_classifier
    from cooc.train.grammar.models import build_model

    data = draw_data(RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2), 16, 8, "cnn", seed=0)
    net = build_model("cnn", data.vocab_size, data.seq_len, data.n_out, filter_size=2, depth=2)
    with torch.no_grad():
        next(net.parameters()).fill_(float("nan"))
    X, y = data.train(16)
    with pytest.raises(TrainingDivergedError, match=r"the network diverged by step 5 \(training loss nan\)"):
        train_classifier(net, X, y, steps=20, batch_size=8, eval_every=5)


def test_curve_table_and_summary_on_fixed_rows():
    g = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=2)
    rows = [
        {"P": P, "seed": s, "test_error": e, "test_loss": 1.0, "train_error": 0.0, "chance_error": 0.875}
        for s, errs in enumerate([[0.8, 0.4, 0.0], [0.8, 0.2, 0.0]])
        for P, e in zip([10, 100, 1000], errs)
    ]
    summary = summarize(rows)
    assert [s["test_error"] for s in summary] == pytest.approx([0.8, 0.3, 0.0])
    table = curve_table(g, rows)
    threshold = 0.0875
    assert table["P_star"] == pytest.approx(10 ** (2 + (0.3 - threshold) / 0.3))
    assert table["scale"] == 8 * 4**2 and table["P_star_over_scale"] == pytest.approx(table["P_star"] / 128)
    assert table["P_star_sd"] > 0


def test_the_summary_counts_and_names_the_networks_that_never_fitted_their_training_set(caplog):
    """A run whose training error ends at half of chance or above is counted as ``untrained`` at its P
    (it stays in the mean) and a warning names its seed; runs that fitted, or nearly, are not."""
    rows = [
        {"P": P, "seed": s, "test_error": e, "test_loss": 1.0, "train_error": t, "chance_error": 0.75}
        for P, s, e, t in [
            (100, 0, 0.5, 0.0),
            (100, 1, 0.5, 0.37),  # just below half of chance: still learning, not untrained
            (1000, 0, 0.0, 0.0),
            (1000, 1, 0.75, 0.375),  # exactly half of chance: untrained
            (1000, 2, 0.75, 0.74),
        ]
    ]
    with caplog.at_level("WARNING", logger="cooc"):
        summary = summarize(rows)
    assert [s["untrained"] for s in summary] == [0, 2]
    assert summary[1]["test_error"] == pytest.approx(0.5)  # the failed runs stay in the mean
    (record,) = caplog.records
    assert "2 of 3 networks at P = 1000 did not fit their training set" in record.getMessage()
    assert "seeds 1, 2" in record.getMessage()


def test_transformer_and_fc_run_on_the_next_token_task():
    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2)  # P_max = 32
    for model, kw in (("transformer", {"d_model": 8, "n_heads": 2, "n_layers": 1}), ("fc", {"width": 8})):
        (row,) = learning_curve(g, model, samples=[16], n_test=8, task="next", steps=5, model_kwargs=kw)
        assert row["chance_error"] == pytest.approx(0.75) and row["steps"] == 5 and row["test_loss"] > 0


def test_runs_trained_at_once_equal_runs_trained_alone_and_resume_from_the_ledger(tmp_path):
    """``jobs=2``: each (P, seed) trains in a process of its own, to the same bits as alone; each row is
    recorded as it ends, and asked again the curve takes them from the ledger (their ``seconds`` too)."""
    from cooc._core.ledger import RunLedger

    g = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=2)  # P_max = 32
    kw = dict(samples=[8, 16], seeds=[0, 1], n_test=8, steps=20, batch_size=4, model_kwargs={"width": 8})
    alone = learning_curve(g, "cnn", **kw)
    seen = []
    together = learning_curve(g, "cnn", jobs=2, ledger=RunLedger(tmp_path / "runs.jsonl"), callback=seen.append, **kw)
    assert [(r["P"], r["seed"]) for r in together] == [(8, 0), (16, 0), (8, 1), (16, 1)]
    for a, b in zip(together, alone):
        assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
    assert sorted((r["P"], r["seed"]) for r in seen) == [(8, 0), (8, 1), (16, 0), (16, 1)]
    ledger = RunLedger(tmp_path / "runs.jsonl")
    assert len(ledger) == 4
    seen.clear()
    again = learning_curve(g, "cnn", ledger=ledger, callback=seen.append, **kw)
    assert again == together and ledger.taken == 4 and len(seen) == 4
    other = learning_curve(g, "cnn", ledger=ledger, **{**kw, "steps": 21})  # another setting: trained afresh
    assert ledger.taken == 4 and len(ledger) == 8 and [r["steps"] for r in other] == [21] * 4
    with pytest.raises(InvalidParameterError, match="jobs"):
        learning_curve(g, "cnn", jobs=0, **kw)
