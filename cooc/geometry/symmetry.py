"""Translation symmetry in word families: kernel fits, order recovery, the year probe, robustness.

A family is a list of words with a position on a circle (months, weekdays) or a line
(years, numbers). Its block of a target matrix (M* by default) should depend only on the
difference of positions (SCIENCE.md section 4): circulant for a circle, Toeplitz for a
line. This module measures how far a block is from that symmetry, fits the translation
kernels with uncertainties, checks that the embedding puts the family in order (a circle
or a line in the top principal components), runs the year probe (ridge regression from the
top r principal components, normalised error against r) and the robustness experiments
(zero the family block and re-embed; re-factorise the family with H helper words).

Everything here works on plain arrays (blocks of shape (n, n), vectors of shape (n, d),
positions of shape (n,)); :mod:`cooc.geometry.report` style wrappers that take an
``Embedding`` or a ``Cooccurrence`` sit at the end of the module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from scipy import optimize, stats

from .._params import Interval, OneOf, validate
from ..datasets import CORPORA_DIR
from ..errors import InputDataError, InvalidParameterError

FAMILIES_DIR = CORPORA_DIR / "families"
YEARS_RANGE = (1700, 2021)
KINDS = ("cyclic", "linear", "words")


# -- families -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """Words with a position on a circle or a line.

    Attributes
    ----------
    name : str
    words : tuple of str, length n
    positions : ndarray of shape (n,)
        Coordinate of each word (month index, year, value).
    kind : {"cyclic", "linear", "words"}
        "words" is a plain list without order (helper words).
    period : float or None
        Length of the circle for cyclic families (12 for months).
    """

    name: str
    words: tuple[str, ...]
    positions: np.ndarray
    kind: str
    period: float | None = None

    def __len__(self) -> int:
        return len(self.words)

    def present(self, keys: Any) -> "Family":
        """The words found in ``keys`` (a mapping or set of vocabulary words), positions kept."""
        keep = [i for i, w in enumerate(self.words) if w in keys]
        return Family(self.name, tuple(self.words[i] for i in keep), self.positions[keep], self.kind, self.period)

    def between(self, low: float, high: float) -> "Family":
        """The words whose position lies in ``[low, high]`` (years 1900-2020 for the probe)."""
        keep = [i for i, p in enumerate(self.positions) if low <= p <= high]
        return Family(f"{self.name}:{low:g}-{high:g}", tuple(self.words[i] for i in keep), self.positions[keep],
                      self.kind, self.period)


def list_families() -> list[str]:
    """Names accepted by :func:`load_family`: the files in ``corpora/families`` and ``years``."""
    return sorted({p.stem for p in FAMILIES_DIR.glob("*.txt")} | {"years"})


def years_family(start: int = YEARS_RANGE[0], stop: int = YEARS_RANGE[1]) -> Family:
    """The years ``start..stop`` (inclusive) as words, generated rather than shipped."""
    if stop < start:
        raise InvalidParameterError(f"years: stop must be >= start, got {start}-{stop}.")
    years = np.arange(start, stop + 1)
    return Family(f"years:{start}-{stop}", tuple(str(y) for y in years), years.astype(np.float64), "linear")


def load_family(spec: str | Path) -> Family:
    """A family by name (``months``, ``weekdays``, ``numbers``, ``years``, ``years:1900-2020``) or file path.

    A family file holds one word per line, optionally ``word<TAB>position``; ``#`` lines
    are comments, and the header comments ``# kind: cyclic|linear|words`` and
    ``# period: P`` set the family's geometry (positions default to 0, 1, 2, ...).
    """
    text = str(spec)
    if text == "years" or text.startswith("years:"):
        return _parse_years(text)
    path = Path(text)
    if not path.suffix and not path.exists():
        path = FAMILIES_DIR / f"{text}.txt"
    if not path.is_file():
        raise InputDataError(f"unknown word family {text!r}; use a file path or one of {list_families()}.")
    return _parse_family_file(path)


def _parse_years(text: str) -> Family:
    if text == "years":
        return years_family()
    try:
        start, stop = (int(x) for x in text.split(":", 1)[1].split("-"))
    except ValueError:
        raise InvalidParameterError(f"family {text!r} must read 'years:START-STOP', e.g. 'years:1900-2020'.") from None
    return years_family(start, stop)


def _parse_family_file(path: Path) -> Family:
    header: dict[str, str] = {}
    words: list[str] = []
    positions: list[float] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip() in ("kind", "period"):
                header[key.strip()] = value.strip()
            continue
        word, _, pos = line.partition("\t")
        words.append(word.strip())
        try:
            positions.append(float(pos) if pos.strip() else float(len(positions)))
        except ValueError:
            raise InputDataError(f"{str(path)!r} line {number}: position {pos!r} is not a number.") from None
    kind = header.get("kind", "linear")
    if kind not in KINDS:
        raise InputDataError(f"{str(path)!r}: kind {kind!r} must be one of {KINDS}.")
    period = float(header["period"]) if "period" in header else (float(len(words)) if kind == "cyclic" else None)
    if not words:
        raise InputDataError(f"{str(path)!r} holds no words.")
    return Family(path.stem, tuple(words), np.asarray(positions, dtype=np.float64), kind, period)


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
            return _circular(x, p["amp"], p["sigma"], period=self.period, n_images=self.n_images) + p.get("offset", 0.0)
        return p["amp"] * np.exp(-np.abs(x) / p["sigma"]) + p.get("offset", 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, **self.params, **{f"{k}_stderr": v for k, v in self.stderr.items()},
                "r2": self.r2, "n": self.n}


def _circular(x: np.ndarray, amp: float, sigma: float, period: float, n_images: int) -> np.ndarray:
    shifts = period * np.arange(-n_images, n_images + 1)
    return amp * np.exp(-np.abs(x[..., None] - shifts) / sigma).sum(axis=-1)


def _least_squares(model: Callable, x: np.ndarray, y: np.ndarray, names: Sequence[str],
                   starts: Sequence[Sequence[float]], bounds: tuple[list[float], list[float]]) -> tuple[np.ndarray, np.ndarray, float]:
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
            popt, pcov = optimize.curve_fit(model, ux, ybar, p0=p0, sigma=1 / np.sqrt(cnt), absolute_sigma=True,
                                            bounds=bounds, maxfev=20000)
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


def fit_circular_kernel(block: np.ndarray, positions: np.ndarray, period: float, n_images: int = 2,
                        offset: bool = True) -> KernelFit:
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
    validate({"period": period, "n_images": n_images},
             {"period": Interval(float, 0, None, closed="neither"), "n_images": Interval(int, 0, 50)}, "fit_circular_kernel")
    x, y = _pairs(block, positions)
    lo_sigma = 1e-3 * period / max(len(positions), 1)
    span = float(np.ptp(y)) or float(np.max(np.abs(y))) or 1.0
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
    return KernelFit("circular", {k: float(v) for k, v in zip(names, popt)}, {k: float(v) for k, v in zip(names, err)},
                     r2, len(y), float(period), n_images)


def fit_exponential_kernel(distance: np.ndarray, value: np.ndarray, offset: bool = True,
                           model: str = "exponential") -> KernelFit:
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
    return KernelFit(model, {k: float(v) for k, v in zip(names, popt)}, {k: float(v) for k, v in zip(names, err)},
                     r2, len(y))


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
        return fit_circular_kernel(block, family.positions, family.period, offset=offset)
    if family.kind == "linear":
        return fit_linear_kernel(block, family.positions, offset=offset)
    raise InvalidParameterError(f"family {family.name!r} has no order (kind 'words'); a kernel needs 'cyclic' or 'linear'.")


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


def symmetry_residual(block: np.ndarray, positions: np.ndarray, kind: str = "cyclic",
                      period: float | None = None) -> SymmetryResidual:
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


# -- order recovery ---------------------------------------------------------------------------
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
    total = float(np.sum(s ** 2))
    return coords, (s[:k] ** 2 / total) if total > 0 else np.zeros(k)


@dataclass
class CircleFit:
    """Least-squares (Kasa) circle through 2D points.

    Attributes
    ----------
    center : ndarray of shape (2,)
    radius : float
    relative_residual : float
        rms(|p - center| - radius) / radius: 0 on a circle, about 0.5 for a Gaussian blob.
    """

    center: np.ndarray
    radius: float
    relative_residual: float


def fit_circle(points: np.ndarray) -> CircleFit:
    """Fit a circle to ``points`` of shape (n, 2) by linear least squares on x^2 + y^2 = a x + b y + c."""
    P = np.asarray(points, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != 2 or len(P) < 3:
        raise InputDataError(f"a circle fit needs at least 3 points of shape (n, 2), got {P.shape}.")
    A = np.column_stack([P, np.ones(len(P))])
    (a, b, c), *_ = np.linalg.lstsq(A, (P ** 2).sum(axis=1), rcond=None)
    center = np.array([a / 2, b / 2])
    radius = float(np.sqrt(max(c + center @ center, 0.0)))
    dist = np.linalg.norm(P - center, axis=1)
    rel = float(np.sqrt(np.mean((dist - radius) ** 2)) / radius) if radius > 0 else float("inf")
    return CircleFit(center, radius, rel)


def _ranks(positions: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(positions, kind="stable"), kind="stable")


def cyclic_adjacency(angles: np.ndarray, positions: np.ndarray) -> float:
    """Fraction of neighbours in the recovered circular order that are neighbours in the true one.

    Words are sorted by ``angles``; each of the n consecutive pairs (wrapping around) counts
    when the two words are consecutive in the cyclic order of ``positions``. 1 for a
    perfect circle in order (either direction); 2 / (n - 1) on average for a random order.
    """
    n = len(positions)
    rank = _ranks(np.asarray(positions))[np.argsort(np.asarray(angles), kind="stable")]
    step = np.mod(np.diff(np.append(rank, rank[0])), n)
    return float(np.mean((step == 1) | (step == n - 1)))


def angular_alignment(angles: np.ndarray, positions: np.ndarray, period: float) -> float:
    """|mean exp(i(theta - s phi))| maximised over the direction s = +-1, with phi = 2 pi pos / P.

    1 when the angles equal the true phases up to a rotation and a reflection; about
    sqrt(pi / (4 n)) for random angles.
    """
    phi = 2 * np.pi * np.asarray(positions, dtype=np.float64) / period
    theta = np.asarray(angles, dtype=np.float64)
    return float(max(abs(np.mean(np.exp(1j * (theta - phi)))), abs(np.mean(np.exp(1j * (theta + phi))))))


def line_order(coord: np.ndarray, positions: np.ndarray) -> float:
    """|Spearman rho| between a recovered coordinate (n,) and the true positions (n,)."""
    rho = stats.spearmanr(coord, positions).statistic
    return float(abs(rho)) if np.isfinite(rho) else 0.0


def arc_coordinate(angles: np.ndarray) -> np.ndarray:
    """Angles (n,) unwrapped into a coordinate along an arc, cut at the widest empty gap.

    A line embedded by a Toeplitz kernel bends into an arc (a horseshoe) in its top two
    components: its order is the order along the arc, not along either axis.
    """
    theta = np.mod(np.asarray(angles, dtype=np.float64), 2 * np.pi)
    s = np.sort(theta)
    gaps = np.diff(np.append(s, s[0] + 2 * np.pi))
    cut = s[(int(np.argmax(gaps)) + 1) % len(s)]
    return np.mod(theta - cut, 2 * np.pi)


@dataclass
class OrderResult:
    """How well a family's principal components recover its order.

    Attributes
    ----------
    coords : ndarray of shape (n, 2)
        The family on its top two principal components.
    explained : ndarray of shape (2,)
    circle : CircleFit
    scores : dict of str to float
        Cyclic families: ``adjacency`` and ``alignment`` (see :func:`cyclic_adjacency`,
        :func:`angular_alignment`); linear ones: ``spearman``, the largest |Spearman rho|
        of the position against PC1, PC2 and the coordinate along the fitted arc.
    null : dict of str to float
        Mean of each score over random orders of the same words (the value without structure).
    """

    coords: np.ndarray
    explained: np.ndarray
    circle: CircleFit
    scores: dict[str, float]
    null: dict[str, float] = field(default_factory=dict)

    @property
    def angles(self) -> np.ndarray:
        c = self.coords - self.circle.center
        return np.arctan2(c[:, 1], c[:, 0])

    def as_dict(self) -> dict[str, Any]:
        return {**self.scores, **{f"{k}_null": v for k, v in self.null.items()},
                "circle_residual": self.circle.relative_residual, "explained_pc1": float(self.explained[0]),
                "explained_pc2": float(self.explained[1]) if len(self.explained) > 1 else 0.0}


def _order_scores(coords: np.ndarray, center: np.ndarray, positions: np.ndarray, family: Family) -> dict[str, float]:
    if family.kind == "cyclic":
        c = coords - center
        theta = np.arctan2(c[:, 1], c[:, 0])
        return {"adjacency": cyclic_adjacency(theta, positions),
                "alignment": angular_alignment(theta, positions, family.period)}
    c = coords - center
    arc = arc_coordinate(np.arctan2(c[:, 1], c[:, 0]))
    return {"spearman": max(line_order(coords[:, 0], positions), line_order(coords[:, 1], positions),
                            line_order(arc, positions))}


def recover_order(vectors: np.ndarray, family: Family, n_null: int = 200, seed: int = 0) -> OrderResult:
    """Project a family's vectors on their top two principal components and score the order.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        One row per word of ``family`` (in the family's order).
    family : Family
        Cyclic or linear.
    n_null : int
        Random orders used to estimate each score's null value.
    seed : int
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.shape[0] != len(family) or len(family) < 4:
        raise InputDataError(f"need one vector per family word and at least 4 words, got {vectors.shape} for {len(family)} words.")
    coords, explained = principal_coordinates(vectors, 2)
    if coords.shape[1] < 2:
        coords = np.column_stack([coords, np.zeros(len(coords))])
        explained = np.append(explained, 0.0)
    circle = fit_circle(coords)
    scores = _order_scores(coords, circle.center, family.positions, family)
    rng = np.random.default_rng(seed)
    draws = [_order_scores(coords, circle.center, rng.permutation(family.positions), family) for _ in range(n_null)]
    null = {k: float(np.mean([d[k] for d in draws])) for k in scores}
    return OrderResult(coords, explained, circle, scores, null)


