"""Synthetic languages with exact statistics, usable as corpus sources.

- :mod:`~cooc.grammars.rhm`: the Random Hierarchy Model (sampling, exact parser, tensors).
- :mod:`~cooc.grammars.latent`: words on a circle / line / plane plus fillers; exact joint, Fourier modes.
- :mod:`~cooc.grammars.taxonomy`: concepts on a tree, co-occurring as ``alpha exp(-beta d)``.
"""
from __future__ import annotations

from .latent import LatentVariableModel, circulant_eigenvalues, fourier_modes
from .rhm import RandomHierarchyModel, RHMSample, as_torch
from .taxonomy import TaxonomyModel

__all__ = ["RandomHierarchyModel", "RHMSample", "as_torch", "LatentVariableModel", "fourier_modes",
           "circulant_eigenvalues", "TaxonomyModel"]
