"""Figures of the trainers: learning curves on grammars, their collapse, P* against n_c m^L,
and word2vec's loss."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import finish, pyplot


def learning_curves(
    curves: Mapping[str, Sequence[dict[str, Any]]],
    scales: Mapping[str, float] | None = None,
    metric: str = "test_error",
    path: str | os.PathLike | None = None,
) -> Any:
    """Test error (or loss) against P, one line per curve, seed spread as error bars.

    Parameters
    ----------
    curves : dict of label -> rows of :func:`cooc.train.grammar.curves.summarize`
    scales : dict of label -> float, optional
        With scales, the x axis is ``P / scale`` (e.g. n_c m^L) and errors are divided by the
        chance error: curves that obey the theory collapse onto one.
    metric : {"test_error", "test_loss"}
    path : path, optional
        Where to save the PNG.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, rows in curves.items():
        P = np.array([r["P"] for r in rows], dtype=float)
        y = np.array([r[metric] for r in rows], dtype=float)
        sd = np.array([r.get(metric + "_sd", 0.0) for r in rows], dtype=float)
        if scales is not None:
            P = P / scales[label]
            if metric == "test_error":
                chance = np.array([r["chance_error"] for r in rows], dtype=float)
                y, sd = y / chance, sd / chance
        ax.errorbar(P, y, yerr=sd, marker="o", ms=3, capsize=2, label=label)
    if metric == "test_error" and scales is not None:
        ax.axhline(0.1, color="grey", lw=0.8, ls="--", label="10% of chance")
    ax.set_xscale("log")
    if metric == "test_loss":
        ax.set_yscale("log")
    ax.set_xlabel("P / (n_c m^L)" if scales is not None else "training samples P")
    ax.set_ylabel(
        {"test_error": "test error" + (" / chance" if scales is not None else ""), "test_loss": "test loss"}[metric]
    )
    ax.legend(fontsize=7)
    return finish(fig, path)


def sample_complexity(tables: Sequence[dict[str, Any]], path: str | os.PathLike | None = None) -> Any:
    """P* against the predicted scale n_c m^L (log-log), with the best line P* = C n_c m^L.

    Parameters
    ----------
    tables : rows of :func:`cooc.train.grammar.curves.curve_table`
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    rows = [t for t in tables if np.isfinite(t["P_star"]) and np.isfinite(t["scale"])]
    x = np.array([t["scale"] for t in rows], dtype=float)
    y = np.array([t["P_star"] for t in rows], dtype=float)
    err = np.array([t.get("P_star_sd", 0.0) for t in rows], dtype=float)
    ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", capsize=2)
    for t, xi, yi in zip(rows, x, y):
        ax.annotate(
            f"v={t['v']} m={t['m']} L={t['L']}", (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    if rows:
        C = float(np.exp(np.mean(np.log(y / x))))
        grid = np.geomspace(x.min() / 2, x.max() * 2, 10)
        ax.plot(grid, C * grid, "k--", lw=0.8, label=f"P* = {C:.2g} n_c m^L")
        ax.legend(fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
    else:
        ax.text(
            0.5,
            0.5,
            "no curve crossed 10% of chance\ninside the grid of P",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_xlabel("n_c m^L")
    ax.set_ylabel("P* (test error < 10% of chance)")
    return finish(fig, path)


def word2vec_loss(history: Sequence[dict[str, Any]], path: str | os.PathLike | None = None) -> Any:
    """Mean loss per example of each chunk against the words processed."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([h["words"] for h in history], [h["loss"] for h in history], lw=1)
    ax.set_xlabel("words processed")
    ax.set_ylabel("loss per example")
    return finish(fig, path)


__all__ = ["learning_curves", "sample_complexity", "word2vec_loss"]
