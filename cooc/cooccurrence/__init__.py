"""Co-occurrence matrices: the in-memory Cooccurrence and the out-of-core BlockedCooccurrence.

Both satisfy :class:`CooccurrenceMatrix`; :func:`load` (or ``Cooccurrence.load``) opens a file
of either layout.
"""

from __future__ import annotations

from .blocked import BlockedCooccurrence, save_blocked
from .matrix import Cooccurrence
from .protocol import CooccurrenceMatrix


def load(path, verify=True):  # noqa: ANN001, ANN201 - the same signature as Cooccurrence.load
    """Open a co-occurrence file of any layout (``Cooccurrence.load``)."""
    return Cooccurrence.load(path, verify=verify)


__all__ = ["BlockedCooccurrence", "Cooccurrence", "CooccurrenceMatrix", "load", "save_blocked"]
