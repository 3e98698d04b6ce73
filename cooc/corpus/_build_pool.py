"""The processes of a corpus build: ``W`` workers = the main process and ``W - 1`` helpers.

:class:`Helpers` holds one process pool for both passes of
:func:`cooc.corpus.build.build_corpus`. :func:`encoded` turns a source into batches (blocks
of raw UTF-8 lines when the source has them, else lists of raw items tagged with the
source's resume token), has them tokenised by the helpers, and by the main process when
it would otherwise wait, and yields the results in source order with a bounded number in
flight. :func:`remap_shards` rewrites the raw shards with the final ids: the helpers start
from the first while the main process writes the vocabulary, which then takes shards from the last.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._core.io import load_npy
from .._core.signals import die_with_parent
from ._tokenize_fast import gather
from .sources import Source
from .sources.base import FileSpan
from .store import write_shard
from .tokenize import StreamEncoder, Tokenizer

_WORKER: dict[str, Any] = {}


def _init_worker(settings: dict[str, Any], prepare: Callable[[Any], str]) -> None:
    # New types come back packed (bytes back to back, and lengths) for the main's TypeTable.
    _WORKER["encoder"] = StreamEncoder(Tokenizer.from_settings(settings), packed=True)
    _WORKER["prepare"] = prepare


def _init_helper(parent: int, settings: dict[str, Any], prepare: Callable[[Any], str]) -> None:
    """A helper process: ends with the build that started it (a killed build leaves no orphan)."""
    die_with_parent(parent)
    _init_worker(settings, prepare)


def _encode_batch(
    batch: list[Any] | bytes | FileSpan,
) -> tuple[int, tuple[bytes, np.ndarray], np.ndarray, np.ndarray, int, tuple[int, int]]:
    """Prepare and tokenise a batch in a worker: raw items, or a block of UTF-8 lines (given, or read
    here from a span of a file).

    Returns the worker's pid, the types this worker sees for the first time (their bytes back
    to back, and their lengths), the ids of the tokens in the worker's own numbering, per-item
    lengths (-1 = dropped), how many lines held bytes that are not UTF-8 (blocks only), and
    how many words with letters outside ASCII this batch transliterated and dropped.
    """
    encoder = _WORKER["encoder"]
    before = encoder.transliterated, encoder.dropped
    if isinstance(batch, FileSpan):
        batch = batch.read()
    if isinstance(batch, bytes):
        types, ids, lengths, bad = encoder.encode_lines(batch)
    else:
        prepare = _WORKER["prepare"]
        types, ids, lengths = encoder.encode([prepare(raw) or "" for raw in batch])
        bad = 0
    letters = (encoder.transliterated - before[0], encoder.dropped - before[1])
    return os.getpid(), types, ids, lengths, bad, letters


def _batches(items: Iterable[Any], batch_chars: int, max_items: int = 4096) -> Iterator[list[Any]]:
    batch: list[Any] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item) if isinstance(item, str) else 1
        if size >= batch_chars or len(batch) >= max_items:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class Helpers:
    """The ``W - 1`` helper processes of a build with ``W`` workers; the main process is the W-th.

    One pool serves both passes: tokenising batches, then remapping shards.
    """

    def __init__(self, workers: int, tokenizer: Tokenizer, source: Source):
        self.workers = workers
        self.init = (tokenizer.settings(), type(source).prepare)
        self.pool: ProcessPoolExecutor | None = None
        # Where the main process's time went in the last tokenising pass (seconds), see encoded().
        self.stats: dict[str, float] = {}

    def __enter__(self) -> Helpers:
        _init_worker(*self.init)  # the main process tokenises too
        if self.workers > 1:
            # fork: cheap, and works when the caller is a notebook or a script read from stdin.
            # A worker that dies raises BrokenProcessPool instead of hanging the build.
            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            if ctx.get_start_method() == "fork":
                # Load the compiled code once here: forked helpers inherit it instead of each
                # reading numba's cache again (about a second of CPU per process).
                encoder = _WORKER["encoder"]
                encoder.encode(["warm up 1,5 it's"])
                encoder.encode_lines(b"warm up\n\xff\n")
                _init_worker(*self.init)
                gather(np.zeros(1, np.int32), np.zeros(1, np.int32), np.zeros(1, np.int64))
            self.pool = ProcessPoolExecutor(
                self.workers - 1, mp_context=ctx, initializer=_init_helper, initargs=(os.getpid(), *self.init)
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def encoded(
    source: Source, helpers: Helpers, batch_chars: int, skip: int, max_docs: int | None, resume: dict[str, Any] | None
) -> Iterator[tuple[int, tuple[str | None, dict[str, Any] | None], tuple]]:
    """``(items in the batch, (file name of a block, resume point after the batch), what the
    worker returned)``, in order."""
    limit = None if max_docs is None else max(max_docs - skip, 0)
    blocks = source.line_blocks(skip, limit, batch_chars)
    if blocks is not None:
        batches: Iterator[tuple[tuple[str | None, Any], Any]] = (((label, None), block) for label, block in blocks)
    else:
        raw, source_state = source.iter_raw_resumable(skip, resume)
        if limit is not None:
            raw = (item for _, item in zip(range(limit), raw))
        batches = _with_resume_points(_batches(raw, batch_chars), skip, source_state)
    pool = helpers.pool
    started = time.perf_counter()
    if pool is None:
        local_seconds, n_tokens = 0.0, 0
        for n_batches, (tag, batch) in enumerate(batches, 1):
            t0 = time.perf_counter()
            result = _encode_batch(batch)
            local_seconds += time.perf_counter() - t0
            n_tokens += result[2].size
            yield result[3].size, tag, result
            helpers.stats = _stats(started, n_batches, n_batches, n_tokens, local_seconds, 0.0)
        return
    # The main process routes every batch (numbers types, gathers ids, writes raw shards). When
    # every helper has two batches queued and the oldest batch is not back yet, it tokenises the
    # next batch itself rather than wait: it takes a share only when it has time to spare, which
    # balances the work whatever the number of workers (at 16 it is busy routing).
    workers = helpers.workers
    queued = 2 * (workers - 1)
    in_flight = 4 * workers  # batches read and not yet handed on, at most
    pending: deque = deque()  # (tag, future or finished result), in source order
    in_pool = n_batches = n_local = n_tokens = 0
    local_seconds = wait_seconds = 0.0

    def head() -> tuple[int, Any, tuple]:
        nonlocal in_pool, wait_seconds, n_tokens
        tag, job = pending.popleft()
        if isinstance(job, tuple):
            result = job
        else:
            t0 = time.perf_counter()
            result, in_pool = job.result(), in_pool - 1
            wait_seconds += time.perf_counter() - t0
        n_tokens += result[2].size
        helpers.stats = _stats(started, n_batches, n_local, n_tokens, local_seconds, wait_seconds)
        return result[3].size, tag, result

    for tag, batch in batches:
        n_batches += 1
        while pending and (isinstance(pending[0][1], tuple) or pending[0][1].done()):
            yield head()
        if in_pool >= queued and len(pending) < in_flight:
            t0 = time.perf_counter()
            pending.append((tag, _encode_batch(batch)))
            local_seconds += time.perf_counter() - t0
            n_local += 1
            continue
        while in_pool >= queued:
            yield head()
        pending.append((tag, pool.submit(_encode_batch, batch)))
        in_pool += 1
    while pending:
        yield head()
    helpers.stats = _stats(started, n_batches, n_local, n_tokens, local_seconds, wait_seconds)


def _stats(started: float, batches: int, local: int, tokens: int, local_s: float, wait_s: float) -> dict[str, float]:
    """The main process's time so far: tokenising its share of the batches, waiting for the helpers,
    and routing (everything else: reading the source, numbering types, gathering ids, writing shards)."""
    elapsed = time.perf_counter() - started
    return {
        "batches": batches,
        "local_batches": local,
        "tokens": tokens,
        "elapsed_s": elapsed,
        "tokenising_s": local_s,
        "waiting_s": wait_s,
        "routing_s": max(elapsed - local_s - wait_s, 0.0),
    }


def _with_resume_points(
    batches: Iterator[list[Any]], skip: int, source_state: Callable[[], Any]
) -> Iterator[tuple[tuple[None, dict[str, Any] | None], list[Any]]]:
    """Tag each batch with the source's resume token taken right after its last item."""
    items = skip
    for batch in batches:
        items += len(batch)
        token = source_state()
        yield (None, None if token is None else {"items": items, "state": token}), batch


