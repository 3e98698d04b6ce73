"""Harmonic weights over long windows: exact values where int64 products would wrap; a clear limit."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.count import count_cooccurrences
from cooc.count.distributed import count_distributed
from cooc.count.windows import MAX_HARMONIC_WINDOW, integer_weights


def exact_harmonic(doc, V, window, offset=None):
    """The definition with exact fractions: forward pairs at offset j weigh 1/j; symmetric total."""
    doc = np.asarray(doc)
    C = [[Fraction(0)] * V for _ in range(V)]
    for j in range(1, window + 1) if offset is None else [offset]:
        pairs = np.zeros((V, V), dtype=np.int64)
        np.add.at(pairs, (doc[:-j], doc[j:]), 1)
        for a in range(V):
            for b in range(V):
                C[a][b] += Fraction(int(pairs[a, b]), j)
    F = np.array([[float(x) for x in row] for row in C])
    return F + F.T


@pytest.mark.parametrize("engine", ["numba", "vectorized"])
def test_a_window_of_40_counts_exactly_where_weight_times_count_passes_int64(make_corpus, engine, rng):
    # lcm(1..40) / j * count wraps int64 once a count at offset 1 reaches ~1,700: here it is ~2,000-3,000
    doc = rng.integers(0, 2, 5_000).tolist()
    corpus = make_corpus([doc], 2)
    res = count_cooccurrences(corpus, window=40, weighting="harmonic", engine=engine, per_offset=True, progress=False)
    np.testing.assert_allclose(res.counts.toarray(), exact_harmonic(doc, 2, 40), rtol=1e-12)
    for j in (1, 2, 40):
        np.testing.assert_allclose(res.per_offset[j - 1].toarray(), exact_harmonic(doc, 2, 40, offset=j), rtol=1e-12)
    alone = count_cooccurrences(corpus, window=40, weighting="harmonic", engine=engine, progress=False)
    np.testing.assert_allclose(alone.counts.toarray(), res.counts.toarray(), rtol=1e-12)


def test_the_longest_harmonic_window_is_stated_and_a_longer_one_refused_before_counting(tmp_path):
    assert math.lcm(*range(1, MAX_HARMONIC_WINDOW + 1)) < 2**62 <= math.lcm(*range(1, MAX_HARMONIC_WINDOW + 2))
    assert integer_weights(MAX_HARMONIC_WINDOW, "harmonic")[1] == math.lcm(*range(1, MAX_HARMONIC_WINDOW + 1))
    with pytest.raises(InvalidParameterError, match="harmonic weights allow a window of at most 42.*got 43"):
        integer_weights(43, "harmonic")
    # refused up front: the corpus is never opened (this path holds none)
    for scheduler in (None, "tcp://127.0.0.1:9"):
        with pytest.raises(InvalidParameterError, match="at most 42"):
            count_cooccurrences(tmp_path / "none", window=43, weighting="harmonic", scheduler=scheduler)
    with pytest.raises(InvalidParameterError, match="at most 42"):
        count_distributed(tmp_path / "none", "tcp://127.0.0.1:9", window=43, weighting="harmonic")
    assert len(integer_weights(10_000, "uniform")[0]) == 10_000
