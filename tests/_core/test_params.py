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
