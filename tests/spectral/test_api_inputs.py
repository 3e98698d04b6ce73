"""Spectral calls from a notebook with inputs that used to give a wrong result or a raw error."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc import Cooccurrence, EigenEmbedding, top_eigenpairs
from cooc._core.errors import InvalidParameterError
from cooc.experiments.targets import compare_targets


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.poisson(3, (6, 6))
    C = X + X.T
    words = ["a", "b", "ab", "cat", "c", "t"]
    return EigenEmbedding(dim=3).fit(Cooccurrence.from_scipy(sp.csr_matrix(C), words, unigram=C.sum(1)))


def test_transform_refuses_one_word_given_as_a_string(fitted):
    with pytest.raises(InvalidParameterError, match=r"for one word give \['cat'\], got the string 'cat'"):
        fitted.transform("cat")  # was the rows of 'c', 'a' and 't'
    np.testing.assert_array_equal(fitted.transform(["cat"]), fitted.embedding_.vectors[[3]])


def test_embedding_checks_k_and_p_as_the_constructor_does(fitted):
    for k in (1.7, 0, 4):
        with pytest.raises(InvalidParameterError, match=r"EigenEmbedding.embedding: parameter 'k'"):
            fitted.embedding(k=k)
    with pytest.raises(InvalidParameterError, match=r"EigenEmbedding.embedding: parameter 'p'"):
        fitted.embedding(p=float("nan"))
    pairs = fitted.eigenpairs_
    two = fitted.embedding(k=np.int64(2), p=1.0)
    np.testing.assert_allclose(two.vectors, pairs.vectors[:, :2] * np.abs(pairs.values[:2]))


def test_compare_targets_refuses_one_target_given_as_a_string(fitted):
    counts = Cooccurrence.from_scipy(sp.csr_matrix(np.ones((4, 4))), ["a", "b", "c", "d"])
    with pytest.raises(InvalidParameterError, match=r"for one give \['pmi'\], got the string"):
        compare_targets(counts, "pmi", [1])  # was the targets 'p', 'm', then an error at 'i'


def test_top_eigenpairs_of_an_all_zero_matrix_and_refusals_of_complex_or_listed_ones():
    for zero in (np.zeros((5, 5)), sp.csr_matrix((5, 5))):  # the sparse one was ARPACK's raw error
        for solver in ("auto", "lanczos", "dense"):
            pairs = top_eigenpairs(zero, 2, solver=solver)  # an empty helper block is decomposed so (symmetry)
            assert pairs.values.tolist() == [0.0, 0.0] and pairs.vectors.tolist() == np.eye(5, 2).tolist()
    assert top_eigenpairs(np.zeros((5, 5), dtype=np.float32), 2).vectors.dtype == np.float32  # as the solvers keep it
    with pytest.raises(InvalidParameterError, match=r"must be real \(symmetric\), got dtype bool"):
        top_eigenpairs(np.eye(3, dtype=bool), 1)
    with pytest.raises(InvalidParameterError, match=r"must be real \(symmetric\), got dtype complex128"):
        top_eigenpairs(np.array([[2.0, 1j], [-1j, 2.0]]), 1)  # Hermitian, not "not symmetric"
    with pytest.raises(InvalidParameterError, match=r"got list \(a nested list: np.asarray it\)"):
        top_eigenpairs([[2.0, 1.0], [1.0, 2.0]], 1)
    assert top_eigenpairs(np.array([[2.0, 1.0], [1.0, 2.0]]), 1).values.tolist() == pytest.approx([3.0])


def test_an_all_zero_matrix_meets_the_device_checks_any_matrix_meets():
    def outcome(matrix):
        try:
            return top_eigenpairs(matrix, 2, device="cuda").info["device"]
        except Exception as exc:  # no CUDA here: the same refusal for both
            return type(exc).__name__

    assert outcome(np.zeros((5, 5))) == outcome(np.eye(5))