# -- the year probe -------------------------------------------------------------------------------
def _ridge_loo(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, float, float]:
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
    shrink = s ** 2 / (s ** 2 + alphas[:, None])          # (A, k)
    fitted = (shrink * uy) @ U.T                          # (A, m), centred
    hat = (U ** 2) @ shrink.T                             # (m, A)
    loo = ((y - ym) - fitted) / (1.0 - hat.T - 1.0 / m)
    best = int(np.argmin(np.mean(loo ** 2, axis=1)))
    coef = Vt.T @ (s / (s ** 2 + alphas[best]) * uy)
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


def year_probe(vectors: np.ndarray, values: np.ndarray, ranks: Sequence[int] | None = None, n_splits: int = 100,
               n_train: int = 60, alphas: Sequence[float] | None = None, seed: int = 0) -> ProbeCurve:
    """Ridge regression from the top r principal components of the vectors to the values.

    For each r and each of ``n_splits`` random splits (``n_train`` words to train, the rest
    to test) the penalty is chosen by exact leave-one-out error on the training words, and
    the error is std(y - y_hat) / std(y) on the test words (SCIENCE.md section 4: years
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
    validate({"n_splits": n_splits, "n_train": n_train},
             {"n_splits": Interval(int, 1, None), "n_train": Interval(int, 3, n - 2)}, "year_probe")
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
            coef, icpt, _ = _ridge_loo(Xtr, y[train], rel * scale)
            resid = y[test] - (coords[test, :r] @ coef + icpt)
            errors[s, k] = np.std(resid) / np.std(y[test])
    return ProbeCurve(ranks, errors.mean(axis=0), errors.std(axis=0), n_splits, n_train)


# -- robustness: zero the block, helper words -------------------------------------------------------
def eigen_embed(matrix: np.ndarray, dim: int, p: float = 0.5) -> np.ndarray:
    """Dense eigen-embedding of a small symmetric block: W = U_K |Lambda_K|^p, top K by |lambda|.

    Returns
    -------
    ndarray of shape (n, min(dim, n))
    """
    from ..spectral.eigen import top_eigenpairs
    A = np.asarray(matrix, dtype=np.float64)
    return top_eigenpairs(A, min(dim, A.shape[0]), solver="dense").weighted(p)


def procrustes_error(reference: np.ndarray, other: np.ndarray) -> float:
    """Procrustes disparity after centring, unit scaling, rotation and reflection (0 = same shape, <= 1).

    Parameters
    ----------
    reference, other : ndarray of shape (n, k)
    """
    from scipy.spatial import procrustes
    A, B = np.asarray(reference, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if A.shape != B.shape:
        raise InvalidParameterError(f"procrustes_error: shapes {A.shape} and {B.shape} differ.")
    if np.allclose(B - B.mean(axis=0), 0):
        return 1.0
    return float(procrustes(A, B)[2])


def rank_helpers(target: Any, family_ids: Sequence[int], exclude: Sequence[int] = ()) -> np.ndarray:
    """Candidate helper words, strongest first: ids sorted by ||T[w, family]||_2 (ties by id).

    Parameters
    ----------
    target : ndarray or sparse matrix of shape (V, V)
    family_ids : sequence of int
    exclude : sequence of int
        Ids never proposed (the family itself is always excluded).
    """
    cols = target[:, list(family_ids)]
    cols = cols.toarray() if hasattr(cols, "toarray") else np.asarray(cols)
    strength = np.sqrt(np.sum(np.asarray(cols, dtype=np.float64) ** 2, axis=1))
    strength[list(family_ids)] = -np.inf
    strength[list(exclude)] = -np.inf
    order = np.lexsort((np.arange(len(strength)), -strength))
    return order[np.isfinite(strength[order])]


@dataclass
class HelperCurve:
    """Procrustes error of the family's shape against the number H of helper words.

    Attributes
    ----------
    n_helpers : ndarray of shape (m,)
    error : ndarray of shape (m,)
        :func:`procrustes_error` between the reference coordinates and the family's top
        principal coordinates in the re-factorised block.
    helpers : list of str or int
        The helpers in the order they were added (words at the API level, ids below it).
    """

    n_helpers: np.ndarray
    error: np.ndarray
    helpers: list = field(default_factory=list)


def helper_curve(target: Any, family_ids: Sequence[int], helpers: Sequence[int], n_helpers: Sequence[int],
                 reference: np.ndarray, dim: int = 10, p: float = 0.5, zero_family: bool = True,
                 independence: float = 0.0) -> HelperCurve:
    """Re-factorise the family plus its first H helpers and compare the family's shape to ``reference``.

    For each H the (F + H) x (F + H) block of the target is taken (with the family's own
    F x F block set to ``independence`` when ``zero_family``), eigen-embedded with ``dim``
    dimensions, and the family's top k principal coordinates are compared to
    ``reference`` (F, k) by Procrustes. Strong helpers (:func:`rank_helpers`) bring the
    error down quickly; random words do not.

    Parameters
    ----------
    target : ndarray or sparse matrix of shape (V, V), or callable
        The target, or a function that returns its dense block for a list of ids
        (e.g. :func:`target_block` of a Cooccurrence, which never builds the V x V matrix).
    family_ids : sequence of int, length F
    helpers : sequence of int
        Helper ids in the order they are added.
    n_helpers : sequence of int
        The values of H.
    reference : ndarray of shape (F, k)
        The family's principal coordinates in the full embedding (or the ideal circle).
    independence : float
        Target value of independent words (0 for M*, PMI and log M; 1 for M).
    """
    family_ids, helpers = list(family_ids), list(helpers)
    F, k = np.asarray(reference).shape
    if F != len(family_ids):
        raise InvalidParameterError(f"helper_curve: reference has {F} rows for {len(family_ids)} family words.")
    block_of = target if callable(target) else (lambda ids: _dense_block(target, ids))
    errors = []
    for H in n_helpers:
        if H > len(helpers):
            raise InvalidParameterError(f"helper_curve: H = {H} exceeds the {len(helpers)} helpers given.")
        block = np.array(block_of(family_ids + helpers[:H]), dtype=np.float64)
        if zero_family:
            block[:F, :F] = independence
        W = eigen_embed(block, dim, p)[:F]
        coords, _ = principal_coordinates(W, k)
        coords = np.column_stack([coords, np.zeros((F, k - coords.shape[1]))]) if coords.shape[1] < k else coords
        errors.append(procrustes_error(reference, coords))
    return HelperCurve(np.asarray(list(n_helpers), dtype=np.int64), np.asarray(errors), helpers[:max(n_helpers, default=0)])


def _dense_block(target: Any, ids: Sequence[int]) -> np.ndarray:
    block = target[list(ids)][:, list(ids)]
    return block.toarray() if hasattr(block, "toarray") else np.asarray(block)


def zero_block(target: np.ndarray, ids: Sequence[int], independence: float = 0.0) -> np.ndarray:
    """A copy of a dense target with every pair among ``ids`` (diagonal included) set to independence."""
    out = np.array(target, dtype=np.float64, copy=True)
    ids = np.asarray(list(ids), dtype=np.int64)
    out[np.ix_(ids, ids)] = independence
    return out


# -- the API on Embedding and Cooccurrence objects ----------------------------------------------------
REST = "\x00rest"


def target_block(cooc: Any, words: Sequence[str], kind: str = "mstar", **params: Any) -> np.ndarray:
    """The block of the V x V target for ``words``, exactly, without building the V x V matrix.

    The other V - n words are lumped into one extra word that keeps their total counts
    and unigram mass, so every P_ij, P_i and the grand total seen by
    :class:`cooc.spectral.targets.Target` are those of the full matrix. With context
    smoothing (``alpha`` != 1) the lump would change sum P^alpha, so the full target is
    built and sliced instead.

    Parameters
    ----------
    cooc : Cooccurrence
    words : sequence of str, length n
    kind : str
        Any target kind (``"mstar"``, ``"m"``, ``"pmi"``, ...).
    **params
        Passed to ``Target`` (``eps``, ``neg``, ``marginals``, ...).

    Returns
    -------
    ndarray of shape (n, n)
    """
    from ..cooccurrence import Cooccurrence
    from ..spectral.targets import Target
    from ..vocab import Vocabulary
    words = list(words)
    ids = cooc.vocab.ids(words)
    missing = [w for w, i in zip(words, ids) if i < 0]
    if missing:
        raise InputDataError(f"{len(missing)} words are not in the co-occurrence vocabulary: {missing[:5]}")
    if params.get("alpha", 1.0) != 1.0:
        return _dense_block(Target(kind, **params).fit(cooc).matrix_, ids)
    C = cooc.counts
    n = len(ids)
    sub = C[ids][:, ids].toarray().astype(np.float64)
    row = np.asarray(C[ids].sum(axis=1), dtype=np.float64).ravel() - sub.sum(axis=1)
    col = np.asarray(C[:, ids].sum(axis=0), dtype=np.float64).ravel() - sub.sum(axis=0)
    corner = float(cooc.total) - sub.sum() - row.sum() - col.sum()
    counts = np.block([[sub, row[:, None]], [col[None, :], np.array([[max(corner, 0.0)]])]])
    unigram = np.append(cooc.unigram[ids].astype(np.float64), float(cooc.unigram.sum() - cooc.unigram[ids].sum()))
    pairs = cooc.subset(words).independent_pairs if len(cooc.independent_pairs) else None
    lump = Cooccurrence(counts, Vocabulary(words + [REST]), unigram, cooc.settings, independent_pairs=pairs)
    matrix = Target(kind, **params).fit(lump).matrix_
    return _dense_block(matrix, range(n))


def _present(family: Family, *vocabularies: Any) -> Family:
    fam = family
    for keys in vocabularies:
        fam = fam.present(keys)
    if len(fam) < 4:
        raise InputDataError(f"only {len(fam)} words of family {family.name!r} are in the vocabulary "
                             f"({list(fam.words)}); at least 4 are needed.")
    return fam


@dataclass
class SymmetryReport:
    """Everything measured on one family.

    Attributes
    ----------
    family : Family
        The words found in the vocabulary.
    missing : list of str
    block_source : str
        ``"gram"`` (embedding Gram matrix W W^T) or the target kind of the co-occurrence.
    block : ndarray of shape (n, n)
    fit : KernelFit
    residual : SymmetryResidual
    order : OrderResult
    """

    family: Family
    missing: list[str]
    block_source: str
    block: np.ndarray
    fit: KernelFit
    residual: SymmetryResidual
    order: OrderResult

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for a table."""
        f = self.fit
        out = [("family", f"{self.family.name} ({len(self.family)} words, {len(self.missing)} missing)"),
               ("block", self.block_source)]
        for k in f.params:
            out.append((f"kernel {k}", f"{f.params[k]:.4g} +- {f.stderr[k]:.2g}"))
        out.append(("kernel R^2", f"{f.r2:.4f}"))
        out.append(("distance from " + ("circulant" if self.family.kind == "cyclic" else "Toeplitz"),
                    f"{self.residual.residual:.4f} (null {self.residual.null:.3f})"))
        for k, v in self.order.scores.items():
            out.append((f"order {k}", f"{v:.4f} (null {self.order.null[k]:.3f})"))
        out.append(("circle fit residual", f"{self.order.circle.relative_residual:.4f}"))
        return out


