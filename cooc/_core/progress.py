"""Progress bars for long jobs (rich), silent when disabled; off a terminal, a plain line now and then if asked."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressBar:
    """A single-task rich progress bar with free-form rate fields.

    ``update(advance, **fields)`` advances the bar; ``fields`` (e.g. ``tokens=...``) are
    summed and shown with a per-second rate.

    ``log_every`` (seconds): when enabled but not on a terminal (a job whose output goes to a
    file), write one plain line to stderr at most that often, and a last one at :meth:`close`:
    how far it is, the time taken and, with a ``total``, about how long is left. A job of
    minutes or hours says where it is in its log instead of nothing until it ends.
    """

    def __init__(
        self,
        description: str,
        total: float | None = None,
        unit: str = "items",
        enabled: bool = True,
        rates: tuple[str, ...] = (),
        log_every: float | None = None,
        completed: float = 0,
    ):
        self.enabled = enabled and sys.stderr.isatty()
        self.unit = unit
        self.rates = rates
        self.sums = {name: 0.0 for name in rates}
        self.start = time.perf_counter()
        # ``completed``: done before this bar started (a resumed job); the time left is estimated without it
        self.description, self.total, self.done, self.completed = description, total, float(completed), float(completed)
        self.log_every = log_every if enabled and not self.enabled else None
        self._logged_at = self.start
        self._progress = None
        if self.enabled:
            columns = [
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn() if total else TextColumn("{task.completed:,.0f} " + unit),
                TextColumn("{task.fields[rates]}"),
                TimeElapsedColumn(),
            ]
            if total:
                columns.append(TimeRemainingColumn())
            self._progress = Progress(*columns, console=Console(stderr=True), transient=False)
            self._task = self._progress.add_task(description, total=total, completed=int(completed), rates="")
            self._progress.start()

    def update(self, advance: float = 0, **fields: float) -> None:
        self.done += advance
        for name, value in fields.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        if self.log_every is not None and time.perf_counter() - self._logged_at >= self.log_every:
            self._log_line()
        if self._progress is None:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        text = "  ".join(f"{_short(v)} {k} ({_short(v / elapsed)}/s)" for k, v in self.sums.items())
        self._progress.update(self._task, advance=advance, rates=text)

    def set_description(self, text: str) -> None:
        """Replace the bar's label (e.g. to show the current loss)."""
        self.description = text
        if self._progress is not None:
            self._progress.update(self._task, description=text)

    def _log_line(self) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        done = f"{self.done:,.0f}" + (f"/{self.total:,.0f}" if self.total else "") + f" {self.unit}"
        parts = [f"{self.description}: {done}", f"{_clock(elapsed)} elapsed"]
        if self.total and self.completed < self.done < self.total:
            parts.append(f"about {_clock(elapsed * (self.total - self.done) / (self.done - self.completed))} left")
        parts += [f"{_short(v)} {k} ({_short(v / max(elapsed, 1e-9))}/s)" for k, v in self.sums.items()]
        print(", ".join(parts), file=sys.stderr, flush=True)
        self._logged_at = now

    def close(self) -> None:
        if self.log_every is not None:
            self._log_line()  # where it ended (a job cut short too)
            self.log_every = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _clock(seconds: float) -> str:
    """``1h02m``, ``12m05s`` or ``42s``."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def _short(x: float) -> str:
    for unit in ("", "k", "M", "G"):
        if abs(x) < 1000:
            return f"{x:.0f}{unit}" if unit == "" else f"{x:.1f}{unit}"
        x /= 1000
    return f"{x:.1f}T"
