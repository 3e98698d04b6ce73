"""Language models on next-token prediction: causality, data, training against exact entropies, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.stats import next_token_entropy, positional_entropies
from cooc.train._torch import generator
from cooc.train.grammar.lm import evaluation_due, last_token_loss, lm_learning_curve, lm_losses, train_lm
from cooc.train.grammar.lm_data import lm_data
from cooc.train.grammar.lm_models import build_lm, cnn_depth

from ..conftest import write_corpus


# -- models -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs",
    [("transformer", {"d_model": 16, "n_heads": 2}), ("cnn", {"width": 8}), ("cnn", {"width": 8, "filter_size": 3})],
)
def test_the_causal_mask_leaks_nothing(name, kwargs):
    """Changing token t (or any later one) never changes the predictions at positions <= t, bit for bit."""
    torch.manual_seed(0)
    net = build_lm(name, 7, 20, **kwargs)
    x = torch.randint(0, 7, (4, 20))
    reference = net(x)
    gen = torch.Generator().manual_seed(1)
    for t in range(20):
        changed = x.clone()
        changed[:, t:] = torch.randint(0, 7, (4, 20 - t), generator=gen)
        out = net(changed)
        assert torch.equal(out[:, : t + 1], reference[:, : t + 1]), t
        if t + 1 < 20:  # the next position does read token t
            assert not torch.equal(out[:, t + 1], reference[:, t + 1]), t


@pytest.mark.parametrize("T, s", [(8, 2), (6, 2), (2, 2), (27, 3), (11, 3)])
def test_cnn_last_position_shortcut_equals_the_full_stack(T, s):
    torch.manual_seed(0)
    net = build_lm("cnn", 5, T, filter_size=s, width=8)
    x = torch.randint(0, 5, (3, T))
    torch.testing.assert_close(net.forward_last(x), net(x)[:, -1], rtol=0, atol=1e-6)
    assert net.depth == cnn_depth(T, s) and s**net.depth >= T and (net.depth == 1 or s ** (net.depth - 1) < T)


def test_cnn_dropout_acts_on_the_hidden_units_while_training_only():
    """dropout=p zeroes hidden units with probability p during training (both the full stack and the
    last-position shortcut, which agree in eval mode); 0 is the plain network; p must lie in [0, 1)."""
    torch.manual_seed(0)
    x = torch.randint(0, 5, (64, 8))
    plain = build_lm("cnn", 5, 8, width=32)
    dropped = build_lm("cnn", 5, 8, width=32, dropout=0.6)
    dropped.load_state_dict(plain.state_dict())
    for net in (plain, dropped):
        net.eval()
    torch.testing.assert_close(dropped.forward_last(x), plain.forward_last(x), rtol=0, atol=0)
    torch.testing.assert_close(dropped(x)[:, -1], dropped.forward_last(x), rtol=0, atol=1e-6)
    dropped.train()
    plain.train()
    assert torch.equal(plain.forward_last(x), plain.forward_last(x))  # no dropout: deterministic
    a, b = dropped.forward_last(x), dropped.forward_last(x)
    assert not torch.equal(a, b) and not torch.equal(dropped(x), dropped(x))
    # the readout's input while training: ReLU's zeros, and 60 % of the units left
    seen = []
    hook = dropped.readout.register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
    dropped.forward_last(x)
    dropped.eval()
    dropped.forward_last(x)
    hook.remove()
    zero_train, zero_eval = (float((h == 0).float().mean()) for h in seen)
    assert zero_train == pytest.approx(zero_eval + 0.6 * (1 - zero_eval), abs=0.05), (zero_train, zero_eval)
    with pytest.raises(InvalidParameterError, match="dropout"):
        build_lm("cnn", 5, 8, dropout=1.0)


def test_cnn_window_is_the_tree_at_the_last_token():
    """On a sentence of s^L tokens the last output depends on every earlier token and on no later padding."""
    torch.manual_seed(0)
    net = build_lm("cnn", 4, 8, width=8)
    x = torch.randint(0, 4, (2, 8))
    base = net.forward_last(x)
    for t in range(7):
        y = x.clone()
        y[:, t] = (y[:, t] + 1) % 4
        assert not torch.allclose(net.forward_last(y), base), t
    y = x.clone()
    y[:, 7] = (y[:, 7] + 1) % 4  # the target itself is masked
    assert torch.equal(net.forward_last(y), base)


def test_mean_field_readout_is_the_hidden_layer_times_unit_weights_over_the_width():
    """readout="mean_field": logits = h @ W.T / width, W of unit-variance entries and no bias (the papers' scaling)."""
    torch.manual_seed(0)
    width = 256
    net = build_lm("cnn", 5, 8, width=width, readout="mean_field")
    assert net.readout.bias is None
    assert net.readout.weight.std().item() == pytest.approx(1.0, abs=0.05)  # 1280 entries of N(0, 1)
    x = torch.randint(0, 5, (3, 8))
    hidden = {}
    net.readout.register_forward_hook(lambda module, args, out: hidden.__setitem__("h", args[0]))
    out = net.forward_last(x)
    torch.testing.assert_close(out, hidden["h"] @ net.readout.weight.T / width, rtol=0, atol=1e-6)
    torch.testing.assert_close(net(x)[:, -1], out, rtol=0, atol=1e-6)  # the full stack scales the same way
    standard = build_lm("cnn", 5, 8, width=width)
    assert standard.readout.bias is not None and standard.readout.weight.std().item() < 0.1
    with pytest.raises(InvalidParameterError, match="parameter 'readout' must be one of"):
        build_lm("cnn", 5, 8, readout="ntk")


def test_sgd_takes_plain_gradient_steps():
    """optimizer="sgd" (momentum 0): each of two steps moves every weight by exactly -lr times its gradient."""
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=2,distinct=false", None, 16, 8, 8, seed=0)
    torch.manual_seed(0)
    net = build_lm("cnn", 4, 4, width=8, readout="mean_field")
    # one evaluation, after the second step: the kept weights are those of step 2
    train_lm(
        net, data, 16, targets="last", steps=2, batch_size=16, lr=2.0, optimizer="sgd", eval_every=2, eval_early=False
    )
    # replay both steps by hand, with train_lm's batches (its generator keyed by seed, P, step)
    torch.manual_seed(0)
    ref = build_lm("cnn", 4, 4, width=8, readout="mean_field")
    for step in range(2):
        x = data.batch(16, 16, generator(torch.device("cpu"), 0, 16, step))
        ref.zero_grad()
        torch.nn.functional.cross_entropy(ref.forward_last(x), x[:, -1]).backward()
        with torch.no_grad():
            for p in ref.parameters():
                p -= 2.0 * p.grad
    for name, p in ref.named_parameters():
        torch.testing.assert_close(dict(net.named_parameters())[name], p, rtol=0, atol=1e-5)
    with pytest.raises(InvalidParameterError, match="parameter 'optimizer' must be one of"):
        train_lm(net, data, 16, optimizer="lbfgs")


@pytest.mark.parametrize("targets", ["last", "all"])
def test_a_diverging_language_model_is_an_error_not_its_initial_weights(tmp_path, targets):
    """lr = 1e4 turns the transformer's losses to NaN: the run stops with an error instead of keeping its
    first weights as the 'best' and reporting their test loss as if trained."""
    from cooc._core.errors import TrainingDivergedError

    data = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3,distinct=false", None, 64, 16, 16, seed=0)
    torch.manual_seed(0)
    with pytest.raises(
        TrainingDivergedError, match=r"diverged by step \d+ \(validation loss nan\); .*lr = 10000"
    ) as err:
        train_lm(build_lm("transformer", 8, 8), data, 64, targets=targets, steps=50, lr=1e4, eval_every=10,
                 checkpoint=tmp_path / "ckpt", checkpoint_every=10)  # fmt: skip
    stopped = int(str(err.value).split("by step ")[1].split()[0])
    state = tmp_path / "ckpt" / "state.json"
    if state.exists():  # a checkpoint from before the NaN validation, never one of it
        assert json.loads(state.read_text())["run"]["step"] < stopped
    torch.manual_seed(0)
    fine = train_lm(build_lm("transformer", 8, 8), data, 64, targets=targets, steps=20, lr=1e-3, eval_every=10)
    assert np.isfinite(fine["val_loss"])


def test_unknown_model_name_is_a_one_line_error():
    with pytest.raises(InvalidParameterError, match=r"parameter 'model' must be one of \('transformer', 'cnn'\)"):
        build_lm("lstm", 4, 8)


# -- data ---------------------------------------------------------------------------------------------
def test_rhm_contexts_are_distinct_sentence_tails():
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", 4, 40, 10, 20, seed=0)
    assert data.kind == "sentences" and data.context == 4 and data.vocab_size == 4 and data.filter_size == 2
    assert data.train.shape == (40, 4) and data.val.shape == (10, 4) and data.test.shape == (20, 4)
    model = RandomHierarchyModel(v=4, n_c=4, m=2, s=2, L=3)
    whole = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 40, 10, 20, seed=0)
    assert torch.equal(whole.train[:, -4:], data.train)  # the last 4 tokens of the same sentences
    sentences = np.concatenate([whole.train.numpy(), whole.val.numpy(), whole.test.numpy()])
    assert len({tuple(r) for r in sentences}) == 70 and model.parse(sentences).valid.all()