def symmetry_report(embedding: Any, family: Family | str, cooc: Any = None, target: str = "mstar",
                    offset: bool = True, seed: int = 0) -> SymmetryReport:
    """Kernel fit, distance from translation symmetry and recovered order of a family in an embedding.

    Parameters
    ----------
    embedding : Embedding
    family : Family or str
        A family or its name (see :func:`load_family`).
    cooc : Cooccurrence, optional
        When given, the block is the ``target`` block of these counts (exact); otherwise
        the Gram matrix W W^T of the family's vectors (for an eigen-embedding with
        p = 1/2 that is the target's rank-K approximation, up to negative eigenvalues).
    target : str
        Target kind of the block when ``cooc`` is given.
    offset : bool
        Fit a constant beside the kernel.
    """
    family = load_family(family) if isinstance(family, (str, Path)) else family
    vocabularies = [embedding.key_to_index] + ([cooc.vocab.key_to_index] if cooc is not None else [])
    fam = _present(family, *vocabularies)
    missing = [w for w in family.words if w not in set(fam.words)]
    vectors = np.asarray(embedding[list(fam.words)], dtype=np.float64)
    block = target_block(cooc, fam.words, target) if cooc is not None else vectors @ vectors.T
    kind = fam.kind if fam.kind != "words" else "linear"
    return SymmetryReport(fam, missing, target if cooc is not None else "gram", block,
                          fit_family_kernel(block, fam, offset=offset),
                          symmetry_residual(block, fam.positions, kind, fam.period),
                          recover_order(vectors, fam, seed=seed))


