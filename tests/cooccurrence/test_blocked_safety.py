"""Blocked matrices: damaged blocks opened unverified are refused (never a crash), a failed overwrite
keeps the old counts, every word that a Vocabulary holds comes back, and subsets keep C_j."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp

from cooc import Cooccurrence
from cooc._core.errors import CorruptFileError, InvalidParameterError
from cooc.cooccurrence import blocked
from cooc.cooccurrence.blocked import save_blocked
from cooc.corpus.vocab import Vocabulary

from .random_counts import random_cooc


def _small(words=("cat", "dog", "car"), per_offset=False):
    counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]]))
    per = [counts, counts * 2] if per_offset else None
    return Cooccurrence(counts, Vocabulary(list(words), [5, 5, 2]), per_offset=per)


def _damage(path, change):
    a = np.load(path)
    change(a)
    np.save(path, a)


def _set(i, value):
    def change(a):
        a[i] = value

    return change


@pytest.mark.parametrize(
    ("part", "change", "reason"),
    [
        ("indices", _set(-1, 1 << 30), r"column ids outside 0\.\.2"),
        ("indices", _set(0, -1), r"column ids outside 0\.\.2"),
        ("indptr", _set(1, 5), "its row pointers do not rise from 0 to 6"),
        ("indptr", _set(0, 1), "its row pointers do not rise from 0 to 6"),
    ],
)
@pytest.mark.parametrize("offset", [None, 2])
def test_a_damaged_unverified_block_is_refused(tmp_path, part, change, reason, offset):
    save_blocked(_small(per_offset=True), tmp_path / "b", n_blocks=1)
    stem = "b00000" if offset is None else f"b00000.o{offset}"
    _damage(tmp_path / "b.blocks" / f"{stem}.{part}.npy", change)
    with pytest.raises(CorruptFileError, match="does not match its checksum"):
        Cooccurrence.load(tmp_path / "b")
    m = Cooccurrence.load(tmp_path / "b", verify=False)
    with pytest.raises(CorruptFileError, match=f"co-occurrence block .*{stem}' is damaged: {reason}"):
        m.block(0, offset)
    if offset is None:
        with pytest.raises(CorruptFileError, match=reason):
            m.matvec(np.ones(3))
    else:
        with pytest.raises(CorruptFileError, match=reason):
            m.to_memory()


def test_intact_unverified_blocks_read_as_saved(tmp_path, rng):
    cooc = random_cooc(rng, per_offset=True)
    save_blocked(cooc, tmp_path / "b", n_blocks=4)
    m = Cooccurrence.load(tmp_path / "b", verify=False)
    back = m.to_memory()
    assert (back.counts != cooc.counts).nnz == 0
    assert all((a != b).nnz == 0 for a, b in zip(back.per_offset, cooc.per_offset))


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_failed_overwrite_by_a_bad_word_keeps_the_old_counts(tmp_path):
    good = _small()
    good.save(tmp_path / "counts")
    before = _listing(tmp_path)
    with pytest.raises(InvalidParameterError, match=r"tabs or newlines cannot be saved: \['new\\tyork'\]"):
        save_blocked(_small(["cat", "new\tyork", "car"]), tmp_path / "counts", overwrite=True)
    assert _listing(tmp_path) == before
    assert (Cooccurrence.load(tmp_path / "counts").counts != good.counts).nnz == 0


def test_a_save_failing_midway_keeps_the_old_blocked_counts(tmp_path, monkeypatch, rng):
    old = random_cooc(rng)
    save_blocked(old, tmp_path / "m", n_blocks=3)
    before = _listing(tmp_path)
    real, calls = blocked.save_block, []

    def failing(folder, index, *args, **kwargs):
        calls.append(index)
        if index == 1:
            raise OSError(28, "No space left on device")
        return real(folder, index, *args, **kwargs)

    monkeypatch.setattr(blocked, "save_block", failing)
    with pytest.raises(OSError, match="No space left"):
        save_blocked(random_cooc(rng), tmp_path / "m", n_blocks=3, overwrite=True)
    assert calls == [0, 1]
    assert _listing(tmp_path) == before
    kept = Cooccurrence.load(tmp_path / "m")
    kept.verify()
    assert (kept.to_memory().counts != old.counts).nnz == 0


def test_an_overwrite_replaces_every_old_file(tmp_path, rng):
    _small().save(tmp_path / "m")
    first = save_blocked(random_cooc(rng), tmp_path / "m", n_blocks=4, overwrite=True)
    assert not (tmp_path / "m.npz").exists() and first.n_blocks == 4
    new = random_cooc(rng, V=30)
    second = save_blocked(new, tmp_path / "m", n_blocks=2, overwrite=True)
    assert second.n_blocks == 2
    assert sorted(os.listdir(tmp_path)) == ["m.blocks", "m.json"]
    assert not (tmp_path / "m.blocks" / "b00003.data.npy").exists()  # no block of the old matrix is left
    opened = Cooccurrence.load(tmp_path / "m")
    opened.verify()
    assert (opened.to_memory().counts != new.counts).nnz == 0


def test_leftovers_of_a_killed_save_are_removed_by_the_next(tmp_path):
    stale = tmp_path / ".m.blocks.deadbeef.tmp"
    stale.mkdir()
    (stale / "b00000.data.npy").write_bytes(b"half")
    save_blocked(_small(), tmp_path / "m", n_blocks=1)
    assert sorted(os.listdir(tmp_path)) == ["m.blocks", "m.json"]


def test_an_empty_matrix_is_refused_before_anything_is_written(tmp_path):
    empty = Cooccurrence(sp.csr_matrix((0, 0), dtype=np.int64), Vocabulary([]))
    with pytest.raises(InvalidParameterError, match="no words"):
        save_blocked(empty, tmp_path / "m")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("word", ["b\rc", "end\r", "\r", "\rx"])
def test_words_holding_a_carriage_return_come_back(tmp_path, word):
    v = Vocabulary(["a", word, "d"], [3, 2, 1], total=10)
    v.save(tmp_path / "v.tsv")
    back = Vocabulary.load(tmp_path / "v.tsv")
    assert back.words == ["a", word, "d"] and back.counts.tolist() == [3, 2, 1] and back.total == 10
    opened = save_blocked(_small(["a", word, "d"]), tmp_path / "m", n_blocks=2)
    assert opened.vocab.words == ["a", word, "d"]
    assert Cooccurrence.load(tmp_path / "m").vocab.words == ["a", word, "d"]


def test_a_blocked_subset_keeps_the_position_resolved_counts(tmp_path, rng):
    cooc = random_cooc(rng, per_offset=True)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=4)
    words = ["w9", "w2", "w40", "w33"]
    sub, ref = opened.subset(words), cooc.subset(words)
    assert len(sub.per_offset) == len(ref.per_offset) == 2
    for a, b in zip(sub.per_offset, ref.per_offset):
        assert a.shape == (4, 4) and a.nnz and (a != b).nnz == 0
    plain = save_blocked(random_cooc(rng), tmp_path / "p", n_blocks=2)
    assert plain.subset(["w1", "w3"]).per_offset is None
