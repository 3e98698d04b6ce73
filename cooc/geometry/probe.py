"""Linear probes on principal components: the year probe, and the probe curve a kernel predicts.

docs/science.md, section 4: years 1900-2020, top-r principal components, ridge regression,
100 random splits with 60 training years, error std(y - y_hat) / std(y) against r
(theory: ~1/r for a 1D latent, ~1/sqrt(r) for 2D).

The exponent is not universal: it depends on the kernel's smoothness and on the protocol.
:func:`kernel_probe` computes the curve a given kernel predicts, with no sampling: the
kernel's eigen-embedding (whose Gram matrix is the kernel) probed under either protocol.
Least squares on *all* words (``protocol="all"``, :func:`projection_probe`) is exact and
deterministic: the error is the part of the centred values outside the top r principal
components. On 121 years an exponential Toeplitz kernel of scale 5 gives about r^-1.0 that
way and r^-0.75 with 60 training years and ridge; a smoother kernel (the autoconvolution of
an exponential, a Gaussian) falls faster, r^-1.4 to -1.6 on all years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, OneOf, validate


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


def _probe_inputs(vectors: np.ndarray, values: np.ndarray, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` (n, d) and ``values`` (n,) as float64, one value per vector, all finite.

    Values of shape (n, 1) (a column) are read as shape (n,); any other shape is refused.
    """
    X = np.asarray(vectors, dtype=np.float64)
    if X.ndim != 2:
        raise InputDataError(f"{owner}: 'vectors' must have shape (n, d), got shape {X.shape}.")
    n = X.shape[0]
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 2 and y.shape == (n, 1):
        y = y[:, 0]
    if y.ndim != 1:
        raise InputDataError(f"{owner}: 'values' must have shape ({n},), one per vector, got shape {y.shape}.")
    if len(y) != n:
        raise InputDataError(f"{owner}: {n} vectors for {len(y)} values; they must match.")
    for name, array in (("vectors", X), ("values", y)):
        bad = np.flatnonzero(~np.isfinite(array).reshape(n, -1).all(axis=1))
        if bad.size:
            raise InputDataError(
                f"{owner}: '{name}' hold NaN or infinite values in {bad.size} of {n} rows (the first: row {bad[0]})."
            )
    return X, y