def probe_embedding(embedding: Any, family: Family | str = "years:1900-2020", **kwargs: Any) -> tuple[Family, ProbeCurve]:
    """The year probe (:func:`year_probe`) on the family's words found in ``embedding``."""
    family = load_family(family) if isinstance(family, (str, Path)) else family
    fam = _present(family, embedding.key_to_index)
    kwargs.setdefault("n_train", min(60, len(fam) - 3))
    return fam, year_probe(embedding[list(fam.words)], fam.positions, **kwargs)


@dataclass
class RobustnessResult:
    """Order scores of a family before and after its block is set to independence.

    Attributes
    ----------
    before, after : OrderResult
    zeroed_pairs : int
        Ordered word pairs (entries of the matrix) set to independence.
    """

    before: OrderResult
    after: OrderResult
    zeroed_pairs: int


def robustness(cooc: Any, family: Family | str, extra_words: Sequence[str] = (), dim: int = 50,
               target: str = "mstar", p: float = 0.5, seed: int = 0) -> RobustnessResult:
    """Zero the family's block (and its pairs with ``extra_words``), re-embed, re-score.

    Uses :meth:`Cooccurrence.zero_block` (the target takes the independence value there
    exactly) and :class:`cooc.spectral.SpectralEmbedding`.
    """
    from ..spectral.estimator import SpectralEmbedding
    family = load_family(family) if isinstance(family, (str, Path)) else family
    fam = _present(family, cooc.vocab.key_to_index)
    extra = [w for w in extra_words if w in cooc.vocab.key_to_index and w not in set(fam.words)]
    pairs = [(a, b) for a in fam.words for b in fam.words] + [(a, b) for a in fam.words for b in extra]
    dim = min(dim, len(cooc))
    before = SpectralEmbedding(target, dim=dim, p=p, seed=seed).fit_transform(cooc)
    after = SpectralEmbedding(target, dim=dim, p=p, seed=seed).fit_transform(cooc.zero_block(pairs))
    score = lambda emb: recover_order(emb[list(fam.words)], fam, seed=seed)  # noqa: E731
    zeroed = set(pairs) | {(b, a) for a, b in pairs}
    return RobustnessResult(score(before), score(after), len(zeroed))


