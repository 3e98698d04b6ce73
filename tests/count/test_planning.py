"""How a memory budget is split (cooc.count.planning), and the compiled engine's head-update buffers sized from it."""

from __future__ import annotations

import pytest

from cooc.count import _numba, planning
from cooc.count.counter import count_cooccurrences
from cooc.count.planning import PAIR_BATCH_MAX, PAIR_BYTES, plan_sizes


@pytest.mark.parametrize("threads", [1, 2, 16])
@pytest.mark.parametrize("budget", [64e6, 4e9, 16e9])
@pytest.mark.parametrize("vocab_size", [5_000, 50_000])
def test_head_update_buffers_take_what_the_chunk_share_leaves(threads, budget, vocab_size):
    """At least as long as the tail's buffers, at most PAIR_BATCH_MAX and a chunk's pairs a thread, and the
    extra length paid from the chunk share's unused bytes, never beyond the budget."""
    window = 10
    s = plan_sizes(int(budget), vocab_size, window, 1, "numba", threads)
    assert min(s.tail_batch, PAIR_BATCH_MAX) <= s.pair_batch <= PAIR_BATCH_MAX
    assert s.pair_batch <= max(s.tail_batch, s.chunk_tokens * window // threads)
    free = budget - planning.fixed_bytes(vocab_size)
    unused_head = max(0.0, free * planning.HEAD_SHARE - s.layout.cells * 8)
    chunk_share = free * planning.CHUNK_SHARE + unused_head / 2
    used = s.chunk_tokens * planning.bytes_per_token(window, "numba", threads)
    assert used + threads * max(0, s.pair_batch - s.tail_batch) * PAIR_BYTES <= chunk_share
    if budget >= 16e9:  # room to spare: the buffers are as long as the limits allow
        assert s.pair_batch == min(PAIR_BATCH_MAX, max(s.tail_batch, s.chunk_tokens * window // threads))
        assert s.pair_batch > min(s.tail_batch, 1 << 20)  # longer than the one million of before
    other = plan_sizes(int(budget), vocab_size, window, 1, "vectorized", threads)
    assert other.pair_batch == other.tail_batch  # only the compiled engine buffers head updates


def test_a_tight_budget_leaves_the_buffers_as_long_as_the_tails():
    """When the chunk share bounds the chunk, nothing is left over: the buffers stay the tail's length
    (give or take the rounding of the chunk, less than a token's bytes)."""
    s = plan_sizes(64_000_000, 50_000, 10, 1, "numba", 2)
    assert s.chunk_tokens < 1 << 22
    assert 0 <= s.pair_batch - s.tail_batch <= planning.bytes_per_token(10, "numba", 2) / PAIR_BYTES


@pytest.mark.skipif(not _numba.available(), reason="needs numba")
def test_the_engine_buffers_the_planned_head_updates(make_corpus, rng, monkeypatch):
    """The kernel gets buffers of ``pair_batch`` updates a thread (the count's stats name it), not the tail's."""
    shapes = []
    count_owned = _numba.count_owned
    monkeypatch.setattr(_numba, "count_owned", lambda *a: shapes.append(a[12].shape) or count_owned(*a))
    docs = [rng.integers(0, 301, rng.integers(1, 400)) for _ in range(40)]
    corpus = make_corpus(docs, 300)
    stats = count_cooccurrences(corpus, window=5, engine="numba", workers=2, progress=False).settings["count"]
    assert stats["pair_batch"] > stats["chunk_tokens"] * 5 // (4 * stats["threads"])  # longer than the tail's
    assert set(shapes) == {(stats["threads"], stats["pair_batch"])}


@pytest.mark.parametrize(
    "vocab_size, budget, fits",
    [(100_000, 118e9, True), (100_000, 60e9, False), (50_000, 40e9, True), (50_000, 25e9, False),
     (9_488, 1e9, True), (5_000, 3e8, True), (5_000, 2.2e8, False)],
)  # fmt: skip
def test_a_full_head_is_taken_when_it_fits_beside_the_chunk(vocab_size, budget, fits):
    """The GPU's plan: all V x V cells when they fit beside a chunk as large as the shares would give, the
    runs' share handed to the chunk (no tail entry ever comes); otherwise the shares, as without it."""
    window, per_token = 10, planning.bytes_per_token(10, "kernel", 1)
    kw = dict(max_chunk_tokens=1 << 26)
    shares = plan_sizes(int(budget), vocab_size, window, 1, "kernel", **kw)
    full = plan_sizes(int(budget), vocab_size, window, 1, "kernel", full_head_if_it_fits=True, **kw)
    free = budget - planning.fixed_bytes(vocab_size)
    cells = vocab_size * vocab_size
    assert fits == (free - 8 * cells >= min((1 << 26) * per_token, free * planning.CHUNK_SHARE))
    assert shares.layout.cells < cells  # each case has a partial head by the shares alone
    if not fits:
        fields = ("chunk_tokens", "tail_batch", "runs_budget", "pair_batch")
        assert [getattr(full, f) for f in fields] == [getattr(shares, f) for f in fields]
        assert full.layout.cells == shares.layout.cells
        return
    assert full.layout.cells == cells and full.layout.bound >= vocab_size * vocab_size
    assert full.chunk_tokens >= shares.chunk_tokens  # the chunk is no smaller than the shares gave it
    assert full.runs_budget >= 0 and 8 * cells + full.chunk_tokens * per_token + full.runs_budget <= free + 1


def test_the_full_head_rule_is_the_gpus(make_corpus, monkeypatch):
    """count on CUDA asks the plan for a full head when it fits; on the CPU the head stays capped."""
    import numpy as np

    from cooc.count import local

    asked = []

    class Planned(Exception):
        pass

    def spy(*args, **kwargs):
        asked.append(kwargs)
        raise Planned

    monkeypatch.setattr(local, "plan_sizes", spy)
    monkeypatch.setattr(local, "get_xp", lambda device: np)
    corpus = make_corpus([[0, 1, 2, 1, 0]], 3)
    for device, engine in (("cuda", "kernel"), ("cpu", "vectorized")):
        with pytest.raises(Planned):
            local._count_planes(corpus, 3, 2, "harmonic", False, 10**8, device, engine, 1, "drop", False, None, None, True, True)  # fmt: skip
    assert [a["full_head_if_it_fits"] for a in asked] == [True, False]
    assert asked[0]["max_head_cells"] is None and asked[1]["max_head_cells"] is not None
