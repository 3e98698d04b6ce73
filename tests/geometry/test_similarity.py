"""Word similarity equals gensim's evaluate_word_pairs, with out-of-vocabulary counts."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError
from cooc.embedding import Embedding
from cooc.geometry.similarity import benchmark_path, evaluate_similarities, evaluate_similarity, load_word_pairs


def embedding_for(rng, names=("wordsim353", "simlex999"), keep=0.8, d=20):
    words = sorted({w.lower() for n in names for a, b, _ in load_word_pairs(benchmark_path(n)) for w in (a, b)})
    vocab = [w for w in words if rng.random() < keep] + ["Tiger", "x1", "x2"]
    rng.shuffle(vocab)
    return Embedding(rng.standard_normal((len(vocab), d)).astype(np.float32), vocab)


@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
def test_equals_gensim(name, rng):
    emb = embedding_for(rng)
    ours = evaluate_similarity(emb, name)
    pearson, spearman, oov_ratio = emb.to_gensim().evaluate_word_pairs(str(benchmark_path(name)))
    # float32 cosines rounded differently can swap two nearly tied pairs; one swap of adjacent
    # ranks among n ~ 1000 pairs moves Spearman by at most ~24 / n^2 (seen: 6e-6, seed 3799078767).
    assert ours.spearman == pytest.approx(spearman[0], abs=1e-4)
    assert ours.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-12)
    assert ours.oov > 0 and ours.listed == ours.evaluated + ours.oov


def test_perfect_and_reversed_scores():
    # 1-D directions at known angles: cosine = cos(theta), a decreasing function of theta.
    angles = np.linspace(0, np.pi, 6)
    vectors = np.column_stack([np.cos(angles), np.sin(angles)])
    emb = Embedding(vectors, [f"w{i}" for i in range(6)])
    pairs = [("w0", f"w{i}", 10.0 - i) for i in range(1, 6)] + [("w0", "zzz", 1.0)]
    res = evaluate_similarity(emb, pairs, name="toy")
    assert res.spearman == pytest.approx(1.0) and (res.listed, res.evaluated, res.oov) == (6, 5, 1)
    flipped = evaluate_similarity(emb, [(a, b, -s) for a, b, s in pairs])
    assert flipped.spearman == pytest.approx(-1.0)
    assert np.isnan(evaluate_similarity(emb, pairs[:1] + pairs[-1:]).spearman)
    assert "5/6 pairs" in res.summary() and res.to_dict()["oov"] == 1


def test_all_benchmarks_and_files(tmp_path, rng):
    emb = embedding_for(rng)
    both = evaluate_similarities(emb)
    assert set(both) == {"wordsim353", "simlex999"} and both["simlex999"].listed == 999
    assert both["wordsim353"].listed == 353
    path = tmp_path / "pairs.tsv"
    path.write_text("# comment\nTiger\tcat\t7.35\nbad line\nx1\tx2\tnot-a-number\nx1\tx2\t3\n")
    assert load_word_pairs(path) == [("Tiger", "cat", 7.35), ("x1", "x2", 3.0)]
    assert evaluate_similarity(emb, path).name == "pairs"
    with pytest.raises(InputDataError, match="unknown similarity benchmark"):
        benchmark_path("men")
    with pytest.raises(InputDataError, match="does not exist"):
        evaluate_similarity(emb, tmp_path / "none.tsv")
    with pytest.raises(InputDataError, match="unknown similarity benchmark 'men'; shipped ones are wordsim353, simlex"):
        evaluate_similarity(emb, "men")  # a name, not a missing file
    spaced = tmp_path / "men.txt"  # MEN-style: space-separated, which gensim would skip whole
    spaced.write_text("tiger cat 7.35\nx1 x2 3\n")
    assert load_word_pairs(spaced) == [("tiger", "cat", 7.35), ("x1", "x2", 3.0)]
    spaced.write_text("bad line here\ntiger cat\n")
    with pytest.raises(
        InputDataError, match=r"holds no 'word1<TAB>word2<TAB>score' lines \(line 1 is 'bad line here'\)"
    ):
        load_word_pairs(spaced)


def test_the_evaluators_take_an_embedding_or_its_path(tmp_path, rng, monkeypatch):
    from cooc._core.errors import InvalidParameterError
    from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies

    emb = embedding_for(rng)
    emb.save(tmp_path / "emb")
    for given in (tmp_path / "emb", str(tmp_path / "emb.npz")):
        assert evaluate_similarity(given, "wordsim353") == evaluate_similarity(emb, "wordsim353")
        assert evaluate_similarities(given)["simlex999"] == evaluate_similarities(emb)["simlex999"]
        assert evaluate_analogies(given).correct == evaluate_analogies(emb).correct
        assert np.array_equal(accuracy_vs_k(given, [2, 4]).accuracy, accuracy_vs_k(emb, [2, 4]).accuracy)
    loads = []
    real = Embedding.load
    monkeypatch.setattr(Embedding, "load", classmethod(lambda cls, *a, **k: loads.append(a) or real(*a, **k)))
    evaluate_similarities(tmp_path / "emb")
    assert len(loads) == 1  # read once for both benchmarks
    for evaluate in (evaluate_similarity, evaluate_analogies):
        with pytest.raises(
            InvalidParameterError, match=r"expected an Embedding or the path of one saved by cooc, got dict"
        ):
            evaluate({"king": [1.0]})


def test_skipped_lines_and_undecodable_bytes_are_reported_and_a_nan_score_is_skipped(tmp_path, caplog):
    from cooc.geometry.analogy import load_questions
    from cooc.geometry.similarity import load_word_pairs

    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes(b"cat\tdog\t7\nlion tiger\ncar\tbus\tnan\ncaf\xe9\tbar\t3\nsun\tmoon\t5\n")
    with caplog.at_level("WARNING", logger="cooc"):
        got = load_word_pairs(pairs)
    assert got == [("cat", "dog", 7.0), ("caf\ufffd", "bar", 3.0), ("sun", "moon", 5.0)]
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "2 line(s) that are not two words and a finite score were skipped (the first: line 2)" in said
    assert "1 line(s) hold bytes that are not UTF-8" in said
    caplog.clear()
    questions = tmp_path / "q.txt"
    questions.write_bytes(b": capitals\nathens greece paris france\nfoo bar\nrome italy oslo\nz\xfcrich a b c\n")
    with caplog.at_level("WARNING", logger="cooc"):
        got = load_questions(questions)
    assert got == {"capitals": [("athens", "greece", "paris", "france"), ("z\ufffdrich", "a", "b", "c")]}
    assert "2 line(s) that are not four words were skipped (the first: line 3)" in caplog.text
    assert "1 line(s) hold bytes that are not UTF-8" in caplog.text


def test_a_replacement_character_written_in_the_file_is_no_undecodable_byte(tmp_path, caplog):
    from cooc.geometry.analogy import load_questions
    from cooc.geometry.similarity import load_word_pairs

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat\tdog\t7\ncaf\ufffd\tbar\t3\r\nsun\tmoon\t5\n", encoding="utf-8")  # valid UTF-8 throughout
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\r\nathens greece paris fr\ufffdnce\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="cooc"):
        assert load_word_pairs(pairs) == [("cat", "dog", 7.0), ("caf\ufffd", "bar", 3.0), ("sun", "moon", 5.0)]
        assert load_questions(questions) == {"capitals": [("athens", "greece", "paris", "fr\ufffdnce")]}
    assert "not UTF-8" not in caplog.text
    pairs.write_bytes(
        b"cat\tdog\t7\ncaf\xe9\tbar\t3\nsun\tm\xffoon\t5\n\xef\xbf\xbd\tx\t1\n"
    )  # two bad lines, one real
    with caplog.at_level("WARNING", logger="cooc"):
        load_word_pairs(pairs)
    assert "2 line(s) hold bytes that are not UTF-8" in caplog.text
