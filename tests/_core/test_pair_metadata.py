"""The metadata ``.json`` of every saved matrix and embedding is covered by a checksum of its content."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from cooc import Cooccurrence, Embedding
from cooc._core.errors import CorruptFileError
from cooc._core.io import meta_checksum
from cooc.cooccurrence.blocked import save_blocked
from cooc.corpus.vocab import Vocabulary

SETTINGS = {"window": 3, "weighting": "linear", "symmetric": True, "alpha": 0.1, "tiny": 1e-300, "word": "naïve ✓"}


def _counts():
    counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]]))
    return Cooccurrence(counts, Vocabulary(["cat", "dög", "car"], [5, 5, 2]), settings=dict(SETTINGS))


def _edit(path, change):
    meta = json.loads(path.read_text(encoding="utf-8"))
    change(meta)
    path.write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _set(*keys, value):
    def change(meta):
        node = meta
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return change


EDITS = [
    _set("settings", "window", value=8),
    _set("settings", "weighting", value="lineax"),
    _set("vocab", "counts", value=[999, 0, 0]),
    _set("vocab", "total", value=1),
    _set("provenance", "params", value={"window": 8}),
]


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("verify", [True, False])
def test_an_edited_cooccurrence_metadata_is_refused(tmp_path, edit, verify):
    _counts().save(tmp_path / "m")
    _edit(tmp_path / "m.json", edit)
    with pytest.raises(CorruptFileError, match=r"m\.json' does not match the checksum of its content"):
        Cooccurrence.load(tmp_path / "m", verify=verify)


def test_the_content_not_the_layout_of_the_metadata_is_checked(tmp_path):
    c = _counts()
    c.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    reordered = dict(reversed(list(meta.items())))
    (tmp_path / "m.json").write_text(json.dumps(reordered, ensure_ascii=True), encoding="utf-8")  # one line, \u escapes
    back = Cooccurrence.load(tmp_path / "m")
    assert back.settings == SETTINGS and back.vocab.words == ["cat", "dög", "car"] and back.vocab.total == 12


def test_metadata_written_before_its_checksum_still_loads(tmp_path):
    _counts().save(tmp_path / "m")
    _edit(tmp_path / "m.json", lambda meta: meta["checksums"].pop("meta"))
    _edit(tmp_path / "m.json", _set("settings", "window", value=8))  # nothing to check it against
    assert Cooccurrence.load(tmp_path / "m").settings["window"] == 8
    Embedding(np.eye(2), ["a", "b"], {"target": "mstar"}).save(tmp_path / "e")
    _edit(tmp_path / "e.json", lambda meta: meta["checksums"].pop("meta"))
    assert Embedding.load(tmp_path / "e").meta == {"target": "mstar"}


@pytest.mark.parametrize("mmap", [False, True])
def test_an_edited_embedding_metadata_is_refused(tmp_path, mmap):
    Embedding(np.eye(3), ["a", "b", "c"], {"target": "mstar", "dim": 3}).save(tmp_path / "e")
    assert Embedding.load(tmp_path / "e", mmap=mmap).meta == {"target": "mstar", "dim": 3}
    _edit(tmp_path / "e.json", _set("meta", "target", value="mstaz"))
    with pytest.raises(CorruptFileError, match=r"e\.json' does not match the checksum of its content"):
        Embedding.load(tmp_path / "e", mmap=mmap, verify=False)


@pytest.mark.parametrize(
    "edit",
    [
        _set("total", value=99),
        _set("settings", "window", value=8),
        _set("nnz", value=1),
        _set("dtype", value="float64"),
    ],
)
def test_an_edited_blocked_metadata_is_refused(tmp_path, edit):
    save_blocked(_counts(), tmp_path / "b", n_blocks=2)
    assert Cooccurrence.load(tmp_path / "b").total == 12
    _edit(tmp_path / "b.json", edit)
    with pytest.raises(CorruptFileError, match=r"b\.json' does not match the checksum of its content"):
        Cooccurrence.load(tmp_path / "b", verify=False)


def test_a_blocked_metadata_written_before_its_checksum_still_opens(tmp_path):
    save_blocked(_counts(), tmp_path / "b", n_blocks=2)
    _edit(tmp_path / "b.json", lambda meta: meta.pop("checksums"))
    assert Cooccurrence.load(tmp_path / "b").settings == SETTINGS


def test_the_checksum_is_of_the_canonical_content_without_itself():
    meta = {"b": [1, 2.5, None], "a": {"y": "é", "x": True}, "checksums": {"data": "sha256:00"}}
    same = {"a": {"x": True, "y": "é"}, "b": (1, 2.5, float("nan")), "checksums": {"meta": "whatever"}}
    assert meta_checksum(meta) == meta_checksum(same)
    assert meta_checksum(meta).startswith("sha256:") and meta_checksum(meta) != meta_checksum({**meta, "b": [1]})
