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
from ..._core.logs import log
from .base import Source, data_files, expand_paths, format_of, maybe_text
from .bible import BibleSource
from .hf import HFDatasetSource, saved_dataset
from .tabular import JSONLSource, ParquetSource
from .text import TextSource
from .wikixml import WikiXMLSource

FORMATS = ("text", "paragraphs", "jsonl", "parquet", "hf", "wikixml")


def detect_format(spec: str) -> str:
    """Guess a source's format from its name (``hf:`` prefix, suffixes, dump names).

    A folder written by Hugging Face's ``save_to_disk`` (``state.json`` and
    ``dataset_info.json``, or ``dataset_dict.json``) is ``"hf"``.

    Each file's format comes from its suffix (:data:`~.base.SUFFIXES`, any case): ``.jsonl``,
    ``.json``, ``.ndjson`` (each also ``.gz``, ``.bz2``, ``.xz``) are ``"jsonl"``; ``.parquet`` is
    ``"parquet"``; ``.xml`` (also compressed) and Wikipedia dump parts are ``"wikixml"``; anything
    else is ``"text"``.

    In a folder, files that come with data without being data are left out of the decision
    when the folder also holds other files: ``README*``, ``LICENSE*`` and the like, ``*.md``,
    ``*.rst``, ``*.txt`` (compressed or not), Hugging Face's ``dataset_info.json`` and
    ``state.json``, a Wikipedia dump's index (:func:`~.base.is_side_file`). So a folder of
    ``train.jsonl`` and ``README.md`` is JSONL (and the JSONL source reads only ``train.jsonl``),
    while a folder of ``.txt`` files alone is text. ``.txt`` files set aside this way are
    named in a warning, since they may hold text meant to be read. (A text source still reads
    every file of a folder, side files too.)

    Files of a glob are all taken as they are (but for a Wikipedia dump's index). When the files left hold more than one format,
    :class:`InputDataError` names the formats and asks for ``--format`` rather than guessing.
    """
    if spec.startswith("hf:") or saved_dataset(spec):
        return "hf"
    files = expand_paths(spec)
    side: list[Path] = []
    if Path(spec).is_dir():
        files, side = data_files(files)
    by_kind: dict[str, list[str]] = {}
    for f in files:
        by_kind.setdefault(format_of(f.name), []).append(f.name)
    if len(by_kind) > 1:
        found = "; ".join(f"{kind} ({_some(names)})" for kind, names in sorted(by_kind.items()))
        raise InputDataError(
            f"{spec!r} holds files of several formats: {found}. Choose one with --format, "
            "or name the files of one format."
        )
    kind = next(iter(by_kind))
    texts = [str(f.relative_to(spec)) for f in side if maybe_text(f.name)]
    if texts and kind != "text":  # a text source reads every file of a folder, these too
        log.warning(
            "%r: reading it as %s, leaving out %d .txt file(s) (%s) as notes beside the data.",
            spec,
            kind,
            len(texts),
            _some(texts),
        )
    return kind


def _some(names: list[str], n: int = 3) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


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
