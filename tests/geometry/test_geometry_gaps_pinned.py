"""More pins for cooc.geometry found by mutation testing, each checked against an independent computation.

probe: year_probe against a brute-force reference (the documented default ranks 1..min(30, n_train - 2, d),
penalties relative to the mean squared singular value of the centred training design, leave-one-out by
refitting, std(y - y_hat) / std(y) on the test words, the population std over splits); ridge_loo's choice is
the argmin of the refitted leave-one-out error.
places: a state sits at the population-weighted mean of its cities; predicted latitudes are clipped to
[-90, 90]; the null shuffles each place's (lat, lon) pair together, a fresh permutation per shuffle, and
passes the probe's parameters on.
hypernymy: classify_modes' purity is the fraction of each column's squared norm in its subspace.
kernels: a fit keeps the starting point with the smallest error (the best of the profile over sigma).
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc.geometry import places as P
from cooc.geometry.hypernymy import classify_modes
from cooc.geometry.kernels import fit_exponential_kernel
from cooc.geometry.probe import ridge_loo, year_probe


# -- probe --------------------------------------------------------------------------------------------
def _ridge(Z, y, alpha):
    """Ridge with an unpenalised intercept, by the normal equations of the centred design."""
    zm, ym = Z.mean(axis=0), y.mean()
    Zc = Z - zm
    coef = np.linalg.solve(Zc.T @ Zc + alpha * np.eye(Z.shape[1]), Zc.T @ (y - ym))
    return coef, ym - zm @ coef


def _loo_mse(Z, y, alpha):
    """Leave-one-out error by refitting without each row in turn."""
    errs = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        coef, icpt = _ridge(Z[keep], y[keep], alpha)
        errs.append(y[i] - (Z[i] @ coef + icpt))
    return float(np.mean(np.square(errs)))


def _reference_probe(X, y, ranks, n_splits, n_train, rel, seed):
    Xc = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    coords = U * s  # column signs do not matter to a ridge fit
    rng = np.random.default_rng(seed)
    errors = np.empty((n_splits, len(ranks)))
    for sp in range(n_splits):
        order = rng.permutation(len(y))
        train, test = order[:n_train], order[n_train:]
        for k, r in enumerate(ranks):
            Z = coords[train, :r]
            scale = np.mean(np.linalg.svd(Z - Z.mean(axis=0), compute_uv=False) ** 2)
            alphas = np.asarray(rel) * scale
            best = alphas[int(np.argmin([_loo_mse(Z, y[train], a) for a in alphas]))]
            coef, icpt = _ridge(Z, y[train], best)
            resid = y[test] - (coords[test, :r] @ coef + icpt)
            errors[sp, k] = np.std(resid) / np.std(y[test])
    return errors


def _noisy_line(n=30, d=8, seed=4):
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.float64)
    X = rng.normal(size=(n, d)) * [3.0, 2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.3][:d]
    X[:, 0] += 0.15 * (y - y.mean())  # a weak signal: the penalty that the leave-one-out error picks matters
    return X, y + 100.0


@pytest.mark.parametrize("alphas", [None, np.logspace(-3, 2, 11)])
def test_year_probe_equals_a_brute_force_reference(alphas):
    X, y = _noisy_line()
    curve = year_probe(X, y, n_splits=4, n_train=13, alphas=alphas, seed=3)
    ranks = np.arange(1, min(30, 13 - 2, 8) + 1)
    assert curve.ranks.tolist() == ranks.tolist() == list(range(1, 9))
    rel = np.logspace(-6, 3, 19) if alphas is None else alphas
    errors = _reference_probe(X, y, ranks, 4, 13, rel, 3)
    np.testing.assert_allclose(curve.error, errors.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(curve.error_std, errors.std(axis=0), rtol=1e-7)  # the population std (ddof 0)
    assert curve.error_std.min() > 0 and (curve.n_splits, curve.n_train) == (4, 13)


def test_year_probe_default_ranks_stop_at_30_at_n_train_minus_2_and_at_the_dimension():
    rng = np.random.default_rng(0)
    for n, d, n_train, top in [(80, 40, 60, 30), (20, 15, 12, 10), (20, 5, 12, 5)]:
        curve = year_probe(rng.normal(size=(n, d)), np.arange(n, dtype=np.float64), n_splits=1, n_train=n_train)
        assert curve.ranks.tolist() == list(range(1, top + 1)), (n, d, n_train)


def test_ridge_loo_picks_the_penalty_of_the_smallest_refitted_leave_one_out_error():
    rng = np.random.default_rng(2)
    alphas = np.logspace(-3, 3, 61)  # a fine grid: the choice moves with any error in the leave-one-out term
    for m, r in [(6, 2), (7, 3), (9, 4)]:
        X = rng.normal(size=(m, r))
        y = 0.4 * X @ rng.normal(size=r) + rng.normal(size=m) + 3.0
        loo = [_loo_mse(X, y, a) for a in alphas]
        best = int(np.argmin(loo))
        assert 0 < best < len(alphas) - 1  # an interior minimum
        coef, icpt, alpha = ridge_loo(X, y, alphas)
        assert alpha == alphas[best]
        ref_coef, ref_icpt = _ridge(X, y, alphas[best])
        assert coef == pytest.approx(ref_coef, rel=1e-9) and icpt == pytest.approx(ref_icpt, rel=1e-9)


# -- places -------------------------------------------------------------------------------------------
class _FakeGeonames:
    def get_us_states(self):
        return {"AA": {"name": "Alpha State"}, "BB": {"name": "Beta"}, "CC": {"name": "No Cities"}}

    def get_cities(self):
        rows = [
            ("US", "AA", 1000, 10.0, -100.0),
            ("US", "AA", 3000, 30.0, -80.0),
            ("CA", "AA", 10**6, 60.0, 0.0),  # another country's region AA: not the state's
            ("US", "BB", 500, 40.0, -70.0),
            ("US", "BB", 1500, 44.0, -74.0),
        ]
        return {
            str(i): {"geonameid": i, "name": f"c{i}", "countrycode": cc, "admin1code": a, "population": pop}
            | {"latitude": lat, "longitude": lon}
            for i, (cc, a, pop, lat, lon) in enumerate(rows)
        }


def test_a_state_sits_at_the_population_weighted_mean_of_its_cities(monkeypatch):
    monkeypatch.setattr(P, "_geonames", _FakeGeonames)
    states = P.load_places("us_states")
    assert states.words == ("alpha-state", "beta") and states.names == ("Alpha State", "Beta")  # no cities: left out
    # (1000 * 10 + 3000 * 30) / 4000 = 25, (1000 * -100 + 3000 * -80) / 4000 = -85; (500 * 40 + 1500 * 44) / 2000
    assert states.lat.tolist() == pytest.approx([25.0, 43.0]) and states.lon.tolist() == pytest.approx([-85.0, -73.0])
    assert states.population.tolist() == [4000.0, 2000.0]


def test_predicted_latitudes_are_clipped_to_the_poles():
    """One feature equal to the latitude, except at one place far beyond the others: its prediction passes a pole."""
    lat = np.array([60.0, 62, 64, 66, 68, 70, 72, 74, 76, 78, 80, 89])
    lon = np.linspace(-50.0, 50.0, 12)
    x = lat.copy()
    x[-1] = 200.0  # predicted about 200 degrees north
    X = x[:, None]
    south = -X  # the mirror image: about 200 degrees south
    for vectors, lats, pole in ((X, lat, 90.0), (south, -lat, -90.0)):
        probe = P.location_probe(vectors, lats, lon, n_folds=2, alphas=[1e-9], seed=0)
        assert probe.predicted[-1, 0] == pole
        assert np.all(np.abs(probe.predicted[:, 0]) <= 90.0)
        sst = np.sum((lats - lats.mean()) ** 2)
        assert probe.r2_lat == pytest.approx(1 - np.sum((lats - probe.predicted[:, 0]) ** 2) / sst)


def test_the_null_shuffles_each_places_coordinates_together_afresh_and_keeps_the_probe_settings():
    rng = np.random.default_rng(8)
    lat, lon = rng.uniform(30, 48, 18), rng.uniform(-120, -75, 18)
    X = np.column_stack([lat, lon, rng.normal(size=(18, 2))]) + rng.normal(scale=3.0, size=(18, 4))
    params = {"n_folds": 3, "alphas": [1e-3, 1.0, 1e3]}
    null = P.location_probe_null(X, lat, lon, n_shuffles=4, seed=5, **params)
    draw = np.random.default_rng(5)
    expected = []
    for _ in range(4):
        perm = draw.permutation(18)  # one permutation of the places: a place keeps its (lat, lon) pair
        probe = P.location_probe(X, lat[perm], lon[perm], **params)
        expected.append((probe.r2_lat, probe.r2_lon))
    assert np.column_stack([null.r2_lat, null.r2_lon]) == pytest.approx(np.array(expected), rel=1e-12)
    assert len(set(np.round(null.r2_lat, 12))) == 4  # four different shuffles


# -- hypernymy ----------------------------------------------------------------------------------------
def test_mode_purity_is_the_fraction_of_the_squared_norm_in_the_subspace():
    """Root 0 over leaves 1, 2: scaling modes e_0 and (e_1 + e_2)/sqrt 2, one level-0 wavelet (e_1 - e_2)/sqrt 2."""
    parent = np.array([-1, 0, 0])
    scaling = np.array([0.0, 1.0, 1.0]) / np.sqrt(2)
    wavelet = np.array([0.0, 1.0, -1.0]) / np.sqrt(2)
    columns = np.column_stack(
        [
            0.6 * np.array([1.0, 0, 0]) + 0.8 * wavelet,  # 0.36 scaling, 0.64 wavelet
            3.0 * (0.8 * np.array([1.0, 0, 0]) + 0.6 * scaling),  # all scaling, norm 3
            2.0 * (0.9 * scaling + np.sqrt(0.19) * wavelet),  # 0.81 scaling, norm 2
        ]
    )
    labels, purity = classify_modes(columns, parent)
    assert labels == [0, "scaling", "scaling"]
    assert purity == pytest.approx([0.64, 1.0, 0.81], rel=1e-12)


# -- kernels ------------------------------------------------------------------------------------------
def _best_of_profile(x, y, offset):
    """The best R^2 over a fine grid of sigma, amp and offset solved by linear least squares at each sigma."""
    sst = np.sum((y - y.mean()) ** 2)
    best = -np.inf
    for sigma in np.median(x) * np.logspace(-4, 4, 4001):
        A = np.column_stack([np.exp(-x / sigma), np.ones_like(x)]) if offset else np.exp(-x / sigma)[:, None]
        coef = np.linalg.lstsq(A, y, rcond=None)[0]
        best = max(best, 1 - np.sum((y - A @ coef) ** 2) / sst)
    return best


@pytest.mark.parametrize("offset", [True, False])
def test_a_kernel_fit_keeps_the_starting_point_with_the_smallest_error(offset):
    """Two exponentials (scales 0.3 and 40) give the one-exponential fit two local optima; starting points at
    0.1, 0.3, 1 and 3 x the median distance land in different ones, and the fit must keep the better."""
    x = np.concatenate([np.linspace(0.05, 1, 10), np.linspace(2, 100, 20)])
    y = np.exp(-x / 0.3) + 0.5 * np.exp(-x / 40)
    fit = fit_exponential_kernel(x, y, offset=offset)
    assert fit.r2 == pytest.approx(_best_of_profile(x, y, offset), abs=1e-4)  # the worse optima: 0.05 to 0.1 lower
