"""`cooc train word2vec`, `cooc train grammar` and `cooc train lm`: thin wrappers over cooc.train."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._common import (
    PROGRESS,
    check_pair_output,
    check_writable,
    cli_errors,
    console,
    interrupt_keeps,
    kv_table,
    refuse_existing,
    refuse_given,
)

train_app = typer.Typer(help="Train word2vec on a corpus, or small networks on grammars.", no_args_is_help=True)


def parse_samples(text: str) -> list[int]:
    """``"1e3,3000,1e4"`` -> ``[1000, 3000, 10000]`` (ascending, distinct, positive)."""
    from .._core.errors import InvalidParameterError

    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InvalidParameterError(
            f"--samples must be comma-separated numbers such as 1e3,1e4, got {text!r}."
        ) from None
    if not values or any(v < 1 or v != int(v) for v in values):
        raise InvalidParameterError(f"--samples must be positive whole numbers, got {text!r}.")
    return sorted({int(v) for v in values})


_TIME_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}
_WORD_SCALE = {"": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000}


def parse_checkpoint_every(text: str) -> tuple[float, int | None]:
    """``--checkpoint-every``: seconds and/or corpus words between checkpoints.

    ``"300"``, ``"300s"``, ``"10min"``, ``"1h"`` give a time; ``"50Mwords"``, ``"2e7 words"``,
    ``"500k words"`` a number of words; both, comma-separated (``"10min,50Mwords"``), checkpoint at
    whichever comes first. With only words, time never triggers a checkpoint.

    Returns
    -------
    seconds : float
        ``inf`` when only words were given.
    words : int or None
    """
    import math
    import re

    from .._core.errors import InvalidParameterError

    seconds, words = None, None
    pattern = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z ]*?)\s*$")
    for item in text.split(","):
        match = pattern.match(item)
        if not match:
            raise InvalidParameterError(
                f"--checkpoint-every must be a time (300s, 10min, 1h) and/or a number of words (50Mwords), "
                f"comma-separated; got {text!r}."
            )
        number, unit = float(match.group(1)), match.group(2).replace(" ", "")
        is_words = unit.endswith(("words", "word"))
        unit = unit.removesuffix("words").removesuffix("word") if is_words else unit
        if is_words and unit in _WORD_SCALE and number * _WORD_SCALE[unit] >= 1:
            words = int(number * _WORD_SCALE[unit])
        elif not is_words and unit.lower() in ("", *_TIME_UNITS):
            seconds = number * _TIME_UNITS.get(unit.lower(), 1.0)
        else:
            raise InvalidParameterError(
                f"--checkpoint-every: cannot read {item.strip()!r} (times: s, min, h; words: 500kwords, 50Mwords)."
            )
    return (seconds if seconds is not None else math.inf), words


def word2vec_command(
    corpus: Path,
    output: Path,
    sg: bool = True,
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    min_count: int = 5,
    alpha: float | None = None,
    batch_size: int | None = None,
    vectors: str = "input",
    device: str = "cpu",
    seed: int = 0,
    kernel: str = "auto",
    cuda_graph: bool | None = None,
    checkpoint: Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    checkpoint_every: str = "300s",
    threads: int | None = None,
) -> dict[str, Any]:
    """Train word2vec and save the embedding; returns a summary.

    Checkpoints go to ``<output>.checkpoint`` (or ``checkpoint``), from which an interrupted run
    resumes; the default folder is removed once the embedding is written. ``overwrite`` replaces
    an existing embedding and starts afresh: the default checkpoint folder is removed, and the
    checkpoint in an explicit ``checkpoint`` folder is discarded (its other files are kept)."""
    import shutil

    from .._core.locks import lock_output
    from ..train.word2vec.estimator import Word2Vec, save_trained

    base = check_pair_output(output, "word2vec", "an embedding", overwrite)
    every, words = parse_checkpoint_every(checkpoint_every)
    default = checkpoint is None
    checkpoint = checkpoint or base.with_name(base.name + ".checkpoint")
    model = Word2Vec(
        sg=sg,
        dim=dim,
        window=window,
        negative=negative,
        sample=sample,
        epochs=epochs,
        min_count=min_count,
        alpha=alpha,
        batch_size=batch_size,
        vectors=vectors,
        device=device,
        seed=seed,
        kernel=kernel,
        cuda_graph=cuda_graph,
        progress=progress,
        checkpoint_every=every,
        checkpoint_words=words,
        threads=threads,
    )
    with lock_output(base, "embedding"):
        if overwrite and default and checkpoint.exists():
            shutil.rmtree(checkpoint)
        elif overwrite and checkpoint.is_dir():  # the user's folder: only the checkpoint's own files go
            _discard_checkpoint(checkpoint)
        if (checkpoint / "state.json").exists():
            interrupt_keeps(f"the checkpoint in {str(checkpoint)!r} is kept; run the same command again to resume.")
        else:
            interrupt_keeps("nothing is kept (no checkpoint was written yet); a rerun starts over.")
        model.fit(corpus, checkpoint=checkpoint)
        path = save_trained(model, base, remove_checkpoint=default)
    speed, start = model.words_per_second_, model.start_words_
    resumed = {"resumed from": f"word {start:,} (a checkpoint)"} if start else {}
    idle = "(the checkpoint held the whole run)" if start else "(a finished run was reloaded)"
    return {
        "output": str(path),
        "model": "skip-gram" if sg else "CBOW",
        "kernel": model.kernel_ + (" (batches of windows)" if model.windows_ else ""),
        "words": len(model.index_to_key_),
        "dim": dim,
        "raw words": model.raw_words_,
        **resumed,
        "effective words": model.effective_words_,
        "train seconds": round(model.train_seconds_, 2),
        "words/s": f"{speed:,.0f}" if speed == speed else idle,
        "final loss": round(model.loss_history_[-1]["loss"], 4),
        "checkpoint": "removed (training finished)" if default else str(checkpoint),
    }


def _discard_checkpoint(folder: Path) -> None:
    """Remove the word2vec checkpoint in ``folder`` (its state first: never a state without its arrays), under the
    checkpoint's lock; the folder and any other file in it stay."""
    from .._core.locks import lock_directory
    from ..train._checkpoint import FILES

    with lock_directory(folder, what="checkpoint"):
        for name in FILES:
            (folder / name).unlink(missing_ok=True)


