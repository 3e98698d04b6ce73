"""Figures of the language models: loss against P with the RHM's steps, loss by position and by context,
excess-loss exponents, and the scaling-law statistics (lag spectrum with its floor, entropy decay, data scaling)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import finish, pyplot


def _log_ticks(ax: Any) -> None:
    """Plain numbers on log axes, without the overlapping minor labels."""
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _plain_ticks(ax: Any, values: Sequence[int]) -> None:
    """Tick labels at the measured x values only (no overlapping minor labels on a log axis)."""
    from matplotlib.ticker import NullFormatter, NullLocator

    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(list(values), [str(v) for v in values], fontsize=7)


def loss_against_samples(
    curves: Mapping[str, Sequence[dict[str, Any]]],
    key: str = "test_loss",
    steps: Sequence[float] | None = None,
    plateaus: Sequence[float] | None = None,
    measured: Mapping[str, Sequence[float]] | None = None,
    title: str = "",
    path: str | os.PathLike | None = None,
) -> Any:
    """Test loss against the number of training contexts P, one line per model (seed mean, standard error bars).

    Parameters
    ----------
    curves : dict of label -> rows with ``P``, ``key`` and ``<key>_se``
    steps : sequence of float, optional
        Predicted step positions P_l (vertical dotted lines, labelled l = 1, 2, ...).
    plateaus : sequence of float, optional
        Loss plateaus H_0, H_1, ... (horizontal dashed lines).
    measured : dict of label -> sequence of float, optional
        Measured step positions, drawn as markers on the curve's own colour.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    colours = {}
    for label, rows in curves.items():
        P = np.array([r["P"] for r in rows], dtype=float)
        y = np.array([r[key] for r in rows], dtype=float)
        se = np.nan_to_num(np.array([r.get(key + "_se", 0.0) for r in rows], dtype=float))
        line = ax.errorbar(P, y, yerr=se, marker="o", ms=3, capsize=2, label=label)
        colours[label] = line[0].get_color()
    if plateaus is not None:
        for l, h in enumerate(plateaus):
            ax.axhline(h, color="0.5", ls="--", lw=0.8)
            ax.annotate(f"$H_{l}$", (1.0, h), xycoords=("axes fraction", "data"), fontsize=7, va="bottom", ha="right")
    if steps is not None:
        for l, p in enumerate(steps, start=1):
            ax.axvline(p, color="k", ls=":", lw=1)
            ax.annotate(f"$P_{l}$", (p, 1.0), xycoords=("data", "axes fraction"), fontsize=8, va="top", ha="left")
    if measured is not None and plateaus is not None:
        for label, positions in measured.items():
            points = [
                (p, 0.5 * (plateaus[l] + plateaus[l + 1]))
                for l, p in enumerate(positions)
                if p is not None and np.isfinite(p) and l + 1 < len(plateaus)
            ]
            if points and label in colours:
                ax.plot(*zip(*points), "D", mfc="none", mew=1.5, color=colours[label], ms=8,
                        label=f"{label}: measured steps")  # fmt: skip
    ax.set_xscale("log")
    grid = sorted({int(r["P"]) for rows in curves.values() for r in rows})
    _plain_ticks(ax, grid)
    ax.set_xlabel("training sequences P")
    ax.set_ylabel("test loss (nats)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return finish(fig, path)


def loss_by_position(
    losses: Mapping[str, Sequence[float]],
    theory: Sequence[float] | None = None,
    path: str | os.PathLike | None = None,
) -> Any:
    """Test loss at each position of the context (the token predicted from the ones before it)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, values in losses.items():
        ax.plot(np.arange(len(values)), values, "o-", ms=3, label=label)
    if theory is not None:
        ax.plot(np.arange(len(theory)), theory, "k--", lw=1, label=r"exact $H(x_t \mid x_{<t})$")
    ax.set_xlabel("position t")
    ax.set_ylabel("test loss (nats)")
    ax.legend(fontsize=7)
    return finish(fig, path)


def loss_against_context(
    context: Sequence[int],
    loss: Sequence[float],
    error: Sequence[float] | None = None,
    theory: Sequence[float] | None = None,
    label: str = "",
    path: str | os.PathLike | None = None,
) -> Any:
    """Last-token test loss against the context length T at fixed P, with the exact entropy given T - 1 tokens."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.errorbar(context, loss, yerr=error, marker="o", ms=4, capsize=2, label=label or "test loss")
    if theory is not None:
        ax.plot(context, theory, "k--", lw=1, label=r"exact $H(x_T \mid T-1$ tokens$)$")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(context), [str(c) for c in context])
    ax.set_xlabel("context length T")
    ax.set_ylabel("last-token test loss (nats)")
    ax.legend(fontsize=7)
    return finish(fig, path)


