"""Dask schedulers that stall, vanish or live elsewhere: every wait is bounded, every failure one line, every
path a worker gets absolute."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from cooc.cli import app

from .conftest import cooc_env, junk

pytest.importorskip("distributed")
runner = CliRunner()


@pytest.fixture
def silent_peer():
    """A socket on 127.0.0.1 that accepts connections and never says a word (a stalled or foreign server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_scheduler_that_never_answers_is_given_up_on_time(tmp_path, corpus, silent_peer, monkeypatch):
    import cooc.count.cluster as cluster

    address, accepted = silent_peer
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    started = time.monotonic()
    res = runner.invoke(app, ["count", str(corpus.path), "-o", str(tmp_path / "c"), "--scheduler", address])
    took = time.monotonic() - started
    assert res.exit_code == 1 and accepted, res.output
    assert (
        res.output == f"error: the Dask scheduler at {address!r} did not answer within 2 s (is it a Dask "
        "scheduler, and is it running?).\n"
    )
    assert took < 30, took  # it hung for good before
    assert not (tmp_path / "c.npz").exists() and junk(tmp_path) == []


def test_a_port_where_nothing_listens_is_refused_at_once(tmp_path, corpus):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # the port is free now: a connection to it is refused
    started = time.monotonic()
    res = runner.invoke(
        app, ["count", str(corpus.path), "-o", str(tmp_path / "c"), "--scheduler", f"tcp://127.0.0.1:{port}"]
    )
    took = time.monotonic() - started
    assert res.exit_code == 1 and res.output == (
        f"error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}': nothing listens on port {port} of "
        "127.0.0.1 (is the scheduler running, and is the port right?).\n"
    )
    assert took < 10, took  # Dask's own connect retried a refused port for its whole 30 s timeout
    assert not (tmp_path / "c.npz").exists() and junk(tmp_path) == []


@pytest.mark.parametrize("fault", ["kill", "stall"])
def test_a_scheduler_lost_mid_count_is_one_line(tmp_path, corpus, fault, monkeypatch):
    """Killed, or frozen (alive, connected, silent): the count ends with one line either way."""
    import signal

    import cooc.count.cluster as cluster

    monkeypatch.setattr(cluster, "HEARTBEAT", 1.0)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3.0)
    info = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file", str(info), "--port", "0",
         "--dashboard-address", ":0"],
        cwd=tmp_path, env=cooc_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text():
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        import json

        address = json.loads(info.read_text())["address"]
        hit = scheduler.kill if fault == "kill" else lambda: scheduler.send_signal(signal.SIGSTOP)
        threading.Timer(3.0, hit).start()  # no worker: the count waits until then
        started = time.monotonic()
        res = runner.invoke(app, ["count", str(corpus.path), "-o", str(tmp_path / "c"), "--scheduler", address])
        assert time.monotonic() - started < 40
    finally:
        scheduler.kill()
        scheduler.wait(20)
    assert res.exit_code == 1, res.output
    assert res.output.startswith(f"error: lost the Dask scheduler at {address} during the count"), res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "c.npz").exists() and not (tmp_path / "c.json").exists()


def test_relative_outputs_reach_the_workers_absolute(tmp_path, corpus, monkeypatch):
    """`count --blocks -o rel` reported success but wrote under each worker's working directory."""
    from distributed import Client, LocalCluster

    import cooc.cooccurrence.blocked as blocked
    from cooc.count.distributed import count_distributed

    folders = []
    real = blocked.save_block

    def spy(folder, *args, **kwargs):
        folders.append(folder)
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(blocked, "save_block", spy)
    monkeypatch.chdir(tmp_path)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            result = count_distributed(
                corpus.path, client, window=2, out="rel/counts", n_blocks=2, progress=False, spill_dir="rel/spill"
            )
    assert folders and all(str(f).startswith(str(tmp_path)) for f in folders)
    assert result.path == tmp_path / "rel" / "counts.json" and result.nnz > 0
