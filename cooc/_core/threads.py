"""How many threads and processes cooc uses: the cores available by default, fewer on request, and
the process's own setting restored afterwards (numba's thread count is shared by whatever runs next).

"Available" is what this process may run on, not what the machine has: a batch job (SLURM), a
container (``docker --cpus``, ``--cpuset-cpus``) or ``taskset`` gives a process fewer cores than
``os.cpu_count()`` reports, and threads or workers beyond them only wait for one another.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidParameterError

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def cpu_quota(root: Path = CGROUP_ROOT, proc: Path = PROC_CGROUP) -> int | None:
    """Cores' worth of CPU time this process's cgroups allow (rounded up), or None when none sets a cap.

    Reads cgroup v2's ``cpu.max`` ("QUOTA PERIOD", or "max PERIOD": no cap) and v1's
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1: no cap) in the process's own cgroup
    (``/proc/self/cgroup``) and every cgroup above it, and keeps the smallest cap.
    """
    caps = []
    for folder in _cgroup_folders(root, proc):
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
            if quota != "max":
                caps.append(int(quota) / int(period))
            continue
        except (OSError, ValueError):
            pass
        try:
            quota_us = int((folder / "cpu.cfs_quota_us").read_text())
            period_us = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        if quota_us > 0 and period_us > 0:
            caps.append(quota_us / period_us)
    return max(1, math.ceil(min(caps))) if caps else None


def _cgroup_folders(root: Path, proc: Path) -> list[Path]:
    """The folders of this process's CPU cgroups (v2, and v1's ``cpu`` controller), each with those above it."""
    try:
        lines = proc.read_text().splitlines()
    except OSError:
        lines = []
    folders = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            base = root  # v2: one hierarchy
        elif "cpu" in controllers.split(","):
            base = root / controllers  # v1: e.g. cpu,cpuacct
            if not base.is_dir():
                base = root / "cpu"
        else:
            continue
        parts = [p for p in path.strip().split("/") if p]
        folders += [base.joinpath(*parts[:k]) for k in range(len(parts), -1, -1)]
    return folders or [root, root / "cpu"]


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by its cgroup's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    quota = cpu_quota()
    return max(1, min(cores, quota) if quota is not None else cores)


def available_threads() -> int:
    """The threads numba's kernels may use here: its NUMBA_NUM_THREADS (the process's affinity, unless
    set lower), capped by :func:`available_cores` (numba does not read the cgroup's quota)."""
    import numba

    return max(1, min(int(numba.config.NUMBA_NUM_THREADS), available_cores()))  # type: ignore[attr-defined]


@contextlib.contextmanager
def thread_limit(threads: int | None) -> Iterator[int]:
    """Run the block with ``threads`` threads in numba's parallel kernels (None: all available); restore after.

    Yields the number used (``threads`` capped at :func:`available_threads`).
    """
    import numba

    if threads is not None and (isinstance(threads, bool) or int(threads) < 1):
        raise InvalidParameterError(f"parameter 'threads' must be a positive integer or None, got {threads!r}.")
    limit = available_threads()
    n = limit if threads is None else min(int(threads), limit)
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(before)


@contextlib.contextmanager
def cpu_threads(threads: int | None, torch: bool = False) -> Iterator[int]:
    """Keep the block's BLAS calls (numpy's and scipy's) to ``threads`` threads, and with ``torch`` also
    torch's CPU operations; the previous settings are restored after. Yields the number asked for
    (None: :func:`available_cores`).

    With None, each library keeps its own setting (``OPENBLAS_NUM_THREADS``, torch's count of
    physical cores), only capped at the cores available, which a cgroup's quota can make fewer
    than the libraries see. BLAS threads split each product into equal parts, so beside a busy
    core they wait for the slowest part (``cooc embed`` with one of two cores busy took 7.1 s with 2
    BLAS threads and 5.7 s with 1); the sketching eigensolvers therefore hand their products to
    this many threads in pieces instead (:mod:`cooc.spectral.products`).
    """
    import scipy.linalg  # noqa: F401  (its BLAS loaded, so that the limit reaches it)
    from threadpoolctl import threadpool_info, threadpool_limits

    if threads is not None and (isinstance(threads, bool) or int(threads) < 1):
        raise InvalidParameterError(f"parameter 'threads' must be a positive integer or None, got {threads!r}.")
    n = available_cores() if threads is None else int(threads)
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    limits = {pool["prefix"]: n if threads is not None else min(n, pool["num_threads"]) for pool in blas}
    with threadpool_limits(limits=limits):
        if not torch:
            yield n
            return
        import torch as _torch

        before = _torch.get_num_threads()
        _torch.set_num_threads(n if threads is not None else min(n, before))
        try:
            yield n
        finally:
            _torch.set_num_threads(before)


__all__ = ["available_cores", "available_threads", "cpu_quota", "cpu_threads", "thread_limit"]
