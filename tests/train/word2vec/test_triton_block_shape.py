"""The Triton step's block shape: COOC_TRITON_BLOCK sets it, and the step benchmark picks the fastest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cooc._core.errors import InvalidParameterError

pytest.importorskip("triton")
from cooc.train.word2vec import _step_triton, _step_triton_window  # noqa: E402


def test_block_shape_is_read_from_its_environment_variable():
    assert _step_triton.block_shape(None) == _step_triton.block_shape("") == (4, 4)
    assert _step_triton.block_shape("8x4") == (8, 4) and _step_triton.block_shape("32X8") == (32, 8)
    for bad in ("8", "6x4", "8x3", "0x4", "axb", "8x4x2"):
        with pytest.raises(InvalidParameterError, match="COOC_TRITON_BLOCK"):
            _step_triton.block_shape(bad)
    env = {**os.environ, "COOC_TRITON_BLOCK": "4x2"}
    out = subprocess.run(
        [sys.executable, "-c", "from cooc.train.word2vec import _step_triton as m; print(m.BLOCK_M, m.NUM_WARPS)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.stdout.split() == ["4", "2"], out.stderr[-2000:]
    env = {**os.environ, "COOC_TRITON_WINDOW_BLOCK": "1x2"}  # the step by windows has a variable of its own
    code = "from cooc.train.word2vec import _step_triton_window as m; print(m.BLOCK_M, m.NUM_WARPS)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["1", "2"], out.stderr[-2000:]
    with pytest.raises(InvalidParameterError, match="COOC_TRITON_WINDOW_BLOCK='3x4'"):
        _step_triton.block_shape("3x4", "COOC_TRITON_WINDOW_BLOCK", (2, 4))
    assert _step_triton.block_shape(None, "COOC_TRITON_WINDOW_BLOCK", (2, 4)) == (2, 4)


def test_step_benchmark_picks_the_fastest_triton_shape_at_the_first_batch_size():
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
    try:
        from word2vec_step import fastest_triton_shape
    finally:
        sys.path.pop(0)
    default = f"{_step_triton.BLOCK_M}x{_step_triton.NUM_WARPS}"
    rows = [
        ["torch", 65536, "off", 2.0],
        ["triton", 65536, "off", 1.5],
        ["triton", 65536, "on", 0.5],
        ["triton 2x4", 65536, "off", 1.2],
        ["triton 8x8", 65536, "off", 1.3],
        ["triton 2x2", 262144, "off", 0.1],
        ["triton-window", 65536, "off", 0.2],  # the step by windows has shapes of its own
    ]
    assert fastest_triton_shape(rows, 65536) == "2x4"  # graph replay, other batch sizes and windows do not count
    rows[1][3] = 1.0
    assert fastest_triton_shape(rows, 65536) == default
    assert fastest_triton_shape(rows[:1], 65536) is None
    window_default = f"{_step_triton_window.BLOCK_M}x{_step_triton_window.NUM_WARPS}"
    assert fastest_triton_shape(rows, 65536, windows=True) == window_default
    rows.append(["triton-window 1x4", 65536, "off", 0.1])
    assert fastest_triton_shape(rows, 65536, windows=True) == "1x4"
    assert fastest_triton_shape(rows, 65536) == default  # and the pair step's choice ignores it
