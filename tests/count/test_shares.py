"""Rows dealt to the compiled counter's threads, the heaviest shared by column ranges: every pair has one writer."""

from __future__ import annotations

import numpy as np
import pytest

from cooc.count import _numba, count_cooccurrences
from cooc.count.accumulate import HeadLayout
from cooc.count.shares import Shares, share_rows

from .conftest import brute_force


def zipf_counts(n_types: int = 100_000, V: int = 50_000, tokens: float = 2e8) -> np.ndarray:
    p = 1.0 / np.arange(1, n_types + 1)
    return (p / p.sum() * tokens)[:V]


@pytest.mark.parametrize("threads", [2, 3, 16])
def test_every_cell_of_every_row_has_exactly_one_writer(rng, threads):
    V = 300
    weights = np.sort(rng.pareto(1.0, V) * 100)[::-1]
    weights[:3] *= 50  # a few rows heavier than a thread's share
    whole = rng.random(V) < 0.7
    whole[0] = True
    shares = share_rows(weights, threads, whole)
    assert shares.lo.shape == shares.hi.shape == (int((shares.split >= 0).sum()), threads)
    for a in range(V):
        k = shares.split[a]
        if k < 0:
            assert 0 <= shares.owner[a] < threads
            continue
        assert whole[a] and shares.owner[a] == -1  # only rows all in the head are shared
        ranges = sorted((lo, hi) for lo, hi in zip(shares.lo[k], shares.hi[k]) if hi > lo)
        assert len(ranges) >= 2 and ranges[0][0] == 0 and ranges[-1][1] == V
        assert all(prev[1] == nxt[0] for prev, nxt in zip(ranges, ranges[1:]))  # a partition of the columns
    assert (shares.split[0] >= 0) and share_rows(weights, 1, whole).split.max(initial=-1) == -1


def test_the_most_frequent_word_no_longer_sets_the_pace_of_16_threads():
    """Zipf (exponent 1, 100k types) at V = 50k: the thread owning the most frequent word had 1.40 times the
    mean load; with that row shared by column ranges the largest load is within 5% of the mean."""
    counts = zipf_counts()
    whole = np.zeros(counts.size, dtype=bool)
    whole[:100] = True
    dealt = Shares.unshared(_numba.balance_rows(counts, 16), 16).loads(counts)
    assert dealt.max() / dealt.mean() == pytest.approx(1.40, abs=0.01)
    shared = share_rows(counts, 16, whole)
    assert shared.split[0] >= 0 and shared.owner[0] == -1
    loads = shared.loads(counts)
    assert loads.sum() == pytest.approx(counts.sum())
    assert loads.max() / loads.mean() < 1.05
    assert share_rows(counts, 16, np.zeros(counts.size, bool)).split.max() == -1  # nothing all in the head


@pytest.mark.parametrize("per_offset", [False, True])
def test_shared_rows_give_the_kernel_the_same_counts(rng, per_offset):
    """Four logical threads with the two heaviest rows shared add the same head and tail as one thread."""
    V, window, n = 30, 4, 4000
    tokens = np.where(rng.random(n) < 0.45, 0, rng.integers(0, V + 5, n)).astype(np.int32)  # 5 ids out of vocabulary
    tokens[rng.random(n) < 0.2] = 1
    offsets = np.array([0, 1000, 1700, 1701, n], dtype=np.int64)
    lay = HeadLayout.for_bound(V, 8 * V)  # rows 0-7 whole in the head, the rest partly in the tail
    weights = np.arange(1, window + 1, dtype=np.int64)
    planes = window if per_offset else 1

    def run(owner, threads):
        head = np.zeros(planes * lay.cells, dtype=np.int64)
        tail = np.empty((threads, 4 * n * window), dtype=np.int64)
        pairs = np.empty((threads, 3 * window), np.int64)
        grouped = np.empty_like(pairs)
        fill, resume = np.zeros(threads, np.int64), np.zeros(threads, np.int64)
        args = (lay.row_start, lay.row_len, lay.cells, head, owner, tail, pairs, grouped, fill, resume, n)
        _numba.count_owned(tokens, offsets, V, True, per_offset, weights, *args)
        assert (resume == n).all()
        keys = np.sort(np.concatenate([tail[t, : fill[t]] for t in range(threads)]))
        return head, keys

    counts = np.bincount(tokens[tokens < V], minlength=V).astype(np.float64)
    shares = share_rows(counts, 4, np.asarray(lay.row_len) >= V)
    assert shares.split[0] >= 0 and shares.split[1] >= 0  # about 36% and 20% of the tokens: both shared
    head1, tail1 = run(np.zeros(V, np.int32), 1)
    head4, tail4 = run(shares, 4)
    np.testing.assert_array_equal(head4, head1)
    np.testing.assert_array_equal(tail4, tail1)
    assert head1.sum() > 0 and tail1.size > 0


def test_a_count_on_two_threads_shares_a_word_of_half_the_tokens(make_corpus, rng, monkeypatch):
    """Through the counter: a word of about half the tokens is shared by the two threads, and the matrix is
    the brute-force one."""
    from cooc.count import engines

    made = []
    real = engines.share_rows
    monkeypatch.setattr(engines, "share_rows", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    docs = [np.where(rng.random(m) < 0.5, 0, rng.integers(1, 41, m)) for m in rng.integers(0, 150, 30)]
    corpus = make_corpus(docs, 40)
    res = count_cooccurrences(corpus, window=5, weighting="harmonic", engine="numba", workers=2, progress=False)
    if res.settings["count"]["threads"] < 2:
        pytest.skip("one CPU thread available")
    assert made and made[-1].split[0] >= 0
    np.testing.assert_allclose(res.counts.toarray(), brute_force(docs, 40, 5, "harmonic"), rtol=1e-12)
