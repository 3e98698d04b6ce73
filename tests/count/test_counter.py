"""count_cooccurrences against hand-counted matrices and the brute-force definition."""

from __future__ import annotations

import numpy as np
import pytest

from cooc import Cooccurrence
from cooc._core.errors import CoocError, CorruptFileError, InputDataError, InvalidParameterError
from cooc.count import count_cooccurrences

from .conftest import brute_force

# doc "a b c a" (ids 0 1 2 0), window 2: forward pairs (a,b)1 (a,c)2 (b,c)1 (b,a)2 (c,a)1
HAND = {
    "uniform": np.array([[0, 2, 2], [2, 0, 1], [2, 1, 0]]),
    "linear": np.array([[0, 3, 3], [3, 0, 2], [3, 2, 0]]),  # w(1) = 2, w(2) = 1
    "harmonic": np.array([[0, 1.5, 1.5], [1.5, 0, 1], [1.5, 1, 0]]),  # w(1) = 1, w(2) = 1/2
}


def engines_for(device):
    return ["vectorized", "kernel"] if device == "cuda" else ["numba", "vectorized"]


def count(corpus, device="cpu", **kw):
    kw.setdefault("progress", False)
    return count_cooccurrences(corpus, device=device, **kw)


@pytest.mark.parametrize("weighting", sorted(HAND))
def test_hand_counted_weightings(make_corpus, weighting, device):
    corpus = make_corpus([[0, 1, 2, 0]], 3)
    for engine in engines_for(device):
        res = count(corpus, device, window=2, weighting=weighting, engine=engine)
        assert res.dtype == (np.int64 if weighting == "uniform" else np.float64)
        np.testing.assert_array_equal(res.counts.toarray(), HAND[weighting])


def test_numpy_integer_window_and_vocab_size_count_as_ints(make_corpus):
    corpus = make_corpus([[0, 1, 2, 0]], 3)  # np.int64 passed the checks, then failed at the kernel's bit_length
    res = count(corpus, window=np.int64(2), weighting="linear", vocab_size=np.int64(3))
    np.testing.assert_array_equal(res.counts.toarray(), HAND["linear"])
    assert type(res.settings["window"]) is int and type(res.settings["vocab_size"]) is int


