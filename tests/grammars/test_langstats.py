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
    covariance_floor,
    coverage,
    data_exponent,
    entropy_error,
    entropy_from_counts,
    entropy_profile,
    fit_beta,
    fit_entropy_decay,
    fit_power_law,
    lag_covariance_spectrum,
    lag_spectrum_with_floor,
    ngram_counts,
    positional_covariance_decay,
    shuffled_copy,
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


# -- floors, bias-corrected entropies, refused fits ----------------------------------------------------
def _zipf(K, s=1.0):
    p = 1.0 / np.arange(1, K + 1) ** s
    return p / p.sum()


def test_grassberger_entropy_is_unbiased_within_its_error_on_an_iid_source():
    """Zipf source over K = 500 symbols, N = 3000 draws (most symbols seen once or never): the corrected
    estimate's mean over 200 samples is within a quarter of its stated error of the true entropy, and the
    stated error is the spread; the plug-in estimate is biased low by more than twice its error."""
    rng = np.random.default_rng(0)
    p = _zipf(500)
    truth = -np.sum(p * np.log(p))
    corrected, plugin, stated = [], [], []
    for _ in range(200):
        counts = np.bincount(rng.choice(500, size=3000, p=p), minlength=500)
        corrected.append(entropy_from_counts(counts, "grassberger"))
        plugin.append(entropy_from_counts(counts))
        stated.append(entropy_error(counts))
    error = float(np.mean(stated))
    assert abs(np.mean(corrected) - truth) < 0.25 * error
    assert np.std(corrected) == pytest.approx(error, rel=0.2)
    assert truth - np.mean(plugin) > 2 * error
    assert coverage(np.array([1, 1, 2, 4])) == pytest.approx(1 - 2 / 8)


def _lag_joint(p, rho):
    """Joint law of two tokens n apart with copy probability rho: (1 - rho) p p^T + rho diag(p)."""
    return (1 - rho) * np.outer(p, p) + rho * np.diag(p)


def test_beta_is_recovered_above_the_sampling_floor_and_biased_when_fitted_into_it():
    """Pair counts at lags 1..64 from joint laws whose covariance is rho_n (diag p - p p^T), rho_n = n^-1.2:
    ||C(n)||_op = rho_n ||diag p - p p^T||, so beta = 1.2. With 4e5 pairs per lag the spectrum meets its floor
    near n ~ 20; fitted above 3x the floor, beta is recovered within 2 standard errors (and within 0.1);
    fitted through every lag, the floor flattens it by far more."""
    rng = np.random.default_rng(1)
    V, N, beta = 20, 400_000, 1.2
    p = _zipf(V, 0.8)
    lags = np.arange(1, 65)
    sigma, floor = [], []
    for n in lags:
        counts = rng.multinomial(N, _lag_joint(p, n**-beta).ravel()).reshape(V, V)
        sigma.append(top_singular_value(counts))
        floor.append(covariance_floor(counts))
    sigma, floor = np.array(sigma), np.array(floor)
    exact = np.linalg.norm(np.diag(p) - np.outer(p, p), 2) * lags**-beta
    assert sigma[0] == pytest.approx(exact[0], rel=0.02)
    # the analytic floor is the spectrum of independent pairs, within a factor 2
    independent = [top_singular_value(rng.multinomial(N, np.outer(p, p).ravel()).reshape(V, V)) for _ in range(5)]
    assert 0.5 < np.mean(independent) / floor.mean() < 2
    fit = fit_beta(lags, sigma, floor=floor, above=3.0)
    assert fit.x.max() < 64 and np.all(sigma[: int(fit.x.max())] > 3 * floor[: int(fit.x.max())])
    assert abs(fit.exponent - beta) < max(2 * fit.error, 0.02) and abs(fit.exponent - beta) < 0.1
    naive = fit_beta(lags, sigma)
    assert beta - naive.exponent > 3 * naive.error
    with pytest.raises(InputDataError, match="only 1 lag\\(s\\) lie above 3 x the sampling floor"):
        fit_beta(lags, sigma, floor=sigma[1] / 3.0 * np.ones_like(sigma))


