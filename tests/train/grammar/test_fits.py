"""Exponent fits recover known exponents of synthetic curves, with honest error bars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc._core.errors import InputDataError
from cooc.train.grammar.fits import crossing, exponential, power_law


def test_power_law_is_exact_on_an_exact_power_law():
    x = np.geomspace(32, 512, 5)
    fit = power_law(x, 2.5 * x**1.0)
    assert fit.exponent == pytest.approx(1.0, abs=1e-12) and fit.prefactor == pytest.approx(2.5, rel=1e-12)
    assert fit.error == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(fit.predict(x), 2.5 * x, rtol=1e-12)
    decay = power_law(x, 3.0 * x ** -(0.5 / 1.5))  # a learning curve with a = 0.5: exponent -a / (1 + a)
    assert decay.exponent == pytest.approx(-1 / 3, abs=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_power_law_errors_cover_the_true_exponent(weighted):
    # noisy curves with a known exponent: the fitted value lies within 2 errors about 95% of the time
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e4, 8)
    sigma = 0.1 * np.ones_like(x)
    inside, errors = 0, []
    for _ in range(400):
        y = 7.0 * x**-0.6 * np.exp(sigma * rng.standard_normal(x.size))
        fit = power_law(x, y, y_err=sigma * y if weighted else None)
        errors.append(fit.error)
        inside += abs(fit.exponent + 0.6) < 2 * fit.error
    expected_error = 0.1 / math.sqrt(np.sum((np.log(x) - np.log(x).mean()) ** 2))
    assert 0.88 < inside / 400 <= 1.0
    assert np.median(errors) == pytest.approx(expected_error, rel=0.25)


def test_weighted_fit_follows_the_precise_points_and_widens_with_excess_scatter():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    y = np.array([1.0, 2.0, 4.0, 20.0])  # the last point is off the line y = x ...
    err = np.array([0.01, 0.02, 0.04, 20.0])  # ... but carries a huge error
    assert power_law(x, y, y_err=err).exponent == pytest.approx(1.0, abs=0.01)
    tight = power_law(x, y, y_err=np.full(4, 1e-3) * y)
    assert tight.error > 0.1  # chi-square far above its dof: the error is scaled up, not 1e-3


def test_exponential_recovers_the_growth_per_level():
    L = np.array([2, 3, 4, 5])
    fit = exponential(L, 40 * 4.0**L)
    assert fit.base == pytest.approx(4.0, rel=1e-12) and fit.prefactor == pytest.approx(40, rel=1e-12)
    flat = exponential(L, np.array([100.0, 110.0, 95.0, 105.0]))
    assert abs(flat.base - 1) < 2 * flat.base_error + 0.05
    np.testing.assert_allclose(fit.predict([6]), [40 * 4.0**6], rtol=1e-12)


def test_crossing_interpolates_and_reports_nan_outside_the_grid():
    f = [0.25, 0.375, 0.5]
    assert crossing(f, [0.1, 0.3, 0.7], 0.5) == pytest.approx(0.375 + 0.125 * 0.5, abs=1e-12)
    assert crossing([1, 2, 4], [0.9, 0.5, 0.0], 0.25, rising=False) == pytest.approx(3.0)
    assert math.isnan(crossing(f, [0.1, 0.2, 0.3], 0.5)) and math.isnan(crossing(f, [0.6, 0.7, 0.8], 0.5))
    with pytest.raises(InputDataError):
        crossing([0.5, 0.25], [0.1, 0.9], 0.5)


def test_bad_input():
    with pytest.raises(InputDataError, match="at least 2"):
        power_law([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(InputDataError, match="distinct"):
        power_law([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert math.isnan(power_law([1.0, 2.0], [1.0, 2.0]).error)
