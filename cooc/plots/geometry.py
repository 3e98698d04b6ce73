"""Figures of the symmetry and hypernymy tests: one call each, returning the Figure (saved when given a path)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import finish, pyplot, tidy_log_axis

PathLike = str | os.PathLike | None


def family_circle(order: Any, words: Sequence[str], path: PathLike = None, title: str | None = None) -> Any:
    """A family on its top two principal components with the fitted circle (the months circle).

    Parameters
    ----------
    order : OrderResult
        From :func:`cooc.geometry.symmetry.recover_order`.
    words : sequence of str
        Labels, one per row of ``order.coords``.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    xy = order.coords
    c, r = order.circle.center, order.circle.radius
    t = np.linspace(0, 2 * np.pi, 200)
    if np.isfinite(r) and r > 0:
        ax.plot(c[0] + r * np.cos(t), c[1] + r * np.sin(t), color="0.8", lw=1, zorder=0)
    ax.plot(np.append(xy[:, 0], xy[0, 0]), np.append(xy[:, 1], xy[0, 1]), color="0.6", lw=0.8, zorder=1)
    ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(len(xy)), cmap="twilight", zorder=2)
    for (x, y), w in zip(xy, words):
        ax.annotate(w, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"PC1 ({order.explained[0]:.0%})")
    ax.set_ylabel(f"PC2 ({order.explained[1]:.0%})" if len(order.explained) > 1 else "PC2")
    scores = ", ".join(f"{k} {v:.2f}" for k, v in order.scores.items())
    ax.set_title(title or scores, fontsize=9)
    return finish(fig, path)