def test_directional_is_forward_matrix(make_corpus):
    corpus = make_corpus([[0, 1, 2, 0]], 3)
    res = count(corpus, window=2, weighting="uniform", directional=True)
    F = np.array([[0, 1, 1], [1, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(res.counts.toarray(), F)
    assert res.settings["directional"] and not res.settings["symmetric"]
    same = count(corpus, window=2, weighting="uniform", symmetric=False)
    np.testing.assert_array_equal(same.counts.toarray(), F)


def test_oov_dropped_bridges_and_gap_breaks(make_corpus):
    corpus = make_corpus([[0, 2, 1]], 2)  # id 2 is the reserved OOV id
    bridged = count(corpus, window=1, weighting="uniform")
    np.testing.assert_array_equal(bridged.counts.toarray(), [[0, 1], [1, 0]])
    gap = count(corpus, window=1, weighting="uniform", oov="gap")
    assert gap.nnz == 0
    gap2 = count(corpus, window=2, weighting="harmonic", oov="gap")
    np.testing.assert_allclose(gap2.counts.toarray(), [[0, 0.5], [0.5, 0]])


def test_vocab_size_makes_rarer_words_oov(make_corpus):
    corpus = make_corpus([[0, 2, 1, 2, 0]], 3, oov=False)
    res = count(corpus, window=1, weighting="uniform", vocab_size=2)
    assert res.shape == (2, 2) and res.vocab.words == ["w0", "w1"]
    np.testing.assert_array_equal(res.counts.toarray(), [[0, 2], [2, 0]])
    np.testing.assert_array_equal(res.unigram, corpus.vocab.counts[:2])


def test_document_boundaries_are_never_crossed(make_corpus):
    corpus = make_corpus([[0, 1], [2, 0], [], [1]], 3)
    res = count(corpus, window=5, weighting="uniform", directional=True)
    expected = np.zeros((3, 3), int)
    expected[0, 1] = expected[2, 0] = 1
    np.testing.assert_array_equal(res.counts.toarray(), expected)


def test_diagonal_counts_twice_when_symmetric(make_corpus):
    corpus = make_corpus([[0, 0]], 1)
    assert count(corpus, window=1, weighting="uniform").counts[0, 0] == 2  # as GloVe's cooccur


@pytest.mark.parametrize("weighting", ["uniform", "linear", "harmonic"])
def test_per_offset_planes_sum_to_total(make_corpus, rng, weighting, device):
    docs = [rng.integers(0, 9, rng.integers(0, 30)) for _ in range(20)]
    corpus = make_corpus(docs, 8)
    for engine in engines_for(device):
        res = count(corpus, device, window=4, weighting=weighting, per_offset=True, engine=engine)
        assert len(res.per_offset) == 4
        for j, plane in enumerate(res.per_offset, start=1):
            np.testing.assert_allclose(plane.toarray(), brute_force(docs, 8, 4, weighting, offset=j), rtol=1e-12)
        np.testing.assert_allclose(sum(m.toarray() for m in res.per_offset), res.counts.toarray(), rtol=1e-12)
        np.testing.assert_allclose(res.counts.toarray(), brute_force(docs, 8, 4, weighting), rtol=1e-12)


@pytest.mark.parametrize("oov", ["drop", "gap"])
def test_engines_agree_bitwise_on_random_corpora(make_corpus, rng, oov, device):
    docs = [rng.integers(0, 51, rng.integers(0, 200)) for _ in range(40)]
    corpus = make_corpus(docs, 50)
    results = [count(corpus, "cpu", window=7, weighting="harmonic", oov=oov, vocab_size=40, engine="vectorized")]
    for engine in engines_for(device):
        results.append(count(corpus, device, window=7, weighting="harmonic", oov=oov, vocab_size=40, engine=engine))
    ref = brute_force(docs, 40, 7, "harmonic", oov)
    for res in results:
        np.testing.assert_allclose(res.counts.toarray(), ref, rtol=1e-12)
        assert (res.counts != results[0].counts).nnz == 0  # identical floats, not just close


def test_spill_and_tiny_chunks_give_the_same_matrix(make_corpus, rng, small_chunks, tmp_path, monkeypatch):
    from cooc.count import accumulate

    docs = [rng.integers(0, 301, rng.integers(0, 200)) for _ in range(30)]
    corpus = make_corpus(docs, 300, shard_tokens=1000)
    big = count(corpus, window=5, weighting="linear", engine="numba")
    assert big.settings["count"]["spills"] == 0
    monkeypatch.setattr(accumulate, "PARALLEL_MERGE_MIN", 0)  # the runs merged by key ranges on the counter's threads
    merged_on = []
    real = accumulate.merge_runs_parallel
    monkeypatch.setattr(accumulate, "merge_runs_parallel", lambda runs, t: merged_on.append(t) or real(runs, t))
    for engine, workers in (("numba", 2), ("vectorized", 1)):
        merged_on.clear()
        small = count(
            corpus,
            window=5,
            weighting="linear",
            memory=40_000,
            engine=engine,
            spill_dir=tmp_path / "spill",
            workers=workers,
        )
        assert small.settings["count"]["spills"] > 0 and small.settings["count"]["chunk_tokens"] < 200
        assert set(merged_on) == {workers}
        assert (small.counts != big.counts).nnz == 0
        assert not any((tmp_path / "spill").iterdir())  # spill folder cleaned up


@pytest.mark.parametrize("per_offset", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("packed", ["int32", "int64"])
def test_numba_head_updates_grouped_in_tiny_batches(make_corpus, rng, monkeypatch, per_offset, workers, packed):
    """The numba kernel buffers head updates (int32 where they fit, else int64) and adds them grouped by
    block: a flush after every window and blocks of a few cells still give the brute-force counts."""
    from cooc.count import _numba, engines

    monkeypatch.setattr(engines, "PAIR_BATCH", 1)  # the buffer holds one window: a flush per centre
    monkeypatch.setattr(_numba, "BUCKET_SHIFT", 2)  # groups of 4 cells
    if packed == "int64":
        monkeypatch.setattr(_numba, "PAIR_INT32_MAX", 0)
    seen, count_owned = set(), _numba.count_owned
    monkeypatch.setattr(_numba, "count_owned", lambda *a: seen.add(a[12].dtype) or count_owned(*a))  # a[12]: pairs
    docs = [rng.integers(0, 41, rng.integers(0, 120)) for _ in range(30)]
    corpus = make_corpus(docs, 40)
    res = count(corpus, window=6, weighting="harmonic", per_offset=per_offset, engine="numba", workers=workers)
    assert res.settings["count"]["threads"] == workers
    assert seen == {np.dtype(packed)}
    np.testing.assert_allclose(res.counts.toarray(), brute_force(docs, 40, 6, "harmonic"), rtol=1e-12)
    for j, plane in enumerate(res.per_offset or [], start=1):
        np.testing.assert_allclose(plane.toarray(), brute_force(docs, 40, 6, "harmonic", offset=j), rtol=1e-12)


def test_packed_head_updates_are_int32_only_where_every_one_fits():
    from cooc.count._numba import pair_dtype

    # window 10: a cell and its offset tag (4 bits) share one integer
    assert pair_dtype(2**27 - 1, 1, 10, False) is np.int32 and pair_dtype(2**27, 1, 10, False) is np.int64
    assert pair_dtype(2**26, 1, 16, False) is np.int32 and pair_dtype(2**26, 1, 17, False) is np.int64
    # one plane per offset, no tag: planes x cells
    assert pair_dtype(2**31 // 10, 10, 10, True) is np.int32 and pair_dtype(2**31 // 10 + 1, 10, 10, True) is np.int64


def test_vocab_size_larger_than_vocabulary_warns(warned, make_corpus):
    corpus = make_corpus([[0, 1, 0]], 2)
    with warned("larger than the corpus vocabulary"):
        res = count(corpus, window=1, vocab_size=10)
    assert res.shape == (2, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"window": 0}, "window"),
        ({"window": -3}, "window"),
        ({"window": 2.5}, "window"),
        ({"weighting": "gaussian"}, "weighting"),
        ({"oov": "keep"}, "oov"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"memory": "lots"}, "memory"),
        ({"device": "tpu"}, "device"),
        ({"engine": "magic"}, "engine"),
    ],
)
def test_bad_parameters_raise_one_clear_error(make_corpus, kwargs, match):
    corpus = make_corpus([[0, 1]], 2)
    with pytest.raises(InvalidParameterError, match=match):
        count(corpus, **kwargs)


def test_tiny_budget_names_the_smallest_that_works(make_corpus):
    corpus = make_corpus([[0, 1, 2, 0]], 3)
    with pytest.raises(InvalidParameterError, match="smallest that works is") as info:
        count(corpus, window=2, memory="10KB")
    smallest = info.value.args[0].rsplit("is ", 1)[1].rstrip(".")
    res = count(corpus, window=2, weighting="uniform", memory=smallest.replace(" ", ""))
    np.testing.assert_array_equal(res.counts.toarray(), HAND["uniform"])


def test_empty_corpus_and_missing_corpus(make_corpus, tmp_path):
    corpus = make_corpus([[], []], 2)
    with pytest.raises(InputDataError, match="no tokens"):
        count(corpus)
    with pytest.raises(CoocError, match="does not exist: give a corpus"):
        count(tmp_path / "nowhere")


def test_save_load_and_glove_round_trip(make_corpus, rng, tmp_path):
    docs = [rng.integers(0, 11, 50) for _ in range(5)]
    res = count(make_corpus(docs, 10), window=3, per_offset=True)
    res.save(tmp_path / "c")
    back = Cooccurrence.load(tmp_path / "c")
    assert (back.counts != res.counts).nnz == 0 and back.settings["window"] == 3
    assert all((a != b).nnz == 0 for a, b in zip(back.per_offset, res.per_offset))
    res.to_glove(tmp_path / "c.bin")
    glove = Cooccurrence.from_glove(tmp_path / "c.bin", res.vocab)
    assert (glove.counts != res.counts).nnz == 0


def test_corrupt_npz_is_a_clear_error(make_corpus, tmp_path):
    count(make_corpus([[0, 1, 0]], 2), window=1).save(tmp_path / "c")
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CorruptFileError, match="does not match the checksum"):
        Cooccurrence.load(tmp_path / "c")
    with pytest.raises(CorruptFileError, match="unreadable or truncated"):
        Cooccurrence.load(tmp_path / "c", verify=False)


