"""Where cooc keeps derived data for the user: ``$COOC_CACHE``, else ``$XDG_CACHE_HOME/cooc``, else ``~/.cache/cooc``."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(create: bool = True) -> Path:
    """The user cache directory (extracted samples, WordNet's lexnames, compiled kernels)."""
    if os.environ.get("COOC_CACHE"):
        path = Path(os.environ["COOC_CACHE"])
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cooc"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


__all__ = ["user_cache_dir"]
