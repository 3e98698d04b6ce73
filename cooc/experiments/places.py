"""The places report: location probe and distance-kernel fit of US states or world cities in an embedding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from ..geometry.kernels import KernelFit
from ..geometry.places import MIN_PLACES, LocationProbe, Places, distance_kernel_fit, load_places, location_probe
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
    """

    places: Places
    missing: int
    probe: LocationProbe
    kernel: KernelFit
    block_source: str

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
) -> PlacesReport:
    """Load the places, keep those in the vocabulary, run the location probe and the distance-kernel fit.

    Parameters
    ----------
    embedding : Embedding
    kind : {"us_states", "world_cities"}
    n : int, optional
        World cities: how many (default 200).
    cooc : Cooccurrence, optional
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

    Raises
    ------
    InputDataError
        When fewer than 6 places are in the vocabulary (too few to cross-validate).
    """
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
    return PlacesReport(found, len(places) - len(found), probe, kernel, target if cooc is not None else "gram")


__all__ = ["PlacesReport", "places_report"]