def test_keys_beyond_int32_with_a_large_vocabulary(make_corpus, rng, device):
    """V = 70,000: cell keys a * V + b pass 2^31 and tagged keys pass 2^32; the tail path must stay exact."""
    V = 70_000
    docs = [rng.integers(0, V, 300), np.array([V - 1, V - 2, 0, V - 1])]
    corpus = make_corpus(docs, V)
    forward = {}
    for doc in docs:
        for i in range(len(doc)):
            for j in range(1, 4):
                if i + j < len(doc):
                    pair = (int(doc[i]), int(doc[i + j]))
                    forward[pair] = forward.get(pair, 0) + 4 - j  # linear weights, L = 3
    expected = dict(forward)
    for (a, b), v in forward.items():  # C = F + F^T
        expected[(b, a)] = expected.get((b, a), 0) + v
    for engine in engines_for(device):
        res = count(corpus, device, window=3, weighting="linear", memory="64MB", engine=engine)
        assert res.settings["count"]["head_cells"] < V * V / 100  # most pairs go through the tail
        coo = res.counts.tocoo()
        got = {(int(r), int(c)): v for r, c, v in zip(coo.row, coo.col, coo.data)}
        assert got == expected


def test_without_numba_every_host_step_falls_back_to_numpy(make_corpus, rng, small_chunks, monkeypatch):
    """Run the numpy versions of the host-side steps (reduce, merge, head scan, CSR) and compare."""
    from cooc.count import _numba

    docs = [rng.integers(0, 301, rng.integers(0, 200)) for _ in range(30)]
    corpus = make_corpus(docs, 300)
    fast = count(corpus, window=4, weighting="harmonic", memory=40_000, per_offset=True)
    monkeypatch.setattr(_numba, "available", lambda: False)
    slow = count(corpus, window=4, weighting="harmonic", memory=40_000, per_offset=True)
    assert slow.settings["count"]["engine"] == "vectorized" and slow.settings["count"]["spills"] > 0
    assert (slow.counts != fast.counts).nnz == 0
    assert all((a != b).nnz == 0 for a, b in zip(slow.per_offset, fast.per_offset))
    np.testing.assert_allclose(fast.counts.toarray(), brute_force(docs, 300, 4, "harmonic"), rtol=1e-12)


