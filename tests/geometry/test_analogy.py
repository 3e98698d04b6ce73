"""Analogy protocols: A equals gensim, B counts pairs as the papers do, batched scores equal a per-question reference."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.data import questions_words_path
from cooc.embedding import Embedding
from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies, family_pairs, load_questions


def planted_embedding(rng, questions, keep=0.8, d=30, noise=0.6, extra=200, variants=("Paris", "GREECE")):
    """Vectors in which each family's pairs share an offset up to noise, so accuracy is neither 0 nor 1."""
    words = sorted({w.lower() for fam in questions.values() for line in fam for w in line})
    vocab = [w for w in words if rng.random() < keep] + [f"x{i}" for i in range(extra)] + list(variants)
    rng.shuffle(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    vectors = rng.standard_normal((len(vocab), d))
    for pairs in family_pairs(questions).values():
        offset = rng.standard_normal(d) * 1.5
        for a, b in pairs:
            a, b = a.lower(), b.lower()
            if a in index and b in index:
                vectors[index[b]] = vectors[index[a]] + offset + noise * rng.standard_normal(d)
    return Embedding(vectors.astype(np.float32), vocab)


def test_protocol_a_equals_gensim(rng):
    questions = load_questions()
    emb = planted_embedding(rng, questions)
    ours = evaluate_analogies(emb, protocol="gensim")
    score, sections = emb.to_gensim().evaluate_word_analogies(str(questions_words_path()))
    assert [s["section"] for s in sections[:-1]] == [f.name for f in ours.families]
    for s, f in zip(sections, ours.families):
        assert (f.correct, f.total) == (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])), f.name
    assert ours.accuracy == pytest.approx(score, abs=1e-15)
    assert 0.05 < ours.accuracy < 0.99  # neither 0 nor 1: 0.86-0.96 over seeds (0.9503 once, seed 3524039563)
    assert ours.listed == sum(len(v) for v in questions.values()) and ours.skipped == ours.listed - ours.total


def test_protocol_a_restrict_vocab_matches_gensim(rng, tmp_path):
    questions = load_questions()
    small = {k: v[:60] for k, v in questions.items()}
    path = tmp_path / "q.txt"
    path.write_text("".join(f": {k}\n" + "".join(" ".join(q) + "\n" for q in v) for k, v in small.items()))
    emb = planted_embedding(rng, small, keep=1.0)
    for restrict in (50, 400):
        ours = evaluate_analogies(emb, path, restrict_vocab=restrict)
        _, sections = emb.to_gensim().evaluate_word_analogies(str(path), restrict_vocab=restrict)
        assert [f.correct for f in ours.families] == [len(s["correct"]) for s in sections[:-1]]
        assert ours.total == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])


def tiny_family_embedding():
    """Three pairs (a_i, b_i): a_i = e_i, b_i = e_i + 0.1 e_0 + 0.3 e_(3+i); 'prince' is out of vocabulary.

    For a_i : b_i :: a_j : ?, the query is e_j + 0.1 e_0 + 0.3 e_(3+i), of norm sqrt(1.1):
    cos with a_j = 1/sqrt(1.1) = 0.953 beats cos with b_j = 1.01/1.1 = 0.918, and every other
    word scores below 0.1. So with the query words excluded all 6 questions are right; with
    them included, a_j wins all 6.
    """
    e = np.eye(7)
    words = ["man", "king", "boy", "woman", "queen", "girl"]
    vecs = [e[1], e[2], e[3]] + [e[i] + 0.1 * e[0] + 0.3 * e[3 + i] for i in (1, 2, 3)]
    pairs = {
        "gender": [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("prince", "princess"), ("king", "queen")]
    }
    return Embedding(np.array(vecs), words), pairs


def test_protocol_b_hand_checked_tiny_family():
    emb, pairs = tiny_family_embedding()
    excl = evaluate_analogies(emb, pairs, protocol="pairs")
    fam = excl.family("gender")
    assert (fam.listed, fam.usable, fam.total, fam.correct) == (4, 3, 6, 6)  # duplicates count once
    incl = evaluate_analogies(emb, pairs, protocol="pairs", exclude_query=False)
    assert (incl.family("gender").total, incl.family("gender").correct) == (6, 0)
    # the same pairs given as 4-word questions give the same pair set
    as_questions = {"gender": [("man", "woman", "king", "queen"), ("boy", "girl", "prince", "princess")]}
    assert evaluate_analogies(emb, as_questions, protocol="pairs").family("gender").total == 6


