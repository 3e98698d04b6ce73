"""The command-line tests reuse the corpora of the rooms they drive."""

from __future__ import annotations

from ..count.conftest import make_corpus  # noqa: F401  (fixture)
from ..train.conftest import cluster_corpus  # noqa: F401  (fixture)
