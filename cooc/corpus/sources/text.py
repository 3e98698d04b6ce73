"""Plain text files: one document per line, or documents separated by blank lines.

Undecodable bytes are replaced (U+FFFD) with one warning per file giving the count,
because real corpora carry stray bytes and refusing a 20 GB file for one of them helps
nobody. A file that looks binary (a NUL byte in its first 8 KiB) is refused.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..._core.errors import InputDataError
from ..._core.logs import log
from ..._core.params import OneOf, validate
from .base import FileSpan, Source, expand_paths, file_fingerprint, open_compressed

MODES = ("line", "paragraph")


def _check_not_binary(path: Path) -> None:
    with open_compressed(path) as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        raise InputDataError(f"{str(path)!r} looks like a binary file (it contains NUL bytes), not text.")


def _whole_line_blocks(fh, size: int) -> Iterator[bytes]:
    """The bytes of ``fh`` in blocks of about ``size`` that end after a ``\\n`` (the last block may not)."""
    rest = b""
    while True:
        data = fh.read(size)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        rest = data[cut:]


def _spans(path: str, fh, start: int, size: int) -> Iterator[tuple[str, FileSpan]]:
    """Blocks of whole lines from ``start`` to the end of an uncompressed file, as spans: each ends
    after the first ``\\n`` at or past ``size`` bytes (the last at the end of the file). Only the
    bytes around each cut are read here."""
    total = os.fstat(fh.fileno()).st_size
    while start < total:
        end = min(start + size, total)
        fh.seek(end)
        while end < total:
            piece = fh.read(1 << 16)
            cut = piece.find(b"\n")
            if cut >= 0:
                end += cut + 1
                break
            end += len(piece)
        yield path, FileSpan(path, start, end)
        start = end


def _lines_per_block(block: bytes) -> int:
    return block.count(b"\n") + (0 if block.endswith(b"\n") or not block else 1)


def iter_lines(path: Path, encoding: str = "utf-8", block: int = 1 << 22) -> Iterator[str]:
    """Decoded lines of a (possibly compressed) file, replacing undecodable bytes with a warning.

    Lines end at ``\\n`` only (as when iterating over a binary file) and keep it. The file
    is read and decoded ``block`` bytes at a time, which costs far less than a decode per line.
    """
    _check_not_binary(path)
    bad_lines = 0
    with open_compressed(path) as fh:
        for data in _whole_line_blocks(fh, block):
            try:
                lines = data.decode(encoding).split("\n")
            except UnicodeDecodeError:
                lines = []
                for raw in data.split(b"\n"):
                    try:
                        lines.append(raw.decode(encoding))
                    except UnicodeDecodeError:
                        bad_lines += 1
                        lines.append(raw.decode(encoding, errors="replace"))
            # After a final "\n" the last piece is empty; a last line without one keeps its text.
            yield from (line + "\n" for line in lines[:-1])
            if lines[-1]:
                yield lines[-1]
    if bad_lines:
        log.warning("%r: undecodable bytes on %d lines were replaced by U+FFFD.", str(path), bad_lines)


def _after_lines(block: bytes, k: int) -> int:
    """Position just after the ``k``-th ``\\n`` of ``block`` (``k`` >= 1)."""
    pos = -1
    for _ in range(k):
        pos = block.index(b"\n", pos + 1)
    return pos + 1


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

    def line_blocks(
        self, skip: int = 0, limit: int | None = None, size: int = 1 << 20
    ) -> Iterator[tuple[str, bytes | FileSpan]] | None:
        if self.mode != "line" or codecs.lookup(self.encoding).name not in ("utf-8", "ascii"):
            return None
        return self._line_blocks(skip, limit, size)

    def _line_blocks(self, skip: int, limit: int | None, size: int) -> Iterator[tuple[str, bytes | FileSpan]]:
        left = limit
        for path in self.paths:
            if left == 0:
                return
            _check_not_binary(path)
            with open_compressed(path) as fh:
                offset = 0  # of the next block in the file
                for block in _whole_line_blocks(fh, size):
                    offset += len(block)
                    if skip:
                        lines = _lines_per_block(block)
                        if lines <= skip:
                            skip -= lines
                            continue
                        block, skip = block[_after_lines(block, skip) :], 0
                    if left is None and isinstance(fh, io.BufferedReader):  # the rest as spans
                        yield from _spans(str(path), fh, offset - len(block), size)
                        break
                    if left is not None:
                        lines = _lines_per_block(block)
                        if lines > left:
                            block, lines = block[: _after_lines(block, left)], left
                        left -= lines
                    yield str(path), block
                    if left == 0:
                        break

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "mode": self.mode, "encoding": self.encoding, "files": file_fingerprint(self.paths)}


__all__ = ["TextSource", "iter_lines", "MODES"]
