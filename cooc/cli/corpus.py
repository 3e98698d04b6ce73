"""`cooc corpus ...` commands (filled in by the foundation work)."""
from __future__ import annotations

import typer

corpus_app = typer.Typer(help="Build and inspect token corpora.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
