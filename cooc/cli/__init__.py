"""The ``cooc`` command line: a typer app whose commands are thin wrappers over the API.

Each command module defines ``register(app)``; heavy imports happen inside the
commands, so ``cooc --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="cooc",
    help="Word co-occurrence statistics and the geometry of word embeddings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command group; add a name here when a new group lands.
COMMAND_MODULES = ["corpus", "demo", "geometry", "spectral", "count", "train", "analyses"]

for _name in COMMAND_MODULES:
    importlib.import_module(f"cooc.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()