def reference_pairs(emb, pairs, method, query, exclude, eps=1e-3):
    """Per-question loop: the obvious implementation of protocol B."""
    unit = emb.unit_vectors()
    W = np.asarray(emb.vectors, dtype=np.float64)
    out = {}
    for name, plist in pairs.items():
        ok = [(emb.key_to_index[a], emb.key_to_index[b]) for a, b in dict.fromkeys(plist) if a in emb and b in emb]
        right = 0
        for i, (a, b) in enumerate(ok):
            for j, (c, d) in enumerate(ok):
                if i == j:
                    continue
                if method == "mul":
                    cos = [(unit @ unit[w] + 1) / 2 for w in (a, b, c)]
                    scores = cos[1] * cos[2] / (cos[0] + eps)
                else:
                    src = W if query == "raw" else unit
                    scores = unit @ (src[b] - src[a] + src[c])
                if exclude:
                    scores[[a, b, c]] = -np.inf
                right += int(np.argmax(scores) == d)
        out[name] = (right, len(ok) * (len(ok) - 1))
    return out


@pytest.mark.parametrize(
    "method, query, exclude",
    [("add", "raw", True), ("add", "raw", False), ("add", "unit", True), ("mul", "unit", True), ("mul", "raw", False)],
)
def test_protocol_b_equals_per_question_reference(method, query, exclude, rng):
    questions = {k: v[:40] for k, v in load_questions().items()}
    emb = planted_embedding(rng, questions, d=12, noise=1.0, variants=())
    pairs = {k: [(a.lower(), b.lower()) for a, b in v] for k, v in family_pairs(questions).items()}
    got = evaluate_analogies(
        emb, pairs, protocol="pairs", method=method, query=query, exclude_query=exclude, max_block=1000
    )
    ref = reference_pairs(emb, pairs, method, query, exclude)
    assert {f.name: (f.correct, f.total) for f in got.families} == ref
    assert 0 < got.accuracy < 1


def test_protocol_a_3cosmul_equals_embedding_analogy(rng):
    questions = {k: v[:15] for k, v in load_questions().items()}
    emb = planted_embedding(rng, questions, keep=1.0, d=10, variants=())
    lower = {k: [tuple(w.lower() for w in q) for q in v] for k, v in questions.items()}
    got = evaluate_analogies(emb, lower, method="mul")
    for f in got.families:
        right = sum(emb.analogy(a, b, c, method="mul")[0][0] == d for a, b, c, d in lower[f.name])
        assert f.correct == right and f.total == len(lower[f.name])


@pytest.mark.parametrize("protocol", ["gensim", "pairs"])
def test_accuracy_vs_k_equals_truncated_embeddings(protocol, rng):
    questions = {k: v[:50] for k, v in load_questions().items()}
    emb = planted_embedding(rng, questions, d=16, noise=0.8)
    curve = accuracy_vs_k(emb, [2, 5, 16, 9], questions, protocol=protocol)
    assert curve.ks.tolist() == [2, 5, 9, 16]
    for k, res in zip(curve.ks, curve.results):
        truncated = Embedding(emb.vectors[:, :k], emb.index_to_key)
        direct = evaluate_analogies(truncated, questions, protocol=protocol)
        assert [f.correct for f in res.families] == [f.correct for f in direct.families]
    assert curve.accuracy.shape == (4,) and set(curve.per_family) == set(questions)
    with pytest.raises(InvalidParameterError, match="K must lie in"):
        accuracy_vs_k(emb, [0, 3], questions)


@pytest.mark.parametrize("method", ["add", "mul"])
@pytest.mark.parametrize("protocol", ["gensim", "pairs"])
def test_accuracy_vs_k_records_the_settings_evaluate_analogies_records(protocol, method, rng):
    # 3CosMul plays no query vector: both record query None (cooc sweep --method mul writes the curve's)
    questions = {k: v[:20] for k, v in list(load_questions().items())[:3]}
    emb = planted_embedding(rng, questions, d=8, noise=0.8)
    curve = accuracy_vs_k(emb, [3, 8], questions, protocol=protocol, method=method)
    for k, res in zip(curve.ks, curve.results):
        direct = evaluate_analogies(
            Embedding(emb.vectors[:, :k], emb.index_to_key), questions, protocol=protocol, method=method
        )
        assert res.settings == direct.settings
    assert (curve.results[0].settings["query"] is None) == (method == "mul")


def synthetic_questions(rng, families=4, pairs=12):
    """Families of made-up word pairs (no data files: this test also runs on the GPU machine)."""
    out = {}
    for f in range(families):
        plist = [(f"a{f}_{i}", f"b{f}_{i}") for i in range(pairs)]
        out[f"fam{f}"] = [(a, b, c, d) for (a, b) in plist for (c, d) in plist if a != c]
    return out


