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

from .._core.errors import CorruptFileError, InvalidParameterError
from .._core.io import atomic_path, atomic_write_text
from ..corpus.vocab import Vocabulary
from .format import read_glove, write_glove
from .matrix import Cooccurrence

FORMATS = ("glove", "mm", "npz")
SUFFIXES = {"glove": ".bin", "mm": ".mtx", "npz": ".npz"}


def write_glove_vocab(vocab: Vocabulary, counts: np.ndarray, path: str | os.PathLike) -> None:
    """``word count`` lines in row order (GloVe's ``vocab_count`` format)."""
    atomic_write_text(path, "".join(f"{w} {int(n)}\n" for w, n in zip(vocab.words, counts)))


def read_glove_vocab(path: str | os.PathLike) -> Vocabulary:
    """A vocabulary from ``word count`` lines (GloVe's ``vocab_count`` output, or a word per line)."""
    words, counts = [], []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
                    raise CorruptFileError(f"{str(path)!r} line {number} is not 'word count'.")
                words.append(parts[0])
                counts.append(int(parts[1]) if len(parts) == 2 else 0)
    except FileNotFoundError:
        raise CorruptFileError(f"vocabulary file {str(path)!r} is missing.") from None
    except UnicodeDecodeError:
        raise CorruptFileError(f"vocabulary file {str(path)!r} is not UTF-8 text.") from None
    return Vocabulary(words, counts)


def export_counts(cooc: Any, out: str | os.PathLike, fmt: str = "glove") -> list[Path]:
    """Write ``cooc`` (any layout) as ``<out>.bin`` (GloVe), ``<out>.mtx`` (Matrix Market) or ``<out>.npz``
    (``scipy.sparse.save_npz``), with the vocabulary in ``<out>.vocab.txt``; returns both paths."""
    if fmt not in FORMATS:
        raise InvalidParameterError(f"parameter 'fmt' must be one of {FORMATS}, got {fmt!r}.")
    base = Path(out)
    base = base.with_suffix("") if base.suffix in SUFFIXES.values() else base
    data = base.with_name(base.name + SUFFIXES[fmt])
    vocab_path = base.with_name(base.name + ".vocab.txt")
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


def import_glove(path: str | os.PathLike, vocab: str | os.PathLike | Vocabulary, **kwargs: Any) -> Cooccurrence:
    """A Cooccurrence from GloVe's binary records and its ``vocab_count`` file (or a Vocabulary)."""
    words = vocab if isinstance(vocab, Vocabulary) else read_glove_vocab(vocab)
    kwargs.setdefault("settings", {"source": "glove", "file": str(path)})
    return Cooccurrence(read_glove(path, len(words)), words, **kwargs)


__all__ = ["FORMATS", "export_counts", "import_glove", "read_glove_vocab", "write_glove_vocab"]
