"""`cooc count` and `cooc info` through typer's CliRunner."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from cooc import Cooccurrence
from cooc.cli import app

runner = CliRunner()


def test_count_then_info(make_corpus, tmp_path):
    corpus = make_corpus([[0, 1, 2, 0], [1, 1]], 3)
    out = tmp_path / "counts"
    res = runner.invoke(
        app, ["count", str(corpus.path), "-o", str(out), "--window", "2", "--weighting", "uniform", "--per-offset"]
    )
    assert res.exit_code == 0, res.output
    c = Cooccurrence.load(out)
    np.testing.assert_array_equal(c.counts.toarray(), [[0, 2, 2], [2, 2, 1], [2, 1, 0]])
    assert len(c.per_offset) == 2
    info = runner.invoke(app, ["info", str(out) + ".npz", "--top", "2"])
    assert info.exit_code == 0, info.output
    assert "3 x 3" in info.output and "nonzeros" in info.output and "w0 w1" in info.output


def test_cli_errors_are_one_line(make_corpus, tmp_path):
    corpus = make_corpus([[0, 1]], 2)
    cases = [
        (["count", str(corpus.path), "-o", str(tmp_path / "x"), "--window", "0"], "window"),
        (["count", str(corpus.path), "-o", str(tmp_path / "x"), "--weighting", "gauss"], "weighting"),
        (["count", str(corpus.path), "-o", str(tmp_path / "x"), "--memory", "1KB"], "smallest that works"),
        (["count", str(tmp_path / "missing"), "-o", str(tmp_path / "x")], "does not exist: give a corpus"),
        (["info", str(tmp_path / "nothing")], "does not exist"),
    ]
    for args, needle in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], res.output
    assert not list(tmp_path.glob("x*"))


def test_existing_output_needs_overwrite(make_corpus, tmp_path):
    corpus = make_corpus([[0, 1]], 2)
    out = str(tmp_path / "c")
    assert runner.invoke(app, ["count", str(corpus.path), "-o", out]).exit_code == 0
    again = runner.invoke(app, ["count", str(corpus.path), "-o", out])
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert runner.invoke(app, ["count", str(corpus.path), "-o", out, "--overwrite"]).exit_code == 0
    (tmp_path / "c.npz").write_bytes(b"garbage")
    bad = runner.invoke(app, ["info", out])
    assert bad.exit_code == 1 and bad.output.startswith("error: ")


def test_a_flat_count_replaces_a_blocked_one_only_once_it_is_written(make_corpus, tmp_path, monkeypatch):
    """`count -o OUT --overwrite` over a blocked OUT deleted the old blocks before saving: an interrupted save lost
    them. The flat metadata's rename is the commit point: interrupted before it, the blocked output is whole."""
    from cooc.cooccurrence import BlockedCooccurrence, load

    corpus = make_corpus([[0, 1, 2, 0, 1], [1, 1, 2]], 3)
    out = tmp_path / "counts"
    args = ["count", str(corpus.path), "-o", str(out), "--window", "2"]
    assert runner.invoke(app, [*args, "--blocks", "2"]).exit_code == 0
    before = load(out)
    assert isinstance(before, BlockedCooccurrence)
    old = before.to_memory().counts.toarray()
    monkeypatch.setenv("COOC_FAULT", "pair.between!INT")  # the new .npz written, its .json not yet
    res = runner.invoke(app, [*args, "--window", "1", "--overwrite"])
    assert res.exit_code == 130, res.output
    kept = BlockedCooccurrence.open(out)
    np.testing.assert_array_equal(kept.to_memory().counts.toarray(), old)
    monkeypatch.delenv("COOC_FAULT")
    assert runner.invoke(app, [*args, "--window", "1", "--overwrite"]).exit_code == 0
    flat = load(out)
    assert isinstance(flat, Cooccurrence) and flat.settings["window"] == 1
    assert not (tmp_path / "counts.blocks").exists()


def test_info_on_a_study_output_shows_a_missing_or_non_finite_time_as_unknown(tmp_path):
    """A results.json whose time is not a number (or 1e999, read as infinity) showed ``seconds nan``."""
    import json

    folder = tmp_path / "st"
    folder.mkdir()
    for seconds, shown, as_json in (
        ('{"total": null}', "unknown", None),
        ('{"total": "12 s"}', "unknown", None),
        ("{}", "unknown", None),
        ("null", "unknown", None),
        ('{"total": 1e999}', "unknown", None),
        ('{"total": 41.6}', "42", 41.6),
    ):
        (folder / "results.json").write_text(
            f'{{"study": "demo_x", "full": false, "figures": ["a.png"], "seconds": {seconds}, "results": {{}}}}'
        )
        res = runner.invoke(app, ["info", str(folder)], terminal_width=200)
        assert res.exit_code == 0, res.output
        row = [line for line in res.output.splitlines() if "seconds" in line]
        assert len(row) == 1 and row[0].split("seconds")[1].strip(" │|") == shown, (seconds, res.output)
        res = runner.invoke(app, ["info", str(folder), "--json"])
        assert res.exit_code == 0 and json.loads(res.output)["seconds"] == as_json, (seconds, res.output)


def test_info_on_a_missing_path_names_every_kind_it_takes(tmp_path):
    res = runner.invoke(app, ["info", str(tmp_path / "nothing")])
    assert res.exit_code == 1 and "does not exist: give a corpus, co-occurrence counts, an embedding" in res.output
    assert len(res.output.strip().splitlines()) == 1
