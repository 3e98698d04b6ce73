"""`cooc train word2vec --overwrite` starts afresh with an explicit --checkpoint too: the checkpoint there is
discarded (only its files: the folder and anything else in it stay), never resumed or reloaded."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from cooc.cli import app
from cooc.embedding import Embedding

runner = CliRunner()


def test_overwrite_discards_an_explicit_checkpoint(cluster_corpus, tmp_path):
    ck = tmp_path / "ck"
    common = ["train", "word2vec", str(cluster_corpus.path), "-o", str(tmp_path / "emb"), "--dim", "4",
              "--epochs", "1", "--min-count", "1", "--no-progress", "--threads", "1", "--checkpoint", str(ck)]  # fmt: skip
    first = runner.invoke(app, common)
    assert first.exit_code == 0, first.output
    assert (ck / "state.json").is_file()  # an explicit checkpoint is kept after training
    (ck / "notes.txt").write_text("mine")

    again = runner.invoke(app, [*common, "--overwrite"])  # the same settings: trained again, not reloaded
    assert again.exit_code == 0, again.output
    assert "resumed from" not in again.output and "checkpoint held the whole run" not in again.output
    assert re.search(r"words/s\s+│ [\d,]+ ", again.output), again.output
    assert (ck / "state.json").is_file() and (ck / "notes.txt").read_text() == "mine"

    other = runner.invoke(app, [*common, "--overwrite", "--seed", "1"])  # other settings: no longer refused
    assert other.exit_code == 0, other.output
    assert Embedding.load(tmp_path / "emb").meta["provenance"]["params"]["seed"] == 1
    # without --overwrite the checkpoint is never discarded: one of other settings is refused
    stale = runner.invoke(app, [*common[:4], str(tmp_path / "emb2"), *common[5:], "--seed", "3"])
    assert stale.exit_code == 1 and re.search(r"checkpoint .*ck' belongs to a run with other settings", stale.output)
