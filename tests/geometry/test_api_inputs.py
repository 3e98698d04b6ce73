"""Inputs the geometry API refuses: non-finite vectors, mismatched shapes, masks that are not masks, bad sizes.

Each refusal names the argument (or the first bad word) so that a wrong call fails loudly
instead of returning a plausible but wrong number; valid inputs keep their results.
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.embedding import Embedding
from cooc.geometry import hypernymy as H
from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies, question_coverage
from cooc.geometry.probe import kernel_probe, projection_probe, year_probe
from cooc.geometry.similarity import evaluate_similarity


# -- analogies and similarities on vectors holding NaN or infinities ------------------------------------
def _analogy_embedding() -> Embedding:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    X[:4] = [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]]  # w0 : w1 :: w2 : w3 exactly
    return Embedding(X, [f"w{i}" for i in range(6)] + ["junk"])


QUESTIONS = {"f": [("w0", "w1", "w2", "w3")]}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("protocol", ["gensim", "pairs"])
def test_analogies_refuse_a_nonfinite_vector_naming_its_word(bad, protocol):
    emb = _analogy_embedding()
    assert evaluate_analogies(emb, QUESTIONS, protocol=protocol).accuracy == 1.0
    emb.vectors[6, 1] = bad  # a word no question uses: it still competes as a candidate
    with pytest.raises(InputDataError, match=r"evaluate_analogies: .*NaN or infinite.*1 of 7 vectors.*'junk'.*\.$"):
        evaluate_analogies(emb, QUESTIONS, protocol=protocol)
    with pytest.raises(InputDataError, match=r"accuracy_vs_k: .*'junk'"):
        accuracy_vs_k(emb, [1, 3], QUESTIONS, protocol=protocol)


def test_analogies_ignore_a_nonfinite_vector_outside_the_searched_rows():
    emb = _analogy_embedding()
    emb.vectors[6] = np.nan
    assert evaluate_analogies(emb, QUESTIONS, restrict_vocab=6).accuracy == 1.0


def test_analogies_refuse_vectors_that_overflow_in_float32():
    emb = _analogy_embedding()
    emb.vectors[5] = 1e39  # finite in float64, infinite once cast to float32
    assert evaluate_analogies(emb, QUESTIONS).total == 1
    with pytest.raises(InputDataError, match=r"once cast to float32 .*'w5'"):
        evaluate_analogies(emb, QUESTIONS, dtype="float32")


def test_similarity_refuses_a_nonfinite_vector_of_a_pair_word():
    rng = np.random.default_rng(0)
    emb = Embedding(rng.normal(size=(6, 3)), list("abcdef"))
    pairs = [("a", "b", 1.0), ("c", "d", 2.0), ("e", "a", 3.0)]
    emb.vectors[5] = np.nan  # 'f' is in no pair: the scores do not change
    clean = evaluate_similarity(emb, pairs)
    assert np.isfinite(clean.spearman) and clean.evaluated == 3
    emb.vectors[2, 0] = np.inf  # 'c' is
    with pytest.raises(InputDataError, match=r"evaluate_similarity: .*NaN or infinite.*'c'.*\.$"):
        evaluate_similarity(emb, pairs)


# -- restrict_vocab of the evaluators --------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, -1, 2.5, "3"])
def test_similarity_refuses_a_restrict_vocab_below_one(value):
    emb = Embedding(np.random.default_rng(0).normal(size=(6, 3)), list("abcdef"))
    pairs = [("a", "b", 1.0), ("c", "d", 2.0), ("e", "f", 3.0)]
    with pytest.raises(InvalidParameterError, match=r"evaluate_similarity: parameter 'restrict_vocab' must be"):
        evaluate_similarity(emb, pairs, restrict_vocab=value)
    assert evaluate_similarity(emb, pairs, restrict_vocab=np.int64(6)).evaluated == 3


@pytest.mark.parametrize("value", [0, -1])
def test_question_coverage_refuses_a_restrict_vocab_below_one(value):
    with pytest.raises(InvalidParameterError, match=r"question_coverage: parameter 'restrict_vocab' must be"):
        question_coverage(["w0", "w1", "w2", "w3"], QUESTIONS, restrict_vocab=value)


# -- year_probe: one vector per value, non-empty ranks -----------------------------------------------------
def _years(rng):
    years = np.arange(1900, 2021).astype(float)
    return np.column_stack([years - years.mean(), rng.normal(size=(121, 4))]), years


@pytest.mark.parametrize("rows", [100, 161])
def test_year_probe_refuses_vectors_and_values_of_different_lengths(rows):
    rng = np.random.default_rng(0)
    V, years = _years(rng)
    X = np.vstack([V, rng.normal(scale=200, size=(40, 5))])[:rows]
    with pytest.raises(InputDataError, match=rf"year_probe: {rows} vectors for 121 values"):
        year_probe(X, years, n_splits=2)


def test_year_probe_refuses_vectors_that_are_not_a_matrix():
    with pytest.raises(InputDataError, match=r"year_probe: 'vectors' must have shape \(n, d\)"):
        year_probe(np.arange(121.0), np.arange(121.0), n_splits=2)


@pytest.mark.parametrize("ranks", [[], np.array([], dtype=np.int64), [1, 2.5]])
def test_year_probe_refuses_empty_or_fractional_ranks(ranks):
    V, years = _years(np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match=r"year_probe: parameter 'ranks' must be"):
        year_probe(V, years, ranks=ranks, n_splits=2)


def test_year_probe_takes_a_column_of_values_as_the_values():
    V, years = _years(np.random.default_rng(0))
    flat = year_probe(V, years, ranks=[1, 3], n_splits=3)
    column = year_probe(V, years[:, None], ranks=[1, 3], n_splits=3)
    np.testing.assert_array_equal(column.error, flat.error)
    np.testing.assert_array_equal(column.error_std, flat.error_std)
    as_floats = year_probe(V, years, ranks=[1.0, 3.0], n_splits=3)  # integral floats stay accepted
    np.testing.assert_array_equal(as_floats.error, flat.error)


@pytest.mark.parametrize("shape", [(1, 121), (121, 2), (11, 11)])
def test_year_probe_refuses_values_that_are_not_one_per_word(shape):
    V, _ = _years(np.random.default_rng(0))
    with pytest.raises(InputDataError, match=r"year_probe: 'values' must have shape \(121,\)"):
        year_probe(V, np.zeros(shape), n_splits=2)


def test_year_probe_refuses_nonfinite_values_and_vectors():
    V, years = _years(np.random.default_rng(0))
    years[7] = np.nan
    with pytest.raises(InputDataError, match=r"year_probe: 'values' hold NaN or infinite .*\(the first: row 7\)"):
        year_probe(V, years, n_splits=2)
    V, years = _years(np.random.default_rng(0))
    V[9, 2] = np.inf
    with pytest.raises(InputDataError, match=r"year_probe: 'vectors' hold NaN or infinite .*\(the first: row 9\)"):
        year_probe(V, years, n_splits=2)


def test_projection_and_kernel_probes_take_a_column_of_values_too():
    V, years = _years(np.random.default_rng(0))
    np.testing.assert_array_equal(projection_probe(V, years[:, None]).error, projection_probe(V, years).error)
    K = np.exp(-np.abs(years[:, None] - years[None, :]) / 5.0)
    np.testing.assert_array_equal(
        kernel_probe(K, years[:, None], ranks=[1, 2], protocol="all").error,
        kernel_probe(K, years, ranks=[1, 2], protocol="all").error,
    )


# -- eligible: a bool mask of the tree's nodes ---------------------------------------------------------
TERNARY = np.array([-1, 0, 0, 0] + [1] * 3 + [2] * 3 + [3] * 3)  # 13 nodes, 3 + 3 * 3 = 12 subtrees of height 1


@pytest.mark.parametrize(
    "eligible", [np.arange(13), np.full(13, 2), np.ones(13), np.ones(13, dtype=np.int8), list(range(13))]
)
def test_eligible_must_be_a_bool_mask(eligible):
    X = np.random.default_rng(0).normal(size=(13, 4))
    with pytest.raises(InvalidParameterError, match=r"count_perfect_subtrees: parameter 'eligible' must be a bool"):
        H.count_perfect_subtrees(TERNARY, 1, eligible)
    with pytest.raises(InvalidParameterError, match=r"sample_perfect_subtrees: parameter 'eligible' must be a bool"):
        H.sample_perfect_subtrees(TERNARY, 5, 1, eligible)
    with pytest.raises(InvalidParameterError, match=r"hypernymy_alignment: parameter 'eligible' must be a bool"):
        H.hypernymy_alignment(X, TERNARY, n_samples=5, height=1, eligible=eligible)


@pytest.mark.parametrize("size", [12, 14])
def test_eligible_must_have_one_entry_per_node(size):
    with pytest.raises(InvalidParameterError, match=rf"'eligible' must be a bool array of shape \(13,\).*\({size},\)"):
        H.count_perfect_subtrees(TERNARY, 1, np.ones(size, dtype=bool))


def test_a_bool_mask_and_a_list_of_bools_count_the_subtrees():
    assert H.count_perfect_subtrees(TERNARY, 1, np.ones(13, dtype=bool))[:, 1].sum() == 12
    mask = [True] * 13
    mask[1] = False  # the root keeps 1 subtree (children 2 and 3), nodes 2 and 3 keep theirs: 1 + 3 + 3
    assert H.count_perfect_subtrees(TERNARY, 1, mask)[:, 1].sum() == 7
    assert H.count_perfect_subtrees(TERNARY, 1)[:, 1].sum() == 12