def test_degenerate_entropy_fits_are_refused_with_their_reason():
    n = np.arange(1, 9, dtype=np.float64)
    sound = fit_entropy_decay(n, 0.8 + 1.5 * n**-0.9)
    assert sound.ok and sound.gamma == pytest.approx(0.9, rel=1e-4) and sound.h_inf == pytest.approx(0.8, rel=1e-4)
    # a decay that never levels off (the limit would be negative): H_inf pinned at 0, refused
    falling = fit_entropy_decay(n, 2.0 - 0.3 * np.log(n) + 0.05 * n**-1)
    assert not falling.ok and "lower bound 0" in falling.refused and np.isnan(falling.gamma)
    assert falling.summary()["gamma"] != falling.summary()["gamma"] and falling.attempt["H_inf"] < 1e-6
    # no decay at all: H_inf pinned at min H_n
    flat = fit_entropy_decay(n, 1.0 + 0.001 * (n == 1))
    assert not flat.ok and ("upper bound" in flat.refused or "undetermined" in flat.refused)
    few = fit_entropy_decay(n, 1 + n**-1.0, resolved=n <= 3)
    assert not few.ok and few.refused == "an entropy-decay fit needs at least 4 resolved points, got 3"
    # a known limit: a straight line through H_n - h_inf
    known = fit_entropy_decay(n, 0.3 + 2 * n**-0.7, h_inf=0.3)
    assert known.ok and known.gamma == pytest.approx(0.7) and known.h_inf == 0.3


def test_entropy_profile_of_an_iid_corpus(tmp_path):
    """I.i.d. tokens: H_n = H_1 for every n (within errors), resolved while the n-grams are covered."""
    rng = np.random.default_rng(2)
    p = _zipf(6)
    docs = [rng.choice(6, size=500, p=p) for _ in range(200)]
    corpus = _write(tmp_path / "iid", docs, 6)
    profile = entropy_profile(corpus, 8)
    truth = -np.sum(p * np.log(p))
    assert profile.H[0] == pytest.approx(truth, abs=3 * profile.error[0])
    resolved = profile.resolved
    assert resolved[:5].all() and not resolved[5:].any()  # coverage 0.99 at n = 5, 0.90 at n = 6
    np.testing.assert_allclose(profile.H[resolved], truth, atol=0.01)
    assert np.all(profile.plugin[resolved] <= profile.H[resolved] + 1e-12)  # the correction only adds


def test_ngram_counts_map_out_of_vocabulary_words_to_one_symbol(tmp_path):
    corpus = _write(tmp_path / "c", [[0, 3, 1, 2], [2, 3]], 4)
    assert sorted(ngram_counts(corpus, 2, vocab_size=2).tolist()) == [1, 1, 1, 1]  # (0,u) (u,1) (1,u) (u,u)
    assert sorted(ngram_counts(corpus, 2, vocab_size=2, oov="drop").tolist()) == []
    assert ngram_counts(corpus, 1, vocab_size=2).sum() == 6


def test_shuffled_copy_keeps_marginals_and_lengths_and_kills_correlations(tmp_path):
    docs = [np.tile([0, 1, 2, 3], 50) for _ in range(40)]
    corpus = _write(tmp_path / "c", docs, 4)
    copy = shuffled_copy(corpus, tmp_path / "s", seed=0)
    assert copy.n_docs == corpus.n_docs and np.array_equal(copy.token_counts(), corpus.token_counts())
    spectrum = lag_spectrum_with_floor(corpus, 4, shuffled=copy)
    assert spectrum["sigma"][0] == pytest.approx(0.25, abs=0.01) and np.all(
        spectrum["shuffled"] < 3 * spectrum["floor"]
    )
