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
own tree and weighed and written by the worker holding it (:mod:`cooc.cooccurrence.blocked`); the
client writes the metadata last. Memory per worker: one part's planes plus the blocks
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
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import (
    ClusterError,
    CorruptFileError,
    InputDataError,
    InvalidParameterError,
    MissingDependencyError,
)
from .._core.io import provenance
from .._core.locks import lock_output
from .._core.params import Interval, validate
from ..corpus.store import TokenCorpus
from .local import count_planes
from .result import build_result, weigh_planes
from .settings import COUNT_CONSTRAINTS, effective_vocab_size
from .windows import integer_weights

_OWN_CONSTRAINTS = {
    "shards_per_task": Interval(int, 1, None),
    "retries": Interval(int, 0, None),
    "fan_in": Interval(int, 2, None),
    "n_blocks": Interval(int, 1, None, allow_none=True),
}
TASK_PREFIX = "cooc-count-part"
#: Seconds to wait for a scheduler to answer when connecting (and when asked whether it is alive).
CONNECT_TIMEOUT = 30.0
#: Seconds between checks that the scheduler still answers while a count waits for its results.
HEARTBEAT = 10.0


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
        Replace an existing ``out``.
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
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus.open(corpus)
    V = effective_vocab_size(corpus, vocab_size)
    if corpus.n_tokens == 0:
        raise InputDataError(f"corpus {str(corpus.path)!r} holds no tokens; nothing to count.")
    # Workers run in their own folders: every path they are given must be absolute.
    out = None if out is None else Path(out).resolve()
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
        with _scheduler_errors(_address(client, scheduler)):
            if out is None:
                return job.in_memory(shards_per_task, options, progress)
            return job.blocked(shards_per_task, options, progress, out, n_blocks, overwrite)
    finally:
        _bounded(close, CONNECT_TIMEOUT)  # a stalled scheduler must not hang the way out either


def _bounded(call: Callable[[], Any], timeout: float) -> Any:
    """``call()`` (a request to the scheduler) given ``timeout`` seconds; None if it did not answer."""
    import threading

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # reported as no answer
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome.get("value")


def _address(client: Any, scheduler: Any) -> str:
    address = getattr(getattr(client, "scheduler", None), "address", None)
    return str(address or scheduler)


