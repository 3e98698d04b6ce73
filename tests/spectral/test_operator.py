"""The target of a blocked (out-of-core) matrix as a LinearOperator: equal to the in-memory target,
same eigenvectors, and refusals where it cannot work."""

from __future__ import annotations

import numpy as np
import pytest

from cooc import SpectralEmbedding, Target, top_eigenpairs
from cooc._core.errors import InvalidParameterError
from cooc.cooccurrence.blocked import save_blocked
from cooc.spectral.kinds import KINDS
from cooc.spectral.operator import TargetOperator
from cooc.spectral.targets import target_operator

from ..cooccurrence.random_counts import dense, random_cooc


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alpha", [1.0, 0.75])
def test_operator_equals_in_memory_target(tmp_path, rng, kind, alpha):
    cooc = random_cooc(rng).zero_block([("w1", "w4"), ("w7", "w7")])
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=3)
    for output in ("auto", "dense", "sparse") if kind in ("p", "m", "pmi") else ("auto",):
        params = dict(alpha=alpha, neg=3, eps=1e-3, output=output)
        expected = dense(Target(kind, **params).fit_transform(cooc))
        op = Target(kind, **params).fit(opened).matrix_
        assert isinstance(op, TargetOperator)
        np.testing.assert_allclose(op.to_dense(), expected, rtol=1e-12, atol=1e-13)
        x = rng.standard_normal(60)
        np.testing.assert_allclose(op @ x, expected @ x, rtol=1e-11, atol=1e-12)


def test_operator_without_cache_and_in_float32(tmp_path, rng):
    cooc = random_cooc(rng)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=3)
    cached = target_operator(opened, "mstar")
    uncached = target_operator(opened, "mstar", cache_bytes=0)
    x = rng.standard_normal(60)
    np.testing.assert_array_equal(cached @ x, uncached @ x)
    assert uncached._cache == {} and len(cached._cache) == 3
    single = target_operator(opened, "ppmi", dtype="float32")
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.to_dense(), dense(Target("ppmi").fit_transform(cooc)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["mstar", "ppmi", "logm"])
def test_blocked_eigenvectors_equal_in_memory(tmp_path, rng, kind):
    cooc = random_cooc(rng, V=120, density=0.15, zero_unigram=0)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=5)
    k = 6
    matrix = Target(kind).fit_transform(cooc)
    reference = top_eigenpairs(matrix, k, solver="dense")
    op = target_operator(opened, kind)
    pairs = top_eigenpairs(op, k, seed=3)
    assert pairs.solver == "lanczos"
    np.testing.assert_allclose(pairs.values, reference.values, rtol=1e-10)
    assert pairs.residuals(op).max() < 1e-8 * abs(reference.values[0])
    gaps = np.abs(np.diff(np.abs(reference.values)))
    if gaps.min() > 1e-6 * abs(reference.values[0]):  # distinct eigenvalues: vectors equal up to sign
        np.testing.assert_allclose(np.abs(pairs.vectors.T @ reference.vectors), np.eye(k), atol=1e-7)
        np.testing.assert_allclose(pairs.vectors, reference.vectors, atol=1e-7)  # signs fixed the same way
    randomized = top_eigenpairs(op, k, solver="randomized", n_iter=30, n_oversamples=30)
    np.testing.assert_allclose(randomized.values, reference.values, rtol=1e-6)
    block = top_eigenpairs(op, k, solver="block")
    np.testing.assert_allclose(block.values, reference.values, rtol=1e-6)


def test_spectral_embedding_accepts_a_blocked_matrix(tmp_path, rng):
    cooc = random_cooc(rng, V=80, zero_unigram=0)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=4)
    a = SpectralEmbedding("mstar", dim=5, solver="lanczos").fit(cooc)
    b = SpectralEmbedding("mstar", dim=5).fit(opened)
    np.testing.assert_allclose(b.eigenvalues_, a.eigenvalues_, rtol=1e-10)
    np.testing.assert_allclose(b.embedding_.vectors, a.embedding_.vectors, atol=1e-7)
    assert b.embedding_.index_to_key == a.embedding_.index_to_key


def test_operator_refuses_what_it_cannot_do(tmp_path, rng):
    opened = save_blocked(random_cooc(rng), tmp_path / "m", n_blocks=2)
    op = target_operator(opened, "mstar")
    for solver in ("dense", "torch"):
        with pytest.raises(InvalidParameterError, match="LinearOperator"):
            top_eigenpairs(op, 3, solver=solver)
    with pytest.raises(InvalidParameterError, match="CPU"):
        top_eigenpairs(op, 3, device="cuda")
    with pytest.raises(InvalidParameterError, match="dense"):
        target_operator(opened, "mstar", output="sparse")
    with pytest.raises(InvalidParameterError, match="CPU"):
        Target("mstar", device="cuda").fit(opened)
