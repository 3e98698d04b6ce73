"""JSON Lines and Parquet files with a text column."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..._core.errors import InputDataError
from .base import Source, document_text, expand_paths, file_fingerprint, open_compressed
from .text import iter_lines

_BOM = "\ufeff"


class JSONLSource(Source):
    """One JSON object per line; the document is ``obj[text_field]``.

    Lines that are not JSON objects, or lack the field, are refused with the file and line number.
    A byte-order mark at the start of a file is skipped. A folder is read for its JSON Lines files
    (``.jsonl``, ``.json``, ``.ndjson``, each also ``.gz``, ``.bz2``, ``.xz``; any case), the names
    format detection takes for JSONL (:data:`~.base.SUFFIXES`).
    """

    kind = "jsonl"

    def __init__(self, paths: Any, text_field: str = "text"):
        self.paths = expand_paths(paths, kind="jsonl")
        self.text_field = text_field

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        seen = 0
        for path in self.paths:
            for lineno, line in enumerate(iter_lines(path), 1):
                if lineno == 1 and line.startswith(_BOM):  # saved "UTF-8 with BOM" (Windows tools)
                    line = line[1:]
                if not line.strip():
                    continue
                if seen >= skip:
                    yield self._text(path, lineno, line)
                seen += 1

    def _text(self, path: Path, lineno: int, line: str) -> str:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise InputDataError(f"{str(path)!r} line {lineno} is not JSON.") from None
        if not isinstance(obj, dict) or self.text_field not in obj:
            keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
            raise InputDataError(
                f"{str(path)!r} line {lineno} has no field {self.text_field!r} (has {keys}); "
                "choose one with --text-field."
            )
        return document_text(obj[self.text_field], self.text_field, f"{str(path)!r} line {lineno}")

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "text_field": self.text_field, "files": file_fingerprint(self.paths)}


class ParquetSource(Source):
    """Parquet files read in record batches; the document is the ``column`` value."""

    kind = "parquet"

    def __init__(self, paths: Any, column: str = "text", batch_size: int = 1024):
        self.paths = expand_paths(paths, kind="parquet")
        self.column = column
        self.batch_size = batch_size
        for path in self.paths:
            self._schema_check(path)

    def _open(self, path: Path):
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for foreign files
            raise InputDataError(f"{str(path)!r} is not a readable Parquet file ({exc}).") from None

    def _schema_check(self, path: Path) -> None:
        names = self._open(path).schema_arrow.names
        if self.column not in names:
            raise InputDataError(
                f"{str(path)!r} has no column {self.column!r} (columns: {names}); choose one with --text-field."
            )

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        seen = 0
        for path in self.paths:
            pf = self._open(path)
            if seen + pf.metadata.num_rows <= skip:
                seen += pf.metadata.num_rows
                continue
            row = 0
            for batch in pf.iter_batches(batch_size=self.batch_size, columns=[self.column]):
                for value in batch.column(0).to_pylist():
                    row += 1
                    if seen >= skip:
                        yield document_text(value, self.column, f"{str(path)!r} row {row}")
                    seen += 1

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "files": file_fingerprint(self.paths)}


__all__ = ["JSONLSource", "ParquetSource", "open_compressed"]
