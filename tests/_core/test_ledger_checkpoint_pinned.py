"""The run ledger's keys, fingerprints and damaged lines, and a checkpoint's state, refusals and recovery."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import cooc.train._checkpoint as ck
from cooc._core.errors import CorruptFileError, OutputExistsError
from cooc._core.ledger import RunLedger, fingerprint, recorded, run_key

from ..faults import stop_at


def test_an_object_that_only_looks_like_a_tagged_number_comes_back_as_itself(tmp_path):
    row = {"obj": {"$float": "NaN", "x": 1}, "neg": -math.inf}
    RunLedger(tmp_path / "runs.jsonl").add("a", row)
    back = RunLedger(tmp_path / "runs.jsonl").get("a")
    assert back["obj"] == {"$float": "NaN", "x": 1} and back["neg"] == -math.inf


def test_fingerprints_tell_dtype_shape_values_and_extra_apart():
    base = fingerprint(np.zeros((2, 3), np.float32))
    assert fingerprint(np.zeros((2, 3), np.int32)) != base  # the same bytes (all zero), another dtype
    assert fingerprint(np.zeros((3, 2), np.float32)) != base  # the same bytes, another shape
    late = np.zeros((2, 3), np.float32)
    late[-1, -1] = 1.0  # differs only in the last value
    assert fingerprint(late) != base
    assert fingerprint(np.zeros((2, 3), np.float32)) == base
    assert fingerprint(extra="1") != fingerprint(extra=1)  # the repr of extra, not its str
    a = np.arange(6.0).reshape(2, 3)
    assert fingerprint(a.T) == fingerprint(np.array(a.T, order="C"))  # the values, not the memory layout


def test_an_empty_row_is_a_recorded_run_too(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {}

    ledger = RunLedger(tmp_path / "runs.jsonl")
    assert recorded(ledger, {"P": 1}, compute) == {} and recorded(ledger, {"P": 1}, compute) == {}
    assert len(calls) == 1 and ledger.taken == 1
    assert RunLedger(tmp_path / "runs.jsonl").get(run_key({"P": 1})) == {}


def test_checkpoints_of_a_ledger_sit_beside_it_under_its_stem(tmp_path):
    assert RunLedger(tmp_path / "runs.jsonl").checkpoints == tmp_path / "runs-checkpoints"


def test_lines_that_are_json_but_no_entry_are_skipped(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = json.dumps({"key": "a", "row": {"P": 1}})
    path.write_text("\n".join([good, '{"x": 1}', "[1, 2]", "5", '"text"', "", good.replace('"a"', '"b"')]) + "\n")
    ledger = RunLedger(path)
    assert len(ledger) == 2 and ledger.get("a") == {"P": 1} and ledger.get("b") == {"P": 1}


def test_the_row_add_returns_is_the_callers_copy(tmp_path):
    ledger = RunLedger(tmp_path / "runs.jsonl")
    returned = ledger.add("a", {"P": 1})
    returned["P"] = 99
    assert ledger.get("a") == {"P": 1}


def test_a_reopened_ledger_holds_the_rows_the_writing_one_held(tmp_path):
    ledger = RunLedger(tmp_path / "runs.jsonl")
    ledger.add("a", {"P": 1})
    ledger.add("a", {"P": 2})  # recorded again: the later line is the row
    assert ledger.get("a") == {"P": 2} and RunLedger(tmp_path / "runs.jsonl").get("a") == {"P": 2}


SETTINGS = {"lr": 0.1, "opt": {"beta": 0.9}}


def _save(folder, value, step, settings=SETTINGS):
    ck.save_checkpoint(
        folder, {"w": np.full(10, value, np.float32)}, {"format": "t", "settings": settings, "step": step}
    )


def _load(folder, settings=SETTINGS, fmt="t"):
    return ck.load_checkpoint(folder, fmt, settings, ("w",))


def test_a_complete_save_leaves_a_state_naming_arrays_npz(tmp_path):
    _save(tmp_path, 1.0, 1)
    state = json.loads((tmp_path / ck.STATE).read_text())
    assert state["arrays"] == ck.ARRAYS and state["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [ck.ARRAYS, ck.STATE]


def test_no_state_no_checkpoint(tmp_path):
    assert _load(tmp_path) is None
    (tmp_path / ck.ARRAYS).write_bytes(b"stray")  # arrays without a state are no checkpoint
    assert _load(tmp_path) is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"state"'])
def test_a_save_over_a_damaged_or_foreign_state_completes(tmp_path, text):
    (tmp_path / ck.STATE).write_text(text)
    _save(tmp_path, 2.0, 2)
    arrays, state = _load(tmp_path)
    assert arrays["w"][0] == 2.0 and state["step"] == 2


def test_a_checkpoint_of_another_format_is_refused(tmp_path):
    _save(tmp_path, 1.0, 1)
    with pytest.raises(CorruptFileError, match="is not a u checkpoint"):
        _load(tmp_path, fmt="u")


def test_other_settings_are_refused_naming_exactly_the_entries_that_differ(tmp_path):
    _save(tmp_path, 1.0, 1)
    with pytest.raises(OutputExistsError, match=r"other settings \(opt\.beta\)"):
        _load(tmp_path, settings={"lr": 0.1, "opt": {"beta": 0.99}})
    with pytest.raises(OutputExistsError, match=r"other settings \(lr\)"):
        _load(tmp_path, settings={"opt": {"beta": 0.9}})  # an entry the new settings lack
    with pytest.raises(OutputExistsError, match=r"other settings \(steps\)"):
        _load(tmp_path, settings={**SETTINGS, "steps": 3})  # one they add


def test_a_state_naming_another_file_never_loads_it(tmp_path):
    _save(tmp_path, 1.0, 1)
    (tmp_path / "other.npz").write_bytes((tmp_path / ck.ARRAYS).read_bytes())  # matches the checksum
    state = json.loads((tmp_path / ck.STATE).read_text())
    (tmp_path / ck.STATE).write_text(json.dumps({**state, "arrays": "other.npz"}))
    assert _load(tmp_path)[0]["w"][0] == 1.0  # arrays.npz, which matches, not the named file
    (tmp_path / ck.ARRAYS).write_bytes(b"damaged")
    with pytest.raises(CorruptFileError, match="arrays.npz is missing or does not match"):
        _load(tmp_path)


def test_a_stray_next_file_never_replaces_the_arrays_the_state_vouches_for(tmp_path, monkeypatch):
    _save(tmp_path, 1.0, 1)

    monkeypatch.setattr(ck, "fault_point", stop_at("checkpoint.replaced"))
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 2.0, 2)  # the state names arrays.next.npz, already moved to arrays.npz
    (tmp_path / ck.NEXT).write_bytes(b"stray, not the arrays of the state")
    monkeypatch.setattr(ck, "fault_point", stop_at("checkpoint.arrays"))
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 3.0, 3)  # stopped before its commit: the previous checkpoint must still load
    arrays, state = _load(tmp_path)
    assert arrays["w"][0] == 2.0 and state["step"] == 2


def test_training_arrays_are_float32_whatever_the_networks_dtype():
    import torch

    net = torch.nn.Linear(3, 2).double()
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    net(torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    opt.step()
    arrays = ck.training_arrays(net, opt)
    assert {"model/weight", "model/bias", "opt/0/exp_avg", "opt/1/exp_avg_sq"} <= set(arrays)
    assert {a.dtype for a in arrays.values()} == {np.dtype(np.float32)}
    fresh = torch.nn.Linear(3, 2).double()
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.1)
    ck.restore_training(fresh, fresh_opt, arrays)
    assert torch.equal(fresh.weight, net.weight.float().double())  # float32-rounded weights, back in float64
    assert fresh.weight.dtype == torch.float64
