"""finish(): a title too long for its figure is broken into lines that fit, and short ones are kept."""

from __future__ import annotations

from cooc.plots import finish, pyplot

LONG = "Wikipedia months' M* block: circular fit (distance from circulant 0.96, null 0.96); kernel sigma 1.25 +- 1.7"


def _inside(fig, text) -> bool:
    extent = text.get_window_extent(fig.canvas.get_renderer())
    return extent.x0 >= 0 and extent.x1 <= fig.bbox.width


def test_long_titles_are_broken_to_fit_and_short_ones_kept(tmp_path):
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.set_title(LONG)
    right.set_title("short")
    fig.suptitle(LONG + " and a suptitle as long again as the rest of it")
    finish(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0
    assert left.title.get_text().count("\n") >= 1 and right.title.get_text() == "short"
    assert left.title.get_text().replace("\n", " ") == LONG  # only the breaks change
    assert all(_inside(fig, t) for t in (left.title, right.title, fig._suptitle))
    plt.close(fig)


def test_math_titles_are_left_whole():
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(3, 2))
    title = r"$P^* \sim n_c m^L$ " * 6
    ax.set_title(title)
    finish(fig)
    assert ax.title.get_text() == title
    plt.close(fig)
