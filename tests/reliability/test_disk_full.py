"""A full disk: every command stops with one ``error:`` line, leaves no half-written result and no temporary
file, and a rerun with room finishes the job (a build resumes from the shards it had committed)."""

from __future__ import annotations

import errno
import os
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc import TokenCorpus

from .conftest import BUILD, corpus_content, junk

runner = CliRunner()


class SmallDisk:
    """A folder on a small filesystem: a real tmpfs where this machine lets a test mount one (root with the
    right to mount), else a folder whose writes fail with ENOSPC beyond ``size`` bytes (checked at each
    write's fsync, which every cooc file write calls)."""

    def __init__(self, path, size: int, monkeypatch, real: bool):
        self.path, self.size = path, size
        path.mkdir()
        self.real = real and os.geteuid() == 0 and self._mount(f"size={size}")
        if real and not self.real:
            pytest.skip("this machine does not let the tests mount a tmpfs; the simulated disk runs instead")
        if not self.real:
            real_fsync = os.fsync

            def fsync(fd: int) -> None:
                name = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
                if name.startswith(str(self.path)) and self._used() > self.size:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                real_fsync(fd)

            monkeypatch.setattr(os, "fsync", fsync)
            real_save = np.save

            def save(file, arr, *args, **kwargs):  # spilled runs are written with np.save, not fsynced
                if isinstance(file, (str, os.PathLike)) and str(file).startswith(str(self.path)):
                    if self._used() + np.asarray(arr).nbytes > self.size:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
                real_save(file, arr, *args, **kwargs)

            monkeypatch.setattr(np, "save", save)

    def _mount(self, options: str, remount: bool = False) -> bool:
        command = ["mount", "-t", "tmpfs", "-o", ("remount," if remount else "") + options, "tmpfs", str(self.path)]
        return subprocess.run(command, capture_output=True).returncode == 0

    def _used(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def grow(self, size: int) -> None:
        self.size = size
        if self.real:
            assert self._mount(f"size={size}", remount=True)

    def close(self) -> None:
        if self.real:
            subprocess.run(["umount", str(self.path)], capture_output=True)


@pytest.fixture(params=["tmpfs", "simulated"])
def disk(tmp_path, monkeypatch, request):
    d = SmallDisk(tmp_path / "disk", 256 * 1024, monkeypatch, real=request.param == "tmpfs")
    yield d
    d.close()


def full(args: list) -> str:
    res = runner.invoke(app_(), [str(a) for a in args])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: no space left on the device"), res.output
    assert len(res.output.strip().splitlines()) == 1
    return res.output


def app_():
    from cooc.cli import app

    return app


def test_a_build_on_a_full_disk_stops_cleanly_and_resumes_with_room(disk, text, reference):
    out = disk.path / "corpus"
    full(["corpus", "build", text, "-o", out, "--workers", 1, *BUILD])
    assert not (out / "manifest.json").exists() and not list(out.rglob("*.tmp"))
    disk.grow(64 * 1024 * 1024)
    res = runner.invoke(app_(), ["corpus", "build", str(text), "-o", str(out), "--workers", "1", *BUILD])
    assert res.exit_code == 0, res.output
    assert corpus_content(out) == corpus_content(reference.path) and junk(out) == []


def test_counts_and_spills_on_a_full_disk(disk, corpus):
    full(["count", corpus.path, "-o", disk.path / "counts", "--window", 5])
    assert junk(disk.path) == [] and list(disk.path.iterdir()) == []  # nothing half-written, no lock, no temp
    outside = corpus.path.parent / "counts"
    full(["count", corpus.path, "-o", outside, "--window", 5, "--memory", "2MB", "--spill-dir", disk.path])
    assert list(disk.path.iterdir()) == [] and not outside.with_suffix(".npz").exists()
    TokenCorpus.open(corpus.path)  # the corpus it read is untouched
