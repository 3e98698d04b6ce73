"""Skip-gram and CBOW with negative sampling on the CPU as word2vec.c and gensim train them: pair by
pair (skip-gram) or position by position (CBOW), in corpus order, every update written at once and
unlocked ("hogwild", Recht et al. 2011).

This is a different algorithm from the batched step (:mod:`cooc.train.word2vec._step_torch`): each pair
reads the weights as the pairs before it left them, and two threads may write one row at the same
moment (a lost update, rare because the rows of a 100k vocabulary seldom meet). Its appeal on a CPU is
memory: the centre word's output row is reused by all its context pairs, and the context words'
input rows were touched a few positions earlier, so they sit in cache; nothing is built, shuffled
or buffered between the chunk's tokens and the weights. A chunk is trained in parts, each one
compiled call that releases the GIL:

- the chunk's positions are cut into contiguous slices: one on one thread; on T threads, 4 T slices
  handed out to a pool of T threads as they come free, so a thread that shares its core with another
  process takes fewer of them and the others do not wait for it at the chunk's end (a slice per thread
  and numba's static schedule made the whole chunk wait for the slowest);
- each position's window radius comes from the same draws as the batched path
  (:func:`~cooc.train.word2vec.sampling.window_radii`), and pairs never cross a document;
- negatives are drawn inside the loop from the alias table, one splitmix64 number each (high half
  the slot, low half the coin), on a stream of the slice's own, seeded by ``(seed, slice)``, one
  pair ahead so that their rows are asked for before they are needed;
- the learning rate falls linearly across each slice from the chunk's first to its last rate;
- CBOW averages the context words' input rows into one hidden vector per position and gives each
  of them the whole step (:func:`cbow_chunk`);
- :func:`sgns_shared_chunk` is skip-gram with the negatives shared across a window (Ji et al. 2016,
  "Parallelizing Word2Vec in Shared and Distributed Memory"): one draw of negatives per centre word,
  against which every context word of its window predicts it; the centre's and the negatives' output
  rows are read once and moved once, by the sum of the window's steps, while each context word's
  input row moves as its pair is done. Random output rows are read about 2 r times less often (r the
  window's radius), which is what the pair-by-pair order spends its time and memory traffic on.

With one thread a run is bitwise reproducible (and resumes bitwise at chunk boundaries); with more,
the interleaving of unlocked writes varies from run to run, as in gensim and fastText. Its quality
is tested against gensim's on the Wikipedia sample over several seeds (tests/train and
``benchmarks/word2vec.py``); the definitions are in docs/science.md.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from ..._core.numba_cache import prepare_kernels
from ._arrays import index_array, weight_view
from ._prefetch import prefetch_row
from .sampling import SPLITMIX_GAMMA, mix64

prepare_kernels()

_MAX_EXP = 30.0  # beyond this |score| the sigmoid is 0 or 1 in float32, and the step vanishes
PARTS_PER_THREAD = 4  # a chunk's parts per thread, handed out as threads come free


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
def _score(h, o_row, positive, lr):
    """The score of ``h`` against one output row: the loss term softplus(x) (x = -s for the word predicted,
    s for a noise word) as its two parts, max(x, 0) and 1 + e^-|x| (multiplied into one log per pair), and
    the step g = minus ``lr`` times dL/ds, in float32."""
    s = np.float32(0.0)
    for c in range(h.size):
        s += h[c] * o_row[c]
    x = -s if positive else s
    e = math.exp(-min(abs(x), _MAX_EXP))
    p = 1.0 / (1.0 + e) if s >= 0 else e / (1.0 + e)  # sigmoid(s)
    return max(x, 0.0), 1.0 + e, np.float32(lr * ((1.0 if positive else 0.0) - p))


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
        linear, factor, g = _score(h, o_row, k == 0, lr)
        loss += linear
        log_terms *= factor
        for c in range(d):
            grad[c] += g * o_row[c]
            o_row[c] += g * h[c]
    return loss + math.log(log_terms)


@njit(cache=True)
def _slice(part, n, n_parts, d, negative, accept, alias, seed):
    """Part ``part``'s positions ``lo:hi`` and their count for the learning rate's ramp (at least 1),
    its negatives' buffers and stream with the first draw made, and a gradient buffer of ``d`` floats.
    Each pair's (or CBOW example's) negatives are drawn one ahead, and their rows asked for then
    (random rows, mostly out of cache); the draws come in the same order as if drawn in place."""
    ahead = np.empty((2, negative), dtype=np.int64)
    state = _draw(ahead[0], accept, alias, mix64(seed + np.uint64(part + 1) * SPLITMIX_GAMMA))
    lo, hi = n * part // n_parts, n * (part + 1) // n_parts
    return lo, hi, max(hi - lo, 1), ahead, state, np.empty(d, dtype=np.float32)


@njit(cache=True, fastmath=True, nogil=True)
def _sgns_part(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts):
    """Part ``part`` of ``n_parts`` of a chunk, skip-gram; returns its summed loss and pair count."""
    n, d = tokens.size, W_in.shape[1]
    lo, hi, span, ahead, state, grad = _slice(part, n, n_parts, d, negative, accept, alias, seed)
    now = 0
    loss, count = 0.0, 0
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
    return loss, count


@njit(cache=True, fastmath=True, nogil=True)
def _sgns_shared_part(
    W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts
):
    """Part ``part`` of ``n_parts`` of a chunk, skip-gram with the negatives shared by a window: each
    centre with at least one context word draws ``negative`` noise words (a draw equal to the centre is
    dropped); every context word predicts the centre against them, scored with the output rows as the
    window found them, and its input row takes its step at once; the output rows then move by the sum
    of the window's steps. Returns the part's summed loss and pair count."""
    n, d = tokens.size, W_in.shape[1]
    lo, hi, span, ahead, state, grad = _slice(part, n, n_parts, d, negative, accept, alias, seed)
    rows = np.empty(negative + 1, dtype=np.int64)  # the centre's output row, then the kept negatives'
    steps = np.empty((negative + 1, d), dtype=np.float32)  # their summed steps over the window
    now = 0
    loss, count = 0.0, 0
    for i in range(lo, hi):
        centre, r = tokens[i], radii[i]
        first, last = max(i - r, 0), min(i + r + 1, n)
        if i + 1 < hi:
            prefetch_row(W_out, tokens[i + 1])
        pairs = 0
        for j in range(first, last):
            if j != i and docs[j] == docs[i]:
                pairs += 1
        if pairs == 0:
            continue
        lr = lr_first + (lr_last - lr_first) * (i - lo) / span
        state = _draw(ahead[1 - now], accept, alias, state)
        for k in range(negative):
            prefetch_row(W_out, ahead[1 - now, k])
        n_rows = 1
        rows[0] = centre
        for k in range(negative):
            if ahead[now, k] != centre:  # word2vec.c skips a negative equal to the word predicted
                rows[n_rows] = ahead[now, k]
                n_rows += 1
        now = 1 - now
        steps[:n_rows] = 0.0
        for j in range(first, last):
            if j == i or docs[j] != docs[i]:
                continue
            h = W_in[tokens[j]]
            for c in range(d):
                grad[c] = 0.0
            log_terms = 1.0  # the product of the (1 + e) factors: one log per pair
            for q in range(n_rows):
                o_row = W_out[rows[q]]
                linear, factor, g = _score(h, o_row, q == 0, lr)
                loss += linear
                log_terms *= factor
                step = steps[q]
                for c in range(d):
                    grad[c] += g * o_row[c]
                    step[c] += g * h[c]
            loss += math.log(log_terms)
            for c in range(d):
                h[c] += grad[c]
        for q in range(n_rows):
            o_row = W_out[rows[q]]
            step = steps[q]
            for c in range(d):
                o_row[c] += step[c]
        count += pairs
    return loss, count


# CBOW has a kernel of its own rather than a flag in _sgns_part: one kernel for both ran CBOW 4-8% and
# skip-gram 2% slower (wiki x5, one thread, 2-core VM, 2026-12-03).
@njit(cache=True, fastmath=True, nogil=True)
def _cbow_part(W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts):
    """Part ``part`` of ``n_parts`` of a chunk, CBOW; returns its summed loss and example count."""
    n, d = tokens.size, W_in.shape[1]
    lo, hi, span, ahead, state, grad = _slice(part, n, n_parts, d, negative, accept, alias, seed)
    h = np.empty(d, dtype=np.float32)
    now = 0
    loss, count = 0.0, 0
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
    return loss, count


# The parts run inside a prange loop, even one part at a time: numba compiles a prange body apart (as a
# gufunc), and the same body as a plain function ran 6-10% slower (one thread, 400k tokens, 2-core VM).
# The skip-gram / CBOW choice is made once per part, outside the loops over positions.
@njit(parallel=True, cache=True, fastmath=True, nogil=True)
def _parts(
    sg, shared, W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, lo, hi, n_parts,
    losses, counts,
):  # fmt: skip
    """Parts ``lo:hi`` of ``n_parts`` (skip-gram if ``sg``, its negatives shared by each window if
    ``shared``; else CBOW), their losses and pair (example) counts left in ``losses[part]``, ``counts[part]``."""
    for part in prange(lo, hi):
        if sg and shared:
            losses[part], counts[part] = _sgns_shared_part(
                W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts
            )
        elif sg:
            losses[part], counts[part] = _sgns_part(
                W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts
            )
        else:
            losses[part], counts[part] = _cbow_part(
                W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed, part, n_parts
            )


def sgns_chunk(
    W_in, W_out, tokens, docs, radii, sampler_table, negative: int, lr_first: float, lr_last: float, seed: int
) -> tuple[float, int]:
    """Train on a chunk's positions in corpus order, hogwild over ``numba.get_num_threads()`` threads.

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
    return _run(True, "sgns_chunk", W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed)


