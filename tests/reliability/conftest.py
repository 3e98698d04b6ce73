"""The fault-injection suite: run cooc as a user would, break things on purpose, and check that it
never returns something wrong with exit status 0.

Processes are killed at named points through ``COOC_FAULT`` (see :mod:`cooc._core.fault`s):
``point`` kills with SIGKILL, ``point!INT`` interrupts like Ctrl-C, ``point!STOP`` freezes the
process there (holding whatever it holds) until the test sends SIGCONT.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
WORDS = [f"w{i:04d}" for i in range(5000)]


def write_text(path: Path, n_docs: int = 3000, seed: int = 0, n_words: int = len(WORDS)) -> Path:
    """Zipf-distributed words, one document per line (about 100k tokens for 3000 documents)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_words + 1)
    p /= p.sum()
    lines = [" ".join(rng.choice(WORDS[:n_words], size=int(rng.integers(5, 60)), p=p)) for _ in range(n_docs)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


#: build settings shared by the subprocess builds and the reference (small shards: many phases to kill)
BUILD = ["--shard-tokens", "8000", "--no-progress"]


def cooc_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("COOC_FAULT", None)
    env.update(extra)
    return env


def start(args: list[str], cwd: Path, **env: str) -> subprocess.Popen:
    """``python -m cooc ARGS`` in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "cooc", *map(str, args)],
        cwd=cwd,
        env=cooc_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(args: list[str], cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """``python -m cooc ARGS`` to the end."""
    proc = start(args, cwd, **env)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_python(code: str, cwd: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=cooc_env(**env), capture_output=True, text=True, timeout=timeout
    )


def one_line_error(stderr: str) -> str:
    """The ``error: ...`` line a failed command printed, checked to be its only complaint (no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def wait_stopped(proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until ``proc`` froze itself (SIGSTOP at a fault point)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with open(f"/proc/{proc.pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.05)
    raise AssertionError("the process did not reach its fault point")


def resume(proc: subprocess.Popen, timeout: float = 120) -> subprocess.CompletedProcess:
    proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def junk(folder: Path) -> list[str]:
    """Temporary files and work folders of cooc left in ``folder`` (recursively)."""
    found = []
    for path in folder.rglob("*"):
        name = path.name
        if name.endswith(".tmp") or name.endswith(".lock") or name in (".build", ".build-done"):
            found.append(str(path.relative_to(folder)))
        if name.startswith("cooc-spill-") or name.startswith(".cooc-write-test-"):
            found.append(str(path.relative_to(folder)))
    return sorted(found)


def corpus_content(path: Path) -> dict[str, str]:
    """What defines a corpus's content: its vocabulary and shards, by checksum (not its creation time)."""
    import json

    manifest = json.loads((path / "manifest.json").read_text())
    content = dict(manifest["files"])
    for shard in manifest["shards"]:
        content[shard["tokens"]] = shard["tokens_checksum"]
        content[shard["docs"]] = shard["docs_checksum"]
    return content


@pytest.fixture(scope="session")
def text(tmp_path_factory) -> Path:
    return write_text(tmp_path_factory.mktemp("text") / "text.txt")


@pytest.fixture(scope="session")
def reference(tmp_path_factory, text):
    """The corpus the subprocess builds must reproduce, built in this process."""
    from cooc.corpus.build import build_corpus

    return build_corpus(text, tmp_path_factory.mktemp("ref") / "corpus", shard_tokens=8000, progress=False, workers=1)


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """A corpus of 16k tokens and 300 words (for trainings)."""
    from cooc.corpus.build import build_corpus

    folder = tmp_path_factory.mktemp("small")
    text = write_text(folder / "text.txt", n_docs=500, seed=1, n_words=300)
    return build_corpus(text, folder / "corpus", progress=False, workers=1)


@pytest.fixture
def corpus(tmp_path, reference):
    """A private copy of the reference corpus, free to damage."""
    from cooc import TokenCorpus

    shutil.copytree(reference.path, tmp_path / "corpus")
    return TokenCorpus.open(tmp_path / "corpus")


@pytest.fixture
def enospc(monkeypatch):
    """Make every atomic write fail as on a full disk (at its fsync, after the data were written)."""
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def install(target: str = "os.fsync") -> None:
        monkeypatch.setattr(target, full)

    return install
