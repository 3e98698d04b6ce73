"""Translation symmetry in word families: order recovery, robustness, and the API on embeddings.

A family (:mod:`cooc.geometry.families`) is a list of words on a circle (months,
weekdays) or a line (years, numbers). Its block of a target should be circulant or
Toeplitz (:mod:`cooc.geometry.kernels` fits the kernels and measures the distance); its
vectors should lie in order on a circle or an arc of their top principal components
(:func:`recover_order`); the year probe is in :mod:`cooc.geometry.probe`. Robustness:
zero the family's block and re-embed (:func:`robustness`), or re-factorise the family
with H helper words (:func:`helper_experiment`).

The array-level functions take blocks (n, n), vectors (n, d) and positions (n,); the
functions at the end take an ``Embedding`` and a ``Cooccurrence``. The names of the
three modules above are re-exported here, so ``cooc.geometry.symmetry`` is the one place
to import from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from scipy import stats

from .._core.errors import InputDataError, InvalidParameterError
from .families import FAMILIES_DIR, KINDS, YEARS_RANGE, Family, list_families, load_family, present_family, years_family
from .kernels import (
    DistanceProfile,
    KernelFit,
    SymmetryResidual,
    circular_distance,
    distance_profile,
    fit_circular_kernel,
    fit_exponential_kernel,
    fit_family_kernel,
    fit_linear_kernel,
    symmetry_residual,
)
from .probe import (
    ProbeCurve,
    kernel_probe,
    loglog_slope,
    principal_coordinates,
    projection_probe,
    ridge_loo,
    year_probe,
)

__all__ = [
    "FAMILIES_DIR",
    "KINDS",
    "YEARS_RANGE",
    "Family",
    "list_families",
    "load_family",
    "present_family",
    "years_family",
    "KernelFit",
    "DistanceProfile",
    "distance_profile",
    "SymmetryResidual",
    "circular_distance",
    "fit_circular_kernel",
    "fit_exponential_kernel",
    "fit_family_kernel",
    "fit_linear_kernel",
    "symmetry_residual",
    "ProbeCurve",
    "loglog_slope",
    "principal_coordinates",
    "ridge_loo",
    "year_probe",
    "kernel_probe",
    "projection_probe",
    "CircleFit",
    "fit_circle",
    "cyclic_adjacency",
    "angular_alignment",
    "line_order",
    "arc_coordinate",
    "OrderResult",
    "recover_order",
    "eigen_embed",
    "procrustes_error",
    "rank_helpers",
    "HelperCurve",
    "helper_curve",
    "zero_block",
    "probe_embedding",
    "ideal_shape",
]


# -- order recovery ---------------------------------------------------------------------------
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
    (a, b, c), *_ = np.linalg.lstsq(A, (P**2).sum(axis=1), rcond=None)
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

    1 when the angles equal the true phases up to a rotation and a reflection; for random angles
    about (2 - 1/sqrt 2) sqrt(pi / (4 n)), the larger of two nearly independent Rayleigh means
    (0.33 for n = 12; the studies report a shuffled null rather than this).
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
        return {
            **self.scores,
            **{f"{k}_null": v for k, v in self.null.items()},
            "circle_residual": self.circle.relative_residual,
            "explained_pc1": float(self.explained[0]),
            "explained_pc2": float(self.explained[1]) if len(self.explained) > 1 else 0.0,
        }


def _order_scores(coords: np.ndarray, center: np.ndarray, positions: np.ndarray, family: Family) -> dict[str, float]:
    if family.kind == "cyclic":
        c = coords - center
        theta = np.arctan2(c[:, 1], c[:, 0])
        return {
            "adjacency": cyclic_adjacency(theta, positions),
            # load_family gives every cyclic family a period (its "# period:" header or its size)
            "alignment": angular_alignment(theta, positions, cast(float, family.period)),
        }
    c = coords - center
    arc = arc_coordinate(np.arctan2(c[:, 1], c[:, 0]))
    return {
        "spearman": max(
            line_order(coords[:, 0], positions), line_order(coords[:, 1], positions), line_order(arc, positions)
        )
    }


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
        raise InputDataError(
            f"need one vector per family word and at least 4 words, got {vectors.shape} for {len(family)} words."
        )
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


def helper_curve(
    target: Any,
    family_ids: Sequence[int],
    helpers: Sequence[int],
    n_helpers: Sequence[int],
    reference: np.ndarray,
    dim: int = 10,
    p: float = 0.5,
    zero_family: bool = True,
    independence: float = 0.0,
) -> HelperCurve:
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
    return HelperCurve(
        np.asarray(list(n_helpers), dtype=np.int64), np.asarray(errors), helpers[: max(n_helpers, default=0)]
    )


def _dense_block(target: Any, ids: Sequence[int]) -> np.ndarray:
    block = target[list(ids)][:, list(ids)]
    return block.toarray() if hasattr(block, "toarray") else np.asarray(block)


def zero_block(target: np.ndarray, ids: Sequence[int], independence: float = 0.0) -> np.ndarray:
    """A copy of a dense target with every pair among ``ids`` (diagonal included) set to independence."""
    out = np.array(target, dtype=np.float64, copy=True)
    rows = np.asarray(list(ids), dtype=np.int64)
    out[np.ix_(rows, rows)] = independence
    return out


# -- the API on Embedding and Cooccurrence objects ----------------------------------------------------


def probe_embedding(
    embedding: Any, family: Family | str = "years:1900-2020", **kwargs: Any
) -> tuple[Family, ProbeCurve]:
    """The year probe (:func:`year_probe`) on the family's words found in ``embedding``."""
    family = load_family(family) if isinstance(family, (str, Path)) else family
    fam = present_family(family, embedding.key_to_index)
    kwargs.setdefault("n_train", min(60, len(fam) - 3))
    return fam, year_probe(embedding[list(fam.words)], fam.positions, **kwargs)


def ideal_shape(family: Family) -> np.ndarray:
    """The family's ideal shape, shape (n, 2): the circle (cos, sin)(2 pi pos / P), or the line (pos, 0)."""
    if family.kind == "cyclic":
        phi = 2 * np.pi * family.positions / cast(float, family.period)  # cyclic: load_family sets a period
        return np.column_stack([np.cos(phi), np.sin(phi)])
    return np.column_stack([family.positions - family.positions.mean(), np.zeros(len(family))])
