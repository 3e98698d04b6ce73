"""The shared-negatives skip-gram kernel (``kernel="shared"``) against a plain Python transcription of its
step, and in the estimator: planted structure, reproducibility, resume, refusals."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.train.word2vec import _step_hogwild
from cooc.train.word2vec.estimator import Word2Vec
from cooc.train.word2vec.kernels import resolve_kernel, step_kernel
from cooc.train.word2vec.sampling import shuffled_skipgram_pairs

from ..conftest import two_cluster_docs, write_corpus
from .test_step_hogwild import SMALL, _noise, _problem, _walk


def shared_reference(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, n_parts):
    """Each centre with context words draws ``negative`` noise words once (a draw equal to the centre is
    dropped). Every context word is scored against the output rows as the window found them, and its
    input row moves at once; then each output row moves by the window's summed steps."""
    total, count = 0.0, 0
    for i, lr, context, stream in _walk(tokens, docs, radii, n_parts, seed, lr_first, lr_last):
        if not context:
            continue
        centre = tokens[i]
        rows = [centre] + [o for o in (_noise(stream, accept, alias) for _ in range(negative)) if o != centre]
        labels = np.array([1.0] + [0.0] * (len(rows) - 1))
        found = W_out[rows].copy()  # rows may repeat: each keeps its own step, all added at the end
        steps = np.zeros_like(found)
        for j in context:
            h = W_in[tokens[j]]
            p = 1.0 / (1.0 + np.exp(-(found.astype(np.float64) @ h.astype(np.float64))))
            total += -sum(math.log(q) if label else math.log(1.0 - q) for q, label in zip(p, labels))
            g = (lr * (labels - p)).astype(np.float32)
            steps += g[:, None] * h
            h += (g[:, None] * found).sum(axis=0)
            count += 1
        for row, step in zip(rows, steps):
            W_out[row] += step
    return total, count


@pytest.mark.parametrize("n_parts", [1, 3])
def test_kernel_equals_the_reference_step(rng, n_parts):
    """The slices run one after another give the reference's weights, loss and pair count (float32
    rounding apart), each slice on its own stream of negatives, one draw per centre with context."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    docs[300] = docs.max() + 1  # a document of one token: no pair, and no draw
    want_in, want_out = W_in.copy(), W_out.copy()
    want = shared_reference(want_in, want_out, tokens, docs, radii, *table, 5, 0.05, 0.01, 1234, n_parts)
    parts = [
        _step_hogwild._sgns_shared_part(
            W_in, W_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(1234), part, n_parts
        )
        for part in range(n_parts)
    ]
    np.testing.assert_allclose(W_in, want_in, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(W_out, want_out, rtol=1e-4, atol=1e-6)
    assert sum(c for _, c in parts) == want[1]
    assert sum(loss for loss, _ in parts) == pytest.approx(want[0], rel=1e-5)


def test_a_window_shares_one_draw_of_negatives(rng):
    """Against the pair-by-pair kernel on the same slice: the same pairs, fewer draws. With the same
    stream, the shared kernel's first window uses the first ``negative`` draws for all its pairs, so
    the two kernels' weights differ (the transcription above pins which one is right)."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    a_in, a_out = W_in.copy(), W_out.copy()
    shared = _step_hogwild._sgns_shared_part(
        W_in, W_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(7), 0, 1
    )
    pairwise = _step_hogwild._sgns_part(a_in, a_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(7), 0, 1)
    assert shared[1] == pairwise[1] == shuffled_skipgram_pairs(tokens, docs, radii, 0)[0].size
    assert not np.allclose(W_out, a_out)


