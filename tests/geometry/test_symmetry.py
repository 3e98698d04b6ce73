"""Symmetry tests: families, kernel fits, distance from circulant/Toeplitz, order, year probe, robustness.

Exact checks use analytic circulant/Toeplitz blocks and the latent-variable model of
``cooc.grammars.latent``; the shuffled-token corpus shows that every score falls to its
null value when the structure is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.geometry import symmetry as S
from cooc.grammars.latent import LatentVariableModel
from cooc.spectral.estimator import SpectralEmbedding

from ..latent import counted, latent_vectors

MONTHS = S.load_family("months")


def periodic_exp(delta: np.ndarray, sigma: float, period: float, images: int = 2) -> np.ndarray:
    shifts = period * np.arange(-images, images + 1)
    return np.exp(-np.abs(np.asarray(delta, dtype=float)[..., None] - shifts) / sigma).sum(-1)


# -- families ------------------------------------------------------------------------------------
def test_shipped_families():
    assert MONTHS.words[:3] == ("january", "february", "march") and len(MONTHS) == 12
    assert MONTHS.kind == "cyclic" and MONTHS.period == 12
    week = S.load_family("weekdays")
    assert len(week) == 7 and week.period == 7 and week.words[0] == "monday"
    numbers = S.load_family("numbers")
    assert numbers.kind == "linear" and numbers.words[-1] == "twenty" and numbers.positions[-1] == 19
    assert S.load_family("months-helpers").kind == "words"
    assert {"months", "weekdays", "numbers", "years"} <= set(S.list_families())


def test_years_are_generated():
    years = S.load_family("years")
    assert len(years) == 2021 - 1700 + 1 and years.words[0] == "1700" and years.words[-1] == "2021"
    assert np.array_equal(years.positions, np.arange(1700, 2022))
    probe = S.load_family("years:1900-2020")
    assert len(probe) == 121 and probe.kind == "linear"
    assert probe.words == years.between(1900, 2020).words


def test_family_file_with_positions(tmp_path):
    path = tmp_path / "decades.txt"
    path.write_text("# kind: linear\n# a comment\nsixties\t1960\nseventies\t1970\n\neighties\t1980\n")
    fam = S.load_family(path)
    assert fam.words == ("sixties", "seventies", "eighties") and list(fam.positions) == [1960, 1970, 1980]
    assert fam.present({"eighties", "sixties"}).words == ("sixties", "eighties")


def test_family_errors(tmp_path):
    with pytest.raises(InputDataError, match="unknown word family"):
        S.load_family("no-such-family")
    with pytest.raises(InvalidParameterError, match="years:START-STOP"):
        S.load_family("years:19x0")
    bad = tmp_path / "bad.txt"
    bad.write_text("# kind: spiral\na\nb\n")
    with pytest.raises(InputDataError, match="kind 'spiral'"):
        S.load_family(bad)


# -- kernel fits ----------------------------------------------------------------------------------
def test_circular_fit_recovers_exact_kernel(rng):
    amp, sigma, c = rng.uniform(0.5, 3), rng.uniform(0.7, 4), rng.uniform(-1, 1)
    x = np.arange(12.0)
    block = amp * periodic_exp(x[:, None] - x[None, :], sigma, 12) + c
    fit = S.fit_circular_kernel(block, x, 12)
    assert fit.params["amp"] == pytest.approx(amp, rel=1e-6)
    assert fit.params["sigma"] == pytest.approx(sigma, rel=1e-6)
    assert fit.params["offset"] == pytest.approx(c, abs=1e-6)
    assert fit.r2 == pytest.approx(1.0, abs=1e-10) and fit.n == 66
    assert fit(np.array([0.0, 3.0])) == pytest.approx(amp * periodic_exp(np.array([0.0, 3.0]), sigma, 12) + c)
    plain = S.fit_circular_kernel(block - c, x, 12, offset=False)
    assert plain.params["sigma"] == pytest.approx(sigma, rel=1e-6) and "offset" not in plain.params


def test_linear_fit_recovers_toeplitz_with_missing_words(rng):
    y = np.sort(rng.choice(np.arange(1800, 2000), size=60, replace=False)).astype(float)
    amp, sigma, c = 2.0, rng.uniform(5, 30), 0.3
    block = amp * np.exp(-np.abs(y[:, None] - y[None, :]) / sigma) + c
    fit = S.fit_linear_kernel(block, y)
    assert fit.params["sigma"] == pytest.approx(sigma, rel=1e-6)
    assert fit.params["amp"] == pytest.approx(amp, rel=1e-6) and fit.params["offset"] == pytest.approx(c, abs=1e-6)


def test_grouped_fit_equals_plain_curve_fit(rng):
    """The fast path (fit through per-distance means) gives the plain fit's estimates and errors."""
    x = rng.integers(0, 30, size=2000).astype(float)
    y = 2 * np.exp(-x / 5) + 0.1 + rng.normal(scale=0.3, size=x.size)
    fit = S.fit_exponential_kernel(x, y)
    # The reference is converged tightly: at curve_fit's default tolerances it stops up to ~1e-5 from the optimum.
    popt, pcov = optimize.curve_fit(
        lambda x, a, s, c: a * np.exp(-x / s) + c, x, y, p0=(1, 3, 0), xtol=1e-14, ftol=1e-14, gtol=1e-14
    )
    assert [fit.params[k] for k in ("amp", "sigma", "offset")] == pytest.approx(popt, rel=1e-5)
    assert [fit.stderr[k] for k in ("amp", "sigma", "offset")] == pytest.approx(np.sqrt(np.diag(pcov)), rel=1e-3)


