"""SpectralEmbedding: target -> eigenpairs -> W = U |Lambda|^p, against a direct numpy decomposition."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.cooccurrence.matrix import Cooccurrence
from cooc.embedding import Embedding
from cooc.spectral.eigen import fix_signs, top_eigenpairs
from cooc.spectral.estimator import SpectralEmbedding
from cooc.spectral.targets import target_matrix


def random_cooc(rng, V=80):
    counts = sp.random(V, V, density=0.3, random_state=rng, data_rvs=lambda n: rng.integers(1, 30, n))
    return Cooccurrence.from_scipy(
        (counts + counts.T).tocsr(),
        [f"w{i}" for i in range(V)],
        unigram=rng.integers(5, 500, V),
        settings={"window": 2},
    )


@pytest.mark.parametrize("target, which", [("mstar", "LM"), ("logm", "LM"), ("ppmi", "LM"), ("pmi", "LA")])
def test_vectors_equal_a_direct_decomposition(target, which, rng):
    cooc = random_cooc(rng)
    model = SpectralEmbedding(target, dim=7, p=0.5, which=which).fit(cooc)
    A = target_matrix(cooc, target)
    A = A.toarray() if sp.issparse(A) else A
    values, vectors = np.linalg.eigh(A)
    order = np.argsort(-np.abs(values) if which == "LM" else -values, kind="stable")[:7]
    np.testing.assert_allclose(model.eigenvalues_, values[order], rtol=1e-10, atol=1e-12)
    expected = fix_signs(vectors[:, order]) * np.sqrt(np.abs(values[order]))
    np.testing.assert_allclose(model.embedding_.vectors, expected, atol=1e-9)
    assert model.embedding_.index_to_key == cooc.vocab.words


def test_embedding_for_other_k_and_p(rng):
    cooc = random_cooc(rng)
    model = SpectralEmbedding("mstar", dim=10, p=0.5).fit(cooc)
    emb = model.embedding_
    assert isinstance(emb, Embedding) and emb.dim == 10
    assert emb.meta["target"] == "mstar" and len(emb.meta["eigenvalues"]) == 10
    assert emb.meta["cooccurrence"]["settings"] == {"window": 2}
    three = model.embedding(k=3, p=1.0)
    np.testing.assert_allclose(three.vectors, model.eigenpairs_.vectors[:, :3] * np.abs(model.eigenvalues_[:3]))
    with pytest.raises(InvalidParameterError, match="'k' must be an integer in \\[1, 10\\]"):
        model.embedding(k=11)
    assert not hasattr(model.target_, "matrix_")
    kept = SpectralEmbedding("mstar", dim=3, keep_matrix=True).fit(cooc)
    assert kept.target_.matrix_.shape == (80, 80)


def test_solvers_give_the_same_embedding(rng):
    cooc = random_cooc(rng, V=60)
    ref = SpectralEmbedding("mstar", dim=5, solver="dense").fit(cooc).embedding_
    for solver in ("lanczos", "torch"):
        got = SpectralEmbedding("mstar", dim=5, solver=solver).fit(cooc).embedding_
        np.testing.assert_allclose(got.vectors, ref.vectors, atol=1e-8)


def test_parameter_errors(rng):
    cooc = random_cooc(rng, V=10)
    with pytest.raises(InvalidParameterError, match="'dim' must be at most V = 10"):
        SpectralEmbedding(dim=11).fit(cooc)
    with pytest.raises(InvalidParameterError, match="'target' must be one of"):
        SpectralEmbedding(target="glove").fit(cooc)
    with pytest.raises(InvalidParameterError, match="'dim'"):
        SpectralEmbedding(dim=0).fit(cooc)


def test_fit_takes_counts_their_path_or_blocked_counts(rng, tmp_path):
    from cooc.cooccurrence.blocked import save_blocked

    cooc = random_cooc(rng, V=30)
    cooc.save(tmp_path / "counts")
    blocked = save_blocked(cooc, tmp_path / "blocked", n_blocks=3)
    want = SpectralEmbedding("ppmi", dim=4, solver="dense").fit(cooc).embedding_.vectors
    for given in (str(tmp_path / "counts"), tmp_path / "counts", tmp_path / "blocked", blocked):
        got = SpectralEmbedding("ppmi", dim=4, solver="lanczos").fit(given).embedding_.vectors
        np.testing.assert_allclose(fix_signs(got), fix_signs(want), atol=1e-6)
    with pytest.raises(InvalidParameterError, match="fit takes co-occurrence counts .*, got list"):
        SpectralEmbedding(dim=4).fit(["counts"])  # not a sequence of whatever length, as it was


def test_targets_and_the_target_comparison_take_the_path_of_saved_counts(rng, tmp_path, monkeypatch):
    from cooc.experiments.targets import compare_targets
    from cooc.spectral.targets import Target, target_matrix

    cooc = random_cooc(rng, V=30)
    cooc.save(tmp_path / "counts")
    np.testing.assert_array_equal(
        target_matrix(tmp_path / "counts", "ppmi").toarray(), target_matrix(cooc, "ppmi").toarray()
    )
    assert Target("mstar").fit(str(tmp_path / "counts")).matrix_.shape == (30, 30)
    questions = {"f": [("w1", "w2", "w3", "w4")]}
    # a path's len() was the length of its string: K was capped at len("counts") = 6 instead of V = 30
    monkeypatch.chdir(tmp_path)
    by_path = compare_targets("counts", ["ppmi"], ks=[2, 10], questions=questions)
    assert list(by_path["ppmi"].ks) == [2, 10]
    assert np.array_equal(
        by_path["ppmi"].accuracy, compare_targets(cooc, ["ppmi"], ks=[2, 10], questions=questions)["ppmi"].accuracy
    )


def test_directional_counts_and_context_smoothing_are_refused_not_decomposed(rng):
    # The forward matrix F of directional counts, and Levy's context-smoothed PMI, are not symmetric:
    # each solver would have decomposed another matrix. Their symmetric forms are accepted.
    V = 40
    F = sp.random(V, V, density=0.4, random_state=rng, data_rvs=lambda n: rng.integers(1, 30, n)).tocsr()
    words = [f"w{i}" for i in range(V)]
    forward = Cooccurrence.from_scipy(F, words, unigram=rng.integers(5, 500, V), settings={"directional": True})
    for solver in ("dense", "lanczos", "block"):
        with pytest.raises(InputDataError, match="not symmetric"):
            SpectralEmbedding("mstar", dim=4, solver=solver).fit(forward)
    both = Cooccurrence.from_scipy((F + F.T).tocsr(), words, unigram=forward.unigram_probabilities() * 1000)
    assert SpectralEmbedding("mstar", dim=4).fit(both).embedding_.dim == 4
    with pytest.raises(InputDataError, match="not symmetric"):
        top_eigenpairs(target_matrix(both, "pmi", alpha=0.75, smoothing="context"), 4)
    top_eigenpairs(target_matrix(both, "pmi", alpha=0.75), 4)  # the symmetric smoothing: accepted
