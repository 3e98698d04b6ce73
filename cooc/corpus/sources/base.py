"""What every document source provides.

A source yields *raw items* in a fixed order (``iter_raw``); a module-level function
``prepare`` turns one raw item into a document's text. Corpus building runs ``prepare``
and tokenisation in worker processes, so expensive steps (markup stripping) parallelise,
and it resumes an interrupted build by skipping the raw items already consumed.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..._core.errors import InputDataError


def identity(raw: Any) -> str:
    return raw


def document_text(value: Any, field: str, where: str) -> str:
    """A record's ``field`` value as a document: a string as it is, a missing value (None) as empty.

    Anything else (a number, a list, a mapping) is refused, naming ``where`` (the file and line,
    or the dataset): its string form (``5``, ``['a', 'b']``) would be counted as words, which is
    almost always the wrong field.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise InputDataError(
        f"{where}: the field {field!r} holds {type(value).__name__} {_short(value)}, not text; "
        "choose the text field with --text-field."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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


#: Compressions :func:`open_compressed` undoes, by file-name suffix.
COMPRESSIONS = (".gz", ".bz2", ".xz")

#: The one table of accepted file-name suffixes (matched without regard to case): format
#: detection (:func:`format_of`) and a source's folder listing (:func:`expand_paths` with
#: ``kind``) both use it, so they cannot disagree. JSON Lines and XML may be compressed;
#: Parquet compresses inside the file. Anything else is ``"text"``.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "jsonl": tuple(s + c for s in (".jsonl", ".json", ".ndjson") for c in ("", *COMPRESSIONS)),
    "parquet": (".parquet",),
    "wikixml": tuple(".xml" + c for c in ("", *COMPRESSIONS)),
}

# Files that travel with data but are not data: a dataset's README and licence, notes, Hugging Face's
# metadata next to its files, the index of a multistream Wikipedia dump.
_SIDE_NAMES = ("readme", "license", "licence", "copying", "notice", "changelog")
_SIDE_FILES = ("dataset_info.json", "dataset_dict.json", "state.json")
_SIDE_SUFFIXES = (".md", ".txt", ".rst")
#: the part of a split Wikipedia dump, any of its kinds: ``...-pages-meta-current1.xml-p1p41242.bz2``
_DUMP_PART = re.compile(r"\.xml-p\d+p\d+")


def strip_compression(name: str) -> str:
    """``name`` without one trailing compression suffix (``.gz``, ``.bz2``, ``.xz``; any case)."""
    low = name.lower()
    for ext in COMPRESSIONS:
        if low.endswith(ext):
            return name[: -len(ext)]
    return name


def format_of(name: str) -> str:
    """The format of a file named ``name``: ``"jsonl"``, ``"parquet"``, ``"wikixml"`` or ``"text"``.

    Suffixes come from :data:`SUFFIXES`, matched without regard to case. A Wikipedia dump split into
    parts keeps ``.xml`` inside its name (``enwiki-...-pages-articles1.xml-p1p41242.bz2``, and the parts
    of the other dumps, ``...-pages-meta-current1.xml-p1p41242.bz2``), and is ``"wikixml"`` too; its
    index (``...-pages-articles-multistream-index.txt.bz2``) is not.
    """
    low = name.lower()
    for kind, suffixes in SUFFIXES.items():
        if low.endswith(suffixes):
            return kind
    if ("pages-articles" in low and ".xml" in low) or _DUMP_PART.search(low):
        return "wikixml"
    return "text"


def is_side_file(name: str) -> bool:
    """Whether ``name`` looks like a file that comes with data without being data: ``README*``,
    ``LICENSE*`` (and the like), ``*.md``, ``*.txt``, ``*.rst`` (compressed or not), Hugging Face's
    ``dataset_info.json``/``state.json``, a Wikipedia dump's ``...-index...`` file. A file whose
    suffix names a data format (``README.jsonl``) is data, whatever its name."""
    low = name.lower()
    if low in _SIDE_FILES or is_dump_index(name):
        return True
    if format_of(name) != "text":  # README.jsonl is data
        return False
    return low.startswith(_SIDE_NAMES) or strip_compression(low).endswith(_SIDE_SUFFIXES)


def maybe_text(name: str) -> bool:
    """A ``.txt`` side file that is neither a README/LICENSE nor a dump's index: perhaps text to read."""
    low = name.lower()
    return strip_compression(low).endswith(".txt") and not low.startswith(_SIDE_NAMES) and not is_dump_index(name)


def is_dump_index(name: str) -> bool:
    """Whether ``name`` is the index of a multistream Wikipedia dump
    (``enwiki-20231101-pages-articles-multistream-index.txt.bz2``): lines of ``offset:id:title``, not XML."""
    low = name.lower()
    return "pages-articles" in low and "-index" in low


def data_files(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """``files`` split into data and side files (:func:`is_side_file`).

    Side files are set aside only when the list also holds other files: a folder of ``.txt``
    files, or of a README alone, is all data.
    """
    side = [f for f in files if is_side_file(f.name)]
    if len(side) == len(files):
        return list(files), []
    return [f for f in files if not is_side_file(f.name)], side


def _hidden(path: Path, root: Path) -> bool:
    """Whether ``path`` or a folder between ``root`` and it is hidden (its name starts with '.')."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def expand_paths(spec: str | os.PathLike | list, suffixes: tuple[str, ...] = (), kind: str | None = None) -> list[Path]:
    """Files named by a path, a directory (recursively), a glob, or a list of those; sorted.

    A directory's hidden files are left out, and so is everything inside its hidden folders
    (``.git/``, ``.ipynb_checkpoints/``). ``kind`` (a key of :data:`SUFFIXES`) keeps only a
    directory's files of that format, side files left out as format detection leaves them out
    (:func:`data_files`); ``suffixes`` keeps only a directory's files with one of those suffixes.
    Suffixes are matched without regard to case. A file named directly is kept as it is, and so are
    the files of a glob, but for the index of a Wikipedia dump (:func:`is_dump_index`) beside others.
    """
    specs = spec if isinstance(spec, (list, tuple)) else [spec]
    files: list[Path] = []
    for item in specs:
        item = str(item)
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            if kind is not None:
                found = [p for p in data_files(found)[0] if format_of(p.name) == kind]
            if suffixes:
                found = [p for p in found if p.name.lower().endswith(tuple(s.lower() for s in suffixes))]
        elif path.is_file():
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            found = [p for p in found if not is_dump_index(p.name)] or found  # dump*.bz2 matches its index
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
    """Open a file, decompressing ``.gz``, ``.bz2`` and ``.xz`` (any case) transparently.

    A truncated or damaged compressed file raises :class:`InputDataError` naming the file
    (not the decompressor's EOFError or OSError from deep inside a build).
    """
    name = path.name.lower()
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