def _remap_shard(out: str, build: str, oov_id: int, drop: bool, k: int) -> dict[str, Any]:
    """Raw shard ``k`` with final ids, written (with its checksums) as shard ``k`` of the corpus."""
    build_dir = Path(build)
    remap = load_npy(build_dir / "remap.npy", mmap=True, what="id remap")
    raw = load_npy(build_dir / f"raw-{k:05d}.npy", mmap=True, what="raw shard")
    offsets = load_npy(build_dir / f"raw-{k:05d}.docs.npy", what="raw shard offsets")
    tokens = np.asarray(remap)[raw]
    if drop:
        keep = tokens != oov_id
        cum = np.concatenate([[0], np.cumsum(keep)])
        tokens, offsets = tokens[keep], cum[offsets]
    return write_shard(Path(out), k, tokens, offsets)


def remap_shards(
    helpers: Helpers, args: tuple[str, str, int, bool], n_shards: int, meanwhile: Callable[[], None] = lambda: None
) -> Iterator[dict[str, Any]]:
    """Every shard's manifest entry, in order. The helpers take the shards from the first while the
    main process runs ``meanwhile`` (the vocabulary's decoding and writing); then it takes shards
    from the last, until it meets one a helper has started (the pool starts them in order).

    Taking them in order instead left the main process idle: it waited for shard k, and by then
    the pool had started k + 1 (a pool keeps one call queued beyond its workers).
    """
    pool = helpers.pool
    futures = {} if pool is None else {k: pool.submit(_remap_shard, *args, k) for k in range(n_shards)}
    meanwhile()
    mine: dict[int, dict[str, Any]] = {}
    for k in reversed(range(n_shards)):
        future = futures.get(k)
        if future is not None and not future.cancel():
            break  # started by a helper, and so is every shard before it
        mine[k] = _remap_shard(*args, k)
    for k in range(n_shards):
        yield mine.pop(k) if k in mine else futures[k].result()


__all__ = ["Helpers", "encoded", "remap_shards"]
