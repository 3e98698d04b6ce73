"""Figures of the grammar-learning studies, each with the theory it tests drawn beside the measurement.

- :func:`plot_scaling`: P* (or any measured scale) against a predicted scale, log-log, with
  the fitted power law and the theory's slope;
- :func:`plot_sensitivity`: hidden-layer sensitivities and the test error against P / P*;
  :func:`plot_sensitivity_panels`: the same for several networks side by side;
- :func:`plot_decay_curves`: learning curves in log-log with fitted and predicted slopes;
- :func:`plot_ambiguity`: the fraction of ambiguous sentences (and Bayes error) against f,
  with f_c; :func:`plot_ambiguity_depth`: the same fractions against the depth L, one line per f;
- :func:`plot_first_moment`: the mean number of extra trees against L, theory beside parsed
  grammars; :func:`plot_moment_growth`: its growth per depth against f and where that crosses 1;
- :func:`plot_depth_scaling`: sample complexity against the depth L (semi-log) with the
  fitted and predicted growth per level;
- :func:`plot_error_floors`: learning curves beside the Bayes-optimal error.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import finish, pyplot


def _plain_minor_ticks(ax: Any, x_values: Any = None, y_values: Any = None) -> None:
    """No labels on minor log ticks (they collide on short decades); a log axis that holds fewer than two
    powers of ten gets plain labelled ticks instead (at the data's values where given and few)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    for axis, values in ((ax.xaxis, x_values), (ax.yaxis, y_values)):
        if axis.get_scale() != "log":
            continue
        lo, hi = sorted(axis.get_view_interval())
        if lo <= 0 or math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) >= 1:
            continue  # two powers of ten or more: the default labels read
        axis.set_major_locator(FixedLocator(short_log_ticks(lo, hi, values)))
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.3g}"))


#: At most this many labelled ticks on a log axis shorter than a decade.
MAX_SHORT_TICKS = 8
#: The data's values label such an axis only when each is at least this factor above the one before.
MIN_TICK_RATIO = 1.2


def short_log_ticks(lo: float, hi: float, values: Any = None) -> list[float]:
    """Tick positions for a log axis from ``lo`` to ``hi`` that holds fewer than two powers of ten.

    The distinct positive ``values`` inside the range when there are 2 to :data:`MAX_SHORT_TICKS` of them, at
    least :data:`MIN_TICK_RATIO` apart (a study's s0 + 1 = 1, 2, 3, 4); otherwise the round numbers m 10^k
    inside it, with m = 1-9, else 1, 2, 5, else 1, whichever first gives at most :data:`MAX_SHORT_TICKS`."""
    if values is not None:
        v = np.unique(np.asarray(values, dtype=float).ravel())
        v = v[np.isfinite(v) & (v >= lo) & (v <= hi)]
        if 2 <= v.size <= MAX_SHORT_TICKS and np.all(v[1:] >= MIN_TICK_RATIO * v[:-1]):
            return v.tolist()
    powers = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    ticks: list[float] = []
    for mantissas in (range(1, 10), (1, 2, 5), (1,)):
        ticks = [float(f"{m}e{k}") for k in powers for m in mantissas if lo <= float(f"{m}e{k}") <= hi]
        if len(ticks) <= MAX_SHORT_TICKS:
            break
    return ticks


def _nan_for_none(values: Sequence[float | None]) -> np.ndarray:
    """A float array with NaN where a study left a value out (None: not measured)."""
    return np.array([np.nan if x is None else x for x in values], dtype=float)


def _theory_line(ax: Any, x: np.ndarray, y: np.ndarray, exponent: float, label: str, style: str = "k--") -> None:
    """A power law of the theory's exponent through the geometric centre of the points."""
    if x.size == 0:
        return
    c = np.exp(np.mean(np.log(y) - exponent * np.log(x)))
    grid = np.geomspace(x.min() / 1.5, x.max() * 1.5, 20)
    ax.plot(grid, c * grid**exponent, style, lw=0.9, label=label)