def test_uncertainty_covers_truth_on_noisy_block():
    x = np.arange(12.0)
    hits = 0
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(scale=0.05, size=(12, 12))
        block = 1.5 * periodic_exp(x[:, None] - x[None, :], 2.0, 12) + (noise + noise.T) / 2
        fit = S.fit_circular_kernel(block, x, 12, offset=False)
        hits += abs(fit.params["sigma"] - 2.0) < 2 * fit.stderr["sigma"]
    assert hits >= 15  # ~95% expected for a 2-sigma interval


# -- distance from circulant / Toeplitz ---------------------------------------------------------------
def test_symmetry_residual_zero_for_circulant_and_null_for_noise(rng):
    x = np.arange(12.0)
    first = rng.normal(size=7)
    d = S.circular_distance(x[:, None] - x[None, :], 12).astype(int)
    circulant = first[d]
    res = S.symmetry_residual(circulant, x, "cyclic", 12)
    assert res.residual < 1e-12 and res.n_classes == 6
    assert res.null == pytest.approx(np.sqrt(1 - 5 / 65))
    draws = []
    for _ in range(200):
        n = rng.normal(size=(12, 12))
        draws.append(S.symmetry_residual(n + n.T, x, "cyclic", 12).residual ** 2)
    assert np.mean(draws) == pytest.approx(res.null**2, abs=0.02)


def test_toeplitz_residual_with_uneven_positions(rng):
    y = np.array([1.0, 2, 3, 5, 8, 9, 10, 14])
    block = np.cos(np.abs(y[:, None] - y[None, :]))
    assert S.symmetry_residual(block, y, "linear").residual < 1e-12
    assert S.symmetry_residual(block + rng.normal(size=block.shape), y, "linear").residual > 0.1
    with pytest.raises(InvalidParameterError, match="period"):
        S.symmetry_residual(block, y, "cyclic")


# -- order recovery ---------------------------------------------------------------------------------
def test_circle_fit_exact(rng):
    center, radius = rng.normal(size=2) * 5, rng.uniform(0.5, 3)
    t = rng.uniform(0, 2 * np.pi, size=9)
    fit = S.fit_circle(center + radius * np.column_stack([np.cos(t), np.sin(t)]))
    assert fit.center == pytest.approx(center) and fit.radius == pytest.approx(radius)
    assert fit.relative_residual < 1e-10


