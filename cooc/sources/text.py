"""Plain text files: one document per line, or documents separated by blank lines.

Undecodable bytes are replaced (U+FFFD) with one warning per file giving the count,
because real corpora carry stray bytes and refusing a 20 GB file for one of them helps
nobody. A file that looks binary (a NUL byte in its first 8 KiB) is refused.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._params import OneOf, validate
from ..errors import InputDataError
from .base import Source, expand_paths, file_fingerprint, open_compressed

MODES = ("line", "paragraph")


def _check_not_binary(path: Path) -> None:
    with open_compressed(path) as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        raise InputDataError(f"{str(path)!r} looks like a binary file (it contains NUL bytes), not text.")


def iter_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """Decoded lines of a (possibly compressed) file, replacing undecodable bytes with a warning."""
    _check_not_binary(path)
    bad_lines = 0
    with open_compressed(path) as fh:
        for raw in fh:
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                bad_lines += 1
                yield raw.decode(encoding, errors="replace")
    if bad_lines:
        warnings.warn(f"{str(path)!r}: undecodable bytes on {bad_lines} lines were replaced by U+FFFD.", stacklevel=2)


class TextSource(Source):
    """Documents from text files.

    Parameters
    ----------
    paths : str, path, or list
        Files, directories (read recursively, sorted) or globs; ``.gz``/``.bz2``/``.xz`` are decompressed.
    mode : {"line", "paragraph"}
        ``"line"``: each non-empty line is a document; ``"paragraph"``: blank lines separate documents.
    encoding : str
    """

    kind = "text"

    def __init__(self, paths: Any, mode: str = "line", encoding: str = "utf-8"):
        validate({"mode": mode}, {"mode": OneOf(MODES)}, "TextSource")
        self.paths = expand_paths(paths)
        self.mode = mode
        self.encoding = encoding

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        seen = 0
        for path in self.paths:
            for doc in self._documents(path):
                if seen >= skip:
                    yield doc
                seen += 1

    def _documents(self, path: Path) -> Iterator[str]:
        if self.mode == "line":
            for line in iter_lines(path, self.encoding):
                if line.strip():
                    yield line
            return
        para: list[str] = []
        for line in iter_lines(path, self.encoding):
            if line.strip():
                para.append(line)
            elif para:
                yield "".join(para)
                para = []
        if para:
            yield "".join(para)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "mode": self.mode, "encoding": self.encoding, "files": file_fingerprint(self.paths)}


__all__ = ["TextSource", "iter_lines", "MODES"]