def plot_scaling(
    series: Mapping[str, Mapping[str, Any]],
    xlabel: str,
    ylabel: str = "P* (test error < 10% of chance)",
    path: str | os.PathLike | None = None,
) -> Any:
    """Measured values against a predicted scale (log-log), each series with its fit and its theory slope.

    Parameters
    ----------
    series : mapping from label to a mapping with ``x``, ``y`` (and optionally ``y_err``,
        ``fit`` = ``{exponent, error, prefactor}``, ``theory`` = the predicted exponent)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for k, (label, s) in enumerate(series.items()):
        x, y = np.asarray(s["x"], dtype=float), np.asarray(s["y"], dtype=float)
        ok = np.isfinite(y) & (y > 0)
        err = np.nan_to_num(np.asarray(s.get("y_err", np.zeros_like(y)), dtype=float))
        color = f"C{k}"
        ax.errorbar(x[ok], y[ok], yerr=err[ok], fmt="o", color=color, capsize=2, label=label)
        fit = s.get("fit")
        if fit:
            grid = np.geomspace(x[ok].min() / 1.5, x[ok].max() * 1.5, 20)
            ax.plot(
                grid,
                fit["prefactor"] * grid ** fit["exponent"],
                "-",
                color=color,
                lw=1,
                label=f"fit: exponent {fit['exponent']:.2f} ± {fit['error']:.2f}",
            )
        if s.get("theory") is not None:
            _theory_line(ax, x[ok], y[ok], s["theory"], f"theory: exponent {s['theory']:g}", ":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    xs, ys = (np.concatenate([np.asarray(s[k], dtype=float) for s in series.values()]) for k in ("x", "y"))
    _plain_minor_ticks(ax, xs, ys)
    return finish(fig, path)


def plot_sensitivity(
    curves: Mapping[str, Mapping[str, Any]],
    xlabel: str = "P / P*",
    ylabel: str = "sensitivity S (1: as far as an unrelated input)",
    threshold: float | None = 0.1,
    path: str | os.PathLike | None = None,
) -> Any:
    """Sensitivities (solid) and test error / chance (dashed) against P / P*, with P = P* marked.

    Parameters
    ----------
    curves : mapping from label to a mapping with ``P``, ``P_star``, ``S`` (sensitivity at
        each P) and optionally ``error`` (test error / chance at each P)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    _sensitivity_axes(ax, curves, xlabel, ylabel, threshold)
    return finish(fig, path)


