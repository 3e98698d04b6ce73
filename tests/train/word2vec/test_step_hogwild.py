"""The hogwild skip-gram and CBOW kernels against plain Python transcriptions of word2vec.c's steps, and in the
estimator: planted structure, resume, refusals."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.train.word2vec import _step_hogwild
from cooc.train.word2vec.estimator import Word2Vec
from cooc.train.word2vec.sampling import alias_table, shuffled_skipgram_pairs

from ..conftest import two_cluster_docs, write_corpus

_M = 2**64
_GAMMA = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % _M
    return z ^ (z >> 31)


def _walk(tokens, docs, radii, n_parts, seed, lr_first, lr_last):
    """The kernels' walk: slice by slice, each on a stream of its own (a one-item list holding the
    splitmix64 state), position by position, with the learning rate and the context's positions."""
    n = len(tokens)
    for part in range(n_parts):
        lo, hi = n * part // n_parts, n * (part + 1) // n_parts
        stream = [_mix((seed + (part + 1) * _GAMMA) % _M)]
        for i in range(lo, hi):
            lr = lr_first + (lr_last - lr_first) * (i - lo) / max(hi - lo, 1)
            window = range(max(i - radii[i], 0), min(i + radii[i] + 1, n))
            yield i, lr, [j for j in window if j != i and docs[j] == docs[i]], stream


def _noise(stream, accept, alias):
    """One noise word: the high half of the stream's next splitmix64 number picks the alias table's slot,
    the low half the coin."""
    stream[0] = (stream[0] + _GAMMA) % _M
    z = _mix(stream[0])
    slot = ((z >> 32) * len(accept)) >> 32
    coin = ((z & 0xFFFFFFFF) + 0.5) * 2.0**-32
    return slot if coin < accept[slot] else alias[slot]


def _predict(h, W_out, centre, negative, stream, accept, alias, lr):
    """``h`` predicting ``centre`` against ``negative`` draws (a draw equal to the centre is skipped):
    the output rows move at once; returns the loss and the step for ``h``."""
    loss, grad = 0.0, np.zeros_like(h)
    for k in range(negative + 1):
        o, label = centre, 1.0
        if k:
            o, label = _noise(stream, accept, alias), 0.0
            if o == centre:
                continue
        s = float(np.dot(h.astype(np.float64), W_out[o].astype(np.float64)))
        p = 1.0 / (1.0 + math.exp(-s))
        loss += -math.log(p) if label else -math.log(1.0 - p)
        g = np.float32(lr * (label - p))
        grad += g * W_out[o]
        W_out[o] += g * h
    return loss, grad


def reference(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, n_parts):
    """word2vec.c's skip-gram: each pair (context word -> centre word) updates the centre's output row
    and the noise words' rows at once, then the context word's input row."""
    total, count = 0.0, 0
    for i, lr, context, stream in _walk(tokens, docs, radii, n_parts, seed, lr_first, lr_last):
        for j in context:
            h = W_in[tokens[j]]
            loss, grad = _predict(h, W_out, tokens[i], negative, stream, accept, alias, lr)
            h += grad
            total, count = total + loss, count + 1
    return total, count


def cbow_reference(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, n_parts):
    """word2vec.c's CBOW: the mean of the context words' input rows predicts the word; the output rows
    move at once, then every context word's input row takes the whole step."""
    total, count = 0.0, 0
    for i, lr, context, stream in _walk(tokens, docs, radii, n_parts, seed, lr_first, lr_last):
        if context:
            h = W_in[tokens[context]].sum(axis=0) / len(context)
            loss, grad = _predict(h, W_out, tokens[i], negative, stream, accept, alias, lr)
            for j in context:
                W_in[tokens[j]] += grad
            total, count = total + loss, count + 1
    return total, count


