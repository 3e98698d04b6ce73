"""Counting on a Dask cluster: shards mapped to workers, partial sparse matrices summed in a tree.

How it works
------------
The corpus's shards are cut into parts of ``shards_per_task`` shards. One Dask task per
part counts it with the single-machine counter (:func:`~cooc.count.local.count_planes`:
the numba engine on CPU workers, the CUDA kernel on GPU workers) into *integer* forward
planes. Partial planes are summed pairwise-ish in a tree of ``fan_in``-way additions, and
the root goes through the very code that finishes a single-machine count
(symmetrise, weigh, wrap). The result equals :func:`~cooc.count.count_cooccurrences`
on one machine bit for bit, because

* shards end at document boundaries and pairs never cross documents, so the planes of
  disjoint parts add up to the planes of the corpus;
* the planes hold int64 sums (weights are integers over a common scale), and integer
  addition gives the same result in any order, whichever worker does it.

With ``out=`` the result never gathers on one machine: each part also splits its planes
into row blocks (symmetrised first: ``F + F^T`` is linear), every block is reduced in its
own tree and weighed and written by the worker holding it (:mod:`cooc.cooccurrence.blocked`), into a
staging folder beside ``out``; the client writes the metadata last and swaps the folder in by renames,
so an old output at ``out`` stays as it was until the new one is complete. Memory per worker: one part's planes plus the blocks
it is reducing; on the client: arrays of length V.

Failures
--------
Every task is a pure function of the corpus path, its shard list and the settings. When
a worker dies the scheduler recomputes what it lost (the parts it was counting and the
results it held) on the others; a task that raises (a transient read error) is retried
``retries`` times. Either way the final matrix is the same exact integer sum.

Where the corpus lives
----------------------
Workers open the corpus by its absolute path and check that its shard checksums match
the client's: on several machines put it on a shared filesystem mounted at the same
path. Start one Dask worker per machine with ``--nthreads 1`` (the counter uses the
machine's cores itself, ``workers`` threads per task) or one per GPU with ``dask-cuda``.
"""

from __future__ import annotations

import contextlib
import operator
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._core.device import DEVICES, parse_memory
from .._core.errors import ClusterError, InvalidParameterError
from .._core.io import provenance
from .._core.params import Interval, validate
from ..corpus.store import TokenCorpus
from ..corpus.vocab import check_savable
from . import cluster
from .cluster import address_of, bounded, check_scheduler, connect, probe_scheduler, scheduler_errors
from .parts import count_part, pick_block, sum_parts, write_block
from .result import build_result
from .settings import COUNT_CONSTRAINTS, check_countable, effective_vocab_size
from .windows import integer_weights

_OWN_CONSTRAINTS = {
    "shards_per_task": Interval(int, 1, None),
    "retries": Interval(int, 0, None),
    "fan_in": Interval(int, 2, None),
    "n_blocks": Interval(int, 1, None, allow_none=True),
}
TASK_PREFIX = "cooc-count-part"


