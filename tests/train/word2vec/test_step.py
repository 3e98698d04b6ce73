"""One batched SGNS / CBOW step against autograd on a tiny model with repeated indices.

Each test runs the torch step (CPU, and CUDA where there is one), the compiled CPU step, and the
fused Triton step (on a GPU, or on the CPU in Triton's interpreter: tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cooc.train._torch import torch_device
from cooc.train.word2vec import _step_numba, _step_torch

V, D, B, K = 7, 5, 40, 3  # B >> V: every row repeats many times in the batch


def _step_module(name: str, tdevice: str):
    """The module of step functions called ``name``, skipping where it cannot run on ``tdevice``."""
    if name == "numba":
        if tdevice != "cpu":
            pytest.skip("the compiled step is CPU-only")
        return _step_numba
    if name == "triton":
        pytest.importorskip("triton")
        from cooc.train.word2vec import _step_triton

        if tdevice == "cpu" and not _step_triton.interpreted():
            pytest.skip("Triton runs on the CPU only in its interpreter (TRITON_INTERPRET=1 before import)")
        return _step_triton
    return _step_torch


@pytest.fixture(params=["torch", "numba", "triton"])
def steps(request, tdevice):
    """The step functions under test: torch, compiled for the CPU, fused for the GPU."""
    return _step_module(request.param, tdevice)


def _weights(rng, device):
    W_in = torch.as_tensor(rng.normal(0, 0.5, (V, D)), dtype=torch.float32, device=device)
    W_out = torch.as_tensor(rng.normal(0, 0.5, (V, D)), dtype=torch.float32, device=device)
    return W_in, W_out


def _ids(rng, device, *shape):
    return torch.as_tensor(rng.integers(0, V, shape), dtype=torch.int64, device=device)


def _sgns_loss(u, out_idx, W_out):
    """Plain negative-sampling loss; a negative equal to its positive counts for nothing."""
    s = torch.einsum("bd,bkd->bk", u, W_out[out_idx])
    valid = torch.cat([torch.ones_like(out_idx[:, :1], dtype=torch.bool), out_idx[:, 1:] != out_idx[:, :1]], 1)
    return F.softplus(-s[:, 0]).sum() + (F.softplus(s[:, 1:]) * valid[:, 1:]).sum()


def _autograd_sgns(W_in, W_out, inputs, outputs, negatives):
    W_in, W_out = W_in.double().requires_grad_(), W_out.double().requires_grad_()
    loss = _sgns_loss(W_in[inputs], torch.cat([outputs[:, None], negatives], 1), W_out)
    loss.backward()
    return loss.item(), W_in.grad, W_out.grad


def _curvature_reference(W_in, W_out, inputs, out_idx):
    """T_r = sum over occurrences of |partner|^2 / 4, by plain loops (rows of W_in, rows of W_out)."""
    T_in, T_out = np.zeros(V), np.zeros(V)
    Wi, Wo = W_in.double().cpu().numpy(), W_out.double().cpu().numpy()
    for b, i in enumerate(inputs.tolist()):
        for k, o in enumerate(out_idx[b].tolist()):
            if k > 0 and o == out_idx[b, 0]:
                continue
            T_in[i] += Wo[o] @ Wo[o] / 4
            T_out[o] += Wi[i] @ Wi[i] / 4
    return T_in, T_out


@pytest.mark.parametrize("damping", [None, 0.05])
def test_sgns_step_is_the_autograd_sgd_step(steps, tdevice, rng, damping):
    device = torch_device(tdevice)
    W_in, W_out = _weights(rng, device)
    inputs, outputs, negatives = _ids(rng, device, B), _ids(rng, device, B), _ids(rng, device, B, K)
    negatives[0, 0] = outputs[0]  # a negative that equals its positive is skipped
    loss_ref, g_in, g_out = _autograd_sgns(W_in, W_out, inputs, outputs, negatives)
    lr = 0.05
    new_in, new_out = W_in.clone(), W_out.clone()
    loss = steps.sgns_step(new_in, new_out, inputs, outputs, negatives, lr, damping)
    assert float(loss) == pytest.approx(loss_ref, rel=1e-5)
    step_in = step_out = torch.full((V, 1), lr, dtype=torch.float64, device=device)
    if damping is not None:  # each row's step is min(lr, damping / T_row)
        T_in, T_out = _curvature_reference(W_in, W_out, inputs, torch.cat([outputs[:, None], negatives], 1).cpu())
        step_in = torch.as_tensor(np.minimum(lr, damping / T_in)[:, None], device=device)
        step_out = torch.as_tensor(np.minimum(lr, damping / T_out)[:, None], device=device)
        assert (step_in < lr).any() and (step_out < lr).any()  # the bound is active in this test
    torch.testing.assert_close((new_in - W_in).double(), -step_in * g_in, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close((new_out - W_out).double(), -step_out * g_out, atol=1e-6, rtol=1e-5)


def test_cbow_step_is_word2vec_c_update(steps, tdevice, rng):
    """CBOW: the output side is the exact gradient; each context word gets dL/dh undivided (word2vec.c)."""
    device = torch_device(tdevice)
    W_in, W_out = _weights(rng, device)
    centres, negatives = _ids(rng, device, B), _ids(rng, device, B, K)
    n_ctx = torch.as_tensor(rng.integers(1, 5, B), device=device)
    example = torch.repeat_interleave(torch.arange(B, device=device), n_ctx)
    context = _ids(rng, device, int(n_ctx.sum()))
    lr = 0.05
    new_in, new_out = W_in.clone(), W_out.clone()
    loss = steps.cbow_step(new_in, new_out, centres, context, example, negatives, lr, damping=None)

    Wi, Wo = W_in.double().requires_grad_(), W_out.double().requires_grad_()
    summed = torch.zeros(B, D, dtype=torch.float64, device=device).index_add(0, example, Wi[context])
    mean = summed / n_ctx[:, None]
    # Value of the mean, gradient of the sum: exactly word2vec.c's undivided context update.
    h = mean.detach() + summed - summed.detach()
    loss_ref = _sgns_loss(h, torch.cat([centres[:, None], negatives], 1), Wo)
    loss_ref.backward()
    assert float(loss) == pytest.approx(loss_ref.item(), rel=1e-5)
    torch.testing.assert_close((new_in - W_in).double(), -lr * Wi.grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close((new_out - W_out).double(), -lr * Wo.grad, atol=1e-6, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_damping_keeps_a_huge_batch_stable(steps, tdevice, rng):
    """8,192 pairs over 7 words: summed SGD explodes, the damped step does not."""
    device = torch_device(tdevice)
    inputs, outputs, negatives = _ids(rng, device, 8192), _ids(rng, device, 8192), _ids(rng, device, 8192, K)
    for damping, finite in ((None, False), (1.0, True)):
        W_in, W_out = _weights(rng, device)
        for _ in range(20):
            loss = steps.sgns_step(W_in, W_out, inputs, outputs, negatives, 0.5, damping)
        assert bool(np.isfinite(float(loss))) == finite and bool(torch.isfinite(W_in).all()) == finite


def _random_batch(rng, n_rows, n_ex, k, cbow):
    """Ids with heavy repetition (Zipf-like) and some negatives equal to their positive."""
    ids = lambda *shape: torch.as_tensor(np.minimum(rng.zipf(1.3, shape) - 1, n_rows - 1))  # noqa: E731
    out, neg = ids(n_ex), ids(n_ex, k)
    if not cbow:
        return ids(n_ex), out, neg
    n_ctx = torch.as_tensor(rng.integers(0, 6, n_ex))  # an example without context words as well
    return (ids(int(n_ctx.sum())), torch.repeat_interleave(torch.arange(n_ex), n_ctx)), out, neg


@pytest.mark.parametrize("cbow", [False, True], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("damping", [None, 0.3])
@pytest.mark.parametrize("fast", ["numba", "triton", "triton-small-blocks"])
def test_fast_step_equals_torch_step(tdevice, rng, fast, cbow, damping):
    """Fresh random weights and batches: the compiled (numba) and fused (Triton) steps are the torch
    step to float rounding. Small Triton blocks split a batch over many programs with a ragged end."""
    device = torch_device(tdevice)
    fast_steps = _step_module(fast.split("-")[0], tdevice)
    extra = {"block_m": 128} if fast == "triton-small-blocks" else {}
    n_rows, d, n_ex, k = int(rng.integers(20, 200)), int(rng.integers(1, 40)), int(rng.integers(1, 3000)), 5
    W_in = torch.as_tensor(rng.normal(0, 0.3, (n_rows, d)), dtype=torch.float32, device=device)
    W_out = torch.as_tensor(rng.normal(0, 0.3, (n_rows, d)), dtype=torch.float32, device=device)
    inputs, outputs, negatives = (
        x.to(device) if torch.is_tensor(x) else tuple(t.to(device) for t in x)
        for x in _random_batch(rng, n_rows, n_ex, k, cbow)
    )
    results = []
    for steps, kwargs in ((_step_torch, {}), (fast_steps, extra)):
        a, b = W_in.clone(), W_out.clone()
        if cbow:
            loss = steps.cbow_step(a, b, outputs, inputs[0], inputs[1], negatives, 0.05, damping, **kwargs)
        else:
            loss = steps.sgns_step(a, b, inputs, outputs, negatives, 0.05, damping, **kwargs)
        results.append((float(loss), a, b))
    (loss_t, in_t, out_t), (loss_n, in_n, out_n) = results
    assert loss_n == pytest.approx(loss_t, rel=1e-5)
    scale = float((in_t - W_in).abs().max()) + float((out_t - W_out).abs().max())
    torch.testing.assert_close(in_n, in_t, atol=1e-5 * scale + 1e-7, rtol=1e-4)
    torch.testing.assert_close(out_n, out_t, atol=1e-5 * scale + 1e-7, rtol=1e-4)


def test_compiled_step_is_the_same_on_any_number_of_threads(rng):
    """Each row takes its updates in batch order on one thread: bitwise equal on 1 or more threads, and
    with any number of row partitions."""
    import numba

    W_in = torch.as_tensor(rng.normal(0, 0.3, (50, 16)), dtype=torch.float32)
    W_out = torch.as_tensor(rng.normal(0, 0.3, (50, 16)), dtype=torch.float32)
    inputs, outputs, negatives = _random_batch(rng, 50, 2000, 5, cbow=False)
    before = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            a, b = W_in.clone(), W_out.clone()
            results.append((_step_numba.sgns_step(a, b, inputs, outputs, negatives, 0.05, 0.5), a, b))
    finally:
        numba.set_num_threads(before)
    for parts in (3, 7):  # more row partitions than this machine has cores
        a, b = W_in.clone(), W_out.clone()
        loss = _step_numba.step(
            a.numpy(),
            b.numpy(),
            inputs.numpy(),
            np.arange(len(inputs) + 1),
            outputs.numpy(),
            negatives.numpy(),
            0.05,
            0.5,
            n_parts=parts,
        )
        results.append((loss, a, b))
    for loss, a, b in results[1:]:
        assert loss == results[0][0]
        assert torch.equal(a, results[0][1]) and torch.equal(b, results[0][2])


@pytest.mark.parametrize("damping", [None, 0.5])
def test_compiled_steps_in_one_call_equal_the_steps_one_by_one(rng, damping):
    """The trainer runs a group of skip-gram batches in one compiled call: the same weights and
    per-batch losses, bitwise, as the steps one at a time (learning rates varying, last batch short)."""
    n_rows, d = int(rng.integers(20, 200)), int(rng.integers(1, 40))
    W_in = torch.as_tensor(rng.normal(0, 0.3, (n_rows, d)), dtype=torch.float32)
    W_out = torch.as_tensor(rng.normal(0, 0.3, (n_rows, d)), dtype=torch.float32)
    n_ex, batch = int(rng.integers(1, 3000)), int(rng.integers(1, 700))
    inputs, outputs, negatives = _random_batch(rng, n_rows, n_ex, 5, cbow=False)
    lrs = rng.uniform(0.001, 0.05, -(-n_ex // batch))
    a, b = W_in.clone(), W_out.clone()
    one_by_one = [
        _step_numba.sgns_step(
            a, b, inputs[lo : lo + batch], outputs[lo : lo + batch], negatives[lo : lo + batch], lrs[i], damping
        )
        for i, lo in enumerate(range(0, n_ex, batch))
    ]
    grouped = _step_numba.sgns_steps(W_in, W_out, inputs, outputs, negatives, lrs, batch, damping)
    assert grouped == one_by_one
    assert torch.equal(W_in, a) and torch.equal(W_out, b)
    with pytest.raises(ValueError, match="one learning rate per batch"):
        _step_numba.sgns_steps(W_in, W_out, inputs, outputs, negatives, lrs[:-1], batch, damping)


@pytest.mark.parametrize("fast", ["numba", "triton"])
def test_fast_steps_refuse_weights_they_could_not_update_in_place(fast):
    steps = _step_module(fast, "cpu")
    W = torch.zeros((4, 3), dtype=torch.float64)
    ids = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ValueError, match="float32"):
        steps.sgns_step(W, W.clone(), ids, ids, ids[:, None], 0.1)
    W32 = torch.zeros((3, 4), dtype=torch.float32).T
    with pytest.raises(ValueError, match="contiguous"):
        steps.sgns_step(W32, W32.clone(), ids, ids, ids[:, None], 0.1)
    if fast == "numba":  # a batch whose parts disagree is refused, not read past its end
        W = torch.zeros((4, 3), dtype=torch.float32)
        with pytest.raises(ValueError, match="2 outputs, 1 rows of negatives"):
            steps.sgns_step(W, W.clone(), ids, ids, ids[:1, None], 0.1)


@pytest.mark.parametrize("cbow", [False, True], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("damping", [None, 0.3])
@pytest.mark.parametrize("kernel", ["torch", "triton"])
def test_gpu_steps_take_lr_as_a_device_scalar(tdevice, rng, kernel, cbow, damping):
    """A CUDA graph replays the step with the learning rate in a tensor: the same step as with a float,
    and a zero learning rate (the graph's warm-up) leaves the weights exactly as they were."""
    steps = _step_module(kernel, tdevice)
    device = torch_device(tdevice)
    W_in, W_out = _weights(rng, device)
    inputs, outputs, negatives = (
        x.to(device) if torch.is_tensor(x) else tuple(t.to(device) for t in x)
        for x in _random_batch(rng, V, 300, K, cbow)
    )
    results = []
    for lr in (0.05, torch.tensor(0.05, device=device), torch.tensor(0.0, device=device)):
        a, b = W_in.clone(), W_out.clone()
        if cbow:
            loss = steps.cbow_step(a, b, outputs, inputs[0], inputs[1], negatives, lr, damping)
        else:
            loss = steps.sgns_step(a, b, inputs, outputs, negatives, lr, damping)
        results.append((float(loss), a, b))
    (loss_f, in_f, out_f), (loss_t, in_t, out_t), (loss_0, in_0, out_0) = results
    assert loss_t == pytest.approx(loss_f, rel=1e-6) and loss_0 == pytest.approx(loss_f, rel=1e-6)
    # Rows repeated in the batch are summed by atomic adds, in an order that changes from run to run on
    # CUDA (seen on an H100: up to 8e-7 apart on weights of order 1), so only float rounding is allowed.
    torch.testing.assert_close(in_t, in_f, atol=2e-6, rtol=1e-5)
    torch.testing.assert_close(out_t, out_f, atol=2e-6, rtol=1e-5)
    assert not torch.equal(in_f, W_in) and not torch.equal(out_f, W_out)
    assert torch.equal(in_0, W_in) and torch.equal(out_0, W_out)
