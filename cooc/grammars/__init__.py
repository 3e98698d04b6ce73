"""Synthetic languages with exact statistics, usable as corpus sources.

- :mod:`~cooc.grammars.rhm`: the Random Hierarchy Model (sampling, exact parser, tensors).
"""
from __future__ import annotations

from .rhm import RandomHierarchyModel, RHMSample, as_torch

__all__ = ["RandomHierarchyModel", "RHMSample", "as_torch"]