def test_bad_contexts_and_sizes_are_one_line_errors():
    with pytest.raises(InvalidParameterError, match=r"context T = 16 is longer than the sentences .* \(8 tokens\)"):
        lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", 16, 10, 10, 10)
    # P_max = 4 * 2^7 = 512 distinct sentences
    with pytest.raises(InvalidParameterError, match=r"600 distinct sentences asked for .* only P_max = 512"):
        lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 500, 50, 50)
    iid = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3,distinct=false", None, 500, 50, 50)
    assert iid.train.shape == (500, 8)
    with pytest.raises(InputDataError, match="neither a grammar spec"):
        lm_data("nothing-here", 8, 1, 1, 1)
    with pytest.raises(InvalidParameterError, match=r"vocab_size \(3\) keeps a corpus' most frequent words"):
        lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 10, 5, 5, vocab_size=3)  # a grammar's v is its vocabulary
    for sizes, name in (((10, 0, 5), "n_val"), ((10, 5, 0), "n_test"), ((0, 5, 5), "n_train")):
        with pytest.raises(InvalidParameterError, match=f"lm data: parameter '{name}' must be an integer in \\[1"):
            lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, *sizes)


def test_corpus_contexts_are_windows_of_a_separated_stream(tmp_path):
    docs = [np.arange(i, i + 7) % 6 for i in range(30)]
    corpus = write_corpus(tmp_path / "c", docs, [f"w{i}" for i in range(6)])
    data = lm_data(corpus.path, 4, 20, 5, 5, vocab_size=4)
    unk, sep = 4, 5
    assert data.kind == "stream" and data.vocab_size == 6 and data.words[-2:] == ["<unk>", "</s>"]
    stream = np.concatenate([np.r_[np.where(d >= 4, unk, d), sep] for d in docs])
    np.testing.assert_array_equal(data.test.numpy().ravel(), stream[:20])  # held-out contexts come first
    np.testing.assert_array_equal(data.val.numpy().ravel(), stream[20:40])
    np.testing.assert_array_equal(data.train.numpy(), stream[40 : 40 + 80])
    batch = data.batch(3, 16, torch.Generator().manual_seed(0))
    starts = [int(np.flatnonzero((np.lib.stride_tricks.sliding_window_view(stream[40:52], 4) == row).all(1))[0])
              for row in batch.numpy()]  # fmt: skip
    assert batch.shape == (16, 4) and all(0 <= s <= 8 for s in starts)  # windows inside the first P*T tokens
    with pytest.raises(InputDataError, match="need 1,600 tokens"):
        lm_data(corpus.path, 8, 190, 5, 5)
    with pytest.raises(InvalidParameterError, match="lm data: parameter 'n_test' must be an integer in"):
        lm_data(corpus.path, 4, 20, 5, 0)


