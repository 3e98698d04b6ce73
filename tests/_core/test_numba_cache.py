"""Compiled kernels are cached in the user cache directory, and their compilation is announced and timed."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np

from cooc._core.numba_cache import compile_timer

REPO = Path(__file__).resolve().parents[2]


def test_cooc_kernels_are_cached_in_the_user_cache_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(COOC_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    code = (
        "import numpy as np\n"
        "from cooc.corpus import _tokenize_fast as t\n"
        "print(t.invalid_utf8_lines(np.frombuffer(b'ok\\n\\xff\\n', dtype=np.uint8)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    cached = list((tmp_path / "cache" / "numba").rglob("_tokenize_fast.invalid_utf8_lines-*.nbi"))
    assert len(cached) == 1, sorted(p.name for p in (tmp_path / "cache").rglob("*"))
    assert cached[0].parent.name.startswith("corpus_")  # numba's subfolder for the source file's directory


def test_compile_timer_announces_once_and_measures(caplog):
    @numba.njit
    def twice(x):
        return 2 * x

    with caplog.at_level(logging.INFO, logger="cooc"), compile_timer("a test kernel") as compiling:
        twice(np.arange(3))
        twice(np.arange(3.0))  # a second signature: compiled again, announced once
    assert compiling.seconds > 0
    notices = [r.getMessage() for r in caplog.records if "compiling a test kernel" in r.getMessage()]
    assert len(notices) == 1 and "first run on this machine" in notices[0]
    with compile_timer("a test kernel") as again:
        twice(np.arange(3))  # compiled already
    assert again.seconds == 0.0


def test_threads_wait_passively_unless_the_user_chose(tmp_path):
    code = "import os; from cooc.count import _numba; print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env.update(PYTHONPATH=str(REPO), COOC_CACHE=str(tmp_path))
    chosen = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert chosen.stdout.strip() == "PASSIVE", chosen.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    kept = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert kept.stdout.strip() == "ACTIVE", kept.stderr
