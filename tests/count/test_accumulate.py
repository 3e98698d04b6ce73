"""Head layout, tagged-key reduction, run merging and spilling against plain references."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.device import to_numpy
from cooc.count import accumulate
from cooc.count.accumulate import (
    HeadLayout,
    RunStore,
    head_run,
    merge_runs,
    merge_runs_parallel,
    reduce_sorted,
    reduce_tagged,
)


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


@pytest.mark.parametrize("n_runs", [1, 2, 3, 8, 13])
def test_merges_of_many_runs_equal_a_bincount(rng, monkeypatch, n_runs):
    """The compiled tree of two-way merges, the numpy fallback and the merge by key ranges on 1-4 threads
    (every range boundary placed by sampling) all give the bincount of every run's entries."""
    runs = []
    for r in range(n_runs):
        n = int(rng.integers(0, 400)) if r % 4 else 0  # empty runs too
        keys = np.unique(rng.integers(0, 3000, n)).astype(np.int64)
        runs.append((keys, rng.integers(1, 2**40, keys.shape[0]).astype(np.int64)))
    runs.append((np.array([2999], np.int64), np.array([5], np.int64)))  # a key every run may hold, at the end
    ref = np.zeros(3000, dtype=np.int64)
    for k, v in runs:
        np.add.at(ref, k, v)
    want = (np.flatnonzero(ref), ref[ref > 0])
    monkeypatch.setattr(accumulate, "PARALLEL_MERGE_MIN", 0)
    monkeypatch.setattr(accumulate, "SPLIT_SAMPLE", 7)  # coarse samples: uneven ranges, some empty
    results = [merge_runs(list(runs))] + [merge_runs_parallel(list(runs), t) for t in (1, 2, 3, 4)]
    with monkeypatch.context() as no_numba:
        no_numba.setattr(accumulate._numba, "available", lambda: False)
        results.append(merge_runs(list(runs)))
    for keys, values in results:
        np.testing.assert_array_equal(keys, want[0])
        np.testing.assert_array_equal(values, want[1])


def test_a_long_run_is_merged_last(rng, monkeypatch):
    """The shortest runs are merged first: a run holding most entries (a spilled one beside the drains' short
    runs) is copied once, in the last merge, not at every level of a tree."""
    long_keys = np.unique(rng.integers(0, 10**6, 5000))
    keys_of_runs = [long_keys] + [np.unique(rng.integers(0, 10**6, 40)) for _ in range(9)]
    runs = [(k, np.ones(k.shape[0], np.int64)) for k in keys_of_runs]
    sizes, real = [], accumulate._numba.merge_two
    monkeypatch.setattr(accumulate._numba, "merge_two", lambda *a: sizes.append((len(a[0]), len(a[2]))) or real(*a))
    keys, values = merge_runs(runs)
    assert len(sizes) == 9 and all(max(pair) < long_keys.shape[0] for pair in sizes[:-1])
    assert long_keys.shape[0] in sizes[-1] and int(values.sum()) == sum(k.shape[0] for k, _ in runs)
    keys, _ = merge_runs([(long_keys, np.ones(long_keys.shape[0], np.int64))] * 2)  # every key held twice
    assert keys.flags.owndata  # trimmed: half of the merge's buffer is not kept alive with the result
    keys, _ = merge_runs([(long_keys, np.ones(long_keys.shape[0], np.int64))] * 2, trim=False)
    assert not keys.flags.owndata  # a view of the merge's buffer, room and all
    sizes.clear()  # 8 runs alike (disjoint keys): a balanced tree, each entry copied log2(8) = 3 times
    merge_runs([(np.arange(r, 800, 8, dtype=np.int64), np.ones(100, np.int64)) for r in range(8)])
    assert sum(a + b for a, b in sizes) == 3 * 800


def test_ranges_of_a_parallel_merge_are_copied_once(rng, monkeypatch):
    """The ranges of a merge by key ranges are not trimmed: joining them copies each once anyway."""
    monkeypatch.setattr(accumulate, "PARALLEL_MERGE_MIN", 0)
    keys = np.unique(rng.integers(0, 10**6, 4000)).astype(np.int64)
    runs = [(keys, np.ones(keys.shape[0], np.int64))] * 3  # every key held thrice: the merges leave room
    trims, real = [], accumulate.merge_runs
    monkeypatch.setattr(accumulate, "merge_runs", lambda r, trim=True: trims.append(trim) or real(r, trim))
    merged, values = merge_runs_parallel(runs, 2)
    np.testing.assert_array_equal(merged, keys)
    assert (values == 3).all() and merged.flags.owndata
    assert len(trims) == 8 and not any(trims)


