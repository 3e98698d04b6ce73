"""`cooc analyses list` and `cooc analyses run [NAME ...] [--full]`: the notebook studies of analyses/."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import JSON, check_writable, cli_errors, console, interrupt_keeps, print_json, refuse_given

analyses_app = typer.Typer(
    help="The notebook studies (cooc/studies, analyses/ in a checkout): list them, run them.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(analyses_app, name="analyses")

    @analyses_app.command("list")
    @cli_errors
    def list_command(
        directory: Path | None = typer.Option(None, "--dir", help="A folder of studies (default: the package's)."),
        as_json: bool = JSON,
    ) -> None:
        """List the studies with their titles."""
        from rich.table import Table

        from ..experiments.studies import list_studies

        if as_json:
            print_json([{"name": s.name, "title": s.title, "path": str(s.path)} for s in list_studies(directory)])
            return

        table = Table(title="studies (cooc analyses run NAME)", title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("title")
        for info in list_studies(directory):
            table.add_row(info.name, info.title)
        console.print(table)

    @analyses_app.command("run")
    @cli_errors
    def run_command(
        ctx: typer.Context,
        names: list[str] | None = typer.Argument(None, help="Studies to run (default: all)."),
        full: bool = typer.Option(
            False, help="Paper scale: full English Wikipedia, larger models; a GPU, a ~20 GB download and hours."
        ),
        out: Path | None = typer.Option(
            None,
            "--output",
            "-o",
            "--out",
            help="Output folder for a single study (default analyses/out/NAME, or ./analyses-out/NAME).",
        ),
        directory: Path | None = typer.Option(None, "--dir", help="A folder of studies (default: the package's)."),
        timeout: float | None = typer.Option(None, help="Seconds allowed per study."),
        resume: bool | None = typer.Option(
            None,
            "--resume/--no-resume",
            help="Record each training run in OUTPUT/runs.jsonl and reuse recorded runs (default: with --full).",
            show_default=False,
        ),
        jobs: int = typer.Option(
            1,
            "--jobs",
            min=1,
            help="Training runs at once, each in a process of its own (the language models of next_token and scaling_laws, varying_tree's transformers, rhm_learning's transformer with --full).",
        ),
        notebook: bool = typer.Option(
            False, "--notebook", help="Execute as a notebook; keep NAME.ipynb (with outputs) and NAME.html."
        ),
    ) -> None:
        """Run studies as scripts (python analyses/NAME.py), or as notebooks; each writes PNGs and results.json."""
        from rich.table import Table

        from .._core.errors import InvalidParameterError
        from ..experiments.studies import find_study, list_studies, run_study

        chosen = [find_study(n, directory).name for n in names] if names else [s.name for s in list_studies(directory)]
        if out is not None and len(chosen) != 1:
            raise InvalidParameterError(f"--output names one folder, so it needs exactly one study; got {len(chosen)}.")
        if out is not None:
            check_writable(out, "output folder")
        if directory is None:  # the package's studies: an option none of the chosen ones reads is refused
            reads = set().union(*(find_study(n).reads() for n in chosen))
            which = "study " + chosen[0] if len(chosen) == 1 else "these studies"
            why = {
                "jobs": "it runs no training in processes of its own",
                "resume": "it records no training runs to reuse",
            }
            for option in ("jobs", "resume"):
                if option not in reads:
                    readers = [s.name for s in list_studies() if option in s.reads()]
                    refuse_given(ctx, [option], which, f"{why[option]} (the studies that do: {', '.join(readers)}).")
        resuming = full if resume is None else resume
        interrupt_keeps(
            "the studies that finished keep their results; the one running is incomplete"
            + (
                " (its finished training runs are kept in runs.jsonl and reused when it runs again)."
                if resuming
                else "."
            )
        )
        runs = []
        for name in chosen:
            console.print(f"[bold]{name}[/bold]{' (--full)' if full else ''} ...", highlight=False)
            runs.append(
                run_study(
                    name,
                    full=full,
                    out=out,
                    directory=directory,
                    timeout=timeout,
                    notebook=notebook,
                    resume=resume,
                    jobs=jobs,
                )
            )
        table = Table(title="studies run", title_justify="left")
        for header in ("study", "seconds", "figures", "folder"):
            table.add_column(header)
        for run in runs:
            table.add_row(run.name, f"{run.seconds:.0f}", str(len(run.figures)), str(run.out))
        console.print(table)
