"""The app itself: --version, --debug, warnings as one line, and --json on the commands that print data."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from cooc import Cooccurrence, __version__
from cooc.cli import app

runner = CliRunner()


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"cooc {__version__}"


def test_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    missing = str(tmp_path / "missing")
    plain = runner.invoke(app, ["info", missing])
    assert plain.exit_code == 1 and plain.output.startswith("error: ") and len(plain.output.splitlines()) == 1
    debug = runner.invoke(app, ["--debug", "info", missing])
    assert debug.exit_code != 0 and type(debug.exception).__name__ == "CorruptFileError"


def test_a_warning_is_one_clean_line(make_corpus, tmp_path):
    corpus = make_corpus([[0, 1, 2, 0]], 3)
    res = runner.invoke(app, ["count", str(corpus.path), "-o", str(tmp_path / "c"), "--vocab-size", "50"])
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if "vocab_size" in line]
    assert lines == ["warning: vocab_size=50 is larger than the corpus vocabulary (3 words); using 3."]
    assert "UserWarning" not in res.output and ".py:" not in res.output
    res = runner.invoke(
        app, ["embed", str(tmp_path / "c"), "-o", str(tmp_path / "e"), "--dim", "2", "--vocab-size", "50"]
    )
    assert res.exit_code == 0, res.output
    assert "warning: --vocab-size 50 is larger than the counts' vocabulary (3 words); using 3." in res.output


def test_info_json_is_the_data(make_corpus, tmp_path):
    corpus = make_corpus([[0, 1, 2, 0], [1, 1]], 3)
    out = tmp_path / "counts"
    assert runner.invoke(app, ["count", str(corpus.path), "-o", str(out), "--weighting", "uniform"]).exit_code == 0
    res = runner.invoke(app, ["info", str(out), "--top", "2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    c = Cooccurrence.load(out)
    assert data["shape"] == [3, 3] and data["nnz"] == c.nnz and data["total"] == c.total
    assert data["settings"]["weighting"] == "uniform" and data["layout"] == "memory"
    assert [(p["word"], p["context"], p["value"]) for p in data["top_pairs"]] == c.top_pairs(2)
    table = runner.invoke(app, ["info", str(out)]).output
    assert re.search(r"symmetric\s+│ True", table) and re.search(r"window\s+│ 10 ", table)  # a flag, a count
    corpus_info = json.loads(runner.invoke(app, ["corpus", "info", str(corpus.path), "--json"]).output)
    assert corpus_info["tokens"] == 6 and corpus_info["documents"] == 2 and corpus_info["vocab_size"] == 3


@pytest.mark.parametrize("command", [["analyses", "list"]])
def test_listing_json(command):
    res = runner.invoke(app, [*command, "--json"])
    assert res.exit_code == 0, res.output
    names = [s["name"] for s in json.loads(res.output)]
    assert "symmetry" in names and all(isinstance(n, str) for n in names)


def test_running_out_of_memory_is_one_error_line_not_a_traceback(capsys):
    import numpy as np
    import pytest
    import typer

    from cooc.cli._common import _run

    def allocate():
        return np.empty(1 << 60, dtype=np.uint8)  # an exbibyte: numpy's MemoryError, whatever the machine

    with pytest.raises(typer.Exit) as exit_info:
        _run(allocate)
    err = capsys.readouterr().err
    assert exit_info.value.exit_code == 1 and err.count("\n") == 1
    assert err.startswith("error: out of memory: Unable to allocate 1.00 EiB") and "ask for less" in err