def grammar_command(
    grammars: list[str],
    output: Path,
    model: str = "cnn",
    samples: str = "1e2,1e3,1e4",
    seeds: int = 3,
    n_test: int = 2000,
    task: str = "class",
    steps: int = 3000,
    batch_size: int = 128,
    lr: float = 3e-3,
    width: int | None = None,
    device: str = "auto",
    progress: bool = True,
    overwrite: bool = False,
    threads: int | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Learning curves of ``model`` on each grammar; writes curves.csv, summary.json and figures into ``output``.

    Existing results in ``output`` are replaced only with ``overwrite``; the folder is checked to be
    writable before any training. Each finished run is recorded in ``output/runs.jsonl`` as it ends,
    and a command run again into the same folder takes the runs recorded there (``overwrite``
    discards them); ``jobs`` runs train at once, each in a process of its own."""
    from .._core.errors import InvalidParameterError
    from .._core.ledger import RunLedger
    from .._core.locks import lock_directory
    from .._core.threads import cpu_threads
    from ..experiments.grammar import grammar_study
    from ..grammars.source import parse_grammar_spec

    for spec in grammars:  # every spec is checked before the first network trains
        parse_grammar_spec(spec)
    sizes = parse_samples(samples)
    if isinstance(jobs, bool) or int(jobs) < 1:
        raise InvalidParameterError(f"--jobs must be at least 1, got {jobs!r}.")
    refuse_existing([output / "curves.csv", output / "summary.json"], overwrite)
    check_writable(output, "output folder")
    runs = output / "runs.jsonl"
    interrupt_keeps(f"the finished runs are kept in {str(runs)!r}; run the same command again to go on from them.")
    lock = lock_directory(output, what="output folder")  # one study writes a folder at a time

    kwargs = {} if width is None else ({"d_model": width} if model == "transformer" else {"width": width})
    with lock, cpu_threads(threads, torch=True):
        if overwrite:
            runs.unlink(missing_ok=True)
        ledger = RunLedger(runs)
        result = grammar_study(
            grammars,
            output,
            model=model,
            samples=sizes,
            seeds=seeds,
            n_test=n_test,
            task=task,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            device=device,
            model_kwargs=kwargs,
            progress=progress,
            ledger=ledger,
            jobs=jobs,
        )
    return {"output": str(output), "reused": ledger.taken, **result}


def lm_command(
    source: str,
    output: Path,
    model: str = "transformer",
    context: int | None = None,
    samples: str = "1e2,1e3",
    seeds: int = 1,
    targets: str | None = None,
    steps: int = 3000,
    batch_size: int = 64,
    lr: float = 1e-3,
    eval_every: int = 50,
    patience: int = 10,
    vocab_size: int | None = None,
    n_val: int = 256,
    n_test: int = 512,
    d_model: int = 64,
    n_heads: int = 4,
    n_layers: int = 2,
    width: int = 64,
    dropout: float = 0.0,
    device: str = "auto",
    overwrite: bool = False,
    progress: bool = True,
    threads: int | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Next-token learning curves of a language model; writes runs.json, curves.json, curves.csv and figures.

    A rerun into the same folder takes its finished runs and resumes its interrupted one from
    ``output/checkpoints``; ``overwrite`` discards both (a checkpoint of other settings is refused otherwise)."""
    from .._core.errors import InvalidParameterError
    from .._core.threads import cpu_threads
    from ..experiments.next_token import lm_study
    from ..train.grammar.lm_models import LM_MODELS

    if model not in LM_MODELS:
        raise InvalidParameterError(f"--model must be one of {', '.join(LM_MODELS)}, got {model!r}.")
    kwargs: dict[str, Any] = (
        {"d_model": d_model, "n_heads": n_heads, "n_layers": n_layers} if model == "transformer" else {"width": width}
    )
    if dropout:  # only when asked for: runs recorded without it keep their settings
        kwargs["dropout"] = dropout
    with cpu_threads(threads, torch=True):
        result = lm_study(
            source,
            output,
            model=model,
            samples=parse_samples(samples),
            seeds=seeds,
            context=context,
            targets=targets,
            n_val=n_val,
            n_test=n_test,
            vocab_size=vocab_size,
            device=device,
            model_kwargs=kwargs,
            overwrite=overwrite,
            progress=progress,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            eval_every=eval_every,
            patience=patience,
            jobs=jobs,
        )
    return {"output": str(output), **result}


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")

    @train_app.command("word2vec")
    @cli_errors
    def word2vec(
        corpus: Path = typer.Argument(..., help="Corpus directory (cooc corpus build)."),
        output: Path = typer.Option(..., "--output", "-o", help="Embedding path (writes .npz + .json)."),
        sg: bool = typer.Option(True, "--sg/--cbow", help="Skip-gram or CBOW."),
        dim: int = typer.Option(100, help="Vector size."),
        window: int = typer.Option(5, help="Largest window radius (dynamic windows draw 1..window)."),
        negative: int = typer.Option(5, help="Negative samples per example."),
        sample: float = typer.Option(1e-3, help="Subsampling threshold (0 disables)."),
        epochs: int = typer.Option(5),
        min_count: int = typer.Option(5, help="Drop words seen fewer times."),
        alpha: float | None = typer.Option(
            None,
            help="Start learning rate (default 0.025 skip-gram, 0.05 CBOW, as word2vec.c; gensim: 0.025 for both).",
        ),
        batch_size: int | None = typer.Option(
            None,
            help="Examples per step of a batched kernel (default 4096 on CPU, 65536 on GPU; windows with "
            "--kernel shared, 16384 on GPU); on a CPU it selects the batched numba step over the hogwild "
            "kernels, or with --kernel shared batches of windows.",
        ),
        vectors: str = typer.Option("input", help="input, or sum (input + output vectors)."),
        device: str = typer.Option("cpu", help="cpu, cuda, cuda:N or auto."),
        seed: int = typer.Option(0, min=0),
        kernel: str = typer.Option(
            "auto",
            help="Kernel: auto (on a CPU shared for skip-gram and hogwild for CBOW, numba with --batch-size; "
            "triton on a GPU), hogwild (word2vec.c's unlocked SGD in corpus order, CPU), shared (each window's "
            "negatives drawn once: hogwild's order on a CPU, batches of windows on a GPU or with --batch-size), "
            "numba, torch, or triton (batched steps).",
        ),
        cuda_graph: bool | None = typer.Option(
            None,
            "--cuda-graph/--no-cuda-graph",
            help="Skip-gram on a GPU: replay each step from a captured CUDA "
            "graph (default: on for skip-gram on a GPU).",
        ),
        checkpoint: Path | None = typer.Option(
            None, help="Checkpoint directory (default <output>.checkpoint, removed when training finishes)."
        ),
        checkpoint_every: str = typer.Option(
            "300s",
            "--checkpoint-every",
            help="Checkpoint after this long and/or this many corpus words: 300s, 10min, 50Mwords, "
            "10min,50Mwords. Ctrl-C also saves one (at the end of the chunk in progress).",
        ),
        overwrite: bool = typer.Option(
            False,
            "--overwrite",
            help="Replace an existing embedding; training starts afresh, discarding the checkpoint (the default "
            "folder, or the checkpoint in --checkpoint's, whose other files stay).",
        ),
        progress: bool = PROGRESS,
        threads: int | None = typer.Option(
            None,
            "--threads",
            "--workers",
            help="CPU threads (default: the cores available to this process). Only the batched kernels (--batch-size, "
            "numba, torch) give the same result for any count; the default shared and hogwild kernels give a result "
            "that depends on the count and is reproducible on one thread only.",
        ),
    ) -> None:
        """Train word2vec (SGNS or CBOW) on CORPUS; an interrupted run resumes when run again."""
        summary = word2vec_command(
            corpus,
            output,
            sg=sg,
            dim=dim,
            window=window,
            negative=negative,
            sample=sample,
            epochs=epochs,
            min_count=min_count,
            alpha=alpha,
            batch_size=batch_size,
            vectors=vectors,
            device=device,
            seed=seed,
            kernel=kernel,
            cuda_graph=cuda_graph,
            checkpoint=checkpoint,
            overwrite=overwrite,
            progress=progress,
            checkpoint_every=checkpoint_every,
            threads=threads,
        )
        console.print(kv_table("word2vec", list(summary.items())))

    @train_app.command("grammar")
    @cli_errors
    def grammar(
        grammar_specs: list[str] = typer.Option(
            ..., "--grammar", "-g", help="Grammar spec, e.g. rhm:v=8,n_c=8,m=4,s=2,L=3 (repeat for several)."
        ),
        output: Path = typer.Option(..., "--output", "-o", help="Directory for curves.csv, summary.json, figures."),
        model: str = typer.Option("cnn", help="cnn, transformer or fc."),
        samples: str = typer.Option("1e2,1e3,1e4", help="Training-set sizes P, comma-separated."),
        seeds: int = typer.Option(3, help="Seeds per P."),
        n_test: int = typer.Option(2000, help="Held-out sentences."),
        task: str = typer.Option("class", help="class (root class) or next (last token)."),
        steps: int = typer.Option(3000, help="Most optimiser steps per run."),
        batch_size: int = typer.Option(128),
        lr: float = typer.Option(3e-3, help="Adam learning rate."),
        width: int | None = typer.Option(None, help="Hidden width (d_model for the transformer)."),
        device: str = typer.Option("auto", help="cpu, cuda or auto."),
        progress: bool = PROGRESS,
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace results already in the output folder (and its recorded runs)."
        ),
        threads: int | None = typer.Option(
            None, "--threads", help="torch's CPU threads (default: the cores available to this process)."
        ),
        jobs: int = typer.Option(
            1, "--jobs", min=1, help="Runs trained at once, each in a process of its own (sharing --threads)."
        ),
    ) -> None:
        """Learning curves and sample complexity P* of a network on one or more grammars; resumes when run again."""
        summary = grammar_command(
            grammar_specs,
            output,
            model=model,
            samples=samples,
            seeds=seeds,
            n_test=n_test,
            task=task,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            width=width,
            device=device,
            progress=progress,
            overwrite=overwrite,
            threads=threads,
            jobs=jobs,
        )
        rows = [
            [t["spec"], f"{t['scale']:.0f}", f"{t['P_star']:.0f}", f"{t['P_star_over_scale']:.2f}"]
            for t in summary["tables"]
        ]
        from rich.table import Table

        table = Table(title=f"sample complexity ({model})", title_justify="left")
        for h in ("grammar", "n_c m^L", "P*", "P*/(n_c m^L)"):
            table.add_column(h)
        for r in rows:
            table.add_row(*r)
        console.print(table)
        if summary["reused"]:
            console.print(f"{summary['reused']} runs were taken from {summary['output']}/runs.jsonl (recorded earlier)")
        console.print(f"wrote {summary['output']}: {', '.join(summary['files'])}")

    @train_app.command("lm")
    @cli_errors
    def lm(
        ctx: typer.Context,
        source: str = typer.Argument(
            ..., help="A grammar spec (rhm:v=32,n_c=32,m=8,s=2,L=3, ...) or a corpus directory."
        ),
        output: Path = typer.Option(..., "--output", "-o", help="Directory for runs.json, curves.json/csv, figures."),
        model: str = typer.Option("transformer", help="transformer or cnn."),
        context: int | None = typer.Option(
            None, "--context", "-T", help="Context length T (default: whole sentences)."
        ),
        samples: str = typer.Option("1e2,1e3", help="Training contexts P, comma-separated."),
        seeds: int = typer.Option(1, help="Seeds per P."),
        targets: str | None = typer.Option(None, help="all or last (default: last on whole RHM sentences, else all)."),
        steps: int = typer.Option(3000, help="Most optimiser steps per run."),
        batch_size: int = typer.Option(64),
        lr: float = typer.Option(1e-3, help="Adam learning rate."),
        eval_every: int = typer.Option(50, help="Steps between validation losses."),
        patience: int = typer.Option(10, help="Validations without improvement before stopping."),
        vocab_size: int | None = typer.Option(None, help="Corpus: keep this many words (the rest one unknown word)."),
        n_val: int = typer.Option(256, help="Validation contexts."),
        n_test: int = typer.Option(512, help="Test contexts."),
        d_model: int = typer.Option(64, help="Transformer width."),
        n_heads: int = typer.Option(4, help="Transformer heads."),
        n_layers: int = typer.Option(2, help="Transformer layers."),
        width: int = typer.Option(64, help="CNN channels (--model cnn only)."),
        dropout: float = typer.Option(0.0, help="Dropout on hidden units while training, in [0, 1) (both models)."),
        device: str = typer.Option("auto", help="cpu, cuda or auto."),
        overwrite: bool = typer.Option(
            False,
            "--overwrite",
            help="Discard earlier runs in OUTPUT: the finished ones and the checkpoints of interrupted ones.",
        ),
        progress: bool = PROGRESS,
        threads: int | None = typer.Option(
            None, "--threads", help="torch's CPU threads (default: the cores available to this process)."
        ),
        jobs: int = typer.Option(
            1, "--jobs", min=1, help="Runs trained at once, each in a process of its own (sharing --threads)."
        ),
    ) -> None:
        """Next-token learning curves of a causal transformer or hierarchical CNN; resumes when run again."""
        if model == "transformer":
            refuse_given(
                ctx, ["width"], "--model transformer", "it is the CNN's channels; the transformer's is --d-model."
            )
        elif model == "cnn":
            refuse_given(
                ctx,
                ["d_model", "n_heads", "n_layers"],
                "--model cnn",
                "they shape the transformer; the CNN's channels are --width.",
            )
        summary = lm_command(
            source, output, model=model, context=context, samples=samples, seeds=seeds, targets=targets, steps=steps,
            batch_size=batch_size, lr=lr, eval_every=eval_every, patience=patience, vocab_size=vocab_size,
            n_val=n_val, n_test=n_test, d_model=d_model, n_heads=n_heads, n_layers=n_layers, width=width,
            dropout=dropout, device=device, overwrite=overwrite, progress=progress, threads=threads, jobs=jobs,
        )  # fmt: skip
        rows = [[str(s["P"]), f"{s['test_loss']:.4f}", f"{s['test_loss_last']:.4f}"] for s in summary["summary"]]
        from rich.table import Table

        table = Table(title=f"test loss ({model})", title_justify="left")
        for h in ("P", "test loss", "last position"):
            table.add_column(h)
        for r in rows:
            table.add_row(*r)
        console.print(table)
        if summary["steps_measured"] is not None:
            theory = summary["theory"]["P_l"]
            pairs = ", ".join(
                f"P_{l + 1} {p:.0f} / measured {m:.0f}"
                for l, (p, m) in enumerate(zip(theory, summary["steps_measured"]))
            )
            console.print(f"steps: {pairs}")
        console.print(f"wrote {summary['output']}: {', '.join(summary['files'])}")
