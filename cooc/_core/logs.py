"""Diagnostics through :mod:`logging`: the library logs to the ``cooc`` logger and never configures it;
the command line shows warnings as one clean line each (and everything, with tracebacks, under ``--debug``)."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("cooc")


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name == "py.warnings":  # "path:line: UserWarning: message\n  source" -> "message"
            text = message.split(": ", 2)[-1].splitlines()[0] if ": " in message else message
        else:
            text = " ".join(message.split())
        return f"{record.levelname.lower()}: {text}"


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record arrives (a test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


def configure_cli_logging(debug: bool = False) -> None:
    """Route cooc's log records and Python warnings to stderr: one line each, or in full with ``debug``.

    Called by the command line only; calling it again replaces its handler rather than adding one.
    """
    handler = _Stderr()
    if debug:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    else:
        handler.setFormatter(_OneLine())
    for name in ("cooc", "py.warnings"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if not isinstance(h, _Stderr)] + [handler]
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.captureWarnings(True)


__all__ = ["log", "configure_cli_logging"]