def test_variable_length_grammars_become_streams():
    data = lm_data("varying-tree:v=4,f=0.25,L=2", 16, 30, 5, 5, seed=0)
    assert data.kind == "stream" and data.words[-1] == "</s>" and data.train.numel() == 30 * 16
    with pytest.raises(InvalidParameterError, match="varying length: give a context length T"):
        lm_data("varying-tree:v=4,f=0.25,L=2", None, 30, 5, 5)


# -- training ---------------------------------------------------------------------------------------------
def test_loss_approaches_the_exact_conditional_entropy_at_every_position():
    """A tiny RHM (P_max = 32 equally likely sentences) sampled i.i.d.: after training on 2000 sentences the
    transformer's expected loss at every position (its cross-entropy averaged over all 32 sentences, so no
    test-set noise) lies within 0.05 nats above the exact H(x_t | x_<t), and never below it (Gibbs)."""
    torch.manual_seed(0)
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=2,distinct=false", None, 2000, 256, 16, seed=0)
    grammar = data.grammar
    exact, _ = positional_entropies(grammar)
    every = torch.from_numpy(np.asarray(grammar.enumerate().ids()))
    net = build_lm("transformer", 4, 4, d_model=32, n_heads=2, n_layers=2)
    before = lm_losses(net, every)
    train_lm(net, data, 2000, targets="all", steps=300, batch_size=64, lr=3e-3, eval_every=25, patience=4)
    after = lm_losses(net, every)
    assert exact[0] == pytest.approx(np.log(4), abs=0.2) and exact[-1] < exact[0] - 0.5
    assert np.all(after >= exact - 1e-6) and np.all(after - exact < 0.05), (after, exact)
    assert np.all(before - exact > 0.1)  # far from it before training


