"""Spectral embeddings: target matrices, eigensolvers, and the Embedding container.

``Embedding`` is imported eagerly (numpy only); the rest on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from .embedding import Embedding

_LAZY = {
    "Target": "cooc.spectral.targets",
    "target_matrix": "cooc.spectral.targets",
    "top_eigenpairs": "cooc.spectral.eigen",
    "Eigenpairs": "cooc.spectral.eigen",
    "SpectralEmbedding": "cooc.spectral.estimator",
}

__all__ = ["Embedding", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cooc.spectral' has no attribute {name!r}")
