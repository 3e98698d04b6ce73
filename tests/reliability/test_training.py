"""word2vec interrupted or short of disk space: a checkpoint is saved and named, finished vectors are never lost."""

from __future__ import annotations

import errno
import json
import os
import signal

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc import Embedding
from cooc._core.signals import kept_note
from cooc.cli import app
from cooc.train.word2vec.estimator import Word2Vec, save_trained, train_word2vec

from .conftest import junk

# one thread: the default (hogwild) kernel's runs repeat bitwise only there
W2V = dict(dim=8, epochs=1, min_count=1, chunk_tokens=2000, progress=False, seed=3, threads=1)


def test_ctrl_c_finishes_the_chunk_saves_a_checkpoint_and_says_where(tmp_path, small):
    def interrupt(progress):
        if progress["chunk"] == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt) as caught:
        Word2Vec(**W2V, checkpoint_every=1e9).fit(small.path, checkpoint=tmp_path / "ck", callback=interrupt)
    state = json.loads((tmp_path / "ck" / "state.json").read_text())
    assert state["chunk"] == 3 and not state["finished"]  # the chunk in progress finished, then the save
    assert kept_note(caught.value) == (
        f"the checkpoint in {str(tmp_path / 'ck')!r} holds the training up to word {state['raw_words']:,} of "
        f"{small.n_tokens:,}; run the same command again to resume from there."
    )
    resumed = Word2Vec(**W2V, checkpoint_every=1e9).fit(small.path, checkpoint=tmp_path / "ck")
    np.testing.assert_array_equal(resumed.input_vectors_, Word2Vec(**W2V).fit(small.path).input_vectors_)


def test_an_interruption_before_any_checkpoint_says_nothing_is_kept(tmp_path, small):
    def interrupt(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        Word2Vec(**W2V, checkpoint_every=1e9).fit(small.path, checkpoint=tmp_path / "ck", callback=interrupt)
    assert kept_note(caught.value) == "nothing is kept (no checkpoint was written yet); a rerun starts over."


def test_checkpoint_every_words(tmp_path, small):
    saved = []

    def record(progress):
        state = tmp_path / "ck" / "state.json"
        saved.append(json.loads(state.read_text())["raw_words"] if state.exists() else 0)

    Word2Vec(**W2V, checkpoint_every=1e9, checkpoint_words=5000).fit(
        small.path, checkpoint=tmp_path / "ck", callback=record
    )
    steps = sorted(set(saved) - {0})
    assert steps and all(b - a >= 5000 for a, b in zip([0, *steps], steps))  # never sooner than asked
    assert all(b - a < 5000 + 2100 for a, b in zip([0, *steps], steps))  # and at the first chunk end after


def test_a_full_disk_at_the_final_save_keeps_the_finished_training(tmp_path, small, monkeypatch):
    import cooc.embedding

    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def no_space(*args, **kwargs):
        raise full

    monkeypatch.setattr(cooc.embedding, "save_pair", no_space)
    model = Word2Vec(**W2V, checkpoint_every=1e9).fit(small.path, checkpoint=tmp_path / "emb.checkpoint")
    with pytest.raises(OSError) as caught:
        save_trained(model, tmp_path / "emb", remove_checkpoint=True)
    assert "the finished training is kept in" in kept_note(caught.value)
    assert (tmp_path / "emb.checkpoint" / "state.json").exists() and not (tmp_path / "emb.npz").exists()
    monkeypatch.undo()
    trained = []
    again = Word2Vec(**W2V, checkpoint_every=1e9).fit(
        small.path, checkpoint=tmp_path / "emb.checkpoint", callback=trained.append
    )
    assert trained == []  # nothing trained again: the finished run was reloaded
    save_trained(again, tmp_path / "emb", remove_checkpoint=True)
    np.testing.assert_array_equal(Embedding.load(tmp_path / "emb").vectors, model.embedding_.vectors)
    assert junk(tmp_path) == []


def test_a_full_disk_at_the_final_checkpoint_loses_nothing(tmp_path, small, monkeypatch, caplog):
    import cooc.train.word2vec.run as run

    real = run.save_checkpoint

    def fails_when_finished(directory, arrays, state):
        if state["finished"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(directory, arrays, state)

    monkeypatch.setattr(run, "save_checkpoint", fails_when_finished)
    emb = train_word2vec(small.path, tmp_path / "emb", checkpoint_every=0.0, **W2V)
    assert "could not write the final checkpoint" in caplog.text
    np.testing.assert_array_equal(Embedding.load(tmp_path / "emb").vectors, emb.vectors)
    assert not (tmp_path / "emb.checkpoint").exists()


def test_cli_interrupt_names_the_checkpoint(tmp_path, small, monkeypatch):
    monkeypatch.setenv("COOC_FAULT", "word2vec.checkpoint#1!INT")
    args = ["train", "word2vec", str(small.path), "-o", str(tmp_path / "emb"), "--dim", "8", "--epochs", "2"]
    res = CliRunner().invoke(app, [*args, "--min-count", "1", "--checkpoint-every", "1 words", "--no-progress"])
    assert res.exit_code == 130
    state = json.loads((tmp_path / "emb.checkpoint" / "state.json").read_text())
    first, last = res.output.strip().splitlines()
    assert first.startswith("warning: stopping: the chunk in progress finishes and a checkpoint is saved")
    assert last.startswith("error: interrupted; the checkpoint in ") and f"word {state['raw_words']:,} of" in last
    monkeypatch.delenv("COOC_FAULT")
    done = CliRunner().invoke(app, [*args, "--min-count", "1", "--no-progress"])
    assert done.exit_code == 0, done.output
    assert not (tmp_path / "emb.checkpoint").exists() and junk(tmp_path) == []
