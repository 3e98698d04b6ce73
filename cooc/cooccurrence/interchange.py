"""Co-occurrence counts in the peers' formats: GloVe's binary records, Matrix Market, scipy's ``.npz``.

Every export writes the matrix and, beside it, the vocabulary in GloVe's ``vocab_count`` text
format (``word count`` per line, row i of the matrix is line i + 1), so that GloVe's ``shuffle``
and ``glove`` programs, scipy or any Matrix Market reader can use the counts directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
import scipy.sparse as sp

from .._core.errors import CorruptFileError, InputDataError, InvalidParameterError
from .._core.io import atomic_path, atomic_write_text
from .._core.kinds import corpus_owning, kind_of
from ..corpus.vocab import Vocabulary
from .format import write_glove
from .matrix import Cooccurrence

FORMATS = ("glove", "mm", "npz")
SUFFIXES = {"glove": ".bin", "mm": ".mtx", "npz": ".npz"}


#: what separates fields in GloVe's files (C's ``isspace`` in the ASCII range): no word may hold one
ASCII_SPACE = " \t\n\r\x0b\x0c"
#: what ends a word on a line of ``vocab_count``'s output: the last space (or a tab) before the count
_SEPARATORS = " \t"


def check_glove_words(words: list[str]) -> None:
    """Refuse empty words and words holding ASCII whitespace: GloVe reads its vocabulary with
    ``fscanf("%s")``, so such a word would shift the label of every row after it.

    Raises
    ------
    InputDataError
        Naming the first few such words.
    """
    bad = [w for w in words if not w or any(c in ASCII_SPACE for c in w)]
    if bad:
        shown = ", ".join(repr(w) for w in bad[:3]) + (", ..." if len(bad) > 3 else "")
        raise InputDataError(
            f"{len(bad)} word{'s hold' if len(bad) > 1 else ' holds'} ASCII whitespace or {'are' if len(bad) > 1 else 'is'} "
            f"empty and cannot be written to a GloVe vocabulary: {shown}."
        )


def write_glove_vocab(vocab: Vocabulary, counts: np.ndarray, path: str | os.PathLike) -> None:
    """``word count`` lines in row order (GloVe's ``vocab_count`` format); see :func:`check_glove_words`."""
    check_glove_words(vocab.words)
    atomic_write_text(path, "".join(f"{w} {int(n)}\n" for w, n in zip(vocab.words, counts)))


def read_glove_vocab(path: str | os.PathLike) -> Vocabulary:
    """A vocabulary from ``word count`` lines (GloVe's ``vocab_count`` output, or a word per line).

    Lines end at ``\\n`` only, and the count is what follows the last ASCII space or tab, as GloVe
    writes it: a word made of other whitespace (a no-break space, U+3000) is a word. ASCII
    whitespace around a line is ignored, and blank lines are skipped.
    """
    words, counts = [], []
    try:
        with open(path, encoding="utf-8", newline="\n") as fh:
            for number, line in enumerate(fh, start=1):
                word, count = _glove_vocab_line(line, path, number)
                if word is not None:
                    words.append(word)
                    counts.append(count)
    except FileNotFoundError:
        raise CorruptFileError(f"vocabulary file {str(path)!r} is missing.") from None
    except UnicodeDecodeError:
        raise CorruptFileError(f"vocabulary file {str(path)!r} is not UTF-8 text.") from None
    return Vocabulary(words, counts)


def _glove_vocab_line(line: str, path: str | os.PathLike, number: int) -> tuple[str | None, int]:
    """``(word, count)`` of one line (count 0 for a lone word); ``(None, 0)`` for a blank line."""
    line = line.strip(ASCII_SPACE)
    if not line:
        return None, 0
    cut = max(line.rfind(c) for c in _SEPARATORS)
    if cut < 0:
        return line, 0
    word, count = line[:cut].rstrip(_SEPARATORS), line[cut + 1 :]
    if not (count.isascii() and count.isdigit()) or any(c in _SEPARATORS for c in word):
        raise CorruptFileError(f"{str(path)!r} line {number} is not 'word count'.")
    return word, int(count)


def export_paths(out: str | os.PathLike, fmt: str) -> tuple[Path, Path]:
    """The two files :func:`export_counts` writes for ``out`` in ``fmt``: the matrix and the vocabulary."""
    if fmt not in FORMATS:
        raise InvalidParameterError(f"parameter 'fmt' must be one of {FORMATS}, got {fmt!r}.")
    base = Path(out)
    base = base.with_suffix("") if base.suffix in SUFFIXES.values() else base
    return base.with_name(base.name + SUFFIXES[fmt]), base.with_name(base.name + ".vocab.txt")


def export_counts(cooc: Any, out: str | os.PathLike, fmt: str = "glove") -> list[Path]:
    """Write ``cooc`` (any layout) as ``<out>.bin`` (GloVe), ``<out>.mtx`` (Matrix Market) or ``<out>.npz``
    (``scipy.sparse.save_npz``), with the vocabulary in ``<out>.vocab.txt``; returns both paths."""
    data, vocab_path = export_paths(out, fmt)
    refuse_cooc_files([data, vocab_path])
    check_glove_words(cooc.vocab.words)
    counts = cooc.to_memory().counts
    if fmt == "glove":
        write_glove(counts, data)
    elif fmt == "mm":
        with atomic_path(data) as tmp, open(tmp, "wb") as fh:
            scipy.io.mmwrite(fh, counts, comment="cooc co-occurrence counts; rows and columns: the .vocab.txt lines")
    else:
        with atomic_path(data) as tmp, open(tmp, "wb") as fh:
            sp.save_npz(fh, counts, compressed=False)
    write_glove_vocab(cooc.vocab, cooc.unigram, vocab_path)
    return [data, vocab_path]


def refuse_cooc_files(paths: list[Path]) -> None:
    """Refuse to write an export over a file of a saved cooc output: the ``.npz`` or ``.json`` of counts or an
    embedding (the ``.json`` names it), a file inside a blocked output's ``.blocks`` folder, or one of a corpus's
    own files (its manifest, vocabulary, shards and extras), also through links. Such a write would leave the
    output's metadata naming data it no longer has: the output would be lost."""
    for path in paths:
        real = Path(os.path.realpath(path))
        blocks = next((p for p in real.parents if p.suffix == ".blocks"), None)
        owner = None
        if real.suffix in (".npz", ".json") and kind_of(real) is not None:
            owner = real.with_suffix("")
        elif blocks is not None and kind_of(blocks.with_suffix("")) is not None:
            owner = blocks
        else:
            owner = corpus_owning(real)
        if owner is not None:
            raise InvalidParameterError(
                f"{str(path)!r} is a file of the saved cooc output {str(owner)!r}; "
                f"exporting there would destroy it: choose another output name."
            )


def import_glove(path: str | os.PathLike, vocab: str | os.PathLike | Vocabulary, **kwargs: Any) -> Cooccurrence:
    """A Cooccurrence from GloVe's binary records and its ``vocab_count`` file (or a Vocabulary)."""
    words = vocab if isinstance(vocab, Vocabulary) else read_glove_vocab(vocab)
    return Cooccurrence.from_glove(path, words, **kwargs)


__all__ = [
    "FORMATS",
    "check_glove_words",
    "export_counts",
    "export_paths",
    "import_glove",
    "read_glove_vocab",
    "refuse_cooc_files",
    "write_glove_vocab",
]