def excess_loss_exponents(
    curves: Mapping[str, Sequence[dict[str, Any]]],
    floor: float,
    fits: Mapping[str, dict[str, Any]],
    key: str = "test_loss",
    path: str | os.PathLike | None = None,
) -> Any:
    """Excess test loss ``L(P) - floor`` against P (log-log) with each model's fitted power law and exponent."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, rows in curves.items():
        P = np.array([r["P"] for r in rows], dtype=float)
        y = np.array([r[key] for r in rows], dtype=float) - floor
        keep = y > 0
        line = ax.loglog(P[keep], y[keep], "o", ms=4)[0]
        fit = fits.get(label)
        if fit and fit.get("alpha") is not None and np.isfinite(fit["alpha"]):
            grid = np.geomspace(P.min(), P.max(), 50)
            ax.loglog(grid, fit["prefactor"] * grid ** -fit["alpha"], "-", color=line.get_color(),
                      label=rf"{label}: $\alpha$ = {fit['alpha']:.2f} ± {fit['alpha_err']:.2f}")  # fmt: skip
    _log_ticks(ax)
    ax.set_xlabel("training sequences P")
    ax.set_ylabel(f"test loss - {floor:.3f} (nats)")
    ax.legend(fontsize=7)
    return finish(fig, path)


def lag_spectrum_with_floor(
    lags: Any,
    sigma: Any,
    floor: Any = None,
    shuffled: Any = None,
    fit: Any = None,
    theory_beta: float | None = None,
    title: str = "",
    path: str | os.PathLike | None = None,
) -> Any:
    """``||C(n)||_op`` against the lag with the sampling floor drawn, the fitted range shaded and beta written."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    lags = np.asarray(lags, dtype=float)
    ax.loglog(lags, sigma, "o", ms=3, label=r"$\|C(n)\|_{op}$")
    if floor is not None:
        ax.loglog(lags, np.broadcast_to(np.asarray(floor, dtype=float), lags.shape), "k--", lw=1,
                  label="sampling floor (analytic)")  # fmt: skip
    if shuffled is not None:
        ax.loglog(lags, shuffled, "x", color="0.4", ms=4, label="shuffled corpus")
    if fit is not None:
        ax.axvspan(fit.x.min(), fit.x.max(), color="C1", alpha=0.12, label="fitted range")
        ax.loglog(fit.x, fit.predict(fit.x), "-", color="C1", label=rf"$\beta$ = {fit.exponent:.2f} ± {fit.error:.2f}")
        if theory_beta is not None:
            x0 = fit.x.min()
            ax.loglog(fit.x, fit.predict(x0) * (fit.x / x0) ** -theory_beta, ":", color="k",
                      label=rf"theory $\beta$ = {theory_beta:.2f}")  # fmt: skip
    ax.set_xlabel("lag n")
    ax.set_ylabel("top singular value")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return finish(fig, path)


def entropy_decay_with_fit(
    n: Any,
    H: Any,
    error: Any = None,
    resolved: Any = None,
    fit: Any = None,
    title: str = "",
    path: str | os.PathLike | None = None,
) -> Any:
    """``H_n`` with its errors (unresolved points hollow) and the gamma fit, or the reason it was refused."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4))
    n, H = np.asarray(n, dtype=float), np.asarray(H, dtype=float)
    resolved = np.ones(n.shape, dtype=bool) if resolved is None else np.asarray(resolved, dtype=bool)
    err = None if error is None else np.asarray(error, dtype=float)
    left.errorbar(n[resolved], H[resolved], yerr=None if err is None else err[resolved], fmt="o", ms=4, capsize=2,
                  label="resolved")  # fmt: skip
    if (~resolved).any():
        left.plot(n[~resolved], H[~resolved], "o", mfc="none", color="0.5", label="undersampled")
    left.set_xlabel("context length n")
    left.set_ylabel(r"$H_n$ (nats)")
    if fit is not None and fit.ok:
        left.axhline(fit.h_inf, color="k", ls="--", lw=1, label=rf"$H_\infty$ = {fit.h_inf:.3f}")
        grid = np.linspace(fit.n.min(), fit.n.max(), 50)
        left.plot(grid, fit.predict(grid), "-", color="C1")
        gap = H - fit.h_inf
        keep = (gap > 0) & resolved & (n > 0)
        right.loglog(n[keep], gap[keep], "o")
        right.loglog(grid, fit.predict(grid) - fit.h_inf, "-", color="C1",
                     label=rf"$\gamma$ = {fit.gamma:.2f} ± {fit.gamma_error:.2f}")  # fmt: skip
        right.set_xlabel("context length n")
        right.set_ylabel(r"$H_n - H_\infty$")
        right.legend(fontsize=7)
    else:
        reason = "no fit" if fit is None else f"fit refused:\n{fit.refused}"
        right.text(0.5, 0.5, reason, ha="center", va="center", wrap=True, fontsize=9, transform=right.transAxes)
        right.set_axis_off()
    left.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return finish(fig, path)


def data_scaling(
    rows: Sequence[dict[str, Any]],
    floor: float | None,
    fit: dict[str, Any] | None,
    alpha_predicted: float | None = None,
    key: str = "test_loss",
    title: str = "",
    path: str | os.PathLike | None = None,
) -> Any:
    """Excess test loss against P (log-log) with the measured exponent and the one predicted from the statistics."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    P = np.array([r["P"] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float) - (floor or 0.0)
    keep = y > 0
    ax.loglog(P[keep], y[keep], "o", label="measured")
    if fit and fit.get("alpha") is not None and np.isfinite(fit["alpha"]):
        grid = np.geomspace(P.min(), P.max(), 50)
        ax.loglog(grid, fit["prefactor"] * grid ** -fit["alpha"], "-",
                  label=rf"fit $\alpha$ = {fit['alpha']:.2f} ± {fit['alpha_err']:.2f}")  # fmt: skip
        if alpha_predicted is not None and np.isfinite(alpha_predicted):
            p0 = grid[0]
            y0 = fit["prefactor"] * p0 ** -fit["alpha"]
            ax.loglog(grid, y0 * (grid / p0) ** -alpha_predicted, "k:",
                      label=rf"predicted $\gamma/2\beta$ = {alpha_predicted:.2f}")  # fmt: skip
    _log_ticks(ax)
    ax.set_xlabel("training contexts P")
    ax.set_ylabel("test loss" + (f" - {floor:.3f}" if floor else "") + " (nats)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return finish(fig, path)


__all__ = [
    "loss_against_samples",
    "loss_by_position",
    "loss_against_context",
    "excess_loss_exponents",
    "lag_spectrum_with_floor",
    "entropy_decay_with_fit",
    "data_scaling",
]
