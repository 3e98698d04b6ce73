"""Hypernymy experiments on counts: how co-occurrence falls with distance on a hypernym tree.

The hypernymy paper (docs/science.md, section 5) starts from the observation that words
closer on the WordNet hypernym tree co-occur more: M*_ij = f(d_ij) with
f(x) = alpha exp(-beta x). :func:`tree_profile` measures it on any counts: the mean of a
target's entries (the co-occurrence probability ``p``, M*) over the word pairs at each tree
distance, the same means with the words shuffled over the tree's nodes (what the profile
looks like when co-occurrence ignores the tree), and the exponential fitted to the pairs,
whose rate is reported only where the profile stands off the null over several distances
and the fit is a decay (a positive amplitude, a decay length within the tree's distances).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from ..geometry.hypernymy import MAX_DECAY_LENGTH
from ..geometry.kernels import DistanceProfile, KernelFit, distance_profile, fit_exponential_kernel
from ..geometry.trees import tree_distances
from ..spectral.blocks import target_block

#: Distance classes whose mean must differ from the shuffled null before a decay rate is
#: reported: one class is a step, not a decay.
MIN_RESOLVED = 3
#: How far from the null (in null standard deviations) a class must stand to count.
Z_FROM_NULL = 3.0


@dataclass
class TreeProfile:
    """Targets against tree distance for the words of one tree.

    Attributes
    ----------
    profiles : dict of str to DistanceProfile
        One per target kind (mean entry per distance, and its shuffled-word null).
    fits : dict of str to KernelFit
        ``amp * exp(-d / sigma) (+ offset for M*)`` fitted to every pair (beta = 1 / sigma).
        Its R^2 over single pairs is small even for a real decay; whether a decay is resolved
        is read from the class means against the null (:meth:`resolved`).
    n_words : int
    n_pairs : int
        Pairs of words in the same tree (finite distance).
    """

    profiles: dict[str, DistanceProfile]
    fits: dict[str, KernelFit]
    n_words: int
    n_pairs: int

    def z(self, kind: str) -> np.ndarray:
        """Each class mean's excess over the shuffled null, in null standard deviations."""
        prof = self.profiles[kind]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (prof.mean - prof.null_mean) / prof.null_std

    def resolved(self, kind: str) -> int:
        """How many distance classes differ from the shuffled null by more than ``Z_FROM_NULL`` null
        standard deviations (above it at short distances, below it at long ones for a decay: the
        null is the profile's own mean)."""
        return int(np.sum(np.abs(np.nan_to_num(self.z(kind))) > Z_FROM_NULL))

    def beta_refused(self, kind: str) -> str | None:
        """Why no decay rate is reported for ``kind`` (None when one is): too few distance classes off the
        null, or a fit that is no decay (a profile rising with distance stands off the null as well)."""
        n = self.resolved(kind)
        if n < MIN_RESOLVED:
            return (
                f"{n} distance class(es) differ from the shuffled null by {Z_FROM_NULL:g} null std (at least "
                f"{MIN_RESOLVED} needed): no decay resolved"
            )
        amp, sigma = self.fits[kind].params["amp"], self.fits[kind].params["sigma"]
        longest = float(np.max(self.profiles[kind].distance))
        if not amp > 0:
            return f"the fitted amplitude {amp:.3g} is not positive: the profile rises with tree distance, no decay"
        if sigma > MAX_DECAY_LENGTH * longest:
            return (
                f"the fitted decay length {sigma:.3g} exceeds {MAX_DECAY_LENGTH:g} x the largest tree distance "
                f"({longest:g}): no decay"
            )
        return None

    def beta(self, kind: str) -> float | None:
        """The fitted decay rate beta = 1 / sigma of ``kind``, or None when no decay is resolved."""
        return None if self.beta_refused(kind) else 1.0 / self.fits[kind].params["sigma"]

    def resolved_fits(self) -> dict[str, KernelFit]:
        """The fits of the kinds whose decay is resolved (the ones worth drawing)."""
        return {k: f for k, f in self.fits.items() if self.beta(k) is not None}

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"words": self.n_words, "pairs": self.n_pairs}
        for kind, prof in self.profiles.items():
            out[kind] = prof.as_dict() | {
                "fit": self.fits[kind].as_dict(),
                "z_above_null": self.z(kind),
                "resolved_distances": self.resolved(kind),
                "beta": self.beta(kind),
                "beta_refused": self.beta_refused(kind),
            }
        return out


def tree_profile(
    cooc: Any,
    words: Sequence[str],
    parent: np.ndarray,
    kinds: Sequence[str] = ("p", "mstar"),
    n_shuffles: int = 100,
    seed: int = 0,
) -> TreeProfile:
    """Mean target entry against tree distance, with the shuffled-word null and the exponential fit.

    Parameters
    ----------
    cooc : Cooccurrence
    words : sequence of str, length n
        The word of each tree node (all in the vocabulary).
    parent : ndarray of shape (n,)
        Tree parents, -1 for roots (pairs across roots are left out).
    kinds : sequence of str
        Target kinds (``"p"`` the co-occurrence probability P_ij, ``"m"``, ``"mstar"``, ...).
    n_shuffles : int
        Shuffles of the words over the nodes for the null.
    """
    words = list(words)
    if len(words) != len(parent) or len(words) < 3:
        raise InputDataError(f"tree_profile: {len(words)} words for {len(parent)} tree nodes (at least 3 needed).")
    D = tree_distances(parent)
    i, j = np.triu_indices(len(words), k=1)
    finite = np.isfinite(D[i, j])
    profiles, fits = {}, {}
    for kind in kinds:
        block = target_block(cooc, words, kind)
        profiles[kind] = distance_profile(block, D, n_shuffles=n_shuffles, seed=seed)
        fits[kind] = fit_exponential_kernel(D[i, j][finite], block[i, j][finite], offset=kind != "p", model="tree")
    return TreeProfile(profiles, fits, len(words), int(finite.sum()))


__all__ = ["MIN_RESOLVED", "TreeProfile", "Z_FROM_NULL", "tree_profile"]