def year_probe(
    curve: Any,
    path: PathLike = None,
    title: str | None = None,
    theory: Any = None,
    null: Any = None,
    slope_range: tuple[int, int] = (1, 30),
    guides: bool = True,
) -> Any:
    """Normalised probe error against r (log-log): the measured curves, the theory, the null; slopes in the legend.

    Parameters
    ----------
    curve : ProbeCurve or dict of str to ProbeCurve
        From :func:`cooc.geometry.probe.year_probe` (several: one line each).
    theory : ProbeCurve or dict of str to ProbeCurve, optional
        The curve a kernel predicts (:func:`cooc.geometry.probe.kernel_probe`), drawn dashed.
    null : ProbeCurve, optional
        The probe with the values shuffled, drawn as a grey band (mean +- std).
    slope_range : (int, int)
        The r range of the fitted slopes shown in the legend.
    guides : bool
        Draw the 1/r and 1/sqrt(r) slopes of the papers' theory (anchored at the first point).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.4, 4.2))
    curves = curve if isinstance(curve, dict) else {"probe": curve}
    theories = theory if isinstance(theory, dict) else ({"kernel's prediction": theory} if theory is not None else {})

    def slope(c: Any) -> str:
        hi = min(slope_range[1], int(c.ranks[-1]))
        return (
            f"{c.slope(slope_range[0], hi):+.2f}"
            if np.sum((c.ranks >= slope_range[0]) & (c.ranks <= hi)) > 1
            else "n/a"
        )

    if null is not None:
        lo = np.maximum(null.error - null.error_std, 1e-3)
        ax.fill_between(null.ranks, lo, null.error + null.error_std, color="0.85", lw=0, label="shuffled values (null)")
    for i, (name, c) in enumerate(curves.items()):
        r, e, s = c.ranks, c.error, c.error_std
        if np.any(s > 0):
            ax.fill_between(r, np.maximum(e - s, e / 3), e + s, alpha=0.2, lw=0, color=f"C{i}")
        ax.plot(r, e, "o-", ms=3, color=f"C{i}", label=f"{name} (slope {slope(c)})")
    for i, (name, c) in enumerate(theories.items()):
        ax.plot(c.ranks, c.error, "--", lw=1.4, color=f"C{i + len(curves)}", label=f"{name} (slope {slope(c)})")
    first = next(iter(curves.values()))
    if guides:
        r0, e0 = first.ranks[0], first.error[0]
        ax.plot(first.ranks, e0 * r0 / first.ranks, ":", color="0.4", lw=1, label="1/r (1-D latent)")
        ax.plot(first.ranks, e0 * np.sqrt(r0 / first.ranks), "-.", color="0.6", lw=1, label="1/sqrt(r) (2-D latent)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    tidy_log_axis(ax)
    ax.set_xlabel("principal components r")
    ax.set_ylabel("std(y - y_hat) / std(y)")
    ax.set_title(title or f"{first.n_splits} splits, {first.n_train} training words", fontsize=9)
    ax.legend(fontsize=7)
    return finish(fig, path)


def family_circles(orders: dict[str, Any], words: Sequence[str], path: PathLike = None, title: str = "") -> Any:
    """One panel per embedding (baseline, block zeroed, sentences removed): the family on its top two
    principal components with the fitted circle; each panel's title gives the order scores beside their nulls.

    Parameters
    ----------
    orders : dict of str to OrderResult
    words : sequence of str
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(orders), figsize=(4.0 * len(orders), 4.2), squeeze=False)
    t = np.linspace(0, 2 * np.pi, 200)
    for ax, (name, order) in zip(axes[0], orders.items()):
        xy, c, r = order.coords, order.circle.center, order.circle.radius
        if np.isfinite(r) and r > 0:
            ax.plot(c[0] + r * np.cos(t), c[1] + r * np.sin(t), color="0.85", lw=1, zorder=0)
        ax.plot(np.append(xy[:, 0], xy[0, 0]), np.append(xy[:, 1], xy[0, 1]), color="0.6", lw=0.8, zorder=1)
        ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(len(xy)), cmap="twilight", zorder=2)
        for (x, y), w in zip(xy, words):
            ax.annotate(w[:3], (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
        ax.set_aspect("equal", adjustable="datalim")
        scores = ", ".join(f"{k} {v:.2f} (null {order.null.get(k, np.nan):.2f})" for k, v in order.scores.items())
        ax.set_title(f"{name}\n{scores}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    return finish(fig, path)


def kernel_vs_distance(
    distance: np.ndarray,
    values: np.ndarray,
    fit: Any = None,
    theory: tuple[np.ndarray, np.ndarray, str] | None = None,
    null: Any = None,
    path: PathLike = None,
    xlabel: str = "distance",
    ylabel: str = "M*",
    title: str = "",
    logy: bool = False,
) -> Any:
    """Block entries against distance, with the fitted kernel (its parameters on the figure), the theory and a null.

    Parameters
    ----------
    distance, values : ndarray of shape (m,)
        One point per pair (or per distance class).
    fit : KernelFit, optional
        Drawn as a line; its parameters and R^2 go in the legend.
    theory : (x, y, label), optional
        The generating kernel, dashed.
    null : DistanceProfile, optional
        Its shuffled-label null (mean +- std) as a grey band.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.4, 4.0))
    x, y = np.asarray(distance, dtype=float), np.asarray(values, dtype=float)
    if null is not None:
        lo, hi = null.null_mean - null.null_std, null.null_mean + null.null_std
        ax.fill_between(null.distance, lo, hi, color="0.85", lw=0, label="labels shuffled (null)", zorder=0)
    ax.scatter(x, y, s=10, alpha=0.5 if len(x) > 50 else 0.9, label="entries" if null is None else "mean per class")
    grid = np.linspace(np.min(x), np.max(x), 300)
    if fit is not None:
        p, e = fit.params, fit.stderr
        text = ", ".join(f"{k} {p[k]:.3g} +- {e[k]:.2g}" for k in p)
        ax.plot(grid, fit(grid), "-", color="C3", lw=1.6, label=f"fit: {text}; R^2 {fit.r2:.3f}")
    if theory is not None:
        tx, ty, label = theory
        ax.plot(tx, ty, "--", color="0.2", lw=1.2, label=label)
    if logy:
        ax.set_yscale("log")
        tidy_log_axis(ax, "y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, framealpha=0.8)
    return finish(fig, path)


def distance_profiles(
    profiles: dict[str, Any],
    fits: dict[str, Any] | None = None,
    path: PathLike = None,
    xlabel: str = "tree distance",
    title: str = "",
    logy: Sequence[str] = ("p",),
) -> Any:
    """Mean target entry per distance class (one panel per target), its shuffled null band and the fitted exponential.

    Parameters
    ----------
    profiles : dict of str to DistanceProfile
        E.g. ``TreeProfile.profiles`` (``"p"``, ``"mstar"``).
    fits : dict of str to KernelFit, optional
        Drawn over the classes, with beta = 1 / sigma in the legend.
    logy : sequence of str
        Targets drawn on a log axis (positive ones, such as P_ij).
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(profiles), figsize=(4.8 * len(profiles), 4.0), squeeze=False)
    names = {"p": "co-occurrence P_ij", "m": "M = P_ij / P_i P_j", "mstar": "M*"}
    for ax, (kind, prof) in zip(axes[0], profiles.items()):
        ok = prof.count > 0
        if np.isfinite(prof.null_mean).any():
            lo = prof.null_mean - prof.null_std
            if kind in logy:
                lo = np.maximum(lo, np.min(prof.null_mean[ok]) / 10)
            ax.fill_between(
                prof.distance, lo, prof.null_mean + prof.null_std, color="0.85", lw=0, label="words shuffled"
            )
        sizes = 6 + 40 * np.sqrt(prof.count / prof.count.max())
        ax.scatter(prof.distance[ok], prof.mean[ok], s=sizes[ok], label="mean over pairs (size: pairs)", zorder=3)
        if fits and kind in fits:
            f = fits[kind]
            grid = np.linspace(max(prof.distance.min(), 0), prof.distance.max(), 200)
            beta, err = 1 / f.params["sigma"], f.stderr["sigma"] / f.params["sigma"] ** 2
            label = f"alpha exp(-beta d){' + c' if 'offset' in f.params else ''}: beta {beta:.3g} +- {err:.2g}"
            ax.plot(grid, f(grid), "-", color="C3", lw=1.5, label=label)
        if kind in logy:
            ax.set_yscale("log")
            tidy_log_axis(ax, "y")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"mean {names.get(kind, kind)}")
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return finish(fig, path)


def places_map(
    lat: np.ndarray,
    lon: np.ndarray,
    predicted: np.ndarray,
    labels: Sequence[str] | None = None,
    path: PathLike = None,
    title: str | None = None,
) -> Any:
    """True places and the probe's held-out predictions, joined by a line, in (longitude, latitude).

    Parameters
    ----------
    lat, lon : ndarray of shape (n,)
    predicted : ndarray of shape (n, 2)
        (latitude, longitude) predictions, e.g. ``LocationProbe.predicted``.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for a, b, pa, pb in zip(lon, lat, predicted[:, 1], predicted[:, 0]):
        ax.plot([a, pa], [b, pb], color="0.75", lw=0.7, zorder=0)
    ax.scatter(lon, lat, s=14, label="true", zorder=2)
    ax.scatter(predicted[:, 1], predicted[:, 0], s=14, marker="x", label="probe", zorder=3)
    if labels is not None and len(labels) <= 80:
        for x, y, w in zip(lon, lat, labels):
            ax.annotate(w, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=6)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return finish(fig, path)


def alignment_curves(result: Any, path: PathLike = None, title: str | None = None) -> Any:
    """g(k) of the sampled subtrees, of their shuffled copies, and the null k/n; areas in the legend.

    Parameters
    ----------
    result : HypernymyResult or dict of str to HypernymyResult
        From :func:`cooc.geometry.hypernymy.hypernymy_alignment` (several embeddings: one pair of lines each).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.4, 4.2))
    results = result if isinstance(result, dict) else {"embedding": result}
    for i, (name, res) in enumerate(results.items()):
        k = np.arange(1, len(res.g) + 1)
        se = np.std(res.area) / np.sqrt(len(res.area))
        ax.fill_between(k, res.g - res.g_std, np.minimum(res.g + res.g_std, 1), alpha=0.15, lw=0, color=f"C{i}")
        ax.plot(k, res.g, "o-", ms=3, color=f"C{i}", label=f"{name} (area {np.mean(res.area):.3f} +- {se:.3f})")
        ax.plot(
            k,
            res.g_shuffled,
            "s:",
            ms=3,
            color=f"C{i}",
            label=f"{name}, shuffled (area {np.mean(res.area_shuffled):.3f})",
        )
    result = next(iter(results.values()))
    k = np.arange(1, len(result.g) + 1)
    ax.plot(k, result.null, "--", color="0.4", label="null k/n (area 0)")
    ax.set_xlabel("k")
    ax.set_ylabel("g(k) = ||U_k^T V_k||^2 / k")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        title or f"subtrees' Gram eigenvectors against the tree kernel's (beta = {result.beta:.3g})", fontsize=9
    )
    ax.legend(fontsize=8)
    return finish(fig, path)


def helper_curves(curves: dict[str, Any], path: PathLike = None, title: str | None = None) -> Any:
    """Procrustes error of the family against the number of helper words, one line per helper set.

    Parameters
    ----------
    curves : dict of str to HelperCurve
        E.g. ``{"strongest": strong, "random": random}`` from
        :func:`cooc.geometry.symmetry.helper_experiment`.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, c in curves.items():
        ax.plot(c.n_helpers, c.error, "o-", ms=3, label=name)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("helper words H")
    ax.set_ylabel("Procrustes disparity")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return finish(fig, path)