def _problem(rng, V=40, d=8, n=600, n_docs=5, window=4):
    tokens = rng.integers(0, V, size=n)
    docs = np.sort(rng.integers(0, n_docs, size=n))
    radii = rng.integers(1, window + 1, size=n)
    accept, alias = alias_table(rng.random(V) ** 3)
    W_in = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    W_out = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)  # not zero: every score is then tested
    return W_in, W_out, tokens, docs, radii, (accept, alias)


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("n_parts", [1, 3])
def test_kernel_equals_the_reference_step(rng, n_parts, sg):
    """The slices run one after another must give the reference's weights, loss and pair (or example)
    count (float32 rounding apart), each slice on its own stream of negatives."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    docs[300] = docs.max() + 1  # a document of one token: no pair, and no CBOW example
    want_in, want_out = W_in.copy(), W_out.copy()
    step = reference if sg else cbow_reference
    want = step(want_in, want_out, tokens, docs, radii, *table, 5, 0.05, 0.01, 1234, n_parts)
    kernel = _step_hogwild._sgns_part if sg else _step_hogwild._cbow_part
    parts = [
        kernel(W_in, W_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(1234), part, n_parts)
        for part in range(n_parts)
    ]
    np.testing.assert_allclose(W_in, want_in, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(W_out, want_out, rtol=1e-4, atol=1e-6)
    assert sum(c for _, c in parts) == want[1]
    assert sum(loss for loss, _ in parts) == pytest.approx(want[0], rel=1e-5)


@pytest.mark.parametrize(("sg", "shared"), [(True, False), (False, False), (True, True)])
def test_the_prange_kernels_run_the_parts_they_are_given(rng, sg, shared):
    """``_parts`` over parts lo:hi (skip-gram pair by pair or with shared negatives, or CBOW) equals those
    parts run as plain functions."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    plain = _step_hogwild._sgns_part if sg else _step_hogwild._cbow_part
    plain = _step_hogwild._sgns_shared_part if shared else plain
    a_in, a_out = W_in.copy(), W_out.copy()
    want = [plain(a_in, a_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(9), p, 5) for p in (1, 2, 3)]
    losses, counts = np.zeros(5), np.zeros(5, dtype=np.int64)
    before = numba.get_num_threads()
    numba.set_num_threads(1)  # one thread: the parts in order, as above
    try:
        _step_hogwild._parts(
            sg, shared, W_in, W_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(9), 1, 4, 5, losses, counts
        )
    finally:
        numba.set_num_threads(before)
    np.testing.assert_allclose(W_in, a_in, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W_out, a_out, rtol=1e-5, atol=1e-7)
    assert counts.tolist() == [0, *(c for _, c in want), 0]
    np.testing.assert_allclose(losses[1:4], [loss for loss, _ in want], rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])  # numba allows no more threads than cores
def test_a_chunk_is_cut_into_four_parts_a_thread_handed_out_to_a_pool(rng, monkeypatch, threads):
    """On T > 1 threads a chunk runs as 4 T parts on a pool of T threads, one part per call (whichever
    thread comes free takes the next), each on one numba thread, every part once, their losses and
    counts summed; on one thread, one part in the caller."""
    import threading

    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    calls: list[tuple[int, int, int, str, int]] = []
    real = _step_hogwild._parts

    def recording(*args):
        lo, hi, n_parts = (int(a) for a in args[-5:-2])
        calls.append((lo, hi, n_parts, threading.current_thread().name, numba.get_num_threads()))
        return real(*args)

    _step_hogwild.sgns_chunk(W_in.copy(), W_out.copy(), tokens[:50], docs[:50], radii[:50], table, 5, 0.05, 0.01, 1)
    assert _step_hogwild._layer_is_threadsafe()  # numba's layer started (and OpenMP on this machine)
    monkeypatch.setattr(_step_hogwild, "_parts", recording)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        loss, pairs = _step_hogwild.sgns_chunk(W_in, W_out, tokens, docs, radii, table, 5, 0.05, 0.01, 1234)
    finally:
        numba.set_num_threads(before)
    n_parts = 4 * threads if threads > 1 else 1
    assert sorted(lo for lo, *_ in calls) == list(range(n_parts))
    assert all(hi == lo + 1 and n == n_parts for lo, hi, n, _, _ in calls)
    if threads == 1:
        assert calls[0][3] == threading.current_thread().name
    else:
        assert all(name.startswith("cooc-hogwild") and numba_threads == 1 for *_, name, numba_threads in calls)
    want = reference(W_in.copy(), W_out.copy(), tokens, docs, radii, *table, 5, 0.05, 0.01, 1234, n_parts)[1]
    assert pairs == want == shuffled_skipgram_pairs(tokens, docs, radii, 0)[0].size
    assert np.isfinite(loss) and loss > 0


