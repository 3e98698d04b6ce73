"""`cooc embed`, `cooc eval analogy|similarity`, `cooc sweep`: thin wrappers over cooc.spectral and cooc.geometry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from ._common import (
    JSON,
    PROGRESS,
    check_pair_output,
    check_single_output,
    check_writable,
    cli_errors,
    console,
    interrupt_keeps,
    is_tty,
    kv_table,
    print_json,
    refuse_existing,
    refuse_given,
)
from ._common import given as option_given

eval_app = typer.Typer(help="Evaluate an embedding: analogies, word similarity.", no_args_is_help=True)


def _split(text: str, cast: Any = str) -> list[Any]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    try:
        return [cast(t) for t in items]
    except ValueError:
        from .._core.errors import InvalidParameterError

        raise InvalidParameterError(f"expected a comma-separated list of {cast.__name__}, got {text!r}.") from None


def _vocab_size(cooc: Path) -> int:
    """V of a co-occurrence file, from its metadata alone (nothing loaded)."""
    from .._core.errors import CorruptFileError
    from ..cooccurrence.format import read_metadata

    meta_path, meta = read_metadata(cooc)
    try:
        return int(meta["shape"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        raise CorruptFileError(f"{str(meta_path)!r} does not give the matrix's shape.") from None


def _check_analogy(protocol: str, method: str) -> None:
    from .._core.params import OneOf, validate
    from ..geometry.analogy import METHODS, PROTOCOLS

    validate(
        {"protocol": protocol, "method": method}, {"protocol": OneOf(PROTOCOLS), "method": OneOf(METHODS)}, "sweep"
    )


def _check_target(eps: float, neg: float, alpha: float, marginals: str) -> None:
    from .._core.params import Interval, OneOf, validate

    validate(
        {"eps": eps, "neg": neg, "alpha": alpha, "marginals": marginals},
        {
            "eps": Interval(float, 0, None),
            "neg": Interval(float, 0, None, closed="neither"),
            "alpha": Interval(float, 0, None, closed="neither"),
            "marginals": OneOf(("global", "block")),
        },
        "target",
    )


#: the target options that only some kinds read: flag, the kinds that read it, what it is (cooc.spectral.kinds:
#: eps enters log M only, neg SPPMI only, and alpha every kind with marginals in its entries, so all but P)
TARGET_OPTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "eps": ("--eps", ("logm",), "it is the floor of log(M + eps), read by target logm only"),
    "neg": ("--neg", ("sppmi",), "it is SPPMI's shift log(k), read by target sppmi only"),
    "alpha": (
        "--alpha",
        ("m", "logm", "pmi", "ppmi", "sppmi", "mstar"),
        "it smooths the marginals, and P's entries hold none (every other target reads it)",
    ),
}


def _refuse_unused_target_options(targets: list[str], given: Any) -> None:
    """Refuse, before any work, an option of ``TARGET_OPTIONS`` given (its parameter name in ``given``) that
    none of ``targets`` reads."""
    from .._core.errors import InvalidParameterError

    reasons = []
    for name, (option, readers, what) in TARGET_OPTIONS.items():
        if name in given and not any(t in readers for t in targets):
            named = f"target {targets[0]!r}" if len(targets) == 1 else f"targets {', '.join(targets)}"
            reasons.append(f"{option} does not apply to {named}: {what}")
    if reasons:
        raise InvalidParameterError("; ".join(reasons) + ".")


def _refuse_threads_on_gpu(device: str, given: Any) -> None:
    """``--threads`` sets the CPU's BLAS threads: with ``--device cuda`` the target, its eigenpairs (and a sweep's
    analogy scores) are computed on the GPU, so it has no effect."""
    from .._core.errors import InvalidParameterError

    if "threads" in given and device == "cuda":
        raise InvalidParameterError(
            "--threads does not apply to --device cuda: it sets the BLAS threads of the CPU solvers, and the "
            "target and its eigenpairs are computed on the GPU."
        )


def _refuse_marginals_of_p(counts: Any, target: str, given: Any) -> None:
    """``--marginals`` with target p on counts that hold no pair set to independence: P's entries hold no
    marginals (they give only the independence value P_i P_j of such pairs), so it has no effect."""
    from .._core.errors import InvalidParameterError

    if "marginals" in given and target == "p" and not len(counts.independent_pairs):
        raise InvalidParameterError(
            "--marginals does not apply to target 'p' on these counts: P's entries hold no marginals (they enter "
            "only pairs set to independence, and these counts have none)."
        )


def _check_spectral(targets: list[str], dims: list[int], V: int, which: str, solver: str, device: str) -> None:
    """The arguments of a decomposition, checked before anything is loaded or computed."""
    from .._core.errors import InvalidParameterError
    from .._core.params import Interval, OneOf, validate
    from ..spectral.eigen import SOLVERS, WHICH
    from ..spectral.kinds import KINDS

    if not targets:
        raise InvalidParameterError("give at least one target.")
    if not dims:
        raise InvalidParameterError("give at least one value of K.")
    for target in targets:
        validate({"target": target}, {"target": OneOf(KINDS)}, "target")
    validate(
        {"which": which, "solver": solver, "device": device},
        {"which": OneOf(WHICH), "solver": OneOf(SOLVERS), "device": OneOf(("cpu", "cuda", "auto"))},
        "decomposition",
    )
    too_big = [k for k in dims if k > V]
    for k in dims:
        validate({"K": k}, {"K": Interval(int, 1, None)}, "decomposition")
    if too_big:
        raise InvalidParameterError(
            f"K must be at most V = {V:,} (the counts' vocabulary), got {', '.join(map(str, too_big))}."
        )


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
    dtype: str = "float32",
    threads: int | None = None,
    given: Any = (),
) -> dict[str, Any]:
    """Load counts, fit an EigenEmbedding, save it; returns a summary.

    ``given`` names the parameters the user set (the command line's, not left at their defaults): those the
    target does not read (``eps`` but for logm, ``neg`` but for sppmi, ``alpha`` and ``marginals`` for p,
    ``threads`` on a GPU) are refused instead of ignored.

    The target is built and decomposed in ``dtype``: float32 by default here (the command-line
    default; the estimator's is float64), which halves the memory of a dense target and took
    1.5x less CPU with Lanczos on the King James Bible's M* (V 12,672, K 200: 118-126 against
    186 CPU s), with every top-200 eigenvalue within 6e-6 relative of float64's
    (benchmarks/RESULTS.md)."""
    from .._core.locks import lock_output
    from .._core.params import OneOf, validate
    from .._core.threads import cpu_threads

    if vocab_size is not None and (isinstance(vocab_size, bool) or int(vocab_size) < 1):
        from .._core.errors import InvalidParameterError

        raise InvalidParameterError(
            f"--vocab-size must be at least 1 (the most frequent words kept), got {vocab_size}."
        )
    check_pair_output(output, "embedding", "an embedding", overwrite)
    V = _vocab_size(cooc)
    _check_spectral([target], [dim], min(V, vocab_size or V), which, solver, device)
    _check_target(eps, neg, alpha, marginals)
    validate({"dtype": dtype}, {"dtype": OneOf(("float32", "float64"))}, "embed")
    _refuse_unused_target_options([target], given)
    _refuse_threads_on_gpu(device, given)
    params = dict(
        dim=dim, p=p, which=which, solver=solver, device=device, eps=eps, neg=neg, alpha=alpha, marginals=marginals
    )
    base = output.with_suffix("") if output.suffix in (".npz", ".json") else output
    with lock_output(base, "embedding"), cpu_threads(threads, torch=solver == "torch"):
        return _embed(cooc, output, target, vocab_size, progress, given=given, dtype=dtype, **params)


def _embed(cooc, output, target, vocab_size, progress, given=(), **params):
    from .._core.logs import log
    from ..cooccurrence.matrix import Cooccurrence
    from ..spectral.estimator import EigenEmbedding

    counts = Cooccurrence.load(cooc)
    if vocab_size is not None and vocab_size < len(counts):
        counts = counts.subset(counts.vocab.words[:vocab_size])
    elif vocab_size is not None and vocab_size > len(counts):
        log.warning(
            "--vocab-size %d is larger than the counts' vocabulary (%d words); using %d.",
            vocab_size,
            len(counts),
            len(counts),
        )
    _refuse_marginals_of_p(counts, target, given)
    started = time.perf_counter()
    model = EigenEmbedding(target, progress=progress, **params).fit(counts)
    seconds = time.perf_counter() - started
    path = model.embedding_.save(output)
    return {
        "output": str(path),
        "words": len(counts),
        "dim": params["dim"],
        "target": target,
        "dtype": params["dtype"],
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
    overwrite: bool = False,
    progress: bool = False,
    threads: int | None = None,
    given: Any = (),
) -> dict[str, Any]:
    """Accuracy against K for several targets: writes ``sweep.json`` and ``sweep.png`` into ``out``.

    Every argument, the output folder and the existing results are checked before anything is
    decomposed; ``given`` (the parameters the user set) refuses ``eps`` when no target is logm and
    ``threads`` on a GPU."""
    from .._core.locks import lock_directory
    from .._core.threads import cpu_threads

    refuse_existing([out / "sweep.json", out / "sweep.png"], overwrite)
    _check_spectral(targets, dims, _vocab_size(cooc), "LM", solver, device)
    _check_target(eps, 1.0, 1.0, "global")
    _check_analogy(protocol, method)
    _refuse_unused_target_options(targets, {"eps"} & set(given))
    _refuse_threads_on_gpu(device, given)
    check_writable(out, "output folder")
    # one sweep writes a folder at a time; --threads also sets torch's threads when it is the solver
    with lock_directory(out, what="sweep output folder"), cpu_threads(threads, torch=solver == "torch"):
        return _sweep(cooc, targets, dims, out, protocol, questions, p, solver, device, eps, method, progress)


def _given(ctx: typer.Context, names: tuple[str, ...]) -> set[str]:
    """The parameters among ``names`` that the user set on the command line."""
    return {name for name in names if option_given(ctx, name)}


def _check_scorable(counts: Any, cooc: Path, questions: Path | None, data: Any, protocol: str) -> None:
    """Refuse, before any decomposition, a question set of which no question can be scored on these counts."""
    from .._core.errors import InputDataError
    from ..geometry.analogy import question_coverage

    cover = question_coverage(counts.vocab.words, data, protocol)
    if cover["questions"]:
        return
    where = f"{str(questions)!r}" if questions is not None else "gensim's questions-words.txt"
    V = cover["vocabulary"]
    if protocol == "gensim":
        raise InputDataError(
            f"none of the {cover['listed']:,} listed questions in {where} has its four words among the {V:,} "
            f"words of {str(cooc)!r}; there is nothing to score (count a larger vocabulary, or give --questions "
            "with its words)."
        )
    raise InputDataError(
        f"no question can be formed from {where}: {cover['usable']:,} of its {cover['listed']:,} listed "
        f"pairs have both words among the {V:,} words of {str(cooc)!r}, and a question needs two pairs of one "
        "family (count a larger vocabulary, or give --questions with its words)."
    )


def _coverage(curve: Any) -> dict[str, Any]:
    """A sweep curve as JSON, with how many questions (or pairs) were listed and how many were in vocabulary."""
    first = curve.results[0]
    return {**curve.to_dict(), "listed": first.listed, "usable": first.usable}


def _sweep(cooc, targets, dims, out, protocol, questions, p, solver, device, eps, method, progress):
    from .._core.io import atomic_write_json
    from ..cooccurrence.matrix import Cooccurrence
    from ..experiments.targets import compare_targets
    from ..geometry.analogy import load_questions
    from ..plots import saved
    from ..plots.spectral import plot_accuracy_vs_k

    counts = Cooccurrence.load(cooc)
    data = load_questions(questions)
    _check_scorable(counts, cooc, questions, data, protocol)
    curves = compare_targets(
        counts,
        targets,
        dims,
        data,
        embed_params={"p": p, "solver": solver, "device": device, "eps": eps, "progress": progress},
        protocol=protocol,
        method=method,
        device=device,
    )
    first = next(iter(curves.values())).results[0]  # the same vocabulary, so the same questions, for every target
    atomic_write_json(
        out / "sweep.json",
        {
            "cooccurrence": str(cooc),
            "protocol": protocol,
            "listed": first.listed,
            "usable": first.usable,
            "questions": first.total,
            "curves": {k: _coverage(c) for k, c in curves.items()},
        },
    )
    saved(plot_accuracy_vs_k(curves, out / "sweep.png", title=f"Analogy accuracy against K (protocol {protocol})"))
    return curves


def _named_uniquely(sources: list[Any], results: list[Any]) -> list[Any]:
    """Similarity results renamed so that no two share a name: a shipped benchmark keeps its own, a file its
    stem unless another result has it or it is a shipped benchmark's name, else its path."""
    from collections import Counter
    from dataclasses import replace

    from ..geometry.similarity import BENCHMARKS

    stems = Counter(r.name for r in results)
    used: set[str] = set()
    out = []
    for source, result in zip(sources, results):
        shipped = isinstance(source, str) and source in BENCHMARKS
        name = result.name if shipped or (stems[result.name] == 1 and result.name not in BENCHMARKS) else str(source)
        base, n = name, 1
        while name in used:  # a path spelled like another result's name
            n += 1
            name = f"{base} ({n})"
        used.add(name)
        out.append(replace(result, name=name))
    return out


THREADS = typer.Option(
    None,
    "--threads",
    help="BLAS threads of the CPU solvers (default: the cores available to this process; on a machine where "
    "another process holds cores, fewer can be faster).",
)


def register(app: typer.Typer) -> None:
    @app.command("embed")
    @cli_errors
    def embed(
        ctx: typer.Context,
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
        solver: str = typer.Option(
            "auto",
            help="auto (block Krylov for dense M*, Lanczos for sparse PPMI on a CPU), dense, lanczos, randomized, block or torch.",
        ),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        eps: float = typer.Option(1e-2, help="Floor of log(M + eps) (target logm only)."),
        neg: float = typer.Option(1.0, help="k of shifted PPMI (target sppmi only)."),
        alpha: float = typer.Option(1.0, help="Context distribution smoothing exponent (every target but p)."),
        marginals: str = typer.Option("global", help="global (unigram counts) or block (row sums)."),
        vocab_size: int | None = typer.Option(None, help="Keep only the most frequent words."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
        dtype: str = typer.Option(
            "float32",
            help="float32 (half the memory, about 1.5x faster, eigenvalues within ~1e-5 relative) or float64.",
        ),
        threads: int | None = THREADS,
        progress: bool = PROGRESS,
    ) -> None:
        """Eigen-embedding of a co-occurrence target (a progress bar follows the eigensolver)."""
        interrupt_keeps("nothing is kept (the decomposition starts over when run again).")
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
            progress=progress and is_tty(),
            dtype=dtype,
            threads=threads,
            given=_given(ctx, ("eps", "neg", "alpha", "marginals", "threads")),
        )
        console.print(kv_table("embedding", list(summary.items())))

    @eval_app.command("analogy")
    @cli_errors
    def analogy(
        ctx: typer.Context,
        embedding: Path = typer.Argument(..., help="Embedding written by `cooc embed` (EMB.npz/.json)."),
        protocol: str = typer.Option("gensim", help="gensim (listed questions) or pairs (all pairs per family)."),
        questions: Path | None = typer.Option(None, help="questions-words.txt-style file (default: gensim's)."),
        method: str = typer.Option("add", help="add (3CosAdd) or mul (3CosMul)."),
        query: str | None = typer.Option(
            None, help="raw or unit query vectors of 3CosAdd (default: unit for gensim, raw for pairs)."
        ),
        include_query: bool = typer.Option(False, help="Let the query words compete (protocol pairs only)."),
        restrict_vocab: int | None = typer.Option(None, help="Only the most frequent words are candidates."),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Also write the result as a JSON file."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --output file."),
        as_json: bool = JSON,
    ) -> None:
        """Analogy accuracy per family and overall."""
        from .._core.errors import InputDataError
        from .._core.io import atomic_write_json
        from ..embedding import Embedding
        from ..geometry.analogy import evaluate_analogies

        if include_query and protocol == "gensim":
            refuse_given(
                ctx,
                ["include_query"],
                "protocol gensim",
                "it always excludes the query words, as gensim does; --protocol pairs lets them compete.",
            )
        if method == "mul":
            refuse_given(
                ctx,
                ["query"],
                "--method mul",
                "3CosMul scores the cosines of the query words, whatever their vectors' lengths; --query chooses "
                "3CosAdd's query vector.",
            )
        if output is None:
            refuse_given(ctx, ["overwrite"], "a run without --output", "it replaces an existing --output file.")
        if output is not None:
            check_single_output(output, "results", overwrite)
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
        if res.total == 0:  # an accuracy of 0/0 said nothing, with exit 0
            usable = sum(f.usable for f in res.families)
            among = f"among the {len(emb):,} words of {str(embedding)!r}" + (
                f" (the {restrict_vocab:,} most frequent, --restrict-vocab)" if restrict_vocab else ""
            )
            reason = (
                f"only {usable:,} of the {res.listed:,} listed pairs {'has its' if usable == 1 else 'have their'} "
                f"words {among}, and no family has two of "
                "them (a question takes two pairs of one family)"
                if usable
                else f"none of the {res.listed:,} listed {'questions' if protocol == 'gensim' else 'pairs'} "
                f"has its words {among}"
            )
            raise InputDataError(
                f"no analogy could be asked: {reason}; give questions in its vocabulary (--questions) or a larger "
                "embedding."
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
        ctx: typer.Context,
        embedding: Path = typer.Argument(..., help="Embedding written by `cooc embed`."),
        benchmark: list[str] | None = typer.Option(
            None,
            help="Shipped benchmark (wordsim353 or simlex999) or a word-pair file; repeat for several (default: "
            "wordsim353 and simlex999 when neither --benchmark nor --pairs is given).",
        ),
        pairs: Path | None = typer.Option(
            None, help="A word1<TAB>word2<TAB>score file, scored after any --benchmark (alone without one)."
        ),
        output: Path | None = typer.Option(None, "--output", "-o", help="Also write the results as a JSON file."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --output file."),
        as_json: bool = JSON,
    ) -> None:
        """Spearman correlation with human similarity judgements.

        Each result is named by its benchmark or its file's stem; a file whose stem another result (or a shipped
        benchmark) has is named by its path, so that --json and --output keep every result."""
        from .._core.errors import InputDataError
        from .._core.io import atomic_write_json
        from ..embedding import Embedding
        from ..geometry.similarity import BENCHMARKS, evaluate_similarity

        if output is None:
            refuse_given(ctx, ["overwrite"], "a run without --output", "it replaces an existing --output file.")
        if output is not None:
            check_single_output(output, "results", overwrite)
        emb = Embedding.load(embedding, mmap=True)
        given: list[str | Path] = [*(benchmark or ()), *([pairs] if pairs is not None else [])]
        sources = list(dict.fromkeys(given)) or list(BENCHMARKS)  # one result for a source given twice
        results = _named_uniquely(sources, [evaluate_similarity(emb, s) for s in sources])
        if all(r.evaluated < 2 for r in results):  # a Spearman of NaN said nothing, with exit 0
            raise InputDataError(
                f"no correlation could be computed: fewer than two listed pairs of each of {', '.join(r.name for r in results)} "
                f"have both words among the {len(emb):,} words of {str(embedding)!r}."
            )
        if not any(r.spearman == r.spearman for r in results):  # NaN from scores that do not vary
            raise InputDataError(
                "no correlation could be computed: the human scores (or the cosines) of the scored pairs of "
                f"{', '.join(r.name for r in results)} are all equal, so they have no ranking to correlate."
            )
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
        ctx: typer.Context,
        cooc: Path = typer.Argument(..., help="Co-occurrence file written by cooc."),
        targets: str = typer.Option("m,logm,ppmi,mstar", help="Comma-separated targets."),
        dims: str = typer.Option("10,20,50,100,200", help="Comma-separated values of K."),
        out: Path = typer.Option(
            Path("sweep-out"), "--output", "-o", "--out", help="Folder for sweep.json and sweep.png."
        ),
        protocol: str = typer.Option("pairs", help="pairs (the papers) or gensim."),
        questions: Path | None = typer.Option(None, help="questions-words.txt-style file (default: gensim's)."),
        method: str = typer.Option("add", help="add or mul."),
        p: float = typer.Option(0.5, help="Eigenvalue weighting."),
        solver: str = typer.Option("auto", help="Eigensolver."),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        eps: float = typer.Option(1e-2, help="Floor of log(M + eps) (target logm only)."),
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace sweep.json and sweep.png already in --output."
        ),
        as_json: bool = JSON,
        threads: int | None = THREADS,
        progress: bool = PROGRESS,
    ) -> None:
        """Analogy accuracy against K for several targets (one decomposition each): table + plot."""
        target_list, dim_list = _split(targets), _split(dims, int)
        interrupt_keeps("nothing is kept (the sweep starts over when run again).")
        curves = sweep_command(
            cooc,
            target_list,
            dim_list,
            out,
            protocol,
            questions,
            p,
            solver,
            device,
            eps,
            method,
            overwrite=overwrite,
            progress=progress and is_tty(),
            threads=threads,
            given=_given(ctx, ("eps", "threads")),
        )
        if as_json:
            print_json({k: _coverage(c) for k, c in curves.items()})
            return
        ks = sorted({int(k) for c in curves.values() for k in c.ks})
        rows = [
            [k] + [_pct(c.accuracy[list(c.ks).index(k)]) if k in c.ks else "-" for c in curves.values()] for k in ks
        ]
        console.print(_table(f"analogy accuracy % (protocol {protocol})", ["K", *curves], rows))
        first = next(iter(curves.values())).results[0]
        if protocol == "gensim":
            console.print(f"{first.usable:,}/{first.listed:,} listed questions in vocabulary (scored at each K)")
        else:
            console.print(
                f"{first.total:,} questions from the {first.usable:,}/{first.listed:,} listed pairs in vocabulary "
                "(scored at each K)"
            )
        console.print(f"wrote {out / 'sweep.json'} and {out / 'sweep.png'}")

    app.add_typer(eval_app, name="eval")