def test_last_token_training_and_the_cnn_reach_the_entropy_given_the_sentence():
    torch.manual_seed(0)
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=2,distinct=false", None, 2000, 256, 16, seed=1)
    target = next_token_entropy(data.grammar, 3)[0]
    every = torch.from_numpy(np.asarray(data.grammar.enumerate().ids()))
    net = build_lm("cnn", 4, 4, width=32)
    fit = train_lm(net, data, 2000, targets="last", steps=400, batch_size=64, lr=3e-3, eval_every=25, patience=4)
    assert fit["test_loss"] == fit["test_loss_last"]
    assert 0 <= last_token_loss(net, every) - target < 0.03
    assert last_token_loss(net, data.test) == pytest.approx(lm_losses(net, data.test)[-1], abs=1e-5)


def test_a_run_resumed_from_its_checkpoint_ends_where_an_uninterrupted_one_does(tmp_path):
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=2,distinct=false", None, 64, 32, 32, seed=0)
    settings = dict(targets="all", batch_size=16, lr=3e-3, eval_every=5, patience=100, seed=3)

    def fresh():
        torch.manual_seed(0)
        return build_lm("transformer", 4, 4, d_model=16, n_heads=2)

    whole = train_lm(fresh(), data, 64, steps=40, **settings)
    first = train_lm(fresh(), data, 64, steps=40, checkpoint=tmp_path / "ck", checkpoint_every=20, **{**settings})
    assert first["test_loss"] == whole["test_loss"]  # checkpointing changes nothing
    # an interrupted run: stop after 20 steps (a checkpoint at 20), then rerun to 40 from the checkpoint
    half = train_lm(fresh(), data, 64, steps=40, checkpoint=tmp_path / "ck2", checkpoint_every=20,
                    **{**settings, "patience": 100}, progress=False, _stop_after=20)  # fmt: skip
    assert half["steps"] == 20
    resumed = train_lm(fresh(), data, 64, steps=40, checkpoint=tmp_path / "ck2", checkpoint_every=20, **settings)
    assert resumed["steps"] == 40 and resumed["test_loss"] == pytest.approx(whole["test_loss"], abs=1e-6)
    assert resumed["best_step"] == whole["best_step"]


