"""A Dask count over an existing output (``count_distributed(..., out=, overwrite=True)``, ``cooc count --scheduler
ADDRESS --blocks N --overwrite``): the old output stays intact and readable until the new one is complete, and a
count that fails or is interrupted midway leaves it as it was, with no staging folder behind.

The workers of the module's cluster are threads of this process, so monkeypatches reach them; the fault points
(``COOC_FAULT``, :mod:`cooc._core.faults`) interrupt this process, or kill worker processes, while they count.
"""

from __future__ import annotations

import errno
import os
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from cooc import Cooccurrence  # noqa: E402
from cooc._core import faults  # noqa: E402
from cooc._core.errors import ClusterError, InvalidParameterError, OutputExistsError  # noqa: E402
from cooc.cooccurrence import blocked  # noqa: E402
from cooc.count import count_cooccurrences  # noqa: E402
from cooc.count.distributed import count_distributed  # noqa: E402

from ..corpora import id_corpus, zipf_docs  # noqa: E402
from .conftest import local_dask_client  # noqa: E402

OLD = dict(window=2, weighting="uniform")
NEW = dict(window=4, weighting="harmonic", per_offset=True)


@pytest.fixture(scope="module")
def client():
    with local_dask_client(processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(11)
    return id_corpus(tmp_path_factory.mktemp("overwrite"), zipf_docs(rng, 200, 30), 30, shard_tokens=1000)


@pytest.fixture(scope="module")
def spilling(tmp_path_factory):
    """A corpus that spills sorted runs under ``memory="2MB"`` (the ``count.spill`` fault point is reached)."""
    rng = np.random.default_rng(5)
    docs = zipf_docs(rng, 100, 2000, max_len=300) + [rng.integers(0, 2001, 80_000).astype(np.int32)]
    return id_corpus(tmp_path_factory.mktemp("spilling"), docs, 2000, shard_tokens=20_000)


def snapshot(folder):
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def names(folder):
    return sorted(os.listdir(folder))


def wait_idle(client, timeout=60.0):
    """Wait until the scheduler has no task running (a stopped count's tasks end first; one it has already
    forgotten may still be finishing on its thread, but it can no longer write: see blocked._save_npy_into)."""
    deadline = time.monotonic() + timeout
    while any(client.processing().values()):
        assert time.monotonic() < deadline, "the cluster did not go idle"
        time.sleep(0.05)


def old_output(client, corpus, where):
    """An existing blocked output at ``where / "counts"``: the matrix it holds and its files."""
    m = count_distributed(corpus, client, out=where / "counts", n_blocks=3, progress=False, **OLD)
    return m.to_memory(), snapshot(where)


def assert_kept(where, old):
    counts, files = old
    assert snapshot(where) == files  # every file as it was: no staging folder, no lock file, no new block
    kept = Cooccurrence.load(where / "counts")
    kept.verify()
    assert (kept.to_memory().counts != counts.counts).nnz == 0
    assert kept.settings == counts.settings


def assert_same(got, expected):
    assert got.counts.dtype == expected.counts.dtype and (got.counts != expected.counts).nnz == 0
    assert {k: v for k, v in got.settings.items() if k != "count"} == {
        k: v for k, v in expected.settings.items() if k != "count"
    }
    assert (got.per_offset is None) == (expected.per_offset is None)
    for a, b in zip(got.per_offset or [], expected.per_offset or []):
        assert a.dtype == b.dtype and (a != b).nnz == 0


def test_a_count_failing_midway_keeps_the_old_output(client, corpus, tmp_path, monkeypatch):
    """Block 1 cannot be written (the disk is full) after the others were: the staging folder goes, the old stays."""
    old = old_output(client, corpus, tmp_path)
    real, written, folders = blocked.save_block, [], set()
    others_done = threading.Event()

    def failing(folder, index, *args, **kwargs):
        folders.add(str(folder))
        if index == 1:
            others_done.wait(30)  # fail once every other block is in the staging folder: midway, deterministically
            raise OSError(errno.ENOSPC, "No space left on device")
        entry = real(folder, index, *args, **kwargs)
        written.append(index)
        if len(written) == 3:
            others_done.set()
        return entry

    monkeypatch.setattr(blocked, "save_block", failing)
    with pytest.raises(OSError, match="No space left"):
        count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=4, overwrite=True, progress=False, **NEW)
    wait_idle(client)
    assert sorted(written) == [0, 2, 3]
    (staging,) = folders  # beside the output, hidden, never the output's own folder
    assert os.path.dirname(staging) == str(tmp_path) and os.path.basename(staging).startswith(".counts.blocks.")
    assert not os.path.exists(staging)
    assert_kept(tmp_path, old)


