"""Pins for cooc.geometry.probe and cooc.geometry.places left open by mutation testing, each checked against an
independent computation.

probe: ridge_loo returns the first penalty when several tie on the leave-one-out error (its docstring).
places: location_probe against a brute-force reference (folds of the seeded permutation, penalties relative to the
mean squared singular value of the centred training design, each chosen by refitted leave-one-out error on the
training fold, latitudes clipped to the poles, out-of-fold R^2, great-circle errors).
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc.geometry.places import location_probe
from cooc.geometry.probe import ridge_loo

from .test_geometry_gaps_pinned import _loo_mse, _ridge

EARTH_RADIUS_KM = 6371.0088


# -- probe --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["constant values", "constant design"])
def test_ridge_loo_takes_the_first_penalty_when_the_leave_one_out_errors_tie(case):
    """Constant values (or a design with no variance) make every penalty's leave-one-out error the same."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(9, 3))
    y = rng.normal(size=9) + 2.0
    if case == "constant values":
        y = np.full(9, 2.5)
    else:
        X = np.tile(rng.normal(size=3), (9, 1))
    alphas = np.array([10.0, 0.1, 1000.0, 1.0])  # unsorted: "first" is the position in the grid
    loo = np.array([_loo_mse(X, y, a) for a in alphas])
    assert np.all(loo == loo[0])  # an exact tie
    coef, icpt, alpha = ridge_loo(X, y, alphas)
    assert alpha == alphas[int(np.argmin(loo))]
    ref_coef, ref_icpt = _ridge(X, y, alpha)
    assert coef == pytest.approx(ref_coef, abs=1e-12) and icpt == pytest.approx(ref_icpt, rel=1e-12)


# -- places -------------------------------------------------------------------------------------------
def _great_circle_km(lat1, lon1, lat2, lon2):
    """The chord between the unit vectors of the two points, turned into an arc."""

    def unit(lat, lon):
        la, lo = np.radians(lat), np.radians(lon)
        return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)

    chord = np.linalg.norm(unit(lat1, lon1) - unit(lat2, lon2), axis=-1)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0))


def _reference_location_probe(X, lat, lon, n_folds, rel, seed):
    Y = np.column_stack([lat, lon])
    n = len(Y)
    folds = np.array_split(np.random.default_rng(seed).permutation(n), n_folds)
    pred = np.empty_like(Y)
    for test in folds:
        train = np.array([i for i in range(n) if i not in set(test.tolist())])
        Z = X[train]
        scale = np.mean(np.linalg.svd(Z - Z.mean(axis=0), compute_uv=False) ** 2)
        for c in range(2):
            alphas = np.asarray(rel) * scale
            best = alphas[int(np.argmin([_loo_mse(Z, Y[train, c], a) for a in alphas]))]
            coef, icpt = _ridge(Z, Y[train, c], best)
            pred[test, c] = X[test] @ coef + icpt
    pred[:, 0] = np.minimum(np.maximum(pred[:, 0], -90.0), 90.0)
    r2 = [1 - np.sum((Y[:, c] - pred[:, c]) ** 2) / np.sum((Y[:, c] - Y[:, c].mean()) ** 2) for c in range(2)]
    return pred, r2, _great_circle_km(lat, lon, pred[:, 0], pred[:, 1])


@pytest.mark.parametrize("alphas", [None, np.logspace(-3, 2, 11)])
def test_location_probe_equals_a_brute_force_reference(alphas):
    """A weak, noisy signal: the penalty chosen in each training fold (on the right scale) changes the predictions."""
    rng = np.random.default_rng(21)
    n, d = 18, 6
    lat, lon = rng.uniform(20, 70, n), rng.uniform(-120, 40, n)
    X = rng.normal(size=(n, d)) * np.array([3.0, 2.0, 1.5, 1.0, 0.7, 0.5])
    X[:, 0] += 0.05 * (lat - lat.mean())
    X[:, 1] += 0.02 * (lon - lon.mean())
    probe = location_probe(X, lat, lon, n_folds=3, alphas=alphas, seed=4)
    rel = np.logspace(-6, 3, 19) if alphas is None else alphas
    pred, (r2_lat, r2_lon), err = _reference_location_probe(X, lat, lon, 3, rel, 4)
    np.testing.assert_allclose(probe.predicted, pred, rtol=1e-9)
    assert (probe.r2_lat, probe.r2_lon) == pytest.approx((r2_lat, r2_lon), rel=1e-9)
    np.testing.assert_allclose(probe.error_km, err, rtol=1e-7)
    assert probe.n_folds == 3
