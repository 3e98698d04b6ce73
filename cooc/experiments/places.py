"""The places report: location probe and distance-kernel fit of US states or world cities in an embedding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from ..cooccurrence.matrix import as_cooccurrence
from ..embedding import as_embedding
from ..geometry.kernels import DistanceProfile, KernelFit, exponential_r2_scan
from ..geometry.places import (
    MIN_PLACES,
    LocationProbe,
    Places,
    ProbeNull,
    distance_kernel_fit,
    distance_kernel_profile,
    distance_matrix_km,
    load_places,
    location_probe,
    location_probe_null,
)
from ..spectral.blocks import target_block


@dataclass
class PlacesReport:
    """The probe and the distance kernel of one place set in one embedding.

    Attributes
    ----------
    places : Places
        The places found in the vocabulary.
    missing : int
    probe : LocationProbe
    kernel : KernelFit
        Fitted to the Gram block W W^T, or to the target block when counts were given.
    block_source : str
    probe_null : ProbeNull or None
        The probe on coordinates shuffled among the places (``n_null`` shuffles).
    kernel_null_r2 : ndarray of shape (n_null,)
        R^2 of the distance kernel with the places' labels shuffled, by the fast scan of
        :func:`~cooc.geometry.kernels.exponential_r2_scan`; ``kernel_r2_scan`` is the same
        scan on the real labels (compare the two, not the full fit's R^2 with the scan's).
    kernel_r2_scan : float
    profile : DistanceProfile or None
        Mean block entry per distance bin, with its shuffled-label null.
    """

    places: Places
    missing: int
    probe: LocationProbe
    kernel: KernelFit
    block_source: str
    probe_null: ProbeNull | None = None
    kernel_null_r2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kernel_r2_scan: float = float("nan")
    profile: DistanceProfile | None = None

    def as_dict(self) -> dict[str, Any]:
        """The numbers, nulls included, for a results file."""
        out: dict[str, Any] = {
            "in_vocabulary": len(self.places),
            "missing": self.missing,
            "probe": self.probe.as_dict(),
            "distance_kernel": self.kernel.as_dict(),
            "block": self.block_source,
        }
        if self.probe_null is not None:
            out["probe_null"] = self.probe_null.as_dict()
            out["probe_p_value"] = self.probe_null.p_value(self.probe.r2_lat, self.probe.r2_lon)
        if len(self.kernel_null_r2):
            out["distance_kernel_r2_scan"] = self.kernel_r2_scan
            out["distance_kernel_r2_null_mean"] = float(np.mean(self.kernel_null_r2))
            out["distance_kernel_r2_null_95"] = float(np.quantile(self.kernel_null_r2, 0.95))
        if self.profile is not None:
            out["profile"] = self.profile.as_dict()
        return out

    def rows(self) -> list[tuple[str, str]]:
        p, k = self.probe.as_dict(), self.kernel
        rows = [
            ("places", f"{len(self.places)} in the vocabulary, {self.missing} missing"),
            ("probe R^2 latitude", f"{p['r2_lat']:.4f}"),
            ("probe R^2 longitude", f"{p['r2_lon']:.4f}"),
            ("probe error", f"median {p['median_km']:.0f} km, mean {p['mean_km']:.0f} km"),
            ("probe folds", str(self.probe.n_folds)),
            ("kernel block", self.block_source),
        ]
        rows += [(f"kernel {n}", f"{k.params[n]:.4g} +- {k.stderr[n]:.2g}") for n in k.params]
        rows.append(("kernel R^2", f"{k.r2:.4f}"))
        return rows


def places_report(
    embedding: Any,
    kind: str = "us_states",
    n: int | None = None,
    cooc: Any = None,
    target: str = "mstar",
    n_components: int | None = None,
    seed: int = 0,
    joiner: str = "-",
    n_folds: int | None = None,
    n_null: int = 0,
) -> PlacesReport:
    """Load the places, keep those in the vocabulary, run the location probe and the distance-kernel fit.

    Parameters
    ----------
    embedding : Embedding or path
    kind : {"us_states", "world_cities"}
    n : int, optional
        World cities: how many (default 200).
    cooc : Cooccurrence or path, optional
        Fit the kernel to the ``target`` block of these counts instead of the Gram block.
    target : str
    n_components : int, optional
        Probe on the top principal components.
    seed : int
        Shuffles the probe's folds.
    joiner : str
        Joins the tokens of multi-word names.
    n_folds : int, optional
        Probe folds; default 5, or fewer (at least 2) so that each fold holds 3 places.
    n_null : int
        Shuffles for the nulls: the probe on shuffled coordinates, the kernel fit on shuffled
        labels, and the distance profile's band (0: no nulls).

    Raises
    ------
    InputDataError
        When fewer than 6 places are in the vocabulary (too few to cross-validate).
    """
    embedding, cooc = as_embedding(embedding, "places_report"), as_cooccurrence(cooc)
    places = load_places(kind, n, joiner)
    found = places.present(embedding.key_to_index)
    if cooc is not None:
        found = found.present(cooc.vocab.key_to_index)
    if len(found) < MIN_PLACES:
        raise InputDataError(
            f"only {len(found)} of the {len(places)} {kind} are in the vocabulary; at least "
            f"{MIN_PLACES} are needed to cross-validate the location probe."
        )
    X = np.asarray(embedding[list(found.words)], dtype=np.float64)
    probe = location_probe(X, found.lat, found.lon, n_components=n_components, n_folds=n_folds, seed=seed)
    block = target_block(cooc, found.words, target) if cooc is not None else X @ X.T
    kernel = distance_kernel_fit(block, found.lat, found.lon)
    report = PlacesReport(found, len(places) - len(found), probe, kernel, target if cooc is not None else "gram")
    if n_null:
        folds = probe.n_folds
        report.probe_null = location_probe_null(
            X, found.lat, found.lon, n_null, seed=seed, n_components=n_components, n_folds=folds
        )
        rng = np.random.default_rng(seed)
        i, j = np.triu_indices(len(found), k=1)
        km = distance_matrix_km(found.lat, found.lon)[i, j]
        report.kernel_r2_scan = exponential_r2_scan(km, block[i, j])
        perms = (rng.permutation(len(found)) for _ in range(n_null))
        report.kernel_null_r2 = np.array([exponential_r2_scan(km, block[np.ix_(p, p)][i, j]) for p in perms])
        report.profile = distance_kernel_profile(block, found.lat, found.lon, n_shuffles=n_null, seed=seed)
    return report


__all__ = ["PlacesReport", "places_report"]
