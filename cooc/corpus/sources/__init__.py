"""Where documents come from: text files, JSONL/Parquet, Hugging Face datasets, Wikipedia XML dumps, the KJV Bible.

:func:`open_source` turns a command-line SOURCE (a path, a glob, ``hf:NAME:CONFIG``, a
dump file, ``bible:kjv[:book|chapter|verse]``) into a :class:`Source`, detecting the
format or taking it from ``format``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..._core.errors import InputDataError, InvalidParameterError
from .base import Source, expand_paths
from .bible import BibleSource
from .hf import HFDatasetSource
from .tabular import JSONLSource, ParquetSource
from .text import TextSource
from .wikixml import WikiXMLSource

FORMATS = ("text", "paragraphs", "jsonl", "parquet", "hf", "wikixml")


def detect_format(spec: str) -> str:
    """Guess a source's format from its name (``hf:`` prefix, suffixes, dump names)."""
    if spec.startswith("hf:"):
        return "hf"
    files = expand_paths(spec)
    kinds = {_format_of(Path(f).name) for f in files}
    return kinds.pop() if len(kinds) == 1 else "text"


def _format_of(name: str) -> str:
    base = name
    for ext in (".gz", ".bz2", ".xz"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    if base.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if base.endswith(".parquet"):
        return "parquet"
    if base.endswith(".xml") or "pages-articles" in name:
        return "wikixml"
    return "text"


def open_source(
    spec: str | os.PathLike[str], format: str | None = None, text_field: str = "text", **options: Any
) -> Source:
    """A :class:`Source` for ``spec``.

    Parameters
    ----------
    spec : str or path
        A file, directory or glob; ``hf:NAME[:CONFIG[:SPLIT]]`` for a Hugging Face dataset.
    format : {"text", "paragraphs", "jsonl", "parquet", "hf", "wikixml"}, optional
        Detected from ``spec`` when omitted.
    text_field : str
        Field or column holding the text (JSONL, Parquet, datasets).
    """
    spec = str(spec)
    if spec.startswith("bible:"):
        parts = spec.split(":")
        if parts[1] != "kjv" or len(parts) > 3:
            raise InputDataError(f"{spec!r}: expected bible:kjv[:book|chapter|verse] (the King James Bible).")
        return BibleSource(parts[2] if len(parts) == 3 else "chapter")
    _refuse_cooc_output(spec)
    if format is not None and format not in FORMATS:
        raise InvalidParameterError(f"parameter 'format' must be one of {FORMATS}, got {format!r}.")
    fmt = format or detect_format(spec)
    if fmt == "hf":
        parts = spec[3:].split(":") if spec.startswith("hf:") else [spec]
        if not parts[0]:
            raise InputDataError(
                f"{spec!r}: expected hf:NAME[:CONFIG[:SPLIT]], e.g. hf:wikimedia/wikipedia:20231101.en"
            )
        name = parts[1] if len(parts) > 1 and parts[1] else None
        split = parts[2] if len(parts) > 2 and parts[2] else "train"
        return HFDatasetSource(parts[0], name, split=split, text_field=text_field, **options)
    if fmt == "text":
        return TextSource(spec, mode="line", **options)
    if fmt == "paragraphs":
        return TextSource(spec, mode="paragraph", **options)
    if fmt == "jsonl":
        return JSONLSource(spec, text_field=text_field)
    if fmt == "parquet":
        return ParquetSource(spec, column=text_field)
    return WikiXMLSource(spec)


def _refuse_cooc_output(spec: str) -> None:
    """One of cooc's own outputs given as text to build from: say what it is and how it is used."""
    from ..._core.kinds import kind_of

    kind = kind_of(spec) if not any(ch in spec for ch in "*?[") else None
    if kind == "corpus":
        raise InputDataError(
            f"{spec!r} is a corpus already (cooc corpus build), not text to build one from; use it as it is, "
            f"e.g. cooc count {spec} -o COUNTS."
        )
    if kind is not None:
        made_by = "a co-occurrence file (cooc count)" if kind == "cooccurrence" else "an embedding"
        raise InputDataError(f"{spec!r} is {made_by}, not text to build a corpus from.")


__all__ = [
    "Source",
    "open_source",
    "detect_format",
    "FORMATS",
    "TextSource",
    "JSONLSource",
    "ParquetSource",
    "HFDatasetSource",
    "WikiXMLSource",
    "BibleSource",
]