def test_cyclic_adjacency_and_alignment_by_hand():
    pos = np.arange(6.0)
    angles = 2 * np.pi * pos / 6
    assert S.cyclic_adjacency(angles, pos) == 1.0
    assert S.cyclic_adjacency(-angles, pos) == 1.0  # reflection
    swapped = angles[[0, 2, 1, 3, 4, 5]]  # words 1 and 2 swap places
    assert S.cyclic_adjacency(swapped, pos) == pytest.approx(4 / 6)  # order 0 2 1 3 4 5: 0-2 and 1-3 break
    assert S.angular_alignment(1.3 - angles, pos, 6) == pytest.approx(1.0)
    assert S.angular_alignment(np.zeros(6), pos, 6) == pytest.approx(0.0, abs=1e-12)


def test_fourier_block_gives_months_in_order_and_random_vectors_do_not(rng):
    x = np.arange(12.0)
    block = periodic_exp(x[:, None] - x[None, :], 1.5, 12)
    order = S.recover_order(S.eigen_embed(block, 6), MONTHS)
    assert order.scores["adjacency"] == 1.0 and order.scores["alignment"] == pytest.approx(1.0)
    assert order.circle.relative_residual < 1e-6  # images truncated at n = +-2: circulant to ~1e-8
    assert order.null["adjacency"] == pytest.approx(2 / 11, abs=0.04)
    scores = [S.recover_order(rng.normal(size=(12, 6)), MONTHS, n_null=20).scores["adjacency"] for _ in range(40)]
    assert np.mean(scores) == pytest.approx(2 / 11, abs=0.08)


def test_line_order_follows_the_arc():
    years = S.load_family("years:1900-2020")
    y = years.positions
    vectors = S.eigen_embed(np.exp(-np.abs(y[:, None] - y[None, :]) / 15), 40)
    order = S.recover_order(vectors, years)
    assert order.scores["spearman"] == pytest.approx(1.0)
    assert order.null["spearman"] < 0.2


# -- the year probe -----------------------------------------------------------------------------------
def test_ridge_loo_matches_sklearn(rng):
    from sklearn.linear_model import RidgeCV

    X = rng.normal(size=(40, 6)) * rng.uniform(0.1, 10, size=6)
    y = X @ rng.normal(size=6) + rng.normal(size=40) + 5
    alphas = np.logspace(-3, 3, 13)
    coef, intercept, alpha = S.ridge_loo(X, y, alphas)
    ref = RidgeCV(alphas=alphas).fit(X, y)
    assert alpha == ref.alpha_
    assert coef == pytest.approx(ref.coef_, rel=1e-8, abs=1e-10) and intercept == pytest.approx(ref.intercept_)


def test_projection_probe_of_a_known_kernel_is_exact():
    # K = sum_k lambda_k C_k C_k^T over the orthonormal DCT-II modes C_k(j) ~ cos(pi k (2j + 1) / 2n), lambda
    # decreasing in k. The centred line y = j has DCT coefficients proportional to cos(t_k) / sin(t_k)^2,
    # t_k = pi k / 2n, for odd k and 0 for even k, so least squares on the top r modes leaves exactly
    # error(r)^2 = sum_{odd k > r} c_k^2 / sum_{odd k} c_k^2.
    n = 41
    j, k = np.arange(n), np.arange(n)
    C = np.sqrt(2 / n) * np.cos(np.pi * np.outer(2 * j + 1, k) / (2 * n))
    C[:, 0] = 1 / np.sqrt(n)
    kernel = (C * (1.0 / (1.0 + k) ** 2)) @ C.T
    ranks = np.arange(1, 21)
    curve = S.kernel_probe(kernel, j.astype(float), ranks=ranks, protocol="all")
    t = np.pi * k / (2 * n)
    c2 = np.where(k % 2 == 1, (np.cos(t) / np.sin(np.where(k > 0, t, 1.0)) ** 2) ** 2, 0.0)
    expected = np.sqrt([c2[r + 1 :].sum() / c2[1:].sum() for r in ranks])
    np.testing.assert_allclose(curve.error, expected, rtol=1e-9, atol=1e-12)
    assert curve.n_splits == 0 and np.all(curve.error_std == 0)
    # the same kernel probed with ridge on random splits is the year probe of its eigen-embedding
    ridge = S.kernel_probe(kernel, j.astype(float), ranks=[1, 3, 5], protocol="ridge", n_splits=5, n_train=25)
    w, U = np.linalg.eigh(kernel)
    direct = S.year_probe(U[:, ::-1] * np.sqrt(w[::-1]), j.astype(float), ranks=[1, 3, 5], n_splits=5, n_train=25)
    np.testing.assert_allclose(ridge.error, direct.error, rtol=1e-9)


