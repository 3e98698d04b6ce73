"""The CPU counting kernel, compiled with numba.

One fused loop per thread generates the window pairs straight from a raw shard (skipping
out-of-vocabulary tokens and stopping at document ends as it scans), writing the pairs
outside the dense head to a tail buffer; no prepared copy of the tokens is materialised.
Head updates are buffered (up to 8M a thread, :func:`cooc.count.planning.plan_sizes`) and
added grouped by block of the head (a counting sort), because added in corpus order almost
every one lands on a row no cache holds: on the 2-core dev VM that took the kernel from about
35 to about 20 ns per pair on the Wikipedia sample (V 36k, window 10), with buffers of 1M;
buffers of 5M took it about a quarter lower again. Threads own disjoint sets of centre rows (balanced
by word frequency; a row too heavy for one thread is shared by column ranges,
:mod:`cooc.count.shares`), so head writes never collide and need no atomics: every thread
scans the chunk and skips centres it does not own.

The logic is the same as the vectorised path in :mod:`cooc.count.windows` and
:mod:`cooc.count.accumulate` (the tests compare them on random inputs).
"""

from __future__ import annotations

import numpy as np

from .._core.errors import CorruptFileError
from .._core.numba_cache import prepare_kernels
from .shares import Shares, share_rows

prepare_kernels()  # cached in the user cache directory; threads wait passively

try:
    from numba import njit, prange

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency; a broken install falls back to numpy
    _HAVE_NUMBA = False


PAIR_INT32_MAX = 2**31 - 1  # largest packed head update kept in int32 buffers (tests lower it)
BUCKET_SHIFT = 15  # head updates are grouped by cell >> BUCKET_SHIFT: 256 KiB of int64, within a core's L2 cache


def pair_dtype(cells: int, planes: int, window: int, per_offset: bool) -> type:
    """The narrowest integer type of the kernel's buffered head updates (``cell << tag_bits | tag``).

    int32 halves the buffers' memory traffic (about 10% of the kernel's time) wherever every
    packed update fits in it, which is any head of up to ``2**31 / 16`` cells at window 10.
    """
    tag_bits = 0 if per_offset else (window - 1).bit_length()
    return np.int32 if (planes * cells) << tag_bits <= PAIR_INT32_MAX else np.int64


def available() -> bool:
    """Whether the compiled kernels can be used (numba imports)."""
    return _HAVE_NUMBA


def balance_rows(weights: np.ndarray, n_threads: int) -> np.ndarray:
    """Assign each row to a thread so that the summed ``weights`` per thread are even (largest first).

    Returns
    -------
    ndarray of shape (V,), int32
        Owner thread of each row (:func:`cooc.count.shares.share_rows` with no row shared).
    """
    weights = np.asarray(weights, dtype=np.float64)
    return share_rows(weights, n_threads, np.zeros(weights.shape[0], dtype=bool)).owner


