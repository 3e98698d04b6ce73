"""Interruptions: SIGTERM treated like Ctrl-C, interruptions deferred to a safe point, and a note
of what an interrupted job keeps.

Python turns SIGINT (Ctrl-C) into ``KeyboardInterrupt``, so ``finally`` blocks run and temporary
files are removed; SIGTERM (``kill``, a batch system's time limit) kills the process outright.
:func:`terminate_as_interrupt` makes SIGTERM raise :class:`Terminated`, a ``KeyboardInterrupt``,
so both clean up alike. :class:`DeferredInterrupt` lets a job finish its current step and save
before it stops (word2vec checkpoints at the end of the chunk in progress); a second signal stops
at once. :func:`note_kept` attaches to the interruption what was kept, for the message the
command line prints.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from .logs import log


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While active (in the main thread), SIGTERM raises :class:`Terminated`."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class DeferredInterrupt:
    """Note SIGINT/SIGTERM instead of raising at once; :meth:`check` raises at a safe point.

    A second signal raises immediately (the user insists). Outside the main thread signals
    cannot be caught and nothing changes.
    """

    def __init__(self, message: str = "stopping at the next safe point; press Ctrl-C again to stop at once."):
        self.message = message
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            self._raise(signum)
        self.signum = signum
        log.warning(self.message)

    @staticmethod
    def _raise(signum: int) -> None:
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    def check(self) -> None:
        """Raise the interruption noted since the last call, if any."""
        if self.signum is not None:
            signum, self.signum = self.signum, None
            self._raise(signum)

    def __enter__(self) -> DeferredInterrupt:
        if _in_main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if exc_type is None:
            self.check()  # a signal noted after the last safe point is not swallowed


def note_kept(exc: BaseException, text: str) -> BaseException:
    """Record on an interruption what the interrupted job kept (read by the command line)."""
    exc.cooc_kept = text  # type: ignore[attr-defined]
    return exc


def kept_note(exc: BaseException) -> str | None:
    """What :func:`note_kept` recorded on ``exc``, if anything."""
    return getattr(exc, "cooc_kept", None)


def die_with_parent(parent_pid: int) -> None:
    """Make this (child) process end when ``parent_pid``, its parent, dies, even by SIGKILL.

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``); elsewhere a
    daemon thread checks every second whether the process has been re-parented.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG = 1
                if os.getppid() != parent_pid:  # the parent died before the call
                    os._exit(1)
                return
        except (OSError, AttributeError):  # pragma: no cover - no libc symbol
            pass

    def watch() -> None:  # pragma: no cover - non-Linux fallback
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(1.0)

    threading.Thread(target=watch, name="cooc-parent-watch", daemon=True).start()


__all__ = ["die_with_parent", "Terminated", "terminate_as_interrupt", "DeferredInterrupt", "note_kept", "kept_note"]
