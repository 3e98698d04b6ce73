"""Dask counting on a real LocalCluster (2 worker processes) equals the single-machine count, bit for bit."""

from __future__ import annotations

import os
import signal
import uuid

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from cooc import Cooccurrence  # noqa: E402
from cooc._core.errors import InputDataError, InvalidParameterError, MissingDependencyError  # noqa: E402
from cooc.cooccurrence.blocked import BlockedCooccurrence  # noqa: E402
from cooc.count import count_cooccurrences  # noqa: E402
from cooc.count.cluster import connect  # noqa: E402
from cooc.count.distributed import TASK_PREFIX, count_distributed  # noqa: E402
from cooc.count.parts import open_part  # noqa: E402

from ..corpora import id_corpus, zipf_docs  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(7)
    return id_corpus(tmp_path_factory.mktemp("dist"), zipf_docs(rng, 300, 40), 40, shard_tokens=1500)


def assert_same(a: Cooccurrence, b: Cooccurrence) -> None:
    assert a.counts.dtype == b.counts.dtype and a.shape == b.shape
    assert (a.counts != b.counts).nnz == 0  # exact: integers, or the same float64 rounding
    np.testing.assert_array_equal(a.unigram, b.unigram)
    assert a.vocab == b.vocab
    assert {k: v for k, v in a.settings.items() if k != "count"} == {
        k: v for k, v in b.settings.items() if k != "count"
    }
    assert (a.per_offset is None) == (b.per_offset is None)
    for x, y in zip(a.per_offset or [], b.per_offset or []):
        assert (x != y).nnz == 0 and x.dtype == y.dtype


SETTINGS = [
    dict(window=5, weighting="harmonic"),
    dict(window=3, weighting="uniform", per_offset=True, oov="gap"),
    dict(window=4, weighting="linear", directional=True, vocab_size=25),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["harmonic", "uniform-per-offset-gap", "linear-directional-V25"])
def test_local_cluster_equals_local_count(client, corpus, settings):
    assert corpus.n_shards >= 8
    local = count_cooccurrences(corpus, progress=False, **settings)
    dist = count_distributed(corpus, client, progress=False, shards_per_task=2, fan_in=3, **settings)
    assert_same(dist, local)
    stats = dist.settings["count"]
    assert stats["dask_workers"] == 2 and stats["tasks"] == -(-corpus.n_shards // 2)
    assert stats["centres"] == local.settings["count"]["centres"]


def test_hand_counted_matrix(client, tmp_path):
    # doc "a b c a" (ids 0 1 2 0) twice, in two shards, window 2, harmonic: w(1) = 1, w(2) = 1/2
    corpus = id_corpus(tmp_path, [np.array([0, 1, 2, 0]), np.array([0, 1, 2, 0])], 3, shard_tokens=4)
    assert corpus.n_shards == 2
    res = count_distributed(corpus, client, window=2, weighting="harmonic", progress=False)
    np.testing.assert_array_equal(res.counts.toarray(), 2 * np.array([[0, 1.5, 1.5], [1.5, 0, 1], [1.5, 1, 0]]))


def test_scheduler_address_and_count_cooccurrences_hook(client, cluster, corpus):
    local = count_cooccurrences(corpus, window=5, progress=False)
    by_address = count_cooccurrences(corpus, window=5, progress=False, scheduler=cluster.scheduler_address)
    assert_same(by_address, local)
    assert by_address.settings["count"]["scheduler"] == cluster.scheduler_address


@pytest.mark.parametrize("settings", [SETTINGS[0], SETTINGS[1]], ids=["harmonic", "uniform-per-offset"])
def test_blocked_output_written_by_workers_equals_local(client, corpus, tmp_path, settings):
    local = count_cooccurrences(corpus, progress=False, **settings)
    blocked = count_distributed(corpus, client, progress=False, out=tmp_path / "counts", n_blocks=4, **settings)
    assert isinstance(blocked, BlockedCooccurrence) and blocked.n_blocks == 4
    reopened = Cooccurrence.load(tmp_path / "counts")
    reopened.verify()
    assert_same(reopened.to_memory(), local)
    assert blocked.nnz == local.nnz and blocked.total == pytest.approx(local.total, rel=1e-15)
    np.testing.assert_array_equal(reopened.row_sums, np.asarray(local.counts.sum(axis=1)).ravel())


class KillOnce(distributed.WorkerPlugin):
    """SIGKILL the worker process right after its first counting task finishes (once per cluster)."""

    def __init__(self, flag: str):
        self.flag = flag

    def transition(self, key, start, finish, **kwargs):
        name = key if isinstance(key, str) else str(key)
        if finish == "memory" and name.startswith(TASK_PREFIX):
            try:
                fd = os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.write(fd, name.encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)


def test_worker_killed_mid_job_gives_the_same_matrix(corpus, tmp_path):
    local = count_cooccurrences(corpus, window=5, progress=False)
    flag = tmp_path / f"killed-{uuid.uuid4().hex}"
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cl,
        distributed.Client(cl) as c,
    ):
        before = set(c.scheduler_info()["workers"])
        c.register_plugin(KillOnce(str(flag)))
        dist = count_distributed(corpus, c, window=5, progress=False)
        assert flag.exists(), "no worker was killed"
        c.wait_for_workers(2, timeout=60)
        assert set(c.scheduler_info()["workers"]) != before  # the nanny replaced the killed worker
    assert_same(dist, local)


