"""The console entry point: what it does once the command is over."""

from __future__ import annotations

import gc
import subprocess
import sys
import types

import pytest


def test_main_freezes_live_objects_out_of_the_final_collection(monkeypatch, capsys):
    from cooc import cli

    monkeypatch.setattr("sys.argv", ["cooc", "--version"])
    monkeypatch.delitem(sys.modules, "triton", raising=False)  # loaded by other tests in this process
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code in (0, None)
        assert "0." in capsys.readouterr().out
        assert gc.get_freeze_count() > 0  # the interpreter's last collection will skip them
    finally:
        gc.unfreeze()


def test_main_leaves_the_final_collection_alone_once_triton_is_loaded(monkeypatch, capsys):
    from cooc import cli

    monkeypatch.setattr("sys.argv", ["cooc", "--version"])
    monkeypatch.setitem(sys.modules, "triton", types.ModuleType("triton"))
    gc.unfreeze()
    with pytest.raises(SystemExit):
        cli.main()
    assert gc.get_freeze_count() == 0


def test_a_command_that_loaded_triton_exits_without_leak_reports():
    pytest.importorskip("triton.language")
    code = "import sys, triton.language; sys.argv = ['cooc', '--version']; from cooc.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0." in done.stdout
    assert "leaked" not in done.stderr, done.stderr[:500]
