"""Symmetry experiments that combine counts and embeddings: the family report, robustness to zeroing
the family's block, true sentence removal, and the helper-word experiment (the measurements
themselves are in :mod:`cooc.geometry.symmetry`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core.logs import log
from ..cooccurrence.matrix import as_cooccurrence
from ..embedding import as_embedding
from ..geometry.families import Family, load_family, present_family
from ..geometry.kernels import KernelFit, SymmetryResidual, fit_family_kernel, symmetry_residual
from ..geometry.probe import ProbeCurve, principal_coordinates, projection_probe, year_probe
from ..geometry.symmetry import HelperCurve, OrderResult, helper_curve, ideal_shape, rank_helpers, recover_order
from ..spectral.blocks import target_block
from ..spectral.estimator import SpectralEmbedding
from ..spectral.kinds import INDEPENDENCE
from ..spectral.targets import target_matrix


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

    def as_dict(self) -> dict[str, Any]:
        """The numbers of the report (no arrays but the family's words and positions)."""
        return {
            "family": self.family.name,
            "words": list(self.family.words),
            "missing": list(self.missing),
            "block": self.block_source,
            "kernel": self.fit.as_dict(),
            "residual": self.residual.as_dict(),
            "order": self.order.as_dict(),
        }

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for a table."""
        f = self.fit
        out = [
            ("family", f"{self.family.name} ({len(self.family)} words, {len(self.missing)} missing)"),
            ("block", self.block_source),
        ]
        for k in f.params:
            out.append((f"kernel {k}", f"{f.params[k]:.4g} +- {f.stderr[k]:.2g}"))
        out.append(("kernel R^2", f"{f.r2:.4f}"))
        out.append(
            (
                "distance from " + ("circulant" if self.family.kind == "cyclic" else "Toeplitz"),
                f"{self.residual.residual:.4f} (null {self.residual.null:.3f})",
            )
        )
        for k, v in self.order.scores.items():
            out.append((f"order {k}", f"{v:.4f} (null {self.order.null[k]:.3f})"))
        out.append(("circle fit residual", f"{self.order.circle.relative_residual:.4f}"))
        return out


def symmetry_report(
    embedding: Any, family: Family | str, cooc: Any = None, target: str = "mstar", offset: bool = True, seed: int = 0
) -> SymmetryReport:
    """Kernel fit, distance from translation symmetry and recovered order of a family in an embedding.

    Parameters
    ----------
    embedding : Embedding or path
    family : Family or str
        A family or its name (see :func:`load_family`).
    cooc : Cooccurrence or path, optional
        When given, the block is the ``target`` block of these counts (exact); otherwise
        the Gram matrix W W^T of the family's vectors (for an eigen-embedding with
        p = 1/2 that is the target's rank-K approximation, up to negative eigenvalues).
    target : str
        Target kind of the block when ``cooc`` is given.
    offset : bool
        Fit a constant beside the kernel.
    """
    embedding, cooc = as_embedding(embedding, "symmetry_report"), as_cooccurrence(cooc)
    family = load_family(family) if isinstance(family, (str, Path)) else family
    vocabularies = [embedding.key_to_index] + ([cooc.vocab.key_to_index] if cooc is not None else [])
    fam = present_family(family, *vocabularies)
    missing = [w for w in family.words if w not in set(fam.words)]
    vectors = np.asarray(embedding[list(fam.words)], dtype=np.float64)
    block = target_block(cooc, fam.words, target) if cooc is not None else vectors @ vectors.T
    kind = fam.kind if fam.kind != "words" else "linear"
    return SymmetryReport(
        fam,
        missing,
        target if cooc is not None else "gram",
        block,
        fit_family_kernel(block, fam, offset=offset),
        symmetry_residual(block, fam.positions, kind, fam.period),
        recover_order(vectors, fam, seed=seed),
    )


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


def robustness(
    cooc: Any,
    family: Family | str,
    extra_words: Sequence[str] = (),
    dim: int = 50,
    target: str = "mstar",
    p: float = 0.5,
    seed: int = 0,
    *,
    device: str = "cpu",
    dtype: str = "float64",
) -> RobustnessResult:
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
        The embedding: ``SpectralEmbedding(target, dim=dim, p=p, seed=seed)``; a ``dim`` above the
        vocabulary's size is cut to it, with a warning.
    device : {"cpu", "cuda", "auto"}
        Where both embeddings are built and solved (``SpectralEmbedding``'s ``device``).
    dtype : {"float64", "float32"}
        Precision of the target matrices (``SpectralEmbedding``'s ``dtype``).

    Returns
    -------
    RobustnessResult
    """
    family = load_family(family) if isinstance(family, (str, Path)) else family
    fam = present_family(family, cooc.vocab.key_to_index)
    extra = [w for w in extra_words if w in cooc.vocab.key_to_index and w not in set(fam.words)]
    pairs = [(a, b) for a in fam.words for b in fam.words] + [(a, b) for a in fam.words for b in extra]
    if dim > len(cooc):
        log.warning(
            "robustness: dim %d is more than the %d words counted; the re-embeddings use %d.", dim, len(cooc), len(cooc)
        )
        dim = len(cooc)

    def embed(counts: Any) -> Any:
        return SpectralEmbedding(target, dim=dim, p=p, seed=seed, device=device, dtype=dtype).fit(counts).embedding_

    before, after = embed(cooc), embed(cooc.zero_block(pairs))
    score = lambda emb: recover_order(emb[list(fam.words)], fam, seed=seed)  # noqa: E731
    zeroed = set(pairs) | {(b, a) for a, b in pairs}
    return RobustnessResult(score(before), score(after), len(zeroed))


def helper_experiment(
    cooc: Any,
    family: Family | str,
    n_helpers: Sequence[int] = (0, 1, 2, 5, 10, 20, 50),
    reference: Any = None,
    dim: int = 10,
    target: str = "mstar",
    p: float = 0.5,
    zero_family: bool = True,
    seed: int = 0,
) -> tuple[HelperCurve, HelperCurve]:
    """Re-factorise the family with its H strongest helper words, and with H random other words.

    Helpers are ranked by the norm of their PPMI with the family (a sparse target, cheap
    at any V); each block is the exact ``target`` block (:func:`target_block`). The control
    draws its words from outside the family and outside the ``max(n_helpers)`` strongest
    helpers (a control that holds helpers recovers the shape through them). Values of H
    above what both lists can hold (half the other words) are dropped.

    Parameters
    ----------
    reference : Embedding or ndarray of shape (F, 2), optional
        The shape to recover: the family's top two principal coordinates in this
        embedding, or given coordinates; default the ideal circle (cyclic families).

    Returns
    -------
    strong, random : HelperCurve
    """
    family = load_family(family) if isinstance(family, (str, Path)) else family
    vocabularies = [cooc.vocab.key_to_index] + ([reference.key_to_index] if hasattr(reference, "key_to_index") else [])
    fam = present_family(family, *vocabularies)
    if reference is None:
        ref = ideal_shape(fam)
    elif hasattr(reference, "key_to_index"):
        ref = principal_coordinates(reference[list(fam.words)], 2)[0]
    else:
        ref = np.asarray(reference, dtype=np.float64)
    fam_ids = cooc.vocab.ids(list(fam.words)).tolist()
    others = np.setdiff1d(np.arange(len(cooc)), fam_ids)
    n_helpers = [h for h in n_helpers if 2 * h <= len(others)]  # a small vocabulary has fewer candidates
    H = max(n_helpers, default=0)
    strong = rank_helpers(target_matrix(cooc, "ppmi"), fam_ids)[:H].tolist()
    random = np.random.default_rng(seed).permutation(np.setdiff1d(others, strong))[:H].tolist()
    words = cooc.vocab.words
    block_of = lambda ids: target_block(cooc, [words[i] for i in ids], target)  # noqa: E731
    kw: dict[str, Any] = dict(
        reference=ref, dim=dim, p=p, zero_family=zero_family, independence=INDEPENDENCE.get(target, 0.0)
    )
    curves = [helper_curve(block_of, fam_ids, h, n_helpers, **kw) for h in (strong, random)]
    for c in curves:
        c.helpers = [words[i] for i in c.helpers]
    return curves[0], curves[1]


@dataclass
class FamilyRemoval:
    """A family's order (and, for a line, its probe) at baseline, after block zeroing and after sentence removal.

    Attributes
    ----------
    family : Family
        The family's words found in the vocabulary.
    orders : dict of str to OrderResult
        ``"baseline"``, ``"block"`` (the family's pairs set to independence in the baseline
        counts) and ``"removed"`` (every unit holding two of its words dropped, recounted).
    probes : dict of str to ProbeCurve
        The same three embeddings probed for the position (linear families with at least
        8 words): the year probe (ridge, random splits) under ``"<name>"`` and least squares
        on all words under ``"<name>:all"``.
    filter_stats : FilterStats
        Units and tokens the removal dropped.
    pairs : int
        Unordered family pairs removed.
    """

    family: Family
    orders: dict[str, OrderResult]
    probes: dict[str, ProbeCurve] = field(default_factory=dict)
    filter_stats: Any = None
    pairs: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "words": len(self.family),
            "pairs": self.pairs,
            "units_dropped": self.filter_stats.docs_dropped if self.filter_stats else None,
            "units_kept": self.filter_stats.docs_kept if self.filter_stats else None,
            "tokens_dropped": self.filter_stats.tokens_dropped if self.filter_stats else None,
        }
        for name, order in self.orders.items():
            out[name] = order.as_dict()
        for name, curve in self.probes.items():
            slope = curve.slope(1, min(30, int(curve.ranks[-1]))) if len(curve.ranks) > 1 else None
            out[f"probe:{name}"] = {"ranks": curve.ranks, "error": curve.error, "slope": slope}
        return out