def test_without_a_threadsafe_threading_layer_the_parts_run_on_numbas_threads(rng, monkeypatch):
    """numba's workqueue layer stops the process when two threads launch parallel kernels at once: then
    the 4 T parts run in one call, on numba's own threads, and still every pair once."""
    import threading

    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    monkeypatch.setattr(_step_hogwild, "_layer_is_threadsafe", lambda: False)
    calls = []
    real = _step_hogwild._parts

    def recording(*args):
        calls.append((tuple(int(a) for a in args[-5:-2]), threading.current_thread().name))
        return real(*args)

    monkeypatch.setattr(_step_hogwild, "_parts", recording)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        loss, pairs = _step_hogwild.sgns_chunk(W_in, W_out, tokens, docs, radii, table, 5, 0.05, 0.01, 1234)
    finally:
        numba.set_num_threads(before)
    assert calls == [((0, 8, 8), threading.current_thread().name)]
    assert pairs == shuffled_skipgram_pairs(tokens, docs, radii, 0)[0].size and np.isfinite(loss)


def test_a_failed_part_returns_only_once_the_parts_still_running_have_ended(rng, monkeypatch):
    """An error (or Ctrl-C) while the pool trains a chunk: the call raises only once no part is writing
    the weights any more, and the parts not started are dropped."""
    import time

    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    _step_hogwild.sgns_chunk(W_in, W_out, tokens[:50], docs[:50], radii[:50], table, 5, 0.05, 0.01, 1)
    started, finished = [], []

    def part(*args):
        lo = int(args[-5])
        started.append(lo)
        if lo == 0:
            raise RuntimeError("part 0 failed")
        time.sleep(0.2)
        finished.append(lo)

    monkeypatch.setattr(_step_hogwild, "_parts", part)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="part 0 failed"):
            _step_hogwild.sgns_chunk(W_in, W_out, tokens, docs, radii, table, 5, 0.05, 0.01, 1234)
        at_return = (sorted(started), sorted(finished))
        time.sleep(0.5)
    finally:
        numba.set_num_threads(before)
    assert sorted(finished) == at_return[1]  # nothing ran on after the call returned
    assert at_return[0] == [0, *at_return[1]] and len(at_return[0]) < 8  # the rest were never started


