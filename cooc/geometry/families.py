"""Word families with an order: months, weekdays, numbers (shipped in ``cooc/data/families``) and years (generated).

A family file holds one word per line, optionally ``word<TAB>position``; ``#`` lines are
comments, and the header comments ``# kind: cyclic|linear|words`` and ``# period: P`` set
the geometry (see ``cooc/data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError
from .._core.io import read_utf8
from ..data import shipped

FAMILIES_DIR = shipped("families")
YEARS_RANGE = (1700, 2021)
KINDS = ("cyclic", "linear", "words")


@dataclass(frozen=True)
class Family:
    """Words with a position on a circle or a line.

    Attributes
    ----------
    name : str
    words : tuple of str, length n
    positions : ndarray of shape (n,)
        Coordinate of each word (month index, year, value).
    kind : {"cyclic", "linear", "words"}
        "words" is a plain list without order (helper words).
    period : float or None
        Length of the circle for cyclic families (12 for months).
    """

    name: str
    words: tuple[str, ...]
    positions: np.ndarray
    kind: str
    period: float | None = None

    def __len__(self) -> int:
        return len(self.words)

    def present(self, keys: Any) -> Family:
        """The words found in ``keys`` (a mapping or set of vocabulary words), positions kept."""
        keep = [i for i, w in enumerate(self.words) if w in keys]
        return Family(self.name, tuple(self.words[i] for i in keep), self.positions[keep], self.kind, self.period)

    def between(self, low: float, high: float) -> Family:
        """The words whose position lies in ``[low, high]`` (years 1900-2020 for the probe)."""
        keep = [i for i, p in enumerate(self.positions) if low <= p <= high]
        return Family(
            f"{self.name}:{low:g}-{high:g}",
            tuple(self.words[i] for i in keep),
            self.positions[keep],
            self.kind,
            self.period,
        )


def list_families() -> list[str]:
    """Names accepted by :func:`load_family`: the files in ``cooc/data/families`` and ``years``."""
    return sorted({p.name[:-4] for p in FAMILIES_DIR.iterdir() if p.name.endswith(".txt")} | {"years"})


def present_family(family: Family, *vocabularies: Any) -> Family:
    """The family's words found in every vocabulary (key -> index mappings); at least 4 are needed."""
    fam = family
    for keys in vocabularies:
        fam = fam.present(keys)
    if len(fam) < 4:
        raise InputDataError(
            f"only {len(fam)} words of family {family.name!r} are in the vocabulary "
            f"({list(fam.words)}); at least 4 are needed."
        )
    return fam


def years_family(start: int = YEARS_RANGE[0], stop: int = YEARS_RANGE[1]) -> Family:
    """The years ``start..stop`` (inclusive) as words, generated rather than shipped."""
    if stop < start:
        raise InvalidParameterError(f"years: stop must be >= start, got {start}-{stop}.")
    years = np.arange(start, stop + 1)
    return Family(f"years:{start}-{stop}", tuple(str(y) for y in years), years.astype(np.float64), "linear")


def load_family(spec: str | Path) -> Family:
    """A family by name (``months``, ``weekdays``, ``numbers``, ``years``, ``years:1900-2020``) or file path.

    A family file holds one word per line, optionally ``word<TAB>position``; ``#`` lines
    are comments, and the header comments ``# kind: cyclic|linear|words`` and
    ``# period: P`` set the family's geometry (positions default to 0, 1, 2, ...).
    """
    text = str(spec)
    if text == "years" or text.startswith("years:"):
        return _parse_years(text)
    path: Any = Path(text)
    if not path.suffix and not path.exists():
        path = FAMILIES_DIR / f"{text}.txt"
    if not path.is_file():
        raise InputDataError(f"unknown word family {text!r}; use a file path or one of {list_families()}.")
    return _parse_family_file(path)


def _parse_years(text: str) -> Family:
    if text == "years":
        return years_family()
    try:
        start, stop = (int(x) for x in text.split(":", 1)[1].split("-"))
    except ValueError:
        raise InvalidParameterError(f"family {text!r} must read 'years:START-STOP', e.g. 'years:1900-2020'.") from None
    return years_family(start, stop)


def _parse_family_file(path: Any) -> Family:
    """Parse a family file (a path, or a resource shipped in the package)."""
    header: dict[str, str] = {}
    words: list[str] = []
    positions: list[float] = []
    for number, line in enumerate(read_utf8(path, "family file").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip() in ("kind", "period"):
                header[key.strip()] = value.strip()
            continue
        word, _, pos = line.partition("\t")
        words.append(word.strip())
        try:
            positions.append(float(pos) if pos.strip() else float(len(positions)))
        except ValueError:
            raise InputDataError(f"{str(path)!r} line {number}: position {pos!r} is not a number.") from None
    kind = header.get("kind", "linear")
    if kind not in KINDS:
        raise InputDataError(f"{str(path)!r}: kind {kind!r} must be one of {KINDS}.")
    period = float(header["period"]) if "period" in header else (float(len(words)) if kind == "cyclic" else None)
    if not words:
        raise InputDataError(f"{str(path)!r} holds no words.")
    return Family(path.name.rsplit(".", 1)[0], tuple(words), np.asarray(positions, dtype=np.float64), kind, period)
