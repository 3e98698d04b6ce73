"""`cooc demo`: the main job on the shipped Wikipedia sample (or, with --full, on full English Wikipedia)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import PROGRESS, check_writable, cli_errors, console, interrupt_keeps, is_tty, refuse_existing


def register(app: typer.Typer) -> None:
    @app.command()
    @cli_errors
    def demo(
        out: Path = typer.Option(
            Path("demo-out"), "--output", "-o", "--out", help="Output folder for the report and plots."
        ),
        full: bool = typer.Option(
            False,
            help="Full English Wikipedia (hf:wikimedia/wikipedia:20231101.en): "
            "a ~20 GB download and hours; a GPU helps.",
        ),
        vocab_size: int | None = typer.Option(None, help="Override V (default 4,000; 10,000 with --full)."),
        dim: int | None = typer.Option(None, help="Override K (default 100; 1,000 with --full)."),
        device: str | None = typer.Option(None, help="cpu, cuda or auto (default cpu; auto with --full)."),
        overwrite: bool = typer.Option(
            False,
            "--overwrite",
            help="Replace the results of an earlier demo (or any file it writes) in --output, "
            "and a corpus there built with other settings or damaged (rebuilt).",
        ),
        progress: bool = PROGRESS,
    ) -> None:
        """Text -> corpus -> counts -> M* embedding -> analogies (two protocols) -> attribute-model theory
        check -> report.md and PNG plots."""
        from .._core.locks import lock_directory
        from ..experiments.demo import FULL, OUTPUT_FILES, SMALL, run_demo, with_overrides

        refuse_existing([out / name for name in OUTPUT_FILES], overwrite)
        check_writable(out, "output folder")
        interrupt_keeps(
            f"the corpus built so far is kept in {str(out / 'corpus')!r} (a rerun resumes it); later steps start over."
        )
        config = with_overrides(FULL if full else SMALL, vocab_size=vocab_size, dim=dim, device=device)
        if dim is not None:
            config = with_overrides(config, ks=tuple(k for k in config.ks if k < dim) + (dim,))
        with lock_directory(out, what="demo output folder"):
            run = run_demo(
                out,
                config=config,
                progress=progress and is_tty(),
                log=lambda line: console.print(line, highlight=False),
                overwrite=overwrite,
            )
        typer.echo("")
        typer.echo(run.report)  # plain text: the shell commands in it must not be re-wrapped
        typer.echo(f"Report and plots in {out}/ (total {run.seconds['total']:.0f} s).")