@pytest.mark.parametrize("chunk", ["sgns_chunk", "sgns_shared_chunk"])
def test_public_call_trains_every_pair_once_within_documents(rng, chunk):
    """Either skip-gram chunk call on every thread: the same pairs as the batched path builds (none across
    a document), and the weights move."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng, n=2000)
    start = W_in.copy()
    loss, pairs = getattr(_step_hogwild, chunk)(W_in, W_out, tokens, docs, radii, table, 3, 0.025, 0.02, 7)
    assert pairs == shuffled_skipgram_pairs(tokens, docs, radii, 0)[0].size
    assert np.isfinite(loss) and loss > 0 and not np.array_equal(W_in, start)


@pytest.mark.parametrize("chunk", ["sgns_chunk", "sgns_shared_chunk"])
def test_bad_inputs_are_refused(rng, chunk):
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    call = getattr(_step_hogwild, chunk)
    with pytest.raises(ValueError, match="outside"):
        call(W_in, W_out, tokens + 40, docs, radii, table, 3, 0.025, 0.02, 7)
    with pytest.raises(ValueError, match="float32"):
        call(W_in.astype(np.float64), W_out, tokens, docs, radii, table, 3, 0.025, 0.02, 7)


SMALL = dict(dim=12, window=3, negative=3, epochs=2, min_count=1, sample=0.0, chunk_tokens=5000, progress=False)


@pytest.fixture
def clusters(tmp_path):
    words = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]
    return write_corpus(tmp_path / "clusters", two_cluster_docs(1000, 20, 10, seed=1), words)


#: The chunk kernels and the models they train: hogwild's skip-gram and CBOW, skip-gram with shared negatives.
CHUNK_RUNS = [("hogwild", True), ("hogwild", False), ("shared", True)]
CHUNK_IDS = ["hogwild-skipgram", "hogwild-cbow", "shared-skipgram"]


@pytest.mark.parametrize(("kernel", "sg"), CHUNK_RUNS, ids=CHUNK_IDS)
@pytest.mark.parametrize("threads", [1, 2])
def test_planted_clusters_are_learned(tmp_path, threads, kernel, sg):
    """Two clusters of 100 words. (With 10 words a cluster, two threads write the same few rows at
    every step and their lost updates left the clusters less apart: across-cluster cosine 0.08-0.14,
    once 0.41 on a loaded machine, against 0.04 on one thread.)"""
    words = [f"a{i}" for i in range(100)] + [f"b{i}" for i in range(100)]
    corpus = write_corpus(tmp_path / "wide", two_cluster_docs(2000, 20, 100, seed=1), words)
    model = Word2Vec(kernel=kernel, seed=3, threads=threads, sg=sg, **SMALL).fit(corpus)
    unit = model.embedding_.unit_vectors()
    first = np.array([w.startswith("a") for w in model.embedding_.index_to_key])
    sims = unit @ unit.T
    within = sims[(first[:, None] == first[None, :]) & ~np.eye(first.size, dtype=bool)].mean()
    across = sims[first[:, None] != first[None, :]].mean()
    assert within > 0.8 and across < 0.2, (within, across)
    losses = [h["loss"] for h in model.loss_history_]
    assert losses[-1] < losses[0]
    assert model.raw_words_ == 2 * corpus.n_tokens and model.kernel_ == kernel
    assert model.embedding_.meta["provenance"]["params"]["kernel"] == kernel


@pytest.mark.parametrize(("kernel", "sg"), CHUNK_RUNS, ids=CHUNK_IDS)
def test_one_thread_is_reproducible_and_resumes_bitwise(clusters, tmp_path, kernel, sg):
    params = dict(SMALL, kernel=kernel, threads=1, seed=5, epochs=3, checkpoint_every=0.0, sg=sg)
    whole = Word2Vec(**params).fit(clusters)
    again = Word2Vec(**params).fit(clusters)
    np.testing.assert_array_equal(whole.input_vectors_, again.input_vectors_)
    if kernel == "shared":  # a kernel of its own: not the pair-by-pair weights
        pairwise = Word2Vec(**{**params, "kernel": "hogwild"}).fit(clusters)
        assert not np.array_equal(whole.input_vectors_, pairwise.input_vectors_)

    class Stop(Exception):
        pass

    def stop_in_the_second_epoch(info):
        if info["epoch"] == 1 and info["chunk"] == 1:
            raise Stop

    with pytest.raises(Stop):
        Word2Vec(**params).fit(clusters, checkpoint=tmp_path / "ck", callback=stop_in_the_second_epoch)
    resumed = Word2Vec(**params).fit(clusters, checkpoint=tmp_path / "ck")
    np.testing.assert_array_equal(resumed.input_vectors_, whole.input_vectors_)
    np.testing.assert_array_equal(resumed.output_vectors_, whole.output_vectors_)


@pytest.mark.parametrize("kernel", ["hogwild", "numba"])
@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
def test_preparing_the_next_chunk_ahead_changes_nothing(clusters, monkeypatch, kernel, sg):
    """The next chunk's subsampling and window radii, drawn in a thread while a chunk trains, are the ones drawn
    in turn: every chunk has its own generator (one thread, so the weights are compared bit for bit)."""
    import threading

    import cooc.train.word2vec.run as run

    params = dict(SMALL, kernel=kernel, threads=1, seed=5, sample=1e-2, sg=sg)
    seen = set()
    real = run.TrainingRun._prepare

    def prepare(self, *a):
        seen.add(threading.current_thread().name.split("_")[0])
        return real(self, *a)

    monkeypatch.setattr(run.TrainingRun, "_prepare", prepare)
    ahead = Word2Vec(**params).fit(clusters)
    assert seen == {"cooc-word2vec-prepare"}  # every chunk was prepared in the thread
    monkeypatch.setattr(run, "PREPARE_AHEAD", False)
    seen.clear()
    in_turn = Word2Vec(**params).fit(clusters)
    assert seen == {threading.current_thread().name.split("_")[0]}
    np.testing.assert_array_equal(ahead.input_vectors_, in_turn.input_vectors_)
    np.testing.assert_array_equal(ahead.output_vectors_, in_turn.output_vectors_)
    assert ahead.loss_history_ == in_turn.loss_history_ and len(ahead.loss_history_) > 2


def test_the_next_epochs_first_chunk_is_prepared_while_the_last_one_trains(clusters, monkeypatch):
    """A corpus of one chunk trained for 3 epochs: epochs 2 and 3 are prepared while the epoch before trains
    (their preparation is held for 0.1 s, so the training call has begun; each training call for 0.5 s)."""
    import threading
    import time

    import cooc.train.word2vec.run as run

    training = threading.Event()
    ended_while_training = {}
    real_prepare, real_train = run.TrainingRun._prepare, run.TrainingRun._train_chunk

    def prepare(self, tokens, offsets, epoch, index):
        out = real_prepare(self, tokens, offsets, epoch, index)
        if epoch:
            time.sleep(0.1)
        ended_while_training[(epoch, index)] = training.is_set()
        return out

    def train(self, *a, **k):
        training.set()
        time.sleep(0.5)
        try:
            return real_train(self, *a, **k)
        finally:
            training.clear()

    monkeypatch.setattr(run.TrainingRun, "_prepare", prepare)
    monkeypatch.setattr(run.TrainingRun, "_train_chunk", train)
    model = Word2Vec(**{**SMALL, "epochs": 3, "chunk_tokens": 1 << 20}, kernel="hogwild", threads=1).fit(clusters)
    assert [(h["epoch"], h["chunk"]) for h in model.loss_history_] == [(0, 0), (1, 0), (2, 0)]
    assert ended_while_training == {(0, 0): False, (1, 0): True, (2, 0): True}


def test_learning_rate_reaches_the_kernel(clusters, monkeypatch):
    """Each chunk trains from the rate at its first word to the rate at its last, falling linearly
    from alpha to min_alpha over the run."""
    seen = []
    original = _step_hogwild.sgns_chunk

    def spy(*args):
        seen.append(args[7:9])
        return original(*args)

    monkeypatch.setattr(_step_hogwild, "sgns_chunk", spy)
    Word2Vec(kernel="hogwild", alpha=0.04, min_alpha=0.001, **SMALL).fit(clusters)
    total = 2 * clusters.n_tokens
    assert seen[0][0] == pytest.approx(0.04)
    assert seen[-1][1] == pytest.approx(0.001)
    for (_, last), (first, _) in zip(seen, seen[1:]):
        assert first == pytest.approx(last)  # each chunk starts where the one before ended
    assert seen[0][1] == pytest.approx(0.04 - 0.039 * 5000 / total)


def test_default_on_a_cpu_and_refusals(clusters):
    """On a CPU skip-gram trains with shared negatives and CBOW hogwild unless a batch size is asked for; a
    batch size or a GPU with kernel='hogwild' are refused."""
    assert Word2Vec(**{**SMALL, "epochs": 1}).fit(clusters).kernel_ == "shared"
    assert Word2Vec(batch_size=64, **{**SMALL, "epochs": 1}).fit(clusters).kernel_ == "numba"
    assert Word2Vec(sg=False, **{**SMALL, "epochs": 1}).fit(clusters).kernel_ == "hogwild"
    assert Word2Vec(sg=False, batch_size=64, **{**SMALL, "epochs": 1}).fit(clusters).kernel_ == "numba"
    with pytest.raises(InvalidParameterError, match="no batch_size"):
        Word2Vec(kernel="hogwild", batch_size=64, **SMALL).fit(clusters)
    from cooc.train.word2vec.kernels import resolve_kernel

    class Cuda:
        type = "cuda"

    with pytest.raises(InvalidParameterError, match="CPU only"):
        resolve_kernel("hogwild", Cuda())
