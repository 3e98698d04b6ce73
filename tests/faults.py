"""A stand-in for a module's ``fault_point`` that interrupts at one named point, as Ctrl-C would there."""

from __future__ import annotations

from collections.abc import Callable


def stop_at(where: str) -> Callable[[str], None]:
    """``fault_point`` replacement raising KeyboardInterrupt at the point ``where`` and passing the others."""

    def stop(name: str) -> None:
        if name == where:
            raise KeyboardInterrupt

    return stop
