"""Data-file checksums: SHA-256 for new files; files written with BLAKE2b-128 still verify."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError
from cooc._core.io import file_checksum, open_checked, stream_checksum


def test_new_checksums_are_sha256_and_old_blake2b_ones_are_recomputed_as_such(tmp_path):
    path = tmp_path / "data.bin"
    data = np.random.default_rng(0).bytes(3 << 20)  # several read chunks
    path.write_bytes(data)
    assert file_checksum(path, chunk=1 << 20) == "sha256:" + hashlib.sha256(data).hexdigest()
    old = "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()
    assert file_checksum(path, like=old) == old
    with open(path, "rb") as fh:
        assert stream_checksum(fh, like=old) == old and fh.tell() == 0
    open_checked(path, old, "test").close()  # a file from before the change verifies
    open_checked(path, file_checksum(path), "test").close()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    for expected in (old, "sha256:" + hashlib.sha256(data).hexdigest()):
        with pytest.raises(CorruptFileError, match="does not match"):
            open_checked(path, expected, "test")
    with pytest.raises(CorruptFileError, match="unknown checksum algorithm"):
        file_checksum(path, like="crc7:00")


def test_a_corpus_written_with_blake2b_checksums_still_opens_and_verifies(tmp_path, monkeypatch):
    from cooc._core import io
    from cooc.corpus import TokenCorpus
    from cooc.corpus.build import build_corpus

    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat\nthe dog sat\n" * 50)
    monkeypatch.setattr(io, "FILE_CHECKSUM", "blake2b")
    corpus = build_corpus(str(text), tmp_path / "old", progress=False)
    shard = corpus.manifest["shards"][0]["tokens_checksum"]
    assert shard.startswith("blake2b:")
    monkeypatch.setattr(io, "FILE_CHECKSUM", "sha256")
    again = TokenCorpus.open(tmp_path / "old")  # verify=True: every shard recomputed with its own algorithm
    assert again.n_tokens == corpus.n_tokens
    (tmp_path / "old" / again.manifest["shards"][0]["tokens"]).write_bytes(b"\x93NUMPY damaged")
    with pytest.raises(CorruptFileError):
        TokenCorpus.open(tmp_path / "old")