def count_distributed(
    corpus: TokenCorpus | str | os.PathLike,
    scheduler: Any,
    *,
    window: int = 10,
    weighting: str = "harmonic",
    symmetric: bool = True,
    vocab_size: int | None = None,
    memory: str | int = "4GB",
    workers: int | None = None,
    device: str = "cpu",
    oov: str = "drop",
    directional: bool = False,
    per_offset: bool = False,
    progress: bool = True,
    spill_dir: str | os.PathLike | None = None,
    engine: str = "auto",
    out: str | os.PathLike | None = None,
    n_blocks: int | None = None,
    overwrite: bool = False,
    shards_per_task: int = 1,
    retries: int = 2,
    fan_in: int = 8,
) -> Any:
    """Count co-occurrences of ``corpus`` on a Dask cluster; the same matrix as one machine gives.

    Parameters
    ----------
    corpus : TokenCorpus or path
        Must be readable by every worker at the same absolute path.
    scheduler : str, dask.distributed.Client or cluster
        ``"tcp://host:8786"`` (any Dask address), a ``Client``, a cluster object
        (``LocalCluster``, ``LocalCUDACluster``), or ``"local"``, ``"local:N"`` (a
        ``LocalCluster`` of N worker processes started and stopped here), ``"local-cuda"``
        (a ``dask_cuda.LocalCUDACluster``, one worker per GPU).
    window, weighting, symmetric, vocab_size, oov, directional, per_offset, engine
        As for :func:`~cooc.count.count_cooccurrences`.
    memory : str or int
        Working-memory budget of each task on its worker.
    workers : int, optional
        CPU threads per task (default: all the worker's cores; on a local cluster, the
        machine's cores divided among its workers).
    device : {"cpu", "cuda", "auto"}
        Where workers count (``"cuda"``: each worker on its GPU).
    spill_dir : path, optional
        Where workers spill sorted runs (default: their temp folder).
    out : path, optional
        Write the result as CSR row blocks at ``out`` (see :mod:`cooc.cooccurrence.blocked`), reduced and
        written by the workers, and return it opened lazily; for matrices that do not fit
        on one machine. ``out`` must be on a filesystem shared with the workers.
    n_blocks : int, optional
        Row blocks for ``out`` (default: blocks of about 256 MB, from an upper estimate of
        the nonzeros).
    overwrite : bool
        Replace an existing ``out`` (flat or blocked). The new blocks are written into a hidden folder
        beside it, which replaces the old output by renames once the count is complete: until then the
        old output stays readable, and a count that fails or is interrupted leaves it as it was.
    shards_per_task : int
        Shards counted by one task (more: fewer partial matrices; fewer: finer recovery).
    retries : int
        Times a failing task is retried before the error reaches the caller.
    fan_in : int
        Partial matrices summed by one reduction task.

    Returns
    -------
    Cooccurrence, or BlockedCooccurrence with ``out``
        ``settings["count"]`` records the scheduler, the number of tasks and workers, the
        wall time and the summed worker time.
    """

    validate(
        dict(
            window=window,
            weighting=weighting,
            symmetric=symmetric,
            directional=directional,
            per_offset=per_offset,
            vocab_size=vocab_size,
            workers=workers,
            oov=oov,
            engine=engine,
        ),
        COUNT_CONSTRAINTS,
        "count_distributed",
    )
    validate(
        dict(shards_per_task=shards_per_task, retries=retries, fan_in=fan_in, n_blocks=n_blocks),
        _OWN_CONSTRAINTS,
        "count_distributed",
    )
    check_scheduler(scheduler)
    integer_weights(window, weighting)  # a window too long for its weighting is refused before any work
    parse_memory(memory)  # the workers read it: a bad value is refused here, not by every task in turn
    if device not in DEVICES:
        raise InvalidParameterError(f"parameter 'device' must be one of {DEVICES}, got {device!r}.")
    # Workers run in their own folders: every path they are given must be absolute.
    out = None if out is None else Path(out).resolve()
    if out is not None:  # refused before the corpus is read or a cluster started (checked again under the lock)
        from ..cooccurrence.blocked import check_blocked_output

        check_blocked_output(out, overwrite)
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus.open(corpus)
    check_countable(corpus, oov)
    V = effective_vocab_size(corpus, vocab_size)
    if out is not None:
        if V == 0:
            raise InvalidParameterError("a matrix with no words cannot be saved as row blocks; count it without out=.")
        check_savable(corpus.vocab.words[:V])
    spill_dir = None if spill_dir is None else Path(spill_dir).resolve()
    settings = dict(
        window=window,
        weighting=weighting,
        symmetric=symmetric and not directional,
        directional=directional or not symmetric,
        per_offset=per_offset,
        oov=oov,
        vocab_size=V,
    )
    client, close, threads = connect(scheduler)
    try:
        job = _Job(client, corpus, V, settings, retries, fan_in)
        options = dict(
            memory=memory,
            workers=workers or threads,
            device=device,
            oov=oov,
            engine=engine,
            spill_dir=None if spill_dir is None else str(spill_dir),
        )
        try:
            with scheduler_errors(address_of(client, scheduler)):
                if out is None:
                    return job.in_memory(shards_per_task, options, progress)
                return job.blocked(shards_per_task, options, progress, out, n_blocks, overwrite)
        except BaseException:
            job.cancel()
            raise
    finally:
        bounded(close, cluster.CONNECT_TIMEOUT)  # a stalled scheduler must not hang the way out either


