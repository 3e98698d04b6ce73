"""Window weights, document limits, chunk carries and offset pairs (one body per backend)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc._core.device import to_numpy
from cooc.count.windows import (
    Carry,
    doc_labels,
    integer_weights,
    offset_pairs,
    offset_weights,
    prepare_chunk,
    remaining_in_doc,
)


def test_weights_match_the_definitions():
    np.testing.assert_array_equal(offset_weights(4, "uniform"), [1, 1, 1, 1])
    np.testing.assert_array_equal(offset_weights(4, "linear"), [4, 3, 2, 1])
    np.testing.assert_array_equal(offset_weights(4, "harmonic"), [1, 1 / 2, 1 / 3, 1 / 4])
    ints, scale = integer_weights(10, "harmonic")
    assert scale == 2520 and all(ints[j - 1] * j == scale for j in range(1, 11))
    ints, scale = integer_weights(16, "harmonic")
    assert scale == math.lcm(*range(1, 17)) == 720720
    with pytest.raises(ValueError):
        integer_weights(3, "cosine")


def test_doc_labels_and_remaining(xp):
    labels = doc_labels(xp, 7, xp.asarray([0, 3, 3, 5]))  # docs [0,3) [] [3,5) [5,7)
    assert to_numpy(labels).tolist() == [1, 1, 1, 2, 2, 3, 3]
    rem = remaining_in_doc(xp, labels, 2)
    assert to_numpy(rem).tolist() == [2, 1, 0, 1, 0, 1, 0]
    assert to_numpy(remaining_in_doc(xp, labels, 1)).tolist() == [1, 1, 0, 1, 0, 1, 0]


def test_prepare_drop_bridges_and_gap_keeps(xp):
    tokens = xp.asarray([0, 9, 1, 2, 9, 9, 3], dtype=xp.int32)  # 9 is out of vocabulary (V = 5)
    chunk, carry = prepare_chunk(xp, tokens, xp.asarray([0, 4]), 5, 3, "drop", None, False, False)
    assert carry is None and chunk.n_centres == 4
    assert to_numpy(chunk.ids).tolist() == [0, 1, 2, 3]
    assert to_numpy(chunk.rem).tolist() == [2, 1, 0, 0]
    chunk, _ = prepare_chunk(xp, tokens, xp.asarray([0, 4]), 5, 3, "gap", None, False, False)
    assert to_numpy(chunk.ids).tolist() == [0, 9, 1, 2, 9, 9, 3]
    a, b = offset_pairs(xp, chunk, 2, 5)
    assert list(zip(to_numpy(a).tolist(), to_numpy(b).tolist())) == [(0, 1)]


def test_cut_chunks_carry_their_last_window(xp):
    """A document cut in two gives the same pairs as the whole document."""
    doc = xp.asarray([1, 2, 3, 4, 5, 6, 7], dtype=xp.int32)
    whole, _ = prepare_chunk(xp, doc, xp.asarray([0]), 10, 2, "drop", None, False, False)
    first, carry = prepare_chunk(xp, doc[:4], xp.asarray([0]), 10, 2, "drop", None, True, False)
    assert isinstance(carry, Carry) and first.n_centres == 2
    second, none = prepare_chunk(xp, doc[4:], xp.asarray([], dtype=xp.int64), 10, 2, "drop", carry, False, True)
    assert none is None

    def pairs(chunks):
        out = set()
        for ch in chunks:
            for j in (1, 2):
                a, b = offset_pairs(xp, ch, j, 10)
                out |= {(int(x), int(y), j) for x, y in zip(to_numpy(a), to_numpy(b))}
        return out

    assert pairs([first, second]) == pairs([whole])
    assert len(pairs([whole])) == 6 + 5
