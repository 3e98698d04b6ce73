"""Figures for spectral embeddings: accuracy against K, per-family accuracy, eigenvalue spectra."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import finish, pyplot, tidy_log_axis

#: A qualitative colour map with 20 distinct colours: one per analogy family (Mikolov's file has 14).
FAMILY_COLORS = "tab20"


def plot_accuracy_vs_k(
    curves: Any,
    path: str | os.PathLike | None = None,
    title: str = "Analogy accuracy against K",
    families: bool = False,
    logx: bool = True,
    marks: Mapping[int, str] | None = None,
    chance: float | None = None,
) -> Any:
    """Accuracy against the number K of eigenvectors, one line per curve.

    Parameters
    ----------
    curves : AccuracyCurve or dict of label to AccuracyCurve
    path : path, optional
        Where to save the PNG.
    families : bool
        Also draw each family's curve (thin lines) for a single curve, each in its own colour
        (:data:`FAMILY_COLORS`) and labelled with its number of questions.
    logx : bool
        Logarithmic K axis.
    marks : dict of int to str, optional
        Vertical markers at these K, labelled (the theory's K = d and d + 1).
    chance : float, optional
        The accuracy of guessing (a fraction), drawn as a dotted line.

    Returns
    -------
    matplotlib Figure
    """
    plt = pyplot()
    if not isinstance(curves, Mapping):
        curves = {curves.label or "accuracy": curves}
    per_family = families and len(curves) == 1
    fig, ax = plt.subplots(figsize=(9.6 if per_family else 6.4, 4.4))
    for label, curve in curves.items():
        best_k, best = curve.best
        ax.plot(
            curve.ks,
            100 * curve.accuracy,
            marker="o",
            ms=3,
            lw=2.2,
            color="black" if per_family else None,
            label=f"{label} (all{_questions(curve)}; best {best:.0%} at K = {best_k})",
        )
        if per_family:
            colors = plt.get_cmap(FAMILY_COLORS).colors
            last = curve.results[-1]
            for i, (name, acc) in enumerate(curve.per_family.items()):
                n = last.family(name).total
                ax.plot(curve.ks, 100 * acc, lw=1.1, color=colors[i % len(colors)], label=f"{name} ({n} questions)")
    for k, text in (marks or {}).items():
        ax.axvline(k, color="0.5", ls=":", lw=1)
        ax.text(
            k,
            0.02,
            text,
            rotation=90,
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.3",
            transform=ax.get_xaxis_transform(),
        )
    if chance is not None:
        ax.axhline(100 * chance, color="0.6", ls="--", lw=0.8, label=f"chance ({100 * chance:.2g}%)")
    if logx:
        ax.set_xscale("log")
        tidy_log_axis(ax, "x")
    ax.set_xlabel("K (eigenvectors kept)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(*accuracy_range(curves.values(), per_family, chance))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if per_family:  # many lines: the legend goes beside the axes
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(fontsize=8)
    return finish(fig, path)


def accuracy_range(curves: Any, per_family: bool = False, chance: float | None = None) -> tuple[float, float]:
    """A y range (percent) that fits the curves: 0-100 when they reach past 60%, else up to 15% above the
    highest point, so that a small corpus's 0-5% curves are not flat on the axis."""
    values = [100 * np.nanmax(c.accuracy) for c in curves if len(c.ks)]
    if per_family:
        values += [100 * np.nanmax(a) for c in curves for a in c.per_family.values() if np.isfinite(a).any()]
    if chance is not None:
        values.append(100 * chance)
    top = max([v for v in values if np.isfinite(v)], default=100.0)
    upper = 100.0 if top > 60 else max(1.0, 1.15 * top)
    return -0.02 * upper, upper * 1.02


def _questions(curve: Any) -> str:
    total = curve.results[-1].total if curve.results else 0
    return f", {total} questions" if total else ""


def plot_family_accuracy(
    results: Mapping[str, Any], path: str | os.PathLike | None = None, title: str = "Analogy accuracy per family"
) -> Any:
    """Grouped bars: accuracy of each family under each result (e.g. protocol A and B).

    Parameters
    ----------
    results : dict of label to AnalogyResult
    """
    plt = pyplot()
    labels = list(results)
    names = [f.name for f in next(iter(results.values())).families]
    x = np.arange(len(names))
    width = 0.8 / max(len(labels), 1)
    fig, ax = plt.subplots(figsize=(max(6.4, 0.55 * len(names) + 2), 4.2))
    for i, label in enumerate(labels):
        res = results[label]
        acc = [100 * res.family(n).accuracy if res.family(n).total else 0.0 for n in names]
        ax.bar(x + (i - (len(labels) - 1) / 2) * width, acc, width, label=label)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return finish(fig, path)


def plot_spectrum(
    values: Mapping[str, Sequence[float] | np.ndarray] | Sequence[float] | np.ndarray,
    path: str | os.PathLike | None = None,
    title: str = "Eigenvalue spectrum",
) -> Any:
    """|lambda_k| against k on log-log axes (negative eigenvalues marked with crosses)."""
    plt = pyplot()
    if not isinstance(values, Mapping):
        values = {"eigenvalues": values}
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    any_negative = False
    for label, given in values.items():
        vals = np.asarray(given, dtype=float)
        k = np.arange(1, vals.size + 1)
        (line,) = ax.loglog(k, np.abs(vals), lw=1.5, label=label)
        neg = vals < 0
        any_negative |= bool(neg.any())
        ax.scatter(k[neg], np.abs(vals[neg]), marker="x", s=12, color=line.get_color())
    if any_negative:  # the crosses explained once, in grey
        ax.scatter([], [], marker="x", s=12, color="grey", label="negative eigenvalue")
    ax.set_xlabel("k")
    ax.set_ylabel("|eigenvalue|")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    tidy_log_axis(ax)
    ax.legend(fontsize=8)
    return finish(fig, path)
