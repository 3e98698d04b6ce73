"""Figures for the synthetic grammars: covariance decay, lag spectra, entropy decay, kernels, modes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import finish, pyplot


def plot_covariance_decay(
    distance: Any,
    rms: Any,
    theory: Any = None,
    floor: Any = None,
    fit: Any = None,
    xlabel: str = "distance t",
    path: str | os.PathLike | None = None,
) -> Any:
    """Log-log rms covariance against distance (or LCA height), with theory, noise floor and a power-law fit.

    Parameters
    ----------
    distance, rms : array-like of shape (k,)
    theory : array-like of shape (k,), optional
    floor : float or array-like of shape (k,), optional
        The sampling floor, drawn as a dashed line.
    fit : PowerLawFit, optional
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    x = np.asarray(distance, dtype=float)
    ax.loglog(x, rms, "o", label="counted")
    if theory is not None:
        ax.loglog(x, theory, "-", label="theory")
    if floor is not None:
        ax.loglog(x, np.broadcast_to(np.asarray(floor, dtype=float), x.shape), "k--", lw=1, label="sampling floor")
    if fit is not None:
        ax.loglog(fit.x, fit.predict(fit.x), ":", label=f"fit: exponent {fit.exponent:.2f} ± {fit.error:.2f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rms covariance")
    ax.legend()
    return finish(fig, path)


def plot_lag_spectrum(lags: Any, sigma: Any, fit: Any = None, path: str | os.PathLike | None = None) -> Any:
    """Top singular value of the lag-n covariance against n (log-log), with the beta fit."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.loglog(lags, sigma, "o", label=r"$\|C(n)\|_{op}$")
    if fit is not None:
        ax.loglog(fit.x, fit.predict(fit.x), "-", label=rf"$\beta$ = {fit.exponent:.2f} ± {fit.error:.2f}")
    ax.set_xlabel("lag n")
    ax.set_ylabel("top singular value")
    ax.legend()
    return finish(fig, path)


def plot_entropy_decay(n: Any, H: Any, fit: Any = None, path: str | os.PathLike | None = None) -> Any:
    """Conditional entropy H_n against n, and H_n - H_inf on log-log axes with the gamma fit."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.plot(n, H, "o-")
    left.set_xlabel("context length n")
    left.set_ylabel(r"$H_n$ (nats)")
    if fit is not None:
        left.axhline(fit.h_inf, color="k", ls="--", lw=1, label=rf"$H_\infty$ = {fit.h_inf:.3f}")
        left.legend()
        gap = np.asarray(H, dtype=float) - fit.h_inf
        keep = gap > 0
        right.loglog(np.asarray(n)[keep], gap[keep], "o", label="counted")
        right.loglog(
            fit.n, fit.predict(fit.n) - fit.h_inf, "-", label=rf"$\gamma$ = {fit.gamma:.2f} ± {fit.gamma_error:.2f}"
        )
        right.set_xlabel("context length n")
        right.set_ylabel(r"$H_n - H_\infty$")
        right.legend()
    else:
        right.set_axis_off()
    return finish(fig, path)


def plot_kernel(
    matrix: Any, labels: Sequence[str] | None = None, title: str = "", path: str | os.PathLike | None = None
) -> Any:
    """Heat map of a kernel or target block (e.g. a latent model's PMI block), shape (n, n)."""
    plt = pyplot()
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(5, 4.4))
    image = ax.imshow(matrix, cmap="viridis")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if labels is not None and len(labels) <= 40:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(title)
    return finish(fig, path)


def plot_modes(
    modes: Any,
    labels: Sequence[str] | None = None,
    columns: tuple[int, int] = (1, 2),
    path: str | os.PathLike | None = None,
) -> Any:
    """Words placed by two eigenvectors (e.g. the first Fourier pair: months on a circle).

    ``modes`` has shape (n, k); ``columns`` picks the two modes to plot.
    """
    plt = pyplot()
    modes = np.asarray(modes, dtype=float)
    a, b = columns
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(np.append(modes[:, a], modes[0, a]), np.append(modes[:, b], modes[0, b]), "-", color="0.7", lw=1)
    ax.scatter(modes[:, a], modes[:, b], zorder=3)
    for i, name in enumerate(labels if labels is not None else range(len(modes))):
        ax.annotate(str(name), (modes[i, a], modes[i, b]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(f"mode {a}")
    ax.set_ylabel(f"mode {b}")
    ax.set_aspect("equal", adjustable="datalim")
    return finish(fig, path)
