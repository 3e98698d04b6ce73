"""Failures a user meets: each is one ``error:`` line with a non-zero exit, found before any work is done
where it can be, and an interruption says what it actually kept."""

from __future__ import annotations

import bz2
import gzip
import os
import socket

import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.count import count_cooccurrences

from .conftest import BUILD, corpus_content, junk

runner = CliRunner()


def error(args: list, code: int = 1) -> str:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == code, res.output
    lines = [line for line in res.output.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    return lines[0]


@pytest.mark.parametrize("suffix, module", [(".gz", gzip), (".bz2", bz2)])
def test_a_truncated_compressed_file(tmp_path, text, suffix, module):
    damaged = tmp_path / f"text.txt{suffix}"
    damaged.write_bytes(module.compress(text.read_bytes())[:-300])
    line = error(["corpus", "build", damaged, "-o", tmp_path / "corpus", "--no-progress"])
    assert f"cannot read {str(damaged)!r}" in line and "truncated or damaged" in line


def test_an_offline_machine_is_told_so_and_how_to_use_local_files(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the hub is unreachable, at once
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    line = error(["corpus", "build", "hf:wikimedia/wikipedia:20231101.en", "-o", tmp_path / "wiki"])
    assert "cannot reach the Hugging Face hub" in line and "this machine looks offline" in line
    assert "cooc corpus build 'FOLDER/*.parquet'" in line and "HF_DATASETS_OFFLINE=1" in line
    assert not (tmp_path / "wiki").exists()


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a corpus or a co-occurrence file is read: the command must stop before."""
    from cooc import Cooccurrence, TokenCorpus

    def forbidden(*args, **kwargs):
        raise AssertionError("work was started before the arguments and the output were checked")

    monkeypatch.setattr(TokenCorpus, "open", forbidden)
    monkeypatch.setattr(Cooccurrence, "load", forbidden)


@pytest.fixture
def counts(tmp_path, corpus):
    count_cooccurrences(corpus, window=2, vocab_size=300, progress=False).save(tmp_path / "counts")
    return tmp_path / "counts"


def test_outputs_that_cannot_be_written_are_found_before_any_work(tmp_path, corpus, counts, no_work):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cannot = "cannot write the output folder"
    assert f"{str(blocker)!r} is a file, not a folder" in error(["count", corpus.path, "-o", blocker / "x" / "counts"])
    assert cannot in error(["count", corpus.path, "-o", blocker / "counts"])
    assert cannot in error(["sweep", counts, "-o", blocker / "sweep"])
    assert cannot in error(["embed", counts, "-o", blocker / "emb"])
    assert cannot in error(["geometry", "symmetry", tmp_path / "emb", "--out", blocker / "figs"])


def test_a_file_output_given_as_an_existing_folder_is_named_before_any_work(tmp_path, counts, no_work):
    (tmp_path / "adir").mkdir()
    for overwrite in ([], ["--overwrite"]):  # with --overwrite the write failed late, naming a temporary file
        line = error(["eval", "similarity", tmp_path / "emb", "-o", tmp_path / "adir", *overwrite])
        assert f"{str(tmp_path / 'adir')!r} is a folder; the output there is a file" in line, line


def test_analyses_run_into_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    from cooc.experiments.studies import list_studies

    name = list_studies()[0].name
    line = error(["analyses", "run", name, "-o", blocker / "out"])
    assert "cannot write the output folder" in line


def test_a_failed_command_leaves_no_empty_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "no-such-embedding.npz"
    line = error(["geometry", "symmetry", missing])  # the default output folder, geometry-out/
    assert "no-such-embedding" in line
    assert not (tmp_path / "geometry-out").exists()
    error(["geometry", "places", missing, "--out", tmp_path / "a" / "b" / "figs"])
    assert not (tmp_path / "a").exists()  # every level it made is gone
    kept = tmp_path / "there-before"
    kept.mkdir()
    error(["geometry", "symmetry", missing, "--out", kept / "figs"])
    assert kept.is_dir() and not (kept / "figs").exists()  # a folder the user had is kept
    assert "does not exist: give a corpus" in error(
        ["count", tmp_path / "no-corpus", "-o", tmp_path / "counted" / "counts"]
    )
    assert not (tmp_path / "counted").exists()  # count's lock file and write probe are gone too
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "note.txt").write_text("kept")
    error(["geometry", "symmetry", missing, "--out", tmp_path / "mine"])
    assert (tmp_path / "mine" / "note.txt").read_text() == "kept"  # a folder that holds anything is kept


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_a_read_only_folder(tmp_path, corpus, no_work):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert "permission denied" in error(["count", corpus.path, "-o", locked / "counts"])


def test_sweep_checks_every_k_and_target_before_decomposing(tmp_path, counts, monkeypatch):
    import cooc.experiments.targets as targets

    def forbidden(*args, **kwargs):
        raise AssertionError("decomposed before checking the arguments")

    monkeypatch.setattr(targets, "compare_targets", forbidden)
    out = tmp_path / "sweep"
    assert "K must be at most V = 300" in error(["sweep", counts, "--dims", "99999", "-o", out])
    assert "99999" in error(["sweep", counts, "--dims", "10,99999", "-o", out])  # no longer silently dropped
    assert "target" in error(["sweep", counts, "--targets", "m,bogus", "--dims", "5", "-o", out])
    assert "protocol" in error(["sweep", counts, "--protocol", "nope", "--dims", "5", "-o", out])
    (out / "sweep.json").parent.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text("{}")
    assert "--overwrite" in error(["sweep", counts, "--dims", "5", "-o", out])
    assert "K must be at most" in error(["embed", counts, "-o", tmp_path / "emb", "--dim", 301])
    assert "memory" in error(["count", counts.parent / "corpus", "-o", tmp_path / "c", "--memory", "lots"])


def test_interrupted_build_keeps_its_shards_and_says_so(tmp_path, text, reference, monkeypatch):
    out = tmp_path / "corpus"
    monkeypatch.setenv("COOC_FAULT", "build.shard#2!INT")
    line = error(["corpus", "build", text, "-o", out, "--workers", 1, *BUILD], code=130)
    assert line == (
        f"error: interrupted; 2 tokenised shard(s) ({reference.manifest['shards'][0]['n_docs'] + reference.manifest['shards'][1]['n_docs']:,} "
        f"source items) are kept in {str(out / '.build')!r}; run the same command again to resume."
    )
    # interrupted again while the resume reads back what it kept: still kept, and said so
    committed = len(list((out / ".build").glob("raw-*.json")))  # 2, or 3 when the writer finished its next one
    monkeypatch.setenv("COOC_FAULT", "build.resume!INT")
    line = error(["corpus", "build", text, "-o", out, "--workers", 1, *BUILD], code=130)
    assert committed >= 2 and line == (
        f"error: interrupted; {committed} tokenised shard(s) are kept in {str(out / '.build')!r}; run the same "
        "command again to resume."
    )
    monkeypatch.delenv("COOC_FAULT")
    res = runner.invoke(app, ["corpus", "build", str(text), "-o", str(out), "--workers", "1", *BUILD])
    assert res.exit_code == 0, res.output
    assert corpus_content(out) == corpus_content(reference.path) and junk(out) == []


def test_sigterm_is_handled_like_ctrl_c(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("COOC_FAULT", "count.spill!TERM")
    (tmp_path / "spill").mkdir()  # the user's folder: emptied of its spills, and kept
    args = [
        "count",
        corpus.path,
        "-o",
        tmp_path / "c",
        "--window",
        5,
        "--memory",
        "2MB",
        "--spill-dir",
        tmp_path / "spill",
    ]
    line = error(args, code=143)
    assert line.startswith("error: terminated (SIGTERM); nothing is kept")
    assert list((tmp_path / "spill").iterdir()) == [] and junk(tmp_path) == []


def test_embed_interrupted_says_nothing_is_kept(tmp_path, counts, monkeypatch):
    from cooc.spectral.estimator import SpectralEmbedding

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SpectralEmbedding, "fit", interrupted)
    line = error(["embed", counts, "-o", tmp_path / "emb", "--dim", 5], code=130)
    assert line == "error: interrupted; nothing is kept (the decomposition starts over when run again)."
    assert junk(tmp_path) == [] and not (tmp_path / "emb.npz").exists()
