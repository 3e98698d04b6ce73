"""Advisory locks on outputs, the pair format of data + metadata, and the fault seam."""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, OutputBusyError
from cooc._core.io import PAIR_KEY, check_pair, load_npz, save_pair, words_checksum
from cooc._core.locks import (
    check_not_written,
    claim_abandoned,
    clear_directory,
    lock_directory,
    lock_output,
    reading,
)

ctx = mp.get_context("fork")


def _hold(target, kind: str, holding, release) -> None:
    lock = lock_directory(target, exclusive=kind == "write") if kind != "output" else lock_output(target)
    holding.set()
    release.wait(30)
    lock.release()


class Holder:
    """Another process holding a lock until the block ends."""

    def __init__(self, target, kind: str):
        self.holding, self.release = ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=_hold, args=(target, kind, self.holding, self.release))

    def __enter__(self):
        self.proc.start()
        assert self.holding.wait(30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.proc.join(30)


def test_one_writer_many_readers(tmp_path):
    folder = tmp_path / "corpus"
    with Holder(folder, "write"):
        with pytest.raises(OutputBusyError, match="being written"):
            lock_directory(folder)
        with pytest.raises(OutputBusyError, match="being written"):
            check_not_written(folder)
    with Holder(folder, "read"):
        check_not_written(folder)  # readers share
        with reading(folder):
            pass
        with pytest.raises(OutputBusyError, match="being read"):
            lock_directory(folder)
    lock_directory(folder).release()  # free again once they are gone


def test_locks_are_reentrant_in_a_process_and_released_by_the_last_holder(tmp_path):
    outer = lock_directory(tmp_path / "d")
    inner = lock_directory(tmp_path / "d")
    check_not_written(tmp_path / "d")  # this process's own build may open what it writes
    inner.release()
    with Holder(tmp_path, "read"):  # (another directory: unrelated)
        pass
    outer.release()
    with Holder(tmp_path / "d", "write"):
        with pytest.raises(OutputBusyError):
            lock_directory(tmp_path / "d")


def test_output_lock_file_is_removed_and_a_stale_one_reused(tmp_path):
    base = tmp_path / "counts"
    with lock_output(base):
        assert (tmp_path / ".counts.lock").read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / ".counts.lock").exists()
    (tmp_path / ".counts.lock").write_text("12345\n")  # left by a killed writer: nobody holds it
    with lock_output(base):
        pass
    assert not (tmp_path / ".counts.lock").exists()
    with Holder(base, "output"):
        with pytest.raises(OutputBusyError, match="being written"):
            lock_output(base)


def test_abandoned_folders_are_claimed_only_when_their_owner_is_gone(tmp_path):
    live = tmp_path / "live"
    with Holder(live, "write"):
        assert claim_abandoned(live) is None
    mine = lock_directory(tmp_path / "mine")
    assert claim_abandoned(tmp_path / "mine") is None  # held by this very process
    mine.release()
    claimed = claim_abandoned(live)
    assert claimed is not None
    claimed.release()


def test_clear_directory_keeps_the_folder_itself(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "f").write_text("x")
    (tmp_path / "a" / "keep").write_text("x")
    inode = os.stat(tmp_path / "a").st_ino
    clear_directory(tmp_path / "a", keep=("keep",))
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["keep"] and os.stat(tmp_path / "a").st_ino == inode


def test_a_pair_names_its_data_and_its_words(tmp_path):
    words = ["a", "b", "c"]
    save_pair(tmp_path / "x.npz", tmp_path / "x.json", {"v": np.arange(3)}, {"format": "test"}, words)
    import json

    meta = json.loads((tmp_path / "x.json").read_text())
    arrays = load_npz(tmp_path / "x.npz")
    assert meta["checksums"]["words"] == words_checksum(words)
    check_pair(meta, arrays[PAIR_KEY], words, "x")
    with pytest.raises(CorruptFileError, match="word list"):
        check_pair(meta, arrays[PAIR_KEY], ["b", "a", "c"], "x")
    with pytest.raises(CorruptFileError, match="different writes"):
        check_pair(meta, np.zeros(16, np.uint8), words, "x")
    check_pair({"format": "old"}, None, words, "x")  # files from before checksums still load


def test_fault_points_fire_on_the_nth_pass(monkeypatch):
    import signal

    from cooc._core import faults

    sent = []
    monkeypatch.setattr(faults.os, "kill", lambda pid, sig: sent.append(sig))
    monkeypatch.setenv("COOC_FAULT", "here#2!INT")
    faults._seen.clear()
    for _ in range(3):
        faults.fault_point("here")
        faults.fault_point("elsewhere")
    assert sent == [signal.SIGINT]
