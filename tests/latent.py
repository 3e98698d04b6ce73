"""Embeddings and counts of the latent-variable model, shared by the geometry and experiment tests."""

from __future__ import annotations

import numpy as np

from cooc.cooccurrence.matrix import Cooccurrence
from cooc.corpus.store import CorpusWriter
from cooc.corpus.vocab import Vocabulary
from cooc.count import count_cooccurrences
from cooc.grammars.latent import LatentVariableModel
from cooc.spectral.estimator import SpectralEmbedding


def latent_vectors(model: LatentVariableModel, dim: int) -> np.ndarray:
    emb = SpectralEmbedding("mstar", dim=dim).fit_transform(model.exact_cooccurrence())
    return emb.vectors[: model.n_words]


def counted(model: LatentVariableModel, shuffle: bool, tmp_path, n_docs: int = 20000) -> Cooccurrence:
    tokens, _ = model.sample(n_docs, seed=0)
    if shuffle:
        tokens = np.random.default_rng(1).permutation(tokens.ravel()).reshape(tokens.shape)
    vocab = Vocabulary(model.words, np.bincount(tokens.ravel(), minlength=len(model.words)))
    out = tmp_path / ("shuffled" if shuffle else "ordered")
    with CorpusWriter(out, vocab, {"model": "latent", "shuffled": shuffle}) as writer:
        writer.add_documents(tokens.ravel(), np.arange(0, tokens.size + 1, tokens.shape[1]))
    return count_cooccurrences(out, window=10, progress=False)
