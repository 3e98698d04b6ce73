"""Progress bars for long jobs (rich), silent when disabled or not on a terminal."""

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
    """

    def __init__(
        self,
        description: str,
        total: float | None = None,
        unit: str = "items",
        enabled: bool = True,
        rates: tuple[str, ...] = (),
    ):
        self.enabled = enabled and sys.stderr.isatty()
        self.unit = unit
        self.rates = rates
        self.sums = {name: 0.0 for name in rates}
        self.start = time.perf_counter()
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
            self._task = self._progress.add_task(description, total=total, rates="")
            self._progress.start()

    def update(self, advance: float = 0, **fields: float) -> None:
        for name, value in fields.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        if self._progress is None:
            return
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        text = "  ".join(f"{_short(v)} {k} ({_short(v / elapsed)}/s)" for k, v in self.sums.items())
        self._progress.update(self._task, advance=advance, rates=text)

    def set_description(self, text: str) -> None:
        """Replace the bar's label (e.g. to show the current loss)."""
        if self._progress is not None:
            self._progress.update(self._task, description=text)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _short(x: float) -> str:
    for unit in ("", "k", "M", "G"):
        if abs(x) < 1000:
            return f"{x:.0f}{unit}" if unit == "" else f"{x:.1f}{unit}"
        x /= 1000
    return f"{x:.1f}T"
