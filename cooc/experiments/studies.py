"""The notebook studies: find them, describe them, run them (as scripts or as executed notebooks).

A study is a ``# %%`` script (jupytext percent format, so it opens as a notebook) shipped in
the package's ``cooc/studies/`` folder (``analyses/`` in a checkout links to it), so that an
installed package runs them too. It is small by default (a CPU in CI) and paper-sized with
``--full``, and writes its PNG figures and ``results.json`` into its output folder.
Running a study here means running that script with the current Python, exactly as a user
would (``python analyses/<name>.py [--full]``), or, with ``notebook=True``, executing it as a
notebook (jupytext + nbclient) and keeping the executed ``.ipynb`` and an HTML rendering
beside the figures. A study that raises fails the run with :class:`StudyError`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core.errors import CoocError, InputDataError, InvalidParameterError
from .._core.params import Interval, validate

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

    def reads(self) -> set[str]:
        """Which of the run options ``"jobs"`` and ``"resume"`` the script reads: its training loops take
        ``study.jobs`` (runs at once) and ``study.ledger`` (recorded runs, with ``--resume``)."""
        text = self.path.read_text(encoding="utf-8")
        return {option for option, use in (("jobs", "study.jobs"), ("resume", "study.ledger")) if use in text}


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
    """The folder of the studies: ``directory``, ``$COOC_ANALYSES_DIR``, or the package's ``studies/``."""
    candidates = (
        [directory]
        if directory is not None
        else [os.environ.get(ENV_DIR), Path(__file__).resolve().parents[1] / "studies"]
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "_shared.py").is_file():
            return Path(candidate).resolve()
    where = str(directory) if directory is not None else "the package (a damaged install?)"
    raise InputDataError(f"no studies folder (with _shared.py) found in {where}; reinstall cooc or set ${ENV_DIR}.")


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


def out_root(directory: str | os.PathLike | None = None) -> Path:
    """The folder the studies write into by default: ``$COOC_ANALYSES_OUT``, else ``out/`` beside the studies
    (``analyses/out`` in a checkout, or beside a folder of studies of one's own) where that is writable,
    else ``./analyses-out``. The studies of an installed package (a wheel in a virtual environment) write
    to ``./analyses-out`` even where their folder is writable: outputs never go into ``site-packages``."""
    root = os.environ.get(ENV_OUT)
    if root:
        return Path(root)
    beside = analyses_dir(directory)
    if os.access(beside, os.W_OK) and not _installed_package(beside):
        return beside / "out"
    return Path.cwd() / "analyses-out"


def _installed_package(folder: Path) -> bool:
    """Whether ``folder`` is the package's own studies in an installed copy (no ``pyproject.toml`` above
    the package, as there is in a checkout or an editable install)."""
    own = Path(__file__).resolve().parents[1] / "studies"
    return folder.resolve() == own and not (own.parents[1] / "pyproject.toml").is_file()


def default_out(name: str, directory: str | os.PathLike | None = None) -> Path:
    """Where a study writes by default: ``<out_root>/<name>`` (:func:`out_root`)."""
    return out_root(directory) / name


