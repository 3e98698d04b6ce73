"""`cooc embed`, `cooc eval analogy|similarity`, `cooc sweep`: thin wrappers over cooc.spectral and cooc.geometry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from ._common import JSON, cli_errors, console, is_tty, kv_table, print_json

eval_app = typer.Typer(help="Evaluate an embedding: analogies, word similarity.", no_args_is_help=True)


def _split(text: str, cast: Any = str) -> list[Any]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    try:
        return [cast(t) for t in items]
    except ValueError:
        from .._core.errors import InvalidParameterError

        raise InvalidParameterError(f"expected a comma-separated list of {cast.__name__}, got {text!r}.") from None


def _check_output(path: Path, overwrite: bool) -> None:
    from .._core.errors import OutputExistsError

    npz = path.with_suffix("") if path.suffix in (".npz", ".json") else path
    if not overwrite and (npz.with_name(npz.name + ".npz").exists() or npz.with_name(npz.name + ".json").exists()):
        raise OutputExistsError(f"{str(npz)!r} already exists; pass --overwrite to replace it.")


def _table(title: str, header: list[str], rows: list[list[Any]]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for h in header:
        table.add_column(h, justify="left" if h == header[0] else "right")
    for row in rows:
        table.add_row(*[f"{v:.1f}" if isinstance(v, float) else str(v) for v in row])
    return table


def _pct(x: float) -> float:
    return 100.0 * x


def embed_command(
    cooc: Path,
    output: Path,
    target: str = "mstar",
    dim: int = 200,
    p: float = 0.5,
    which: str = "LM",
    solver: str = "auto",
    device: str = "cpu",
    eps: float = 1e-2,
    neg: float = 1.0,
    alpha: float = 1.0,
    marginals: str = "global",
    vocab_size: int | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Load counts, fit an EigenEmbedding, save it; returns a summary."""
    from ..cooccurrence.matrix import Cooccurrence
    from ..spectral.estimator import EigenEmbedding

    _check_output(output, overwrite)
    counts = Cooccurrence.load(cooc)
    if vocab_size is not None and vocab_size < len(counts):
        counts = counts.subset(counts.vocab.words[:vocab_size])
    started = time.perf_counter()
    model = EigenEmbedding(
        target,
        dim=dim,
        p=p,
        which=which,
        solver=solver,
        device=device,
        eps=eps,
        neg=neg,
        alpha=alpha,
        marginals=marginals,
        progress=progress,
    ).fit(counts)
    seconds = time.perf_counter() - started
    path = model.embedding_.save(output)
    return {
        "output": str(path),
        "words": len(counts),
        "dim": dim,
        "target": target,
        "solver": model.eigenpairs_.solver,
        "seconds": round(seconds, 2),
        "top eigenvalues": ", ".join(f"{v:.4g}" for v in model.eigenvalues_[:5]),
    }


def sweep_command(
    cooc: Path,
    targets: list[str],
    dims: list[int],
    out: Path,
    protocol: str = "pairs",
    questions: Path | None = None,
    p: float = 0.5,
    solver: str = "auto",
    device: str = "cpu",
    eps: float = 1e-2,
    method: str = "add",
    progress: bool = False,
) -> dict[str, Any]:
    """Accuracy against K for several targets: writes ``sweep.json`` and ``sweep.png`` into ``out``."""
    from .._core.io import atomic_write_json
    from ..cooccurrence.matrix import Cooccurrence
    from ..experiments.targets import compare_targets
    from ..plots import saved
    from ..plots.spectral import plot_accuracy_vs_k

    counts = Cooccurrence.load(cooc)
    curves = compare_targets(
        counts,
        targets,
        dims,
        questions,
        embed_params={"p": p, "solver": solver, "device": device, "eps": eps, "progress": progress},
        protocol=protocol,
        method=method,
        device=device,
    )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(
        out / "sweep.json",
        {"cooccurrence": str(cooc), "protocol": protocol, "curves": {k: c.to_dict() for k, c in curves.items()}},
    )
    saved(plot_accuracy_vs_k(curves, out / "sweep.png", title=f"Analogy accuracy against K (protocol {protocol})"))
    return curves