@pytest.mark.parametrize("threads", [1, 3])
def test_run_store_spills_and_merges_by_key_range(rng, tmp_path, monkeypatch, threads):
    monkeypatch.setattr(accumulate, "PARALLEL_MERGE_MIN", 0)  # compactions merge by key ranges on the threads
    merged_on = []
    real = accumulate.merge_runs_parallel
    monkeypatch.setattr(accumulate, "merge_runs_parallel", lambda runs, t: merged_on.append(t) or real(runs, t))
    store = RunStore(budget=16 * 40, spill_dir=tmp_path, threads=threads)
    ref = np.zeros(1000, dtype=np.int64)
    for _ in range(30):
        k = rng.integers(0, 1000, 50)
        ref += np.bincount(k, minlength=1000)
        store.add(*reduce_sorted(np, np.sort(k), np.ones(50, dtype=np.int64)))
    assert store.spills > 0 and store.in_memory <= store.budget
    assert merged_on and set(merged_on) == {threads}
    bounds = store.plan_ranges(0, 1000, 100)
    assert len(bounds) > 3
    parts = list(store.iter_merged(bounds))
    keys = np.concatenate([k for k, _ in parts])
    values = np.concatenate([v for _, v in parts])
    assert keys.tolist() == np.flatnonzero(ref).tolist() and values.tolist() == ref[ref > 0].tolist()
    store.close()
    assert not any(tmp_path.iterdir())


