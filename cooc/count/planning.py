"""Sizing: how a memory budget is split between the dense head, the runs and the chunks.

The budget covers the counter's working memory on the counting device (host RAM on the
CPU, GPU memory on CUDA): the head, the chunk being counted with its temporaries and the
tail runs held before spilling. It does not cover the returned matrix, whose size is
set by the corpus, nor memory-mapped shards (page cache): assembling the result (merging
the runs, symmetrising, weighting) needs about two to three times the result's size on
top of the budget (measured; ``tests/count/test_counter.py`` checks at most three).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._core.errors import InvalidParameterError
from .._core.io import human_bytes
from .accumulate import HeadLayout

HEAD_SHARE, RUNS_SHARE, CHUNK_SHARE = 0.5, 0.25, 0.25
MIN_CHUNK_TOKENS = 4096
PREP_BYTES_PER_TOKEN = 96  # raw copy, labels, compaction, window limits (measured peak ~80)
TAIL_BYTES_PER_ENTRY = 48  # tail buffer + concatenate + sort + reduce temporaries
PAIR_BYTES = 16  # a numba thread's buffered head update and its grouped copy
# Longest head-update buffer a numba thread gets. Longer buffers add faster: on the 2-core dev VM the kernel
# took 0.87-1.10 s with 5M updates a flush against 1.16-1.58 s with 1M (wiki x40, V 36k, 2 threads,
# alternating processes; benchmarks/RESULTS.md 2026-12-04).
PAIR_BATCH_MAX = 1 << 23


@dataclass
class Sizes:
    """Byte and element counts derived from a budget.

    Attributes
    ----------
    layout : HeadLayout
    chunk_tokens : int
    tail_batch : int
        Tail entries buffered per thread before a sort.
    runs_budget : int
        Bytes of sorted runs kept in memory before spilling.
    pair_batch : int
        Head updates a thread of the compiled engine buffers and groups before adding them:
        as many as its tail entries, more where the chunk share has bytes to spare, and
        :data:`PAIR_BATCH_MAX` at most.
    """

    layout: HeadLayout
    chunk_tokens: int
    tail_batch: int
    runs_budget: int
    pair_batch: int = 0


def fixed_bytes(vocab_size: int) -> int:
    """Per-word arrays (head layout, owners, marginals) and a small allowance."""
    return 40 * vocab_size + (1 << 16)


def bytes_per_token(window: int, engine: str, threads: int) -> float:
    """Working bytes per chunk token for an engine (pairs are materialised by the vectorised one)."""
    if engine == "vectorized":
        return PREP_BYTES_PER_TOKEN + window * (40 + TAIL_BYTES_PER_ENTRY)
    # fused kernels buffer at most one window of tail entries per centre; the numba kernel
    # reads the memory-mapped shard itself, the CUDA one needs the prepared chunk
    if engine == "numba":  # plus its buffered head updates (at most as many as its tail entries)
        return window * (TAIL_BYTES_PER_ENTRY + PAIR_BYTES) / 4
    return PREP_BYTES_PER_TOKEN + window * TAIL_BYTES_PER_ENTRY / 4


def plan_sizes(
    budget: int,
    vocab_size: int,
    window: int,
    planes: int,
    engine: str,
    threads: int = 1,
    max_chunk_tokens: int = 1 << 22,
    max_head_cells: int | None = None,
    full_head_if_it_fits: bool = False,
) -> Sizes:
    """Split ``budget`` bytes; raise :class:`InvalidParameterError` naming the smallest budget that works.

    With ``full_head_if_it_fits`` the head holds all ``V x V`` cells whenever they fit in the budget
    beside a chunk as large as the shares would give it: nothing then reaches the tail, so the runs'
    share is not needed (on the GPU a partial head's tail runs cost several times the counting to
    merge; the CPU caps its head instead, see ``max_head_cells``).
    """
    per_token = bytes_per_token(window, engine, threads)
    fixed = fixed_bytes(vocab_size)
    smallest = fixed + (MIN_CHUNK_TOKENS * per_token) / CHUNK_SHARE
    if budget < smallest:
        raise InvalidParameterError(
            f"memory budget {human_bytes(budget)} is too small to count even one chunk of "
            f"{MIN_CHUNK_TOKENS} tokens with window {window} and V={vocab_size}; the smallest that works "
            f"is {human_bytes(_round_up(smallest))}."
        )
    free = budget - fixed
    head_cells = int(free * HEAD_SHARE) // (8 * planes)
    if max_head_cells is not None:
        head_cells = min(head_cells, max_head_cells)
    full_bytes = vocab_size * vocab_size * planes * 8
    wanted_chunk = min(max_chunk_tokens * per_token, free * CHUNK_SHARE)
    if full_head_if_it_fits and head_cells < vocab_size * vocab_size and free - full_bytes >= wanted_chunk:
        layout = HeadLayout.fit(vocab_size, vocab_size * vocab_size)
        chunk_budget = float(free - full_bytes)  # the runs' share and the rest: no tail entry ever comes
        runs_share = None  # what the chunk leaves
    else:
        layout = HeadLayout.fit(vocab_size, head_cells)
        unused_head = max(0.0, free * HEAD_SHARE - layout.cells * planes * 8)
        chunk_budget = free * CHUNK_SHARE + unused_head / 2
        runs_share = free * RUNS_SHARE + unused_head / 2
    chunk_tokens = int(max(MIN_CHUNK_TOKENS, min(max_chunk_tokens, chunk_budget // per_token)))
    runs_budget = int(chunk_budget - chunk_tokens * per_token if runs_share is None else runs_share)
    tail_batch = int(max(window, chunk_tokens * window // (4 * max(threads, 1))))
    pair_batch = tail_batch
    if engine == "numba":
        # the per-token bytes hold head-update buffers as long as the tail's; what the chunk share leaves
        # over makes them longer, up to a chunk's pairs a thread: fewer flushes, denser groups, faster adds
        spare = max(0.0, chunk_budget - chunk_tokens * per_token)
        longer = tail_batch + int(spare) // (max(threads, 1) * PAIR_BYTES)
        pair_batch = min(PAIR_BATCH_MAX, max(tail_batch, min(longer, chunk_tokens * window // max(threads, 1))))
    return Sizes(layout, chunk_tokens, tail_batch, runs_budget, pair_batch)


def _round_up(n: float) -> int:
    """Round up to two significant digits, so the number printed is one that works."""
    n = int(n) + 1
    digits = len(str(n)) - 2
    step = 10 ** max(digits, 0)
    return -(-n // step) * step
