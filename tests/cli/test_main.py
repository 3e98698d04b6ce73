"""The console entry point: what it does once the command is over."""

from __future__ import annotations

import gc

import pytest


def test_main_freezes_live_objects_out_of_the_final_collection(monkeypatch, capsys):
    from cooc import cli

    monkeypatch.setattr("sys.argv", ["cooc", "--version"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code in (0, None)
        assert "0." in capsys.readouterr().out
        assert gc.get_freeze_count() > 0  # the interpreter's last collection will skip them
    finally:
        gc.unfreeze()