def test_working_memory_stays_within_the_budget(make_corpus, rng):
    """Peak allocations (numpy's included) stay under the budget plus a few times the result's size."""
    import tracemalloc

    V = 3000
    ids = np.minimum(rng.zipf(1.1, 300_000) - 1, V)
    corpus = make_corpus(np.split(ids, 300), V)
    budget = 3_000_000
    count(corpus, window=5, memory=budget)  # compile and warm up outside the trace
    tracemalloc.start()
    try:
        res = count(corpus, window=5, memory=budget)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.settings["count"]["spills"] > 0
    output = res.nnz * 12 + (V + 1) * 8
    assert peak < budget + 3 * output, (peak, budget, output)


def test_the_count_phase_is_profiled_chunk_by_chunk(make_corpus, rng, small_chunks, monkeypatch, device):
    """Prepared chunks (the vectorized engine, the GPU's kernel) report host seconds per step and their
    number; on the GPU also the device's seconds and the feeder's reads, copies, waits and bytes."""
    from cooc.count import local

    docs = [rng.integers(0, 301, rng.integers(1, 200)) for _ in range(30)]
    corpus = make_corpus(docs, 300, shard_tokens=1000)
    chunks = []
    real = local.iter_raw_chunks
    monkeypatch.setattr(local, "iter_raw_chunks", lambda *a: (chunks.append(c) or c for c in real(*a)))
    gpu = {"engine": "kernel"}  # the shards (of 1,000 tokens) make the chunks there
    kwargs = gpu if device == "cuda" else {"engine": "vectorized", "memory": 40_000}
    stats = count(corpus, device, window=5, **kwargs).settings["count"]
    profile = stats["count_profile"]
    assert profile["chunks"] == len(chunks) > 1
    steps = [profile[k] for k in ("next_chunk", "prepare", "add")]
    # within the count phase (rounded to 1 ms in the stats, each step to 0.1 ms)
    assert all(s >= 0 for s in steps) and 0 < sum(steps) <= stats["count_seconds"] + 0.001
    if device == "cuda":
        assert 0 < profile["device"] and min(profile[k] for k in ("read", "copy", "wait")) >= 0
        assert profile["bytes_to_device"] == 4 * corpus.n_tokens
        return
    assert "device" not in profile and "bytes_to_device" not in profile


