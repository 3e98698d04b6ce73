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


def finish(fig: Any, path: str | os.PathLike | None = None, dpi: int = 120) -> Any:
    """Tighten the layout and save ``fig`` to ``path`` (PNG) when given."""
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def saved(fig: Any) -> None:
    """Close a figure that has been written to disk, so long jobs and test runs do not pile figures up."""
    pyplot().close(fig)
