"""Skip-gram and CBOW with negative sampling on the CPU as word2vec.c and gensim train them: pair by
pair (skip-gram) or position by position (CBOW), in corpus order, every update written at once and
unlocked ("hogwild", Recht et al. 2011).

This is a different algorithm from the batched step (:mod:`cooc.train.word2vec._step_torch`): each pair
reads the weights as the pairs before it left them, and two threads may write one row at the same
moment (a lost update, rare because the rows of a 100k vocabulary seldom meet). Its appeal on a CPU is
memory: the centre word's output row is reused by all its context pairs, and the context words'
input rows were touched a few positions earlier, so they sit in cache; nothing is built, shuffled
or buffered between the chunk's tokens and the weights. One compiled call trains a whole chunk:

- the chunk's positions are cut into one contiguous slice per thread;
- each position's window radius comes from the same draws as the batched path
  (:func:`~cooc.train.word2vec.sampling.window_radii`), and pairs never cross a document;
- negatives are drawn inside the loop from the alias table, one splitmix64 number each (high half
  the slot, low half the coin), on a stream of the thread's own, seeded by ``(seed, thread)``, one
  pair ahead so that their rows are asked for before they are needed;
- the learning rate falls linearly across each slice from the chunk's first to its last rate;
- CBOW averages the context words' input rows into one hidden vector per position and gives each
  of them the whole step (:func:`cbow_chunk`).

With one thread a run is bitwise reproducible (and resumes bitwise at chunk boundaries); with more,
the interleaving of unlocked writes varies from run to run, as in gensim and fastText. Its quality
is tested against gensim's on the Wikipedia sample over several seeds (tests/train and
``benchmarks/word2vec.py``); the definitions are in docs/science.md.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

from ..._core.numba_cache import prepare_kernels
from ._arrays import index_array, weight_view
from ._prefetch import prefetch_row
from .sampling import SPLITMIX_GAMMA, mix64

prepare_kernels()

_MAX_EXP = 30.0  # beyond this |score| the sigmoid is 0 or 1 in float32, and the step vanishes


@njit(cache=True)
def _draw(negatives, accept, alias, state):
    """Fill ``negatives`` with draws from the alias table, one splitmix64 number each (high half: the
    slot, low half: the coin); returns the stream's new state."""
    n_slots = np.uint64(accept.size)
    for k in range(negatives.size):
        state += SPLITMIX_GAMMA
        z = mix64(state)
        slot = np.int64(((z >> np.uint64(32)) * n_slots) >> np.uint64(32))
        coin = (np.float64(z & np.uint64(0xFFFFFFFF)) + 0.5) * 2.0**-32
        negatives[k] = slot if coin < accept[slot] else alias[slot]
    return state


@njit(cache=True, fastmath=True)
def _pair(W_in, W_out, word, centre, negatives, grad, lr):
    """One skip-gram pair, input ``word`` predicting ``centre`` against the ``negatives``, updated in
    place. Returns the pair's loss."""
    h = W_in[word]
    loss = _predict(h, W_out, centre, negatives, grad, lr)
    for c in range(h.size):
        h[c] += grad[c]
    return loss


@njit(cache=True, fastmath=True)
def _predict(h, W_out, centre, negatives, grad, lr):
    """The hidden vector ``h`` predicting ``centre`` against the ``negatives``: their output rows are
    updated in place and the step for ``h``'s input rows is left in ``grad``. Returns the loss."""
    d = h.size
    for c in range(d):
        grad[c] = 0.0
    loss = 0.0
    log_terms = 1.0  # the product of the (1 + e) factors: one log per pair
    for k in range(negatives.size + 1):
        o = centre if k == 0 else negatives[k - 1]
        if k > 0 and o == centre:  # a negative equal to the word predicted is skipped (word2vec.c)
            continue
        o_row = W_out[o]
        s = np.float32(0.0)
        for c in range(d):
            s += h[c] * o_row[c]
        x = -s if k == 0 else s  # the loss term is softplus(x)
        e = math.exp(-min(abs(x), _MAX_EXP))
        loss += max(x, 0.0)
        log_terms *= 1.0 + e
        p = 1.0 / (1.0 + e) if s >= 0 else e / (1.0 + e)  # sigmoid(s)
        g = np.float32(lr * ((1.0 if k == 0 else 0.0) - p))  # minus the step times dL/ds
        for c in range(d):
            grad[c] += g * o_row[c]
            o_row[c] += g * h[c]
    return loss + math.log(log_terms)


@njit(cache=True)
def _slice(part, n, n_parts, negative, accept, alias, seed):
    """Thread ``part``'s positions ``lo:hi``, and its negatives' buffers and stream with the first draw
    made: each pair's (or CBOW example's) negatives are drawn one ahead, and their rows asked for then
    (random rows, mostly out of cache); the draws come in the same order as if drawn in place."""
    ahead = np.empty((2, negative), dtype=np.int64)
    state = _draw(ahead[0], accept, alias, mix64(seed + np.uint64(part + 1) * SPLITMIX_GAMMA))
    return n * part // n_parts, n * (part + 1) // n_parts, ahead, state


