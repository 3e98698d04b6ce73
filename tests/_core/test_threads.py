"""The cores a process may use: its affinity capped by its cgroup's CPU quota, read where the defaults are set."""

from __future__ import annotations

import os

import numba
import pytest
from threadpoolctl import threadpool_limits

import cooc._core.threads as threads
from cooc._core.errors import InvalidParameterError
from cooc._core.threads import available_cores, available_threads, cpu_quota, thread_limit


def cgroup_tree(tmp_path, proc_lines, files):
    """A fake ``/sys/fs/cgroup`` under tmp_path with ``files`` ({relative path: text}) and a ``/proc/self/cgroup``."""
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text("".join(line + "\n" for line in proc_lines))
    return root, proc


@pytest.mark.parametrize(
    "text, cores",
    [
        ("200000 100000\n", 2),
        ("150000 100000\n", 2),
        ("50000 100000\n", 1),
        ("1600000 100000\n", 16),
        ("max 100000\n", None),
    ],
)
def test_cgroup_v2_quota_in_whole_cores_rounded_up(tmp_path, text, cores):
    root, proc = cgroup_tree(tmp_path, ["0::/"], {"cpu.max": text})
    assert cpu_quota(root, proc) == cores


def test_the_smallest_cap_on_the_way_up_counts(tmp_path):
    # a job's own cgroup sets no cap, its parent 3 cores, the grandparent 2: 2 cores
    files = {
        "jobs/cpu.max": "200000 100000",
        "jobs/job1/cpu.max": "300000 100000",
        "jobs/job1/step/cpu.max": "max 100000",
    }
    root, proc = cgroup_tree(tmp_path, ["0::/jobs/job1/step"], files)
    assert cpu_quota(root, proc) == 2


@pytest.mark.parametrize("quota, cores", [("400000", 4), ("250000", 3), ("-1", None)])
def test_cgroup_v1_quota(tmp_path, quota, cores):
    files = {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": quota, "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"}
    root, proc = cgroup_tree(tmp_path, ["4:memory:/docker/abc", "2:cpu,cpuacct:/docker/abc", "0::/"], files)
    assert cpu_quota(root, proc) == cores


def test_no_cgroup_files_or_unreadable_ones_mean_no_cap(tmp_path):
    root, proc = cgroup_tree(tmp_path, ["0::/a"], {"a/cpu.max": "garbage"})
    assert cpu_quota(root, proc) is None
    assert cpu_quota(tmp_path / "absent", tmp_path / "absent_proc") is None


def test_available_cores_is_the_affinity_capped_by_the_quota(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads, "cpu_quota", lambda: None)
    assert available_cores() == 4
    monkeypatch.setattr(threads, "cpu_quota", lambda: 2)
    assert available_cores() == 2
    monkeypatch.setattr(threads, "cpu_quota", lambda: 8)  # a quota above the affinity changes nothing
    assert available_cores() == 4


def test_without_affinity_the_machine_cores(monkeypatch):
    def missing(pid):
        raise AttributeError("no sched_getaffinity")

    monkeypatch.setattr(os, "sched_getaffinity", missing, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    monkeypatch.setattr(threads, "cpu_quota", lambda: None)
    assert available_cores() == 6


def test_numba_kernels_keep_to_the_available_cores(monkeypatch):
    # numba reads the affinity but not the quota: a cgroup of one core gives its kernels one thread
    monkeypatch.setattr(threads, "available_cores", lambda: 1)
    assert available_threads() == 1
    before = numba.get_num_threads()
    with thread_limit(None) as n:
        assert n == 1 and numba.get_num_threads() == 1
    with thread_limit(4) as n:  # a request above the cores is capped too
        assert n == 1
    assert numba.get_num_threads() == before


def test_a_build_defaults_to_the_available_cores(tmp_path, monkeypatch):
    import cooc.corpus.build as build

    (tmp_path / "text.txt").write_text("one two three\nfour five six\n" * 20)
    seen = []
    real = build.Helpers

    def spy(workers, *args, **kwargs):
        seen.append(workers)
        return real(workers, *args, **kwargs)

    monkeypatch.setattr(build, "Helpers", spy)
    monkeypatch.setattr(build, "available_cores", lambda: 1)
    corpus = build.build_corpus(tmp_path / "text.txt", tmp_path / "c", workers=None, progress=False)
    assert seen == [1] and corpus.n_tokens == 120
    build.build_corpus(tmp_path / "text.txt", tmp_path / "d", workers=2, progress=False)  # asked for: kept
    assert seen == [1, 2]


def test_host_copies_use_half_the_available_cores(monkeypatch):
    import cooc.count.host_copy as host_copy

    monkeypatch.delenv("COOC_COPY_THREADS", raising=False)
    monkeypatch.setattr(host_copy, "available_cores", lambda: 6)
    assert host_copy.copy_threads() == 3
    monkeypatch.setattr(host_copy, "available_cores", lambda: 1)
    assert host_copy.copy_threads() == 1


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_cpu_threads_keeps_blas_and_torch_to_the_count_and_restores(monkeypatch):
    import numpy as np
    import torch

    np.ones((2, 2)) @ np.ones((2, 2))  # BLAS loaded
    blas_before, torch_before = _blas_threads(), torch.get_num_threads()
    with threads.cpu_threads(1, torch=True) as n:
        assert n == 1 and _blas_threads() == {1} and torch.get_num_threads() == 1
    assert _blas_threads() == blas_before and torch.get_num_threads() == torch_before
    with threads.cpu_threads(1):  # BLAS only
        assert _blas_threads() == {1} and torch.get_num_threads() == torch_before
    monkeypatch.setattr(threads, "available_cores", lambda: 1)
    with threads.cpu_threads(None, torch=True) as n:  # the default: capped at the cores available
        assert n == 1 and _blas_threads() == {1} and torch.get_num_threads() == 1
    monkeypatch.setattr(threads, "available_cores", lambda: 64)
    with threadpool_limits(limits=1, user_api="blas"):  # e.g. OPENBLAS_NUM_THREADS=1: the default keeps it
        torch.set_num_threads(1)
        with threads.cpu_threads(None, torch=True):
            assert _blas_threads() == {1} and torch.get_num_threads() == 1
        with threads.cpu_threads(3, torch=True):  # asked for: set
            assert _blas_threads() == {3} and torch.get_num_threads() == 3
        torch.set_num_threads(torch_before)
    with pytest.raises(InvalidParameterError, match="'threads' must be a positive integer"):
        with threads.cpu_threads(0):
            pass