@contextlib.contextmanager
def _scheduler_errors(address: str) -> Iterator[None]:
    """Turn the ways a lost scheduler surfaces (cancelled futures, closed comms) into one :class:`ClusterError`."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError

    try:
        yield
    except (CancelledError, CommClosedError, ConnectionError, TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ClusterError(
            f"lost the Dask scheduler at {address} during the count ({reason}); nothing was written. "
            f"Check that the scheduler is running, then run the count again."
        ) from None


# -- connecting ---------------------------------------------------------------------------------
def connect(scheduler: Any) -> tuple[Any, Callable[[], None], int | None]:
    """A ``Client`` for ``scheduler``, a function closing what was opened here, and threads per task.

    See :func:`count_distributed` for the accepted values.
    """
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError("Dask counting needs dask.distributed: pip install 'dask[distributed]'") from None
    if isinstance(scheduler, Client):
        return scheduler, lambda: None, None
    if hasattr(scheduler, "scheduler_address"):  # a cluster object
        client = Client(scheduler)
        return client, client.close, None
    check_scheduler(scheduler)
    if scheduler.startswith("local"):
        cluster, threads = local_cluster(scheduler)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close, threads
    probe_scheduler(scheduler, CONNECT_TIMEOUT)
    try:
        client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT:g}s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}).") from None
    return client, client.close, None


def probe_scheduler(address: str, timeout: float = 30.0) -> None:
    """Ask the scheduler at ``address`` who it is, waiting at most ``timeout`` seconds in all.

    ``distributed.Client`` waits forever for a peer that accepts the connection and never
    answers (a wrong port, a stalled process); this asks once, in a thread of its own (it
    works from a notebook, whose thread runs an event loop), and gives up on time.

    Raises
    ------
    ClusterError
        No connection, or no answer within ``timeout``; the message names the address.
    """
    import asyncio
    import threading

    from distributed.comm import connect as open_comm

    outcome: dict[str, Any] = {}

    async def ask() -> None:
        comm = await open_comm(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            outcome["reply"] = await comm.read()
        finally:
            comm.abort()

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(ask(), timeout))
        except BaseException as exc:  # reported to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="cooc-scheduler-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    error = outcome.get("error")
    if "reply" in outcome:
        return
    if thread.is_alive() or isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        raise ClusterError(
            f"the Dask scheduler at {address!r} did not answer within {timeout:g} s (is it a Dask scheduler, and "
            f"is it running?)."
        )
    raise ClusterError(f"cannot reach the Dask scheduler at {address!r} ({' '.join(str(error).split())}).")


def check_scheduler(scheduler: Any) -> None:
    """Check the form of a scheduler given as a string (or a Client or cluster) without connecting.

    Raises
    ------
    InvalidParameterError
    """
    if hasattr(scheduler, "scheduler_address") or type(scheduler).__name__ == "Client":
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise InvalidParameterError(
            f"parameter 'scheduler' must be an address like 'tcp://host:8786', 'local', "
            f"'local:N', 'local-cuda', a Client or a cluster; got {scheduler!r}."
        )
    if scheduler.startswith("local"):
        name, _, count = scheduler.partition(":")
        if name not in ("local", "local-cuda") or (count and not count.isdigit()) or count == "0":
            raise InvalidParameterError(
                f"parameter 'scheduler' must be 'local', 'local:N', 'local-cuda' or "
                f"'local-cuda:N' (N >= 1) for a cluster on this machine; got {scheduler!r}."
            )


def local_cluster(spec: str = "local") -> tuple[Any, int | None]:
    """Start the cluster named by ``"local[:N]"`` or ``"local-cuda[:N]"``; return it and threads per task."""
    name, _, count = spec.partition(":")
    if name not in ("local", "local-cuda") or (count and not count.isdigit()) or count == "0":
        raise InvalidParameterError(
            f"parameter 'scheduler' must be 'local', 'local:N', 'local-cuda' or "
            f"'local-cuda:N' (N >= 1) for a cluster on this machine; got {spec!r}."
        )
    cores = os.cpu_count() or 1
    if name == "local-cuda":
        try:
            from dask_cuda import LocalCUDACluster
        except ImportError:
            raise MissingDependencyError("'local-cuda' needs dask-cuda: pip install dask-cuda") from None
        kwargs = {"n_workers": int(count)} if count else {}
        return LocalCUDACluster(threads_per_worker=1, dashboard_address=":0", **kwargs), None
    from distributed import LocalCluster

    n = int(count) if count else min(4, cores)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    return cluster, max(1, cores // n)


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
        self.address = _address(client, None)

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
                self.client.submit(
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
                else self.client.submit(
                    sum_parts, *g, key=f"cooc-count-sum-{self.tag}-{name}-{level}-{k}", retries=self.retries, pure=False
                )
                for k, g in enumerate(groups)
            ]
            level += 1
        return futures[0]

    def _watch(self, futures: list[Any], parts: list[list[int]], progress: bool) -> None:
        """Wait for the parts to be counted (showing progress), asking the scheduler every
        ``HEARTBEAT`` seconds whether it still answers: a stalled scheduler ends the wait."""
        from .._core.progress import ProgressBar

        tokens = {f.key: sum(self.corpus.manifest["shards"][k]["n_tokens"] for k in p) for f, p in zip(futures, parts)}
        bar = ProgressBar("counting on dask", total=self.corpus.n_tokens, unit="tokens", rates=("tokens",))
        with bar if progress else contextlib.nullcontext():
            self._wait(futures, lambda f: bar.update(tokens[f.key], tokens=tokens[f.key]) if progress else None)

    def _wait(self, futures: list[Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Wait until every future is done, checking between waits that the scheduler answers."""
        import asyncio

        from distributed import wait

        pending = list(futures)
        while pending:
            try:
                done, not_done = wait(pending, timeout=HEARTBEAT, return_when="FIRST_COMPLETED")
            except (TimeoutError, asyncio.TimeoutError):
                try:
                    probe_scheduler(self.address, CONNECT_TIMEOUT)
                except ClusterError as exc:
                    raise ClusterError(
                        f"lost the Dask scheduler at {self.address} during the count ({exc}); nothing was written."
                    ) from None
                continue
            for f in done:
                if on_done is not None:
                    on_done(f)
            pending = list(not_done)

    def _stats(self, part_stats: dict[str, Any], n_tasks: int) -> dict[str, Any]:
        info = _bounded(self.client.scheduler_info, CONNECT_TIMEOUT) or {}
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
        """Count into row blocks at ``out``, holding its lock; a failed count leaves no half-written folder."""
        from ..cooccurrence.blocked import output_base
        from ..cooccurrence.format import blocks_dir, file_paths

        with lock_output(output_base(out), "co-occurrence file"):
            try:
                return self._blocked(shards_per_task, options, progress, out, n_blocks, overwrite)
            except BaseException:
                if not file_paths(out)[1].exists():
                    shutil.rmtree(blocks_dir(out), ignore_errors=True)
                raise

    def _blocked(
        self,
        shards_per_task: int,
        options: dict[str, Any],
        progress: bool,
        out: Any,
        n_blocks: int | None,
        overwrite: bool,
    ) -> Any:
        from ..cooccurrence.blocked import (
            BLOCK_BYTES,
            BlockedCooccurrence,
            estimated_row_nnz,
            prepare_blocked_output,
            row_ranges,
            write_metadata,
        )

        s, V, corpus = self.settings, self.V, self.corpus
        estimate = estimated_row_nnz(corpus.vocab.counts[:V], s["window"], V)
        if n_blocks is None:
            n_blocks = max(1, int(np.ceil(estimate.sum() * 16 / BLOCK_BYTES)))
        bounds = row_ranges(estimate, n_blocks)
        folder = prepare_blocked_output(out, overwrite)
        futures, parts = self._map(shards_per_task, options, (bounds.tolist(), s["symmetric"]))
        ints, scale = integer_weights(s["window"], s["weighting"])
        stats = [
            self.client.submit(operator.itemgetter("stats"), f, key=f"cooc-count-stats-{self.tag}-{i}")
            for i, f in enumerate(futures)
        ]
        stats_root = self._tree(stats, "stats")
        first = self.client.submit(operator.itemgetter("offsets"), futures[0], key=f"cooc-count-offsets-{self.tag}")
        writes = []
        for b in range(len(bounds) - 1):
            leaves = [
                self.client.submit(pick_block, f, b, key=f"cooc-count-pick-{self.tag}-{b}-{i}")
                for i, f in enumerate(futures)
            ]
            root = self._tree(leaves, f"b{b}")
            writes.append(
                self.client.submit(
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
        write_metadata(
            out, entries, vocab, vocab.counts[:V], settings, prov, dtype, s["window"] if s["per_offset"] else 0
        )
        return BlockedCooccurrence.open(out, verify=False)


# -- tasks (run on the workers; module-level so they pickle by reference) -----------------------
_OPENED: dict[tuple[str, str], TokenCorpus] = {}


def open_part(path: str, shard_ids: list[int], expected: str | None) -> TokenCorpus:
    """The corpus at ``path`` restricted to ``shard_ids``, after checking that it is the client's
    corpus (``expected``: its identity, the checksum of its manifest) and verifying the part's shards."""
    import socket

    try:
        stamp = str(os.stat(os.path.join(path, "manifest.json")).st_mtime_ns)
    except OSError:
        stamp = ""
    corpus = _OPENED.get((path, stamp))
    if corpus is None:
        try:
            corpus = TokenCorpus.open(path, verify=False)  # the shards a task reads are verified below
        except CorruptFileError as exc:
            raise InputDataError(
                f"worker on {socket.gethostname()} cannot open the corpus ({exc}); workers read "
                f"it from its path, so on several machines it must be on a shared filesystem "
                f"mounted at the same path."
            ) from None
        _OPENED.clear()  # one corpus at a time: vocabularies can be large
        _OPENED[(path, stamp)] = corpus
    if expected is not None and corpus.identity != expected:
        raise InputDataError(
            f"worker on {socket.gethostname()} sees a different corpus at {path!r} than the client "
            f"(its manifest's checksum differs: rebuilt since, or another copy)."
        )
    entries = [corpus.manifest["shards"][k] for k in shard_ids]
    manifest = dict(
        corpus.manifest,
        shards=entries,
        n_tokens=sum(e["n_tokens"] for e in entries),
        n_docs=sum(e["n_docs"] for e in entries),
    )
    part = TokenCorpus(corpus.path, manifest, corpus.vocab, identity=corpus.identity)
    part.verify()  # the shards this task counts: a damaged file is an error here, never a crash or a wrong count
    return part


def count_part(
    path: str,
    shard_ids: list[int],
    expected: str | None,
    V: int,
    window: int,
    weighting: str,
    per_offset: bool,
    options: dict[str, Any],
    total_tokens: int,
    split: Any,
) -> dict[str, Any]:
    """Count some shards into integer forward planes (split into symmetrised row blocks when ``split``).

    Returns
    -------
    dict
        ``planes`` (list of CSR (V, V), int64) or ``blocks`` (one list of CSR (R_b, V) per
        block), ``offsets`` (whether planes are per offset) and ``stats``.
    """

    part = open_part(path, shard_ids, expected)
    symmetric = split is not None and split[1]  # blocks of F + F^T (sums of parts stay exact integers)
    planes, plan, stats = count_planes(
        part,
        V,
        window,
        weighting,
        per_offset,
        total_tokens=total_tokens,
        progress=False,
        symmetrize=symmetric,
        **options,
    )
    result: dict[str, Any] = {"offsets": bool(plan.per_offset), "stats": _summable(stats)}
    if split is None:
        result["planes"] = planes
        return result
    bounds = split[0]
    result["blocks"] = [[m[a:b] for m in planes] for a, b in zip(bounds[:-1], bounds[1:])]
    return result


def _summable(stats: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "seconds",
        "count_seconds",
        "centres",
        "spills",
        "spilled_bytes",
        "engine",
        "device",
        "threads",
        "head_cells",
        "chunk_tokens",
        "memory",
    )
    return {k: stats[k] for k in keep if k in stats}


def sum_parts(*parts: Any) -> Any:
    """Add partial results: dicts from :func:`count_part`, lists of planes, or stats dicts."""
    first = parts[0]
    if isinstance(first, list):  # one block: a list of planes
        return [reduce(operator.add, ms) for ms in zip(*parts)]
    if "planes" in first:
        return {
            "planes": [reduce(operator.add, ms) for ms in zip(*(p["planes"] for p in parts))],
            "offsets": first["offsets"],
            "stats": _merge_stats([p["stats"] for p in parts]),
        }
    return _merge_stats(list(parts))


def _merge_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(stats[0])
    for key in ("seconds", "count_seconds", "centres", "spills", "spilled_bytes"):
        out[key] = sum(s.get(key, 0) for s in stats)
    return out


def pick_block(part: dict[str, Any], index: int) -> list[sp.csr_matrix]:
    """The planes of row block ``index`` of a part."""
    return part["blocks"][index]


def write_block(
    folder: str,
    index: int,
    start: int,
    planes: list[sp.csr_matrix],
    ints: np.ndarray,
    scale: int,
    weighting: str,
    offsets: bool,
    total_tokens: int,
    per_offset: bool,
) -> dict[str, Any]:
    """Weigh a reduced row block exactly as the single-machine counter does, and write it."""
    from ..cooccurrence.blocked import save_block

    exact = not offsets or 2 * total_tokens * int(ints.sum()) < 2**62
    total, per = weigh_planes(planes, ints, scale, weighting, offsets, exact)
    return save_block(folder, index, start, total, per if per_offset else None)


__all__ = [
    "count_distributed",
    "connect",
    "check_scheduler",
    "probe_scheduler",
    "local_cluster",
    "count_part",
    "sum_parts",
    "TASK_PREFIX",
]