if _HAVE_NUMBA:

    @njit(nogil=True, cache=True)
    def _flush(pairs, grouped, n, bucket_count, tag_bits, group_shift, tag_weights, head):  # pragma: no cover
        """Add ``n`` buffered head updates, grouped by bucket first (a counting sort) so each group is cache-local."""
        total = 0
        for q in range(bucket_count.shape[0]):
            c = bucket_count[q]
            bucket_count[q] = total
            total += c
        for p in range(n):
            v = pairs[p]
            q = v >> group_shift
            o = bucket_count[q]
            grouped[o] = v
            bucket_count[q] = o + 1
        tag_mask = (np.int64(1) << tag_bits) - 1
        for p in range(n):
            v = grouped[p]
            head[v >> tag_bits] += tag_weights[v & tag_mask]
        bucket_count[:] = 0

    @njit(parallel=True, nogil=True, cache=True)
    def _count_kernel(
        tokens,
        offsets,
        vocab_size,
        drop,
        per_offset,
        weights,
        row_start,
        row_len,
        cells,
        head,
        owner,
        split,
        split_lo,
        split_hi,
        bucket_shift,
        tail,
        pairs,
        grouped,
        fill,
        resume,
        stop,
        bad,
    ):  # pragma: no cover - compiled
        """Count the pairs of the rows each thread owns, from ``resume`` up to ``stop``.

        A row shared among threads (``split[a] = k >= 0``, :mod:`cooc.count.shares`) is walked by
        every thread with a share, each adding the pairs whose context lies in its column range.

        ``per_offset``: one plane per offset with raw counts (head cell ``(j - 1) cells + ra + b``,
        tail key ``((j - 1) V + a) V + b``); otherwise one plane with weights applied (head cell
        ``ra + b`` gains ``weights[j - 1]``, tail key ``(a V + b) L + (j - 1)``).

        Head updates are not applied as they are found: each is buffered in ``pairs[t]`` as
        ``cell << tag_bits | tag``, and a full buffer is grouped by bucket ``cell >> bucket_shift``
        and added (:func:`_flush`), so the additions of one group stay within a cache-sized part
        of the head instead of hitting a cold row of it at almost every pair.

        Ids and offsets are bounds-checked as they are read: a negative id or an offset past
        the shard (a damaged file) sets ``bad[t]`` and stops the thread, instead of writing
        outside the head.
        """
        window = weights.shape[0]
        n = tokens.shape[0]
        n_off = offsets.shape[0]
        tag_bits = 0
        if not per_offset:
            while (1 << tag_bits) < window:
                tag_bits += 1
        tag_weights = np.ones(1, dtype=head.dtype) if per_offset else weights
        planes = window if per_offset else 1
        group_shift = tag_bits + bucket_shift
        n_buckets = ((planes * cells - 1) >> bucket_shift) + 1
        for t in prange(tail.shape[0]):
            buf = tail[t]
            mine, mine_grouped = pairs[t], grouped[t]
            cap = mine.shape[0]
            bucket_count = np.zeros(n_buckets, dtype=np.int64)
            h = 0
            f = fill[t]
            i = resume[t]
            d = np.searchsorted(offsets, i, side="right") - 1
            while i < stop:
                while d + 1 < n_off and offsets[d + 1] <= i:
                    d += 1
                if d < 0 or d + 1 >= n_off or offsets[d + 1] > n:
                    bad[t] = 1
                    break
                end = offsets[d + 1]
                # the next centre of this document that this thread may add (it owns or shares its row): a
                # tight scan, as a thread skips all but about 1/threads of the tokens
                seg_end = min(end, stop)
                a = -1
                while i < seg_end:
                    a = tokens[i]
                    if a < 0:
                        bad[t] = 1
                        break
                    if a < vocab_size:
                        o = owner[a]
                        if o == t or o < 0:
                            break
                    i += 1
                if bad[t]:
                    break
                if i >= seg_end:
                    continue
                o = owner[a]  # -1: a row shared by column ranges
                lo, hi = np.int64(0), np.int64(vocab_size)
                if o < 0 and split[a] >= 0:
                    lo, hi = split_lo[split[a], t], split_hi[split[a], t]
                elif o != t:
                    hi = lo  # another thread's row: nothing to add here
                if hi > lo:
                    if f + window > buf.shape[0]:
                        break
                    if h + window > cap:
                        _flush(mine, mine_grouped, h, bucket_count, tag_bits, group_shift, tag_weights, head)
                        h = 0
                    ra = row_start[a]
                    la = row_len[a]
                    j = 0
                    k = i + 1
                    while k < end:
                        b = tokens[k]
                        k += 1
                        if b < 0:
                            bad[t] = 1
                            break
                        if drop:
                            if b >= vocab_size:
                                continue
                            j += 1
                        else:
                            j = k - 1 - i
                        if j > window:
                            break
                        if b < lo or b >= hi:  # out of vocabulary (hi <= vocab_size), or another thread's share
                            continue
                        if b < la:
                            if per_offset:
                                cell = (j - 1) * cells + ra + b
                                mine[h] = cell
                            else:
                                cell = ra + b
                                mine[h] = (cell << tag_bits) | (j - 1)
                            bucket_count[cell >> bucket_shift] += 1
                            h += 1
                        elif per_offset:
                            buf[f] = ((j - 1) * vocab_size + a) * np.int64(vocab_size) + b
                            f += 1
                        else:
                            buf[f] = (np.int64(a) * vocab_size + b) * window + (j - 1)
                            f += 1
                    if bad[t]:
                        break
                i += 1
            _flush(mine, mine_grouped, h, bucket_count, tag_bits, group_shift, tag_weights, head)
            fill[t] = f
            resume[t] = i


def count_owned(
    tokens,
    offsets,
    vocab_size,
    drop,
    per_offset,
    weights,
    row_start,
    row_len,
    cells,
    head,
    owner,
    tail,
    pairs,
    grouped,
    fill,
    resume,
    stop,
) -> None:
    """Add the pairs of the centres at positions ``resume[t] .. stop - 1`` of a shard owned by thread ``t``.

    Works on the raw shard: out-of-vocabulary tokens (ids ``>= vocab_size``) are skipped
    while a window is scanned (``drop``: windows bridge them, as if removed first) or
    keep their position (gap), and a window ends at its document's end (``offsets``),
    so no preparation pass is needed and a shard can be cut anywhere. A thread stops
    early when its tail buffer (row ``t`` of ``tail``) cannot take another window; it
    leaves its position in ``resume[t]`` and its buffer length in ``fill[t]``. The
    caller drains the buffers and calls again until every ``resume[t] == stop``.
    Head updates go through row ``t`` of ``pairs`` (at least one window long), grouped by
    blocks of ``2**BUCKET_SHIFT`` head cells before they are added.

    Raises
    ------
    CorruptFileError
        A negative id or an offset outside the shard (the kernel checks every one it reads).

    Parameters
    ----------
    tokens : ndarray of shape (n,), int32
        The whole shard (contexts may lie past ``stop``).
    offsets : ndarray of shape (d + 1,), int64
        Document offsets of the shard.
    owner : Shares or ndarray of shape (V,), int32
        Which thread adds which pairs (:func:`cooc.count.shares.share_rows`), or each row's thread.
    pairs, grouped : ndarray of shape (threads, m), int32 or int64 (:func:`pair_dtype`)
        Each thread's buffer of head updates (``m >= window``) and its grouped copy.
    """
    shares = owner if isinstance(owner, Shares) else Shares.unshared(owner, tail.shape[0])
    bad = np.zeros(tail.shape[0], dtype=np.int8)
    _count_kernel(
        tokens,
        offsets,
        vocab_size,
        drop,
        per_offset,
        weights,
        row_start,
        row_len,
        cells,
        head,
        shares.owner,
        shares.split,
        shares.lo,
        shares.hi,
        BUCKET_SHIFT,
        tail,
        pairs,
        grouped,
        fill,
        resume,
        stop,
        bad,
    )
    if bad.any():
        raise CorruptFileError(
            "a corpus shard holds a negative token id or document offsets outside the shard: it is damaged "
            "(open the corpus with verify=True to find which file)."
        )


