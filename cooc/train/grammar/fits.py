"""Exponent fits of the grammar studies: power laws, exponential growth and threshold crossings.

Each fit is a least-squares line in transformed coordinates with the standard error of its
slope, so a measured exponent can be compared with its theory (docs/science.md, section 6):

- :func:`power_law`: ``y = prefactor * x**exponent`` (a line in log-log). Used for P*
  against ``n_c m^L`` (theory: exponent 1) and for learning curves ``error ~ P**-alpha``
  (theory with power-law productions: ``alpha = a / (1 + a)``);
- :func:`exponential`: ``y = prefactor * base**x`` (a line in semi-log). Used for the sample
  complexity against the depth L (theory: base ``m`` for token-level learning, 1 for latent
  prediction);
- :func:`crossing`: where a measured curve first crosses a level (linear interpolation),
  e.g. the ambiguity transition;
- :func:`power_law_over_seeds`: a power law through seed-averaged points whose error also
  counts the spread of the exponents fitted to each seed's own points (a fit through three
  points has one degree of freedom left, and its least-squares error alone means little).

With per-point errors the fit is weighted (``1 / sigma**2`` in the transformed coordinate,
``sigma_log = y_err / y``), and the slope's error is the larger of the weighted-covariance
error and that error scaled by the reduced chi-square, so a scatter larger than the stated
errors widens the error bar instead of being ignored. Without them the error is the usual
standard error of an ordinary least-squares slope (it needs three points or more; with two
it is NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._core.errors import InputDataError


@dataclass
class LineFit:
    """A fitted line ``Y = intercept + slope * X`` in transformed coordinates, with the fitted points.

    Attributes
    ----------
    slope, error : float
        The slope and its standard error.
    intercept : float
    x, y : ndarray
        The points used (original coordinates).
    kind : {"power", "exponential"}
    """

    slope: float
    error: float
    intercept: float
    x: np.ndarray
    y: np.ndarray
    kind: str

    @property
    def exponent(self) -> float:
        """``d log y / d log x`` (power law) or ``d log y / d x`` (exponential)."""
        return self.slope

    @property
    def prefactor(self) -> float:
        return math.exp(self.intercept)

    @property
    def base(self) -> float:
        """``exp(slope)``: the factor by which y grows per unit of x (exponential fits)."""
        return math.exp(self.slope)

    @property
    def base_error(self) -> float:
        """Standard error of :attr:`base` (propagated: ``base * error``)."""
        return math.exp(self.slope) * self.error

    def predict(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        X = np.log(x) if self.kind == "power" else x
        return np.exp(self.intercept + self.slope * X)

    def as_dict(self) -> dict[str, float]:
        return {"exponent": self.slope, "error": self.error, "prefactor": self.prefactor}


def _line(X: np.ndarray, Y: np.ndarray, sigma: np.ndarray | None) -> tuple[float, float, float]:
    """Slope, its standard error and the intercept of a (weighted) least-squares line."""
    w = np.ones_like(X) if sigma is None else 1.0 / sigma**2
    W = w.sum()
    xm, ym = (w * X).sum() / W, (w * Y).sum() / W
    sxx = (w * (X - xm) ** 2).sum()
    if sxx <= 0:
        raise InputDataError("a line fit needs at least two distinct x values.")
    slope = (w * (X - xm) * (Y - ym)).sum() / sxx
    intercept = ym - slope * xm
    dof = X.size - 2
    chi2 = (w * (Y - intercept - slope * X) ** 2).sum()
    if sigma is None:
        error = math.sqrt(chi2 / dof / sxx) if dof > 0 else float("nan")
    else:
        error = math.sqrt(1.0 / sxx) * (max(1.0, math.sqrt(chi2 / dof)) if dof > 0 else 1.0)
    return float(slope), float(error), float(intercept)


def _select(x: Any, y: Any, y_err: Any, x_min: float | None, x_max: float | None, log_x: bool):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise InputDataError(f"x and y must be 1-D of one length, got shapes {x.shape} and {y.shape}.")
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if log_x:
        keep &= x > 0
    if x_min is not None:
        keep &= x >= x_min
    if x_max is not None:
        keep &= x <= x_max
    err = None
    if y_err is not None:
        err = np.asarray(y_err, dtype=np.float64)
        if err.shape != y.shape:
            raise InputDataError("y_err must have the shape of y.")
        keep &= np.isfinite(err) & (err > 0)
    if keep.sum() < 2:
        raise InputDataError(f"a fit needs at least 2 usable points (finite, y > 0), got {int(keep.sum())}.")
    return x[keep], y[keep], None if err is None else err[keep] / y[keep]


def power_law(x: Any, y: Any, y_err: Any = None, x_min: float | None = None, x_max: float | None = None) -> LineFit:
    """Fit ``y = prefactor * x**exponent`` by least squares of ``log y`` on ``log x``.

    Parameters
    ----------
    x, y : array-like of shape (n,)
        Points with ``x > 0`` and ``y > 0`` (others are dropped).
    y_err : array-like of shape (n,), optional
        Standard errors of ``y`` (weights; points with a zero error are dropped).
    x_min, x_max : float, optional
        Fit only ``x_min <= x <= x_max``.

    Returns
    -------
    LineFit
        ``exponent`` (the log-log slope) and its ``error``.
    """
    x, y, sigma = _select(x, y, y_err, x_min, x_max, log_x=True)
    slope, error, intercept = _line(np.log(x), np.log(y), sigma)
    return LineFit(slope, error, intercept, x, y, "power")


def exponential(x: Any, y: Any, y_err: Any = None, x_min: float | None = None, x_max: float | None = None) -> LineFit:
    """Fit ``y = prefactor * base**x`` by least squares of ``log y`` on ``x`` (``base = exp(slope)``)."""
    x, y, sigma = _select(x, y, y_err, x_min, x_max, log_x=False)
    slope, error, intercept = _line(x, np.log(y), sigma)
    return LineFit(slope, error, intercept, x, y, "exponential")


def power_law_over_seeds(x: Any, y: Any, y_seeds: Any, min_points: int = 2) -> dict[str, Any] | None:
    """:func:`power_law` through ``(x, y)`` with an error bar that also counts the seed-to-seed spread.

    ``y`` is measured on seed-averaged data (P* of the mean learning curve, say) and ``y_seeds``
    holds the same measurement on each seed's own data. The exponent is the least-squares one
    through the finite points of ``y``; its ``error`` is the larger of that fit's standard error
    (``error_fit``, NaN with two points) and ``error_seeds``: the standard error of the mean
    (sample standard deviation over ``sqrt(n)``) of the exponents fitted to each seed's own
    values at the fit's points (a seed with fewer than two finite ones there is left out; NaN
    below two seeds).

    Parameters
    ----------
    x, y : array-like of shape (n,)
    y_seeds : array-like of shape (n, S)
        ``y_seeds[i][k]``: seed ``k``'s value at ``x[i]`` (NaN or None where not measured).
    min_points : int
        Fewer finite points of ``y`` than this give None.

    Returns
    -------
    dict with ``exponent``, ``error``, ``prefactor``, ``error_fit``, ``error_seeds``,
    ``seed_exponents`` (one per seed, NaN where it had too few points) and ``points``, or None.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray([np.nan if v is None else v for v in y], dtype=np.float64)
    per_seed = np.asarray([[np.nan if v is None else v for v in row] for row in y_seeds], dtype=np.float64)
    if per_seed.ndim != 2 or per_seed.shape[0] != x.size or y.shape != x.shape:
        raise InputDataError("power_law_over_seeds: give one y and one row of per-seed values per x.")
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < max(2, min_points) or np.unique(x[ok]).size < 2:
        return None
    fit = power_law(x[ok], y[ok])
    exponents = []
    for k in range(per_seed.shape[1]):
        mine = ok & np.isfinite(per_seed[:, k]) & (per_seed[:, k] > 0)  # the fit's points only
        if mine.sum() >= 2 and np.unique(x[mine]).size >= 2:
            exponents.append(power_law(x[mine], per_seed[mine, k]).exponent)
        else:
            exponents.append(float("nan"))
    finite = np.asarray([e for e in exponents if np.isfinite(e)])
    error_seeds = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size >= 2 else float("nan")
    errors = [e for e in (fit.error, error_seeds) if np.isfinite(e)]
    return {
        **fit.as_dict(),
        "error": max(errors) if errors else float("nan"),
        "error_fit": fit.error,
        "error_seeds": error_seeds,
        "seed_exponents": [float(e) for e in exponents],
        "points": int(ok.sum()),
    }


def crossing(x: Any, y: Any, level: float, rising: bool = True) -> float:
    """The first ``x`` at which ``y`` crosses ``level`` (upwards, or downwards with ``rising=False``).

    Linear interpolation between the two points around the crossing; NaN when the curve does
    not cross inside the grid (or already starts beyond the level).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or not (np.all(np.isfinite(x)) and np.all(np.diff(x) > 0)):
        raise InputDataError("crossing: x must be finite and ascending, with one y per x.")
    beyond = (y >= level) if rising else (y <= level)
    hits = np.flatnonzero(beyond)
    if hits.size == 0 or hits[0] == 0:
        return float("nan")
    k = hits[0]
    t = (level - y[k - 1]) / (y[k] - y[k - 1])
    return float(x[k - 1] + t * (x[k] - x[k - 1]))


__all__ = ["LineFit", "crossing", "exponential", "power_law", "power_law_over_seeds"]
