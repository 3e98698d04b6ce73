"""Translation-symmetric kernels: fits with standard errors, and the distance of a block from circulant/Toeplitz.

A family's block of a target (M* by default) should depend only on the difference of
positions (docs/science.md, section 4): on a circle ``amp * sum_n exp(-|x - P n| / sigma)``, on
a line ``amp * exp(-|dy| / sigma) + c``. The same exponential fit serves places (great
circle distance) and trees (tree distance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from scipy import optimize

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, OneOf, validate
from .families import Family


# -- pairs of a block -----------------------------------------------------------------------
def _pairs(block: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed position differences and values of the entries above the diagonal."""
    block = np.asarray(block, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    n = len(positions)
    if block.shape != (n, n):
        raise InvalidParameterError(f"block of shape {block.shape} for {n} positions; expected ({n}, {n}).")
    if n < 3:
        raise InputDataError(f"a family needs at least 3 words in the vocabulary, got {n}.")
    i, j = np.triu_indices(n, k=1)
    return positions[i] - positions[j], block[i, j]


def circular_distance(delta: np.ndarray, period: float) -> np.ndarray:
    """Distance along a circle of length ``period``: min(|d| mod P, P - |d| mod P)."""
    d = np.mod(np.abs(delta), period)
    return np.minimum(d, period - d)


# -- kernel fits ------------------------------------------------------------------------------
@dataclass
class KernelFit:
    """A fitted translation kernel.

    Attributes
    ----------
    model : str
        "circular", "linear" or "exponential".
    params : dict of str to float
        ``amp``, ``sigma`` and (when fitted) ``offset``.
    stderr : dict of str to float
        One standard error per parameter, from the least-squares covariance scaled by
        the residual variance (entries are treated as independent; nan when undetermined).
    r2 : float
        Coefficient of determination over the fitted entries.
    n : int
        Number of entries fitted (pairs above the diagonal).
    period : float or None
    n_images : int
    """

    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    r2: float
    n: int
    period: float | None = None
    n_images: int = 0

    def __call__(self, distance: Any) -> np.ndarray:
        """Kernel value at position difference(s) ``distance``."""
        x = np.asarray(distance, dtype=np.float64)
        p = self.params
        if self.model == "circular":
            period = cast(float, self.period)  # a circular fit always has its period
            return _circular(x, p["amp"], p["sigma"], period=period, n_images=self.n_images) + p.get("offset", 0.0)
        return p["amp"] * np.exp(-np.abs(x) / p["sigma"]) + p.get("offset", 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            **self.params,
            **{f"{k}_stderr": v for k, v in self.stderr.items()},
            "r2": self.r2,
            "n": self.n,
        }


def _circular(x: np.ndarray, amp: float, sigma: float, period: float, n_images: int) -> np.ndarray:
    shifts = period * np.arange(-n_images, n_images + 1)
    return amp * np.exp(-np.abs(x[..., None] - shifts) / sigma).sum(axis=-1)


def _least_squares(
    model: Callable,
    x: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    starts: Sequence[Sequence[float]],
    bounds: tuple[list[float], list[float]],
) -> tuple[np.ndarray, np.ndarray, float]:
    """Best of several bounded curve fits; returns parameters, their standard errors and R^2.

    Entries sharing a distance are fitted through their mean weighted by their number
    (the same least-squares problem, far fewer points); the standard errors use the
    residual variance of all the entries, s^2 (J^T W J)^-1 with s^2 = SSE / (m - p).
    """
    ux, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    ybar = np.bincount(inv, weights=y) / cnt
    best = None
    for p0 in starts:
        try:
            popt, pcov = optimize.curve_fit(
                model, ux, ybar, p0=p0, sigma=1 / np.sqrt(cnt), absolute_sigma=True, bounds=bounds, maxfev=20000
            )
        except (RuntimeError, ValueError):
            continue
        sse = float(np.sum((y - model(x, *popt)) ** 2))
        if best is None or sse < best[2]:
            best = (popt, pcov, sse)
    if best is None:
        raise InputDataError(f"the kernel fit of {list(names)} did not converge on {len(y)} entries.")
    popt, pcov, sse = best
    sst = float(np.sum((y - y.mean()) ** 2))
    dof = max(len(y) - len(popt), 1)
    with np.errstate(invalid="ignore"):
        err = np.sqrt(np.diag(pcov) * sse / dof) if np.all(np.isfinite(pcov)) else np.full(len(popt), np.nan)
    return popt, err, (1.0 - sse / sst) if sst > 0 else float("nan")


def _sigma_starts(scale: float) -> list[float]:
    return [scale * f for f in (0.1, 0.3, 1.0, 3.0)]


def fit_circular_kernel(
    block: np.ndarray, positions: np.ndarray, period: float, n_images: int = 2, offset: bool = True
) -> KernelFit:
    """Fit ``amp * sum_{n=-N..N} exp(-|x - P n| / sigma) (+ offset)`` to a cyclic family's block.

    Parameters
    ----------
    block : ndarray of shape (n, n)
        Symmetric target block (M* by default); the diagonal is not fitted.
    positions : ndarray of shape (n,)
        Position of each word on the circle (0..11 for months).
    period : float
        Length P of the circle.
    n_images : int
        N, the periodic images summed on each side (2 in the papers).
    offset : bool
        Fit a constant as well. M*, PMI and log M blocks sit at a level set by how the
        family's words co-occur with everything else (negative for distant months in
        the latent model); ``offset=False`` is the papers' form without it.
    """
    validate(
        {"period": period, "n_images": n_images},
        {"period": Interval(float, 0, None, closed="neither"), "n_images": Interval(int, 0, 50)},
        "fit_circular_kernel",
    )
    x, y = _pairs(block, positions)
    lo_sigma = 1e-3 * period / max(len(positions), 1)
    span = float(np.ptp(y)) or float(np.max(np.abs(y))) or 1.0
    model: Callable[..., Any]
    starts: list[tuple[float, ...]]
    names: tuple[str, ...]
    if offset:
        model = lambda x, amp, sigma, c: _circular(x, amp, sigma, period, n_images) + c  # noqa: E731
        starts = [(span, s, float(np.min(y))) for s in _sigma_starts(period / 4)]
        bounds = ([-np.inf, lo_sigma, -np.inf], [np.inf, 1e3 * period, np.inf])
        names = ("amp", "sigma", "offset")
    else:
        model = lambda x, amp, sigma: _circular(x, amp, sigma, period, n_images)  # noqa: E731
        amp0 = float(np.max(np.abs(y))) or 1.0
        starts = [(np.sign(y.mean()) * amp0 or amp0, s) for s in _sigma_starts(period / 4)]
        bounds = ([-np.inf, lo_sigma], [np.inf, 1e3 * period])
        names = ("amp", "sigma")
    popt, err, r2 = _least_squares(model, x, y, names, starts, bounds)
    return KernelFit(
        "circular",
        {k: float(v) for k, v in zip(names, popt)},
        {k: float(v) for k, v in zip(names, err)},
        r2,
        len(y),
        float(period),
        n_images,
    )


def fit_exponential_kernel(
    distance: np.ndarray, value: np.ndarray, offset: bool = True, model: str = "exponential"
) -> KernelFit:
    """Fit ``amp * exp(-d / sigma) (+ offset)`` to values against distances (pairs of words).

    Parameters
    ----------
    distance : ndarray of shape (m,)
        Non-negative distances (year difference, kilometres, tree distance).
    value : ndarray of shape (m,)
        Kernel values (target entries or Gram entries) of the same pairs.
    offset : bool
        Fit a constant ``offset`` as well.
    """
    x = np.abs(np.asarray(distance, dtype=np.float64).ravel())
    y = np.asarray(value, dtype=np.float64).ravel()
    if x.shape != y.shape or len(y) < 3:
        raise InputDataError(f"need matching distances and values with at least 3 pairs, got {x.shape} and {y.shape}.")
    scale = float(np.median(x[x > 0])) if np.any(x > 0) else 1.0
    span = float(np.ptp(y)) or 1.0
    f: Callable[..., Any]
    starts: list[tuple[float, ...]]
    names: tuple[str, ...]
    if offset:
        f = lambda x, amp, sigma, c: amp * np.exp(-x / sigma) + c  # noqa: E731
        starts = [(span, s, float(np.min(y))) for s in _sigma_starts(scale)]
        bounds = ([-np.inf, 1e-6 * scale, -np.inf], [np.inf, 1e6 * scale, np.inf])
        names = ("amp", "sigma", "offset")
    else:
        f = lambda x, amp, sigma: amp * np.exp(-x / sigma)  # noqa: E731
        starts = [(float(np.max(np.abs(y))) or 1.0, s) for s in _sigma_starts(scale)]
        bounds = ([-np.inf, 1e-6 * scale], [np.inf, 1e6 * scale])
        names = ("amp", "sigma")
    popt, err, r2 = _least_squares(f, x, y, names, starts, bounds)
    return KernelFit(
        model, {k: float(v) for k, v in zip(names, popt)}, {k: float(v) for k, v in zip(names, err)}, r2, len(y)
    )


def exponential_r2_scan(distance: np.ndarray, value: np.ndarray, n_grid: int = 60, offset: bool = True) -> float:
    """Best R^2 of ``amp * exp(-d / sigma) (+ c)`` over a log grid of sigma, amp and c by linear least squares.

    A fast stand-in for :func:`fit_exponential_kernel`'s R^2 (never above it, and within the grid's
    resolution of it), meant for permutation nulls where hundreds of fits would be too slow. The
    grid spans 1/100 to 100 times the median positive distance.
    """
    x = np.abs(np.asarray(distance, dtype=np.float64).ravel())
    y = np.asarray(value, dtype=np.float64).ravel()
    sst = float(np.sum((y - y.mean()) ** 2))
    if x.shape != y.shape or len(y) < 3 or sst <= 0:
        return float("nan")
    scale = float(np.median(x[x > 0])) if np.any(x > 0) else 1.0
    best = -np.inf
    for sigma in scale * np.logspace(-2, 2, n_grid):
        e = np.exp(-x / sigma)
        A = np.column_stack([e, np.ones_like(e)]) if offset else e[:, None]
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        best = max(best, 1.0 - float(np.sum((y - A @ coef) ** 2)) / sst)
    return best


def fit_linear_kernel(block: np.ndarray, positions: np.ndarray, offset: bool = True) -> KernelFit:
    """Fit the Toeplitz kernel ``amp * exp(-|dy| / sigma) + offset`` to a linear family's block (diagonal excluded).

    Parameters
    ----------
    block : ndarray of shape (n, n)
    positions : ndarray of shape (n,)
        Position of each word on the line (the year itself for years).
    """
    x, y = _pairs(block, positions)
    return fit_exponential_kernel(x, y, offset=offset, model="linear")


def fit_family_kernel(block: np.ndarray, family: Family, offset: bool = True) -> KernelFit:
    """The circular fit for a cyclic family, the Toeplitz fit for a linear one."""
    if family.kind == "cyclic":
        return fit_circular_kernel(block, family.positions, cast(float, family.period), offset=offset)
    if family.kind == "linear":
        return fit_linear_kernel(block, family.positions, offset=offset)
    raise InvalidParameterError(
        f"family {family.name!r} has no order (kind 'words'); a kernel needs 'cyclic' or 'linear'."
    )


# -- distance from circulant / Toeplitz ---------------------------------------------------------
@dataclass
class SymmetryResidual:
    """How far a block is from translation symmetry.

    Attributes
    ----------
    residual : float
        ||B - Pi(B)||_F / ||B - mean(B)||_F over the entries above the diagonal, where
        Pi(B) averages the entries of equal (circular) distance: 0 for a circulant
        (Toeplitz) block, close to 1 for a block without the symmetry.
    null : float
        The expected residual of a block of independent noise, sqrt(1 - (c - 1) / (m - 1))
        with c distance classes and m entries: the value the residual falls to without structure.
    n_classes : int
    """

    residual: float
    null: float
    n_classes: int

    def as_dict(self) -> dict[str, Any]:
        return {"residual": self.residual, "null": self.null, "n_classes": self.n_classes}


def symmetry_residual(
    block: np.ndarray, positions: np.ndarray, kind: str = "cyclic", period: float | None = None
) -> SymmetryResidual:
    """Relative distance of ``block`` (n, n) from a circulant (``kind="cyclic"``) or Toeplitz block."""
    validate({"kind": kind}, {"kind": OneOf(("cyclic", "linear"))}, "symmetry_residual")
    x, y = _pairs(block, positions)
    if kind == "cyclic":
        if period is None:
            raise InvalidParameterError("symmetry_residual: a cyclic family needs its 'period'.")
        d = circular_distance(x, period)
    else:
        d = np.abs(x)
    _, cls = np.unique(np.round(d, 9), return_inverse=True)
    n_classes = int(cls.max()) + 1
    means = np.bincount(cls, weights=y) / np.bincount(cls)
    total = float(np.sum((y - y.mean()) ** 2))
    res = float(np.sqrt(np.sum((y - means[cls]) ** 2) / total)) if total > 0 else 0.0
    m = len(y)
    null = math.sqrt(max(0.0, 1.0 - (n_classes - 1) / (m - 1))) if m > 1 else float("nan")
    return SymmetryResidual(res, null, n_classes)


# -- a block against a distance, with a shuffled-label null ------------------------------------------
@dataclass
class DistanceProfile:
    """Mean of a block's entries per distance class, beside the same means with the labels shuffled.

    Attributes
    ----------
    distance : ndarray of shape (c,)
        The class: the distance itself (integer distances) or the mean distance in the bin.
    mean : ndarray of shape (c,)
        Mean entry over the pairs of the class.
    count : ndarray of shape (c,)
        Pairs in the class.
    null_mean, null_std : ndarray of shape (c,)
        Mean and standard deviation over label shuffles of the class mean (items permuted,
        rows and columns together): what the profile looks like when the entries do not
        depend on the distance. NaN where no shuffle was drawn.
    """

    distance: np.ndarray
    mean: np.ndarray
    count: np.ndarray
    null_mean: np.ndarray
    null_std: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("distance", "mean", "count", "null_mean", "null_std")}


