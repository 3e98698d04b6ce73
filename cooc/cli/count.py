"""`cooc count` (corpus -> co-occurrence file) and `cooc info` (what a co-occurrence file holds)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._common import cli_errors, console, kv_table


def register(app: typer.Typer) -> None:
    app.command("count")(count_command)
    app.command("info")(info_command)


@cli_errors
def count_command(
    corpus: Path = typer.Argument(..., help="Corpus directory (built with `cooc corpus build`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (writes FILE.npz and FILE.json)."),
    window: int = typer.Option(10, help="Window size L: offsets 1..L."),
    weighting: str = typer.Option("harmonic", help="uniform | linear (L+1-j) | harmonic (1/j)."),
    vocab_size: Optional[int] = typer.Option(None, help="Count the V most frequent words only."),
    memory: str = typer.Option("4GB", help="Working-memory budget on the counting device."),
    workers: Optional[int] = typer.Option(None, help="CPU threads (default: all cores)."),
    directional: bool = typer.Option(False, "--directional", help="Keep F (right contexts) instead of F + F^T."),
    per_offset: bool = typer.Option(False, "--per-offset", help="Also store one matrix per offset j."),
    oov: str = typer.Option("drop", help="drop (windows bridge OOV tokens) | gap (they break windows)."),
    device: str = typer.Option("cpu", help="cpu | cuda | auto."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Count weighted word co-occurrences of a corpus."""
    from ..cooccurrence import _paths
    from ..count import count_cooccurrences
    from ..errors import OutputExistsError

    npz, meta = _paths(output)
    if (npz.exists() or meta.exists()) and not overwrite:
        raise OutputExistsError(f"{str(npz)!r} already exists; pass --overwrite to replace it.")
    result = count_cooccurrences(corpus, window=window, weighting=weighting, vocab_size=vocab_size, memory=memory,
                                 workers=workers, device=device, oov=oov, directional=directional,
                                 per_offset=per_offset, progress=True, spill_dir=npz.parent)
    result.save(output)
    stats = result.settings["count"]
    console.print(f"wrote {npz} ({result.shape[0]:,} x {result.shape[1]:,}, {result.nnz:,} nonzeros) "
                  f"in {stats['seconds']:.1f} s, {stats['tokens'] / max(stats['seconds'], 1e-9) / 1e6:.2f}M tokens/s")


@cli_errors
def info_command(
    path: Path = typer.Argument(..., help="A co-occurrence file written by `cooc count`."),
    top: int = typer.Option(10, help="How many of the largest pairs to list."),
) -> None:
    """Show the shape, nonzeros, total weight, settings and top pairs of a co-occurrence file."""
    from ..cooccurrence import Cooccurrence

    c = Cooccurrence.load(path)
    s = c.settings
    rows = [("shape", f"{c.shape[0]:,} x {c.shape[1]:,}"), ("nonzeros", c.nnz), ("dtype", str(c.dtype)),
            ("total weight", f"{c.total:,.6g}")]
    rows += [(k, s[k]) for k in ("window", "weighting", "symmetric", "oov", "vocab_size", "corpus") if k in s]
    if c.per_offset:
        rows.append(("per-offset matrices", len(c.per_offset)))
    console.print(kv_table(f"co-occurrence {path}", rows))
    pairs = c.top_pairs(top)
    if pairs:
        console.print(kv_table("top pairs", [(f"{a} {b}", f"{v:,.6g}") for a, b, v in pairs]))