def test_a_checkpoint_taken_before_the_first_evaluation_resumes(tmp_path):
    """With eval_early=False the best validation loss is still infinite at an early checkpoint (JSON writes null)."""
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=2,distinct=false", None, 64, 32, 32, seed=0)
    settings = dict(targets="all", steps=40, batch_size=16, lr=3e-3, eval_every=25, patience=100, seed=3)

    def fresh():
        torch.manual_seed(0)
        return build_lm("transformer", 4, 4, d_model=16, n_heads=2)

    whole = train_lm(fresh(), data, 64, eval_early=False, **settings)
    ck = dict(checkpoint=tmp_path / "ck", checkpoint_every=10, eval_early=False)
    assert train_lm(fresh(), data, 64, _stop_after=10, **ck, **settings)["steps"] == 10
    resumed = train_lm(fresh(), data, 64, **ck, **settings)
    assert resumed["steps"] == 40 and resumed["test_loss"] == pytest.approx(whole["test_loss"], abs=1e-6)


@pytest.mark.parametrize("name, kwargs", [("cnn", {"width": 16}), ("transformer", {"d_model": 16, "n_heads": 2})])
def test_a_run_with_dropout_resumed_from_its_checkpoint_ends_where_an_uninterrupted_one_does(tmp_path, name, kwargs):
    """Dropout draws from torch's global generator: the checkpoint keeps its state, so the resumed run draws
    the masks the uninterrupted one drew, whatever the generator holds when it resumes (bit for bit)."""
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3,distinct=false", None, 64, 32, 32, seed=0)
    settings = dict(targets="all", steps=40, batch_size=16, lr=3e-3, eval_every=5, patience=100, seed=3)

    def fresh():
        torch.manual_seed(0)
        return build_lm(name, 4, 8, dropout=0.5, **kwargs)

    whole = train_lm(fresh(), data, 64, **settings)
    half = train_lm(fresh(), data, 64, checkpoint=tmp_path / "ck", checkpoint_every=20, _stop_after=20, **settings)
    assert half["steps"] == 20
    net = fresh()
    torch.manual_seed(12345)  # the process that resumes has drawn other numbers before
    resumed = train_lm(net, data, 64, checkpoint=tmp_path / "ck", checkpoint_every=20, **settings)
    assert resumed["steps"] == 40 and resumed["best_step"] == whole["best_step"]
    assert resumed["test_loss"] == whole["test_loss"] and resumed["train_loss"] == whole["train_loss"]
    assert [h[:2] for h in resumed["history"]] == [h[:2] for h in whole["history"] if h[0] > 20]


_REFUSED = {  # a change of one setting that keeps the weights' shapes -> the name the refusal gives it
    "n_heads": ({"n_heads": 4}, {}, "model.layers.blocks.0.n_heads"),
    "dropout": ({"dropout": 0.3}, {}, "model.layers.blocks.0.dropout"),
    "eval_every": ({}, {"eval_every": 10}, "eval_every"),
    "patience": ({}, {"patience": 5}, "patience"),
    "weight_decay": ({}, {"weight_decay": 0.01}, "weight_decay"),
    "eval_early": ({}, {"eval_early": False}, "eval_early"),
    "momentum": ({}, {"optimizer": "sgd", "momentum": 0.9}, "momentum, optimizer"),
    "data": ({}, {"data_seed": 1}, "data"),
}


@pytest.mark.parametrize("change", _REFUSED.values(), ids=list(_REFUSED))
def test_a_checkpoint_of_other_settings_is_refused_not_resumed(tmp_path, change):
    """The checkpoint is keyed by the data, the network and every training setting that changes the result:
    a run of other settings refuses it (naming what changed) instead of mixing two runs; it is left as it was."""
    from cooc._core.errors import OutputExistsError

    model, train, changed = change
    settings = dict(targets="all", steps=40, batch_size=16, lr=3e-3, eval_every=5, patience=100, seed=3)

    def run(model_kwargs, data_seed=0, **kw):
        data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3,distinct=false", None, 64, 32, 32, seed=data_seed)
        torch.manual_seed(0)
        net = build_lm("transformer", 4, 8, **{"d_model": 16, "n_heads": 2, "n_layers": 1, **model_kwargs})
        return train_lm(net, data, 64, checkpoint=tmp_path / "ck", checkpoint_every=20, **{**settings, **kw})

    run({}, _stop_after=20)
    before = (tmp_path / "ck" / "state.json").read_text()
    with pytest.raises(OutputExistsError, match=rf"belongs to a run with other settings \({changed}\)"):
        run(model, **train)
    assert (tmp_path / "ck" / "state.json").read_text() == before
    assert run({})["steps"] == 40  # the same settings resume it


