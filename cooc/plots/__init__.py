"""Matplotlib figures used by the CLI and the analyses, one module per area.

Every figure function takes data (not file names), returns the ``Figure``, and saves it
when given ``path``. The non-interactive Agg backend is selected unless the user chose one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def pyplot():
    """Import pyplot with a headless backend when no display is present."""
    import matplotlib

    if "MPLBACKEND" not in os.environ and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def wrap_long_titles(fig: Any) -> bool:
    """Break each axes title (and the figure's suptitle) that runs past the figure's edges into lines
    that fit; return whether any was changed. Titles carry fitted numbers and grow long."""
    import textwrap

    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    changed = False
    texts = [ax.title for ax in fig.axes]
    if getattr(fig, "_suptitle", None) is not None:
        texts.append(fig._suptitle)
    for text in texts:
        content = text.get_text()
        if not content or "$" in content:  # mathtext is left whole: a break could split an expression
            continue
        extent = text.get_window_extent(renderer)
        if extent.x0 >= 0 and extent.x1 <= width:
            continue
        align = text.get_horizontalalignment()
        if align == "center":  # a centred title over one panel of several has less room than the figure
            middle = (extent.x0 + extent.x1) / 2
            room = 2 * min(middle, width - middle)
        else:
            room = width - extent.x0 if align == "left" else extent.x1
        longest = max(len(line) for line in content.splitlines())
        chars = max(20, int(longest * 0.95 * max(room, 0.2 * width) / extent.width))
        text.set_text("\n".join(textwrap.fill(line, chars) for line in content.splitlines()))
        changed = True
    return changed


def finish(fig: Any, path: str | os.PathLike | None = None, dpi: int = 120) -> Any:
    """Tighten the layout (breaking titles too long for the figure) and save ``fig`` to ``path`` (PNG) when given."""
    fig.tight_layout()
    if wrap_long_titles(fig):
        fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def saved(fig: Any) -> None:
    """Close a figure that has been written to disk, so long jobs and test runs do not pile figures up."""
    pyplot().close(fig)


def tidy_log_axis(ax: Any, which: str = "both") -> None:
    """Label a log axis at 1, 2, 5 x 10^k (only 10^k when it spans more than three decades), plainly, with
    no minor labels: matplotlib's default labels every minor tick of a short log axis, and they overlap."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for name in ("x", "y") if which == "both" else (which,):
        axis = getattr(ax, f"{name}axis")
        if getattr(ax, f"get_{name}scale")() != "log":
            continue
        lo, hi = sorted(getattr(ax, f"get_{name}lim")())
        decades = np.log10(hi / lo) if lo > 0 else 10
        axis.set_major_locator(LogLocator(base=10, subs=(1.0,) if decades > 3 else (1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())
