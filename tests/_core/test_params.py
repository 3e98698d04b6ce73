"""settings_changes: what differs between two settings, named key by key (nested keys with dots)."""

from __future__ import annotations

from cooc._core.params import settings_changes


def test_changes_are_named_one_by_one_nested_keys_with_dots():
    was = {"window": 5, "train": {"lr": 0.001, "steps": 10}, "gone": 1}
    now = {"window": 10, "train": {"lr": 0.01, "steps": 10}, "new": True}
    assert settings_changes(was, now) == "window: 5 -> 10; train.lr: 0.001 -> 0.01; gone: 1 -> None; ..."
    assert settings_changes(was, now, limit=10).endswith("gone: 1 -> None; new: None -> True")
    assert settings_changes(was, was) == ""
