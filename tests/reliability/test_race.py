"""Race two writers, and a reader against a writer: the second is refused before it does anything, the
first finishes with the right result; a file replaced under a reader is an error, never a mix."""

from __future__ import annotations

import os

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc import Cooccurrence, TokenCorpus
from cooc._core.errors import CorruptFileError, OutputBusyError
from cooc.cli import app
from cooc.corpus.build import build_corpus
from cooc.count import count_cooccurrences

from ..held import held_by_another_process
from .conftest import BUILD, corpus_content, junk, resume, start, wait_stopped

runner = CliRunner()


def refused(args: list, message: str) -> None:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 1 and res.output.startswith("error: ") and message in res.output, res.output


def test_two_builds_into_one_directory(tmp_path, text, reference):
    out = tmp_path / "corpus"
    first = start(
        ["corpus", "build", text, "-o", out, "--workers", 1, *BUILD], tmp_path, COOC_FAULT="build.shard#2!STOP"
    )
    try:
        wait_stopped(first)  # frozen mid-build, holding the directory
        with pytest.raises(OutputBusyError, match="being written"):
            build_corpus(text, out, shard_tokens=8000, progress=False)
        refused(["corpus", "build", text, "-o", out, "--overwrite", *BUILD], "being written")
        refused(["count", out, "-o", tmp_path / "counts"], "being written")  # readers refuse it too
        with pytest.raises(OutputBusyError):
            TokenCorpus.open(out)
    finally:
        done = resume(first)
    assert done.returncode == 0, done.stderr
    assert corpus_content(out) == corpus_content(reference.path) and junk(out) == []
    assert not (tmp_path / "counts.npz").exists()


def test_a_rebuild_waits_for_no_count_and_a_second_count_is_refused(tmp_path, corpus, text):
    """`corpus build --overwrite` while a count reads the corpus mixed old and new shards; now it is refused."""
    args = ["count", corpus.path, "-o", tmp_path / "counts", "--window", 5, "--memory", "2MB"]
    counting = start([*args, "--spill-dir", tmp_path / "spill"], tmp_path, COOC_FAULT="count.spill!STOP")
    try:
        wait_stopped(counting)
        refused(["corpus", "build", text, "-o", corpus.path, "--overwrite", "--max-docs", 100], "being read")
        refused([*args, "--overwrite"], "being written")  # the same output, from another process
    finally:
        done = resume(counting)
    assert done.returncode == 0, done.stderr
    expected = count_cooccurrences(corpus, window=5, progress=False)
    assert (Cooccurrence.load(tmp_path / "counts").counts != expected.counts).nnz == 0
    assert junk(tmp_path) == []


def test_a_corpus_replaced_under_a_reader_is_detected(corpus):
    """Where locks do not reach (another machine, a tool that ignores them), a replaced file is still caught."""
    opened = TokenCorpus.open(corpus.path)
    path = corpus.path / "shards/tokens-00005.npy"
    tokens = np.load(path)
    np.save(path.with_name("new.npy"), tokens[::-1].copy())  # valid ids, same size: a different corpus
    os.replace(path.with_name("new.npy"), path)
    with pytest.raises(CorruptFileError, match="rewritten while it was being read"):
        count_cooccurrences(opened, window=5, progress=False)


def test_counts_replaced_between_the_two_reads_are_read_whole(tmp_path, corpus, monkeypatch):
    """A reader that read the old metadata just before a writer committed reads the new pair, not a mix."""
    import cooc.cooccurrence.matrix as matrix

    old = count_cooccurrences(corpus, window=2, progress=False)
    new = count_cooccurrences(corpus, window=4, weighting="uniform", progress=False)
    old.save(tmp_path / "c")
    real = matrix.open_checked
    calls = []

    def commit_in_between(*args, **kwargs):
        if not calls:
            new.save(tmp_path / "c")  # the writer commits after the reader read the metadata
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(matrix, "open_checked", commit_in_between)
    got = Cooccurrence.load(tmp_path / "c")
    assert got.settings["window"] == 4 and (got.counts != new.counts).nnz == 0


def test_blocked_output_written_by_another_process_is_refused(tmp_path, corpus):
    from cooc._core.locks import lock_output
    from cooc.cooccurrence.blocked import save_blocked

    counts = count_cooccurrences(corpus, window=2, progress=False)
    save_blocked(counts, tmp_path / "b", n_blocks=2)
    with held_by_another_process(lambda: lock_output(tmp_path / "b")):
        with pytest.raises(OutputBusyError, match="being written"):
            Cooccurrence.load(tmp_path / "b")
        with pytest.raises(OutputBusyError, match="being written"):
            save_blocked(counts, tmp_path / "b", overwrite=True)
        with pytest.raises(OutputBusyError, match="being written"):
            counts.save(tmp_path / "b")
    assert Cooccurrence.load(tmp_path / "b").nnz == counts.nnz  # untouched, and readable once the writer is gone
