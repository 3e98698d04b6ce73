"""Spectral figures are drawn from data and saved as PNG."""

from __future__ import annotations

import numpy as np
import pytest

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
    fig = plot_spectrum({"mstar": [5.0, -3.0, 1.0]}, tmp_path / "c.png")
    assert (tmp_path / "c.png").exists()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["mstar", "negative eigenvalue"]  # the crosses are explained
    crosses = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(crosses, [[2, 3.0]])  # k = 2, |lambda| = 3
    fig = plot_spectrum([5.0, 3.0, 1.0])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["eigenvalues"]  # none negative


def test_the_accuracy_axis_fits_small_curves():
    small = AccuracyCurve(np.array([1, 2, 4]), [result(0), result(0), result(0)], label="tiny")
    small.results[-1].families[0] = FamilyResult("f1", 1, 25, 5, 4)  # 4%
    low, high = plot_accuracy_vs_k(small).axes[0].get_ylim()
    assert high == pytest.approx(1.15 * 4 * 1.02) and low < 0  # 0-5%: not flat on a 0-100 axis
    big = AccuracyCurve(np.array([1, 2]), [result(1), result(9)], label="big")
    assert plot_accuracy_vs_k(big).axes[0].get_ylim()[1] == pytest.approx(102)
