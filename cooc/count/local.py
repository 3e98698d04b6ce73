"""Counting on one machine: stream a TokenCorpus chunk by chunk through an engine into integer planes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.device import get_xp, parse_memory, resolve_device, to_numpy
from .._core.errors import InvalidParameterError, MissingDependencyError
from .._core.logs import log
from .._core.numba_cache import compile_timer
from .._core.threads import thread_limit
from ..corpus.store import TokenCorpus
from . import _numba, assemble, assemble_merged, head_csr
from .accumulate import RunStore
from .engines import NumbaEngine, Plan, VectorizedEngine
from .host_csr import plus_transpose, ranges_to_csr
from .planning import plan_sizes
from .profile import CountProfile
from .result import weigh_planes
from .windows import integer_weights, prepare_chunk

ENGINES = ("auto", "numba", "vectorized", "kernel")


def count_planes(
    corpus: TokenCorpus,
    vocab_size: int,
    window: int,
    weighting: str,
    per_offset: bool,
    *,
    memory: str | int = "4GB",
    workers: int | None = None,
    device: str = "cpu",
    oov: str = "drop",
    progress: bool = False,
    spill_dir: str | os.PathLike | None = None,
    engine: str = "auto",
    total_tokens: int | None = None,
    symmetrize: bool = False,
    weighted: bool = False,
) -> tuple[list[sp.csr_matrix], Plan, dict[str, Any]]:
    """Count ``corpus`` into raw integer forward planes (before symmetrising and weighting, unless asked).

    The building block of :func:`count_cooccurrences` and of the Dask counter, which
    calls it on a few shards at a time (forward planes of disjoint shards add up exactly).

    Parameters
    ----------
    vocab_size : int
        V, already checked against the corpus.
    total_tokens : int, optional
        Tokens of the whole corpus when ``corpus`` is a part of it: decides, the same way
        for every part, whether weighted sums could overflow int64 (then one plane per offset).
    symmetrize : bool
        Return ``F + F^T`` instead of ``F`` (on the GPU formed on the device).
    weighted : bool
        When the plan has one plane (``not plan.per_offset``), return the finished total:
        the weights divided out as by :func:`weigh_planes` (float64 unless uniform), on the
        device when counting ran there. Per-offset planes stay raw. The Dask counter, which
        adds up the raw planes of its parts, leaves it False.

    Returns
    -------
    planes : list of scipy.sparse.csr_matrix of shape (V, V)
        ``F`` with integer weights applied (one int64 plane; weighted as above when
        ``weighted``), or one raw int64 plane per offset.
    plan : Plan
    stats : dict
        Includes ``assembly`` (where the result was put together: ``"device: dense head"``,
        ``"device: head + runs"``, ``"host: head + tail"`` for a host head, or ``"host"`` for a device head
        merged on the host), ``stages`` (seconds per assembly stage) and ``downloaded_bytes``
        (what a device assembly copied to the host; 0 on the host paths).
    """
    V = vocab_size
    budget = parse_memory(memory)
    device = resolve_device(device)
    if device == "cuda":
        budget = _fit_device_budget(budget)
    engine = _choose_engine(engine, device)
    with thread_limit(workers if engine == "numba" else 1) as threads:
        return _count_planes(
            corpus,
            V,
            window,
            weighting,
            per_offset,
            budget,
            device,
            engine,
            threads,
            oov,
            progress,
            spill_dir,
            total_tokens,
            symmetrize,
            weighted,
        )


def _count_planes(
    corpus: TokenCorpus,
    V: int,
    window: int,
    weighting: str,
    per_offset: bool,
    budget: int,
    device: str,
    engine: str,
    threads: int,
    oov: str,
    progress: bool,
    spill_dir: str | os.PathLike | None,
    total_tokens: int | None,
    symmetrize: bool,
    weighted: bool,
) -> tuple[list[sp.csr_matrix], Plan, dict[str, Any]]:
    """count_planes once the device, engine and threads are settled (numba runs with ``threads``)."""
    ints, scale = integer_weights(window, weighting)
    total_tokens = corpus.n_tokens if total_tokens is None else total_tokens
    # Weighted sums stay exact in int64 unless the corpus is astronomically large for this
    # scale; then count per offset (raw int64) and weight at the end in a fixed order.
    planes_needed = per_offset or 2 * total_tokens * int(ints.sum()) >= 2**62
    if (window if planes_needed else 1) * V * V * (1 if planes_needed else window) >= 2**63:
        raise InvalidParameterError(
            f"vocab_size={V} with window {window} makes cell keys overflow int64; count a smaller vocabulary."
        )
    xp = get_xp(device)
    sizes = plan_sizes(
        budget,
        V,
        window,
        window if planes_needed else 1,
        engine,
        threads,
        max_chunk_tokens=(1 << 26) if device == "cuda" else (1 << 22),
        max_head_cells=None if device == "cuda" else _useful_head_cells(corpus.n_tokens, window),
        full_head_if_it_fits=device == "cuda",
    )
    plan = Plan(V, window, ints, planes_needed, sizes.layout, sizes.chunk_tokens, sizes.tail_batch, sizes.pair_batch)
    store = RunStore(sizes.runs_budget, spill_dir, threads)
    eng = None
    try:
        eng = _make_engine(engine, xp, plan, store, threads, corpus.vocab.counts[:V])
        started = time.perf_counter()
        with compile_timer("the counting kernels") as compiling:
            with corpus.reading():  # a build cannot replace the corpus while it is counted
                counted, profile = _run(corpus, eng, xp, plan, oov, device, progress)
            if device == "cuda":
                xp.cuda.get_current_stream().synchronize()
            counted_at = time.perf_counter()
            weigh = (weighting, scale) if weighted and not plan.per_offset else None
            planes, assembly, stages = _assemble_planes(eng, store, plan, xp, device, budget, symmetrize, weigh)
        seconds = time.perf_counter() - started
    finally:
        if eng is not None:
            eng.release()
        store.close()
    stats = {
        "seconds": round(seconds, 3),
        "compile_seconds": round(compiling.seconds, 3),
        "count_seconds": round(counted_at - started, 3),
        "tokens": corpus.n_tokens,
        "centres": counted,
        "spills": store.spills,
        "spilled_bytes": store.spilled_bytes,
        "engine": engine,
        "device": device,
        "threads": threads,
        "head_cells": sizes.layout.cells,
        "chunk_tokens": sizes.chunk_tokens,
        "pair_batch": sizes.pair_batch,
        "memory": budget,
        "assembly": assembly,
        "stages": stages.rounded(),
        "downloaded_bytes": stages.downloaded,
        "count_profile": profile,
    }
    return planes, plan, stats


def _fit_device_budget(budget: int) -> int:
    """Keep a GPU budget inside what the device has free, so counting never runs out of memory."""
    import cupy

    free, _total = cupy.cuda.runtime.memGetInfo()
    free += cupy.get_default_memory_pool().free_bytes()
    usable = int(0.85 * free)
    if budget > usable:
        log.warning("memory=%.1fGB is more than the GPU has free; using %.1fGB.", budget / 1e9, usable / 1e9)
        return usable
    return budget


def _useful_head_cells(n_tokens: int, window: int) -> int:
    """A CPU head much larger than the pair stream costs more to zero and scan than it saves."""
    return max(1 << 22, n_tokens * window // 4)


def _choose_engine(engine: str, device: str) -> str:
    if engine == "auto":
        if device == "cuda":
            return "kernel"
        return "numba" if _numba.available() else "vectorized"
    if engine == "numba" and device != "cpu":
        raise InvalidParameterError("engine='numba' runs on the CPU; use device='cpu' or engine='kernel'.")
    if engine == "numba" and not _numba.available():
        raise MissingDependencyError("engine='numba' needs numba: pip install numba")
    if engine == "kernel" and device != "cuda":
        raise InvalidParameterError("engine='kernel' is the CUDA kernel; use device='cuda' or engine='numba'.")
    return engine


def _make_engine(engine: str, xp: Any, plan: Plan, store: RunStore, threads: int, row_weights: np.ndarray):
    if engine == "numba":
        return NumbaEngine(plan, store, threads, row_weights)
    if engine == "kernel":
        from .cuda import KernelEngine

        return KernelEngine(plan, store)
    return VectorizedEngine(xp, plan, store)


def iter_raw_chunks(corpus: TokenCorpus, max_tokens: int) -> Iterator[tuple[np.ndarray, np.ndarray, bool, bool]]:
    """Yield ``(tokens, starts, cut, starts_mid_doc)`` for stretches of at most ``max_tokens`` tokens.

    Stretches end at a document boundary when one lies in reach; a longer document is
    cut (``cut``) and continued by the next stretch (``starts_mid_doc``). ``starts``
    holds the stretch-relative positions where documents begin.
    """
    for tokens, offsets in corpus.iter_shards():
        n, s, mid = tokens.shape[0], 0, False
        while s < n:
            limit = s + max_tokens
            if limit >= n:
                e, cut = n, False
            else:
                k = int(np.searchsorted(offsets, limit, side="right")) - 1
                e, cut = (int(offsets[k]), False) if offsets[k] > s else (limit, True)
            lo, hi = np.searchsorted(offsets, [s, e], side="left")
            yield tokens[s:e], offsets[lo:hi] - s, cut, mid
            s, mid = e, cut


def _run(
    corpus: TokenCorpus, eng: Any, xp: Any, plan: Plan, oov: str, device: str, progress: bool
) -> tuple[int, dict[str, Any] | None]:
    """Feed every chunk to the engine; return the number of centres counted and where the time went: for
    prepared chunks a :class:`CountProfile`; for the compiled CPU engine its kernel's and drains' seconds,
    the tail entries it sorted and the seconds spent merging runs over budget (``compact``)."""
    bar = None
    if progress:
        from .._core.progress import ProgressBar  # rich is only needed for the bar

        bar = ProgressBar("counting", total=corpus.n_tokens, unit="tokens", rates=("tokens",))
    if hasattr(eng, "add_range"):
        try:
            centres = _run_raw(corpus, eng, plan, oov, bar)
            prof = {k: round(v, 4) if isinstance(v, float) else v for k, v in eng.profile.items()}
            return centres, {**prof, "compact": round(eng.store.compact_seconds, 4)}
        finally:
            if bar is not None:
                bar.close()
    carry, centres = None, 0
    feeder = _feeder(device)(iter_raw_chunks(corpus, plan.chunk_tokens))
    prefetch = getattr(feeder, "prefetch", None)
    profile = CountProfile(xp if device == "cuda" else None)
    chunks = iter(feeder)
    try:
        while True:
            t0 = time.perf_counter()
            try:
                tokens, starts, cut, mid = next(chunks)
            except StopIteration:
                break
            t1 = time.perf_counter()
            with profile.on_device():
                chunk, carry = prepare_chunk(xp, tokens, starts, plan.vocab_size, plan.window, oov, carry, cut, mid)
                t2 = time.perf_counter()
                eng.add(chunk, overlap=prefetch)
            profile.add(next_chunk=t1 - t0, prepare=t2 - t1, add=time.perf_counter() - t2)
            # in-vocabulary positions, as _run_raw counts them (a chunk under oov="gap" keeps the others
            # as window breaks); a device scalar on the GPU, read once at the end
            centres = centres + xp.count_nonzero(tokens < plan.vocab_size)
            if bar is not None:
                bar.update(int(tokens.shape[0]), tokens=int(tokens.shape[0]))
    finally:
        if bar is not None:
            bar.close()
    return int(centres), profile.finish(feeder)


def _run_raw(corpus: TokenCorpus, eng: Any, plan: Plan, oov: str, bar: Any) -> int:
    """Feed raw shards, ``plan.chunk_tokens`` centre positions at a time, to an engine that reads them directly."""
    centres = 0
    for tokens, offsets in corpus.iter_shards():
        tokens = np.asarray(tokens)  # the memory-mapped shard, not a copy
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        for start in range(0, tokens.shape[0], plan.chunk_tokens):
            stop = min(start + plan.chunk_tokens, tokens.shape[0])
            eng.add_range(tokens, offsets, start, stop, oov == "drop")
            if bar is not None:
                bar.update(stop - start, tokens=stop - start)
        centres += int(np.count_nonzero(tokens < plan.vocab_size))
    return centres


def _feeder(device: str):
    if device == "cuda":
        from .cuda import stream_to_device

        return stream_to_device
    return lambda chunks: chunks


def _assemble_planes(
    eng: Any,
    store: RunStore,
    plan: Plan,
    xp: Any,
    device: str,
    budget: int,
    symmetrize: bool,
    weigh: tuple[str, int] | None,
) -> tuple[list[sp.csr_matrix], str, assemble.Stages]:
    """The counted cells as CSR planes, put together on the GPU when counting ran there and it fits.

    A full head is symmetrised and extracted on the device (any number of planes); a
    partial head and the runs are merged on the device (one plane) when
    :func:`~cooc.count.assemble_merged.merge_steps` finds room in the budget; otherwise the runs
    are merged on the host (:func:`_assemble`).

    Returns
    -------
    planes : list of scipy.sparse.csr_matrix
    assembly : str
        Which path was taken.
    stages : Stages
        Seconds per stage, and the bytes the device assembly sent to the host.
    """
    stages = assemble.Stages(xp)
    V, lay = plan.vocab_size, plan.layout
    if device == "cuda":
        if lay.cells == V * V:
            planes = assemble.dense_planes(xp, eng.head, V, plan.planes, symmetrize, weigh, stages)
            eng.release()
            return planes, "device: dense head", stages
        if plan.planes == 1:
            # the head's nonzeros and the runs' entries size the merge (two stages: on the H100 at V = 100k
            # the one stage they shared took 5.4 s, unexplained, while the head's blockwise pass took 0.1 s)
            with stages("head count"):
                head_entries = assemble_merged.head_nonzeros(xp, eng.head)
            with stages("runs open"):
                runs = store.all_runs()
                run_entries = sum(int(k.shape[0]) for k, _ in runs)
            steps = assemble_merged.merge_steps(lay.cells, head_entries, run_entries, V, budget)
            if steps is not None:
                weighting, scale = weigh if weigh is not None else (None, 1)
                m = assemble_merged.merged_to_csr(
                    xp,
                    eng.head,
                    lay,
                    runs,
                    V,
                    symmetric=symmetrize,
                    weighting=weighting,
                    scale=scale,
                    release=eng.release,
                    stages=stages,
                    block_cells=steps[0],
                    block_entries=steps[1],
                )
                return [m], "device: head + runs", stages
            if not assemble.ALLOW_HOST_FALLBACK:
                raise InvalidParameterError(
                    f"the result ({head_entries:,} head and {run_entries:,} run entries) does not fit the GPU "
                    f"budget of {budget / 1e9:.1f} GB for assembly on the device, and the host fallback is off."
                )
    if isinstance(eng.head, np.ndarray) and head_csr.AVAILABLE:
        # a host head never joins the merge, and M + M^T is formed from the head and the tail apart
        threads = _merge_threads()
        with stages("host merge"):
            tail = _merged_ranges(store, plan, threads)
        divide = 0 if weigh is None or weigh[0] == "uniform" else weigh[1]
        with stages("host csr"):
            planes = head_csr.head_tail_to_csr(eng.head, lay, tail, V, plan.planes, symmetrize, divide, threads)
        eng.release()
        return planes, "host: head + tail", stages
    with stages("host merge"):
        planes = _assemble(eng, store, plan)
    if symmetrize:
        with stages("host symmetrise"):  # weighed in the same pass (one plane whenever weigh is set)
            planes = [plus_transpose(m, weigh=weigh) for m in planes]
        weigh = None
    if weigh is not None:
        with stages("host weigh"):
            planes = [weigh_planes(planes, plan.weights, weigh[1], weigh[0], False, True)[0]]
    return planes, "host", stages


def _assemble(eng: Any, store: RunStore, plan: Plan) -> list[sp.csr_matrix]:
    """Merge a device head's nonzeros (a sorted run) and the runs into one forward CSR matrix per plane."""
    head_keys, head_values = (to_numpy(x) for x in eng.head_run())
    eng.release()
    store.runs.append((head_keys, head_values))  # output-sized: not counted against the budget
    threads = _merge_threads()
    return ranges_to_csr(_merged_ranges(store, plan, threads), plan.vocab_size, plan.planes, threads)


def _merged_ranges(store: RunStore, plan: Plan, threads: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every run's entries merged, in key ranges of about equal entries merged at once on the counter's
    threads (each within its share of the budget), four ranges a thread for balance."""
    V, planes = plan.vocab_size, plan.planes
    per_range = max(store.budget // store.ENTRY_BYTES // threads, 1)
    bounds = store.plan_ranges(0, planes * V * V, per_range, min_pieces=4 * threads if threads > 1 else 1)
    parts = store.merged_ranges(bounds, threads)
    store.runs = []  # merged: their memory goes back before the CSR and M + M^T are made (spilled files stay)
    return parts


def _merge_threads() -> int:
    """The counter's threads (numba's setting inside ``thread_limit``), which the host merge uses too."""
    if not _numba.available():
        return 1
    import numba

    return int(numba.get_num_threads())
