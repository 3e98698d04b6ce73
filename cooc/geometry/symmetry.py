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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from scipy import stats

from .._core.errors import InputDataError, InvalidParameterError
from .families import FAMILIES_DIR, KINDS, YEARS_RANGE, Family, list_families, load_family, years_family
from .kernels import KernelFit, SymmetryResidual, circular_distance, fit_circular_kernel, fit_exponential_kernel, fit_family_kernel, fit_linear_kernel, symmetry_residual
from .probe import ProbeCurve, loglog_slope, principal_coordinates, ridge_loo, year_probe

__all__ = [
    "FAMILIES_DIR", "KINDS", "YEARS_RANGE", "Family", "list_families", "load_family", "years_family",
    "KernelFit", "SymmetryResidual", "circular_distance", "fit_circular_kernel", "fit_exponential_kernel",
    "fit_family_kernel", "fit_linear_kernel", "symmetry_residual",
    "ProbeCurve", "loglog_slope", "principal_coordinates", "ridge_loo", "year_probe",
    "CircleFit", "fit_circle", "cyclic_adjacency", "angular_alignment", "line_order", "arc_coordinate",
    "OrderResult", "recover_order", "eigen_embed", "procrustes_error", "rank_helpers", "HelperCurve",
    "helper_curve", "zero_block", "target_block", "SymmetryReport", "symmetry_report", "probe_embedding",
    "RobustnessResult", "robustness", "ideal_shape", "helper_experiment",
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
    from ..cooccurrence.matrix import Cooccurrence
    from ..spectral.targets import Target
    from ..corpus.vocab import Vocabulary
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
               target: str = "mstar", p: float = 0.5, seed: int = 0, *, device: str = "cpu",
               dtype: str = "float64") -> RobustnessResult:
    """Zero the family's block (and its pairs with ``extra_words``), re-embed, re-score.

    Uses :meth:`Cooccurrence.zero_block` (the target takes the independence value there
    exactly) and :class:`cooc.spectral.SpectralEmbedding`.

    Parameters
    ----------
    cooc : Cooccurrence
    family : Family or str
        A family or the name of a shipped one.
    extra_words : sequence of str
        Words whose pairs with the family are zeroed too (helpers to cut).
    dim, target, p, seed
        The embedding: ``SpectralEmbedding(target, dim=dim, p=p, seed=seed)``.
    device : {"cpu", "cuda", "auto"}
        Where both embeddings are built and solved (``SpectralEmbedding``'s ``device``).
    dtype : {"float64", "float32"}
        Precision of the target matrices (``SpectralEmbedding``'s ``dtype``).

    Returns
    -------
    RobustnessResult
    """
    from ..spectral.estimator import SpectralEmbedding
    family = load_family(family) if isinstance(family, (str, Path)) else family
    fam = _present(family, cooc.vocab.key_to_index)
    extra = [w for w in extra_words if w in cooc.vocab.key_to_index and w not in set(fam.words)]
    pairs = [(a, b) for a in fam.words for b in fam.words] + [(a, b) for a in fam.words for b in extra]
    dim = min(dim, len(cooc))
    embed = lambda c: SpectralEmbedding(target, dim=dim, p=p, seed=seed, device=device,  # noqa: E731
                                        dtype=dtype).fit_transform(c)
    before, after = embed(cooc), embed(cooc.zero_block(pairs))
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