def _ranks(ranks: Sequence[int], r_max: int, owner: str) -> np.ndarray:
    """``ranks`` as int64, refused unless a non-empty sequence of whole numbers in [1, r_max]."""
    given = np.asarray(ranks)
    whole = given.ndim == 1 and given.size > 0 and np.issubdtype(given.dtype, np.number)
    whole = whole and not np.issubdtype(given.dtype, np.bool_) and bool(np.all(np.mod(given, 1) == 0))
    if not whole:
        raise InvalidParameterError(
            f"{owner}: parameter 'ranks' must be a non-empty sequence of integers in [1, {r_max}], got {ranks!r}."
        )
    rs = given.astype(np.int64)
    if rs.min() < 1 or rs.max() > r_max:
        raise InvalidParameterError(f"{owner}: ranks must lie in [1, {r_max}], got {rs.min()}..{rs.max()}.")
    return rs


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
        The quantity to predict (the year); shape (n, 1) is read as (n,).
    ranks : sequence of int, optional
        Numbers of components r to try (default 1..min(30, n_train - 2, d)), at least one.
    alphas : sequence of float, optional
        Penalties relative to the mean squared singular value of the training design
        (default ``logspace(-6, 3, 19)``), so one grid suits any embedding scale.
    """
    X, y = _probe_inputs(vectors, values, "year_probe")
    n = len(y)
    validate(
        {"n_splits": n_splits, "n_train": n_train},
        {"n_splits": Interval(int, 1, None), "n_train": Interval(int, 3, n - 2)},
        "year_probe",
    )
    coords, _ = principal_coordinates(X, min(X.shape))
    r_max = coords.shape[1]
    rs = np.arange(1, min(30, n_train - 2, r_max) + 1) if ranks is None else _ranks(ranks, r_max, "year_probe")
    rel = np.logspace(-6, 3, 19) if alphas is None else np.asarray(alphas, dtype=np.float64)
    rng = np.random.default_rng(seed)
    errors = np.empty((n_splits, len(rs)))
    for s in range(n_splits):
        order = rng.permutation(n)
        train, test = order[:n_train], order[n_train:]
        for k, r in enumerate(rs):
            Xtr = coords[train, :r]
            scale = float(np.mean((Xtr - Xtr.mean(axis=0)) ** 2)) * n_train or 1.0
            coef, icpt, _ = ridge_loo(Xtr, y[train], rel * scale)
            resid = y[test] - (coords[test, :r] @ coef + icpt)
            errors[s, k] = np.std(resid) / np.std(y[test])
    return ProbeCurve(rs, errors.mean(axis=0), errors.std(axis=0), n_splits, n_train)


def projection_probe(vectors: np.ndarray, values: np.ndarray, ranks: Sequence[int] | None = None) -> ProbeCurve:
    """Least squares on all the words from their top r principal components: the exact, split-free probe.

    The error is ``||y_c - P_r y_c|| / ||y_c||`` with ``y_c`` the centred values and ``P_r`` the
    projection on the top r principal components of the centred vectors (equal to
    std(y - y_hat) / std(y) of the fit with an intercept).

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    values : ndarray of shape (n,)
        Shape (n, 1) is read as (n,).
    ranks : sequence of int, optional
        Default 1..min(30, number of components).

    Returns
    -------
    ProbeCurve
        ``error_std`` is zero, ``n_splits`` 0 and ``n_train`` n.
    """
    X, y = _probe_inputs(vectors, values, "projection_probe")
    if len(y) < 3:
        raise InputDataError(f"projection_probe: need one vector per value (at least 3), got {X.shape} and {y.shape}.")
    X = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    U = U[:, s > s.max() * 1e-12] if s.size and s.max() > 0 else U[:, :0]
    r_max = U.shape[1]
    r = np.arange(1, min(30, r_max) + 1) if ranks is None else _ranks(ranks, r_max, "projection_probe")
    if r.size == 0:
        raise InvalidParameterError(f"projection_probe: the centred vectors have no component (rank {r_max}).")
    yc = y - y.mean()
    captured = np.cumsum((U.T @ yc) ** 2) / float(yc @ yc)
    error = np.sqrt(np.clip(1.0 - captured[r - 1], 0.0, None))
    return ProbeCurve(r, error, np.zeros(len(r)), 0, len(y))


PROTOCOLS = ("all", "ridge")


def kernel_probe(
    kernel: np.ndarray,
    values: np.ndarray,
    ranks: Sequence[int] | None = None,
    protocol: str = "ridge",
    dim: int | None = None,
    **probe_params: object,
) -> ProbeCurve:
    """The probe curve that a kernel predicts, with no sampling.

    The kernel's eigen-embedding ``W = U |Lambda|^(1/2)`` (its top ``dim`` eigenpairs by
    |eigenvalue|, all by default) has Gram matrix ``K`` (up to the signs of negative
    eigenvalues): it is the embedding a spectral method gives when the target's block is
    exactly ``K``. It is probed with :func:`year_probe` (``protocol="ridge"``: random splits,
    ridge, the papers' protocol; same seed, same splits as a sampled embedding's probe) or
    :func:`projection_probe` (``protocol="all"``: least squares on all words, exact).

    Parameters
    ----------
    kernel : ndarray of shape (n, n)
        Symmetric (the M* block of the family, e.g. ``amp * exp(-|dy| / sigma) + c``).
    values : ndarray of shape (n,)
    ranks : sequence of int, optional
    protocol : {"all", "ridge"}
    dim : int, optional
        Eigenpairs kept (the embedding dimension K).
    **probe_params
        Passed to :func:`year_probe` (``n_splits``, ``n_train``, ``seed``, ``alphas``).
    """
    validate({"protocol": protocol}, {"protocol": OneOf(PROTOCOLS)}, "kernel_probe")
    K = np.asarray(kernel, dtype=np.float64)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape[0] != len(values):
        raise InputDataError(f"kernel_probe: kernel of shape {K.shape} for {len(values)} values.")
    w, U = np.linalg.eigh((K + K.T) / 2)
    order = np.argsort(-np.abs(w), kind="stable")[: dim or len(w)]
    W = U[:, order] * np.sqrt(np.abs(w[order]))
    if protocol == "all":
        return projection_probe(W, values, ranks)
    return year_probe(W, values, ranks=ranks, **probe_params)  # type: ignore[arg-type]
