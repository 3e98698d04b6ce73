"""settings_changes: what differs between two settings, named key by key (nested keys with dots)."""

from __future__ import annotations

from cooc._core.params import settings_changes


def test_changes_are_named_one_by_one_nested_keys_with_dots():
    was = {"window": 5, "train": {"lr": 0.001, "steps": 10}, "gone": 1}
    now = {"window": 10, "train": {"lr": 0.01, "steps": 10}, "new": True}
    assert settings_changes(was, now) == "window: 5 -> 10; train.lr: 0.001 -> 0.01; gone: 1 -> None; ..."
    assert settings_changes(was, now, limit=10).endswith("gone: 1 -> None; new: None -> True")
    assert settings_changes(was, was) == ""


def test_an_interval_refuses_nan_and_infinity_whatever_its_ends():
    import math

    import numpy as np
    import pytest

    from cooc._core.errors import InvalidParameterError
    from cooc._core.params import Interval

    for constraint in (Interval(float, None, None), Interval(float, 0, None), Interval(float, None, 1, "neither")):
        for bad in (float("nan"), np.float32("nan"), math.inf, -math.inf, np.inf):
            with pytest.raises(InvalidParameterError, match="must be a number in"):
                constraint.check("x", bad)
        constraint.check("x", 0.5)  # a finite number inside passes
        constraint.check("x", np.float64(0.5))
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        Interval(float, 0, 1).check("x", 1.5)
    forever = Interval(float, 0, None, allow_inf=True)  # "never by time"
    forever.check("x", math.inf)
    for bad in (float("nan"), -math.inf, -1.0):
        with pytest.raises(InvalidParameterError, match=r"a number in \[0, inf\]"):
            forever.check("x", bad)
    with pytest.raises(InvalidParameterError):
        Interval(float, 0, 10, allow_inf=True).check("x", math.inf)  # a closed upper end stays closed


def test_an_integer_beyond_float_range_is_refused_as_out_of_range(tmp_path):
    """float(10**400) raises OverflowError: it came out of the command line as a traceback."""
    import pytest
    from typer.testing import CliRunner

    from cooc._core.errors import InvalidParameterError
    from cooc._core.params import Interval
    from cooc.cli import app

    huge = 10**400
    for constraint, value, allowed in (
        (Interval(int, 1, None), huge, r"an integer in \[1, inf\)"),
        (Interval(int, 0, 10), huge, r"an integer in \[0, 10\]"),
        (Interval(int, None, 10), -huge, r"an integer in \(-inf, 10\]"),
        (Interval(float, 0, None, allow_inf=True), huge, r"a number in \[0, inf\]"),
    ):
        with pytest.raises(InvalidParameterError, match=rf"parameter 'n' must be {allowed}, got -?10{{400}}\."):
            constraint.check("n", value)
    with pytest.raises(InvalidParameterError, match=r"parameter 'n' must be an integer in \[1, inf\), got an integer"):
        Interval(int, 1, None).check("n", 10**5000)  # more digits than Python writes out by default
    Interval(int, 1, None).check("n", 2**1000)  # in float range: unchanged
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    res = CliRunner().invoke(
        app, ["corpus", "build", str(corpus), "-o", str(tmp_path / "out"), "--vocab-size", str(huge), "--no-progress"]
    )
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "'vocab_size' must be an integer in" in lines[0]