def test_key_ranges_hold_about_equal_entries_and_merge_alike_on_threads(rng, tmp_path):
    store = RunStore(budget=16 * 4000, spill_dir=tmp_path)
    ref = np.zeros(10_000, dtype=np.int64)
    for _ in range(12):
        k = np.minimum(rng.zipf(1.3, 3000), 10_000) - 1  # skewed: most entries at small keys
        ref += np.bincount(k, minlength=10_000)
        store.add(*reduce_sorted(np, np.sort(k), np.ones(k.size, dtype=np.int64)))
    assert store.spills > 0
    entries = sum(int(k.shape[0]) for k, _ in store.all_runs())
    bounds = store.plan_ranges(0, 10_000, entries // 5, min_pieces=8)
    assert bounds[0] == 0 and bounds[-1] == 10_000 and len(bounds) == 9
    per = [sum(int(np.searchsorted(k, b)) - int(np.searchsorted(k, a)) for k, _ in store.all_runs())
           for a, b in zip(bounds[:-1], bounds[1:])]  # fmt: skip
    assert sum(per) == entries and max(per) <= entries / 8 + 12 * 2  # even to within a key's entries per run
    serial = list(store.iter_merged(bounds))
    threaded = store.merged_ranges(bounds, threads=3)
    for (k1, v1), (k2, v2) in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(k1, k2)
        np.testing.assert_array_equal(v1, v2)
    keys = np.concatenate([k for k, _ in threaded])
    values = np.concatenate([v for _, v in threaded])
    assert keys.tolist() == np.flatnonzero(ref).tolist() and values.tolist() == ref[ref > 0].tolist()
    store.close()


def _bounds_one_by_one(store, lo, hi, max_entries, min_pieces=1):
    """plan_ranges' bounds the plain way: each bisected on the decoded keys, above the one before."""
    keys = [np.asarray(k[:]) for k, _ in store.all_runs()]

    def below(x):
        return sum(int(np.searchsorted(k, x)) for k in keys)

    base, total = below(lo), below(hi) - below(lo)
    pieces = max(1, min_pieces, -(-total // max(max_entries, 1)))
    bounds = [lo]
    for i in range(1, pieces):
        target, a, b = base + total * i // pieces, bounds[-1], hi
        while a < b:
            mid = (a + b) // 2
            a, b = (a, mid) if below(mid) >= target else (mid + 1, b)
        bounds.append(a)
    return np.unique(np.array(bounds + [hi], dtype=np.int64))


def test_key_ranges_found_at_once_equal_those_bisected_one_by_one(rng, tmp_path):
    """Spilled (packed, several gap widths) and in-memory runs, skewed keys, whole and partial key spans."""
    for trial in range(6):
        span = int(rng.choice([1_000, 70_000, 5 * 10**9]))  # gaps of 1, 2 and up to 8 bytes
        store = RunStore(budget=16 * int(rng.integers(100, 400)), spill_dir=tmp_path / str(trial))
        for _ in range(int(rng.integers(8, 25))):
            k = np.minimum(rng.zipf(1.2, int(rng.integers(1, 2500))), span) - 1
            k = np.sort(k * (span // 1_000 if trial % 2 else 1) % span)
            store.add(*reduce_sorted(np, k, np.ones(k.size, dtype=np.int64)))
        store.add(*reduce_sorted(np, np.array([span - 1]), np.ones(1, dtype=np.int64)))  # one run in memory
        assert store.spills > 0 and store.runs  # packed files and runs in memory, both searched
        entries = sum(int(k.shape[0]) for k, _ in store.all_runs())
        for lo, hi in [(0, span), tuple(sorted(int(x) for x in rng.integers(0, span, 2)))]:
            for max_entries, min_pieces in [(max(entries // 7, 1), 1), (97, 1), (10**9, 5), (entries, 1)]:
                got = store.plan_ranges(lo, hi, max_entries, min_pieces=min_pieces)
                want = _bounds_one_by_one(store, lo, hi, max_entries, min_pieces)
                np.testing.assert_array_equal(got, want)
                assert got.dtype == np.int64
        store.close()


def test_head_run_lists_cells_in_key_order(xp):
    lay = HeadLayout.for_bound(4, 4)  # rows hold 4, 2, 1, 1 columns
    head = xp.zeros(2 * lay.cells, dtype=xp.int64)
    head[lay.row_start[1] + 1] = 5  # plane 0, cell (1, 1)
    head[lay.cells + lay.row_start[3]] = 7  # plane 1, cell (3, 0)
    keys, values = head_run(xp, head, lay, 4, 2)
    assert to_numpy(keys).tolist() == [1 * 4 + 1, (1 * 4 + 3) * 4 + 0]
    assert to_numpy(values).tolist() == [5, 7]


def test_spilled_runs_are_stored_packed_and_read_back_exactly(rng, tmp_path, monkeypatch):
    from cooc.count.accumulate import ANCHOR_EVERY, PackedKeys, narrowest, pack_keys

    monkeypatch.setattr(accumulate, "SEARCH_VALUES", 7)  # the queries searched in several parts
    for n, span in [(0, 10), (1, 10), (5000, 10**6), (3 * ANCHOR_EVERY, 10**9), (2000, 10**18)]:
        keys = np.unique(rng.integers(0, span, size=n)).astype(np.int64)
        gaps, anchors = pack_keys(keys)
        assert gaps.itemsize <= (2 if 0 < n and span <= 10**6 else 8)
        packed = PackedKeys(gaps, anchors)
        assert packed[0 : len(keys)].tolist() == keys.tolist()
        lo, hi = min(ANCHOR_EVERY - 1, len(keys)), min(ANCHOR_EVERY + 5, len(keys))
        assert packed[lo:hi].tolist() == keys[lo:hi].tolist()
        queries = np.concatenate([keys[::7], keys[::11] + 1, [-5, span + 5]])
        rng.shuffle(queries)
        for side in ("left", "right"):
            assert (
                np.searchsorted(packed, queries, side=side).tolist()
                == np.searchsorted(keys, queries, side=side).tolist()
            )
            grid = queries[: queries.size // 2 * 2].reshape(2, -1)
            assert np.searchsorted(packed, grid, side=side).tolist() == np.searchsorted(keys, grid, side=side).tolist()
            one = int(queries[len(queries) // 2])
            assert packed.searchsorted(one, side=side) == int(np.searchsorted(keys, one, side=side))
    assert narrowest(np.array([0, 255])).dtype == np.uint8 and narrowest(np.array([-1, 3])).dtype == np.int64
    assert narrowest(np.array([70_000])).dtype == np.uint32
    store = RunStore(budget=16 * 40, spill_dir=tmp_path)
    for _ in range(10):
        k = np.unique(rng.integers(0, 10**9, 60))
        store.add(k, np.full(k.shape, 3, dtype=np.int64))
    assert store.spills > 0 and store.spilled_bytes < 0.6 * 16 * sum(  # 4-byte gaps, 1-byte values
        np.load(kp, mmap_mode="r").shape[0] for kp, _ in store.files
    )
    store.close()


def test_spill_folders_of_killed_counts_are_removed_and_live_ones_kept(tmp_path):
    from cooc._core.locks import lock_directory
    from cooc.count.accumulate import remove_abandoned_spills

    dead = tmp_path / "cooc-spill-dead"
    (dead / "run00000.keys.npy").parent.mkdir()
    (dead / "run00000.keys.npy").write_bytes(b"x")
    live = lock_directory(tmp_path / "cooc-spill-live")
    (tmp_path / "other").mkdir()
    assert remove_abandoned_spills(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cooc-spill-live", "other"]
    live.release()
