"""A seam for the fault-injection tests: ``COOC_FAULT=<point>`` makes the process kill itself there.

Long jobs call :func:`fault_point` at the moments where an interruption matters (a shard
committed, the manifest about to be written, a run spilled, a checkpoint saved). With the
environment variable unset it costs one dictionary lookup. ``COOC_FAULT`` takes
``point``, ``point#N`` (the N-th time the point is reached) and ``point!SIG`` (the signal to
send: KILL by default, or INT, TERM).
"""

from __future__ import annotations

import os
import signal

_seen: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Kill this process here if ``COOC_FAULT`` names this point (tests only)."""
    spec = os.environ.get("COOC_FAULT")
    if not spec:
        return
    point, _, sig = spec.partition("!")
    point, _, nth = point.partition("#")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] != (int(nth) if nth else 1):
        return
    os.kill(os.getpid(), getattr(signal, f"SIG{sig or 'KILL'}"))


__all__ = ["fault_point"]
