"""Spectral figures are drawn from data and saved as PNG."""

from __future__ import annotations

import numpy as np

from cooc.geometry.analogy import AccuracyCurve, AnalogyResult, FamilyResult
from cooc.plots.spectral import plot_accuracy_vs_k, plot_family_accuracy, plot_spectrum


def result(correct):
    return AnalogyResult("pairs", [FamilyResult("f1", correct, 10, 5, 4), FamilyResult("f2", 0, 0, 3, 1)])


def test_figures(tmp_path):
    curve = AccuracyCurve(np.array([1, 2, 4]), [result(1), result(5), result(9)], label="logm")
    np.testing.assert_allclose(curve.accuracy, [0.1, 0.5, 0.9])
    assert curve.best == (4, 0.9)
    fig = plot_accuracy_vs_k({"logm": curve, "m": curve}, tmp_path / "a.png")
    assert len(fig.axes[0].lines) == 2 and (tmp_path / "a.png").stat().st_size > 1000
    fig = plot_accuracy_vs_k(curve, families=True)
    assert len(fig.axes[0].lines) == 3
    fig = plot_family_accuracy({"A": result(3), "B": result(7)}, tmp_path / "b.png")
    assert [round(p.get_height()) for p in fig.axes[0].patches] == [30, 0, 70, 0]
    plot_spectrum({"mstar": [5.0, -3.0, 1.0]}, tmp_path / "c.png")
    assert (tmp_path / "c.png").exists()
