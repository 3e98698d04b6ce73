"""One meaning of device="auto" for every backend: the GPU when the library running the work can use one."""

from __future__ import annotations

import logging

import pytest

from cooc._core import device as dev
from cooc._core.errors import InvalidParameterError, MissingDependencyError


@pytest.fixture
def machine(monkeypatch):
    """Pretend which backends see a CUDA device: ``machine(cupy=..., torch=...)``."""

    def set_(cupy: bool, torch: bool) -> None:
        monkeypatch.setattr(dev, "cuda_available", lambda: cupy)
        monkeypatch.setattr(dev, "torch_cuda_available", lambda: torch)
        monkeypatch.setattr(dev, "_import_cupy", lambda: object() if cupy else None)
        dev._warn_fallback.cache_clear()

    return set_


@pytest.mark.parametrize("cupy, torch", [(False, False), (True, False), (False, True), (True, True)])
def test_auto_is_the_gpu_exactly_when_the_backend_running_the_work_sees_one(machine, cupy, torch):
    machine(cupy, torch)
    assert dev.resolve_device("auto", "cupy") == ("cuda" if cupy else "cpu")
    assert dev.resolve_device("auto", "torch") == ("cuda" if torch else "cpu")
    assert dev.resolve_device("cpu", "cupy") == dev.resolve_device("cpu", "torch") == "cpu"


def test_auto_says_why_it_stays_on_the_cpu_beside_a_gpu(machine, caplog):
    machine(cupy=False, torch=True)
    with caplog.at_level(logging.WARNING, logger="cooc"):
        assert dev.resolve_device("auto", "cupy") == "cpu"
        assert dev.resolve_device("auto", "cupy") == "cpu"
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "cupy cannot use it" in messages[0] and "pip install" in messages[0]
    machine(cupy=False, torch=False)
    with caplog.at_level(logging.WARNING, logger="cooc"):
        caplog.clear()
        assert dev.resolve_device("auto", "cupy") == "cpu"
    assert not caplog.records  # no GPU at all: nothing to say


def test_explicit_cuda_without_the_backend_names_the_fix(machine):
    machine(cupy=False, torch=False)
    with pytest.raises(MissingDependencyError, match="pip install"):
        dev.resolve_device("cuda", "cupy")
    with pytest.raises(MissingDependencyError, match="torch sees no CUDA device"):
        dev.resolve_device("cuda:1", "torch")
    machine(cupy=False, torch=True)
    assert dev.resolve_device("cuda:1", "torch") == "cuda:1"


@pytest.mark.parametrize(
    "device, backend", [("tpu", "cupy"), ("cuda:0", "cupy"), ("cpu:1", "torch"), ("cuda:x", "torch"), ("cpu", "jax")]
)
def test_unknown_devices_and_backends_are_refused(device, backend):
    with pytest.raises(InvalidParameterError):
        dev.resolve_device(device, backend)


def test_the_trainers_and_the_eigensolver_resolve_through_it(machine):
    from cooc.spectral.eigen import choose_solver
    from cooc.train._torch import torch_device

    machine(cupy=False, torch=False)
    assert torch_device("auto").type == "cpu"
    with pytest.raises(MissingDependencyError):
        torch_device("cuda")
    machine(cupy=True, torch=True)
    assert choose_solver(100, 10, sparse=False, density=1.0, device="cuda") == "torch"
    machine(cupy=True, torch=False)
    assert choose_solver(100, 10, sparse=False, density=1.0, device="cuda") == "dense"
