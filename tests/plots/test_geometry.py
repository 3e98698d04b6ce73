"""Geometry figures show the theory, the fitted numbers and the nulls; log axes have readable ticks."""

from __future__ import annotations

import numpy as np

from cooc.geometry import symmetry as S
from cooc.geometry.analogy import AccuracyCurve, AnalogyResult, FamilyResult
from cooc.geometry.kernels import distance_profile, fit_exponential_kernel
from cooc.plots import geometry as G
from cooc.plots import pyplot, tidy_log_axis
from cooc.plots.spectral import plot_accuracy_vs_k


def _labels_overlap(fig, ax) -> bool:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for axis in (ax.xaxis, ax.yaxis):
        boxes = [
            t.get_window_extent(renderer) for t in axis.get_ticklabels(which="both") if t.get_visible() and t.get_text()
        ]
        for i, a in enumerate(boxes):
            if any(a.overlaps(b) for b in boxes[i + 1 :]):
                return True
    return False


def test_short_log_axes_get_readable_ticks():
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(3, 2.5))
    ax.loglog([1, 30], [0.03, 0.6])
    tidy_log_axis(ax)
    assert not _labels_overlap(fig, ax)
    labels = [t.get_text() for t in ax.yaxis.get_ticklabels() if t.get_text()]
    assert "0.1" in labels and "0.05" in labels
    plt.close(fig)


def test_year_probe_figure_draws_theory_null_and_slopes(tmp_path):
    years = np.arange(1900, 2021.0)
    d = np.abs(years[:, None] - years[None, :])
    measured = S.kernel_probe(np.exp(-d / 5), years, protocol="ridge", n_splits=3)
    theory = S.kernel_probe(np.exp(-d / 5), years, protocol="all")
    null = S.year_probe(np.random.default_rng(0).normal(size=(121, 30)), years, n_splits=3)
    fig = G.year_probe({"sampled": measured}, tmp_path / "p.png", theory={"kernel": theory}, null=null)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("sampled (slope -0.") for t in texts) and any(
        t.startswith("kernel (slope -1.0") for t in texts
    )
    assert "shuffled values (null)" in texts and (tmp_path / "p.png").stat().st_size > 1000
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), theory.error)
    assert not _labels_overlap(fig, fig.axes[0])


def test_kernel_and_profile_figures_carry_the_fitted_numbers(tmp_path):
    x = np.arange(1.0, 30)
    fit = fit_exponential_kernel(x, 0.5 * np.exp(-x / 4) - 0.02)
    fig = G.kernel_vs_distance(x, 0.5 * np.exp(-x / 4) - 0.02, fit, theory=(x, 0.5 * np.exp(-x / 4), "generating"))
    label = next(t.get_text() for t in fig.axes[0].get_legend().get_texts() if t.get_text().startswith("fit"))
    assert "sigma 4 +-" in label and "R^2 1.000" in label
    pos = np.arange(6.0)
    D = np.abs(pos[:, None] - pos[None])
    prof = distance_profile(np.exp(-D), D, n_shuffles=20)
    fig = G.distance_profiles(
        {"p": prof},
        {"p": fit_exponential_kernel(D[np.triu_indices(6, 1)], np.exp(-D)[np.triu_indices(6, 1)], offset=False)},
    )
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "words shuffled" in texts and any("beta 1 +-" in t for t in texts)
    order = S.recover_order(S.ideal_shape(S.load_family("months")), S.load_family("months"))
    fig = G.family_circles({"baseline": order, "removed": order}, S.load_family("months").words, tmp_path / "c.png")
    assert len(fig.axes) == 2 and "adjacency 1.00 (null" in fig.axes[0].get_title()


def test_accuracy_figure_marks_d_and_d_plus_one_and_colours_fourteen_families():
    names = [f"family{i}" for i in range(14)]
    results = [
        AnalogyResult("pairs", [FamilyResult(n, k, 10 + i, 5, 4) for i, n in enumerate(names)]) for k in (1, 5, 9)
    ]
    curve = AccuracyCurve(np.array([1, 7, 8]), results, label="log M")
    fig = plot_accuracy_vs_k(curve, families=True, marks={7: "K = d", 8: "K = d + 1"}, logx=False)
    ax = fig.axes[0]
    family_lines = ax.lines[1:15]
    assert len({tuple(np.round(line.get_color(), 6)) for line in family_lines}) == 14
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "family0 (10 questions)" in texts and "family13 (23 questions)" in texts
    assert [a.get_text() for a in ax.texts] == ["K = d", "K = d + 1"]
    assert sorted(line.get_xdata()[0] for line in ax.lines[15:]) == [7, 8]
