"""A run's row is the same whether it was computed now or taken from the ledger; NaN stays NaN."""

from __future__ import annotations

import hashlib
import json
import math
from functools import partial

import numpy as np

import cooc._core.ledger as ledger_module
from cooc._core.ledger import RunLedger, recorded, recorded_all, run_key


def _row():
    return {
        "train_loss": float("nan"),
        "test_error": np.float32(0.25),
        "curve": np.array([0.5, 0.25]),
        "shape": (2, 3),
        "diverged": [float("inf"), -np.inf, None],
        "z": 1,
        "a": {"nested": np.float64("nan")},
    }


def _same(a, b):
    """Equal rows, NaN equal to NaN, and of the same types (a list is no tuple, an array no list)."""
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_a_fresh_and_a_resumed_run_give_the_same_row(tmp_path):
    path = tmp_path / "runs.jsonl"
    fresh = recorded(RunLedger(path), {"P": 10}, _row)
    resumed = recorded(RunLedger(path), {"P": 10}, lambda: {"never": "computed"})
    assert _same(fresh, resumed)
    assert math.isnan(fresh["train_loss"]) and math.isnan(fresh["a"]["nested"])
    assert fresh["diverged"] == [math.inf, -math.inf, None]
    assert fresh["curve"] == [0.5, 0.25] and fresh["shape"] == [2, 3] and type(fresh["test_error"]) is float
    assert list(fresh) == list(_row())  # the row's order is kept
    assert fresh["curve"] * 2 == resumed["curve"] * 2
    line = path.read_text()
    assert "NaN" in line and json.loads(line, parse_constant=lambda c: 1 / 0)  # strict JSON: no bare NaN


def test_recorded_all_hands_back_rows_as_recorded(tmp_path):
    ledger = RunLedger(tmp_path / "runs.jsonl")
    seen = {}
    runs = [({"i": i}, partial(dict, loss=float("nan"), curve=np.arange(i + 1.0))) for i in range(2)]
    fresh = recorded_all(ledger, runs, on_computed=lambda i, row: seen.update({i: row}))
    resumed = recorded_all(RunLedger(tmp_path / "runs.jsonl"), runs)
    assert all(_same(a, b) for a, b in zip(fresh, resumed)) and _same(list(seen.values()), fresh)
    assert fresh[1]["curve"] == [0.0, 1.0] and math.isnan(fresh[0]["loss"])


def test_the_reported_row_is_the_recorded_one(tmp_path):
    seen = []
    ledger = RunLedger(tmp_path / "runs.jsonl", on_add=seen.append)
    returned = ledger.add("a", {"P": np.int64(1), "loss": float("nan")})
    assert _same(seen, [returned]) and _same(returned, ledger.get("a")) and type(returned["P"]) is int


def test_keys_tell_nan_from_none_and_from_infinity():
    keys = {run_key({"lr": v}) for v in (float("nan"), None, float("inf"), -float("inf"), 0.0)}
    assert len(keys) == 5
    assert run_key({"lr": float("nan")}) == run_key({"lr": np.float32("nan")})
    assert run_key({"shape": (1, 2)}) == run_key({"shape": [1, 2]})  # as JSON, one value


def test_keys_of_plain_descriptions_are_those_of_earlier_ledgers():
    description = {"model": "cnn", "train": {"lr": 0.001, "steps": 20}, "P": 10, "words": ["é", "a"]}
    text = json.dumps({"cooc": ledger_module.__version__, **description}, sort_keys=True, separators=(",", ":"))
    assert run_key(description) == hashlib.sha256(text.encode()).hexdigest()


def test_a_ledger_written_before_tagged_numbers_still_reads(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text('{"key":"a","row":{"loss":null,"obj":{"$float":"other"}}}\n')
    assert RunLedger(path).get("a") == {"loss": None, "obj": {"$float": "other"}}
