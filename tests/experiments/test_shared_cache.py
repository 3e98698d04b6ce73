"""Studies sharing one cache wait for each other's corpus and counts instead of failing."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from cooc._core.errors import OutputBusyError
from cooc._core.locks import lock_directory
from cooc.studies._shared import shared


def test_a_study_waits_while_another_writes_what_it_needs_then_reuses_it(tmp_path, capsys):
    ctx = mp.get_context("fork")
    holding, release = ctx.Event(), ctx.Event()
    folder = tmp_path / "corpus"

    def other_study():
        with lock_directory(folder, what="corpus"):
            holding.set()
            release.wait(30)
            (folder / "done").write_text("made by the other study")

    child = ctx.Process(target=other_study)
    child.start()
    tries = []

    def make():
        tries.append(1)
        if len(tries) == 2:
            release.set()  # the other study finishes while this one waits
        with lock_directory(folder, what="corpus"):
            return (folder / "done").read_text()

    try:
        assert holding.wait(30)
        assert shared(make, "the corpus", poll=0.05) == "made by the other study"
    finally:
        release.set()
        child.join(30)
    assert len(tries) >= 2 and capsys.readouterr().out.count("waiting for another study to finish the corpus") == 1


def test_a_study_stops_waiting_after_its_limit():
    def busy():
        raise OutputBusyError("held")

    with pytest.raises(OutputBusyError, match="held"):
        shared(busy, "x", poll=0.01, limit=0.05)
