"""The run ledger: rows recorded once, read back, keys that change with every setting, cut lines skipped."""

from __future__ import annotations

import json
import math

import numpy as np

import cooc._core.ledger as ledger_module
from cooc._core.ledger import RunLedger, run_key


def test_rows_are_recorded_and_read_back(tmp_path):
    path = tmp_path / "sub" / "runs.jsonl"
    ledger = RunLedger(path)
    assert len(ledger) == 0 and ledger.get("k") is None and not path.exists()
    ledger.add("a", {"P": 10, "loss": 0.5, "missing": float("nan"), "curve": [1.0, 2.0]})
    ledger.add("b", {"P": 20})
    again = RunLedger(path)
    assert len(again) == 2
    row = again.get("a")
    assert math.isnan(row.pop("missing"))  # NaN comes back as NaN (tagged in the file: strict JSON has none)
    assert row == {"P": 10, "loss": 0.5, "curve": [1.0, 2.0]}
    assert again.get("b") == {"P": 20} and again.taken == 2
    row = again.get("a")
    row["P"] = 99  # the caller's copy, not the ledger's
    assert again.get("a")["P"] == 10
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["a", "b"]


def test_a_line_cut_short_by_a_kill_is_skipped_and_the_next_starts_fresh(tmp_path):
    path = tmp_path / "runs.jsonl"
    RunLedger(path).add("a", {"P": 1})
    with open(path, "a") as fh:
        fh.write('{"key": "b", "row": {"P": 2')  # killed mid-write
    ledger = RunLedger(path)
    assert len(ledger) == 1 and ledger.get("b") is None
    ledger.add("c", {"P": 3})
    reread = RunLedger(path)
    assert reread.get("a") == {"P": 1} and reread.get("c") == {"P": 3} and reread.get("b") is None


def test_keys_follow_every_setting_and_the_version(monkeypatch):
    base = {"model": "cnn", "train": {"lr": 0.001, "steps": 20}, "P": 10, "seed": 0}
    key = run_key(base)
    assert run_key(dict(reversed(list(base.items())))) == key  # order does not matter
    assert run_key({**base, "train": {"lr": 0.002, "steps": 20}}) != key
    assert run_key({**base, "P": 20}) != key and run_key({**base, "seed": 1}) != key
    monkeypatch.setattr(ledger_module, "__version__", "0.0.0-other")
    assert run_key(base) != key  # other code, other runs


def test_each_recorded_row_is_reported(tmp_path):
    seen = []
    ledger = RunLedger(tmp_path / "runs.jsonl", on_add=seen.append)
    ledger.add("a", {"P": 1, "loss": np.float32("nan")})
    assert len(seen) == 1 and seen[0]["P"] == 1 and type(seen[0]["loss"]) is float and math.isnan(seen[0]["loss"])


def test_recorded_computes_a_run_once_with_a_ledger_and_every_time_without(tmp_path):
    from cooc._core.ledger import recorded

    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": 0.5}

    assert recorded(None, {"P": 1}, compute) == {"accuracy": 0.5}
    assert recorded(None, {"P": 1}, compute) == {"accuracy": 0.5} and len(calls) == 2
    ledger = RunLedger(tmp_path / "runs.jsonl")
    assert recorded(ledger, {"P": 1}, compute) == recorded(ledger, {"P": 1}, compute) == {"accuracy": 0.5}
    assert len(calls) == 3 and len(RunLedger(tmp_path / "runs.jsonl")) == 1
    recorded(ledger, {"P": 2}, compute)
    assert len(calls) == 4


def _square(x: int) -> dict:
    return {"x": x, "square": x * x, "pid": __import__("os").getpid()}


def test_recorded_all_computes_the_missing_runs_at_once_and_records_each(tmp_path):
    import os
    from functools import partial

    from cooc._core.ledger import recorded, recorded_all

    ledger = RunLedger(tmp_path / "runs.jsonl")
    recorded(ledger, {"x": 1}, partial(_square, 1))  # one run recorded before
    runs = [({"x": x}, partial(_square, x)) for x in range(4)]
    computed = []
    rows = recorded_all(ledger, runs, jobs=2, on_computed=lambda i, row: computed.append((i, row["x"])))
    assert [(r["x"], r["square"]) for r in rows] == [(0, 0), (1, 1), (2, 4), (3, 9)]
    assert sorted(computed) == [(0, 0), (2, 2), (3, 3)]  # each run computed now, by its place in ``runs``
    assert rows[1]["pid"] == os.getpid() and all(r["pid"] != os.getpid() for r in rows[::2] + rows[3:])
    assert len(RunLedger(tmp_path / "runs.jsonl")) == 4  # the three missing ones recorded
    assert recorded_all(RunLedger(tmp_path / "runs.jsonl"), runs, jobs=2) == rows  # all taken from the ledger
    assert [r["square"] for r in recorded_all(None, runs)] == [0, 1, 4, 9]
