"""Figures of the symmetry and hypernymy tests: one call each, returning the Figure (saved when given a path)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import finish, pyplot

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


def year_probe(curve: Any, path: PathLike = None, title: str | None = None) -> Any:
    """Normalised probe error against r (log-log) with the 1/r and 1/sqrt(r) slopes for comparison.

    Parameters
    ----------
    curve : ProbeCurve
        From :func:`cooc.geometry.symmetry.year_probe`.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    r, e, s = curve.ranks, curve.error, curve.error_std
    ax.fill_between(r, np.maximum(e - s, e / 3), e + s, alpha=0.25, lw=0)  # clipped: a log axis has no zero
    ax.plot(r, e, "o-", ms=3, label="probe")
    anchor_r, anchor_e = r[0], e[0]
    ax.plot(r, anchor_e * anchor_r / r, "--", color="0.4", lw=1, label="1/r")
    ax.plot(r, anchor_e * np.sqrt(anchor_r / r), ":", color="0.4", lw=1, label="1/sqrt(r)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("principal components r")
    ax.set_ylabel("std(y - y_hat) / std(y)")
    ax.set_title(title or f"{curve.n_splits} splits, {curve.n_train} training words", fontsize=9)
    ax.legend(fontsize=8)
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
    """g(k) of the sampled subtrees, of their shuffled copies, and the null k/n.

    Parameters
    ----------
    result : HypernymyResult
        From :func:`cooc.geometry.hypernymy.hypernymy_alignment`.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    k = np.arange(1, len(result.g) + 1)
    ax.fill_between(k, result.g - result.g_std, np.minimum(result.g + result.g_std, 1), alpha=0.25, lw=0)
    ax.plot(k, result.g, "o-", ms=3, label=f"embedding (area {np.mean(result.area):.3f})")
    ax.plot(k, result.g_shuffled, "s-", ms=3, label=f"shuffled labels (area {np.mean(result.area_shuffled):.3f})")
    ax.plot(k, result.null, "--", color="0.4", label="null k/n")
    ax.set_xlabel("k")
    ax.set_ylabel("g(k) = ||U_k^T V_k||^2 / k")
    ax.set_ylim(0, 1.02)
    ax.set_title(title or f"beta = {result.beta:.3g}", fontsize=9)
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
