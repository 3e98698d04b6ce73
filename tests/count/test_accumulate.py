"""Head layout, tagged-key reduction, run merging and spilling against plain references."""

from __future__ import annotations

import numpy as np

from cooc._core.device import to_numpy
from cooc.count.accumulate import HeadLayout, RunStore, head_run, merge_runs, reduce_sorted, reduce_tagged


def test_head_layout_is_the_largest_hyperbola_that_fits():
    lay = HeadLayout.fit(50, 400)
    assert lay.cells <= 400
    assert HeadLayout.for_bound(50, lay.bound + 1).cells > 400
    a, b = np.meshgrid(np.arange(50), np.arange(50), indexing="ij")
    inside = (a + 1) * (b + 1) <= lay.bound
    assert inside.sum() == lay.cells
    assert np.array_equal(inside, b < lay.row_len[:, None])
    assert HeadLayout.fit(7, 10**6).cells == 49


def test_reduce_tagged_sums_weighted_tags(xp, rng):
    cells = rng.integers(0, 30, 500)
    tags = rng.integers(0, 4, 500)
    weights = np.array([12, 6, 4, 3])
    keys, values = reduce_tagged(xp, xp.asarray(cells * 4 + tags), 4, xp.asarray(weights))
    expected = np.bincount(cells, weights=weights[tags], minlength=30)
    assert to_numpy(keys).tolist() == np.flatnonzero(expected).tolist()
    assert to_numpy(values).tolist() == expected[expected > 0].astype(int).tolist()


def test_reduce_sorted_and_merge_runs(rng):
    runs = []
    for _ in range(5):
        k = np.sort(rng.integers(0, 100, 60))
        runs.append(reduce_sorted(np, k, np.ones(60, dtype=np.int64)))
    keys, values = merge_runs(runs)
    every = np.concatenate([np.repeat(k, v) for k, v in runs])
    ref = np.bincount(every, minlength=100)
    assert keys.tolist() == np.flatnonzero(ref).tolist() and values.tolist() == ref[ref > 0].tolist()


def test_run_store_spills_and_merges_by_key_range(rng, tmp_path):
    store = RunStore(budget=16 * 40, spill_dir=tmp_path)
    ref = np.zeros(1000, dtype=np.int64)
    for _ in range(30):
        k = rng.integers(0, 1000, 50)
        ref += np.bincount(k, minlength=1000)
        store.add(*reduce_sorted(np, np.sort(k), np.ones(50, dtype=np.int64)))
    assert store.spills > 0 and store.in_memory <= store.budget
    bounds = store.plan_ranges(0, 1000, 100)
    assert len(bounds) > 3
    parts = list(store.iter_merged(bounds))
    keys = np.concatenate([k for k, _ in parts])
    values = np.concatenate([v for _, v in parts])
    assert keys.tolist() == np.flatnonzero(ref).tolist() and values.tolist() == ref[ref > 0].tolist()
    store.close()
    assert not any(tmp_path.iterdir())


def test_head_run_lists_cells_in_key_order(xp):
    lay = HeadLayout.for_bound(4, 4)  # rows hold 4, 2, 1, 1 columns
    head = xp.zeros(2 * lay.cells, dtype=xp.int64)
    head[lay.row_start[1] + 1] = 5  # plane 0, cell (1, 1)
    head[lay.cells + lay.row_start[3]] = 7  # plane 1, cell (3, 0)
    keys, values = head_run(xp, head, lay, 4, 2)
    assert to_numpy(keys).tolist() == [1 * 4 + 1, (1 * 4 + 3) * 4 + 0]
    assert to_numpy(values).tolist() == [5, 7]
