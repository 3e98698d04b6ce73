"""Symmetry experiments that combine counts and embeddings: the family report, robustness to zeroing
the family's block, and the helper-word experiment (the measurements themselves are in
:mod:`cooc.geometry.symmetry`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..geometry.families import Family, load_family, present_family
from ..geometry.kernels import KernelFit, SymmetryResidual, fit_family_kernel, symmetry_residual
from ..geometry.probe import principal_coordinates
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
        The embedding: ``SpectralEmbedding(target, dim=dim, p=p, seed=seed)``.
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
    dim = min(dim, len(cooc))

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
    n_helpers = [h for h in n_helpers if h <= len(others)]  # a small vocabulary has fewer candidates
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


__all__ = ["SymmetryReport", "symmetry_report", "RobustnessResult", "robustness", "helper_experiment"]
