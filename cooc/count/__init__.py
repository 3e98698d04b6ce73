"""Co-occurrence counting on CPU and GPU: windows, exact accumulation, the counter."""

from __future__ import annotations

from .counter import count_cooccurrences
from .windows import WEIGHTINGS, integer_weights, offset_weights

__all__ = ["count_cooccurrences", "WEIGHTINGS", "integer_weights", "offset_weights"]
