"""The shared-negatives skip-gram kernel (``kernel="shared"``) against a plain Python transcription of its
step, its registration and refusals (in the estimator it is tested with the other chunk kernels in
test_step_hogwild.py: planted structure, reproducibility, resume)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.train.word2vec import _step_hogwild
from cooc.train.word2vec.kernels import batched_windows, resolve_kernel, step_kernel
from cooc.train.word2vec.sampling import shuffled_skipgram_pairs

from .test_step_hogwild import _noise, _problem, _walk


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


def test_the_kernel_is_registered_for_skipgram_with_hogwilds_cbow():
    kernel = step_kernel("shared")
    assert kernel.chunk(True) is _step_hogwild.sgns_shared_chunk
    assert kernel.chunk(False) is _step_hogwild.cbow_chunk
    with pytest.raises(InvalidParameterError, match="whole chunks"):
        kernel.sgns_step()


def test_chunks_on_a_cpu_without_batches_windows_otherwise():
    """On a CPU without a batch size "shared" trains whole chunks in corpus order (this kernel); on a GPU, or
    with a batch size, the batched step by windows (tests/train/word2vec/test_step_window.py). The
    pair-by-pair order has no batched form."""

    class Cuda:
        type = "cuda"

    class Cpu:
        type = "cpu"

    assert resolve_kernel("shared", Cpu()) == "shared" and not batched_windows("shared", Cpu(), None)
    assert resolve_kernel("shared", Cuda()) == "shared" and batched_windows("shared", Cuda(), None)
    assert resolve_kernel("shared", Cpu(), batch_size=64) == "shared" and batched_windows("shared", Cpu(), 64)
    with pytest.raises(InvalidParameterError, match="CPU only"):
        resolve_kernel("hogwild", Cuda())
    with pytest.raises(InvalidParameterError, match="no batch_size"):
        resolve_kernel("hogwild", Cpu(), batch_size=64)