def ideal_shape(family: Family) -> np.ndarray:
    """The family's ideal shape, shape (n, 2): the circle (cos, sin)(2 pi pos / P), or the line (pos, 0)."""
    if family.kind == "cyclic":
        phi = 2 * np.pi * family.positions / family.period
        return np.column_stack([np.cos(phi), np.sin(phi)])
    return np.column_stack([family.positions - family.positions.mean(), np.zeros(len(family))])


def helper_experiment(cooc: Any, family: Family | str, n_helpers: Sequence[int] = (0, 1, 2, 5, 10, 20, 50),
                      reference: Any = None, dim: int = 10, target: str = "mstar", p: float = 0.5,
                      zero_family: bool = True, seed: int = 0) -> tuple[HelperCurve, HelperCurve]:
    """Re-factorise the family with its H strongest helper words, and with H random words.

    Helpers are ranked by the norm of their PPMI with the family (a sparse target, cheap
    at any V); each block is the exact ``target`` block (:func:`target_block`). Values of
    H above the number of other words in the vocabulary are dropped.

    Parameters
    ----------
    reference : Embedding or ndarray of shape (F, 2), optional
        The shape to recover: the family's top two principal coordinates in this
        embedding, or given coordinates; default the ideal circle (cyclic families).

    Returns
    -------
    strong, random : HelperCurve
    """
    from ..spectral.targets import INDEPENDENCE, target_matrix
    family = load_family(family) if isinstance(family, (str, Path)) else family
    vocabularies = [cooc.vocab.key_to_index] + ([reference.key_to_index] if hasattr(reference, "key_to_index") else [])
    fam = _present(family, *vocabularies)
    if reference is None:
        ref = ideal_shape(fam)
    elif hasattr(reference, "key_to_index"):
        ref = principal_coordinates(reference[list(fam.words)], 2)[0]
    else:
        ref = np.asarray(reference, dtype=np.float64)
    fam_ids = cooc.vocab.ids(list(fam.words)).tolist()
    others = np.setdiff1d(np.arange(len(cooc)), fam_ids)
    n_helpers = [h for h in n_helpers if h <= len(others)]      # a small vocabulary has fewer candidates
    H = max(n_helpers, default=0)
    strong = rank_helpers(target_matrix(cooc, "ppmi"), fam_ids)[:H].tolist()
    random = np.random.default_rng(seed).permutation(others)[:H].tolist()
    words = cooc.vocab.words
    block_of = lambda ids: target_block(cooc, [words[i] for i in ids], target)  # noqa: E731
    kw = dict(reference=ref, dim=dim, p=p, zero_family=zero_family, independence=INDEPENDENCE.get(target, 0.0))
    curves = [helper_curve(block_of, fam_ids, h, n_helpers, **kw) for h in (strong, random)]
    for c in curves:
        c.helpers = [words[i] for i in c.helpers]
    return curves[0], curves[1]
