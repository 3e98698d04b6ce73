"""A checkpoint save interrupted anywhere leaves a complete checkpoint: the previous one or the new one."""

from __future__ import annotations

import numpy as np
import pytest

import cooc.train._checkpoint as ck
from cooc._core.errors import CorruptFileError

from ..faults import stop_at

SETTINGS = {"lr": 0.1}


def save(folder, value, step):
    ck.save_checkpoint(
        folder, {"w": np.full(1000, value, np.float32)}, {"format": "t", "settings": SETTINGS, "step": step}
    )


def load(folder):
    arrays, state = ck.load_checkpoint(folder, "t", SETTINGS, ("w",))
    return float(arrays["w"][0]), state["step"]


@pytest.mark.parametrize(
    "point, expected",
    [("checkpoint.arrays", (1.0, 1)), ("checkpoint.committed", (2.0, 2)), ("checkpoint.replaced", (2.0, 2))],
)
def test_an_interrupted_save_leaves_the_old_or_the_new_checkpoint(tmp_path, monkeypatch, point, expected):
    save(tmp_path, 1.0, 1)

    def stop(name):
        if name == point:
            raise KeyboardInterrupt

    monkeypatch.setattr(ck, "fault_point", stop)
    with pytest.raises(KeyboardInterrupt):
        save(tmp_path, 2.0, 2)
    assert load(tmp_path) == expected
    monkeypatch.setattr(ck, "fault_point", lambda name: None)
    save(tmp_path, 3.0, 3)  # and the next save completes over what was left
    assert load(tmp_path) == (3.0, 3) and sorted(p.name for p in tmp_path.iterdir()) == [ck.ARRAYS, ck.STATE]


def test_arrays_that_match_no_state_are_refused(tmp_path):
    save(tmp_path, 1.0, 1)
    (tmp_path / ck.ARRAYS).write_bytes((tmp_path / ck.ARRAYS).read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match="arrays.npz is missing or does not match state.json"):
        load(tmp_path)


@pytest.mark.parametrize("point", ["checkpoint.arrays", "checkpoint.committed", "checkpoint.replaced"])
def test_a_save_after_one_stopped_at_its_commit_still_leaves_a_complete_checkpoint(tmp_path, monkeypatch, point):
    save(tmp_path, 1.0, 1)

    monkeypatch.setattr(ck, "fault_point", stop_at("checkpoint.committed"))
    with pytest.raises(KeyboardInterrupt):
        save(tmp_path, 2.0, 2)  # the state now names arrays.next.npz
    assert load(tmp_path) == (2.0, 2)  # the run resumes from it, and saves again
    monkeypatch.setattr(ck, "fault_point", stop_at(point))
    with pytest.raises(KeyboardInterrupt):
        save(tmp_path, 3.0, 3)  # its new arrays must not overwrite the ones the state names
    assert load(tmp_path) in ((2.0, 2), (3.0, 3))
    assert load(tmp_path) == ((2.0, 2) if point == "checkpoint.arrays" else (3.0, 3))
