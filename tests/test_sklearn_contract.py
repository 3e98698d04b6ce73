"""The estimators honour scikit-learn's contract: clone, get/set_params, repr, check_is_fitted,
validation when fitting, fit returning self, and transform / fit_transform returning arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from cooc import Cooccurrence, EigenEmbedding, SpectralEmbedding, Target, Word2Vec
from cooc._core.errors import InvalidParameterError
from cooc.corpus.vocab import Vocabulary


@pytest.fixture
def cooc(rng):
    counts = rng.poisson(1.0, size=(30, 30))
    return Cooccurrence(
        sp.csr_matrix(counts + counts.T), Vocabulary([f"w{i}" for i in range(30)], rng.integers(1, 99, 30))
    )


ESTIMATORS = [
    (EigenEmbedding, dict(target="logm", dim=4, p=1.0, seed=3)),
    (Target, dict(kind="ppmi", alpha=0.75, smoothing="context")),
    (Word2Vec, dict(dim=12, window=3, negative=2, epochs=2, seed=7)),
]


@pytest.mark.parametrize("cls, params", ESTIMATORS, ids=lambda x: getattr(x, "__name__", ""))
def test_clone_params_and_repr(cls, params):
    est = cls(**params)
    copy = clone(est)
    assert copy is not est and copy.get_params(deep=True) == est.get_params(deep=False)
    assert all(copy.get_params()[k] == v for k, v in params.items())
    name = next(iter(params))
    other = {"target": "mstar", "kind": "mstar", "dim": 7}[name]
    assert copy.set_params(**{name: other}) is copy and copy.get_params()[name] == other
    assert repr(est).startswith(cls.__name__ + "(") and all(f"{k}=" in repr(est) for k in params)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(not_a_parameter=1)


def test_eigen_embedding_arrays_and_the_fitted_embedding(cooc):
    model = EigenEmbedding("mstar", dim=5)
    with pytest.raises(NotFittedError):
        model.transform()
    vectors = model.fit_transform(cooc)
    assert isinstance(vectors, np.ndarray) and vectors.shape == (30, 5)
    np.testing.assert_array_equal(vectors, model.embedding_.vectors)
    np.testing.assert_array_equal(model.transform(["w3", "w1"]), vectors[[3, 1]])
    assert model.fit(cooc) is model
    assert SpectralEmbedding is EigenEmbedding  # the earlier name still works


def test_parameters_are_validated_when_fitting(cooc):
    model = EigenEmbedding(dim=5).set_params(dim=-1)  # set_params accepts; fit refuses, naming the value
    with pytest.raises(InvalidParameterError, match="'dim'.*got -1"):
        model.fit(cooc)
    with pytest.raises(InvalidParameterError, match="'smoothing'"):
        Target(smoothing="both").fit(cooc)


def test_target_transform_is_its_matrix(cooc):
    target = Target("mstar")
    matrix = target.fit_transform(cooc)
    assert target.transform() is matrix and matrix.shape == (30, 30)


def test_levy_ppmi_is_hyperwords_asymmetric_definition(cooc):
    """smoothing='context' with block marginals is Levy et al.'s PPMI with cds and a shift, computed here by hand."""
    C = cooc.counts.toarray().astype(float)
    total, rows, cols = C.sum(), C.sum(axis=1), C.sum(axis=0)
    smoothed = cols**0.75 / (cols**0.75).sum()
    with np.errstate(divide="ignore"):
        pmi = np.log((C / total) / ((rows / total)[:, None] * smoothed[None, :]))
    expected = np.where(C > 0, np.maximum(pmi - np.log(1.2), 0.0), 0.0)
    got = Target("sppmi", neg=1.2, alpha=0.75, marginals="block", smoothing="context").fit_transform(cooc).toarray()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    symmetric = Target("sppmi", neg=1.2, alpha=0.75, marginals="block").fit_transform(cooc).toarray()
    assert np.abs(symmetric - expected).max() > 1e-3  # the default differs, on purpose (symmetric for eigensolvers)