def test_worker_sees_a_different_corpus(corpus):
    with pytest.raises(InputDataError, match="different corpus"):
        open_part(str(corpus.path), [0], "blake2b:not-this-one")
    part = open_part(str(corpus.path), [1, 2], corpus.identity)
    assert part.n_shards == 2
    assert part.n_tokens == sum(corpus.manifest["shards"][k]["n_tokens"] for k in (1, 2))


@pytest.mark.parametrize(
    "scheduler, error",
    [("local:0", InvalidParameterError), ("local:x", InvalidParameterError), (42, InvalidParameterError)],
)
def test_bad_scheduler(scheduler, error):
    with pytest.raises(error, match="scheduler"):
        connect(scheduler)


def test_local_cuda_needs_dask_cuda():
    try:
        import dask_cuda  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match="pip install dask-cuda"):
            connect("local-cuda")
    else:
        pytest.skip("dask-cuda is installed; this checks the message shown without it")


def test_bad_parameters(client, corpus):
    with pytest.raises(InvalidParameterError, match="shards_per_task"):
        count_distributed(corpus, client, shards_per_task=0, progress=False)
    with pytest.raises(InvalidParameterError, match="window"):
        count_distributed(corpus, client, window=0, progress=False)


def test_cli_count_on_dask_and_blocked(client, cluster, corpus, tmp_path):
    from typer.testing import CliRunner

    from cooc.cli import app

    runner = CliRunner()
    local = count_cooccurrences(corpus, window=5, progress=False)
    args = ["count", str(corpus.path), "--window", "5", "--scheduler", cluster.scheduler_address]
    res = runner.invoke(app, args + ["-o", str(tmp_path / "flat")])
    assert res.exit_code == 0, res.output
    assert_same(Cooccurrence.load(tmp_path / "flat"), local)
    res = runner.invoke(app, args + ["-o", str(tmp_path / "blocks"), "--blocks", "3"])
    assert res.exit_code == 0, res.output
    assert "3 row blocks" in " ".join(res.output.split())  # the console wraps at its width, wherever the path ends
    blocked = Cooccurrence.load(tmp_path / "blocks")
    assert_same(blocked.to_memory(), local)
    res = runner.invoke(
        app, ["count", str(corpus.path), "--window", "5", "-o", str(tmp_path / "here"), "--blocks", "2"]
    )
    assert res.exit_code == 0, res.output
    assert_same(Cooccurrence.load(tmp_path / "here").to_memory(), local)
    info = runner.invoke(app, ["info", str(tmp_path / "blocks"), "--top", "3"])
    assert info.exit_code == 0, info.output
    assert "out-of-core row blocks" in info.output
    a, b, _ = local.top_pairs(1)[0]
    assert f"{a} {b}" in info.output
    bad = runner.invoke(app, args + ["-o", str(tmp_path / "flat")])
    assert bad.exit_code == 1 and bad.output.startswith("error: ") and "exists" in bad.output


def test_cluster_started_from_the_dask_command_line(corpus, tmp_path):
    """A scheduler and two workers started as separate `dask` processes (as on separate machines) count the same matrix."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    info = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [
        subprocess.Popen(
            dask + ["--scheduler-file", str(info), "--port", "0", "--dashboard-address", ":0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            assert time.monotonic() < deadline and procs[0].poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        for k in range(2):  # each worker in its own folder, as on another machine sharing the corpus's filesystem
            (tmp_path / f"w{k}").mkdir()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--scheduler-file",
                        str(info),
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                    ],
                    env=env,
                    cwd=tmp_path / f"w{k}",
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with distributed.Client(scheduler_file=str(info), timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            address = client.scheduler.address
        remote = count_cooccurrences(corpus, window=5, progress=False, scheduler=address)
        assert_same(remote, count_cooccurrences(corpus, window=5, progress=False))
        assert remote.settings["count"]["scheduler"] == address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.gpu
def test_local_cuda_cluster_equals_local_count(corpus):
    """dask-cuda's LocalCUDACluster (one worker per GPU), each counting on its GPU, gives the CPU matrix."""
    pytest.importorskip("dask_cuda")
    from cooc._core.device import cuda_available

    if not cuda_available():
        pytest.skip("CuPy with a CUDA device is not available")
    local = count_cooccurrences(corpus, window=5, progress=False)
    on_gpus = count_cooccurrences(corpus, window=5, progress=False, device="cuda", scheduler="local-cuda")
    assert_same(on_gpus, local)