def distance_profile(
    block: np.ndarray,
    distance: np.ndarray,
    bins: Sequence[float] | int | None = None,
    n_shuffles: int = 100,
    seed: int = 0,
) -> DistanceProfile:
    """Mean of ``block`` over the pairs at each distance (entries above the diagonal; infinite distances ignored).

    Parameters
    ----------
    block : ndarray of shape (n, n)
        Target entries (M*, M, co-occurrence) or Gram entries of n items.
    distance : ndarray of shape (n, n)
        Their distances (tree distance, kilometres, years).
    bins : int or sequence of float, optional
        None: one class per distinct distance (integer distances); an int: that many
        equal-count bins; a sequence: increasing bin edges, the bins ``[e_k, e_k+1)`` with
        the last one closed; pairs outside ``[e_0, e_-1]`` are left out (as ``np.histogram``).
        Empty bins are dropped, and each class's distance is the mean over its pairs.
    n_shuffles : int
        Label shuffles for the null (0 for none).
    seed : int
    """
    B = np.asarray(block, dtype=np.float64)
    D = np.asarray(distance, dtype=np.float64)
    n = B.shape[0]
    if B.shape != (n, n) or D.shape != (n, n) or n < 3:
        raise InvalidParameterError(f"distance_profile: block {B.shape} and distance {D.shape} must be n x n, n >= 3.")
    validate({"n_shuffles": n_shuffles}, {"n_shuffles": Interval(int, 0, None)}, "distance_profile")
    i, j = np.triu_indices(n, k=1)
    d = D[i, j]
    finite = np.isfinite(d)
    i, j, d = i[finite], j[finite], d[finite]
    if bins is None:
        centres, cls = np.unique(d, return_inverse=True)
    else:
        if isinstance(bins, (int, np.integer)):
            edges = np.quantile(d, np.linspace(0, 1, int(bins) + 1))
        else:
            edges = np.asarray(bins, dtype=np.float64)
            if edges.ndim != 1 or len(edges) < 2 or not (np.diff(edges) > 0).all():
                raise InvalidParameterError(
                    f"distance_profile: bin edges must be at least two increasing numbers, got {bins!r}."
                )
        # bins [e_k, e_k+1), the last one closed; pairs outside [e_0, e_-1] are left out (as np.histogram)
        inside = (d >= edges[0]) & (d <= edges[-1])
        if not inside.any():
            raise InputDataError(f"distance_profile: no pair's distance lies within the bin edges {bins!r}.")
        i, j, d = i[inside], j[inside], d[inside]
        cls = np.minimum(np.searchsorted(edges, d, side="right") - 1, len(edges) - 2)
        used = np.unique(cls)
        cls = np.searchsorted(used, cls)
        centres = np.bincount(cls, weights=d) / np.bincount(cls)
    count = np.bincount(cls, minlength=len(centres)).astype(np.float64)
    mean = np.bincount(cls, weights=B[i, j], minlength=len(centres)) / count
    rng = np.random.default_rng(seed)
    draws = np.empty((n_shuffles, len(centres)))
    for s in range(n_shuffles):
        perm = rng.permutation(n)
        draws[s] = np.bincount(cls, weights=B[perm[i], perm[j]], minlength=len(centres)) / count
    nan = np.full(len(centres), np.nan)
    return DistanceProfile(
        centres,
        mean,
        count,
        draws.mean(axis=0) if n_shuffles else nan,
        draws.std(axis=0) if n_shuffles > 1 else nan,
    )
