"""Spectral embeddings: target matrices, eigensolvers, and the Embedding container.

``Embedding`` is imported eagerly (numpy only); the rest on first use.
"""

from __future__ import annotations

from .._core.lazy import lazy_exports
from ..embedding import Embedding

_LAZY = {
    "Target": "cooc.spectral.targets",
    "target_matrix": "cooc.spectral.targets",
    "top_eigenpairs": "cooc.spectral.eigen",
    "Eigenpairs": "cooc.spectral.eigen",
    "EigenEmbedding": "cooc.spectral.estimator",
    "SpectralEmbedding": "cooc.spectral.estimator",
}

__all__ = ["Embedding", *_LAZY]


__getattr__, __dir__ = lazy_exports(globals(), _LAZY, eager=("Embedding",))