# -- host-side assembly: the same results as the numpy versions in accumulate.py, in one pass ----------

if _HAVE_NUMBA:

    @njit(cache=True, nogil=True)
    def reduce_sorted_tagged(s, n_tags, tag_values):  # pragma: no cover - compiled
        """Sorted tagged keys -> unique cell keys and summed tag values (see ``accumulate.reduce_tagged``)."""
        n = s.shape[0]
        keys = np.empty(n, dtype=np.int64)
        values = np.empty(n, dtype=np.int64)
        k = -1
        prev = -1
        for i in range(n):
            cell = s[i] // n_tags
            v = tag_values[s[i] - cell * n_tags]
            if cell != prev:
                k += 1
                keys[k] = cell
                values[k] = v
                prev = cell
            else:
                values[k] += v
        return keys[: k + 1].copy(), values[: k + 1].copy()

    @njit(cache=True, nogil=True)
    def reduce_sorted_tagged_into(s, n_tags, tag_values, values):  # pragma: no cover - compiled
        """:func:`reduce_sorted_tagged` in place: unique cell keys into ``s[:k]``, their sums into ``values[:k]``; k."""
        k = -1
        prev = -1
        for i in range(s.shape[0]):
            cell = s[i] // n_tags
            v = tag_values[s[i] - cell * n_tags]
            if cell != prev:
                k += 1
                s[k] = cell  # k <= i: the entry was already read
                values[k] = v
                prev = cell
            else:
                values[k] += v
        return k + 1

    @njit(parallel=True, cache=True)
    def head_nonzeros(head, row_start, row_len, cells, planes, vocab_size):  # pragma: no cover - compiled
        """The nonzero head cells as sorted (cell key, value), rows scanned in parallel."""
        V = row_len.shape[0]
        counts = np.zeros(planes * V + 1, dtype=np.int64)
        for r in prange(planes * V):
            p, a = r // V, r % V
            base = p * cells + row_start[a]
            c = 0
            for b in range(row_len[a]):
                if head[base + b] != 0:
                    c += 1
            counts[r + 1] = c
        for r in range(planes * V):
            counts[r + 1] += counts[r]
        keys = np.empty(counts[-1], dtype=np.int64)
        values = np.empty(counts[-1], dtype=np.int64)
        for r in prange(planes * V):
            p, a = r // V, r % V
            base = p * cells + row_start[a]
            o = counts[r]
            for b in range(row_len[a]):
                v = head[base + b]
                if v != 0:
                    keys[o] = (p * np.int64(vocab_size) + a) * vocab_size + b
                    values[o] = v
                    o += 1
        return keys, values

    @njit(cache=True, nogil=True)
    def merge_two(keys_a, values_a, keys_b, values_b):  # pragma: no cover - compiled
        """Merge two sorted runs with unique keys into one, adding the values of a key both hold.

        Two runs at a time, with no copy of the inputs: on the dev VM a tree of these merges took
        55 runs of 63M entries in about half the time of 16-way merges of concatenated runs. Keys both
        runs hold leave room unused at the end of the buffers; the results are views of them.
        """
        na, nb = keys_a.shape[0], keys_b.shape[0]
        keys = np.empty(na + nb, dtype=np.int64)
        values = np.empty(na + nb, dtype=np.int64)
        i = j = o = 0
        while i < na and j < nb:
            x, y = keys_a[i], keys_b[j]
            if x < y:
                keys[o], values[o] = x, values_a[i]
                i += 1
            elif y < x:
                keys[o], values[o] = y, values_b[j]
                j += 1
            else:
                keys[o], values[o] = x, values_a[i] + values_b[j]
                i += 1
                j += 1
            o += 1
        while i < na:
            keys[o], values[o] = keys_a[i], values_a[i]
            i += 1
            o += 1
        while j < nb:
            keys[o], values[o] = keys_b[j], values_b[j]
            j += 1
            o += 1
        return keys[:o], values[:o]  # views: the caller trims the last merge's spare room (merge_runs)