def sgns_shared_chunk(
    W_in, W_out, tokens, docs, radii, sampler_table, negative: int, lr_first: float, lr_last: float, seed: int
) -> tuple[float, int]:
    """:func:`sgns_chunk` with the negatives shared by each window (the ``shared`` kernel): one draw of
    ``negative`` noise words per centre word, the output rows moved once per window by the sum of its
    pairs' steps. Arguments and return value as :func:`sgns_chunk`."""
    return _run(
        True, "sgns_shared_chunk", W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed,
        shared=True,
    )  # fmt: skip


def cbow_chunk(
    W_in, W_out, tokens, docs, radii, sampler_table, negative: int, lr_first: float, lr_last: float, seed: int
) -> tuple[float, int]:
    """CBOW as word2vec.c trains it: each position's context words (its window, within its document)
    are averaged into one hidden vector that predicts the word against the negatives, and every
    context word's input row takes the whole step (not divided among them, as word2vec.c and gensim
    with ``cbow_mean=1``). Arguments as :func:`sgns_chunk`; returns the summed loss and the number of
    examples (positions with at least one context word)."""
    return _run(False, "cbow_chunk", W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed)


def _run(sg, name, W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed, shared=False):
    W_in, W_out = (weight_view(w) for w in (W_in, W_out))
    tokens, docs, radii = (index_array(a) for a in (tokens, docs, radii))
    accept, alias = np.ascontiguousarray(sampler_table[0], np.float64), index_array(sampler_table[1])
    if tokens.size and (tokens.min() < 0 or tokens.max() >= min(W_in.shape[0], W_out.shape[0])):
        raise ValueError(f"{name}: a token id lies outside the weight matrices.")
    threads = get_num_threads()
    n_parts = max(1, min(threads * PARTS_PER_THREAD if threads > 1 else 1, tokens.size))
    losses, counts = np.zeros(n_parts), np.zeros(n_parts, dtype=np.int64)
    seed64 = np.uint64(int(seed) % 2**64)
    run = partial(
        _parts, sg, shared, W_in, W_out, tokens, docs, radii, accept, alias, negative, lr_first, lr_last, seed64
    )
    if n_parts == 1 or not _layer_is_threadsafe():
        run(0, n_parts, n_parts, losses, counts)  # the parts on numba's threads, statically
    else:
        futures = [_pool(threads).submit(run, part, part + 1, n_parts, losses, counts) for part in range(n_parts)]
        try:
            for future in futures:
                future.result()
        except BaseException:  # an interrupt (or a part's error): the parts still running end before the caller goes on
            for future in futures:
                future.cancel()
            wait(futures)
            raise
    return float(losses.sum()), int(counts.sum())


def _layer_is_threadsafe() -> bool:
    """Whether numba's threading layer takes parallel calls from several threads at once (OpenMP and TBB do;
    its fallback, workqueue, stops the process). Known once a parallel kernel has run: until then, no."""
    import numba

    try:
        return numba.threading_layer() in ("omp", "tbb")
    except ValueError:
        return False


# The threads that run a chunk's parts: kept for the process (idle ones wait on a queue, without spinning),
# one pool per thread count. A forked child starts without them.
_POOLS: dict[int, ThreadPoolExecutor] = {}
os.register_at_fork(after_in_child=_POOLS.clear)


def _pool(threads: int) -> ThreadPoolExecutor:
    """``threads`` threads, each running one part at a time on one numba thread (numba's setting is per thread)."""
    pool = _POOLS.get(threads)
    if pool is None:
        pool = _POOLS[threads] = ThreadPoolExecutor(
            threads, thread_name_prefix="cooc-hogwild", initializer=set_num_threads, initargs=(1,)
        )
    return pool
