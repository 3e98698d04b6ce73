"""word2vec files hold float32: a vector that float32 cannot hold is refused, never written as inf."""

from __future__ import annotations

import numpy as np
import pytest

from cooc import Embedding
from cooc._core.errors import InputDataError
from cooc._core.word2vec_format import read_word2vec, write_word2vec

F32_MAX = float(np.finfo(np.float32).max)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("big", [1e39, -1e39, 3.5e38, 1e300])
def test_values_beyond_float32_are_refused(tmp_path, binary, big):
    emb = Embedding(np.array([[1.0, 2.0], [big, 1.0], [0.5, big]]), ["ok", "big", "huge"])
    with pytest.raises(
        InputDataError, match=r"2 of 3 vectors hold values beyond float32's range \(±3.403e\+38\).*\(the first: 'big'\)"
    ):
        emb.save_word2vec_format(tmp_path / "v", binary=binary)
    assert list(tmp_path.iterdir()) == []


def test_an_overflow_beside_a_nan_is_named(tmp_path):
    vectors = np.array([[np.nan, 1.0], [np.nan, 1e39], [np.inf, 1.0]])
    with pytest.raises(InputDataError, match=r"1 of 3 vectors .*the first: 'both'"):
        write_word2vec(tmp_path / "v", ["nan", "both", "inf"], vectors)
    write_word2vec(tmp_path / "v", ["nan", "inf"], vectors[[0, 2]])  # NaN and inf are the reader's to refuse


@pytest.mark.parametrize("binary", [False, True])
def test_the_largest_float32_values_are_written_exactly(tmp_path, binary):
    vectors = np.array([[F32_MAX, -F32_MAX], [1e-45, 1.0]])
    write_word2vec(tmp_path / "v", ["max", "tiny"], vectors, binary=binary)
    words, back = read_word2vec(tmp_path / "v", binary=binary)
    assert words == ["max", "tiny"]
    np.testing.assert_array_equal(back, vectors.astype(np.float32))
    assert np.isfinite(back).all()


def test_a_text_file_read_as_binary_and_files_without_vectors_are_refused(tmp_path):
    """A text file read as binary gave junk words and tiny numbers with no error; an empty file, a '0 5' header
    alone and a '3 0' header with words gave an embedding of 0 words or 0 dimensions."""
    from cooc._core.errors import CorruptFileError

    words, vectors = ["cat", "dog", "car"], np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    write_word2vec(tmp_path / "v.txt", words, vectors, header=True)
    with pytest.raises(CorruptFileError, match="goes on after the 3 vectors"):
        read_word2vec(tmp_path / "v.txt", binary=True)
    write_word2vec(tmp_path / "v.bin", words, vectors, binary=True)
    got_words, got = read_word2vec(tmp_path / "v.bin", binary=True)  # word2vec.c's own ending still reads
    assert got_words == words and np.array_equal(got, vectors)
    (tmp_path / "cut.bin").write_bytes((tmp_path / "v.bin").read_bytes()[:-1])  # without the last newline
    assert read_word2vec(tmp_path / "cut.bin", binary=True)[0] == words
    assert read_word2vec(tmp_path / "v.bin", binary=True, limit=2)[0] == words[:2]  # a limit reads a prefix
    for name, body in (("empty.txt", b""), ("header.txt", b"0 5\n"), ("flat.txt", b"3 0\ncat\ndog\ncar\n")):
        (tmp_path / name).write_bytes(body)
        with pytest.raises(CorruptFileError, match="holds no vectors"):
            read_word2vec(tmp_path / name)


@pytest.mark.parametrize(
    "tail", [b"\n", b"\n\n", b"  \n", b"\r\n", b"\n" * 100_000], ids=["nl", "nl-nl", "spaces", "crlf", "many"]
)
def test_trailing_whitespace_after_the_last_binary_vector_is_read(tmp_path, tail):
    """word2vec.c's layout with an extra newline (gensim reads it) was refused as data after the V vectors."""
    words, vectors = ["a", "b", "c"], np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    body = b"3 4\n" + b"".join(w.encode() + b" " + v.tobytes() + b"\n" for w, v in zip(words, vectors))
    (tmp_path / "v.bin").write_bytes(body + tail)
    got_words, got = read_word2vec(tmp_path / "v.bin", binary=True)
    assert got_words == words and np.array_equal(got, vectors)


@pytest.mark.parametrize(
    "tail", [b"\nx", b"\n\x00", b"\n" * 100_000 + b"d 1.0 2.0\n", b"\n\n\xff"], ids=["x", "nul", "far", "byte"]
)
def test_anything_but_whitespace_after_the_last_binary_vector_is_refused(tmp_path, tail):
    from cooc._core.errors import CorruptFileError

    vectors = np.ones((3, 4), dtype=np.float32)
    body = b"3 4\n" + b"".join(w + b" " + v.tobytes() + b"\n" for w, v in zip((b"a", b"b", b"c"), vectors))
    (tmp_path / "v.bin").write_bytes(body + tail)
    with pytest.raises(CorruptFileError, match="goes on after the 3 vectors its header announces"):
        read_word2vec(tmp_path / "v.bin", binary=True)
