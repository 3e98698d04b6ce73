"""Pins the exponent fits of cooc.train.grammar.fits against independent computations.

Ordinary least squares against ``scipy.stats.linregress`` (slope, intercept, standard error);
the weighted fit against ``numpy.polyfit`` with weights ``1 / sigma_log`` (``sigma_log = y_err / y``)
and its error rule ``sqrt(1 / S_xx) * max(1, sqrt(chi2 / dof))`` in both regimes; inclusive
``x_min``/``x_max`` bounds and the dropping of ``y <= 0``; ``base_error``; and ``crossing`` at a
point exactly on the level and on a non-ascending grid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cooc._core.errors import InputDataError
from cooc.train.grammar.fits import crossing, exponential, power_law


def test_ordinary_fits_equal_linregress():
    rng = np.random.default_rng(11)
    x = np.geomspace(3, 3000, 7)
    y = 5.0 * x**-0.7 * np.exp(0.2 * rng.standard_normal(x.size))
    ref = stats.linregress(np.log(x), np.log(y))
    fit = power_law(x, y)
    assert fit.exponent == pytest.approx(ref.slope, rel=1e-12)
    assert fit.intercept == pytest.approx(ref.intercept, rel=1e-12)
    assert fit.error == pytest.approx(ref.stderr, rel=1e-10)
    L = np.arange(1.0, 7.0)
    g = 3.0 * 2.5**L * np.exp(0.3 * rng.standard_normal(L.size))
    ref = stats.linregress(L, np.log(g))
    e = exponential(L, g)
    assert (e.slope, e.intercept, e.error) == pytest.approx((ref.slope, ref.intercept, ref.stderr), rel=1e-10)
    assert e.base == pytest.approx(math.exp(ref.slope), rel=1e-12)
    assert e.base_error == pytest.approx(math.exp(ref.slope) * ref.stderr, rel=1e-10)


@pytest.mark.parametrize("scatter", [0.01, 3.0])  # chi2 / dof below 1 (error unscaled), and far above
def test_weighted_fit_equals_polyfit_and_its_error_rule(scatter):
    rng = np.random.default_rng(5)
    x = np.geomspace(10, 1e4, 6)
    rel = np.array([0.05, 0.1, 0.2, 0.05, 0.3, 0.1])  # relative errors: sigma of log y
    y = 2.0 * x**0.4 * np.exp(scatter * rel * rng.standard_normal(x.size))
    fit = power_law(x, y, y_err=rel * y)
    X, Y = np.log(x), np.log(y)
    (slope, intercept), cov = np.polyfit(X, Y, 1, w=1 / rel, cov="unscaled")
    assert fit.exponent == pytest.approx(slope, rel=1e-10) and fit.intercept == pytest.approx(intercept, rel=1e-9)
    chi2 = np.sum(((Y - intercept - slope * X) / rel) ** 2)
    expected = math.sqrt(cov[0, 0]) * max(1.0, math.sqrt(chi2 / (x.size - 2)))
    assert fit.error == pytest.approx(expected, rel=1e-8)
    assert (chi2 / (x.size - 2) > 1) == (scatter > 1)
    three = power_law(x[:3], y[:3], y_err=rel[:3] * y[:3])  # one degree of freedom: scaled as well
    (s3, i3), cov3 = np.polyfit(X[:3], Y[:3], 1, w=1 / rel[:3], cov="unscaled")
    chi2_3 = np.sum(((Y[:3] - i3 - s3 * X[:3]) / rel[:3]) ** 2)
    assert three.error == pytest.approx(math.sqrt(cov3[0, 0]) * max(1.0, math.sqrt(chi2_3)), rel=1e-8)
    assert (chi2_3 > 1) == (scatter > 1)
    two = power_law(x[:2], y[:2], y_err=rel[:2] * y[:2])  # no degree of freedom left: the unscaled error
    _, cov2 = np.polyfit(X[:2], Y[:2], 1, w=1 / rel[:2], cov="unscaled")
    assert two.error == pytest.approx(math.sqrt(cov2[0, 0]), rel=1e-8)


def test_bounds_are_inclusive_and_non_positive_y_is_dropped():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    y = np.array([3.0, 1.0, 7.0, 2.0, 50.0])
    inner = power_law(x, y, x_min=2.0, x_max=8.0)
    np.testing.assert_array_equal(inner.x, [2.0, 4.0, 8.0])
    assert inner.exponent == pytest.approx(stats.linregress(np.log(x[1:4]), np.log(y[1:4])).slope, rel=1e-12)
    with_zero = power_law(np.append(x, 32.0), np.append(y, 0.0))
    np.testing.assert_array_equal(with_zero.x, x)
    assert with_zero.exponent == pytest.approx(power_law(x, y).exponent, rel=1e-14)


def test_crossing_on_a_grid_point_and_on_a_bad_grid():
    assert crossing([1.0, 2.0, 3.0], [0.0, 0.5, 1.0], 0.5) == 2.0  # reaches the level exactly at x = 2
    assert crossing([1.0, 2.0, 3.0], [1.0, 0.5, 0.0], 0.5, rising=False) == 2.0
    assert crossing([1.0, 2.0], [0.0, 0.5], 0.5) == 2.0  # reached at the last grid point: inside the grid
    assert crossing([1.0, 2.0], [1.0, 0.5], 0.5, rising=False) == 2.0
    assert crossing([1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 0.2, 1.0], 0.5) == 2.0  # touching the level reaches it
    assert crossing([1.0, 2.0, 3.0], [0.0, 0.25, 1.0], 0.5) == pytest.approx(2.0 + 0.25 / 0.75, rel=1e-14)
    with pytest.raises(InputDataError, match="ascending"):
        crossing([1.0, 2.0, 2.0], [0.0, 0.4, 1.0], 0.5)
