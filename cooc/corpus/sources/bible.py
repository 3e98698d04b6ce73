"""The King James Bible, from Debian's ``bible-kjv-text`` package, as documents.

The package stores the text compressed in its own format (``/usr/lib/bible.data``); its
``bible`` program (package ``bible-kjv``, which ``bible-kjv-text`` comes with) prints
verses as ``<Book><chapter>:<verse> <text>`` lines, e.g. ``Ge1:1 In the beginning God
created the heaven and the earth.``. :class:`BibleSource` runs it once for the whole text
(31,102 verses, about 790,000 words; a tenth of a second) and groups the verses into
documents: one per book (66), chapter (1,189, the default) or verse.

Install with ``apt-get install bible-kjv bible-kjv-text``; a missing program is a
:class:`~cooc._core.errors.MissingDependencyError` naming that line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from ..._core.errors import InputDataError, MissingDependencyError
from ..._core.params import OneOf, validate
from .base import Source

UNITS = ("book", "chapter", "verse")
WHOLE = "Ge1:1-Re22:21"
_VERSE = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+)\s+(.*)$")


def kjv_available(program: str = "bible") -> bool:
    """Whether the ``bible`` program is installed (``apt-get install bible-kjv bible-kjv-text``)."""
    return shutil.which(program) is not None


def kjv_verses(program: str = "bible") -> Iterator[tuple[str, int, int, str]]:
    """Every verse as ``(book, chapter, verse, text)``, in canonical order."""
    path = shutil.which(program)
    if path is None:
        raise MissingDependencyError(
            "the King James Bible needs Debian's bible-kjv-text and its reader: apt-get install bible-kjv bible-kjv-text"
        )
    done = subprocess.run([path, "-f", WHOLE], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputDataError(f"{path} -f {WHOLE} failed (exit code {done.returncode}): {done.stderr.strip()[:200]}")
    count = 0
    for line in done.stdout.splitlines():
        match = _VERSE.match(line)
        if match is None:
            if line.strip():  # a wrapped continuation (never produced with -f, kept for safety)
                raise InputDataError(f"unexpected line in the output of {path}: {line[:80]!r}")
            continue
        book, chapter, verse, text = match.groups()
        count += 1
        yield book, int(chapter), int(verse), text
    if count == 0:
        raise InputDataError(f"{path} printed no verses; is bible-kjv-text installed?")


class BibleSource(Source):
    """The King James Bible, one document per book, chapter or verse.

    Parameters
    ----------
    unit : {"book", "chapter", "verse"}, default "chapter"
    program : str
        The reader program (``bible``).
    """

    kind = "bible-kjv"

    def __init__(self, unit: str = "chapter", program: str = "bible"):
        validate({"unit": unit}, {"unit": OneOf(UNITS)}, "BibleSource")
        self.unit = unit
        self.program = program

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        key_of = {
            "book": lambda b, c, v: b,
            "chapter": lambda b, c, v: (b, c),
            "verse": lambda b, c, v: (b, c, v),
        }[self.unit]
        current: Any = None
        texts: list[str] = []
        index = 0
        for book, chapter, verse, text in kjv_verses(self.program):
            key = key_of(book, chapter, verse)
            if key != current and texts:
                if index >= skip:
                    yield " ".join(texts)
                index += 1
                texts = []
            current = key
            texts.append(text)
        if texts and index >= skip:
            yield " ".join(texts)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit, "program": self.program}


__all__ = ["BibleSource", "kjv_available", "kjv_verses", "UNITS"]
