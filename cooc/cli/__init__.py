"""The ``cooc`` command line: a typer app whose commands are thin wrappers over the API.

Each command module defines ``register(app)``; heavy imports happen inside the
commands, so ``cooc --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="cooc",
    help="Word co-occurrence statistics and the geometry of word embeddings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from .._core.version import __version__

        typer.echo(f"cooc {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: bool = typer.Option(
        False, "--debug", help="Log everything and show the full traceback of an error instead of one line."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Word co-occurrence statistics and the geometry of word embeddings."""
    from .._core.logs import configure_cli_logging
    from ._common import set_debug

    set_debug(debug)
    configure_cli_logging(debug)


# One module per command group; add a name here when a new group lands.
COMMAND_MODULES = ["corpus", "demo", "geometry", "spectral", "count", "train", "analyses", "interchange"]

for _name in COMMAND_MODULES:
    importlib.import_module(f"cooc.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point.

    When the command is over, every object still alive is frozen out of the garbage collector:
    the interpreter's final collection then skips the compiled kernels' many objects, which
    took 0.2-0.4 s after every numba command (measured on `cooc count`; the process's memory is
    returned whole at exit anyway). Files and locks are closed by the command itself. Not when
    Triton was loaded (the torch commands): its nanobind bindings print every object still
    alive at exit as a leak, several hundred lines after the command's own output.
    """
    import gc

    try:
        app()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        if "triton" not in sys.modules:
            gc.freeze()
