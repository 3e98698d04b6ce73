"""Embedding answers as gensim's KeyedVectors does, and the two read each other's word2vec files."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from cooc import Embedding
from cooc._core.errors import CorruptFileError


@pytest.fixture
def pair(rng):
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    emb = Embedding(vectors, [f"w{i}" for i in range(60)])
    return emb, emb.to_gensim()


def _same(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "positive, negative",
    [("w1", None), (["w1", "w2"], ["w3"]), ([("w1", 2.0), "w2"], [("w3", -0.5)]), (["w7"], "w9")],
    ids=["one", "words", "weighted", "mixed"],
)
def test_most_similar_and_cosmul_equal_gensims(pair, positive, negative):
    emb, kv = pair
    weighted = any(isinstance(t, tuple) for t in (positive if isinstance(positive, list) else []))
    for topn in (1, 5, 60):
        _same(emb.most_similar(positive, negative, topn=topn), kv.most_similar(positive, negative, topn=topn))
        if not weighted:  # gensim's 3CosMul takes no weights; ours refuses them
            _same(
                emb.most_similar_cosmul(positive, negative, topn=topn),
                kv.most_similar_cosmul(positive, negative, topn=topn),
            )
    _same(
        emb.most_similar(positive, negative, restrict_vocab=20), kv.most_similar(positive, negative, restrict_vocab=20)
    )


def test_vectors_as_queries_and_every_score(pair, rng):
    emb, kv = pair
    v = rng.normal(size=8).astype(np.float32)
    _same(emb.similar_by_vector(v, topn=4), kv.similar_by_vector(v, topn=4))
    _same(emb.most_similar([v, "w2"], topn=4), kv.most_similar([v, "w2"], topn=4))
    _same(emb.most_similar_cosmul([v], ["w1"], topn=4), kv.most_similar_cosmul([v], ["w1"], topn=4))
    _same(emb.similar_by_word("w3", topn=3), kv.similar_by_word("w3", topn=3))
    everything = emb.most_similar("w4", topn=None)
    assert everything.shape == (60,)
    np.testing.assert_allclose(everything, kv.most_similar("w4", topn=None), atol=1e-6)
    assert emb.most_similar("w4", topn=0) == []
    with pytest.raises(KeyError):
        emb.most_similar("nope")


def test_queries_never_build_the_unit_matrix(pair, monkeypatch):
    emb, _ = pair
    monkeypatch.setattr(type(emb), "unit_vectors", lambda self: pytest.fail("the V x d unit matrix was built"))
    emb.most_similar("w1")
    emb.most_similar_cosmul("w1")
    emb.analogy("w1", "w2", "w3")
    emb.analogy("w1", "w2", "w3", method="mul")


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_round_trip_with_gensim(pair, tmp_path, binary):
    emb, kv = pair
    ours, theirs = tmp_path / "ours.bin", tmp_path / "theirs.bin"
    emb.save_word2vec_format(ours, binary=binary)
    kv.save_word2vec_format(str(theirs), binary=binary)
    read_by_gensim = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert read_by_gensim.index_to_key == emb.index_to_key
    np.testing.assert_array_equal(read_by_gensim.vectors, emb.vectors)
    read_by_us = Embedding.load_word2vec_format(theirs, binary=binary)
    assert read_by_us.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(read_by_us.vectors, kv.vectors)


def test_word2vec_c_newlines_glove_headerless_text_and_damage(tmp_path):
    words, vectors = ["king", "queen"], np.array([[1.0, 2.0], [3.0, -4.5]], dtype=np.float32)
    c_style = b"2 2\n" + b"".join(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n" for w, v in zip(words, vectors))
    (tmp_path / "c.bin").write_bytes(c_style)
    emb = Embedding.load_word2vec_format(tmp_path / "c.bin", binary=True)
    assert emb.index_to_key == words and np.array_equal(emb.vectors, vectors)
    (tmp_path / "glove.txt").write_text("king 1.0 2.0\nqueen 3.0 -4.5\n")
    glove = Embedding.load_word2vec_format(tmp_path / "glove.txt")
    assert glove.index_to_key == words and np.array_equal(glove.vectors, vectors)
    (tmp_path / "short.bin").write_bytes(c_style[:-5])
    with pytest.raises(CorruptFileError, match="truncated"):
        Embedding.load_word2vec_format(tmp_path / "short.bin", binary=True)
    (tmp_path / "ragged.txt").write_text("2 2\nking 1.0 2.0\nqueen 3.0\n")
    with pytest.raises(CorruptFileError, match="line 3"):
        Embedding.load_word2vec_format(tmp_path / "ragged.txt")


def test_cosmul_refuses_weights(pair):
    from cooc._core.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="not \\(term, weight\\) pairs"):
        pair[0].most_similar_cosmul([("w1", 2.0)])
