"""`cooc train lm` on a corpus: the finished runs in OUTPUT are reused only for the very corpus they were
trained on, not for another corpus rebuilt at the same path."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from cooc.cli import app

from ..train.conftest import two_cluster_docs, write_corpus

runner = CliRunner()
WORDS = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]


def _args(corpus, out, *extra: str) -> list[str]:
    return ["train", "lm", str(corpus), "-o", str(out), "-T", "4", "--model", "cnn", "--width", "4",
            "--samples", "8", "--steps", "2", "--eval-every", "1", "--n-val", "4", "--n-test", "4",
            "--device", "cpu", "--no-progress", *extra]  # fmt: skip


def test_a_rebuilt_corpus_is_refused_and_overwrite_trains_on_it(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "lm"
    first = write_corpus(corpus, two_cluster_docs(40, 8, 10, seed=1), WORDS)
    res = runner.invoke(app, _args(corpus, out))
    assert res.exit_code == 0, res.output
    runs = json.loads((out / "runs.json").read_text())
    again = runner.invoke(app, _args(corpus, out))  # the same corpus: its runs are reused, nothing retrained
    assert again.exit_code == 0, again.output
    assert json.loads((out / "runs.json").read_text()) == runs

    # the corpus rebuilt at the same path from other text (4 words fewer: another vocabulary, another model size)
    second = write_corpus(corpus, two_cluster_docs(40, 8, 8, seed=2), WORDS[:8] + WORDS[10:18])
    assert second.identity != first.identity
    stale = runner.invoke(app, _args(corpus, out))
    assert stale.exit_code == 1, stale.output
    assert re.fullmatch(
        rf"error: {re.escape(repr(str(out)))} holds runs trained on another corpus than the one now at "
        rf"{re.escape(repr(str(corpus)))} \(rebuilt since: {first.identity.split(':')[-1][:12]} -> "
        rf"{second.identity.split(':')[-1][:12]}\); use another folder, or discard them with --overwrite "
        r"\(overwrite=True\)\.\n",
        stale.output.replace("\n", " ").rstrip() + "\n",
    ), stale.output
    assert json.loads((out / "runs.json").read_text()) == runs  # nothing written
    assert runs["settings"]["corpus"] == first.identity

    fresh = runner.invoke(app, _args(corpus, out, "--overwrite"))
    assert fresh.exit_code == 0, fresh.output
    rerun = json.loads((out / "runs.json").read_text())
    assert rerun["settings"]["corpus"] == second.identity
    assert rerun["rows"] != runs["rows"] and rerun["rows"][0]["parameters"] < runs["rows"][0]["parameters"]
    assert json.loads((out / "curves.json").read_text())["vocab_size"] < 20 + 2
