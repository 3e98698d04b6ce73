"""`cooc count` (corpus -> co-occurrence file) and `cooc info` (what any of cooc's outputs holds)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from ._common import (
    JSON,
    PROGRESS,
    check_file_output,
    check_writable,
    cli_errors,
    console,
    interrupt_keeps,
    kv_table,
    print_json,
    refuse_given,
)


def register(app: typer.Typer) -> None:
    app.command("count")(count_command)
    app.command("info")(info_command)


@cli_errors
def count_command(
    corpus: Path = typer.Argument(..., help="Corpus directory (built with `cooc corpus build`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (writes FILE.npz and FILE.json)."),
    window: int = typer.Option(10, help="Window size L: offsets 1..L."),
    weighting: str = typer.Option("harmonic", help="uniform | linear (L+1-j) | harmonic (1/j)."),
    vocab_size: int | None = typer.Option(None, help="Count the V most frequent words only."),
    memory: str = typer.Option("4GB", help="Working-memory budget on the counting device."),
    workers: int | None = typer.Option(
        None, "--threads", "--workers", help="CPU threads (default: the cores available to this process)."
    ),
    directional: bool = typer.Option(False, "--directional", help="Keep F (right contexts) instead of F + F^T."),
    per_offset: bool = typer.Option(False, "--per-offset", help="Also store one matrix per offset j."),
    oov: str = typer.Option("drop", help="drop (windows bridge OOV tokens) | gap (they break windows)."),
    device: str = typer.Option("cpu", help="cpu | cuda | auto."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    scheduler: str | None = typer.Option(
        None,
        help="Count on Dask: a scheduler address (tcp://host:8786), or "
        "local, local:N (N worker processes here), local-cuda (one per GPU).",
    ),
    blocks: int | None = typer.Option(
        None,
        min=1,
        help="Write N out-of-core CSR row blocks (with --scheduler, "
        "the workers write them; the matrix never gathers in one place).",
    ),
    spill_dir: Path | None = typer.Option(
        None,
        "--spill-dir",
        help="Where sorted runs spill when they exceed the memory budget (default: the system's temporary "
        "folder, $TMPDIR); removed when the count ends, and by the next count if it was killed.",
    ),
    progress: bool = PROGRESS,
) -> None:
    """Count weighted word co-occurrences of a corpus."""
    import logging

    from .._core.device import parse_memory, resolve_device
    from .._core.errors import OutputExistsError
    from .._core.io import human_bytes
    from .._core.kinds import refuse_corpus_files
    from .._core.locks import lock_output
    from .._core.params import validate
    from ..cooccurrence.blocked import output_base
    from ..cooccurrence.format import blocks_dir, file_paths
    from ..count import count_cooccurrences
    from ..count.settings import COUNT_CONSTRAINTS

    # Everything is checked before the corpus is read.
    check_file_output(output, "counts")
    npz, meta = file_paths(output)
    refuse_corpus_files([npz, meta], "counts")  # count -o corpus/manifest would replace the corpus's manifest
    if (npz.exists() or meta.exists() or blocks_dir(output).exists()) and not overwrite:
        raise OutputExistsError(
            f"{str(meta if blocks is not None else npz)!r} already exists; pass --overwrite to replace it."
        )
    validate(
        dict(
            window=window,
            weighting=weighting,
            vocab_size=vocab_size,
            workers=workers,
            oov=oov,
            symmetric=True,
            directional=directional,
            per_offset=per_offset,
            engine="auto",
        ),
        COUNT_CONSTRAINTS,
        "count",
    )
    parse_memory(memory)
    resolve_device(device)
    if scheduler is not None:
        from ..count.cluster import check_scheduler

        check_scheduler(scheduler)
    check_writable(npz.parent, "output folder")
    if spill_dir is not None:
        check_writable(spill_dir, "spill folder")
    if scheduler is not None:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # its tracebacks; the error is one line
    interrupt_keeps("nothing is kept (counting starts over when run again; its temporary files were removed).")
    params: dict[str, Any] = dict(
        window=window,
        weighting=weighting,
        vocab_size=vocab_size,
        memory=memory,
        workers=workers,
        device=device,
        oov=oov,
        directional=directional,
        per_offset=per_offset,
        progress=progress,
        spill_dir=spill_dir,
    )
    with lock_output(output_base(output), "co-occurrence file"):
        if scheduler is not None and blocks is not None:
            from ..count.distributed import count_distributed

            result = count_distributed(corpus, scheduler, out=output, n_blocks=blocks, overwrite=overwrite, **params)
        else:
            result = count_cooccurrences(corpus, scheduler=scheduler, **params)
            if blocks is not None:
                from ..cooccurrence.blocked import save_blocked

                result = save_blocked(result, output, n_blocks=blocks, overwrite=overwrite)
            else:
                # over a blocked matrix the flat one's metadata, renamed over the blocked one's, is the commit
                # point: until then the old output stays whole, and its blocks go only after it
                result.save(output)
                if overwrite and blocks_dir(output).exists():
                    import shutil

                    shutil.rmtree(blocks_dir(output))
    stats = result.settings["count"]
    where = f"{meta} ({result.n_blocks} row blocks, " if blocks is not None else f"{npz} ("
    compiling = stats.get("compile_seconds", 0.0)
    counting = max(stats["seconds"] - compiling, 1e-9)  # the first run's compilation is not throughput
    console.print(
        f"wrote {where}{result.shape[0]:,} x {result.shape[1]:,}, {result.nnz:,} nonzeros) "
        f"in {stats['seconds']:.1f} s, {stats['tokens'] / counting / 1e6:.2f}M tokens/s"
        + (f" (plus {compiling:.1f} s compiling the kernels, once per machine)" if compiling >= 0.05 else "")
    )
    if stats.get("spills"):
        console.print(
            f"spilled {human_bytes(stats.get('spilled_bytes', 0))} of sorted runs in {stats['spills']} files "
            f"(removed); a larger --memory spills less."
        )


def show_study(ctx: typer.Context, folder: Path, held: list[tuple[str, str]], as_json: bool) -> bool:
    """Show a study's output folder (its results.json) for `cooc info`; False when ``folder`` is none."""
    from ..experiments.studies import study_output

    run = study_output(folder)
    if run is None:
        return False
    refuse_given(
        ctx, ["top"], "a study's output folder", "it lists the study's figures; its numbers are in results.json."
    )
    results, figures = str(folder / "results.json"), [str(f) for f in run.figures]
    if as_json:
        print_json(
            {
                "path": str(folder),
                "study": run.name,
                "full": run.full,
                "seconds": run.seconds if math.isfinite(run.seconds) else None,
                "results": results,
                "figures": figures,
                "outputs": [{"kind": k, "path": p} for k, p in held],
            }
        )
        return True
    seconds = f"{run.seconds:.0f}" if math.isfinite(run.seconds) else "unknown"  # not recorded, or not a number
    rows = [("study", run.name), ("settings", "--full" if run.full else "default"), ("seconds", seconds)]
    rows += [("results", results)] + [("figure", f) for f in figures] + held
    console.print(kv_table(f"study output {folder}", rows))
    return True