# -- the job --------------------------------------------------------------------------------------
class _Job:
    """The task graph of one distributed count."""

    def __init__(self, client: Any, corpus: TokenCorpus, V: int, settings: dict[str, Any], retries: int, fan_in: int):
        self.client = client
        self.corpus = corpus
        self.V = V
        self.settings = settings
        self.retries = retries
        self.fan_in = fan_in
        self.tag = uuid.uuid4().hex[:10]
        self.started = time.perf_counter()
        self.address = address_of(client, None)
        self.submitted: list[Any] = []

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """``client.submit``, remembering the future so that a failed or interrupted count can cancel it."""
        future = self.client.submit(*args, **kwargs)
        self.submitted.append(future)
        return future

    def cancel(self) -> None:
        """Cancel every task of this count still queued (a failed or interrupted count must not go on using the
        cluster, nor write into a folder it no longer owns); bounded, as the scheduler may be gone."""
        futures, self.submitted = self.submitted, []
        if futures:
            bounded(lambda: self.client.cancel(futures), cluster.CONNECT_TIMEOUT)

    def _parts(self, shards_per_task: int) -> list[list[int]]:
        n = self.corpus.n_shards
        return [list(range(i, min(i + shards_per_task, n))) for i in range(0, n, shards_per_task)]

    def _map(self, shards_per_task: int, options: dict[str, Any], split: Any) -> tuple[list[Any], list[list[int]]]:
        corpus, s = self.corpus, self.settings
        path = str(corpus.path.resolve())
        parts = self._parts(shards_per_task)
        futures = []
        for i, shard_ids in enumerate(parts):
            expected = corpus.identity
            futures.append(
                self.submit(
                    count_part,
                    path,
                    shard_ids,
                    expected,
                    self.V,
                    s["window"],
                    s["weighting"],
                    s["per_offset"],
                    options,
                    corpus.n_tokens,
                    split,
                    key=f"{TASK_PREFIX}-{self.tag}-{i}",
                    retries=self.retries,
                    pure=False,
                )
            )
        return futures, parts

    def _tree(self, futures: list[Any], name: str) -> Any:
        level = 0
        while len(futures) > 1:
            groups = [futures[i : i + self.fan_in] for i in range(0, len(futures), self.fan_in)]
            futures = [
                g[0]
                if len(g) == 1
                else self.submit(
                    sum_parts, *g, key=f"cooc-count-sum-{self.tag}-{name}-{level}-{k}", retries=self.retries, pure=False
                )
                for k, g in enumerate(groups)
            ]
            level += 1
        return futures[0]

    def _watch(self, futures: list[Any], parts: list[list[int]], progress: bool) -> None:
        """Wait for the parts to be counted (showing progress), asking the scheduler every
        ``cluster.HEARTBEAT`` seconds whether it still answers: a stalled scheduler ends the wait."""
        from .._core.progress import ProgressBar

        tokens = {f.key: sum(self.corpus.manifest["shards"][k]["n_tokens"] for k in p) for f, p in zip(futures, parts)}
        bar = ProgressBar("counting on dask", total=self.corpus.n_tokens, unit="tokens", rates=("tokens",))
        with bar if progress else contextlib.nullcontext():
            self._wait(futures, lambda f: bar.update(tokens[f.key], tokens=tokens[f.key]) if progress else None)

    def _wait(self, futures: list[Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Wait until every future is done, checking between waits that the scheduler answers; the error of
        the first that failed is raised at once (the caller cancels the rest)."""
        import asyncio

        from distributed import wait

        pending = list(futures)
        while pending:
            try:
                done, not_done = wait(pending, timeout=cluster.HEARTBEAT, return_when="FIRST_COMPLETED")
            except (TimeoutError, asyncio.TimeoutError):
                try:
                    probe_scheduler(self.address, cluster.CONNECT_TIMEOUT)
                except ClusterError as exc:
                    raise ClusterError(
                        f"lost the Dask scheduler at {self.address} during the count ({exc}); nothing was written."
                    ) from None
                continue
            for f in done:
                if f.status != "finished":
                    f.result()  # a task failed for good (retries spent): its error now, not once every other is done
                if on_done is not None:
                    on_done(f)
            pending = list(not_done)

    def _stats(self, part_stats: dict[str, Any], n_tasks: int) -> dict[str, Any]:
        info = bounded(self.client.scheduler_info, cluster.CONNECT_TIMEOUT) or {}
        return {
            **part_stats,
            "seconds": round(time.perf_counter() - self.started, 3),
            "worker_seconds": round(part_stats["seconds"], 3),
            "tokens": self.corpus.n_tokens,
            "scheduler": info.get("address"),
            "dask_workers": len(info.get("workers", {})),
            "tasks": n_tasks,
        }

    def in_memory(self, shards_per_task: int, options: dict[str, Any], progress: bool) -> Any:

        futures, parts = self._map(shards_per_task, options, None)
        root = self._tree(futures, "all")
        self._watch(futures, parts, progress)
        self._wait([root])
        total = root.result()
        del futures, root
        self.submitted = []  # done: the workers may drop the parts
        s = self.settings
        ints, scale = integer_weights(s["window"], s["weighting"])
        return build_result(
            self.corpus,
            total["planes"],
            total["offsets"],
            self.V,
            ints,
            scale,
            dict(s),
            self._stats(total["stats"], len(parts)),
        )

    def blocked(
        self,
        shards_per_task: int,
        options: dict[str, Any],
        progress: bool,
        out: Any,
        n_blocks: int | None,
        overwrite: bool,
    ) -> Any:
        """Count into row blocks at ``out``, holding its lock. The blocks go into a staging folder beside
        ``out`` (:func:`~cooc.cooccurrence.blocked.staged_blocked_output`, as for ``save_blocked``) that
        replaces an old output only once it is complete: a failed or interrupted count leaves the old output
        as it was, and no staging folder."""
        from ..cooccurrence.blocked import BlockedCooccurrence, staged_blocked_output

        with staged_blocked_output(out, overwrite) as stage:
            try:
                self._blocked(shards_per_task, options, progress, stage, n_blocks)
            except BaseException:
                self.cancel()  # before the staging folder goes: no queued write may land in it afterwards
                raise
            return BlockedCooccurrence.open(out, verify=False)

    def _blocked(
        self,
        shards_per_task: int,
        options: dict[str, Any],
        progress: bool,
        stage: Any,
        n_blocks: int | None,
    ) -> None:
        from ..cooccurrence.blocked import BLOCK_BYTES, estimated_row_nnz, row_ranges

        s, V, corpus = self.settings, self.V, self.corpus
        estimate = estimated_row_nnz(corpus.vocab.counts[:V], s["window"], V)
        if n_blocks is None:
            n_blocks = max(1, int(np.ceil(estimate.sum() * 16 / BLOCK_BYTES)))
        bounds = row_ranges(estimate, n_blocks)
        folder = stage.folder
        futures, parts = self._map(shards_per_task, options, (bounds.tolist(), s["symmetric"]))
        ints, scale = integer_weights(s["window"], s["weighting"])
        stats = [
            self.submit(operator.itemgetter("stats"), f, key=f"cooc-count-stats-{self.tag}-{i}")
            for i, f in enumerate(futures)
        ]
        stats_root = self._tree(stats, "stats")
        first = self.submit(operator.itemgetter("offsets"), futures[0], key=f"cooc-count-offsets-{self.tag}")
        writes = []
        for b in range(len(bounds) - 1):
            leaves = [
                self.submit(pick_block, f, b, key=f"cooc-count-pick-{self.tag}-{b}-{i}") for i, f in enumerate(futures)
            ]
            root = self._tree(leaves, f"b{b}")
            writes.append(
                self.submit(
                    write_block,
                    str(folder),
                    b,
                    int(bounds[b]),
                    root,
                    ints,
                    scale,
                    s["weighting"],
                    first,
                    corpus.n_tokens,
                    s["per_offset"],
                    key=f"cooc-count-write-{self.tag}-{b}",
                    retries=self.retries,
                    pure=False,
                )
            )
        self._watch(futures, parts, progress)
        self._wait([*writes, stats_root, first])
        entries = self.client.gather(writes)
        part_stats = stats_root.result()
        offsets = first.result()
        del futures, writes
        self.submitted = []  # done: the workers may drop the parts
        settings = dict(s)
        settings["exact"] = not offsets or 2 * corpus.n_tokens * int(ints.sum()) < 2**62
        vocab = corpus.vocab.truncate(V) if V < len(corpus.vocab) else corpus.vocab
        settings.update(
            corpus=str(corpus.path),
            corpus_id=corpus.identity,
            corpus_created=corpus.manifest.get("created"),
            corpus_tokens=corpus.n_tokens,
            count=self._stats(part_stats, len(parts)),
        )
        settings["count"]["blocks"] = len(entries)
        prov = provenance(**{k: v for k, v in settings.items() if k != "count"})
        dtype = np.int64 if s["weighting"] == "uniform" else np.float64
        stage.commit(entries, vocab, vocab.counts[:V], settings, prov, dtype, s["window"] if s["per_offset"] else 0)


__all__ = ["count_distributed", "TASK_PREFIX"]
