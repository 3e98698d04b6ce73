"""Shared pieces of the CLI: one-line errors, tables, the console."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from .._core.errors import CoocError

console = Console()
err_console = Console(stderr=True)


_DEBUG = {"on": False}
#: what the running command keeps when it is interrupted (set by :func:`interrupt_keeps`)
_KEPT = {"note": "nothing it was making is kept; a rerun starts over."}
#: folders :func:`check_writable` made for the running command, deepest last; those still empty when the
#: command fails are removed, so a failed command leaves no empty output folder behind
_MADE: list[Path] = []


def set_debug(on: bool) -> None:
    """Under ``cooc --debug`` errors propagate with their traceback instead of becoming one line."""
    _DEBUG["on"] = bool(on)


def interrupt_keeps(note: str) -> None:
    """Declare what the running command keeps if it is interrupted (said in the interrupt message).

    An interruption that carries its own note (:func:`cooc._core.signals.note_kept`), written by
    the code that knows what it saved, takes precedence.
    """
    _KEPT["note"] = note


def cli_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`CoocError`, a ValueError from bad input or an OSError (a full disk, a folder that
    cannot be written) into ``error: ...`` and exit code 1; Ctrl-C or SIGTERM into a line saying what
    is kept, and exit code 130 (143 for SIGTERM)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _KEPT["note"] = "nothing it was making is kept; a rerun starts over."
        _MADE.clear()
        try:
            return _run(func, *args, **kwargs)
        except typer.Exit as exc:
            if exc.exit_code != 0:
                _remove_empty_made()
            raise
        except BaseException:
            _remove_empty_made()
            raise

    return wrapper


def _run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func`` with SIGTERM as an interrupt, its failures turned into one ``error:`` line and an exit code."""
    from .._core.signals import Terminated, kept_note, terminate_as_interrupt

    if _DEBUG["on"]:
        with terminate_as_interrupt():
            return func(*args, **kwargs)
    try:
        with terminate_as_interrupt():
            return func(*args, **kwargs)
    except CoocError as exc:
        _fail(_with_note(str(exc), exc))
    except OSError as exc:
        _fail(_with_note(describe_os_error(exc), exc))
    except ValueError as exc:
        _fail(str(exc))
    except MemoryError as exc:  # numpy's names the array it could not allocate
        detail = f": {exc}" if str(exc) else ""
        _fail(_with_note(f"out of memory{detail}; ask for less (a smaller size, vocabulary or batch)", exc))
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _fail(f"{how}; {kept_note(exc) or _KEPT['note']}", code=143 if isinstance(exc, Terminated) else 130)


def _remove_empty_made() -> None:
    """Remove the folders :func:`check_writable` made that are still empty, deepest first."""
    import os

    for folder in reversed(_MADE):
        try:
            os.rmdir(folder)  # only an empty folder; one that holds anything is kept
        except OSError:
            pass
    _MADE.clear()