@cli_errors
def info_command(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ...,
        help="A co-occurrence file (`cooc count`), a corpus (`cooc corpus build`), an embedding, or a folder of them.",
    ),
    top: int = typer.Option(
        10, help="How many of the largest pairs (an embedding's first words, a corpus' most frequent) to list."
    ),
    as_json: bool = JSON,
) -> None:
    """Show what a cooc output holds: a co-occurrence file's shape, nonzeros, total weight, settings and
    top pairs; a corpus' size, vocabulary and source (as `cooc corpus info`); an embedding's size and origin;
    the outputs a folder holds (a demo's); a study's output folder: the study, its settings, time and figures."""
    from .._core.errors import CorruptFileError
    from .._core.kinds import kind_of, outputs_in
    from ..cooccurrence import BlockedCooccurrence, load
    from ..cooccurrence.format import file_paths
    from ..cooccurrence.matrix import check_count

    check_count(top, "info --top")  # a negative count sliced off the end: nearly every word or pair

    kind = kind_of(path)
    if kind is None and path.is_dir():
        held = [(k, str(p)) for k in ("corpus", "cooccurrence", "embedding") for p in outputs_in(path, k)]
        if show_study(ctx, path, held, as_json):
            return
        if held:  # a demo's folder: what it holds, each to be shown on its own
            refuse_given(ctx, ["top"], "a folder", "it lists the outputs the folder holds; give one of them.")
            if as_json:
                print_json({"path": str(path), "outputs": [{"kind": k, "path": p} for k, p in held]})
            else:
                console.print(kv_table(f"cooc outputs in {path} (cooc info PATH shows one)", held))
            return
    if kind == "corpus":
        from ..corpus.store import TokenCorpus
        from .corpus import show_info

        corpus = TokenCorpus.open(path)
        if as_json:
            print_json(corpus.info(top))
        else:
            show_info(corpus, top)
        return
    if kind == "embedding":
        info = embedding_info(path, top)
        if as_json:
            print_json(info)
        else:
            rows = [(k.replace("_", " "), ", ".join(v) if k == "first_words" else v) for k, v in info.items()]
            console.print(kv_table(f"embedding {path}", rows))
        return
    if kind is None and not any(p.exists() for p in (path, *file_paths(path))):
        raise CorruptFileError(
            f"{str(path)!r} does not exist: give a corpus, co-occurrence counts, an embedding, or a folder of "
            "cooc outputs (a demo's, a study's)."
        )
    c = load(path)
    s = c.settings
    n_blocks = c.n_blocks if isinstance(c, BlockedCooccurrence) else None
    if as_json:
        keys = ("window", "weighting", "symmetric", "oov", "vocab_size", "corpus")
        print_json(
            {
                "path": str(path),
                "shape": list(c.shape),
                "nnz": c.nnz,
                "dtype": str(c.dtype),
                "total": c.total,
                "layout": c.layout,
                "blocks": n_blocks,
                "offsets": c.n_offsets,
                "settings": {k: s[k] for k in keys if k in s},
                "top_pairs": [{"word": a, "context": b, "value": v} for a, b, v in c.top_pairs(top)],
            }
        )
        return
    rows = [
        ("shape", f"{c.shape[0]:,} x {c.shape[1]:,}"),
        ("nonzeros", c.nnz),
        ("dtype", str(c.dtype)),
        ("total weight", f"{c.total:,.6g}"),
    ]
    rows += [(k, s[k]) for k in ("window", "weighting", "symmetric", "oov", "vocab_size", "corpus") if k in s]
    if n_blocks is not None:
        rows.append(("out-of-core row blocks", n_blocks))
    if c.n_offsets:
        rows.append(("per-offset matrices", c.n_offsets))
    console.print(kv_table(f"co-occurrence {path}", rows))
    pairs = c.top_pairs(top)
    if pairs:
        console.print(kv_table("top pairs", [(f"{a} {b}", f"{v:,.6g}") for a, b, v in pairs]))


def embedding_info(path: Path, top: int = 10) -> dict[str, Any]:
    """What an embedding holds: its size, how it was made (target and solver, or trainer), from what, when."""
    from ..embedding import Embedding

    emb = Embedding.load(path, mmap=True)
    meta = emb.meta
    made = meta.get("model")
    if made is None and meta.get("target"):
        made = f"eigen-embedding of {meta['target']}" + (f" ({meta['solver']})" if meta.get("solver") else "")
    counts = meta.get("cooccurrence") or {}
    source = meta.get("corpus") or (counts.get("settings") or {}).get("corpus") or meta.get("source")
    return {
        "path": str(path),
        "words": int(emb.vectors.shape[0]),
        "dimensions": int(emb.vectors.shape[1]),
        "dtype": str(emb.vectors.dtype),
        "made_by": made,
        "from": source,
        "created": (meta.get("provenance") or {}).get("created"),
        "first_words": list(emb.index_to_key[:top]),
    }
