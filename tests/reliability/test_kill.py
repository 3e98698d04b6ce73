"""Kill at each phase: a build, a count and a training killed (SIGKILL, Ctrl-C) where it matters resume
or start over to the very result of an uninterrupted run, leave no junk, no orphan, no half-result."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

from cooc import Cooccurrence, TokenCorpus
from cooc._core.errors import CorruptFileError
from cooc.corpus.build import build_corpus

from .conftest import BUILD, corpus_content, junk, one_line_error, run, run_python


def _orphans(tag: str) -> list[int]:
    """Live processes started with ``COOC_TEST_TAG=tag`` in their environment."""
    psutil = pytest.importorskip("psutil")
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("COOC_TEST_TAG") == tag:
                found.append(proc.pid)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.parametrize(
    "point, workers",
    [
        ("build.shard#3", 1),  # tokenising: a few raw shards committed
        ("build.remap#2", 2),  # remapping, with a helper process that must die too
        ("corpus.manifest", 1),  # everything written but the manifest
        ("build.cleanup", 1),  # the manifest written, the work folder not yet removed
    ],
)
def test_build_killed_at_each_phase_resumes_to_the_same_corpus(tmp_path, text, reference, point, workers):
    tag = uuid.uuid4().hex
    out = tmp_path / "corpus"
    killed = run(
        ["corpus", "build", text, "-o", out, "--workers", workers, *BUILD],
        tmp_path,
        COOC_FAULT=point,
        COOC_TEST_TAG=tag,
    )
    assert killed.returncode == -9, killed.stderr
    import time

    deadline = time.monotonic() + 10  # the kernel delivers the helpers' death signal at once
    while _orphans(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _orphans(tag) == []
    if point == "build.cleanup":
        assert TokenCorpus.open(out).n_tokens == reference.n_tokens  # complete: the manifest was the commit
    else:
        with pytest.raises(CorruptFileError, match="unfinished build"):
            TokenCorpus.open(out)
    build_corpus(text, out, shard_tokens=8000, progress=False, workers=workers)  # the rerun resumes
    assert corpus_content(out) == corpus_content(reference.path)
    assert junk(out) == []
    TokenCorpus.open(out).verify()


def test_count_killed_while_spilling_leaves_nothing_the_next_count_does_not_remove(tmp_path, corpus):
    spill = tmp_path / "spill"
    args = ["count", corpus.path, "-o", tmp_path / "counts", "--window", 5, "--memory", "2MB", "--spill-dir", spill]
    killed = run(args, tmp_path, COOC_FAULT="count.spill#2")
    assert killed.returncode == -9
    assert not (tmp_path / "counts.npz").exists() and not (tmp_path / "counts.json").exists()
    assert [p.name.startswith("cooc-spill-") for p in spill.iterdir()] == [True]  # left by the killed count
    done = run(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "spilled" in done.stdout
    assert list(spill.iterdir()) == [] and junk(tmp_path) == []
    from cooc.count import count_cooccurrences

    expected = count_cooccurrences(corpus, window=5, progress=False)
    got = Cooccurrence.load(tmp_path / "counts")
    assert (got.counts != expected.counts).nnz == 0
    assert got.settings["corpus_id"] == corpus.identity


def test_count_interrupted_says_nothing_is_kept_and_removes_its_spills(tmp_path, corpus):
    spill = tmp_path / "spill"
    args = ["count", corpus.path, "-o", tmp_path / "counts", "--window", 5, "--memory", "2MB", "--spill-dir", spill]
    stopped = run(args, tmp_path, COOC_FAULT="count.spill#2!INT")
    assert stopped.returncode == 130
    assert one_line_error(stopped.stderr) == (
        "error: interrupted; nothing is kept (counting starts over when run again; its temporary files were removed)."
    )
    assert not spill.exists() and junk(tmp_path) == []  # its spills, then the folder it made for them
    assert not (tmp_path / "counts.npz").exists()


# one thread: the default (hogwild) kernel's runs repeat bitwise only there
W2V = dict(dim=8, epochs=1, min_count=1, chunk_tokens=2000, checkpoint_every=0.0, progress=False, seed=3, threads=1)
TRAIN = """
from cooc.train.word2vec.estimator import train_word2vec
train_word2vec({corpus!r}, {out!r}, **{params!r})
"""


def test_word2vec_killed_after_a_checkpoint_resumes_to_the_uninterrupted_vectors(tmp_path, small):
    from cooc import Embedding
    from cooc.train.word2vec.estimator import Word2Vec, save_trained, train_word2vec

    code = TRAIN.format(corpus=str(small.path), out=str(tmp_path / "emb"), params=W2V)
    killed = run_python(code, tmp_path, COOC_FAULT="word2vec.checkpoint#3")
    assert killed.returncode == -9, killed.stderr
    state = json.loads((tmp_path / "emb.checkpoint" / "state.json").read_text())
    assert state["chunk"] == 3 and not state["finished"]
    trained = []
    model = Word2Vec(**W2V).fit(small.path, checkpoint=tmp_path / "emb.checkpoint", callback=trained.append)
    assert trained[0]["chunk"] == 3  # resumed after the three chunks checkpointed
    save_trained(model, tmp_path / "emb", remove_checkpoint=True)
    assert not (tmp_path / "emb.checkpoint").exists()  # removed once the embedding was written
    whole = train_word2vec(small.path, **W2V)
    np.testing.assert_array_equal(Embedding.load(tmp_path / "emb").vectors, whole.vectors)
    assert junk(tmp_path) == []