def test_the_old_output_stays_readable_until_the_new_one_is_complete(client, corpus, tmp_path, monkeypatch):
    old = old_output(client, corpus, tmp_path)
    real, seen = blocked.write_shared, []

    def check_then_write(folder, name, entries, *args, **kwargs):
        # every new block is written (into the staging folder), the commit has not begun: the old output is whole
        seen.append(len(entries))
        visible = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(".")}  # not the lock, the staging
        assert visible == old[1]
        kept = Cooccurrence.load(tmp_path / "counts")
        kept.verify()
        assert (kept.to_memory().counts != old[0].counts).nnz == 0
        return real(folder, name, entries, *args, **kwargs)

    monkeypatch.setattr(blocked, "write_shared", check_then_write)
    new = count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=2, overwrite=True, progress=False, **NEW)
    assert seen == [2]
    assert names(tmp_path) == ["counts.blocks", "counts.json"]  # the old blocks, the staging folder: gone
    assert new.n_blocks == 2 and new.n_offsets == NEW["window"]
    reopened = Cooccurrence.load(tmp_path / "counts")
    reopened.verify()
    assert_same(reopened.to_memory(), count_cooccurrences(corpus, progress=False, **NEW))


def test_an_interruption_before_the_commit_keeps_the_old_output(client, corpus, tmp_path, monkeypatch):
    """Ctrl-C once the workers wrote every new block, as the client writes the shared files."""
    old = old_output(client, corpus, tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(blocked, "write_shared", interrupted)
    with pytest.raises(KeyboardInterrupt):
        count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=2, overwrite=True, progress=False, **NEW)
    assert_kept(tmp_path, old)


def test_an_interruption_while_the_workers_count_keeps_the_old_output(spilling, tmp_path, monkeypatch):
    """SIGINT (Ctrl-C) reaches this process while a worker thread spills: the count stops, nothing is left."""
    with local_dask_client(processes=False) as c:
        old = old_output(c, spilling, tmp_path)
        monkeypatch.setattr(faults, "_seen", {})  # this process's fault counts: later tests' start from nothing
        monkeypatch.setenv("COOC_FAULT", "count.spill!INT")
        with pytest.raises(KeyboardInterrupt):
            count_distributed(
                spilling, c, out=tmp_path / "counts", overwrite=True, memory="2MB", progress=False, retries=0, **NEW
            )
        monkeypatch.delenv("COOC_FAULT")
        wait_idle(c)  # the parts being counted finish on their threads; no write of this count may follow
        assert_kept(tmp_path, old)


def test_workers_killed_while_counting_keep_the_old_output(spilling, tmp_path, monkeypatch):
    """Every worker process is SIGKILLed when it first spills (``COOC_FAULT=count.spill``): the count fails
    (its workers all died: one line, not Dask's KilledWorker), and the old output is as it was."""
    import dask

    monkeypatch.setattr(faults, "_seen", {})
    monkeypatch.setenv("COOC_FAULT", "count.spill")  # inherited by the worker processes started below
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), local_dask_client(processes=True) as c:
        monkeypatch.delenv("COOC_FAULT")
        old = old_output(c, spilling, tmp_path)  # no spill under the default budget: nobody is killed yet
        with pytest.raises(ClusterError, match=r"the Dask workers running cooc-count-part-\S+ died each time"):
            count_distributed(
                spilling, c, out=tmp_path / "counts", overwrite=True, memory="2MB", progress=False, retries=0, **NEW
            )
        assert_kept(tmp_path, old)


def test_the_cli_keeps_the_old_output_when_its_workers_are_killed(spilling, tmp_path, monkeypatch):
    """`cooc count --scheduler local:2 --blocks 2 --overwrite`, every worker process SIGKILLed at its first spill:
    one error line, exit 1, the old output as it was."""
    import dask
    from typer.testing import CliRunner

    from cooc.cli import app

    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cl,
        distributed.Client(cl) as c,
    ):
        old = old_output(c, spilling, tmp_path)
    monkeypatch.setattr(faults, "_seen", {})
    monkeypatch.setenv("COOC_FAULT", "count.spill")  # the CLI's workers inherit it; the CLI itself never spills
    args = ["count", str(spilling.path), "-o", str(tmp_path / "counts"), "--scheduler", "local:2", "--blocks", "2"]
    args += ["--window", "4", "--per-offset", "--weighting", "harmonic", "--memory", "2MB", "--overwrite"]
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        res = CliRunner().invoke(app, [*args, "--no-progress"])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: the Dask workers running cooc-count-part-"), res.output
    assert "Traceback" not in res.output
    assert_kept(tmp_path, old)


