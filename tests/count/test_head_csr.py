"""The host head and the merged tail straight to CSR (cooc.count.head_csr), against merging the head's run
with the tail's and forming M + M^T with scipy, on random heads and runs: the same bits."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc.count import head_csr
from cooc.count.accumulate import HeadLayout, head_run, merge_runs
from cooc.count.host_csr import planes_to_csr
from cooc.count.windows import integer_weights

pytestmark = pytest.mark.skipif(not head_csr.AVAILABLE, reason="needs numba")


def random_case(rng, V, planes, head_share, density, n_runs):
    """A hyperbolic head (planes of int64, zeros among them) and sorted runs of keys outside it that share keys."""
    layout = HeadLayout.fit(V, int(head_share * V * V))
    head = np.where(rng.random(planes * layout.cells) < density, rng.integers(1, 2**40, planes * layout.cells), 0)
    j, a, b = np.unravel_index(np.arange(planes * V * V, dtype=np.int64), (planes, V, V))
    outside = np.arange(planes * V * V, dtype=np.int64)[b >= layout.row_len[a]]
    runs = []
    for _ in range(n_runs):
        keys = outside[rng.random(outside.shape[0]) < density]
        runs.append((keys, rng.integers(1, 2**40, keys.shape[0]).astype(np.int64)))
    return layout, head.astype(np.int64), runs


def reference(head, layout, runs, V, planes, symmetric, divide):
    """What the counter did before: the head's run merged with the runs, scipy's M + M^T, then the weights."""
    keys, values = merge_runs(runs + [head_run(np, head, layout, V, planes)])
    out = []
    for m in planes_to_csr(keys, values, V, planes):
        if symmetric:
            m = (m + m.T).tocsr()
            m.sum_duplicates()
        data = m.data if divide == 0 else m.data.astype(np.float64) / divide
        out.append(sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape))
    return out


def assert_same_bits(got, ref):
    assert got.shape == ref.shape and got.data.dtype == ref.data.dtype
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.data.view(np.int64), ref.data.view(np.int64))
    assert got.has_canonical_format


@pytest.mark.parametrize("case", range(24))
def test_equals_the_merged_head_and_scipy(rng, case, monkeypatch):
    """Every combination of planes, symmetry, weighing, threads and tile size (tiles smaller than V too)."""
    V = int(rng.integers(1, 40))
    planes = int(rng.integers(1, 4))
    symmetric = bool(case % 2)
    weighting = ("uniform", "linear", "harmonic")[case % 3]
    divide = 0 if weighting == "uniform" else integer_weights(int(rng.integers(1, 11)), weighting)[1]
    threads = int(rng.integers(1, 5))
    monkeypatch.setattr(head_csr, "TILE", int(rng.choice([1, 3, 7, 64])))
    layout, head, runs = random_case(rng, V, planes, rng.random(), rng.random(), int(rng.integers(0, 4)))
    tail = [merge_runs(runs)]  # one range ...
    if tail[0][0].shape[0] > 2 and case % 4 == 0:  # ... or several, cut at any key (a row may span two)
        keys, values = tail[0]
        cuts = np.sort(rng.choice(np.arange(1, keys.shape[0]), 2, replace=False))
        tail = [(k, v) for k, v in zip(np.split(keys, cuts), np.split(values, cuts))]
    ref = reference(head.copy(), layout, runs, V, planes, symmetric, divide)
    got = head_csr.head_tail_to_csr(head, layout, tail, V, planes, symmetric, divide, threads)
    assert tail == []  # the ranges were let go
    assert len(got) == planes
    for g, r in zip(got, ref):
        assert_same_bits(g, r)


def test_the_in_place_transpose_covers_every_cell_once(rng, monkeypatch):
    """A head of ones over a full-size block: every cell 2 after H + H^T (the diagonal doubled too)."""
    monkeypatch.setattr(head_csr, "TILE", 4)
    V = 50
    layout = HeadLayout.fit(V, 900)
    head = np.ones(layout.cells, np.int64)
    (m,) = head_csr.head_tail_to_csr(head, layout, [], V, 1, symmetric=True, threads=3)
    assert m.nnz == layout.cells and (m.data == 2).all()
    dense = m.toarray()
    np.testing.assert_array_equal(dense, dense.T)


def test_symmetric_needs_a_hyperbolic_head():
    V = 6
    lay = HeadLayout.fit(V, 20)
    lopsided = HeadLayout(np.full(V, 2, np.int64), np.arange(0, 2 * V + 1, 2, dtype=np.int64), lay.bound)
    with pytest.raises(ValueError, match="hyperbolic"):
        head_csr.head_tail_to_csr(np.zeros(2 * V, np.int64), lopsided, [], V, 1, symmetric=True)
    (m,) = head_csr.head_tail_to_csr(np.ones(2 * V, np.int64), lopsided, [], V, 1)  # forward: any layout
    assert m.nnz == 2 * V


def test_row_blocks_and_parts_are_dealt_by_work():
    """The transpose's row blocks go to threads with loads within one block of each other, each block once;
    the row parts of the other passes hold about equal head cells and tail entries."""
    layout = HeadLayout.fit(1000, 200_000)
    ptr, owned = head_csr._tile_owners(layout, 16, 3)
    firsts = np.arange(0, 1000, 16)
    work = (np.minimum(firsts + 16, 1000) - firsts) * np.maximum(layout.row_len[firsts] - firsts, 0)
    assert sorted(owned.tolist()) == list(range(firsts.size))
    loads = [int(work[owned[ptr[t] : ptr[t + 1]]].sum()) for t in range(3)]
    # largest first to the least loaded: within 3 % of a third here (in block order: 42k, 35k, 30k)
    assert max(loads) - min(loads) <= 0.03 * work.sum() / 3
    tail_ptr = np.concatenate([[0], np.cumsum(np.arange(1000) % 7)])
    starts = head_csr._row_parts(layout, tail_ptr, 8)
    assert starts[0] == 0 and starts[-1] == 1000 and np.all(np.diff(starts) >= 0)
    cost = np.concatenate([[0], np.cumsum(layout.row_len + np.diff(tail_ptr) + 1)])
    per_part = np.diff(cost[starts])
    assert per_part.max() - per_part.min() <= 2 * (layout.row_len.max() + 7)
