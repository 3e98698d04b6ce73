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
    for x in ([5, float("nan"), 1, 2], [1, 2, float("inf")]):  # NaN fails every comparison: it passed as ascending
        with pytest.raises(InputDataError, match="x must be finite and ascending"):
            crossing(x, [0.9, 0.5, 0.1, 0.0][: len(x)], 0.25, rising=False)
    with pytest.raises(InputDataError):
        crossing([0.5, 0.25], [0.1, 0.9], 0.5)


def test_bad_input():
    with pytest.raises(InputDataError, match="at least 2"):
        power_law([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(InputDataError, match="distinct"):
        power_law([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert math.isnan(power_law([1.0, 2.0], [1.0, 2.0]).error)


def test_power_law_over_seeds_counts_the_spread_of_the_per_seed_exponents():
    from cooc.train.grammar.fits import power_law_over_seeds

    x = np.array([1.0, 2.0, 3.0])
    # three points exactly on a line: the least-squares error is 0, but the seeds disagree on the exponent
    seeds = np.stack([10 * x**1.8, 10 * x**2.0, 10 * x**2.4], axis=1)
    fit = power_law_over_seeds(x, 10 * x**2.0, seeds)
    assert fit["exponent"] == pytest.approx(2.0, abs=1e-12) and fit["error_fit"] == pytest.approx(0.0, abs=1e-12)
    assert fit["seed_exponents"] == pytest.approx([1.8, 2.0, 2.4], abs=1e-12)
    expected = np.std([1.8, 2.0, 2.4], ddof=1) / math.sqrt(3)
    assert fit["error_seeds"] == pytest.approx(expected, rel=1e-9) and fit["error"] == fit["error_seeds"]
    assert fit["points"] == 3
    # scatter of the averaged points larger than the seeds' spread: the least-squares error wins
    noisy = power_law_over_seeds(x, 10 * x**2.0 * np.array([1.0, 1.5, 0.8]), seeds)
    assert noisy["error"] == noisy["error_fit"] > noisy["error_seeds"]


def test_power_law_over_seeds_uses_only_the_fits_points_and_says_when_it_cannot_fit():
    from cooc.train.grammar.fits import power_law_over_seeds

    x = [1.0, 2.0, 4.0]
    y = [5.0, 20.0, float("nan")]  # the averaged curve did not cross at x = 4
    seeds = [[5.0, 5.0], [20.0, 20.0], [1e6, 80.0]]  # a seed's value there must not enter its exponent
    fit = power_law_over_seeds(x, y, seeds)
    assert fit["points"] == 2 and math.isnan(fit["error_fit"])  # two points: no least-squares error ...
    assert fit["seed_exponents"] == pytest.approx([2.0, 2.0]) and fit["error"] == pytest.approx(0.0, abs=1e-12)
    one_seed = power_law_over_seeds(x, y, [[5.0, None], [20.0, None], [80.0, None]])
    assert math.isnan(one_seed["error_seeds"]) and math.isnan(one_seed["error"])  # ... and no seeds' spread either
    assert power_law_over_seeds(x, y, seeds, min_points=3) is None
    assert power_law_over_seeds(x, [5.0, None, None], seeds) is None
    with pytest.raises(InputDataError, match="per-seed"):
        power_law_over_seeds(x, y, [[5.0], [20.0]])