def test_learning_curve_rows_and_errors():
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 40, 20, 20, seed=0)
    rows = lm_learning_curve(data, "cnn", [10, 40], seeds=[0, 1], targets="last", model_kwargs={"width": 8},
                             steps=20, eval_every=10)  # fmt: skip
    assert [(r["P"], r["seed"]) for r in rows] == [(10, 0), (10, 1), (40, 0), (40, 1)]
    assert all(r["tokens"] == r["P"] * 8 and len(r["test_loss_by_position"]) == 8 for r in rows)
    with pytest.raises(InvalidParameterError, match="P = 41 training contexts asked for, but only 40"):
        lm_learning_curve(data, "cnn", [41])
    with pytest.raises(InvalidParameterError, match="parameter 'model' must be one of"):
        lm_learning_curve(data, "rnn", [10])


def test_a_learning_curve_resumes_from_its_ledger(tmp_path, monkeypatch):
    """Runs recorded in a ledger are taken from it; a changed setting or other data trains afresh."""
    import cooc.train.grammar.lm as lm_module
    from cooc._core.ledger import RunLedger

    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 40, 20, 20, seed=0)
    settings = dict(
        seeds=[0, 1], targets="last", model_kwargs={"width": 8}, steps=20, eval_every=10, checkpoint_every=10
    )
    fresh = lm_learning_curve(data, "cnn", [10, 40], **settings)
    trained = []
    real = lm_module.train_lm

    def counting(net, data, P, **kw):
        trained.append((P, kw["seed"]))
        if len(trained) == 3 and stop:
            raise KeyboardInterrupt  # the job is interrupted during its third run
        return real(net, data, P, **kw)

    monkeypatch.setattr(lm_module, "train_lm", counting)
    ledger, stop = RunLedger(tmp_path / "runs.jsonl"), True
    with pytest.raises(KeyboardInterrupt):
        lm_learning_curve(data, "cnn", [10, 40], ledger=ledger, **settings)
    assert len(RunLedger(tmp_path / "runs.jsonl")) == 2  # two runs finished and were recorded
    assert ledger.checkpoints.is_dir() and not any(ledger.checkpoints.rglob("*.json"))  # theirs are removed
    trained.clear()
    stop = False
    again = lm_learning_curve(data, "cnn", [10, 40], ledger=RunLedger(tmp_path / "runs.jsonl"), **settings)
    assert trained == [(40, 0), (40, 1)]  # only the runs not recorded were trained
    for a, b in zip(again, fresh):
        assert (a["P"], a["seed"]) == (b["P"], b["seed"])
        assert a["test_loss_last"] == b["test_loss_last"] and a["best_step"] == b["best_step"]
    trained.clear()
    lm_learning_curve(data, "cnn", [10], ledger=RunLedger(tmp_path / "runs.jsonl"), **{**settings, "steps": 30})
    assert trained == [(10, 0), (10, 1)]  # another setting: trained again
    trained.clear()
    other = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 40, 20, 20, seed=1)
    lm_learning_curve(other, "cnn", [10], ledger=RunLedger(tmp_path / "runs.jsonl"), **settings)
    assert trained == [(10, 0), (10, 1)]  # other data: trained again


