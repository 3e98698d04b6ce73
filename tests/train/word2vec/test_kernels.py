"""The step kernels' one interface: every kernel is called the same way and takes the torch step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.train.word2vec.kernels import StepKernel, resolve_kernel, step_kernel


def _available(name: str) -> StepKernel:
    if name == "triton":
        pytest.importorskip("triton")
        from cooc.train.word2vec import _step_triton

        if not _step_triton.interpreted():
            pytest.skip("Triton runs on the CPU only in its interpreter")
    return step_kernel(name)


@pytest.mark.parametrize("name", ["torch", "numba", "triton"])
def test_every_kernel_takes_the_reference_step_through_the_interface(name):
    from cooc.train.word2vec import _step_torch as reference  # called directly: the interface is under test

    kernel = _available(name)
    rng = np.random.default_rng(3)
    V, d, n, k = 10, 8, 400, 4  # rows repeat often and the rate is large: the damping acts
    W_in = torch.as_tensor(rng.normal(0, 0.3, (V, d)), dtype=torch.float32)
    W_out = torch.as_tensor(rng.normal(0, 0.3, (V, d)), dtype=torch.float32)
    ids = lambda *shape: torch.as_tensor(rng.integers(0, V, shape), dtype=torch.int64)  # noqa: E731
    centres, outputs, negatives = ids(n), ids(n), ids(n, k)
    n_ctx = torch.as_tensor(rng.integers(0, 5, n))
    context, example = ids(int(n_ctx.sum())), torch.repeat_interleave(torch.arange(n), n_ctx)
    calls = (
        (
            lambda a, b: reference.sgns_step(a, b, centres, outputs, negatives, 2.0, 0.5),
            lambda a, b: kernel.sgns_step(a, b, centres, outputs, negatives, 2.0, 0.5),
        ),
        (
            lambda a, b: reference.cbow_step(a, b, centres, context, example, negatives, 2.0, 0.5),
            lambda a, b: kernel.cbow_step(a, b, centres, context, example, negatives, 2.0, 0.5, 8),
        ),
    )
    for ref_call, call in calls:
        (a1, b1), (a2, b2) = (W_in.clone(), W_out.clone()), (W_in.clone(), W_out.clone())
        loss_ref, loss = float(ref_call(a1, b1)), float(call(a2, b2))
        assert loss == pytest.approx(loss_ref, rel=1e-5)
        torch.testing.assert_close(a2, a1, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(b2, b1, atol=1e-5, rtol=1e-4)


def test_grouped_steps_where_a_kernel_has_them():
    assert step_kernel("numba").sgns_steps is not None
    assert step_kernel("torch").sgns_steps is None


def test_kernel_names_and_devices_are_checked():
    with pytest.raises(InvalidParameterError, match="kernel must be one of"):
        step_kernel("cuda-fast")
    assert resolve_kernel("auto", torch.device("cpu")) == "shared"  # skip-gram on a CPU
    assert resolve_kernel("auto", torch.device("cpu"), sg=False) == "hogwild"  # and CBOW
    assert resolve_kernel("auto", torch.device("cpu"), batch_size=64) == "numba"  # a batch size: a batched step
    assert resolve_kernel("hogwild", torch.device("cpu"), sg=False) == "hogwild"
    with pytest.raises(InvalidParameterError, match="no batch_size"):
        resolve_kernel("hogwild", torch.device("cpu"), batch_size=64)
    assert resolve_kernel("torch", torch.device("cpu")) == "torch"
    with pytest.raises(InvalidParameterError, match="CPU only"):
        resolve_kernel("numba", torch.device("cuda"))