def test_device_parity(device, rng):
    questions = synthetic_questions(rng)
    emb = planted_embedding(rng, questions, d=10, variants=("A0_1", "B1_2"))
    for protocol in ("gensim", "pairs"):
        for method in ("add", "mul"):
            ref = evaluate_analogies(emb, questions, protocol=protocol, method=method)
            got = evaluate_analogies(emb, questions, protocol=protocol, method=method, device=device, max_block=5000)
            assert [f.correct for f in got.families] == [f.correct for f in ref.families]
            assert 0 < ref.accuracy < 1
    curve = accuracy_vs_k(emb, [2, 6, 10], questions, device=device)
    assert curve.accuracy.tolist() == accuracy_vs_k(emb, [2, 6, 10], questions).accuracy.tolist()


def test_results_report(rng):
    emb, pairs = tiny_family_embedding()
    res = evaluate_analogies(emb, pairs, protocol="pairs")
    d = res.to_dict()
    assert d["accuracy"] == 1.0 and d["families"][0]["usable"] == 3
    assert "6/6 correct" in res.summary() and "3/4 listed pairs" in res.summary()
    with pytest.raises(KeyError, match="no analogy family"):
        res.family("nope")
    with pytest.raises(InvalidParameterError, match="4-word questions"):
        evaluate_analogies(emb, pairs, protocol="gensim")


def test_load_questions(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": fam one\na b c d\nbad line\n\n: fam two\ne f g h\n")
    assert load_questions(path) == {"fam one": [("a", "b", "c", "d")], "fam two": [("e", "f", "g", "h")]}
    path.write_text("a b c d\n")
    with pytest.raises(InputDataError, match="before any"):
        load_questions(path)
    with pytest.raises(InputDataError, match="does not exist"):
        load_questions(tmp_path / "missing.txt")
    q = load_questions()
    assert len(q) == 14 and sum(map(len, q.values())) == 19544
    assert family_pairs({"f": [("a", "b", "c", "d"), ("a", "b", "e", "f")]}) == {
        "f": [("a", "b"), ("c", "d"), ("e", "f")]
    }


@pytest.mark.parametrize("protocol", ["gensim", "pairs"])
def test_question_coverage_counts_what_an_evaluation_scores(protocol, rng):
    from cooc.geometry.analogy import question_coverage

    questions = load_questions()
    emb = planted_embedding(rng, questions, keep=0.5)
    result = evaluate_analogies(emb, protocol=protocol)
    cover = question_coverage(emb.index_to_key, questions, protocol)
    assert (cover["listed"], cover["usable"], cover["questions"]) == (result.listed, result.usable, result.total)
    assert cover["vocabulary"] == len(emb) and 0 < cover["usable"] < cover["listed"] and cover["questions"] > 0
    nothing = question_coverage(["zzz", "yyy"], questions, protocol)
    assert nothing["questions"] == nothing["usable"] == 0 and nothing["listed"] == cover["listed"]


def test_questions_whose_answer_is_a_query_word_are_counted_and_said(rng):
    """Two pairs sharing a word (two cities of one state) make questions whose answer is a query word: counted per
    family against a per-question loop, none of them answered with the query words excluded, named in the summary."""
    words = ["paris", "lyon", "france", "berlin", "germany", "rome", "italy", "milan"]
    emb = Embedding(rng.standard_normal((len(words), 6)), words)
    pairs = {
        "capital": [
            ("paris", "france"),
            ("lyon", "france"),
            ("berlin", "germany"),
            ("rome", "italy"),
            ("milan", "italy"),
        ],
        "none": [("paris", "france"), ("berlin", "germany")],
    }
    got = evaluate_analogies(emb, pairs, protocol="pairs")
    for name, plist in pairs.items():
        ids = [(emb.key_to_index[a], emb.key_to_index[b]) for a, b in plist]
        expected = sum(
            d in (a, b, c) for i, (a, b) in enumerate(ids) for j, (c, d) in enumerate(ids) if i != j
        )  # france twice, italy twice: 2 + 2 ordered questions
        assert got.family(name).answer_in_query == expected
    assert got.family("capital").answer_in_query == 4 and got.family("none").answer_in_query == 0
    assert got.to_dict()["answer_in_query"] == 4 and got.to_dict()["families"][0]["answer_in_query"] == 4
    assert "4 of the questions have their answer among their query words" in got.summary()
    # an embedding where every other question is right: the shared-word ones stay wrong when excluded
    assert got.family("capital").correct <= got.family("capital").total - 4
    kept = evaluate_analogies(emb, pairs, protocol="pairs", exclude_query=False)
    assert kept.answer_in_query == 4 and "query words" not in kept.summary()