def _with_note(message: str, exc: BaseException) -> str:
    from .._core.signals import kept_note

    note = kept_note(exc)
    return f"{message.rstrip('.')}; {note}" if note else message


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error: what failed, on which file, in plain words."""
    import errno

    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device{where}; free some space (or write elsewhere) and run this again."
    if exc.errno == errno.EDQUOT:
        return f"disk quota exceeded{where}; free some space (or write elsewhere) and run this again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied{where}: this location cannot be written or read; choose another."
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{text}{where}."


def _fail(message: str, code: int = 1) -> None:
    message = " ".join(message.split()) or "failed"
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def check_file_output(path: Path, example: str) -> None:
    """``-o`` names a file's base (BASE.npz and BASE.json, ...): an existing folder there is refused, with
    a path inside it to give instead (the files would land beside the folder, named after it)."""
    from .._core.errors import InvalidParameterError

    if path.is_dir():
        raise InvalidParameterError(
            f"{str(path)!r} is a folder; -o names the output file (its base name), e.g. {str(path / example)!r}."
        )


def check_writable(folder: Path, what: str = "output folder") -> None:
    """Fail now, before any work, when ``folder`` cannot be made or written (it is made if missing; if
    the command then fails, the folders made here are removed while they are empty)."""
    import os
    import tempfile

    from .._core.errors import InvalidParameterError

    missing = [p for p in [folder, *folder.parents] if not os.path.lexists(p)]
    blocking = next((p for p in [folder, *folder.parents] if os.path.lexists(p)), None)
    if blocking is not None and not blocking.is_dir():  # mkdir's own word for this is "File exists"
        raise InvalidParameterError(
            f"cannot write the {what} {str(folder)!r}: {str(blocking)!r} is a file, not a folder."
        )
    _MADE.extend(p for p in reversed(missing) if p not in _MADE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".cooc-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = describe_os_error(exc).rstrip(".")
        raise InvalidParameterError(f"cannot write the {what} {str(folder)!r}: {reason}.") from None


def refuse_existing(paths: list[Path], overwrite: bool) -> None:
    """Refuse, before any work, to replace existing results unless ``--overwrite``."""
    from .._core.errors import InvalidParameterError, OutputExistsError

    folder = next((p for p in paths if p.is_dir()), None)
    if folder is not None:  # --overwrite would fail late, naming a temporary file
        raise InvalidParameterError(f"{str(folder)!r} is a folder; the output there is a file: give a file's name.")
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        shown = ", ".join(repr(str(p)) for p in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise OutputExistsError(
            f"{shown} already exist{'s' if len(existing) == 1 else ''}; pass --overwrite to replace."
        )


def check_single_output(path: Path, what: str, overwrite: bool) -> None:
    """Before any work, for an output written as one file (``--output`` results): not a corpus's own file
    (not even with ``--overwrite``), not a folder, existing only with ``--overwrite``, its folder writable."""
    from .._core.kinds import refuse_corpus_files

    refuse_corpus_files([path], what)
    refuse_existing([path], overwrite)
    check_writable(path.parent, "output folder")


def check_pair_output(path: Path, example: str, what: str, overwrite: bool) -> Path:
    """Before any work, for an output written as ``BASE.npz`` + ``BASE.json`` (counts, an embedding): ``-o``
    is no folder, neither file is a corpus's own, existing ones need ``--overwrite``, the folder is writable.
    Returns ``BASE``."""
    from .._core.kinds import refuse_corpus_files

    check_file_output(path, example)
    base = path.with_suffix("") if path.suffix in (".npz", ".json") else path
    pair = [base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")]
    refuse_corpus_files(pair, what)
    refuse_existing(pair, overwrite)
    check_writable(base.parent, "output folder")
    return base


def given(ctx: typer.Context, name: str) -> bool:
    """Whether the user set the option of parameter ``name`` (on the command line), rather than leaving it at
    its default; an option given with its default value is given all the same."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def flag(ctx: typer.Context, name: str) -> str:
    """How the command line spells the option of parameter ``name``: its first long name (``--threads`` for
    ``--threads/--workers``; ``--no-probe`` for ``--probe/--no-probe`` set to False)."""
    for param in ctx.command.params:
        if param.name == name:
            secondary = getattr(param, "secondary_opts", None) or []
            opts = secondary if secondary and ctx.params.get(name) is False else param.opts
            return next((o for o in opts if o.startswith("--")), opts[0])
    return "--" + name.replace("_", "-")


def refuse_given(ctx: typer.Context, names: list[str], where: str, why: str = "") -> None:
    """Refuse, before any work, the options among ``names`` (parameter names) that the user set although
    they ``do not apply to <where>``: an option the chosen mode never reads is an error, never ignored.
    ``why`` (optional) follows the message after a colon."""
    from .._core.errors import InvalidParameterError

    flags = [flag(ctx, name) for name in names if given(ctx, name)]
    if flags:
        verb = "does" if len(flags) == 1 else "do"
        raise InvalidParameterError(f"{', '.join(flags)} {verb} not apply to {where}" + (f": {why}" if why else "."))


#: ``--progress/--no-progress`` on every long command; bars are drawn on a terminal only (never into a log file).
PROGRESS = typer.Option(True, "--progress/--no-progress", help="Show progress bars (on a terminal only).")

#: ``--json`` on every command that prints data: the same data, machine-readable, on stdout.
JSON = typer.Option(False, "--json", help="Print the data as JSON on stdout instead of tables.")


def print_json(data: Any) -> None:
    """Strict JSON (no NaN) of ``data`` on stdout."""
    from .._core.io import json_text

    typer.echo(json_text(data))


def kv_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in rows:
        number = isinstance(value, int) and not isinstance(value, bool)  # True is no count: shown as True, not 1
        table.add_row(str(key), f"{value:,}" if number else str(value))
    return table


def is_tty() -> bool:
    return sys.stderr.isatty()
