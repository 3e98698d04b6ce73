"""Language statistics: lag covariance spectrum (beta), conditional entropies (gamma), fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.corpus.store import CorpusWriter
from cooc.corpus.vocab import Vocabulary
from cooc.grammars.langstats import (
    conditional_entropies,
    data_exponent,
    entropy_from_counts,
    fit_beta,
    fit_entropy_decay,
    fit_power_law,
    lag_covariance_spectrum,
    ngram_counts,
    positional_covariance_decay,
    top_singular_value,
)
from cooc.grammars.source import build_grammar_corpus
from cooc.grammars.stats import beta_theory
from cooc.grammars.taxonomy import TaxonomyModel


def test_power_law_fit_recovers_exponent_and_error(rng):
    x = np.arange(1, 40)
    exact = fit_power_law(x, 3.0 * x**-1.7)
    assert exact.exponent == pytest.approx(1.7, abs=1e-12) and exact.prefactor == pytest.approx(3.0)
    assert exact.error < 1e-10
    fits = [fit_power_law(x, 3.0 * x**-1.7 * np.exp(0.05 * rng.standard_normal(x.size))) for _ in range(200)]
    slopes = np.array([f.exponent for f in fits])
    assert abs(np.std(slopes) / np.mean([f.error for f in fits]) - 1) < 0.2  # the stated error is the spread
    assert fit_beta(x, x**-0.5, 5, 20).x.min() == 5
    with pytest.raises(InputDataError, match="at least 3 positive points"):
        fit_power_law([1, 2], [1, 0.5])


def test_entropy_decay_fit():
    n = np.arange(1, 16)
    fit = fit_entropy_decay(n, 1.2 + 2.0 * n**-0.7)
    assert fit.gamma == pytest.approx(0.7, rel=1e-6) and fit.h_inf == pytest.approx(1.2, rel=1e-6)
    np.testing.assert_allclose(fit.predict(n), 1.2 + 2.0 * n**-0.7, rtol=1e-6)
    value, error = data_exponent(0.7, 1.4, 0.07, 0.14)
    assert value == pytest.approx(0.25) and error == pytest.approx(0.25 * math.sqrt(0.02))


def test_entropy_from_counts():
    assert entropy_from_counts(np.array([5, 5])) == pytest.approx(math.log(2))
    assert entropy_from_counts(np.array([5, 5, 0]), "miller-madow") == pytest.approx(math.log(2) + 1 / 20)
    with pytest.raises(InvalidParameterError, match="'correction' must be one of"):
        entropy_from_counts(np.array([1]), "jackknife")


def _write(path, docs, V):
    with CorpusWriter(path, Vocabulary([f"w{i}" for i in range(V)]), source={"type": "test"}) as writer:
        for doc in docs:
            writer.add_document(np.array(doc))
    from cooc.corpus.store import TokenCorpus

    return TokenCorpus.open(path)


def test_ngrams_stay_inside_documents(tmp_path):
    corpus = _write(tmp_path / "c", [[0, 1, 2], [1, 2], [2]], 3)
    assert sorted(ngram_counts(corpus, 2).tolist()) == [1, 2]  # (0,1) once, (1,2) twice; never (2,1)
    assert sorted(ngram_counts(corpus, 3).tolist()) == [1]
    n, H = conditional_entropies(corpus, 2)
    unigram = np.array([1, 2, 3]) / 6
    assert H[0] == pytest.approx(-np.sum(unigram * np.log(unigram)))
    bigram_entropy = -(1 / 3) * math.log(1 / 3) - (2 / 3) * math.log(2 / 3)
    assert H[1] == pytest.approx(bigram_entropy - H[0])


def test_markov_corpus_entropies_and_lag_spectrum_match_exact_values(tmp_path):
    """A taxonomy corpus is a stationary first-order chain: H_1 = H(pi), H_n = entropy rate for n >= 2,
    and the lag-n covariance is diag(pi) T^n - pi pi^T."""
    model = TaxonomyModel(branching=2, depth=2, beta=0.6, doc_length=20)
    corpus = build_grammar_corpus(
        "taxonomy:branching=2,depth=2,beta=0.6,doc_length=20", tmp_path / "tax", documents=20000, seed=3, progress=False
    )
    symbol = corpus.extra("symbol_of_id")
    pi, T = model.unigram(), model.transition()
    n, H = conditional_entropies(corpus, 3)
    rate = -np.sum(pi[:, None] * T * np.log(T))
    assert H[0] == pytest.approx(-np.sum(pi * np.log(pi)), abs=3e-3)
    assert H[1] == pytest.approx(rate, abs=5e-3) and H[2] == pytest.approx(rate, abs=1e-2)
    lags, sigma = lag_covariance_spectrum(corpus, max_lag=4)
    for lag, value in zip(lags, sigma):
        exact = model.joint(int(lag)) - np.outer(pi, pi)
        expected = np.linalg.norm(exact[np.ix_(symbol, symbol)], 2)
        assert value == pytest.approx(expected, abs=4e-3), lag
    assert sigma[0] > sigma[1] > sigma[2]


def test_top_singular_value_sparse_path_agrees_with_dense(rng):
    import scipy.sparse as sp

    V = 300
    counts = sp.random(V, V, density=0.02, random_state=1, format="csr") * 100
    counts = counts + sp.diags(rng.random(V) * 50)
    dense = counts.toarray() / counts.sum()
    expected = np.linalg.norm(dense - np.outer(dense.sum(1), dense.sum(0)), 2)
    assert top_singular_value(counts, dense_limit=100) == pytest.approx(expected, rel=1e-6)
    assert top_singular_value(counts) == pytest.approx(expected, rel=1e-12)


def _full_svd_top(counts):
    dense = counts.toarray() if hasattr(counts, "toarray") else np.asarray(counts, dtype=np.float64)
    J = dense / dense.sum()
    return np.linalg.svd(J - np.outer(J.sum(1), J.sum(0)), compute_uv=False)[0]


@pytest.mark.parametrize("V", [5, 40, 64, 65, 150, 400])
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_top_singular_value_default_matches_full_svd_in_both_regimes(V, kind):
    import scipy.sparse as sp

    gen = np.random.default_rng(V)
    if kind == "dense":
        counts = gen.poisson(2.0, (V, V)).astype(np.float64)
    else:
        counts = sp.random(V, V, density=0.05, random_state=V, format="csr") * 100 + sp.identity(V) * 3
    expected = _full_svd_top(counts)
    value = top_singular_value(counts)
    assert value == pytest.approx(expected, rel=1e-10, abs=0)
    assert top_singular_value(counts) == value  # fixed start vector: same bits again


def test_top_singular_value_uses_the_dense_svd_only_for_small_vocabularies(monkeypatch):
    """A full dense SVD is O(V^3): V = 500 with 32 lags took 28 s against 0.6 s through ARPACK."""
    import scipy.sparse.linalg as spla

    calls = []
    real = spla.svds
    monkeypatch.setattr(spla, "svds", lambda *a, **k: calls.append(a[0].shape) or real(*a, **k))
    counts = np.random.default_rng(0).poisson(2.0, (300, 300)).astype(np.float64)
    small = counts[:64, :64]
    top_singular_value(small)
    assert calls == []
    assert top_singular_value(counts) == pytest.approx(_full_svd_top(counts), rel=1e-10)
    assert calls == [(300, 300)]
    top_singular_value(counts, dense_limit=300)
    assert calls == [(300, 300)]


def test_beta_of_an_rhm_corpus_matches_ln_m_over_ln_s(tmp_path):
    """Positional rms covariance at distances 1, 2, 4, 8, 16 decays as t^-beta, beta = ln 2 / ln 2 = 1, within 0.15.

    (The exact statistics of this grammar give 1.01; the theory is an average over rules.)
    """
    corpus = build_grammar_corpus(
        "rhm:v=8,n_c=8,m=2,s=2,L=6", tmp_path / "rhm", documents=100_000, seed=0, progress=False
    )
    decay = positional_covariance_decay(corpus, [1, 2, 4, 8, 16], n_positions=64)
    assert np.all(decay["rms"] > 3 * decay["floor"])
    fit = fit_power_law(decay["distance"], decay["rms"])
    assert abs(fit.exponent - beta_theory(2, 2)) < 0.15, (fit.exponent, fit.error)
    with pytest.raises(InvalidParameterError, match="distances must lie in \\[1, 63\\]"):
        positional_covariance_decay(corpus, [64], n_positions=64)
    with pytest.raises(InvalidParameterError, match="give 'n_positions'"):
        positional_covariance_decay(corpus, [1])
