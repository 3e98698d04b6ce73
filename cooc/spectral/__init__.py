"""Spectral embeddings: target matrices, eigensolvers, and the Embedding container."""
from __future__ import annotations

from .embedding import Embedding

__all__ = ["Embedding"]