def plot_sensitivity_panels(
    panels: Mapping[str, Mapping[str, Any]],
    xlabel: str = "P / P*",
    ylabel: str = "sensitivity S (1: as far as an unrelated input)",
    threshold: float | None = 0.1,
    path: str | os.PathLike | None = None,
) -> Any:
    """:func:`plot_sensitivity` side by side, one panel per network, each with its measured crossings.

    Parameters
    ----------
    panels : mapping from a panel title to a mapping with ``curves`` (as in :func:`plot_sensitivity`)
        and optionally ``marks``: label to the measured P / P* where a curve crosses ``threshold``,
        drawn as a marker on the threshold line beside the prediction P / P* = 1
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), sharey=True, squeeze=False)
    for ax, (title, panel) in zip(axes[0], panels.items()):
        _sensitivity_axes(ax, panel["curves"], xlabel, ylabel if ax is axes[0, 0] else "", threshold)
        for k, (label, x) in enumerate((panel.get("marks") or {}).items()):
            if x is not None and np.isfinite(x) and threshold is not None:
                ax.plot([x], [threshold], "v", ms=8, color="k", mfc=("k" if k == 0 else "w"), label=label)
        ax.legend(fontsize=6)
        ax.set_title(title, fontsize=9)
    return finish(fig, path)


def _sensitivity_axes(
    ax: Any, curves: Mapping[str, Mapping[str, Any]], xlabel: str, ylabel: str, threshold: float | None
) -> None:
    for k, (label, c) in enumerate(curves.items()):
        P = np.asarray(c["P"], dtype=float) / c["P_star"]
        ax.plot(P, c["S"], "o-", ms=3, color=f"C{k}", label=label)
        if c.get("error") is not None:
            ax.plot(P, c["error"], "s--", ms=2, lw=0.8, color=f"C{k}", alpha=0.6)
    ax.axvline(1.0, color="k", lw=0.8, ls=":", label="P = P* (prediction: S falls here)")
    if threshold is not None:
        with_error = any(c.get("error") is not None for c in curves.values())
        note = " (dashed curves: error / chance)" if with_error else ""
        ax.axhline(threshold, color="grey", lw=0.8, ls="--", label=f"{threshold:g}{note}")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=6)
    _plain_minor_ticks(ax)


def plot_decay_curves(
    curves: Mapping[str, Mapping[str, Any]], path: str | os.PathLike | None = None, ylabel: str = "test error"
) -> Any:
    """Learning curves (log-log) with the fitted slope over the fitted range and the predicted slope.

    Parameters
    ----------
    curves : mapping from label to a mapping with ``P``, ``error``, optional ``error_sd``,
        ``fit`` (``{measured, measured_err, prefactor, P}``: error = prefactor P^-measured),
        ``theory`` (the predicted decay exponent) and ``theory_curve`` (an exact curve at ``P``)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for k, (label, c) in enumerate(curves.items()):
        color = f"C{k}"
        P, err = np.asarray(c["P"], dtype=float), np.asarray(c["error"], dtype=float)
        ok = err > 0
        ax.errorbar(
            P[ok],
            err[ok],
            yerr=np.asarray(c.get("error_sd", np.zeros_like(err)))[ok],
            fmt="o",
            ms=3,
            color=color,
            capsize=2,
            label=label,
        )
        if c.get("theory_curve") is not None:
            ax.plot(P, c["theory_curve"], "-", color=color, lw=0.6, alpha=0.6)
        fit = c.get("fit")
        if fit:
            grid = np.asarray(fit["P"], dtype=float)
            ax.plot(
                grid,
                fit["prefactor"] * grid ** -fit["measured"],
                "-",
                color=color,
                lw=1.2,
                label=f"fit {fit['measured']:.2f} ± {fit['measured_err']:.2f}",
            )
            if c.get("theory") is not None:
                _theory_line(
                    ax,
                    grid,
                    fit["prefactor"] * grid ** -fit["measured"],
                    -c["theory"],
                    f"theory a/(1+a) = {c['theory']:.2f}",
                    ":",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training samples P")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=6, ncol=2)
    _plain_minor_ticks(ax)
    return finish(fig, path)


def plot_ambiguity(result: Mapping[str, Any], path: str | os.PathLike | None = None) -> Any:
    """Fraction of globally ambiguous sentences (solid), of class-ambiguous ones (dotted) and Bayes error (dashed)
    against f, one colour per L.

    Parameters
    ----------
    result : the output of :func:`cooc.experiments.varying_tree.ambiguity_curves`
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    f = np.asarray(result["f"], dtype=float)
    for k, (L, entry) in enumerate(result["depths"].items()):
        color = f"C{k}"
        done = np.array([x is not None for x in entry["fraction"]])
        values = {key: _nan_for_none(entry[key]) for key in ("fraction", "fraction_se", "bayes_error")}
        ax.errorbar(
            f[done],
            values["fraction"][done],
            yerr=values["fraction_se"][done],
            fmt="o-",
            ms=3,
            color=color,
            capsize=2,
            label=f"L = {L}: ambiguous (f_half = {entry['f_half']:.3f})",
        )
        ax.plot(f[done], values["bayes_error"][done], "--", color=color, lw=0.8)
        if "class_fraction" in entry:  # results written before class ambiguity was measured lack it
            ax.plot(f[done], _nan_for_none(entry["class_fraction"])[done], "x:", ms=3, color=color, lw=0.8)
    ax.axvline(result["f_c"], color="k", ls=":", lw=1, label=f"f_c = {result['f_c']:g} (theory)")
    ax.axhline(0.5, color="grey", ls="--", lw=0.6)
    ax.set_xlabel("f (rules per symbol: m2 = f v, m3 = f v^2)")
    ax.set_ylabel("> 1 tree (solid); > 1 class (dotted); Bayes error (dashed)", fontsize=8)
    ax.legend(fontsize=6)
    _plain_minor_ticks(ax)
    return finish(fig, path)


def plot_ambiguity_depth(result: Mapping[str, Any], path: str | os.PathLike | None = None) -> Any:
    """Class-ambiguous (solid) and same-class ambiguous (dotted) fractions against L, one colour per f.

    A sentence is same-class ambiguous when all its trees share one root: its alternative
    trees rejoin the sentence's own tree below the root.

    Parameters
    ----------
    result : the output of :func:`cooc.experiments.varying_tree.ambiguity_curves`
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    depths = sorted(result["depths"], key=int)
    L = np.array([int(d) for d in depths])
    for k, f in enumerate(result["f"]):
        cls, total, se = (
            _nan_for_none([result["depths"][d][key][k] for d in depths])
            for key in ("class_fraction", "fraction", "class_fraction_se")
        )
        color = f"C{k % 10}"
        low = np.minimum(se, 0.9 * cls)  # a log axis has no room for bars reaching zero
        ax.errorbar(L, cls, yerr=[low, se], fmt="o-", ms=3, capsize=2, color=color, label=f"f = {f:g}")
        same = total - cls
        ax.plot(L, np.where(same > 0, same, np.nan), ":", color=color, lw=0.9)
    ax.set_yscale("log")
    ax.set_xticks(L)
    ax.set_xlabel("depth L")
    ax.set_ylabel("trees with > 1 root (solid); > 1 tree, one root (dotted)", fontsize=8)
    ax.set_title(f"v = {result['v']}", fontsize=9)
    ax.legend(fontsize=6)
    return finish(fig, path)


def plot_first_moment(
    theory: Mapping[str, Any], measured: Mapping[str, Any] | None = None, path: str | os.PathLike | None = None
) -> Any:
    """Mean number of extra trees per sentence against L: the first moment (lines) and parsed grammars (markers).

    Parameters
    ----------
    theory : the output of :func:`cooc.experiments.varying_tree.first_moment_curves`
    measured : optional output of :func:`cooc.experiments.varying_tree.ambiguity_curves` at
        some of the same f: its mean number of extra trees (open circles) and its class-ambiguous
        fraction (crosses), which the first moment bounds from above when it is below 1
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    depths = sorted(theory["depths"], key=int)
    L = np.array([int(d) for d in depths])
    seen = {} if measured is None else {round(f, 9): k for k, f in enumerate(measured["f"])}
    for k, f in enumerate(theory["f"]):
        color = f"C{k % 10}"
        mean = np.array([theory["depths"][d]["mean"][k] for d in depths], dtype=float)
        ax.plot(L, np.where(mean > 0, mean, np.nan), "-", color=color, lw=1.2, label=f"f = {f:g}")
        j = seen.get(round(f, 9))
        if measured is None or j is None:
            continue
        mdepths = sorted(measured["depths"], key=int)
        mL = np.array([int(d) for d in mdepths])
        parses = _nan_for_none([measured["depths"][d]["mean_parses"][j] for d in mdepths]) - 1
        cls = _nan_for_none([measured["depths"][d]["class_fraction"][j] for d in mdepths])
        ax.plot(mL, np.where(parses > 0, parses, np.nan), "o", mfc="none", color=color, ms=5)
        ax.plot(mL, np.where(cls > 0, cls, np.nan), "x", color=color, ms=5)
    ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(L)
    ax.set_xlabel("depth L")
    ax.set_ylabel("extra trees per sentence", fontsize=8)
    title = "first moment, v large (lines)"
    if measured is not None:
        title += f"; parsed at v = {measured['v']}: extra trees (o), class-ambiguous fraction (x)"
    ax.set_title(title, fontsize=7)
    ax.legend(fontsize=6, ncol=2)
    return finish(fig, path)


def plot_moment_growth(
    growth: Mapping[str, Any], f_c: float | None = None, path: str | os.PathLike | None = None
) -> Any:
    """The first moment's growth per depth, lambda(d), against f (left), and where it crosses 1 (right).

    Parameters
    ----------
    growth : the output of :func:`cooc.experiments.varying_tree.first_moment_growth`
    f_c : a transition to mark on both panels (the paper's 3/8), or None
    """
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.8))
    f = np.asarray(growth["f"], dtype=float)
    depths = growth["growth_depths"]
    for k, d in enumerate(depths):
        lam = np.array([row[k] for row in growth["growth"]], dtype=float)
        se = np.array([row[k] for row in growth["growth_se"]], dtype=float)
        ax.errorbar(f, lam, yerr=se, fmt="o-", ms=3, lw=1, capsize=2, color=f"C{k % 10}", label=f"d = {d}")
    ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("f")
    ax.set_ylabel("lambda(d) = E C(d) / E C(d - 1)", fontsize=8)
    ax.set_title(f"growth of the first moment per depth ({growth['n']} shapes, p2 = {growth['p2']:g})", fontsize=7)
    star = _nan_for_none(growth["f_star"])
    err = _nan_for_none(growth["f_star_err"])
    bx.errorbar(depths, star, yerr=err, fmt="s-", ms=4, capsize=2, color="k", label="f*(d): lambda(d) = 1")
    ok = np.isfinite(star)
    ax.scatter(star[ok], np.ones(ok.sum()), marker="x", s=36, c=[f"C{k % 10}" for k in np.flatnonzero(ok)], zorder=3)
    if f_c is not None:
        mark = dict(color="C3", lw=0.9, ls=":", label=f"f_c = {f_c:g} (paper)")
        ax.axvline(f_c, **mark)
        bx.axhline(f_c, **mark)
    bx.set_xticks(depths)
    bx.set_xlabel("depth d")
    bx.set_ylabel("f*(d)")
    bx.set_title("where contributions one level deeper stop shrinking", fontsize=7)
    ax.legend(fontsize=6, ncol=2)
    bx.legend(fontsize=6)
    return finish(fig, path)


def plot_depth_scaling(
    series: Mapping[str, Mapping[str, Any]], path: str | os.PathLike | None = None, ylabel: str = "P*"
) -> Any:
    """Sample complexity against depth L (log y), with fitted growth per level and the predicted one.

    Parameters
    ----------
    series : mapping from label to a mapping with ``L``, ``P_star``, optional ``P_star_sd``,
        ``fit`` (``{base, base_error, prefactor}``), ``theory_base`` and either ``P_max`` (the
        largest P tried: a depth whose P* is NaN, not reached by then, is drawn there as a hollow
        triangle pointing up, a lower bound) or ``P_star_censored`` and ``P_star_bound`` per depth
        (a NaN P* censored ``"above"`` is drawn at its bound as a triangle pointing up, one censored
        ``"below"`` as a triangle pointing down; ``"both"`` is not drawn)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for k, (label, s) in enumerate(series.items()):
        color = f"C{k}"
        L, y = np.asarray(s["L"], dtype=float), np.asarray(s["P_star"], dtype=float)
        ok = np.isfinite(y)
        ax.errorbar(
            L[ok],
            y[ok],
            yerr=np.nan_to_num(np.asarray(s.get("P_star_sd", np.zeros_like(y)), dtype=float))[ok],
            fmt="o",
            color=color,
            capsize=2,
            label=label,
        )
        if s.get("P_star_censored") is not None:
            kinds = np.asarray([str(c) for c in s["P_star_censored"]])
            bound = np.asarray(s["P_star_bound"], dtype=float)
            for kind, marker, word in (("above", "^", "above"), ("below", "v", "below")):
                at = ~ok & (kinds == kind) & np.isfinite(bound)
                if at.any():
                    ax.plot(L[at], bound[at], marker, mfc="none", color=color, label=f"P* {word} this bound (censored)")
        elif s.get("P_max") is not None and not ok.all():
            ax.plot(
                L[~ok],
                np.full((~ok).sum(), float(s["P_max"])),
                "^",
                mfc="none",
                color=color,
                label=f"not reached by P = {float(s['P_max']):,.0f}",
            )
        fit = s.get("fit")
        if fit:
            ax.plot(
                L,
                fit["prefactor"] * fit["base"] ** L,
                "-",
                color=color,
                lw=1,
                label=f"fit: x{fit['base']:.2f} ± {fit['base_error']:.2f} per level",
            )
        if s.get("theory_base") is not None and ok.any():
            c = np.exp(np.mean(np.log(y[ok]) - L[ok] * np.log(s["theory_base"])))
            ax.plot(
                L, c * s["theory_base"] ** L, ":", color=color, lw=1, label=f"theory: x{s['theory_base']:g} per level"
            )
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(ylabel)
    ax.set_xticks(sorted({int(x) for s in series.values() for x in s["L"]}))
    ax.legend(fontsize=7)
    _plain_minor_ticks(ax)
    return finish(fig, path)


def plot_error_floors(curves: Mapping[str, Mapping[str, Any]], path: str | os.PathLike | None = None) -> Any:
    """Test error against P for each network and grammar, with that grammar's Bayes-optimal error.

    Parameters
    ----------
    curves : mapping from label to a mapping with ``P``, ``error``, ``floor`` (the Bayes error)
        and ``chance``; labels sharing a ``group`` share a colour
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    groups: list[str] = []
    for label, c in curves.items():
        g = c.get("group", label)
        if g not in groups:
            groups.append(g)
        color = f"C{groups.index(g)}"
        ax.plot(c["P"], c["error"], c.get("style", "o-"), ms=3, color=color, label=label)
        ax.axhline(c["floor"], color=color, ls=":", lw=0.9)
    first = next(iter(curves.values()))
    ax.axhline(first["chance"], color="grey", ls="--", lw=0.6, label="chance")
    ax.plot([], [], "k:", lw=0.9, label="Bayes-optimal error (exact, inside pass)")
    ax.set_xscale("log")
    ax.set_xlabel("training samples P")
    ax.set_ylabel("test error")
    ax.legend(fontsize=6)
    _plain_minor_ticks(ax)
    return finish(fig, path)


def spread(values: Sequence[float]) -> float:
    """Standard deviation of the finite values (NaN below two)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    return float(v.std()) if v.size > 1 else float("nan")


__all__ = [
    "plot_ambiguity",
    "plot_decay_curves",
    "plot_depth_scaling",
    "plot_error_floors",
    "plot_first_moment",
    "plot_moment_growth",
    "plot_scaling",
    "plot_sensitivity",
    "plot_sensitivity_panels",
    "spread",
]
