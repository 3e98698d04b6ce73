"""Linear probes on principal components: the year probe (ridge with an exact leave-one-out penalty).

docs/science.md, section 4: years 1900-2020, top-r principal components, ridge regression,
100 random splits with 60 training years, error std(y - y_hat) / std(y) against r
(theory: ~1/r for a 1D latent, ~1/sqrt(r) for 2D).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, validate


def principal_coordinates(vectors: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the centred rows on their top principal components.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    n_components : int

    Returns
    -------
    coords : ndarray of shape (n, k)
        k = min(n_components, n, d); each column's largest-magnitude entry is positive.
    explained : ndarray of shape (k,)
        Fraction of the total variance on each component.
    """
    X = np.asarray(vectors, dtype=np.float64)
    X = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    k = min(n_components, len(s))
    coords = U[:, :k] * s[:k]
    signs = np.sign(coords[np.argmax(np.abs(coords), axis=0), np.arange(k)])
    coords *= np.where(signs == 0, 1.0, signs)
    total = float(np.sum(s**2))
    return coords, (s[:k] ** 2 / total) if total > 0 else np.zeros(k)


def ridge_loo(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Ridge with an unpenalised intercept, penalty chosen by exact leave-one-out error.

    Parameters
    ----------
    X : ndarray of shape (m, r)
    y : ndarray of shape (m,)
    alphas : ndarray of shape (A,)
        Candidate penalties (absolute).

    Returns
    -------
    coef : ndarray of shape (r,)
    intercept : float
    alpha : float
        The penalty with the smallest leave-one-out mean squared error (first on ties).
    """
    m = len(y)
    xm, ym = X.mean(axis=0), y.mean()
    U, s, Vt = np.linalg.svd(X - xm, full_matrices=False)
    uy = U.T @ (y - ym)
    shrink = s**2 / (s**2 + alphas[:, None])  # (A, k)
    fitted = (shrink * uy) @ U.T  # (A, m), centred
    hat = (U**2) @ shrink.T  # (m, A)
    loo = ((y - ym) - fitted) / (1.0 - hat.T - 1.0 / m)
    best = int(np.argmin(np.mean(loo**2, axis=1)))
    coef = Vt.T @ (s / (s**2 + alphas[best]) * uy)
    return coef, float(ym - xm @ coef), float(alphas[best])


@dataclass
class ProbeCurve:
    """Normalised error of the year probe against the number r of principal components.

    Attributes
    ----------
    ranks : ndarray of shape (R,)
    error : ndarray of shape (R,)
        Mean over splits of std(y - y_hat) / std(y) on the held-out words.
    error_std : ndarray of shape (R,)
        Standard deviation of that error over splits.
    n_splits, n_train : int
    """

    ranks: np.ndarray
    error: np.ndarray
    error_std: np.ndarray
    n_splits: int
    n_train: int

    def slope(self, r_min: int = 1, r_max: int | None = None) -> float:
        """Least-squares slope of log error against log r over ``r_min <= r <= r_max``."""
        return loglog_slope(self.ranks, self.error, r_min, r_max)


def loglog_slope(x: np.ndarray, y: np.ndarray, x_min: float = 0, x_max: float | None = None) -> float:
    """Slope of log y against log x for ``x_min <= x <= x_max`` (theory: -1 for a line, -1/2 for a plane)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = (x >= x_min) & (x <= (np.inf if x_max is None else x_max)) & (x > 0) & (y > 0)
    if keep.sum() < 2:
        raise InputDataError("a log-log slope needs at least two positive points in range.")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def year_probe(
    vectors: np.ndarray,
    values: np.ndarray,
    ranks: Sequence[int] | None = None,
    n_splits: int = 100,
    n_train: int = 60,
    alphas: Sequence[float] | None = None,
    seed: int = 0,
) -> ProbeCurve:
    """Ridge regression from the top r principal components of the vectors to the values.

    For each r and each of ``n_splits`` random splits (``n_train`` words to train, the rest
    to test) the penalty is chosen by exact leave-one-out error on the training words, and
    the error is std(y - y_hat) / std(y) on the test words (docs/science.md, section 4: years
    1900-2020, 60 training years, 100 splits).

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        One row per word (years 1900-2020 in the papers).
    values : ndarray of shape (n,)
        The quantity to predict (the year).
    ranks : sequence of int, optional
        Numbers of components r to try (default 1..min(30, n_train - 2, d)).
    alphas : sequence of float, optional
        Penalties relative to the mean squared singular value of the training design
        (default ``logspace(-6, 3, 19)``), so one grid suits any embedding scale.
    """
    X = np.asarray(vectors, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    validate(
        {"n_splits": n_splits, "n_train": n_train},
        {"n_splits": Interval(int, 1, None), "n_train": Interval(int, 3, n - 2)},
        "year_probe",
    )
    coords, _ = principal_coordinates(X, min(X.shape))
    r_max = coords.shape[1]
    ranks = np.arange(1, min(30, n_train - 2, r_max) + 1) if ranks is None else np.asarray(ranks, dtype=np.int64)
    if ranks.min() < 1 or ranks.max() > r_max:
        raise InvalidParameterError(f"year_probe: ranks must lie in [1, {r_max}], got {ranks.min()}..{ranks.max()}.")
    rel = np.logspace(-6, 3, 19) if alphas is None else np.asarray(alphas, dtype=np.float64)
    rng = np.random.default_rng(seed)
    errors = np.empty((n_splits, len(ranks)))
    for s in range(n_splits):
        order = rng.permutation(n)
        train, test = order[:n_train], order[n_train:]
        for k, r in enumerate(ranks):
            Xtr = coords[train, :r]
            scale = float(np.mean((Xtr - Xtr.mean(axis=0)) ** 2)) * n_train or 1.0
            coef, icpt, _ = ridge_loo(Xtr, y[train], rel * scale)
            resid = y[test] - (coords[test, :r] @ coef + icpt)
            errors[s, k] = np.std(resid) / np.std(y[test])
    return ProbeCurve(ranks, errors.mean(axis=0), errors.std(axis=0), n_splits, n_train)