def family_removal(
    corpus: Any,
    family: Family | str,
    work_dir: str | os.PathLike,
    *,
    count_params: dict[str, Any],
    baseline: Any = None,
    baseline_embedding: Any = None,
    groups: Any = None,
    dim: int = 50,
    target: str = "mstar",
    p: float = 0.5,
    embed_params: dict[str, Any] | None = None,
    n_splits: int = 100,
    seed: int = 0,
) -> FamilyRemoval:
    """Remove every unit (sentence) in which two of the family's words appear together; compare with block zeroing.

    The symmetry paper's headline perturbation (docs/science.md, section 4). Three embeddings
    of the same vocabulary are scored: the baseline counts, the baseline with the family's
    block set to independence (M* = 0 there), and the counts of the corpus without the
    units holding two distinct family words (their M* is then -2: the pairs never meet).

    Parameters
    ----------
    corpus : TokenCorpus
        Units of text: sentences (with ``groups``) or documents.
    family : Family or str
    work_dir : path
        Where the joined baseline and the filtered corpus are written.
    count_params : dict
        :func:`~cooc.count.count_cooccurrences` settings (window, weighting, vocab_size, ...),
        the same for every count.
    baseline : Cooccurrence, optional
        Counts of the baseline corpus with ``count_params`` (saves a count when several
        families are removed from one corpus); counted here otherwise.
    baseline_embedding : Embedding, optional
        The embedding of ``baseline`` with these settings (saves a decomposition).
    groups : array-like or str, optional
        The text of each unit (see :func:`~cooc.experiments.removal.filter_corpus`): kept
        sentences are joined back per text, and the baseline is the joined corpus.
    dim, target, p, embed_params
        The embedding: ``SpectralEmbedding(target, dim=dim, p=p, seed=seed, **embed_params)``.
    n_splits : int
        Splits of the year probe.
    """
    from ..count import count_cooccurrences
    from .removal import filter_corpus, join_documents

    family = load_family(family) if isinstance(family, (str, Path)) else family
    work_dir = Path(work_dir)
    params = {"progress": False, **count_params}
    if baseline is None:
        base_corpus = (
            join_documents(corpus, work_dir / "baseline", groups, overwrite=True)[0] if groups is not None else corpus
        )
        baseline = count_cooccurrences(base_corpus, **params)
    fam = present_family(family, baseline.vocab.key_to_index)
    words = list(fam.words)
    pairs = [(a, b) for i, a in enumerate(words) for b in words[i + 1 :]]
    filtered, stats = filter_corpus(
        corpus, pairs, work_dir / f"without-{fam.name}", groups=groups, overwrite=True, case_insensitive=False
    )
    removed = count_cooccurrences(filtered, **params)
    dim = min(dim, len(baseline) - 1)

    def embed(counts: Any) -> Any:
        return SpectralEmbedding(target, dim=dim, p=p, seed=seed, **(embed_params or {})).fit(counts).embedding_

    base = baseline_embedding if baseline_embedding is not None else embed(baseline)
    vectors = {
        "baseline": np.asarray(base[words], dtype=np.float64),
        "block": np.asarray(embed(baseline.zero_block(pairs))[words], dtype=np.float64),
        "removed": np.asarray(embed(removed)[words], dtype=np.float64),
    }
    orders = {name: recover_order(X, fam, seed=seed) for name, X in vectors.items()}
    probes: dict[str, ProbeCurve] = {}
    if fam.kind == "linear" and len(fam) >= 8:
        n_train = min(60, len(fam) - 3)
        for name, X in vectors.items():
            probes[name] = year_probe(X, fam.positions, n_splits=n_splits, n_train=n_train, seed=seed)
            probes[f"{name}:all"] = projection_probe(X, fam.positions)
    return FamilyRemoval(fam, orders, probes, stats, len(pairs))


__all__ = [
    "SymmetryReport",
    "symmetry_report",
    "RobustnessResult",
    "robustness",
    "helper_experiment",
    "FamilyRemoval",
    "family_removal",
]
