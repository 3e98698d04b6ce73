"""`cooc demo` (filled in by the foundation work)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo() -> None:
        """Run the main job on the shipped data."""
        typer.echo("demo: not yet")
