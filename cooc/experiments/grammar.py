"""Learning-curve studies on grammars: curves of one network on several grammars, written with figures."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._core.io import atomic_write_json, atomic_write_text
from .._core.ledger import RunLedger
from ..plots import saved
from ..plots.training import learning_curves
from ..plots.training import sample_complexity as plot_p_star
from ..train.grammar.curves import curve_table, learning_curve, summarize
from ..train.grammar.data import grammar_from_spec


def grammar_study(
    specs: Sequence[str],
    out: str | os.PathLike,
    model: str = "cnn",
    samples: Sequence[int] = (100, 1000),
    seeds: int = 3,
    figures: bool = True,
    progress: bool = False,
    ledger: RunLedger | None = None,
    jobs: int = 1,
    **params: Any,
) -> dict[str, Any]:
    """Learning curves of ``model`` on several grammars, written to ``out``.

    Writes ``curves.csv`` (one row per grammar, P and seed), ``summary.json`` (per-P
    summaries and the P* table) and, with ``figures``, ``curves.png``, and for RHM-like
    grammars ``collapse.png`` (error / chance against P / (n_c m^L)) and ``p_star.png``.
    Data files are written before the figures.

    Parameters
    ----------
    specs : sequence of str
        Grammar specs (``"rhm:v=8,n_c=8,m=4,s=2,L=3"``).
    out : path
    model, samples, seeds
        As :func:`learning_curve` (``seeds`` is a count: seeds 0..seeds-1).
    ledger, jobs
        As :func:`learning_curve`: finished runs recorded (and taken from there when the study is
        run again), runs trained ``jobs`` at once.
    **params
        Passed to :func:`learning_curve` (``n_test``, ``steps``, ``batch_size``, ``lr``,
        ``device``, ``task``, ``model_kwargs``, ...).

    Returns
    -------
    dict with ``tables`` (the P* rows), ``curves`` (per-P summaries by spec), ``files``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    all_rows, tables, curves, scales = [], [], {}, {}
    for spec in specs:
        grammar = grammar_from_spec(spec)
        rows = learning_curve(
            grammar, model, samples, seeds=list(range(seeds)), progress=progress, ledger=ledger, jobs=jobs, **params
        )
        table = {"spec": spec, **curve_table(grammar, rows)}
        tables.append(table)
        all_rows += [{"grammar": spec, **r} for r in rows]
        curves[spec], scales[spec] = summarize(rows), table["scale"]
    atomic_write_text(out / "curves.csv", _csv(all_rows))
    atomic_write_json(
        out / "summary.json",
        {
            "model": model,
            "samples": sorted(int(p) for p in samples),
            "seeds": seeds,
            "params": {k: v for k, v in params.items()},
            "tables": tables,
            "curves": curves,
        },
    )
    files = ["curves.csv", "summary.json"]
    if figures:
        saved(learning_curves(curves, path=out / "curves.png"))
        files.append("curves.png")
        if all(np.isfinite(s) for s in scales.values()):
            saved(learning_curves(curves, scales=scales, path=out / "collapse.png"))
            saved(plot_p_star(tables, path=out / "p_star.png"))
            files += ["collapse.png", "p_star.png"]
    return {"tables": tables, "curves": curves, "files": files}


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


__all__ = ["grammar_study"]
