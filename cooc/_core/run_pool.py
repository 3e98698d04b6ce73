"""Independent runs (a network trained per training-set size and seed) on several processes at once.

A learning curve trains many small networks that share nothing. On a GPU one such run leaves
the device mostly idle while Python launches its kernels one by one (on the H200, 2026-12-04:
next_token's 3M-parameter transformer took 7 ms a step whatever its batch), so a study at the
papers' size spends its time in launches. :func:`run_all` runs the calls in ``jobs`` processes at
once, each launching onto the same device, and hands every result to ``on_result`` in this
process as it arrives: the caller records it in its ledger from one process, so an interrupted
job keeps every finished run. The results come back in the tasks' order.

The processes are spawned, not forked (CUDA cannot be used in a forked child), kept for the
next call with as many (a study makes many learning curves; a process pays torch's and CUDA's
start once), end with this one (:func:`~cooc._core.signals.die_with_parent`) and run ``threads``
torch threads each (by default the cores available, shared among them). A task must be
picklable: a function of an importable module (not of the calling script, which the workers do
not run), or a :func:`functools.partial` of one, with arguments on the CPU. With ``jobs`` 1 (or
one task) the calls run here, one after the other.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from .threads import available_cores


def _start_worker(parent: int, threads: int) -> None:
    from .signals import die_with_parent

    die_with_parent(parent)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.set_num_threads(threads)


def worker_threads(jobs: int, threads: int | None = None) -> int:
    """torch threads in each of ``jobs`` processes: ``threads``, else the cores available shared among them."""
    if threads is not None:
        return max(1, int(threads))
    return max(1, available_cores() // max(1, int(jobs)))


def run_all(
    tasks: Sequence[Callable[[], Any]],
    jobs: int = 1,
    on_result: Callable[[int, Any], None] | None = None,
    threads: int | None = None,
) -> list[Any]:
    """Call every task, ``jobs`` at a time in worker processes; ``on_result(i, result)`` here as each ends.

    An error in a task is raised here once the running tasks have been stopped (the tasks that
    finished before it have been handed to ``on_result``).
    """
    tasks = list(tasks)
    results: list[Any] = [None] * len(tasks)
    jobs = max(1, int(jobs))
    if jobs == 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            results[i] = task()
            if on_result is not None:
                on_result(i, results[i])
        return results
    workers = min(jobs, len(tasks))
    key = (os.getpid(), workers, worker_threads(workers, threads))
    pool = _pool(key)
    ok = False
    try:
        with _main_left_behind():  # the workers start at these submits
            pending: dict[Future, int] = {pool.submit(task): i for i, task in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                i = pending.pop(future)
                results[i] = future.result()
                if on_result is not None:
                    on_result(i, results[i])
        ok = True
    finally:
        if not ok:  # an error or an interrupt: stop the runs in flight rather than wait for them
            _pools.pop(key, None)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
    return results


def _pool(key: tuple[int, int, int]) -> ProcessPoolExecutor:
    """The pool for ``key = (this process, workers, torch threads each)``, kept for the next call: a study
    makes many learning curves, and a process pays its start (torch, CUDA) once."""
    pool = _pools.get(key)
    if pool is None:
        parent, workers, threads = key
        pool = _pools[key] = ProcessPoolExecutor(
            workers, mp_context=mp.get_context("spawn"), initializer=_start_worker, initargs=(parent, threads)
        )
    return pool


@contextmanager
def _main_left_behind() -> Iterator[None]:
    """Start workers without the calling script: a spawned process runs the script that started its
    parent again (to find what it defined) unless ``__main__`` names no file, and a study is a
    script whose every line is the study. Tasks are functions of importable modules."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def shutdown() -> None:
    """End the kept processes (they also end with this one)."""
    while _pools:
        _, pool = _pools.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


_pools: dict[tuple[int, int, int], ProcessPoolExecutor] = {}


__all__ = ["run_all", "shutdown", "worker_threads"]