def test_root_kernel_line_probe_is_the_kernels_prediction_and_its_exponent_depends_on_smoothness():
    years = np.arange(1900, 2021)
    line = LatentVariableModel.root_kernel(
        geometry="line", positions=years, scale=5.0, amp=0.5, n_fillers=30, words=[str(y) for y in years]
    )
    vectors = latent_vectors(line, 60)
    for protocol in ("all", "ridge"):
        kw = {} if protocol == "all" else dict(n_splits=10, seed=1)
        predicted = S.kernel_probe(line.target_mstar, years, protocol=protocol, dim=60, **kw)
        measured = S.projection_probe(vectors, years) if protocol == "all" else S.year_probe(vectors, years, **kw)
        np.testing.assert_allclose(measured.error, predicted.error, rtol=1e-6)
    # the pure exponential: r^-1.0 by least squares on all years, r^-0.75 with 60 training years and ridge
    d = np.abs(years[:, None] - years[None, :])
    exp_all = S.kernel_probe(np.exp(-d / 5.0), years, protocol="all").slope(1, 30)
    exp_ridge = S.kernel_probe(np.exp(-d / 5.0), years, protocol="ridge", n_splits=20).slope(1, 30)
    assert exp_all == pytest.approx(-1.0, abs=0.05) and exp_ridge == pytest.approx(-0.75, abs=0.05)
    # a smoother kernel (the exponential's autoconvolution) falls faster under both protocols
    smooth = (1 + d / 5.0) * np.exp(-d / 5.0)
    assert S.kernel_probe(smooth, years, protocol="all").slope(1, 30) < exp_all - 0.3
    assert S.kernel_probe(smooth, years, protocol="ridge", n_splits=20).slope(1, 30) < exp_ridge - 0.3
    # a plane (12 x 12 grid) falls about half as fast as the line
    grid = np.arange(12) / 11
    points = np.array([(a, b) for a in grid for b in grid])
    plane = 0.5 * np.exp(-np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2)) / 0.1)
    plane_all = S.kernel_probe(plane, points[:, 0], protocol="all").slope(1, 30)
    assert exp_all / plane_all == pytest.approx(1.75, abs=0.25)


def test_year_probe_without_structure_stays_at_one(rng):
    curve = S.year_probe(rng.normal(size=(121, 30)), np.arange(1900, 2021), ranks=[1, 5, 20], n_splits=20)
    assert np.all(curve.error > 0.95)


def test_year_probe_rejects_bad_parameters(rng):
    with pytest.raises(InvalidParameterError, match="n_train"):
        S.year_probe(rng.normal(size=(30, 5)), np.arange(30.0), n_train=60)
    with pytest.raises(InvalidParameterError, match="ranks"):
        S.year_probe(rng.normal(size=(80, 5)), np.arange(80.0), ranks=[1, 9])


# -- the exact latent model --------------------------------------------------------------------------


# -- shuffled tokens: every score falls to its null ----------------------------------------------------


def test_shuffled_tokens_send_the_year_probe_to_its_null(tmp_path):
    years = S.load_family("years:1900-2020")
    model = LatentVariableModel(len(years), "line", scale=3.0, n_fillers=30, words=years.words, doc_length=20)
    errors = {}
    for shuffle in (False, True):
        emb = SpectralEmbedding("mstar", dim=40).fit(counted(model, shuffle, tmp_path, n_docs=6000)).embedding_
        curve = S.year_probe(emb[list(years.words)], years.positions, ranks=[1, 3, 10, 30], n_splits=10)
        errors[shuffle] = curve.error
    assert errors[False][2] < 0.2  # structure: the probe finds the year
    assert np.all(errors[True] > 0.9)  # shuffled: no better than predicting the mean


