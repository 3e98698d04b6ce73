"""The notebook studies of ``analyses/``: find them, describe them, run them.

A study is a ``# %%`` script (jupytext percent format, so it opens as a notebook) in the
repository's ``analyses/`` folder. It is small by default (a CPU in CI) and paper-sized
with ``--full``, and writes its PNG figures and ``results.json`` into
``analyses/out/<name>/``. Running a study here means running that script with the current
Python, exactly as a user would (``python analyses/<name>.py [--full]``): a study that
raises fails the run with :class:`StudyError`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core.errors import CoocError, InputDataError

#: The studies in reading order (others found in the folder follow, alphabetically).
STUDIES = (
    "analogies",
    "symmetry",
    "hypernymy",
    "rhm_correlations",
    "rhm_learning",
    "srhm",
    "power_law",
    "varying_tree",
    "latent_prediction",
    "next_token",
    "scaling_laws",
    "word2vec_vs_spectral",
)
ENV_DIR = "COOC_ANALYSES_DIR"
ENV_OUT = "COOC_ANALYSES_OUT"


class StudyError(CoocError):
    """A study script exited with an error (or ran past its time limit)."""


@dataclass(frozen=True)
class StudyInfo:
    """A study script and the first lines of its header.

    Attributes
    ----------
    name : str
        File name without ``.py``.
    path : Path
    title : str
        The header's ``# # Title`` line.
    summary : str
        The header's first paragraph.
    """

    name: str
    path: Path
    title: str
    summary: str


@dataclass
class StudyRun:
    """The outcome of one run of a study.

    Attributes
    ----------
    name : str
    full : bool
    out : Path
        The folder holding the figures and ``results.json``.
    seconds : float
        Wall time of the script.
    results : dict
        The contents of ``results.json``.
    output : str
        What the script printed (empty unless the run captured it).
    """

    name: str
    full: bool
    out: Path
    seconds: float
    results: dict[str, Any]
    output: str = ""

    @property
    def figures(self) -> list[Path]:
        return [self.out / f for f in self.results.get("figures", [])]


def analyses_dir(directory: str | os.PathLike | None = None) -> Path:
    """The folder of the studies: ``directory``, ``$COOC_ANALYSES_DIR``, the repository's ``analyses/``
    (beside the ``cooc`` package of a source checkout), or ``./analyses``."""
    candidates = (
        [directory]
        if directory is not None
        else [os.environ.get(ENV_DIR), Path(__file__).resolve().parents[2] / "analyses", Path.cwd() / "analyses"]
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "_shared.py").is_file():
            return Path(candidate).resolve()
    where = str(directory) if directory is not None else "the repository or the current folder"
    raise InputDataError(
        f"no analyses folder (with _shared.py) found in {where}; run from a checkout of cooc or set ${ENV_DIR}."
    )


def _header(path: Path) -> tuple[str, str]:
    """Title and first paragraph of the leading markdown cell."""
    title, paragraph = "", []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for line in lines[1:]:  # skip the "# %% [markdown]" marker
        if not line.startswith("#") or line.startswith("# %%"):
            break
        text = line[1:].strip()
        if text.startswith("# ") and not title:
            title = text[2:].strip()
        elif text:
            paragraph.append(text)
        elif paragraph:
            break
    return title or path.stem, " ".join(paragraph)


def list_studies(directory: str | os.PathLike | None = None) -> list[StudyInfo]:
    """Every study script of the folder (files not starting with ``_``), in :data:`STUDIES` order first."""
    folder = analyses_dir(directory)
    paths = {p.stem: p for p in folder.glob("*.py") if not p.name.startswith("_")}
    order = [n for n in STUDIES if n in paths] + sorted(n for n in paths if n not in STUDIES)
    return [StudyInfo(n, paths[n], *_header(paths[n])) for n in order]


def find_study(name: str, directory: str | os.PathLike | None = None) -> StudyInfo:
    """The study called ``name`` (the file name without ``.py``)."""
    studies = list_studies(directory)
    for info in studies:
        if info.name == name or info.path.name == name:
            return info
    raise InputDataError(f"no study {name!r}; the studies are {', '.join(s.name for s in studies)}.")


def default_out(name: str, directory: str | os.PathLike | None = None) -> Path:
    """``$COOC_ANALYSES_OUT/<name>`` or ``analyses/out/<name>`` (where the study writes by default)."""
    root = os.environ.get(ENV_OUT)
    return (Path(root) if root else analyses_dir(directory) / "out") / name


def _user_cache() -> Path:
    from ..data import cache_dir

    return cache_dir()


def run_study(
    name: str,
    full: bool = False,
    out: str | os.PathLike | None = None,
    directory: str | os.PathLike | None = None,
    capture: bool = False,
    timeout: float | None = None,
) -> StudyRun:
    """Run one study as a script with the current Python and read back its ``results.json``.

    Parameters
    ----------
    name : str
        A study name (see :func:`list_studies`).
    full : bool
        Pass ``--full``: the paper-scale settings (GPU, full Wikipedia; network and hours).
    out : path, optional
        Output folder (default ``analyses/out/<name>``). With ``out`` the study writes there
        only: its cache goes to ``<out>/_cache`` (or ``$COOC_ANALYSES_CACHE``), Python writes no
        bytecode and numba caches its kernels in the user cache (``$COOC_CACHE``, ``~/.cache/cooc``).
    directory : path, optional
        The analyses folder (default: see :func:`analyses_dir`).
    capture : bool
        Capture the script's output (returned in ``StudyRun.output``, and its tail put in
        the error message) instead of letting it print.
    timeout : float, optional
        Seconds before the script is stopped and the run fails.

    Raises
    ------
    StudyError
        The script exited with an error, ran past ``timeout`` or wrote no results.
    """
    info = find_study(name, directory)
    target = Path(out).resolve() if out is not None else default_out(info.name, directory)
    command = [sys.executable, str(info.path), "--out", str(target)] + (["--full"] if full else [])
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    # A study writes under its output folder only: no bytecode beside the scripts or the package,
    # numba's compiled kernels in the user cache rather than in the package's __pycache__.
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.setdefault("NUMBA_CACHE_DIR", str(_user_cache() / "numba"))
    started = time.perf_counter()
    try:
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} if capture else {}
        done = subprocess.run(command, cwd=info.path.parent, env=env, timeout=timeout, text=True, **pipes)
    except subprocess.TimeoutExpired:
        raise StudyError(f"study {info.name!r} ran past its {timeout:g} s limit and was stopped.") from None
    seconds = time.perf_counter() - started
    output = done.stdout or ""
    if done.returncode != 0:
        tail = " | ".join(line for line in output.strip().splitlines()[-3:]) if capture else "see its output above"
        raise StudyError(f"study {info.name!r} failed (exit code {done.returncode}): {tail}")
    from .._core.io import load_json

    try:
        results = load_json(target / "results.json", what=f"study {info.name!r} results")
    except CoocError as exc:
        raise StudyError(f"study {info.name!r} finished without writing its results: {exc}") from None
    return StudyRun(info.name, full, target, seconds, results, output)
