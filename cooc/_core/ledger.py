"""A ledger of finished runs: one JSON line per run, keyed by everything that determines its result.

Long jobs made of many independent runs (a learning curve trains one network per training-set
size and seed) record each run here as soon as it finishes. Run again with the same ledger, the
job takes the recorded rows instead of training again, so an interrupted job loses at most the
run in progress (and not even that where the run checkpoints). A run is identified by
:func:`run_key`, a hash of a plain description that the caller builds from the settings and a
fingerprint of the data (never from object identities), together with cooc's version, so a
changed setting, other data or another release of the code trains afresh.

Rows are stored as JSON: the row of a run is returned as the ledger records it (arrays and tuples
as lists, numpy numbers as Python ones), whether it was computed now or read back; NaN and
infinities are stored tagged (see :data:`FLOAT_TAG`) and come back as themselves (ledgers written
before that hold ``null`` for them).

The file is append-only: each line is written whole and synced before the run counts as done.
A line cut short by a kill is ignored when the ledger is read (its run is trained again).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .io import jsonable
from .version import __version__

#: the key of the JSON object that stands for a number JSON lacks: ``{"$float": "NaN"}``, "Infinity", "-Infinity"
FLOAT_TAG = "$float"


def _tagged(value: float) -> dict[str, str]:
    return {FLOAT_TAG: "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}


def _untagged(obj: dict[str, Any]) -> Any:
    """A tagged number (see :data:`FLOAT_TAG`) back as a float; any other object as it is."""
    if len(obj) == 1 and obj.get(FLOAT_TAG) in ("NaN", "Infinity", "-Infinity"):
        return float(obj[FLOAT_TAG])
    return obj


def to_json(obj: Any, sort_keys: bool = False) -> str:
    """Strict, compact JSON of a row or a description: as :func:`~cooc._core.io.jsonable` makes it
    (arrays and tuples become lists, keys strings), except NaN and infinities, which are tagged
    (not ``null``) so that they come back as themselves (:func:`from_json`)."""
    return json.dumps(jsonable(obj, _tagged), sort_keys=sort_keys, separators=(",", ":"), allow_nan=False)


def from_json(text: str) -> Any:
    """The value of :func:`to_json`'s text, its tagged numbers read back as NaN or infinities."""
    return json.loads(text, object_hook=_untagged)


def run_key(description: dict[str, Any]) -> str:
    """The key of a run: SHA-256 of its description (canonical JSON, :func:`to_json`) and cooc's version.

    Descriptions that differ only as JSON cannot tell apart (a tuple or a list, a numpy number or
    a Python one) share a key; NaN, infinities and None are told apart.
    """
    text = to_json({"cooc": __version__, **description}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(*arrays: Any, extra: Any = None) -> str:
    """SHA-256 of arrays (numpy arrays or torch tensors: dtype, shape and values) and of ``extra`` (its repr).

    What a run's key names as its data: two runs on equal arrays share it, whatever objects hold them.
    """
    digest = hashlib.sha256(repr(extra).encode())
    for a in arrays:
        if hasattr(a, "detach"):  # a torch tensor, wherever it lives
            a = a.detach().cpu().numpy()
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def recorded(
    ledger: RunLedger | None, description: dict[str, Any], compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """The row of a run: taken from ``ledger`` when it holds one for ``description``, else ``compute()``'s,
    recorded there; without a ledger, ``compute()``'s.

    With a ledger, a row computed now is returned as it is recorded (read back from its JSON line,
    see :meth:`RunLedger.add`): the same row as a later run that takes it from the ledger.
    """
    if ledger is None:
        return compute()
    key = run_key(description)
    row = ledger.get(key)
    if row is None:
        row = ledger.add(key, compute())
    return row


def recorded_all(
    ledger: RunLedger | None,
    runs: Sequence[tuple[dict[str, Any], Callable[[], dict[str, Any]]]],
    jobs: int = 1,
    on_computed: Callable[[int, dict[str, Any]], None] | None = None,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """:func:`recorded` for several ``(description, compute)`` runs, the ones missing from ``ledger``
    computed ``jobs`` at a time, each in a process of its own (:func:`~cooc._core.run_pool.run_all`,
    with ``threads`` torch threads each: a ``compute`` must then be picklable), and each recorded as
    soon as it ends, then handed to ``on_computed(i, row)`` (``i``: its place in ``runs``). Rows come
    back in order, each as the ledger records it (see :func:`recorded`)."""
    from .run_pool import run_all

    keys = [run_key(description) if ledger is not None else "" for description, _ in runs]
    rows: list[dict[str, Any] | None] = [ledger.get(key) if ledger is not None else None for key in keys]
    missing = [i for i, row in enumerate(rows) if row is None]

    def finish(j: int, row: dict[str, Any]) -> None:
        if ledger is not None:
            row = ledger.add(keys[missing[j]], row)
        rows[missing[j]] = row
        if on_computed is not None:
            on_computed(missing[j], row)

    run_all([runs[i][1] for i in missing], jobs, finish, threads)
    return [row for row in rows if row is not None]


class RunLedger:
    """Finished runs in a JSON-lines file (created on the first :meth:`add`).

    Parameters
    ----------
    path : path
        The ledger file, e.g. ``<output folder>/runs.jsonl``. Checkpoints of runs in
        progress go to the folder beside it named by :attr:`checkpoints`.
    on_add : callable, optional
        Called with each row once it is recorded (a long job's log line where no progress
        bar shows, e.g. when its output goes to a file).
    """

    def __init__(self, path: str | os.PathLike, on_add: Callable[[dict[str, Any]], None] | None = None):
        self.path = Path(path)
        self.on_add = on_add
        self.checkpoints = self.path.with_name(self.path.stem + "-checkpoints")
        self._rows: dict[str, dict[str, Any]] = {}
        self.taken = 0  # rows handed back by get() since this ledger was opened
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = from_json(line)
                        self._rows[entry["key"]] = entry["row"]
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a kill: its run is trained again

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded row of the run ``key``, or None."""
        row = self._rows.get(key)
        if row is not None:
            self.taken += 1
            return dict(row)
        return None

    def add(self, key: str, row: dict[str, Any]) -> dict[str, Any]:
        """Record a finished run: its line is on disk (synced) when this returns; returns the row as
        recorded (read back from that line, :func:`from_json`), which :meth:`get` returns too."""
        line = to_json({"key": key, "row": row}) + "\n"
        row = from_json(line)["row"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() > 0 and not self._ends_with_newline():
                fh.write("\n")  # after a cut line, start a fresh one
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._rows[key] = row
        if self.on_add is not None:
            self.on_add(row)
        return dict(row)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"


__all__ = [
    "FLOAT_TAG",
    "RunLedger",
    "fingerprint",
    "from_json",
    "recorded",
    "recorded_all",
    "run_key",
    "to_json",
]
