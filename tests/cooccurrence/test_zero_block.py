"""``Cooccurrence.zero_block``: the pairs take independence in the total and in every offset plane."""

from __future__ import annotations

import numpy as np
import pytest

from .random_counts import random_cooc


def test_zero_block_sets_every_offset_plane_to_its_own_independence(rng):
    cooc = random_cooc(rng, V=12, zero_unigram=0, per_offset=True)
    zeroed = cooc.zero_block([("w1", "w4"), ("w2", "w2")])
    p = cooc.unigram_probabilities("global")
    changed = {(1, 4), (4, 1), (2, 2)}
    planes = [(cooc.counts, zeroed.counts, cooc.total)]
    planes += [(old, new, old.sum()) for old, new in zip(cooc.per_offset, zeroed.per_offset)]
    for old, new, total in planes:
        old, new = old.toarray(), new.toarray()
        for a, b in changed:
            assert new[a, b] == pytest.approx(total * p[a] * p[b], rel=1e-14)
        keep = np.ones(old.shape, dtype=bool)
        keep[tuple(np.array(sorted(changed)).T)] = False
        np.testing.assert_array_equal(new[keep], old[keep])
    assert {tuple(x) for x in zeroed.independent_pairs} == changed
