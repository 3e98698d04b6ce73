"""Batched ensembles: each member is exactly the network it stands for, trained independently of the others."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.train.grammar.curves import summarize
from cooc.train.grammar.ensemble import EnsembleNetwork, Pools, ensemble_curve, train_ensemble
from cooc.train.grammar.models import FullyConnected, HierarchicalCNN


def one_hot_batch(K, B, T, c, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, c, size=(K, B, T))
    x = np.zeros((K, B, T, c), dtype=np.float32)
    x[np.arange(K)[:, None, None], np.arange(B)[None, :, None], np.arange(T)[None, None, :], ids] = 1
    return torch.from_numpy(x)


def test_cnn_member_is_the_hierarchical_cnn():
    K, c, s, L, w, n_out = 3, 5, 2, 3, 7, 4
    net = EnsembleNetwork("cnn", K, c, s**L, n_out, width=w, filter_size=s, seed=1)
    x = one_hot_batch(K, 6, s**L, c)
    out = net(x)
    for k in range(K):
        ref = HierarchicalCNN(c, s, L, n_out, width=w)
        with torch.no_grad():
            convs = [m for m in ref.features if isinstance(m, torch.nn.Conv1d)]
            channels = [c] + [w] * (L - 1)
            for conv, W, b, ch in zip(convs, net.weights[:-1], net.biases[:-1], channels):
                conv.weight.copy_(W[k].reshape(s, ch, w).permute(2, 1, 0))
                conv.bias.copy_(b[k, 0])
            ref.readout.weight.copy_(net.weights[-1][k].T)
            ref.readout.bias.copy_(net.biases[-1][k, 0])
        expected = ref(x[k].transpose(1, 2))  # HierarchicalCNN takes (B, channels, T)
        torch.testing.assert_close(out[k], expected, rtol=1e-5, atol=1e-5)


def test_lcn_with_equal_patch_weights_is_the_cnn_and_fc_is_an_mlp():
    K, c, s, L, w, n_out = 2, 3, 3, 2, 6, 5
    cnn = EnsembleNetwork("cnn", K, c, s**L, n_out, width=w, filter_size=s, seed=0)
    lcn = EnsembleNetwork("lcn", K, c, s**L, n_out, width=w, filter_size=s, seed=0)
    with torch.no_grad():
        for Wl, bl, Wc, bc in zip(lcn.weights[:-1], lcn.biases[:-1], cnn.weights[:-1], cnn.biases[:-1]):
            Wl.copy_(Wc[:, None].expand_as(Wl))
            bl.copy_(bc[:, :, None].expand_as(bl))
        lcn.weights[-1].copy_(cnn.weights[-1])
        lcn.biases[-1].copy_(cnn.biases[-1])
    x = one_hot_batch(K, 4, s**L, c, seed=2)
    torch.testing.assert_close(lcn(x), cnn(x))
    assert lcn.weights[0].shape == (K, s, s * c, w)  # one weight matrix per patch
    fc = EnsembleNetwork("fc", K, c, s**L, n_out, width=w, seed=3)
    ref = FullyConnected(s**L * c, n_out, width=w, depth=1)
    with torch.no_grad():
        ref.net[1].weight.copy_(fc.weights[0][1].T)
        ref.net[1].bias.copy_(fc.biases[0][1, 0])
        ref.net[3].weight.copy_(fc.weights[1][1].T)
        ref.net[3].bias.copy_(fc.biases[1][1, 0])
    torch.testing.assert_close(fc(x)[1], ref(x[1]))


def test_members_do_not_interact():
    net = EnsembleNetwork("pool-cnn", 3, 4, 9, 3, width=5, seed=0)
    x = one_hot_batch(3, 8, 9, 4)
    loss = net(x)[1].sum()  # only member 1
    loss.backward()
    for p in net.parameters():
        assert p.grad[0].abs().sum() == 0 and p.grad[2].abs().sum() == 0 and p.grad[1].abs().sum() > 0
    hidden = net.hidden(x)
    assert [h.shape[2] for h in hidden] == [5, 3, 2, 1]  # width-3 convolutions, max-pool 2 down to one position
    with pytest.raises(InvalidParameterError, match="filter_size"):
        EnsembleNetwork("cnn", 2, 4, 9, 3, filter_size=2)


def test_an_ensemble_learns_a_tiny_rhm_and_rows_follow_learning_curve():
    torch.manual_seed(0)
    g = RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2, rule_seed=0)  # P_max = 16
    samples = [g.sample(16, seed=s, distinct=True) for s in range(2)]
    pools = Pools.from_arrays([s.one_hot() for s in samples], [s.labels for s in samples], 4, 2)
    run = ensemble_curve(pools, "cnn", [2, 12], filter_size=2, width=32, steps=300, lr=1e-2, batch_size=12)
    assert len(run.rows) == 4 and {r["P"] for r in run.rows} == {2, 12}
    big = [r for r in run.rows if r["P"] == 12]
    assert all(r["train_error"] == 0 for r in big)
    summary = summarize(run.rows)
    assert summary[-1]["test_error"] <= summary[0]["test_error"] and summary[0]["chance_error"] == 0.5
    with pytest.raises(InvalidParameterError, match="must lie in"):
        train_ensemble(run.net, pools, [0, 0, 1, 1], [2, 13, 2, 12])


def test_an_ensemble_run_is_taken_from_its_ledger_with_its_weights(tmp_path, monkeypatch):
    import cooc.train.grammar.ensemble as ensemble_module
    from cooc._core.ledger import RunLedger

    g = RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2, rule_seed=0)
    samples = [g.sample(16, seed=s, distinct=True) for s in range(2)]
    pools = Pools.from_arrays([s.one_hot() for s in samples], [s.labels for s in samples], 4, 2)
    kw = dict(filter_size=2, width=8, steps=30, lr=1e-2, batch_size=12)
    trained = []
    real = ensemble_module.train_ensemble
    monkeypatch.setattr(ensemble_module, "train_ensemble", lambda *a, **k: trained.append(1) or real(*a, **k))
    first = ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    again = ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    assert len(trained) == 1 and again.rows == first.rows
    x = pools.X[first.pool_of, :4]  # each member's held-out sentences
    torch.testing.assert_close(again.net(x), first.net(x), rtol=0, atol=0)  # the trained weights, not fresh ones
    rows_only = ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), keep_net=False, **kw)
    assert len(trained) == 1 and rows_only.net is None and rows_only.rows == first.rows
    for weights in (tmp_path / "runs-checkpoints").glob("*.npz"):
        weights.unlink()  # recorded, but the weights are gone: the network is trained again
    ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    assert len(trained) == 2
    ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), **{**kw, "lr": 2e-2})
    ensemble_curve(pools, "cnn", [2, 8], ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    other = Pools.from_arrays([s.one_hot() for s in samples[::-1]], [s.labels for s in samples[::-1]], 4, 2)
    ensemble_curve(other, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), **kw)
    assert len(trained) == 5  # another rate, other sizes, other data: each trained


def test_a_measured_run_resumes_from_its_ledger_alone(tmp_path, monkeypatch):
    """``measure`` is called once on the trained network and its result recorded beside the rows, in the
    form the ledger gives back; run again on the ledger alone (no weights anywhere), nothing is trained
    or measured and the same rows and measurement come back. Another ``measure_about``, or a ledger that
    holds the rows without the measurement and no weights, trains and measures again."""
    import cooc.train.grammar.ensemble as ensemble_module
    from cooc._core.ledger import RunLedger

    pools = _tiny_pools()
    kw = dict(filter_size=2, width=8, steps=30, lr=1e-2, batch_size=12, keep_net=False)
    trained, measured = [], []
    real = ensemble_module.train_ensemble
    monkeypatch.setattr(ensemble_module, "train_ensemble", lambda *a, **k: trained.append(1) or real(*a, **k))

    def outputs(run):  # each member's outputs on its held-out sentences, a numpy array
        measured.append(1)
        with torch.no_grad():
            return {"out": run.net(pools.X[run.pool_of, :4]).numpy(), "nan": float("nan"), "call": len(measured)}

    def curve(about=None, name="runs.jsonl"):
        ledger = RunLedger(tmp_path / name)
        return ensemble_curve(pools, "cnn", [2, 12], ledger=ledger, measure=outputs, measure_about=about, **kw)

    first = curve({"name": "outputs"})
    assert (len(trained), len(measured)) == (1, 1) and first.net is not None
    assert first.measured["nan"] is None and isinstance(first.measured["out"][0][0][0], float)  # JSON's form
    assert not list((tmp_path / "runs-checkpoints").glob("*.npz"))  # no weights were kept
    again = curve({"name": "outputs"})
    assert (len(trained), len(measured)) == (1, 1) and again.net is None
    assert again.rows == first.rows and again.measured == first.measured
    curve({"name": "other outputs"})
    assert (len(trained), len(measured)) == (2, 2)
    rows_only = ensemble_curve(pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs2.jsonl"), **kw)
    assert rows_only.measured is None and len(trained) == 3
    resumed = ensemble_curve(
        pools, "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs2.jsonl"), measure=outputs, **kw
    )  # the rows are recorded, the measurement and the weights are not: trained again to measure
    assert (len(trained), len(measured)) == (4, 3) and resumed.measured["out"] == first.measured["out"]
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    (tmp_path / "measured_only.jsonl").write_text("".join(line + "\n" for line in lines if '"measured"' in line))
    fresh = curve({"name": "outputs"}, "measured_only.jsonl")  # a measurement without its rows: never reused
    assert (len(trained), len(measured)) == (5, 4) and fresh.measured["call"] == 4


def test_pools_pad_ragged_pools_and_keep_their_classes():
    a = np.zeros((10, 3, 4), dtype=np.float32)
    b = np.ones((7, 3, 4), dtype=np.float32)
    pools = Pools.from_arrays([a, b], [np.zeros(10), np.ones(7)], 2, [2, 5])
    assert pools.X.shape == (2, 10, 4, 3) and pools.n_rows == [10, 7] and pools.n_train(1) == 5
    assert pools.n_out == 5 and pools.chance_error(0) == 0.5
    with pytest.raises(InvalidParameterError, match="same input shape"):
        Pools.from_arrays([a, np.zeros((5, 2, 4))], [np.zeros(10), np.zeros(5)], 2, 2)


@pytest.mark.parametrize(
    "labels, n_test, n_classes, match",
    [
        ([np.zeros(10)], 2, [2, 5], r"2 input pools need as many label arrays and class counts, got 1 and 2"),
        ([np.zeros(10), np.ones(7)], 2, [2], r"got 2 and 1"),
        ([np.zeros(10), np.ones(7)], -5, [2, 5], r"parameter 'n_test'"),  # trained on the last rows, tested on the rest
        (
            [np.full(10, 3), np.ones(7)],
            2,
            [2, 5],
            r"pool 0's labels must be 10 integers in \[0, 2\).*values in \[3, 3\]",
        ),
        ([np.zeros(10), np.full(7, 0.5)], 2, [2, 5], r"pool 1's labels must be 7 integers"),
        ([np.zeros(9), np.ones(7)], 2, [2, 5], r"got shape \(9,\)"),
    ],
)
def test_pools_refuse_labels_and_sizes_they_would_train_on_wrongly(labels, n_test, n_classes, match):
    a, b = np.zeros((10, 3, 4), dtype=np.float32), np.ones((7, 3, 4), dtype=np.float32)
    with pytest.raises(InvalidParameterError, match=match):
        Pools.from_arrays([a, b], labels, n_test, n_classes)


def _tiny_pools():
    g = RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2, rule_seed=0)
    samples = [g.sample(16, seed=s, distinct=True) for s in range(2)]
    return Pools.from_arrays([s.one_hot() for s in samples], [s.labels for s in samples], 4, 2)


def test_an_interrupted_ensemble_resumes_from_its_checkpoint_where_a_whole_run_ends(tmp_path):
    """Stopped after 20 of 60 steps (checkpointed at every measurement), then run again: the weights and the
    fit are those of an uninterrupted run, bit for bit (weights, Adam's moments and the batches' generator)."""
    pools = _tiny_pools()
    kw = dict(steps=60, batch_size=12, lr=1e-2, loss_tol=0.0, eval_every=10, seed=3)

    def fresh():
        return EnsembleNetwork("cnn", 4, pools.X.shape[3], pools.X.shape[2], 2, width=8, filter_size=2, seed=1)

    args = ([0, 0, 1, 1], [2, 12, 2, 12])
    whole_net = fresh()
    whole = train_ensemble(whole_net, pools, *args, **kw)
    cut = train_ensemble(fresh(), pools, *args, checkpoint=tmp_path / "ck", checkpoint_every=0, _stop_after=20, **kw)
    assert cut["steps"] == 20 and (tmp_path / "ck" / "state.json").exists()
    net = fresh()
    resumed = train_ensemble(net, pools, *args, checkpoint=tmp_path / "ck", checkpoint_every=0, **kw)
    assert resumed["steps"] == whole["steps"] == 60
    assert whole["resumed_seconds"] == 0 and resumed["resumed_seconds"] > 0  # the first part's training time
    np.testing.assert_array_equal(resumed["train_loss"], whole["train_loss"])
    for (name, a), b in zip(whole_net.state_dict().items(), net.state_dict().values()):
        assert torch.equal(a, b), name


def test_an_ensemble_curve_checkpoints_beside_its_ledger_and_clears_it_once_recorded(tmp_path, monkeypatch):
    import cooc.train.grammar.ensemble as ensemble_module
    from cooc._core.ledger import RunLedger

    seen = []
    real = ensemble_module.train_ensemble

    def train(*a, **k):  # checkpoint at every measurement, and look at the folder before the run is recorded
        out = real(*a, **{**k, "checkpoint_every": 0})
        seen.append((k["checkpoint"], (k["checkpoint"] / "state.json").exists()))
        return out

    monkeypatch.setattr(ensemble_module, "train_ensemble", train)
    ensemble_curve(_tiny_pools(), "cnn", [2, 12], ledger=RunLedger(tmp_path / "runs.jsonl"), filter_size=2, width=8,
                   steps=30, eval_every=10, loss_tol=0.0, lr=1e-2, batch_size=12)  # fmt: skip
    [(folder, written)] = seen
    assert folder.parent == tmp_path / "runs-checkpoints" and folder.name.endswith("-progress") and written
    assert not folder.exists()  # recorded: the run's checkpoint is gone, its weights stay
    assert list((tmp_path / "runs-checkpoints").glob("*.npz"))


def test_a_member_that_turns_nan_stops_the_ensemble_with_an_error():
    from cooc._core.errors import TrainingDivergedError

    pools = _tiny_pools()
    net = EnsembleNetwork("cnn", 4, pools.X.shape[3], pools.X.shape[2], 2, width=8, filter_size=2, seed=1)
    batched = next(p for p in net.parameters() if p.shape[0] == net.K)
    with torch.no_grad():
        batched[1].fill_(float("nan"))  # one member only: members do not interact
    with pytest.raises(
        TrainingDivergedError, match=r"1 of 4 networks of the ensemble diverged by step 5 .*\(lr = 0.01\)"
    ):
        train_ensemble(net, pools, [0, 0, 1, 1], [2, 12, 2, 12], steps=20, batch_size=12, lr=1e-2, eval_every=5)


@pytest.mark.parametrize("progress", [True, False])
def test_an_ensemble_says_how_far_it_is_when_asked(capsys, monkeypatch, progress):
    """With ``progress``, off a terminal: a line per step here (``PROGRESS_LOG_SECONDS`` = 0), labelled with the
    members' median training loss once measured, and a last line with the steps taken; none without."""
    import cooc.train.grammar.ensemble as ensemble_module

    monkeypatch.setattr(ensemble_module, "PROGRESS_LOG_SECONDS", 0.0)
    pools = _tiny_pools()
    net = EnsembleNetwork("cnn", 4, pools.X.shape[3], pools.X.shape[2], 2, width=8, filter_size=2, seed=1)
    fit = train_ensemble(net, pools, [0, 0, 1, 1], [2, 12, 2, 12], steps=12, batch_size=12, eval_every=5,
                         loss_tol=0.0, progress=progress)  # fmt: skip
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    if not progress:
        assert lines == []
        return
    assert fit["steps"] == 12 and len(lines) == 13
    assert lines[0].startswith("4 cnn networks: 1/12 steps, ") and "left" in lines[0]
    assert lines[5].startswith("4 cnn networks: median training loss ")  # measured at step 5
    assert ", 0 below 0: 6/12 steps" in lines[5] and lines[-1].split(": ")[-1].startswith("12/12 steps")


def test_a_resumed_ensemble_counts_its_progress_from_its_checkpoint(tmp_path, capsys, monkeypatch):
    import cooc.train.grammar.ensemble as ensemble_module

    monkeypatch.setattr(ensemble_module, "PROGRESS_LOG_SECONDS", 0.0)
    pools = _tiny_pools()
    kw = dict(steps=12, batch_size=12, eval_every=5, loss_tol=0.0, checkpoint=tmp_path / "ck", checkpoint_every=0)

    def fresh():
        return EnsembleNetwork("cnn", 4, pools.X.shape[3], pools.X.shape[2], 2, width=8, filter_size=2, seed=1)

    train_ensemble(fresh(), pools, [0, 0, 1, 1], [2, 12, 2, 12], _stop_after=10, **kw)
    capsys.readouterr()
    train_ensemble(fresh(), pools, [0, 0, 1, 1], [2, 12, 2, 12], progress=True, **kw)
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 3 and lines[0].split(": ")[-1].startswith("11/12 steps")  # steps 11, 12 and the close
