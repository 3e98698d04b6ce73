"""What every document source provides.

A source yields *raw items* in a fixed order (``iter_raw``); a module-level function
``prepare`` turns one raw item into a document's text. Corpus building runs ``prepare``
and tokenisation in worker processes, so expensive steps (markup stripping) parallelise,
and it resumes an interrupted build by skipping the raw items already consumed.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..._core.errors import InputDataError


def identity(raw: Any) -> str:
    return raw


class Source:
    """Base class of document sources.

    Subclasses set ``kind`` and implement :meth:`iter_raw` and :meth:`describe`;
    they may override :attr:`prepare` with a picklable module-level function.
    """

    kind = "source"
    prepare: Callable[[Any], str] = staticmethod(identity)

    def iter_raw(self, skip: int = 0) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def iter_raw_resumable(
        self, skip: int = 0, resume: dict[str, Any] | None = None
    ) -> tuple[Iterator[Any], Callable[[], Any]]:
        """Raw items from item ``skip`` on, and a function giving a resume token for the
        position after the items yielded so far (JSON-able; None if the source has none).

        A build stores ``{"items": count, "state": token}`` with each shard and passes it back
        as ``resume`` so a source that can seek (a streaming Hugging Face dataset) restarts
        there instead of reading and discarding ``skip`` items. The default just skips.
        """
        return self.iter_raw(skip=skip), lambda: None

    def line_blocks(
        self, skip: int = 0, limit: int | None = None, size: int = 1 << 20
    ) -> Iterator[tuple[str, bytes | FileSpan]] | None:
        """UTF-8 blocks of whole lines, one document per line, for sources stored that way.

        Corpus building then hands raw bytes to its workers and never decodes text in the
        main process. Items are *all* lines here (a blank line is an empty document), so
        ``skip`` and ``limit`` count lines. Yields ``(file name, block)``, the block as bytes or,
        from an uncompressed file, as a :class:`FileSpan` its reader reads itself; None when the
        source cannot give blocks (the default).
        """
        return None

    def documents(self) -> Iterator[str]:
        """Documents as text, in order (prepared in this process)."""
        prepare = type(self).prepare
        for raw in self.iter_raw():
            text = prepare(raw)
            if text is not None:
                yield text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class FileSpan(NamedTuple):
    """Bytes ``start:end`` of an uncompressed file: a block of whole lines that a build's worker reads
    itself, so that the text never passes through the main process."""

    path: str
    start: int
    end: int

    def read(self) -> bytes:
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            data = fh.read(self.end - self.start)
        if len(data) != self.end - self.start:
            raise InputDataError(f"{self.path!r} changed while it was being read (it is shorter than before).")
        return data


def expand_paths(spec: str | os.PathLike | list, suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Files named by a path, a directory (recursively), a glob, or a list of those; sorted."""
    specs = spec if isinstance(spec, (list, tuple)) else [spec]
    files: list[Path] = []
    for item in specs:
        item = str(item)
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if suffixes:
                found = [p for p in found if p.name.endswith(suffixes)]
        elif path.is_file():
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
        if not found:
            raise InputDataError(f"no input files found at {item!r}.")
        files.extend(found)
    return files


def file_fingerprint(paths: list[Path]) -> list[dict[str, Any]]:
    """Name, size and modification time of each file (a resumed build must see the same input)."""
    out = []
    for p in paths:
        st = p.stat()
        out.append({"path": str(p.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


def open_compressed(path: Path, mode: str = "rb"):
    """Open a file, decompressing ``.gz``, ``.bz2`` and ``.xz`` transparently.

    A truncated or damaged compressed file raises :class:`InputDataError` naming the file
    (not the decompressor's EOFError or OSError from deep inside a build).
    """
    name = path.name
    if name.endswith(".gz"):
        import gzip

        return _Checked(gzip.open(path, mode), path, "gzip")
    if name.endswith(".bz2"):
        import bz2

        return _Checked(bz2.open(path, mode), path, "bzip2")
    if name.endswith(".xz"):
        import lzma

        return _Checked(lzma.open(path, mode), path, "xz")
    return open(path, mode)


class _Checked:
    """A decompressing file whose read errors name the file and say it is damaged."""

    def __init__(self, fh: Any, path: Path, kind: str):
        self._fh, self._path, self._kind = fh, path, kind

    def _fail(self, exc: BaseException) -> InputDataError:
        return InputDataError(
            f"cannot read {str(self._path)!r}: the {self._kind} file is truncated or damaged ({exc})."
        )

    def _call(self, method: str, *args: Any) -> Any:
        import lzma
        import zlib

        try:
            return getattr(self._fh, method)(*args)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise self._fail(exc) from None

    def read(self, *args: Any) -> Any:
        return self._call("read", *args)

    def readline(self, *args: Any) -> Any:
        return self._call("readline", *args)

    def readinto(self, *args: Any) -> Any:
        return self._call("readinto", *args)

    def __iter__(self) -> _Checked:
        return self

    def __next__(self) -> Any:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _Checked:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()
