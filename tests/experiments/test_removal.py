"""Removal experiments: block zeroing reaches independence exactly; corpus filtering drops the right documents."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.corpus.store import CorpusWriter
from cooc.corpus.vocab import Vocabulary
from cooc.experiments.removal import family_block, filter_corpus, removal_experiment, zero_family
from cooc.grammars.attributes import BinaryAttributeModel
from cooc.spectral.targets import target_matrix


def test_family_block():
    pairs = [("man", "woman"), ("king", "queen"), ("man", "woman")]
    assert family_block(pairs) == [("man", "woman"), ("king", "queen")]
    assert family_block(pairs, "cross") == [("man", "woman"), ("man", "queen"), ("king", "woman"), ("king", "queen")]
    assert len(family_block(pairs, "all")) == 6
    with pytest.raises(InvalidParameterError, match="'block'"):
        family_block(pairs, "rows")


def test_zero_family_sets_independence():
    m = BinaryAttributeModel(3, p=[0.5, 0.4, 0.3], s=0.3)
    cooc = m.to_cooccurrence()
    pairs = m.families()["a0-a1"] + [("a0b0c0", "unknown")]
    zeroed = zero_family(cooc, pairs)
    M = target_matrix(zeroed, "m")
    for a, b in pairs[:-1]:
        i, j = cooc.vocab[a], cooc.vocab[b]
        assert M[i, j] == 1.0 and M[j, i] == 1.0
    assert len(zeroed.independent_pairs) == 2 * 4
    with pytest.raises(InputDataError, match="none of the family's pairs"):
        zero_family(cooc, [("x", "y")])


def test_zero_family_folds_case_like_the_analogy_evaluation():
    # questions-words.txt spells capital-common-countries "Athens Greece"; vocabularies are lower case
    m = BinaryAttributeModel(3, p=[0.5, 0.4, 0.3], s=0.3)
    cooc = m.to_cooccurrence()
    pairs = m.families()["a0-a1"]
    shouted = [(a.upper(), b.capitalize()) for a, b in pairs]
    exact = zero_family(cooc, pairs)
    folded = zero_family(cooc, shouted)
    assert len(folded.independent_pairs) == 2 * 4
    assert folded.independent_pairs.tolist() == exact.independent_pairs.tolist()
    assert np.array_equal(target_matrix(folded, "m"), target_matrix(exact, "m"))
    with pytest.raises(InputDataError, match="none of the family's pairs"):
        zero_family(cooc, shouted, case_insensitive=False)


def test_filter_corpus_folds_case_to_the_most_frequent_spelling(tmp_path):
    # "A" is a rarer spelling of "a": like evaluate_analogies, the lookup reaches row 0 ("a") only
    vocab = Vocabulary(["a", "b", "c", "A"], [4, 3, 3, 2])
    docs = [[0, 1, 2], [0, 2], [1, 3], [2, 3, 2]]
    with CorpusWriter(tmp_path / "c", vocab, {"kind": "test"}) as w:
        for doc in docs:
            w.add_document(np.array(doc))
    corpus = w.close()
    filtered, stats = filter_corpus(corpus, [("A", "B")], tmp_path / "f")
    assert [d.tolist() for d in filtered.documents()] == [[0, 2], [1, 3], [2, 3, 2]]
    assert (stats.docs_kept, stats.docs_dropped) == (3, 1)
    exact, _ = filter_corpus(corpus, [("A", "b")], tmp_path / "g", case_insensitive=False)
    assert [d.tolist() for d in exact.documents()] == [[0, 1, 2], [0, 2], [2, 3, 2]]
    with pytest.raises(InputDataError, match="none of the pairs"):
        filter_corpus(corpus, [("A", "B")], tmp_path / "h", case_insensitive=False)


def small_corpus(path):
    vocab = Vocabulary(["a", "b", "c", "d"], [4, 3, 3, 2])
    docs = [[0, 1, 2], [0, 2], [1, 3, 0], [2, 3, 2]]
    with CorpusWriter(path, vocab, {"kind": "test"}) as w:
        for doc in docs:
            w.add_document(np.array(doc))
    return w.close()


def test_filter_corpus_drops_documents_with_both_words(tmp_path):
    corpus = small_corpus(tmp_path / "c")
    filtered, stats = filter_corpus(corpus, [("a", "b"), ("zz", "c")], tmp_path / "f")
    assert [d.tolist() for d in filtered.documents()] == [[0, 2], [2, 3, 2]]
    assert (stats.docs_kept, stats.docs_dropped, stats.tokens_kept, stats.tokens_dropped) == (2, 2, 5, 6)
    assert filtered.vocab.words == ["a", "b", "c", "d"]  # ids unchanged
    assert filtered.vocab.counts.tolist() == [1, 0, 3, 1]  # counts of the kept tokens
    twice, _ = filter_corpus(corpus, [("c", "d"), ("a", "c")], tmp_path / "g", max_tokens=3)
    assert [d.tolist() for d in twice.documents()] == [[1, 3, 0]]
    with pytest.raises(InputDataError, match="none of the pairs"):
        filter_corpus(corpus, [("x", "y")], tmp_path / "h")


def test_removal_experiment_block_and_corpus(tmp_path):
    from cooc.count import count_cooccurrences

    m = BinaryAttributeModel(4, p=[0.5, 0.4, 0.3, 0.6], s=0.5)
    families = m.families()
    corpus = m.write_corpus(tmp_path / "attr", n_docs=20000, length=3, seed=0)
    cooc = count_cooccurrences(corpus, window=1, weighting="uniform", progress=False)
    result = removal_experiment(cooc, families, "a0-a1", target="logm", dim=5, corpus=corpus, work_dir=tmp_path)
    rows = result.rows()
    assert [r[0] for r in rows] == list(families)
    assert all(r[1] == 1.0 for r in rows)  # exact analogies before removal
    assert result.filter_stats.docs_dropped > 0 and result.corpus is not None
    assert set(result.to_dict()) >= {"baseline", "block", "corpus", "filter_stats"}
    # the filtered corpus holds none of the removed pairs
    filtered, _ = filter_corpus(corpus, families["a0-a1"], tmp_path / "check")
    counts = count_cooccurrences(filtered, window=1, weighting="uniform", vocab_size=len(cooc), progress=False)
    ids = [(counts.vocab[a], counts.vocab[b]) for a, b in families["a0-a1"]]
    assert all(counts.counts[i, j] == 0 for i, j in ids)
    with pytest.raises(InputDataError, match="no family"):
        removal_experiment(cooc, families, "zz")


def test_removal_experiment_folds_case_of_capitalised_families():
    m = BinaryAttributeModel(3, p=[0.5, 0.4, 0.3], s=0.5)
    cooc = m.to_cooccurrence()
    lower = m.families()
    capitalised = {name: [(a.capitalize(), b.capitalize()) for a, b in pairs] for name, pairs in lower.items()}
    result = removal_experiment(cooc, capitalised, "a0-a1", target="logm", dim=4, block="cross")
    # exact statistics: every analogy right before; zeroing the a0/a1 cross block leaves
    # 1 of 12 questions of that family, 4 of 12 and 8 of 12 of the others
    assert np.allclose(np.array([r[1:3] for r in result.rows()]), [[1, 1 / 12], [1, 4 / 12], [1, 8 / 12]])
    same = removal_experiment(cooc, lower, "a0-a1", target="logm", dim=4, block="cross")
    assert [r[0] for r in result.rows()] == [r[0] for r in same.rows()]
    assert np.array_equal(
        np.array([r[1:] for r in result.rows()]), np.array([r[1:] for r in same.rows()]), equal_nan=True
    )


# -- sentence removal: the symmetry paper's perturbation -------------------------------------------------
MONTHS = "january february march april may june july august september october november december".split()
YEARS = [str(y) for y in range(1900, 2021)]


def all_pairs(words):
    return [(a, b) for i, a in enumerate(words) for b in words[i + 1 :]]


def test_split_sentences():
    from cooc.experiments.removal import split_sentences

    text = 'It rained in May 1945. In June, it did not! Was it 3.5 km? "Yes." He left.\nA new line'
    assert split_sentences(text) == [
        "It rained in May 1945.",
        "In June, it did not!",
        "Was it 3.5 km?",
        '"Yes.',
        "He left.",
        "A new line",
    ]


def test_sentence_removal_joins_the_kept_sentences_of_each_text(tmp_path):
    from cooc.experiments.removal import join_documents, sentence_corpus

    texts = [
        "In January and March it rained. In May it was dry.",
        "The war began in 1914. It ended in 1918, not 1917.\nJune came.",
        "Nothing happened in April 1990 and May 1991.",
    ]
    corpus = sentence_corpus(texts, tmp_path / "s")
    assert corpus.n_docs == 6 and corpus.extra("document").tolist() == [0, 0, 1, 1, 1, 2]
    words = lambda c: [[c.vocab.words[i] for i in d] for d in c.documents()]  # noqa: E731
    joined, stats = join_documents(corpus, tmp_path / "j")
    assert words(joined) == [
        "in january and march it rained in may it was dry".split(),
        "the war began in 1914 it ended in 1918 not 1917 june came".split(),
        "nothing happened in april 1990 and may 1991".split(),
    ]
    assert stats.docs_dropped == 0 and joined.vocab.words == corpus.vocab.words
    no_months, stats = filter_corpus(corpus, all_pairs(MONTHS), tmp_path / "m", groups="document")
    assert words(no_months) == [
        "in may it was dry".split(),
        "the war began in 1914 it ended in 1918 not 1917 june came".split(),
    ]
    assert (stats.docs_kept, stats.docs_dropped) == (4, 2)
    no_years, _ = filter_corpus(corpus, all_pairs(YEARS), tmp_path / "y", groups="document")
    assert words(no_years)[1] == "the war began in 1914 june came".split()
    with pytest.raises(InputDataError, match="'groups' must give a non-decreasing group"):
        filter_corpus(corpus, all_pairs(MONTHS), tmp_path / "bad", groups=[2, 1, 0, 0, 0, 0])


@pytest.mark.parametrize("family", ["months", "years"])
def test_sentence_removal_leaves_no_unit_with_two_words_of_the_family(tmp_path, family):
    from cooc.count import count_cooccurrences
    from cooc.grammars.latent import LatentVariableModel

    words = MONTHS if family == "months" else YEARS
    n = len(words)
    model = LatentVariableModel(
        n, "circle" if family == "months" else "line", scale=2.0, words=words, n_fillers=20,
        latent_fraction=0.1, doc_length=12,
    )  # fmt: skip
    tokens, _ = model.sample(4000, seed=0)
    vocab = Vocabulary(model.words, np.bincount(tokens.ravel(), minlength=model.vocab_size))
    with CorpusWriter(tmp_path / "c", vocab, {"kind": "test"}) as w:
        w.add_documents(tokens.ravel(), np.arange(0, tokens.size + 1, tokens.shape[1]))
    corpus = w.close()
    distinct = np.array([len(set(d[d < n].tolist())) for d in tokens])
    filtered, stats = filter_corpus(corpus, all_pairs(words), tmp_path / "f")
    kept = list(filtered.documents())
    assert all(len(set(d[d < n].tolist())) <= 1 for d in kept)  # no unit left with two family words
    assert stats.docs_dropped == int(np.sum(distinct >= 2)) > 0 and len(kept) == int(np.sum(distinct <= 1))
    counts = count_cooccurrences(filtered, window=11, weighting="uniform", progress=False).counts.toarray()
    family_ids = [filtered.vocab[x] for x in words]
    block = counts[np.ix_(family_ids, family_ids)]
    assert np.all(block[~np.eye(n, dtype=bool)] == 0)  # the family's pairs never co-occur any more