# -- robustness ----------------------------------------------------------------------------------------


def test_procrustes_error_is_zero_for_similar_shapes_and_one_for_a_point(rng):
    A = rng.normal(size=(10, 2))
    R = np.linalg.qr(rng.normal(size=(2, 2)))[0]
    assert S.procrustes_error(A, 3 * A @ R + 1.5) == pytest.approx(0.0, abs=1e-12)
    assert S.procrustes_error(A, np.ones((10, 2))) == 1.0


def test_distance_profile_by_hand_and_its_shuffled_null():
    # four items on a line at 0, 1, 2, 4: pairs at distances 1 (x2), 2 (x2), 3, 4
    x = np.array([0.0, 1.0, 2.0, 4.0])
    D = np.abs(x[:, None] - x[None, :])
    block = np.exp(-D)
    prof = S.distance_profile(block, D, n_shuffles=0)
    np.testing.assert_array_equal(prof.distance, [1, 2, 3, 4])
    np.testing.assert_array_equal(prof.count, [2, 2, 1, 1])
    np.testing.assert_allclose(prof.mean, np.exp(-np.array([1.0, 2, 3, 4])))
    assert np.isnan(prof.null_mean).all()
    # shuffling the labels: every class mean averages to the mean entry over all permutations
    many = S.distance_profile(block, D, n_shuffles=4000, seed=1)
    off = block[np.triu_indices(4, 1)].mean()
    np.testing.assert_allclose(many.null_mean, off, rtol=0.03)
    binned = S.distance_profile(block, D, bins=[0, 1.5, 5], n_shuffles=0)
    np.testing.assert_allclose(binned.distance, [1.0, 2.75])  # mean distance in each bin
    np.testing.assert_allclose(binned.mean, [np.exp(-1.0), np.mean(np.exp(-np.array([2.0, 2, 3, 4])))])
    with pytest.raises(InvalidParameterError, match="must be n x n"):
        S.distance_profile(block, D[:3, :3])


def test_distance_profile_leaves_out_pairs_outside_the_bin_edges(rng):
    x = np.array([0.0, 4.0, 10.0, 15.0, 30.0, 40.0, 75.0])
    D = np.abs(x[:, None] - x[None, :])  # distances 4 .. 75, among them 10, 20 and 30 exactly
    block = rng.normal(size=(7, 7))
    block = block + block.T
    edges = [10.0, 20.0, 30.0]  # [10, 20) and [20, 30], the last bin closed as in np.histogram
    prof = S.distance_profile(block, D, bins=edges, n_shuffles=0)
    i, j = np.triu_indices(7, 1)
    d, b = D[i, j], block[i, j]
    bins = [(d >= 10) & (d < 20), (d >= 20) & (d <= 30)]
    counts, _ = np.histogram(d, bins=edges)
    np.testing.assert_array_equal(prof.count, counts)
    np.testing.assert_array_equal(prof.count, [m.sum() for m in bins])
    assert prof.count.sum() < len(d) and (d == 10).any() and (d == 30).any()  # pairs outside, and on both ends
    np.testing.assert_allclose(prof.distance, [d[m].mean() for m in bins])
    np.testing.assert_allclose(prof.mean, [b[m].mean() for m in bins])
    # the shuffled null relabels the items but keeps the in-range pairs only
    null = S.distance_profile(block, D, bins=edges, n_shuffles=3, seed=4)
    keep = (d >= 10) & (d <= 30)
    cls = (d[keep] >= 20).astype(int)
    draws = []
    shuffles = np.random.default_rng(4)
    for _ in range(3):
        perm = shuffles.permutation(7)
        draws.append(np.bincount(cls, weights=block[perm[i[keep]], perm[j[keep]]]) / np.bincount(cls))
    np.testing.assert_allclose(null.null_mean, np.mean(draws, axis=0))
    with pytest.raises(InvalidParameterError, match="increasing"):
        S.distance_profile(block, D, bins=[30.0, 10.0])
    with pytest.raises(InputDataError, match="within the bin edges"):
        S.distance_profile(block, D, bins=[100.0, 200.0])