def run_study(
    name: str,
    full: bool = False,
    out: str | os.PathLike | None = None,
    directory: str | os.PathLike | None = None,
    capture: bool = False,
    timeout: float | None = None,
    notebook: bool = False,
    resume: bool | None = None,
    jobs: int = 1,
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
    notebook : bool
        Execute the study as a notebook instead (jupytext + nbclient, the ``python3`` kernel) and
        write ``<out>/<name>.ipynb`` with its outputs and ``<out>/<name>.html``.
    resume : bool, optional
        Record every training run in ``<out>/runs.jsonl`` and take the runs recorded there
        instead of training them again (the studies that train networks); default: with
        ``full``.
    jobs : int, default 1
        Training runs at once, each in a process of its own, in the studies whose runs are single
        networks (``next_token``, ``scaling_laws``, ``varying_tree``'s transformers, ``rhm_learning``'s
        transformer); the others train as before.

    Raises
    ------
    StudyError
        The script exited with an error, ran past ``timeout`` or wrote no results.
    """
    validate({"timeout": timeout}, {"timeout": Interval(float, 0, None, "neither", allow_none=True)}, "run_study")
    info = find_study(name, directory)
    target = Path(out).resolve() if out is not None else default_out(info.name, directory)
    command = [sys.executable, str(info.path), "--output", str(target)] + (["--full"] if full else [])
    if resume is not None:
        command.append("--resume" if resume else "--no-resume")
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    # A study writes under its output folder only: no bytecode beside the scripts or the package
    # (cooc's compiled kernels go to the user cache: cooc._core.numba_cache).
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if jobs < 1:
        raise InvalidParameterError(f"parameter 'jobs' must be at least 1, got {jobs}.")
    if jobs > 1:
        env["COOC_STUDY_JOBS"] = str(int(jobs))  # read by the study's start(), as a script or a notebook
    started = time.perf_counter()
    if notebook:
        if resume is not None:
            env["COOC_STUDY_RESUME"] = "1" if resume else "0"
        output = _execute_notebook(info, target, full, env, timeout)
        return _finished(info, full, target, time.perf_counter() - started, output)
    try:
        done = subprocess.run(
            command,
            cwd=info.path.parent,
            env=env,
            timeout=timeout,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )
    except subprocess.TimeoutExpired:
        raise StudyError(f"study {info.name!r} ran past its {timeout:g} s limit and was stopped.") from None
    seconds = time.perf_counter() - started
    output = done.stdout or ""
    if done.returncode != 0:
        tail = " | ".join(line for line in output.strip().splitlines()[-3:]) if capture else "see its output above"
        raise StudyError(f"study {info.name!r} failed (exit code {done.returncode}): {tail}")
    return _finished(info, full, target, seconds, output)


def study_output(folder: str | os.PathLike) -> StudyRun | None:
    """The finished run whose output ``folder`` is (its ``results.json`` written by a study), else None.

    What ``cooc info FOLDER`` shows of a study's output: its name, settings, time and figures.
    """
    from .._core.io import load_json

    path = Path(folder) / "results.json"
    if not path.is_file():
        return None
    try:
        results = load_json(path, what="a study's results")
    except CoocError:  # not JSON: no study wrote it
        return None
    if not isinstance(results, dict) or not {"study", "results"} <= results.keys():
        return None
    figures = results.get("figures", [])
    if not isinstance(figures, list) or not all(isinstance(f, str) for f in figures):
        return None  # a study writes its figures' file names
    seconds = results.get("seconds")
    total = seconds.get("total") if isinstance(seconds, dict) else None
    total = float(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else float("nan")
    return StudyRun(str(results["study"]), bool(results.get("full")), Path(folder), total, results)


def _finished(info: StudyInfo, full: bool, target: Path, seconds: float, output: str) -> StudyRun:
    from .._core.io import load_json

    try:
        results = load_json(target / "results.json", what=f"study {info.name!r} results")
    except CoocError as exc:
        raise StudyError(f"study {info.name!r} finished without writing its results: {exc}") from None
    return StudyRun(info.name, full, target, seconds, results, output)


def _execute_notebook(info: StudyInfo, target: Path, full: bool, env: dict[str, str], timeout: float | None) -> str:
    """Run the study's cells in a Jupyter kernel; write the executed notebook and its HTML beside the figures."""
    try:
        import jupytext
        import nbclient
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:
        from .._core.errors import MissingDependencyError

        raise MissingDependencyError(
            'executing a study as a notebook needs jupytext, nbclient and nbconvert: pip install "cooc[notebook]"'
        ) from None
    from .._core.io import atomic_write_text

    notebook = jupytext.read(info.path)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # the kernel inherits the study's settings through the environment (its own argv is Jupyter's)
    kernel_env = dict(env, COOC_STUDY_OUT=str(target), COOC_STUDY_FULL="1" if full else "")
    client = nbclient.NotebookClient(
        notebook,
        timeout=None if timeout is None else int(timeout),
        kernel_name="python3",
        resources={"metadata": {"path": str(info.path.parent)}},
    )
    target.mkdir(parents=True, exist_ok=True)
    try:
        client.execute(env=kernel_env)
    except nbclient.exceptions.CellExecutionError as exc:
        last = " ".join(str(exc).strip().splitlines()[-1:])
        raise StudyError(f"study {info.name!r} failed in its notebook: {last}") from None
    except TimeoutError:
        raise StudyError(f"study {info.name!r} ran past its {timeout:g} s limit and was stopped.") from None
    finally:
        atomic_write_text(target / f"{info.name}.ipynb", nbformat.writes(notebook))
    body, _ = HTMLExporter().from_notebook_node(notebook)
    atomic_write_text(target / f"{info.name}.html", body)
    return ""
