"""An interrupted build resumes only from raw shards whose files match the checksums in their commit record:
a damaged shard is discarded with every later one and tokenised again, and the corpus equals a fresh build."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import cooc.corpus.build as build_module
from cooc._core.io import file_checksum
from cooc.corpus.build import _RawState, build_corpus
from cooc.corpus.store import TokenCorpus

from .test_build_parallel import _RecordingText, same_corpus

SETTINGS = dict(shard_tokens=300, batch_chars=400, vocab_size=40, progress=False)


def _damage(path: Path, how: str) -> None:
    """One bit flipped where the file still looks sound (a token id or a document boundary moved by one, one
    letter of a word changed), or the file truncated."""
    data = bytearray(path.read_bytes())
    if how == "flip":
        at = {".types": 2, ".docs.npy": -16}.get("".join(path.suffixes), -8)  # -8: a token's low byte
        data[at] ^= 0x01
    else:
        del data[-7:]
    path.write_bytes(bytes(data))


def _same_files(resumed: TokenCorpus, fresh: TokenCorpus) -> None:
    """Byte for byte: every shard's and the vocabulary's checksums in the manifests are equal."""
    same_corpus(resumed, fresh)
    assert resumed.manifest["shards"] == fresh.manifest["shards"]
    assert resumed.manifest["files"] == fresh.manifest["files"]
    assert resumed.manifest["n_types"] == fresh.manifest["n_types"]


def _damage_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("cooc") and r.levelno == logging.WARNING and "is damaged" in r.getMessage()
    ]


@pytest.mark.parametrize(
    "k, suffix, how",
    [
        (1, ".npy", "flip"),
        (1, ".npy", "truncate"),
        (2, ".docs.npy", "flip"),
        (0, ".types", "flip"),  # (the later shards of this corpus introduce no new types)
        (0, ".types", "truncate"),
    ],
)
def test_resume_rebuilds_a_damaged_raw_shard_and_every_later_one(tmp_path, text_tree, caplog, k, suffix, how):
    root, _ = text_tree
    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        build_corpus(root, out, _stop_after_shards=4, **SETTINGS)
    build = out / ".build"
    for j in range(4):  # the checksums written from memory are those of the files on disk
        sums = json.loads((build / f"raw-{j:05d}.json").read_text())["checksums"]
        stem = build / f"raw-{j:05d}"
        assert sums == {
            "tokens": file_checksum(stem.with_suffix(".npy")),
            "docs": file_checksum(build / f"raw-{j:05d}.docs.npy"),
            "types": file_checksum(stem.with_suffix(".types")),
        }
    name = f"raw-{k:05d}{suffix}"
    restart = json.loads((build / f"raw-{k - 1:05d}.json").read_text())["consumed"] if k else 0
    _damage(build / name, how)
    _RecordingText.skips = []
    with caplog.at_level(logging.WARNING, logger="cooc"):
        resumed = build_corpus(_RecordingText(root), out, **SETTINGS)
    fresh = build_corpus(root, tmp_path / "fresh", **SETTINGS)
    _same_files(resumed, fresh)
    (warning,) = _damage_warnings(caplog)
    assert f"raw shard {k} of the unfinished build in {str(build)!r} is damaged ({name} " in warning
    assert f"it and the {3 - k} shard(s) after it are discarded, and the source is tokenised again" in warning
    assert _RecordingText.skips == [restart]  # tokenised again from the end of the last good shard
    assert not build.exists()
    TokenCorpus.open(out)


def test_a_damaged_shard_found_after_the_tokenising_pass_is_tokenised_again(tmp_path, text_tree, caplog, monkeypatch):
    """Interrupted while finishing (every shard committed, ``complete.json`` written): the pass is no longer complete."""
    root, _ = text_tree
    out = tmp_path / "cut"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "_finalize", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_corpus(root, out, **SETTINGS)
    monkeypatch.undo()
    build = out / ".build"
    assert (build / "complete.json").exists()
    n_shards = len(list(build.glob("raw-*.json")))
    assert n_shards > 5
    _damage(build / "raw-00003.npy", "flip")
    with caplog.at_level(logging.WARNING, logger="cooc"):
        resumed = build_corpus(root, out, **SETTINGS)
    (warning,) = _damage_warnings(caplog)
    assert f"raw shard 3 of the unfinished build in {str(build)!r} is damaged" in warning
    assert f"the {n_shards - 4} shard(s) after it are discarded" in warning
    _same_files(resumed, build_corpus(root, tmp_path / "fresh", **SETTINGS))


@pytest.mark.parametrize("damaged", [False, True])
def test_raw_shards_written_before_checksums_are_resumed_as_before(tmp_path, text_tree, caplog, damaged):
    """Commit records without checksums (an older cooc) are accepted; their sizes are still compared with the record."""
    root, _ = text_tree
    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        build_corpus(root, out, _stop_after_shards=3, **SETTINGS)
    build = out / ".build"
    for record in build.glob("raw-*.json"):
        meta = json.loads(record.read_text())
        del meta["checksums"]
        record.write_text(json.dumps(meta))
    if damaged:
        _damage(build / "raw-00002.npy", "truncate")
    with caplog.at_level(logging.WARNING, logger="cooc"):
        resumed = build_corpus(root, out, **SETTINGS)
    warnings = _damage_warnings(caplog)
    if damaged:
        (warning,) = warnings
        assert "raw shard 2 " in warning and "raw-00002.npy" in warning
    else:
        assert warnings == []
    _same_files(resumed, build_corpus(root, tmp_path / "fresh", **SETTINGS))


def test_resume_checks_each_committed_shard_once(tmp_path, text_tree, monkeypatch):
    """Resuming reads each raw file once (the checksum and the counts come from the same read)."""
    root, _ = text_tree
    with pytest.raises(KeyboardInterrupt):
        build_corpus(root, tmp_path / "cut", _stop_after_shards=3, **SETTINGS)
    reads: list[str] = []
    real = Path.read_bytes

    def recording(self):
        reads.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    state = _RawState.resume(tmp_path / "cut" / ".build")
    assert len(state.shards) == 3
    assert sorted(reads) == sorted(f"raw-{k:05d}{ext}" for k in range(3) for ext in (".npy", ".docs.npy", ".types"))
