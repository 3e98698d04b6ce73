"""Parameter validation with one error template.

Estimators declare their constraints once (a dict of name -> checker) and call
:func:`validate`; every failure reads ``<owner>: parameter 'name' must be <allowed>, got <value>.``
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import InvalidParameterError

Checker = Callable[[Any], bool]


def fail(name: str, value: Any, allowed: str, owner: str | None = None) -> InvalidParameterError:
    """Build the single error message used for every bad parameter."""
    prefix = f"{owner}: " if owner else ""
    return InvalidParameterError(f"{prefix}parameter {name!r} must be {allowed}, got {_shown(value)}.")


def _shown(value: Any) -> str:
    """``repr(value)``, or a description of an integer with more digits than Python writes out."""
    try:
        return repr(value)
    except ValueError:
        return f"an integer of {value.bit_length()} bits" if isinstance(value, int) else object.__repr__(value)


class Constraint:
    """A named test on a value with a human description of what is allowed."""

    def __init__(self, test: Checker, allowed: str):
        self.test = test
        self.allowed = allowed

    def check(self, name: str, value: Any, owner: str | None = None) -> None:
        ok = False
        try:
            ok = bool(self.test(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise fail(name, value, self.allowed, owner)


def Interval(
    kind: type,
    low: float | None,
    high: float | None,
    closed: str = "both",
    allow_none: bool = False,
    allow_inf: bool = False,
) -> Constraint:
    """Numbers of type ``kind`` (int or float) in an interval: never NaN, and infinite only where ``allow_inf``
    (an open upper end that +inf is allowed to reach, such as "no time limit")."""

    def test(v):
        if v is None:
            return allow_none
        if isinstance(v, bool):
            return False
        if kind is int and not isinstance(v, numbers.Integral):
            return False
        if not isinstance(v, numbers.Real):
            return False
        try:
            x = float(v)
        except OverflowError:  # an integer beyond float range: out of every interval (and not "no limit")
            return False
        if math.isnan(x) or (math.isinf(x) and not (allow_inf and x > 0 and high is None)):
            return False  # NaN passes every comparison below; an open end takes infinity only where allowed
        if low is not None and (x < low or (x == low and closed in ("right", "neither"))):
            return False
        if high is not None and (x > high or (x == high and closed in ("left", "neither"))):
            return False
        return True

    lo = "-inf" if low is None else low
    hi = "inf" if high is None else high
    left = "[" if closed in ("both", "left") and low is not None else "("
    right = "]" if closed in ("both", "right") and high is not None else ")"
    name = "an integer" if kind is int else "a number"
    right = "]" if allow_inf and high is None else right
    desc = f"{name} in {left}{lo}, {hi}{right}" + (" or None" if allow_none else "")
    return Constraint(test, desc)


def OneOf(options: Iterable[Any], allow_none: bool = False) -> Constraint:
    opts = tuple(options)
    desc = "one of " + ", ".join(repr(o) for o in opts) + (" or None" if allow_none else "")
    return Constraint(lambda v: (v is None and allow_none) or v in opts, desc)


def InstanceOf(*types: type, allow_none: bool = False) -> Constraint:
    names = " or ".join(t.__name__ for t in types) + (" or None" if allow_none else "")
    return Constraint(lambda v: (v is None and allow_none) or isinstance(v, types), f"an instance of {names}")


def validate(params: Mapping[str, Any], constraints: Mapping[str, Constraint], owner: str | None = None) -> None:
    """Check every declared parameter in ``params`` against its constraint."""
    for name, constraint in constraints.items():
        if name in params:
            constraint.check(name, params[name], owner)


def _flat(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def settings_changes(was: Mapping[str, Any], now: Mapping[str, Any], limit: int = 3) -> str:
    """What differs between two (nested) settings, as ``"train.lr: 0.001 -> 0.01; window: 5 -> 10"``
    (at most ``limit`` of them, then ``...``): for the message that refuses an output made with others."""
    a, b = _flat(was), _flat(now)
    changed = [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in {**a, **b} if a.get(k) != b.get(k)]
    return "; ".join(changed[:limit]) + ("; ..." if len(changed) > limit else "")