def test_the_prange_kernel_runs_the_shared_parts(rng):
    """``_parts`` with ``shared`` over parts lo:hi equals those parts of the shared kernel run as plain functions."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng)
    a_in, a_out = W_in.copy(), W_out.copy()
    plain = _step_hogwild._sgns_shared_part
    want = [plain(a_in, a_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(9), p, 5) for p in (1, 2, 3)]
    losses, counts = np.zeros(5), np.zeros(5, dtype=np.int64)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        _step_hogwild._parts(
            True, True, W_in, W_out, tokens, docs, radii, *table, 5, 0.05, 0.01, np.uint64(9), 1, 4, 5, losses, counts
        )
    finally:
        numba.set_num_threads(before)
    np.testing.assert_allclose(W_in, a_in, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W_out, a_out, rtol=1e-5, atol=1e-7)
    assert counts.tolist() == [0, *(c for _, c in want), 0]
    np.testing.assert_allclose(losses[1:4], [loss for loss, _ in want], rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
def test_public_call_trains_every_pair_once_on_every_thread(rng, threads):
    """``sgns_shared_chunk``: the pairs the batched path builds (none across a document), every part once."""
    W_in, W_out, tokens, docs, radii, table = _problem(rng, n=2000)
    start = W_in.copy()
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        loss, pairs = _step_hogwild.sgns_shared_chunk(W_in, W_out, tokens, docs, radii, table, 3, 0.025, 0.02, 7)
    finally:
        numba.set_num_threads(before)
    assert pairs == shuffled_skipgram_pairs(tokens, docs, radii, 0)[0].size
    assert np.isfinite(loss) and loss > 0 and not np.array_equal(W_in, start)
    with pytest.raises(ValueError, match="outside"):
        _step_hogwild.sgns_shared_chunk(W_in, W_out, tokens + 40, docs, radii, table, 3, 0.025, 0.02, 7)


def test_the_kernel_is_registered_for_skipgram_with_hogwilds_cbow():
    kernel = step_kernel("shared")
    assert kernel.chunk(True) is _step_hogwild.sgns_shared_chunk
    assert kernel.chunk(False) is _step_hogwild.cbow_chunk
    with pytest.raises(InvalidParameterError, match="whole chunks"):
        kernel.sgns_step()


@pytest.mark.parametrize("threads", [1, 2])
def test_planted_clusters_are_learned(tmp_path, threads):
    words = [f"a{i}" for i in range(100)] + [f"b{i}" for i in range(100)]
    corpus = write_corpus(tmp_path / "wide", two_cluster_docs(2000, 20, 100, seed=1), words)
    model = Word2Vec(kernel="shared", seed=3, threads=threads, **SMALL).fit(corpus)
    unit = model.embedding_.unit_vectors()
    first = np.array([w.startswith("a") for w in model.embedding_.index_to_key])
    sims = unit @ unit.T
    within = sims[(first[:, None] == first[None, :]) & ~np.eye(first.size, dtype=bool)].mean()
    across = sims[first[:, None] != first[None, :]].mean()
    assert within > 0.8 and across < 0.2, (within, across)
    losses = [h["loss"] for h in model.loss_history_]
    assert losses[-1] < losses[0]
    assert model.kernel_ == "shared" and model.embedding_.meta["provenance"]["params"]["kernel"] == "shared"


def test_one_thread_is_reproducible_and_resumes_bitwise(tmp_path):
    words = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]
    clusters = write_corpus(tmp_path / "clusters", two_cluster_docs(1000, 20, 10, seed=1), words)
    params = dict(SMALL, kernel="shared", threads=1, seed=5, epochs=3, checkpoint_every=0.0)
    whole = Word2Vec(**params).fit(clusters)
    again = Word2Vec(**params).fit(clusters)
    np.testing.assert_array_equal(whole.input_vectors_, again.input_vectors_)
    pairwise = Word2Vec(**{**params, "kernel": "hogwild"}).fit(clusters)
    assert not np.array_equal(whole.input_vectors_, pairwise.input_vectors_)  # the shared kernel did train

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


def test_refusals():
    class Cuda:
        type = "cuda"

    class Cpu:
        type = "cpu"

    with pytest.raises(InvalidParameterError, match="CPU only"):
        resolve_kernel("shared", Cuda())
    with pytest.raises(InvalidParameterError, match="no batch_size"):
        resolve_kernel("shared", Cpu(), batch_size=64)
    assert resolve_kernel("shared", Cpu()) == "shared"
