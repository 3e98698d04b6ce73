"""Pins the window definitions of docs/science.md, section 1, against brute force.

- ``integer_weights`` / ``offset_weights``: w(j) = 1 (uniform), L + 1 - j (linear), 1/j (harmonic),
  checked as exact fractions for every window up to the harmonic limit (42; 43 is refused);
- ``prepare_chunk`` + ``offset_pairs``: the forward pairs of offset j = 1..L, with OOV tokens dropped
  (windows bridge them) or kept as gaps, never across documents, equal to a plain double loop, also
  when the stream is cut into chunks that carry their last L tokens.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from cooc.count.local import iter_raw_chunks
from cooc.count.windows import MAX_HARMONIC_WINDOW, integer_weights, offset_pairs, offset_weights, prepare_chunk


@pytest.mark.parametrize("window", [1, 2, 5, 7, 16, 41, 42])
def test_weights_are_the_exact_fractions(window):
    for weighting, w in (
        ("uniform", lambda j: Fraction(1)),
        ("linear", lambda j: Fraction(window + 1 - j)),
        ("harmonic", lambda j: Fraction(1, j)),
    ):
        ints, scale = integer_weights(window, weighting)
        assert ints.dtype == np.int64 and ints.shape == (window,)
        assert [Fraction(int(i), scale) for i in ints] == [w(j) for j in range(1, window + 1)], weighting
        np.testing.assert_array_equal(offset_weights(window, weighting), [float(w(j)) for j in range(1, window + 1)])
    assert integer_weights(window, "harmonic")[1] == math.lcm(*range(1, window + 1))
    assert integer_weights(window, "uniform")[1] == integer_weights(window, "linear")[1] == 1


def test_the_harmonic_limit_is_42():
    assert MAX_HARMONIC_WINDOW == 42
    assert math.lcm(*range(1, 43)) < 2**62 <= math.lcm(*range(1, 44))
    integer_weights(42, "harmonic")
    with pytest.raises(Exception, match="at most 42"):
        integer_weights(43, "harmonic")


def brute_force(docs, V, L, oov):
    """Counter of (a, b, j): b sits j places after a in one document, both in the vocabulary."""
    out = Counter()
    for doc in docs:
        seq = [t for t in doc if t < V] if oov == "drop" else list(doc)
        for i, a in enumerate(seq):
            for j in range(1, L + 1):
                if i + j < len(seq) and a < V and seq[i + j] < V:
                    out[(a, seq[i + j], j)] += 1
    return out


def chunked_pairs(docs, V, L, oov, max_tokens):
    """The pairs of the stream fed in the chunks ``cooc.count.local.iter_raw_chunks`` cuts it into (at a
    document boundary in reach of ``max_tokens`` tokens, else inside the document)."""

    class OneShard:
        def iter_shards(self):
            yield (
                np.concatenate([np.asarray(d, dtype=np.int32) for d in docs]),
                np.cumsum([0] + [len(d) for d in docs])[:-1],
            )

    out, carry = Counter(), None
    for tokens, starts, cut, mid in iter_raw_chunks(OneShard(), max_tokens):
        chunk, carry = prepare_chunk(np, tokens, starts, V, L, oov, carry, cut, mid)
        for j in range(1, L + 1):
            a, b = offset_pairs(np, chunk, j, V)
            out.update((int(x), int(y), j) for x, y in zip(a, b))
    return out


@pytest.mark.parametrize("oov", ["drop", "gap"])
@pytest.mark.parametrize("L", [1, 2, 4])
def test_pairs_equal_the_double_loop(oov, L):
    rng = np.random.default_rng(7 * L + len(oov))
    V = 6
    docs = [rng.integers(0, V + 3, rng.integers(1, 14)).tolist() for _ in range(9)]  # ids >= V are OOV
    expected = brute_force(docs, V, L, oov)
    assert sum(expected.values()) > 0
    for max_tokens in (10_000, 7, 3):  # 3: long documents are cut, some chunks all OOV
        assert chunked_pairs(docs, V, L, oov, max_tokens) == expected, max_tokens