@njit(parallel=True, cache=True, fastmath=True, nogil=True)
def _chunk(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, n_parts, losses, pairs):
    n, d = tokens.size, W_in.shape[1]
    for part in prange(n_parts):
        lo, hi, ahead, state = _slice(part, n, n_parts, negative, accept, alias, seed)
        grad = np.empty(d, dtype=np.float32)
        now = 0
        loss, count = 0.0, 0
        span = max(hi - lo, 1)
        for i in range(lo, hi):
            lr = lr_first + (lr_last - lr_first) * (i - lo) / span
            centre, r = tokens[i], radii[i]
            if i + 1 < hi:  # the next centre's output row
                prefetch_row(W_out, tokens[i + 1])
            for j in range(max(i - r, 0), min(i + r + 1, n)):
                if j == i or docs[j] != docs[i]:
                    continue
                state = _draw(ahead[1 - now], accept, alias, state)
                for k in range(negative):
                    prefetch_row(W_out, ahead[1 - now, k])
                loss += _pair(W_in, W_out, tokens[j], centre, ahead[now], grad, lr)
                now = 1 - now
                count += 1
        losses[part] = loss
        pairs[part] = count


# CBOW has a kernel of its own rather than a flag in _chunk: one kernel for both ran CBOW 4-8% and
# skip-gram 2% slower (wiki x5, one thread, 2-core VM, 2026-12-03).
@njit(parallel=True, cache=True, fastmath=True, nogil=True)
def _cbow_chunk(
    W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, n_parts, losses, examples
):
    n, d = tokens.size, W_in.shape[1]
    for part in prange(n_parts):
        lo, hi, ahead, state = _slice(part, n, n_parts, negative, accept, alias, seed)
        grad = np.empty(d, dtype=np.float32)
        h = np.empty(d, dtype=np.float32)
        now = 0
        loss, count = 0.0, 0
        span = max(hi - lo, 1)
        for i in range(lo, hi):
            lr = lr_first + (lr_last - lr_first) * (i - lo) / span
            centre, r = tokens[i], radii[i]
            first, last = max(i - r, 0), min(i + r + 1, n)
            if i + 1 < hi:
                prefetch_row(W_out, tokens[i + 1])
            for c in range(d):
                h[c] = 0.0
            m = 0
            for j in range(first, last):  # h: the mean of the context words' input rows
                if j == i or docs[j] != docs[i]:
                    continue
                row = W_in[tokens[j]]
                for c in range(d):
                    h[c] += row[c]
                m += 1
            if m == 0:
                continue
            for c in range(d):
                h[c] /= m
            state = _draw(ahead[1 - now], accept, alias, state)
            for k in range(negative):
                prefetch_row(W_out, ahead[1 - now, k])
            loss += _predict(h, W_out, centre, ahead[now], grad, lr)
            now = 1 - now
            for j in range(first, last):  # every context word takes the whole step (word2vec.c, cbow_mean=1)
                if j == i or docs[j] != docs[i]:
                    continue
                row = W_in[tokens[j]]
                for c in range(d):
                    row[c] += grad[c]
            count += 1
        losses[part] = loss
        examples[part] = count


def sgns_chunk(
    W_in, W_out, tokens, docs, radii, sampler_table, negative: int, lr_first: float, lr_last: float, seed: int
) -> tuple[float, int]:
    """Train on a chunk's positions in corpus order, hogwild over the numba threads.

    Parameters
    ----------
    W_in, W_out : float32 arrays (or CPU tensors) of shape (V, d), updated in place
    tokens, docs, radii : int arrays (or CPU tensors) of shape (n,)
        The chunk's training ids after subsampling, each position's document and window radius.
    sampler_table : (accept, alias)
        The noise distribution's alias table (:func:`~cooc.train.word2vec.sampling.alias_table`).
    negative : int
    lr_first, lr_last : float
        Learning rates at the chunk's first and last position.
    seed : int
        Seeds the negatives' streams.

    Returns
    -------
    loss, pairs : the summed loss and the number of pairs trained on
    """
    return _run(
        _chunk, "sgns_chunk", W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed
    )


def cbow_chunk(
    W_in, W_out, tokens, docs, radii, sampler_table, negative: int, lr_first: float, lr_last: float, seed: int
) -> tuple[float, int]:
    """CBOW as word2vec.c trains it: each position's context words (its window, within its document)
    are averaged into one hidden vector that predicts the word against the negatives, and every
    context word's input row takes the whole step (not divided among them, as word2vec.c and gensim
    with ``cbow_mean=1``). Arguments as :func:`sgns_chunk`; returns the summed loss and the number of
    examples (positions with at least one context word)."""
    return _run(
        _cbow_chunk, "cbow_chunk", W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed
    )


def _run(kernel, name, W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed):
    W_in, W_out = (weight_view(w) for w in (W_in, W_out))
    tokens, docs, radii = (index_array(a) for a in (tokens, docs, radii))
    accept, alias = np.ascontiguousarray(sampler_table[0], np.float64), index_array(sampler_table[1])
    if tokens.size and (tokens.min() < 0 or tokens.max() >= min(W_in.shape[0], W_out.shape[0])):
        raise ValueError(f"{name}: a token id lies outside the weight matrices.")
    n_parts = max(1, min(get_num_threads(), tokens.size))
    losses, counts = np.zeros(n_parts), np.zeros(n_parts, dtype=np.int64)
    seed64 = np.uint64(int(seed) % 2**64)
    kernel(
        W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed64, n_parts, losses, counts
    )
    return float(losses.sum()), int(counts.sum())
