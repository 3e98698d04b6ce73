"""The command-line tests reuse the corpora of the rooms they drive."""

from __future__ import annotations

import pytest

from ..count.conftest import make_corpus  # noqa: F401  (fixture)
from ..train.conftest import cluster_corpus  # noqa: F401  (fixture)


@pytest.fixture
def months(tmp_path):
    """``emb`` (an M* embedding) and ``counts`` (exact counts) of the twelve months on a circle, in ``tmp_path``."""
    from cooc.geometry.symmetry import load_family
    from cooc.grammars.latent import LatentVariableModel
    from cooc.spectral.estimator import SpectralEmbedding

    model = LatentVariableModel(12, "circle", scale=1.0, n_fillers=20, words=load_family("months").words)
    counts = model.exact_cooccurrence()
    SpectralEmbedding("mstar", dim=10).fit(counts).embedding_.save(tmp_path / "emb")
    counts.save(tmp_path / "counts")
    return tmp_path
