"""Embeddings and counts of the latent-variable model, shared by the geometry and experiment tests."""

from __future__ import annotations

import numpy as np

from cooc.cooccurrence.matrix import Cooccurrence
from cooc.grammars.latent import LatentVariableModel
from cooc.spectral.estimator import SpectralEmbedding

from .corpora import count_documents


def latent_vectors(model: LatentVariableModel, dim: int) -> np.ndarray:
    emb = SpectralEmbedding("mstar", dim=dim).fit(model.exact_cooccurrence()).embedding_
    return emb.vectors[: model.n_words]


def counted(model: LatentVariableModel, shuffle: bool, tmp_path, n_docs: int = 20000) -> Cooccurrence:
    tokens, _ = model.sample(n_docs, seed=0)
    return count_documents(tokens, model.words, tmp_path / ("shuffled" if shuffle else "ordered"), 10, shuffle)