def test_runs_trained_at_once_in_processes_equal_runs_trained_one_by_one(tmp_path):
    """``jobs=2``: each run trains in a process of its own, to the same bits as alone (the workers share this
    process's one torch thread: one each); rows recorded as they end."""
    from cooc._core.ledger import RunLedger

    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 40, 20, 20, seed=0)
    settings = dict(seeds=[0, 1], targets="last", model_kwargs={"width": 8}, steps=30, eval_every=10)
    alone = lm_learning_curve(data, "cnn", [10, 40], **settings)
    seen = []
    ledger = RunLedger(tmp_path / "runs.jsonl")
    together = lm_learning_curve(data, "cnn", [10, 40], jobs=2, ledger=ledger, callback=seen.append, **settings)
    timing = ("seconds", "tokens_per_second", "history")
    assert [(r["P"], r["seed"]) for r in together] == [(10, 0), (10, 1), (40, 0), (40, 1)]
    for a, b in zip(together, alone):
        assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}
    assert sorted((r["P"], r["seed"]) for r in seen) == [(10, 0), (10, 1), (40, 0), (40, 1)]
    assert len(RunLedger(tmp_path / "runs.jsonl")) == 4
    again = lm_learning_curve(data, "cnn", [10, 40], jobs=2, ledger=RunLedger(tmp_path / "runs.jsonl"), **settings)
    assert [r["seconds"] for r in again] == [r["seconds"] for r in together]  # taken from the ledger


def test_training_runs_on_every_device(tdevice):
    """The same short run on the CPU and, where torch sees one, on the GPU (bfloat16 autocast, fused Adam)."""
    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 64, 16, 32, seed=0, device=tdevice)
    for name, kwargs in (("transformer", {"d_model": 16, "n_heads": 2}), ("cnn", {"width": 8})):
        torch.manual_seed(0)
        net = build_lm(name, 4, 8, **kwargs).to(tdevice)
        fit = train_lm(net, data, 64, steps=20, eval_every=10, amp=tdevice == "cuda")
        assert np.isfinite(fit["test_loss"]) and fit["steps"] == 20
        assert [h[0] for h in fit["history"]] == [0, 1, 2, 4, 8, 10, 20]  # the early evaluations, then every 10
        assert fit["test_loss"] < np.log(4) + 0.5


