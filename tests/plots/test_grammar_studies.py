"""Grammar-study figures: the sensitivity panels plot P / P*, the prediction P = P* and the measured crossings."""

from __future__ import annotations

import numpy as np

from cooc.plots.grammar_studies import plot_sensitivity_panels


def test_sensitivity_panels_draw_each_network_against_its_own_p_star(tmp_path):
    P = [32, 64, 128, 256]
    panels = {
        "CNN": {"curves": {"synonym": {"P": P, "P_star": 64, "S": [0.6, 0.3, 0.05, 0.01]}}, "marks": {"x": 1.5}},
        "LCN": {"curves": {"synonym": {"P": P, "P_star": 128, "S": [0.7, 0.5, 0.2, 0.05]}}, "marks": {"y": np.nan}},
    }
    fig = plot_sensitivity_panels(panels, path=tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cnn, lcn = fig.axes
    assert [cnn.get_title(), lcn.get_title()] == ["CNN", "LCN"]
    np.testing.assert_allclose(cnn.lines[0].get_xdata(), [0.5, 1, 2, 4])
    np.testing.assert_allclose(lcn.lines[0].get_xdata(), [0.25, 0.5, 1, 2])
    np.testing.assert_allclose(cnn.lines[1].get_xdata(), [1, 1])  # the prediction P = P*
    marks = [line for line in cnn.lines if line.get_marker() == "v"]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == 1.5 and marks[0].get_ydata()[0] == 0.1
    assert not [line for line in lcn.lines if line.get_marker() == "v"]  # a crossing outside the grid is not drawn
    labels = [t.get_text() for t in cnn.get_legend().get_texts()]
    assert "0.1" in labels and not any("dashed curves" in t for t in labels)  # no error curves, none announced
    panels["CNN"]["curves"]["synonym"]["error"] = [0.5, 0.2, 0.1, 0.0]
    cnn = plot_sensitivity_panels(panels).axes[0]
    assert "0.1 (dashed curves: error / chance)" in [t.get_text() for t in cnn.get_legend().get_texts()]
    assert [line.get_linestyle() for line in cnn.lines[:2]] == ["-", "--"]  # the error curve, dashed


def test_depth_scaling_marks_a_p_star_not_reached_as_a_lower_bound(tmp_path):
    from cooc.plots.grammar_studies import plot_depth_scaling

    series = {
        "latent": {"L": [2, 3, 4], "P_star": [100.0, 110.0, 105.0], "theory_base": 1, "P_max": 4000},
        "token": {"L": [2, 3, 4], "P_star": [100.0, 400.0, np.nan], "theory_base": 4, "P_max": 4000},
    }
    fig = plot_depth_scaling(series, path=tmp_path / "d.png")
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bounds = [line for line in fig.axes[0].lines if line.get_marker() == "^"]
    assert len(bounds) == 1  # only the token learner has a depth it did not reach
    assert bounds[0].get_xdata().tolist() == [4] and bounds[0].get_ydata().tolist() == [4000]
    assert bounds[0].get_label() == "not reached by P = 4,000"


def test_depth_scaling_draws_censored_depths_at_their_own_bounds(tmp_path):
    from cooc.plots.grammar_studies import plot_depth_scaling

    series = {
        "token": {
            "L": [2, 3, 4, 5, 6],
            "P_star": [np.nan, 400.0, 1600.0, np.nan, np.nan],
            "P_star_censored": ["below", None, None, "above", "both"],
            "P_star_bound": [90.0, np.nan, np.nan, 5200.0, np.nan],
            "theory_base": 4,
        }
    }
    ax = plot_depth_scaling(series, path=tmp_path / "d.png").axes[0]
    up = [line for line in ax.lines if line.get_marker() == "^"]
    down = [line for line in ax.lines if line.get_marker() == "v"]
    assert len(up) == 1 and up[0].get_xdata().tolist() == [5] and up[0].get_ydata().tolist() == [5200.0]
    assert len(down) == 1 and down[0].get_xdata().tolist() == [2] and down[0].get_ydata().tolist() == [90.0]
    assert up[0].get_label() == "P* above this bound (censored)"
    assert down[0].get_label() == "P* below this bound (censored)"
    # the theory line goes through the measured points only
    theory = [line for line in ax.lines if line.get_label().startswith("theory")][0]
    y = np.asarray(theory.get_ydata())
    np.testing.assert_allclose(y[2] / y[1], 4)
    np.testing.assert_allclose(np.sqrt(y[1] * y[2]), np.sqrt(400.0 * 1600.0))


def test_ambiguity_depth_draws_class_and_same_class_fractions_per_f(tmp_path):
    from cooc.plots.grammar_studies import plot_ambiguity, plot_ambiguity_depth

    def entry(fraction, cls):
        return {
            "fraction": fraction,
            "fraction_se": [0.01, 0.01],
            "class_fraction": cls,
            "class_fraction_se": [0.01, 0.01],
            "bayes_error": [0.0, 0.1],
            "f_half": 0.4,
        }

    result = {
        "v": 64,
        "f": [0.2, 0.3],
        "f_c": 0.375,
        "depths": {"3": entry([0.02, 0.1], [0.02, 0.08]), "4": entry([0.05, 0.3], [0.01, 0.2])},
    }
    fig = plot_ambiguity_depth(result, path=tmp_path / "d.png")
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    solid = [line for line in ax.lines if line.get_linestyle() == "-"]
    dotted = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert [line.get_xdata().tolist() for line in solid] == [[3, 4], [3, 4]]
    np.testing.assert_allclose(solid[0].get_ydata(), [0.02, 0.01])  # f = 0.2, class-ambiguous
    np.testing.assert_allclose(solid[1].get_ydata(), [0.08, 0.2])
    np.testing.assert_allclose(dotted[0].get_ydata(), [np.nan, 0.04])  # same-class: none at L = 3
    np.testing.assert_allclose(dotted[1].get_ydata(), [0.02, 0.1])
    # the curves against f add the class-ambiguous fraction as a dotted line per depth
    fig = plot_ambiguity({**result, "f": [0.2, 0.3]}, path=tmp_path / "f.png")
    crosses = [line for line in fig.axes[0].lines if line.get_marker() == "x"]
    np.testing.assert_allclose(crosses[1].get_ydata(), [0.01, 0.2])


def test_first_moment_draws_theory_per_f_and_the_parsed_points_where_f_matches(tmp_path):
    from cooc.plots.grammar_studies import plot_first_moment

    theory = {
        "f": [0.2, 0.3, 0.375],
        "depths": {
            "3": {"mean": [0.01, 0.06, 0.16]},
            "4": {"mean": [0.015, 0.11, 0.48]},
            "5": {"mean": [0.018, 0.19, 2.2]},
        },
    }
    measured = {
        "v": 64,
        "f": [0.3, 0.2],
        "depths": {
            "3": {"mean_parses": [1.07, 1.02], "class_fraction": [0.05, 0.01]},
            "4": {"mean_parses": [1.12, None], "class_fraction": [0.09, None]},
        },
    }
    fig = plot_first_moment(theory, measured, path=tmp_path / "m.png")
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    lines = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert [line.get_label() for line in lines] == ["f = 0.2", "f = 0.3", "f = 0.375"]
    np.testing.assert_allclose(lines[2].get_ydata(), [0.16, 0.48, 2.2])
    circles = [line for line in ax.lines if line.get_marker() == "o"]
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    # f = 0.2 is drawn first: its parsed values are the second column of `measured`
    np.testing.assert_allclose(circles[0].get_ydata(), [0.02, np.nan])
    np.testing.assert_allclose(circles[1].get_ydata(), [0.07, 0.12])
    np.testing.assert_allclose(crosses[1].get_ydata(), [0.05, 0.09])
    assert len(circles) == 2  # nothing parsed at f = 0.375
    alone = plot_first_moment(theory).axes[0]
    assert len(alone.lines) == 4 and "parsed" not in alone.get_title()  # three f and the line at 1


def test_moment_growth_draws_a_line_per_depth_its_crossings_and_the_papers_f_c(tmp_path):
    from cooc.plots.grammar_studies import plot_moment_growth

    growth = {
        "f": [0.2, 0.25, 0.3],
        "n": 50,
        "p2": 0.5,
        "growth_depths": [3, 4],
        "growth": [[0.7, 0.65], [1.05, 0.95], [1.4, 1.3]],  # per f, over depth
        "growth_se": [[0.02, 0.01], [0.03, 0.02], [0.04, 0.03]],
        "f_star": [0.244, None],
        "f_star_err": [0.004, None],
    }
    fig = plot_moment_growth(growth, f_c=0.375, path=tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax, bx = fig.axes
    assert [c.get_label() for c in ax.containers] == ["d = 3", "d = 4"]
    np.testing.assert_allclose(ax.containers[1].lines[0].get_ydata(), [0.65, 0.95, 1.3])  # depth 4 across f
    crosses = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(crosses), [[0.244, 1.0]])  # only the depth that crosses
    np.testing.assert_allclose(bx.containers[0].lines[0].get_ydata(), [0.244, np.nan])
    assert any(line.get_xdata()[0] == 0.375 for line in ax.lines)  # f_c drawn upright on the left
    assert any(line.get_ydata()[0] == 0.375 for line in bx.lines)  # and across on the right


def test_a_log_axis_shorter_than_two_decades_is_labelled_at_the_data_or_round_numbers(tmp_path):
    from matplotlib.ticker import FixedLocator

    from cooc.plots.grammar_studies import plot_scaling, short_log_ticks

    # srhm's P* against s0 + 1: x holds one power of ten, y three
    series = {
        "CNN": {"x": [1, 2, 3, 4], "y": [350, 1745, 3382, 5534], "theory": 2},
        "LCN": {"x": [1, 2, 3, 4], "y": [371, 4103, 11091, 26128], "theory": 3},
    }
    ax = plot_scaling(series, "s0 + 1", path=tmp_path / "s.png").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4"]
    assert not isinstance(ax.yaxis.get_major_locator(), FixedLocator)  # decades: the default powers of ten
    ax = plot_scaling({"a": {"x": [8, 20, 40, 130], "y": [1, 2, 4, 8]}}, "x", path=tmp_path / "t.png").axes[0]
    assert ax.get_xlim()[0] < 10 < 100 < ax.get_xlim()[1]
    assert not isinstance(ax.xaxis.get_major_locator(), FixedLocator)  # two powers of ten are labels enough
    # power_law's exponents: values too close to label (0.70, 0.71) give round numbers on both axes
    series = {"a": {"x": [0.5, 0.6, 0.67, 0.75], "y": [0.45, 0.62, 0.70, 0.71], "theory": 1}}
    ax = plot_scaling(series, "a / (1 + a)", path=tmp_path / "p.png").axes[0]
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        assert [t.get_text() for t in labels] == ["0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    # round numbers: 1-9 while at most 8 fit, then 1, 2, 5, then powers of ten
    assert short_log_ticks(0.67, 6.0) == [1, 2, 5]
    assert short_log_ticks(0.25, 1.1) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
    assert short_log_ticks(0.25, 1.1, values=[0.5, 2.0]) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]  # one inside
    assert short_log_ticks(0.5, 30.0, values=[1, 2, 4, 8, 16]) == [1, 2, 4, 8, 16]
    assert short_log_ticks(0.5, 30.0) == [0.5, 1, 2, 5, 10, 20]
