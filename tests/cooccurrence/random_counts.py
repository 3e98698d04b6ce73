"""Random symmetric co-occurrence matrices for the matrix and target-operator tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cooc import Cooccurrence
from cooc.corpus.vocab import Vocabulary


def random_cooc(rng, V=60, density=0.3, weighted=True, zero_unigram=2, per_offset=False):
    """Symmetric random counts; the last ``zero_unigram`` words never occur (q = 0) but a few of their pairs do."""
    upper = sp.random(
        V,
        V,
        density=density,
        random_state=np.random.RandomState(rng.integers(2**31)),
        data_rvs=lambda n: rng.integers(1, 50, n).astype(np.float64),
    )
    C = upper + upper.T
    C = C if weighted else C.astype(np.int64)
    unigram = rng.integers(1, 1000, V)
    if zero_unigram:
        unigram[-zero_unigram:] = 0
    vocab = Vocabulary([f"w{i}" for i in range(V)], unigram)
    per = [C * 0.25, C * 0.75] if per_offset else None
    return Cooccurrence(C, vocab, unigram, settings={"window": 2, "symmetric": True}, per_offset=per)


def dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