def test_the_compiled_engine_profiles_its_kernel_and_drains(make_corpus, rng, small_chunks):
    """The numba engine reports its kernel's and drains' seconds, its calls, the seconds merging runs over
    budget, and exactly the tail entries it sorted: the forward pairs outside the head."""
    from cooc.count.accumulate import HeadLayout

    V = 300
    docs = [rng.integers(0, V + 1, rng.integers(1, 200)) for _ in range(30)]
    corpus = make_corpus(docs, V, shard_tokens=1000)
    stats = count(corpus, window=5, engine="numba", memory=40_000).settings["count"]
    profile = stats["count_profile"]
    layout = HeadLayout.fit(V, stats["head_cells"])
    assert layout.cells == stats["head_cells"] < V * V
    kept = [d[d < V] for d in docs]  # OOV tokens dropped: windows bridge them
    tail = sum(int(b >= layout.row_len[a]) for d in kept for i, a in enumerate(d) for b in d[i + 1 : i + 6])
    assert profile["tail_entries"] == tail > 0
    assert profile["calls"] >= -(-corpus.n_tokens // stats["chunk_tokens"]) and stats["spills"] > 0
    assert profile["kernel"] > 0 and 0 < profile["compact"] <= profile["drain"]
    assert profile["kernel"] + profile["drain"] <= stats["count_seconds"] + 0.001


def test_a_profile_adds_device_seconds_and_the_feeders_own():
    """The GPU's arithmetic, on stand-ins: event pairs in milliseconds, the feeder's seconds and bytes."""
    from types import SimpleNamespace

    from cooc.count.profile import CountProfile

    class Event:
        clock = 0.0

        def record(self):
            Event.clock += 2.5
            self.at = Event.clock

        def synchronize(self):
            pass

    cuda = SimpleNamespace(Event=Event, get_elapsed_time=lambda a, b: b.at - a.at)
    profile = CountProfile(SimpleNamespace(cuda=cuda))
    for _ in range(3):
        with profile.on_device():
            pass
        profile.add(next_chunk=0.5, prepare=0.25, add=1.0)
    feeder = SimpleNamespace(read_seconds=0.1, copy_seconds=0.2, wait_seconds=0.0, bytes_moved=4096)
    out = profile.finish(feeder)
    assert out == {
        "next_chunk": 1.5,
        "prepare": 0.75,
        "add": 3.0,
        "device": 0.0075,
        "read": 0.1,
        "copy": 0.2,
        "wait": 0.0,
        "chunks": 3,
        "bytes_to_device": 4096,
    }


def test_gap_is_refused_on_a_corpus_that_dropped_its_oov_tokens(tmp_path):
    # oov='drop' at build time removes the positions that oov='gap' would break windows at:
    # counting 'a x b' with gap must not give the pair (a, b) as if x had never been there.
    from cooc.corpus.build import build_corpus

    (tmp_path / "t.txt").write_text("a x b\na x b\na y\n")
    kept = build_corpus(tmp_path / "t.txt", tmp_path / "keep", vocab_size=2, oov="keep", progress=False)
    dropped = build_corpus(tmp_path / "t.txt", tmp_path / "drop", vocab_size=2, oov="drop", progress=False)
    whole = build_corpus(tmp_path / "t.txt", tmp_path / "whole", oov="drop", progress=False)  # dropped nothing
    assert count(kept, window=1, weighting="uniform", oov="gap").nnz == 0
    with pytest.raises(InputDataError, match="built with oov='drop', which removed 3 out-of-vocabulary"):
        count(dropped, window=1, weighting="uniform", oov="gap")
    # the same refusal on the Dask path, before any scheduler is reached (this address has none)
    with pytest.raises(InputDataError, match="built with oov='drop', which removed 3 out-of-vocabulary"):
        count(dropped, window=1, weighting="uniform", oov="gap", scheduler="tcp://127.0.0.1:9")
    assert count(dropped, window=1, weighting="uniform", oov="drop").counts[0, 1] == 2
    assert count(whole, window=1, weighting="uniform", oov="gap").nnz > 0


@pytest.mark.parametrize("oov", ["drop", "gap"])
def test_every_engine_records_the_in_vocabulary_centres(make_corpus, oov, device):
    corpus = make_corpus([[0, 2, 2, 1, 2], [1, 1, 2]], 2)  # id 2 is out of vocabulary: 4 centres
    for engine in engines_for(device):
        res = count(corpus, device, window=2, weighting="uniform", oov=oov, engine=engine)
        assert res.settings["count"]["centres"] == 4, engine
