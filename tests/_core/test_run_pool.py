"""Independent runs on several processes: results in order, handed over here as they end, errors raised here."""

from __future__ import annotations

import os
import time
from functools import partial

import pytest

from cooc._core.run_pool import run_all, worker_threads


def _where(i: int, pause: float = 0.0) -> tuple[int, int, int]:
    """(i, this process, torch's threads here), after ``pause`` seconds."""
    import torch

    time.sleep(pause)
    return i, os.getpid(), torch.get_num_threads()


def _after(i: int, folder: str, others: tuple[int, ...] = (), mark: str = "ended") -> tuple[int, int, int]:
    """(i, this process, torch's threads here), once the tasks ``others`` have ended (the files ``ended-j`` they
    leave in ``folder``, or the files ``{mark}-j`` someone else leaves for them): a task that waits for others
    holds its process, so they must run in another one."""
    import torch

    started = time.perf_counter()
    while not all(os.path.exists(os.path.join(folder, f"{mark}-{j}")) for j in others):
        if time.perf_counter() - started > 60:
            raise TimeoutError(f"task {i}: tasks {others} did not end; were they given a process of their own?")
        time.sleep(0.01)
    open(os.path.join(folder, f"ended-{i}"), "w").close()
    return i, os.getpid(), torch.get_num_threads()


#: The long run's length: far past what starting the workers takes on a starved 2-core machine (56 s seen).
LONG_RUN = 150.0


def _fails(i: int, folder: str = "") -> int:
    if i == 1:
        time.sleep(0.5)
        raise ValueError(f"task {i} failed")
    if folder:  # a long run, stopped by the error
        with open(os.path.join(folder, "long.pid"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(LONG_RUN)
    return i


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped by whoever adopted it, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_tasks_run_in_other_processes_and_come_back_in_order(tmp_path):
    seen = []
    # the first task ends last, once the others have ended in the other process and been handed over here:
    # results still come back in the tasks' order, and each is handed over as it ends
    folder = str(tmp_path)
    tasks = [partial(_after, 0, folder, (1, 2, 3), "handed"), partial(_after, 1, folder), partial(_after, 2, folder),
             partial(_after, 3, folder)]  # fmt: skip

    def handed(i: int, result: tuple) -> None:
        seen.append((i, os.getpid()))
        (tmp_path / f"handed-{i}").touch()

    results = run_all(tasks, jobs=2, on_result=handed, threads=3)
    assert [r[0] for r in results] == [0, 1, 2, 3]
    pids = {r[1] for r in results}
    assert os.getpid() not in pids and len(pids) == 2  # two worker processes, none of them this one
    assert {r[2] for r in results} == {3}  # the threads asked for, in every worker
    assert sorted(i for i, _ in seen) == [0, 1, 2, 3] and {pid for _, pid in seen} == {os.getpid()}
    assert seen[-1][0] == 0  # handed over when it ended, not in order


def test_one_job_runs_here_one_after_the_other():
    seen = []
    results = run_all([partial(_where, i) for i in range(3)], jobs=1, on_result=lambda i, r: seen.append(i))
    assert [r[:2] for r in results] == [(i, os.getpid()) for i in range(3)] and seen == [0, 1, 2]


def test_an_error_in_a_task_is_raised_here_and_stops_the_runs_in_flight(tmp_path):
    seen = []
    started = time.perf_counter()
    tasks = [partial(_fails, 0, str(tmp_path)), partial(_fails, 1), partial(_fails, 2)]
    with pytest.raises(ValueError, match="task 1 failed"):
        run_all(tasks, jobs=2, on_result=lambda i, r: seen.append(i))
    assert time.perf_counter() - started < LONG_RUN  # the long run was not waited for
    pid = int((tmp_path / "long.pid").read_text())
    for _ in range(5):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)  # and it was stopped at once
    assert seen == []


def test_worker_threads_share_the_cores():
    assert worker_threads(4, 3) == 3
    assert worker_threads(10**6) == 1


def test_the_processes_are_kept_for_the_next_call_and_replaced_after_an_error(tmp_path):
    def both(name: str) -> set[int]:  # two tasks that must run at once, so in both processes
        (tmp_path / name).mkdir()
        folder = str(tmp_path / name)
        tasks = [partial(_after, 0, folder, (1,)), partial(_after, 1, folder)]
        return {r[1] for r in run_all(tasks, jobs=2, threads=1)}

    first = both("first")
    assert both("second") == first  # the same processes: none started again
    with pytest.raises(ValueError):
        run_all([partial(_fails, 1), partial(_where, 0)], jobs=2, threads=1)
    assert not both("third") & first  # the pool stopped by the error was not reused


SCRIPT = """
import os, sys
from functools import partial
print("top level ran", flush=True)  # a study: every line of the script is the work
from cooc._core.run_pool import run_all
from tests._core.test_run_pool import _where
results = run_all([partial(_where, i) for i in range(3)], jobs=2, threads=1)
assert [r[0] for r in results] == [0, 1, 2] and os.getpid() not in {r[1] for r in results}
assert __file__.endswith("study.py")  # given back once the workers started
print("done", flush=True)
"""


def test_a_script_that_runs_tasks_at_once_is_not_run_again_by_its_workers(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "study.py").write_text(SCRIPT)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, str(tmp_path / "study.py")], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["top", "level", "ran", "done"]


KILLED = """
import sys
from functools import partial
from cooc._core.run_pool import run_all
from tests._core.test_run_pool import _fails
run_all([partial(_fails, 0, sys.argv[1]), partial(_fails, 2, sys.argv[1] + "/b")], jobs=2, threads=1)
"""


def test_the_workers_end_when_the_process_that_started_them_is_killed(tmp_path):
    """A study killed outright (SIGKILL, a timeout's last word) leaves no worker behind on the device."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "b").mkdir()
    (tmp_path / "killed.py").write_text(KILLED)
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "killed.py"), str(tmp_path)], env=dict(os.environ, PYTHONPATH=str(root))
    )
    pids = [tmp_path / "long.pid", tmp_path / "b" / "long.pid"]
    started = time.perf_counter()
    while not all(p.exists() and p.read_text() for p in pids):  # both workers are in their 60-second runs
        assert time.perf_counter() - started < 60 and parent.poll() is None
        time.sleep(0.05)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    workers = [int(p.read_text()) for p in pids]
    for _ in range(50):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
