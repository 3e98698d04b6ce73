"""The training figures draw what they are given."""

from __future__ import annotations

import numpy as np

from cooc.plots.training import learning_curves, sample_complexity, word2vec_loss


def _summary(scale: float):
    return [
        {
            "P": P,
            "test_error": 0.8 * np.exp(-P / scale),
            "test_error_sd": 0.01,
            "test_loss": 1.0 / P,
            "test_loss_sd": 0.0,
            "chance_error": 0.8,
        }
        for P in (0.1 * scale, scale, 10 * scale)
    ]


def test_learning_curves_and_collapse(tmp_path):
    curves = {"a": _summary(100.0), "b": _summary(1000.0)}
    fig = learning_curves(curves, path=tmp_path / "c.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and (tmp_path / "c.png").stat().st_size > 0
    collapsed = learning_curves(curves, scales={"a": 100.0, "b": 1000.0}).axes[0]
    # After dividing by the scale and by chance, both curves sit on the same points.
    lines = [line for line in collapsed.get_lines() if line.get_marker() == "o"]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_xdata(), lines[0].get_xdata())
    np.testing.assert_allclose(lines[1].get_ydata(), np.exp(-np.array([0.1, 1.0, 10.0])))
    assert learning_curves(curves, metric="test_loss").axes[0].get_yscale() == "log"


def test_sample_complexity_figure(tmp_path):
    tables = [
        {"v": 8, "m": 4, "L": L, "scale": 8 * 4.0**L, "P_star": 3 * 8 * 4.0**L, "P_star_sd": 1.0} for L in (2, 3)
    ] + [{"v": 8, "m": 4, "L": 4, "scale": 2048.0, "P_star": float("nan")}]
    fig = sample_complexity(tables, path=tmp_path / "p.png")
    assert "P* = 3 n_c m^L" in fig.axes[0].get_legend().get_texts()[0].get_text()
    empty = sample_complexity(tables[2:])
    assert "no curve crossed" in empty.axes[0].texts[0].get_text()


def test_word2vec_loss_figure():
    fig = word2vec_loss([{"words": 10, "loss": 2.0}, {"words": 20, "loss": 1.5}])
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), [2.0, 1.5])
