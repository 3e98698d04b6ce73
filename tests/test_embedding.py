"""Embedding: lookups, gensim-equal queries, file round trips (own format, mmap, gensim)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, InputDataError, InvalidParameterError
from cooc.embedding import Embedding


def random_embedding(rng, V=60, d=8, dtype=np.float64):
    words = [f"w{i}" for i in range(V)]
    return Embedding(rng.standard_normal((V, d)).astype(dtype), words, {"target": "test"})


def test_lookups_and_norms(rng):
    emb = random_embedding(rng)
    assert len(emb) == 60 and emb.dim == 8 and "w3" in emb and "zz" not in emb
    np.testing.assert_array_equal(emb["w3"], emb.vectors[3])
    np.testing.assert_array_equal(emb[["w1", "w0"]], emb.vectors[[1, 0]])
    np.testing.assert_allclose(emb.norms, np.sqrt((emb.vectors**2).sum(1)))
    np.testing.assert_allclose(np.linalg.norm(emb.unit_vectors(), axis=1), 1.0)
    with pytest.raises(KeyError, match="zz"):
        emb["zz"]


def test_zero_rows_stay_zero():
    emb = Embedding(np.array([[0.0, 0.0], [3.0, 4.0]]), ["a", "b"])
    np.testing.assert_allclose(emb.unit_vectors(), [[0, 0], [0.6, 0.8]])


def test_bad_construction():
    with pytest.raises(InvalidParameterError, match="2 words for 3 vectors"):
        Embedding(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(InvalidParameterError, match="'a' appears twice"):
        Embedding(np.zeros((2, 2)), ["a", "a"])
    with pytest.raises(InvalidParameterError, match="shape"):
        Embedding(np.zeros(3), ["a", "b", "c"])


def test_most_similar_matches_gensim(rng):
    emb = random_embedding(rng, dtype=np.float32)
    kv = emb.to_gensim()
    for pos, neg in [(["w1"], []), (["w1", "w2"], ["w3"]), (["w5", "w6", "w7"], ["w8", "w9"])]:
        ours = emb.most_similar(pos, neg, topn=7)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=7)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


def test_most_similar_refuses_a_query_with_no_direction(rng):
    """gensim ranks every word at cosine 0 when the terms cancel (a word minus itself) or a vector is zero."""
    emb = random_embedding(rng)
    for pos, neg in [("w1", "w1"), (["w1", "w2"], ["w2", "w1"]), ([np.zeros(8)], None)]:
        with pytest.raises(InvalidParameterError, match="sum to the zero vector"):
            emb.most_similar(pos, neg)
    with pytest.raises(InvalidParameterError, match="sum to the zero vector"):
        Embedding(np.array([[0.0, 0.0], [3.0, 4.0]]), ["a", "b"]).similar_by_word("a")
    assert emb.most_similar("w1", "w2", topn=1)[0][0] not in ("w1", "w2")  # a real difference still ranks


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
def test_analogy_add_and_mul_match_gensim(rng):
    emb = random_embedding(rng, dtype=np.float32)
    kv = emb.to_gensim()
    add = emb.analogy("w1", "w2", "w3", method="add", topn=5)
    assert [w for w, _ in add] == [w for w, _ in kv.most_similar(positive=["w2", "w3"], negative=["w1"], topn=5)]
    mul = emb.analogy("w1", "w2", "w3", method="mul", topn=5, eps=1e-6)
    theirs = kv.most_similar_cosmul(positive=["w2", "w3"], negative=["w1"], topn=5)
    assert [w for w, _ in mul] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in mul], [s for _, s in theirs], rtol=1e-4)


def test_analogy_exact_on_constructed_vectors():
    # king - man + woman = queen exactly (unit vectors built so that the offset is shared).
    e = np.eye(4)
    vecs = np.stack([e[0] + e[2], e[1] + e[2], e[0] + e[3], e[1] + e[3]]) / np.sqrt(2)
    emb = Embedding(vecs, ["man", "woman", "king", "queen"])
    assert emb.analogy("man", "woman", "king")[0][0] == "queen"
    assert emb.analogy("man", "woman", "king", method="mul")[0][0] == "queen"
    assert emb.analogy("man", "woman", "king")[0][1] == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError, match="'method'"):
        emb.analogy("man", "woman", "king", method="sub")


def test_save_load_round_trip(tmp_path, rng):
    emb = random_embedding(rng)
    out = emb.save(tmp_path / "emb")
    assert out.name == "emb.npz" and (tmp_path / "emb.json").exists()
    for mmap in (False, True):
        back = Embedding.load(tmp_path / "emb.npz", mmap=mmap)
        np.testing.assert_array_equal(back.vectors, emb.vectors)
        assert back.index_to_key == emb.index_to_key and back.meta == emb.meta
        assert isinstance(back.vectors, np.memmap) == mmap
        assert back.most_similar("w4", topn=3) == emb.most_similar("w4", topn=3)


def test_mmap_of_float32_fortran_free(tmp_path, rng):
    emb = random_embedding(rng, V=5, d=3, dtype=np.float32)
    emb.save(tmp_path / "e")
    back = Embedding.load(tmp_path / "e", mmap=True)
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_corrupt_files(tmp_path, rng):
    emb = random_embedding(rng)
    emb.save(tmp_path / "emb")
    with pytest.raises(CorruptFileError, match="does not exist"):
        Embedding.load(tmp_path / "nothing")
    npz = tmp_path / "emb.npz"
    data = npz.read_bytes()
    npz.write_bytes(data[: len(data) // 2])
    for mmap in (False, True):
        with pytest.raises(CorruptFileError):
            Embedding.load(tmp_path / "emb", mmap=mmap)
    meta = json.loads((tmp_path / "emb.json").read_text())
    meta["format"] = "other"
    (tmp_path / "emb.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match="not a cooc embedding"):
        Embedding.load(tmp_path / "emb")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_vectors_are_neither_saved_nor_read(tmp_path, rng, bad):
    emb = random_embedding(rng, dtype=np.float32)
    emb.vectors[[3, 7], 1] = bad
    with pytest.raises(InputDataError, match=r"NaN or infinite values: 2 of \d+ vectors \(the first: 'w3'\)"):
        emb.save(tmp_path / "emb")
    assert not (tmp_path / "emb.npz").exists() and not (tmp_path / "emb.json").exists()
    for binary in (False, True):
        written = emb.save_word2vec_format(tmp_path / f"v{int(binary)}", binary=binary)
        with pytest.raises(CorruptFileError, match=r"2 of \d+ vectors hold NaN or infinite values \(the first: 'w3'\)"):
            Embedding.load_word2vec_format(written, binary=binary)
    emb.vectors[[3, 7], 1] = 0.5
    emb.save(tmp_path / "emb")  # finite again: saved


def test_shape_mismatch_is_corrupt(tmp_path, rng):
    emb = random_embedding(rng)
    emb.save(tmp_path / "emb")
    meta = json.loads((tmp_path / "emb.json").read_text())
    meta["index_to_key"] = meta["index_to_key"][:-1]
    del meta["checksums"]  # a file from before checksums: nothing names the word list, the shapes disagree
    (tmp_path / "emb.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match=r"holds vectors of shape \[\d+, \d+\], metadata says"):
        Embedding.load(tmp_path / "emb")


def test_gensim_round_trip(rng):
    emb = random_embedding(rng, dtype=np.float32)
    kv = emb.to_gensim()
    assert kv.index_to_key == emb.index_to_key
    np.testing.assert_array_equal(kv.vectors, emb.vectors)
    back = Embedding.from_gensim(kv)
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    assert back.key_to_index == emb.key_to_index


def test_subset_and_head(rng):
    emb = random_embedding(rng)
    sub = emb.subset(["w5", "w2"])
    assert sub.index_to_key == ["w5", "w2"]
    np.testing.assert_array_equal(sub.vectors, emb.vectors[[5, 2]])
    assert emb.head(3).index_to_key == ["w0", "w1", "w2"]
    with pytest.raises(InputDataError, match="not in the embedding"):
        emb.subset(["w1", "nope"])


# -- sizes and counts of the queries -------------------------------------------------------------------
@pytest.mark.parametrize("value", [-1, -2, 2.5, "3"])
def test_most_similar_refuses_a_negative_or_fractional_restrict_vocab(rng, value):
    emb = random_embedding(rng, V=6)
    for query in (emb.most_similar, emb.most_similar_cosmul, emb.similar_by_word):
        with pytest.raises(InvalidParameterError, match=r"parameter 'restrict_vocab' must be an integer in \[0, inf\)"):
            query("w0", restrict_vocab=value)
    with pytest.raises(InvalidParameterError, match=r"similar_by_vector: parameter 'restrict_vocab'"):
        emb.similar_by_vector(emb["w0"], restrict_vocab=value)


def test_most_similar_restrict_vocab_keeps_its_first_rows(rng):
    emb = random_embedding(rng, V=6)
    cos = emb.vectors[:4] @ emb["w0"] / (emb.norms[:4] * emb.norms[0])
    expected = sorted(((f"w{i}", cos[i]) for i in (1, 2, 3)), key=lambda t: -t[1])
    got = emb.most_similar("w0", restrict_vocab=np.int64(4))
    assert [w for w, _ in got] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected])
    kv = emb.to_gensim()  # gensim: restrict_vocab 0 restricts nothing
    assert [w for w, _ in emb.most_similar("w0", restrict_vocab=0)] == [
        w for w, _ in kv.most_similar("w0", restrict_vocab=0)
    ]
    assert emb.most_similar("w0", topn=None, restrict_vocab=0).shape == (6,)


@pytest.mark.parametrize("topn", [2.5, 1.0, "3"])
def test_queries_refuse_a_topn_that_is_not_an_integer(rng, topn):
    emb = random_embedding(rng, V=6)
    for name, query in (
        ("most_similar", lambda: emb.most_similar("w0", topn=topn)),
        ("most_similar_cosmul", lambda: emb.most_similar_cosmul("w0", topn=topn)),
        ("similar_by_word", lambda: emb.similar_by_word("w0", topn=topn)),
        ("analogy", lambda: emb.analogy("w0", "w1", "w2", topn=topn)),
    ):
        with pytest.raises(InvalidParameterError, match=rf"{name}: parameter 'topn' must be an integer"):
            query()


def test_topn_keeps_gensims_meaning(rng):
    emb = random_embedding(rng, V=6)
    assert emb.most_similar("w0", topn=0) == [] and emb.most_similar("w0", topn=-3) == []
    assert emb.most_similar_cosmul("w0", topn=0) == []
    assert len(emb.most_similar("w0", topn=np.int32(2))) == 2
    assert emb.most_similar("w0", topn=None).shape == (6,)
    kv = emb.to_gensim()
    for flag in (False, True):  # bools are integers to gensim: no answer, one answer
        assert [w for w, _ in emb.most_similar("w0", topn=flag)] == [w for w, _ in kv.most_similar("w0", topn=flag)]


def test_a_query_vector_of_any_scale_ranks_and_a_non_finite_one_is_refused(rng):
    emb = random_embedding(rng, V=6)
    v = emb["w0"]
    assert [w for w, _ in emb.similar_by_vector(1e-170 * v)] == [w for w, _ in emb.similar_by_vector(v)]
    for bad in (np.full(8, np.nan), np.r_[np.inf, np.zeros(7)]):
        with pytest.raises(InvalidParameterError, match=r"^similar_by_vector: a query vector holds NaN or an inf"):
            emb.similar_by_vector(bad)
    with pytest.raises(InvalidParameterError, match=r"^similar_by_vector: the query terms sum to the zero vector"):
        emb.similar_by_vector(np.zeros(8))


@pytest.mark.parametrize("n", [-1, 2.5, None])
def test_head_refuses_a_negative_or_fractional_size(rng, n):
    emb = random_embedding(rng, V=6)
    with pytest.raises(InvalidParameterError, match=r"head: parameter 'n' must be an integer in \[0, inf\)"):
        emb.head(n)


def test_head_sizes(rng):
    emb = random_embedding(rng, V=6)
    assert emb.head(np.int64(2)).index_to_key == ["w0", "w1"]
    assert len(emb.head(0)) == 0 and len(emb.head(10)) == 6