def test_the_cli_keeps_the_old_output_when_the_count_fails(client, corpus, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cooc.cli import app

    old = old_output(client, corpus, tmp_path)
    real = blocked.save_block

    def failing(folder, index, *args, **kwargs):
        if index == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(folder, index, *args, **kwargs)

    address = client.scheduler.address
    args = ["count", str(corpus.path), "-o", str(tmp_path / "counts"), "--scheduler", address, "--blocks", "3"]
    args += ["--window", "4", "--per-offset", "--overwrite", "--no-progress"]
    monkeypatch.setattr(blocked, "save_block", failing)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and res.output.startswith("error: "), res.output
    wait_idle(client)
    assert_kept(tmp_path, old)
    monkeypatch.setattr(blocked, "save_block", real)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert names(tmp_path) == ["counts.blocks", "counts.json"]
    assert_same(
        Cooccurrence.load(tmp_path / "counts").to_memory(),
        count_cooccurrences(corpus, window=4, per_offset=True, progress=False),
    )


def test_a_flat_output_is_replaced_whole_and_kept_on_failure(client, corpus, tmp_path, monkeypatch):
    flat = count_cooccurrences(corpus, progress=False, **OLD)
    flat.save(tmp_path / "counts")
    before = snapshot(tmp_path)

    def failing(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(blocked, "save_block", failing)
    with pytest.raises(OSError, match="Input/output error"):
        count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=2, overwrite=True, progress=False, **NEW)
    wait_idle(client)
    assert snapshot(tmp_path) == before
    assert (Cooccurrence.load(tmp_path / "counts").counts != flat.counts).nnz == 0
    monkeypatch.undo()
    count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=2, overwrite=True, progress=False, **NEW)
    assert names(tmp_path) == ["counts.blocks", "counts.json"]  # the .npz went with the swap


def test_leftovers_of_a_killed_count_are_removed_by_the_next(client, corpus, tmp_path):
    stale = tmp_path / ".counts.blocks.0123456789ab.tmp"
    stale.mkdir()
    (stale / "b00000.data.npy").write_bytes(b"half")
    count_distributed(corpus, client, out=tmp_path / "counts", n_blocks=2, progress=False, **OLD)
    assert names(tmp_path) == ["counts.blocks", "counts.json"]


def test_refusals_come_before_the_scheduler_is_reached_and_write_nothing(corpus, tmp_path):
    """An existing output without overwrite, or a matrix with no words, is refused before connecting (nothing
    listens at this address: reaching it would be a ClusterError) and leaves the old output as it was."""
    nowhere = "tcp://127.0.0.1:9"
    count_cooccurrences(corpus, progress=False, **OLD).save(tmp_path / "counts")
    before = snapshot(tmp_path)
    with pytest.raises(OutputExistsError, match="already exists"):
        count_distributed(corpus, nowhere, out=tmp_path / "counts", progress=False)
    no_words = id_corpus(tmp_path / "empty", [np.zeros(5, np.int32)], 0, shard_tokens=100)
    with pytest.raises(InvalidParameterError, match="no words"):
        count_distributed(no_words, nowhere, out=tmp_path / "counts", overwrite=True, progress=False)
    with pytest.raises(InvalidParameterError, match="memory"):
        count_distributed(corpus, nowhere, memory="lots", progress=False)
    with pytest.raises(InvalidParameterError, match="device"):
        count_distributed(corpus, nowhere, device="gpu", progress=False)
    assert {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("empty")} == before


_RELEASE = threading.Event()  # module state: the tasks below pickle by reference (an Event does not pickle)
_STARTED: list[int] = []


def _stalling_part(path, shard_ids, *args, **kwargs):
    """A count_part that fails at once for shard 0 and waits (at most 60 s) for the others."""
    _STARTED.append(shard_ids[0])
    if shard_ids[0] == 0:
        raise OSError(errno.EIO, "Input/output error")
    _RELEASE.wait(60)
    raise OSError(errno.EIO, "not this one")


def _parts_known(dask_scheduler):
    return sum(str(k).startswith("cooc-count-part-") for k in dask_scheduler.tasks)


def test_a_part_failing_for_good_ends_the_count_at_once_and_cancels_the_rest(client, corpus, tmp_path, monkeypatch):
    """The error of a part whose retries are spent reaches the caller while other parts still run, and the parts
    not started yet never start (the count does not go on using the cluster after it failed)."""
    import cooc.count.distributed as dist

    old = old_output(client, corpus, tmp_path)
    _RELEASE.clear()
    _STARTED.clear()
    monkeypatch.setattr(dist, "count_part", _stalling_part)
    assert corpus.n_shards >= 6
    t0 = time.monotonic()
    try:
        with pytest.raises(OSError, match="Input/output error"):
            count_distributed(corpus, client, out=tmp_path / "counts", overwrite=True, progress=False, retries=0)
        assert time.monotonic() - t0 < 30  # not once the stalled parts gave up (60 s)
        # a cancellation reaches the scheduler on its own (a message, not a call): wait until it forgot the parts
        # before the running ones end, or it could hand a queued part to a worker first
        deadline = time.monotonic() + 20
        while client.run_on_scheduler(_parts_known):
            assert time.monotonic() < deadline, "the scheduler did not forget the parts of the failed count"
            time.sleep(0.05)
    finally:
        _RELEASE.set()
    wait_idle(client)
    assert len(_STARTED) < corpus.n_shards, _STARTED
    assert_kept(tmp_path, old)
