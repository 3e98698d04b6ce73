"""Shared pieces of the CLI: one-line errors, tables, the console."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from .._core.errors import CoocError

console = Console()
err_console = Console(stderr=True)


_DEBUG = {"on": False}


def set_debug(on: bool) -> None:
    """Under ``cooc --debug`` errors propagate with their traceback instead of becoming one line."""
    _DEBUG["on"] = bool(on)


def cli_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`CoocError` (or a ValueError from bad input) into ``error: ...`` and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _DEBUG["on"]:
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        except CoocError as exc:
            _fail(str(exc))
        except (ValueError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; finished work is kept and a rerun of the same command resumes it.", code=130)

    return wrapper


def _fail(message: str, code: int = 1) -> None:
    message = " ".join(message.split()) or "failed"
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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
        table.add_row(str(key), f"{value:,}" if isinstance(value, int) else str(value))
    return table


def is_tty() -> bool:
    return sys.stderr.isatty()