def register(app: typer.Typer) -> None:
    @app.command("embed")
    @cli_errors
    def embed(
        cooc: Path = typer.Argument(..., help="Co-occurrence file (.npz/.json pair written by cooc)."),
        output: Path = typer.Option(..., "--output", "-o", help="Embedding to write (EMB.npz + EMB.json)."),
        target: str = typer.Option(
            "mstar",
            help="p, m, logm, pmi, ppmi, sppmi or mstar (docs/science.md, section 2). PPMI and SPPMI take the "
            "global unigram marginals and, with --alpha, smoothing on both sides (a symmetric matrix); Levy et al.'s "
            "column-only smoothing is Target(smoothing='context') in Python.",
        ),
        dim: int = typer.Option(200, help="K, eigenpairs kept."),
        p: float = typer.Option(0.5, help="Eigenvalue weighting: W = U |Lambda|^p."),
        which: str = typer.Option("LM", help="LM (largest |lambda|) or LA (largest positive)."),
        solver: str = typer.Option("auto", help="auto, dense, lanczos, randomized or torch."),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        eps: float = typer.Option(1e-2, help="Floor of log(M + eps)."),
        neg: float = typer.Option(1.0, help="k of shifted PPMI."),
        alpha: float = typer.Option(1.0, help="Context distribution smoothing exponent."),
        marginals: str = typer.Option("global", help="global (unigram counts) or block (row sums)."),
        vocab_size: int | None = typer.Option(None, help="Keep only the most frequent words."),
        overwrite: bool = typer.Option(False, help="Replace an existing output."),
    ) -> None:
        """Eigen-embedding of a co-occurrence target (a progress bar follows the eigensolver)."""
        summary = embed_command(
            cooc,
            output,
            target,
            dim,
            p,
            which,
            solver,
            device,
            eps,
            neg,
            alpha,
            marginals,
            vocab_size,
            overwrite,
            progress=is_tty(),
        )
        console.print(kv_table("embedding", list(summary.items())))

    @eval_app.command("analogy")
    @cli_errors
    def analogy(
        embedding: Path = typer.Argument(..., help="Embedding written by `cooc embed` (EMB.npz/.json)."),
        protocol: str = typer.Option("gensim", help="gensim (listed questions) or pairs (all pairs per family)."),
        questions: Path | None = typer.Option(None, help="questions-words.txt-style file (default: gensim's)."),
        method: str = typer.Option("add", help="add (3CosAdd) or mul (3CosMul)."),
        query: str | None = typer.Option(
            None, help="raw or unit query vectors (default: unit for gensim, raw for pairs)."
        ),
        include_query: bool = typer.Option(False, help="Let the query words compete (protocol pairs)."),
        restrict_vocab: int | None = typer.Option(None, help="Only the most frequent words are candidates."),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Also write the result as a JSON file."),
        as_json: bool = JSON,
    ) -> None:
        """Analogy accuracy per family and overall."""
        from .._core.io import atomic_write_json
        from ..embedding import Embedding
        from ..geometry.analogy import evaluate_analogies

        emb = Embedding.load(embedding, mmap=True)
        res = evaluate_analogies(
            emb,
            questions,
            protocol=protocol,
            method=method,
            query=query,
            exclude_query=not include_query,
            restrict_vocab=restrict_vocab,
            device=device,
        )
        if output:
            atomic_write_json(output, res.to_dict())
        if as_json:
            print_json(res.to_dict())
            return
        unit = "questions" if protocol == "gensim" else "pairs"
        rows = [
            [f.name, f.correct, f.total, f"{f.usable}/{f.listed}", _pct(f.accuracy) if f.total else "-"]
            for f in res.families
        ]
        console.print(
            _table(
                f"analogies ({protocol}, 3Cos{method.capitalize()})",
                ["family", "correct", "asked", f"{unit} in vocab", "accuracy %"],
                rows,
            )
        )
        console.print(res.summary())

    @eval_app.command("similarity")
    @cli_errors
    def similarity(
        embedding: Path = typer.Argument(..., help="Embedding written by `cooc embed`."),
        benchmark: list[str] = typer.Option(["wordsim353", "simlex999"], help="Shipped benchmark(s)."),
        pairs: Path | None = typer.Option(None, help="A word1<TAB>word2<TAB>score file instead."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Also write the results as a JSON file."),
        as_json: bool = JSON,
    ) -> None:
        """Spearman correlation with human similarity judgements."""
        from .._core.io import atomic_write_json
        from ..embedding import Embedding
        from ..geometry.similarity import evaluate_similarity

        emb = Embedding.load(embedding, mmap=True)
        sources = [pairs] if pairs is not None else benchmark
        results = [evaluate_similarity(emb, s) for s in sources]
        data = {r.name: r.to_dict() for r in results}
        if output:
            atomic_write_json(output, data)
        if as_json:
            print_json(data)
            return
        rows = [[r.name, f"{r.spearman:.3f}", f"{r.pearson:.3f}", f"{r.evaluated}/{r.listed}", r.oov] for r in results]
        console.print(_table("word similarity", ["benchmark", "Spearman", "Pearson", "pairs used", "OOV"], rows))

    @app.command("sweep")
    @cli_errors
    def sweep(
        cooc: Path = typer.Argument(..., help="Co-occurrence file written by cooc."),
        targets: str = typer.Option("m,logm,ppmi,mstar", help="Comma-separated targets."),
        dims: str = typer.Option("10,20,50,100,200", help="Comma-separated values of K."),
        out: Path = typer.Option(Path("sweep-out"), "--out", "-o", help="Folder for sweep.json and sweep.png."),
        protocol: str = typer.Option("pairs", help="pairs (the papers) or gensim."),
        questions: Path | None = typer.Option(None, help="questions-words.txt-style file (default: gensim's)."),
        method: str = typer.Option("add", help="add or mul."),
        p: float = typer.Option(0.5, help="Eigenvalue weighting."),
        solver: str = typer.Option("auto", help="Eigensolver."),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        eps: float = typer.Option(1e-2, help="Floor of log(M + eps)."),
        as_json: bool = JSON,
    ) -> None:
        """Analogy accuracy against K for several targets (one decomposition each): table + plot."""
        target_list, dim_list = _split(targets), _split(dims, int)
        curves = sweep_command(
            cooc, target_list, dim_list, out, protocol, questions, p, solver, device, eps, method, progress=is_tty()
        )
        if as_json:
            print_json({k: c.to_dict() for k, c in curves.items()})
            return
        ks = sorted({int(k) for c in curves.values() for k in c.ks})
        rows = [
            [k] + [_pct(c.accuracy[list(c.ks).index(k)]) if k in c.ks else "-" for c in curves.values()] for k in ks
        ]
        console.print(_table(f"analogy accuracy % (protocol {protocol})", ["K", *curves], rows))
        console.print(f"wrote {out / 'sweep.json'} and {out / 'sweep.png'}")

    app.add_typer(eval_app, name="eval")