def test_evaluation_batches_are_capped_by_their_logits_and_give_the_same_losses(monkeypatch):
    import cooc.train.grammar.lm as lm_module

    torch.manual_seed(0)
    net = build_lm("transformer", 50, 12, d_model=16, n_heads=2)
    ids = torch.randint(0, 50, (300, 12))
    whole, whole_last = lm_losses(net, ids), last_token_loss(net, ids)
    assert lm_module.eval_rows(4096, ids, net) == min(4096, lm_module.EVAL_LOGITS // (12 * 50))
    rows = []
    real = net.forward

    def spy(x):
        rows.append(x.shape[0])
        return real(x)

    monkeypatch.setattr(net, "forward", spy)
    monkeypatch.setattr(lm_module, "EVAL_LOGITS", 12 * 50 * 7)  # 7 contexts' logits at a time
    assert lm_losses(net, ids) == pytest.approx(whole, rel=1e-12)
    assert max(rows) == 7 and sum(rows) == 300
    rows.clear()
    assert last_token_loss(net, ids) == pytest.approx(whole_last, rel=1e-6)  # float32 sums per batch
    assert max(rows) == 7 and sum(rows) == 300
    assert lm_module.eval_rows(4096, ids[:, :1], net) == 7 * 12  # one-token contexts: 12 times the rows


def test_evaluations_come_early_then_every_eval_every():
    due = [step for step in range(1, 301) if evaluation_due(step, 300, 100, True)]
    assert due == [1, 2, 4, 8, 16, 32, 64, 100, 200, 300]
    assert [step for step in range(1, 251) if evaluation_due(step, 250, 100, False)] == [100, 200, 250]
    assert [step for step in range(1, 13) if evaluation_due(step, 12, 1, True)] == list(range(1, 13))


def test_early_evaluations_keep_the_best_weights_of_a_network_that_memorises_its_few_contexts():
    """P = 16 sentences in batches of 16 at a high rate: the network fits them within a few steps, and the
    validation loss is lowest long before a first evaluation at step 100 (the 2026-12-04 `next_token --full`
    runs kept step 100 with a loss above the untrained network's). With the early evaluations the kept
    weights are the best the run saw, never worse than the untrained network."""
    data = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3", None, 16, 128, 256, seed=0)
    fits = {}
    for early in (True, False):
        torch.manual_seed(0)
        net = build_lm("cnn", 8, 8, width=64)
        fits[early] = train_lm(
            net, data, 16, targets="last", steps=300, batch_size=16, lr=1e-2, eval_every=100, patience=2,
            eval_early=early,
        )  # fmt: skip
    late, early = fits[False], fits[True]
    assert late["best_step"] >= 100 and early["history"][0][0] == 0
    untrained = early["history"][0][1]
    assert late["val_loss"] > untrained  # the late first evaluation: past the best, worse than no training
    assert early["val_loss"] == min(h[1] for h in early["history"]) <= untrained
    assert 0 < early["best_step"] < 100 and early["test_loss_last"] < late["test_loss_last"] - 0.1


def test_the_early_evaluations_setting_is_part_of_a_runs_ledger_key(tmp_path):
    """Runs recorded before the early evaluations (their key without the setting) are not taken for new ones:
    the default's key names it, so it equals the key of an explicit ``eval_early=True`` and not of ``False``."""
    from cooc._core.ledger import RunLedger

    data = lm_data("rhm:v=4,n_c=4,m=2,s=2,L=3", None, 16, 8, 8, seed=0)
    settings = dict(seeds=[0], targets="last", model_kwargs={"width": 8}, steps=4, eval_every=2)
    ledger = RunLedger(tmp_path / "runs.jsonl")
    first = lm_learning_curve(data, "cnn", [16], ledger=ledger, **settings)
    again = lm_learning_curve(data, "cnn", [16], ledger=ledger, eval_early=True, **settings)
    assert again[0]["seconds"] == first[0]["seconds"] and len(ledger) == 1  # taken from the ledger
    lm_learning_curve(data, "cnn", [16], ledger=ledger, eval_early=False, **settings)
    assert len(ledger) == 2  # trained: a key of its own


@pytest.mark.parametrize("targets", ["last", "all"])
def test_the_kept_weights_are_chosen_on_the_validation_contexts_never_the_test_ones(targets):
    """Early stopping reads the validation split only: the same run with other test contexts keeps the same step
    and weights (only its test scores change), and the same run with other validation contexts does not."""
    from dataclasses import replace

    data = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3", None, 32, 64, 64, seed=0)
    other = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3", None, 32, 64, 64, seed=1)
    settings = dict(targets=targets, steps=60, batch_size=16, lr=1e-2, eval_every=10, patience=3)

    def run(d):
        torch.manual_seed(0)
        net = build_lm("cnn", 8, 8, width=32)
        return train_lm(net, d, 32, **settings), net

    base, net = run(data)
    swapped_test, net_t = run(replace(data, test=other.test))
    assert swapped_test["best_step"] == base["best_step"]
    assert [h[:2] for h in swapped_test["history"]] == [h[:2] for h in base["history"]]  # (step, val loss)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), net_t.state_dict().values()))
    assert swapped_test["test_loss"] != base["test_loss"]
    swapped_val, _ = run(replace(data, val=other.test))
    assert [h[1] for h in swapped_val["history"]] != [h[1] for h in base["history"]]


def test_distinct_sentences_of_power_law_rules_are_split_in_random_order():
    """With power-law productions distinct sentences are found by rejection, in the order they first appear (the
    rare ones late): cut in that order, the test sentences were far rarer than the training ones (mean
    log-likelihood -8.5 against -6.4). The parts are now draws of one distribution, and still never repeat."""
    from cooc.grammars.stats import log_likelihood

    gaps = []
    for seed in range(4):
        d = lm_data("rhm:v=8,n_c=8,m=4,s=2,L=2,a=1", None, 200, 50, 150, seed=seed)
        every = np.concatenate([d.train.numpy(), d.val.numpy(), d.test.numpy()])
        assert len({tuple(r) for r in every}) == 400
        train, test = (float(np.mean(log_likelihood(d.grammar, x.numpy()))) for x in (d.train, d.test))
        gaps.append(test - train)
    assert abs(np.mean(gaps)) < 0.4, gaps
