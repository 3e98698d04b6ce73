"""Skip-gram by windows (``kernel="shared"`` with batches): each window's pairs share one draw of negatives.

The torch window step and the fused Triton one (on a GPU, or in Triton's interpreter on the CPU,
tests/conftest.py) are held to the batched pair step on the window's pairs, and to autograd; the
run is held to the pairs it must train."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from cooc._core.errors import InvalidParameterError, OutputExistsError
from cooc.train._torch import torch_device
from cooc.train.word2vec import _step_torch, kernels, sampling
from cooc.train.word2vec.estimator import DEFAULT_WINDOW_BATCH, Word2Vec, _batch_size
from cooc.train.word2vec.run import TrainingRun


def _window_module(name: str, tdevice: str):
    if name == "torch":
        return _step_torch
    pytest.importorskip("triton")
    from cooc.train.word2vec import _step_triton, _step_triton_window

    if tdevice == "cpu" and not _step_triton.interpreted():
        pytest.skip("Triton runs on the CPU only in its interpreter (TRITON_INTERPRET=1 before import)")
    return _step_triton_window


def _random_windows(rng, device, n_rows: int, n_ex: int, width: int, k: int):
    """Windows with repeated rows, pads (-1; some windows all pads), and negatives equal to their centre."""
    centres = torch.as_tensor(rng.integers(0, n_rows, n_ex), device=device)
    context = torch.as_tensor(rng.integers(0, n_rows, (n_ex, width)), device=device)
    context[torch.as_tensor(rng.random((n_ex, width)) < 0.4, device=device)] = -1
    context[: max(n_ex // 10, 1)] = -1
    negatives = torch.as_tensor(rng.integers(0, n_rows, (n_ex, k)), device=device)
    negatives[::7, 0] = centres[::7]
    return centres, context, negatives


def _weights(rng, device, n_rows: int, d: int):
    return tuple(torch.as_tensor(rng.normal(0, 0.4, (n_rows, d)), dtype=torch.float32, device=device) for _ in range(2))


@pytest.mark.parametrize("damping", [None, 0.3])
@pytest.mark.parametrize("impl", ["torch", "triton", "triton-small-blocks"])
def test_window_step_is_the_pair_step_on_its_pairs(tdevice, rng, impl, damping):
    """Fresh random weights and windows: the step equals the batched pair step given every pair
    (context word, centre) with its window's negatives, to float rounding. Small Triton blocks split
    the batch over many programs with a ragged end."""
    device = torch_device(tdevice)
    steps = _window_module(impl.split("-")[0], tdevice)
    extra = {"block_m": 16} if impl == "triton-small-blocks" else {}
    n_rows, d = int(rng.integers(20, 200)), int(rng.integers(1, 40))
    n_ex, width, k = int(rng.integers(1, 1500)), int(rng.integers(1, 11)), int(rng.integers(1, 8))
    W_in, W_out = _weights(rng, device, n_rows, d)
    centres, context, negatives = _random_windows(rng, device, n_rows, n_ex, width, k)
    a, b = W_in.clone(), W_out.clone()
    loss = steps.window_step(a, b, centres, context, negatives, 0.05, damping, **extra)
    here = context >= 0
    window = here.nonzero()[:, 0]
    c, e = W_in.clone(), W_out.clone()
    pair_loss = _step_torch.sgns_step(c, e, context[here], centres[window], negatives[window], 0.05, damping)
    assert float(loss) == pytest.approx(float(pair_loss), rel=1e-5)
    scale = float((c - W_in).abs().max()) + float((e - W_out).abs().max())
    assert scale > 0
    torch.testing.assert_close(a, c, atol=1e-5 * scale + 1e-7, rtol=1e-4)
    torch.testing.assert_close(b, e, atol=1e-5 * scale + 1e-7, rtol=1e-4)


@pytest.mark.parametrize("impl", ["torch", "triton"])
def test_window_step_is_the_autograd_sgd_step(tdevice, rng, impl):
    """Undamped, the step is W - lr * grad of the windows' loss: for every context word c of a window,
    softplus(-u_c . v_centre) + sum over its negatives n != centre of softplus(u_c . v_n)."""
    device = torch_device(tdevice)
    steps = _window_module(impl, tdevice)
    n_rows, d, n_ex, width, k, lr = 9, 6, 60, 6, 3, 0.07
    W_in, W_out = _weights(rng, device, n_rows, d)
    centres, context, negatives = _random_windows(rng, device, n_rows, n_ex, width, k)
    a, b = W_in.clone(), W_out.clone()
    loss = steps.window_step(a, b, centres, context, negatives, lr, None)

    Wi, Wo = W_in.double().requires_grad_(), W_out.double().requires_grad_()
    expected = torch.zeros((), dtype=torch.float64, device=device)
    for i in range(n_ex):
        for c in context[i][context[i] >= 0].tolist():
            expected = expected + F.softplus(-Wi[c] @ Wo[centres[i]])
            for n in negatives[i].tolist():
                if n != int(centres[i]):
                    expected = expected + F.softplus(Wi[c] @ Wo[n])
    expected.backward()
    assert float(loss) == pytest.approx(expected.item(), rel=1e-5)
    torch.testing.assert_close(a.double(), Wi.detach() - lr * Wi.grad, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(b.double(), Wo.detach() - lr * Wo.grad, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("damping", [None, 0.3])
@pytest.mark.parametrize("impl", ["torch", "triton"])
def test_window_step_takes_lr_as_a_device_scalar(tdevice, rng, impl, damping):
    """As the pair steps: a learning rate in a tensor (a replayed CUDA graph) is the same step, and a
    zero learning rate (the graph's warm-up, on index buffers of zeros) leaves the weights exactly."""
    device = torch_device(tdevice)
    steps = _window_module(impl, tdevice)
    W_in, W_out = _weights(rng, device, 7, 5)
    windows = _random_windows(rng, device, 7, 200, 6, 3)
    zeros = tuple(torch.zeros_like(x) for x in windows)
    results = []
    for lr, batch in (
        (0.05, windows),
        (torch.tensor(0.05, device=device), windows),
        (torch.zeros((), device=device), zeros),
    ):
        a, b = W_in.clone(), W_out.clone()
        results.append((float(steps.window_step(a, b, *batch, lr, damping)), a, b))
    (loss_f, in_f, out_f), (loss_t, in_t, out_t), (_, in_0, out_0) = results
    assert loss_t == pytest.approx(loss_f, rel=1e-6)
    torch.testing.assert_close(in_t, in_f, atol=2e-6, rtol=1e-5)
    torch.testing.assert_close(out_t, out_f, atol=2e-6, rtol=1e-5)
    assert not torch.equal(in_f, W_in) and not torch.equal(out_f, W_out)
    assert torch.equal(in_0, W_in) and torch.equal(out_0, W_out)


@pytest.mark.parametrize("impl", ["torch", "triton"])
def test_windows_without_context_change_nothing(tdevice, rng, impl):
    device = torch_device(tdevice)
    steps = _window_module(impl, tdevice)
    W_in, W_out = _weights(rng, device, 7, 5)
    centres, context, negatives = _random_windows(rng, device, 7, 30, 4, 3)
    for batch in ((centres, torch.full_like(context, -1), negatives), (centres[:0], context[:0], negatives[:0])):
        a, b = W_in.clone(), W_out.clone()
        assert float(steps.window_step(a, b, *batch, 0.1, 1.0)) == 0.0
        assert torch.equal(a, W_in) and torch.equal(b, W_out)


def test_triton_window_step_refuses_weights_it_could_not_update_in_place(tdevice, rng):
    steps = _window_module("triton", tdevice)
    device = torch_device(tdevice)
    W_in, W_out = _weights(rng, device, 7, 5)
    windows = _random_windows(rng, device, 7, 10, 4, 3)
    with pytest.raises(ValueError, match="contiguous float32"):
        steps.window_step(W_in.double(), W_out, *windows, 0.1)
    with pytest.raises(ValueError, match="contiguous float32"):
        steps.window_step(W_in, W_out.t(), *windows, 0.1)


def test_shared_kernel_runs_by_windows_with_batches_or_on_a_gpu(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert kernels.resolve_kernel("shared", cuda) == "shared"
    assert kernels.resolve_kernel("shared", cpu, batch_size=512) == "shared"
    assert kernels.batched_windows("shared", cuda, None) and kernels.batched_windows("shared", cpu, 512)
    assert not kernels.batched_windows("shared", cpu, None)  # corpus order, the chunk kernel
    assert not kernels.batched_windows("triton", cuda, None) and not kernels.batched_windows("numba", cpu, 512)
    with pytest.raises(InvalidParameterError, match="runs on the CPU only"):
        kernels.resolve_kernel("hogwild", cuda)
    with pytest.raises(InvalidParameterError, match="'shared' for batches of windows"):
        kernels.resolve_kernel("hogwild", cpu, batch_size=512)
    assert kernels.window_kernel(cpu).name == "torch"
    assert kernels.window_kernel(cpu).window_step is _step_torch.window_step
    if importlib.util.find_spec("triton"):
        from cooc.train.word2vec import _step_triton_window

        monkeypatch.setattr(kernels, "triton_supported", lambda device: True)
        assert kernels.window_kernel(cuda).window_step is _step_triton_window.window_step
    monkeypatch.setattr(kernels, "triton_supported", lambda device: False)
    assert kernels.window_kernel(cuda).window_step is _step_torch.window_step
    # the default batch of windows on a GPU; an explicit batch size is windows too
    assert _batch_size(None, "shared", True, cuda) == DEFAULT_WINDOW_BATCH
    assert _batch_size(None, "triton", True, cuda) == 65536 and _batch_size(None, "shared", False, cuda) == 65536
    assert _batch_size(512, "shared", True, cpu) == 512 and _batch_size(None, "numba", True, cpu) == 4096


def test_a_run_by_windows_trains_every_pair_once_with_its_windows_negatives(cluster_corpus, monkeypatch):
    """Record every batch the run hands the window step: its windows hold exactly the chunk's skip-gram
    pairs (those of the subsampled tokens and drawn radii), each window's negatives are one draw of
    (windows, K), and the run reports the pairs as its examples."""
    prepared, batches = [], []
    original_prepare, original_step = TrainingRun._prepare, _step_torch.window_step

    def prepare(self, *args):
        result = original_prepare(self, *args)
        prepared.append(result[1:])
        return result

    def window_step(W_in, W_out, centres, context, negatives, lr, damping=1.0):
        batches.append((centres.clone(), context.clone(), negatives.clone()))
        return original_step(W_in, W_out, centres, context, negatives, lr, damping)

    monkeypatch.setattr(TrainingRun, "_prepare", prepare)
    monkeypatch.setattr(_step_torch, "window_step", window_step)
    params = dict(dim=8, window=3, negative=4, epochs=1, min_count=1, sample=1e-2, progress=False)
    model = Word2Vec(kernel="shared", batch_size=300, chunk_tokens=10**9, seed=5, **params).fit(cluster_corpus)
    assert len(prepared) == 1 and len(batches) > 3
    t, docs, radii = prepared[0]
    inputs, outputs = sampling.skipgram_pairs(t, docs, radii, 3)
    centres, context, negatives = (torch.cat(parts) for parts in zip(*batches))
    assert context.shape[1] == 6 and negatives.shape == (centres.numel(), 4)
    assert all(b[0].numel() == 300 for b in batches[:-1])
    here = context >= 0
    assert here.any(1).all()  # every window has a context word
    got = Counter(zip(context[here].tolist(), centres[here.nonzero()[:, 0]].tolist()))
    assert got == Counter(zip(inputs.tolist(), outputs.tolist()))
    assert model.loss_history_[0]["examples"] == inputs.numel()
    in_order, _, _ = sampling.cbow_contexts(t, docs, radii, 3)  # the windows in corpus order
    assert not torch.equal(centres, in_order) and torch.equal(centres.sort().values, in_order.sort().values)
    assert negatives.unique(dim=0).shape[0] > 0.9 * centres.numel()  # drawn afresh for every window
    same = Word2Vec(kernel="numba", batch_size=300, chunk_tokens=10**9, seed=5, **params).fit(cluster_corpus)
    assert same.loss_history_[0]["examples"] == inputs.numel()  # the pair step's pairs, from the same draws


def test_a_checkpoint_in_corpus_order_is_not_resumed_by_windows(cluster_corpus, tmp_path):
    """'shared' without a batch size (corpus order) and with the CPU's default batch size (windows) share a
    kernel name and a batch size; their checkpoints still differ in settings."""
    params = dict(dim=8, window=3, negative=3, epochs=1, min_count=1, chunk_tokens=5000, progress=False)
    ckpt = tmp_path / "ckpt"
    Word2Vec(kernel="shared", **params).fit(cluster_corpus, checkpoint=ckpt)
    with pytest.raises(OutputExistsError, match="batches"):
        Word2Vec(kernel="shared", batch_size=4096, **params).fit(cluster_corpus, checkpoint=ckpt)
    again = Word2Vec(kernel="shared", **params).fit(cluster_corpus, checkpoint=ckpt)  # the same run is reloaded
    assert not again.windows_ and "batches" not in again.embedding_.meta["provenance"]["params"]
    windows = Word2Vec(kernel="shared", batch_size=4096, **params).fit(cluster_corpus)
    assert windows.windows_ and windows.embedding_.meta["provenance"]["params"]["batches"] == "windows"
