"""A target's block for a few words equals the same block of the full target."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.errors import InputDataError
from cooc.cooccurrence.matrix import Cooccurrence
from cooc.corpus.vocab import Vocabulary
from cooc.spectral.blocks import target_block
from cooc.spectral.kinds import KINDS
from cooc.spectral.targets import target_matrix


def test_target_block_equals_the_full_target(rng):
    V = 30
    counts = rng.poisson(0.7, size=(V, V))
    words = [f"w{i}" for i in range(V)]
    cooc = Cooccurrence(sp.csr_matrix(counts + counts.T), Vocabulary(words, rng.integers(1, 50, V)))
    cooc = cooc.zero_block([("w3", "w5"), ("w7", "w7")])
    pick = ["w5", "w3", "w7", "w12", "w0", "w29"]
    ids = cooc.vocab.ids(pick)
    for kind in KINDS:
        for params in ({}, {"marginals": "block"}, {"alpha": 0.75}):
            full = target_matrix(cooc, kind, **params)
            full = full.toarray() if sp.issparse(full) else np.asarray(full)
            assert target_block(cooc, pick, kind, **params) == pytest.approx(full[np.ix_(ids, ids)], abs=1e-12)
    with pytest.raises(InputDataError, match="not in the co-occurrence vocabulary"):
        target_block(cooc, ["w1", "nope"])
