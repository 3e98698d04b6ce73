"""Grammar figures: drawn from real model outputs, saved as PNG, with the plotted data checked."""

from __future__ import annotations

import numpy as np

from cooc.grammars.langstats import fit_entropy_decay, fit_power_law
from cooc.grammars.latent import LatentVariableModel
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.stats import RHMStatistics, sampling_floor
from cooc.plots.grammars import plot_covariance_decay, plot_entropy_decay, plot_kernel, plot_lag_spectrum, plot_modes


def _is_png(path) -> bool:
    return path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_covariance_and_spectrum_figures(tmp_path):
    stats = RHMStatistics(RandomHierarchyModel(v=8, n_c=8, m=2, s=2, L=4, rule_seed=0))
    result = stats.covariance_vs_distance([1, 2, 4, 8])
    fit = fit_power_law(result["distance"], result["exact"])
    fig = plot_covariance_decay(
        result["distance"], result["exact"], result["theory"], sampling_floor(8, 1e5), fit, path=tmp_path / "decay.png"
    )
    assert _is_png(tmp_path / "decay.png")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), result["exact"])
    fig = plot_lag_spectrum(result["distance"], result["exact"], fit, path=tmp_path / "lag.png")
    assert _is_png(tmp_path / "lag.png") and "±" in fig.axes[0].get_legend().get_texts()[1].get_text()


def test_entropy_kernel_and_mode_figures(tmp_path):
    n = np.arange(1, 10)
    H = 1.0 + 0.5 * n**-0.8
    fig = plot_entropy_decay(n, H, fit_entropy_decay(n, H), path=tmp_path / "entropy.png")
    assert _is_png(tmp_path / "entropy.png") and len(fig.axes) == 2
    model = LatentVariableModel(12, "circle", scale=1.5, n_fillers=3)
    fig = plot_kernel(model.latent_block("pmi"), model.words[:12], "PMI", path=tmp_path / "kernel.png")
    assert _is_png(tmp_path / "kernel.png")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), model.latent_block("pmi"))
    lam, U = model.circulant_spectrum("pmi")
    fig = plot_modes(U, model.words[:12], path=tmp_path / "modes.png")
    assert _is_png(tmp_path / "modes.png")
    radius = np.hypot(U[:, 1], U[:, 2])
    np.testing.assert_allclose(radius, radius[0])  # the first Fourier pair puts the words on a circle
