"""The word2vec vector formats (text and binary) that word2vec.c, gensim, fastText and GloVe exchange.

Text: a header line ``V d``, then one line per word: the word and its d values, separated by
spaces (fastText's ``.vec`` files are this format; GloVe's ``vectors.txt`` is too, without the
header). Binary: the same header, then for each word its UTF-8 bytes, a space, and d float32
values in little-endian order, optionally followed by a newline (word2vec.c writes one, gensim
does not; both read either).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import CorruptFileError, InputDataError
from .io import atomic_path, nonfinite_rows

FLOAT = np.dtype("<f4")


def write_word2vec(
    path: str | os.PathLike, words: Sequence[str], vectors: np.ndarray, binary: bool = False, header: bool = True
) -> Path:
    """Write ``vectors`` (shape (V, d)) with ``words`` in the word2vec text or binary format, atomically.

    The files hold float32: vectors with a finite value beyond float32's range (about ±3.4e38, which
    would be written as inf) are refused (:class:`~cooc.InputDataError` naming the first such word),
    as are words that are empty or hold whitespace.
    """
    vectors = np.asarray(vectors)
    path = Path(path)
    for word in words:
        if not word or any(c.isspace() for c in word):
            raise CorruptFileError(f"word {word!r} cannot be written in the word2vec format (empty or has a space).")
    with np.errstate(over="ignore"):  # an overflow becomes inf, refused just below
        rows32 = vectors.astype(FLOAT)
    overflow = _overflowing_rows(vectors, rows32)
    if overflow.size:
        raise InputDataError(
            f"{overflow.size:,} of {len(rows32):,} vectors hold values beyond float32's range "
            f"(±{float(np.finfo(FLOAT).max):.4g}), which the word2vec formats cannot hold "
            f"(the first: {words[overflow[0]]!r}); scale the vectors down."
        )
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if header or binary:
            fh.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode())
        if binary:
            for word, row in zip(words, rows32):
                fh.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            for word, row in zip(words, rows32):
                fh.write((word + " " + " ".join(repr(float(x)) for x in row) + "\n").encode("utf-8"))
    return path


def _overflowing_rows(vectors: np.ndarray, rows32: np.ndarray) -> np.ndarray:
    """Rows finite in ``vectors`` with a value that became infinite in their float32 copy ``rows32``."""
    if not np.issubdtype(vectors.dtype, np.floating) or vectors.dtype.itemsize <= FLOAT.itemsize:
        return np.zeros(0, dtype=np.int64)  # float32 or smaller: nothing can overflow
    inf32 = nonfinite_rows(rows32)
    if not inf32.size:
        return inf32
    return inf32[(np.isfinite(vectors[inf32]) & ~np.isfinite(rows32[inf32])).any(axis=1)]


def read_word2vec(
    path: str | os.PathLike, binary: bool = False, header: bool | None = None, limit: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file; ``header=None`` detects a ``V d`` first line (text files).

    Returns
    -------
    words : list of str
    vectors : ndarray of shape (V, d), float32
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            words, vectors = _read_binary(fh, path, limit) if binary else _read_text(fh, path, header, limit)
    except FileNotFoundError:
        raise CorruptFileError(f"vector file {str(path)!r} is missing.") from None
    except UnicodeDecodeError as exc:
        raise CorruptFileError(f"{str(path)!r} is not UTF-8 text ({exc}); {_BINARY_HINT}.") from None
    if not words or vectors.shape[1] == 0:
        raise CorruptFileError(
            f"{str(path)!r} holds no vectors ({len(words)} words of {vectors.shape[1]} values): nothing to read."
        )
    bad = nonfinite_rows(vectors)
    if bad.size:
        raise CorruptFileError(
            f"{str(path)!r}: {bad.size:,} of {len(words):,} vectors hold NaN or infinite values "
            f"(the first: {words[bad[0]]!r})."
        )
    return words, vectors


_BINARY_HINT = "for binary word2vec vectors use binary=True (cooc import --from word2vec-bin)"


def _not_text(path: Path, number: int, problem: str, line: bytes) -> CorruptFileError:
    """A text line that does not parse; binary vectors read as text are named as such."""
    printable = line.rstrip(b"\r\n").translate(None, b"\t")
    try:
        printable.decode("utf-8")
        binary = any(b < 32 or b == 127 for b in printable)
    except UnicodeDecodeError:
        binary = True
    return CorruptFileError(
        f"{str(path)!r} line {number}: {problem}" + (f"; it looks binary: {_BINARY_HINT}." if binary else ".")
    )


def _header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise CorruptFileError(f"{str(path)!r} does not start with a 'V d' header line.")
    return int(parts[0]), int(parts[1])


def _read_text(fh, path: Path, header: bool | None, limit: int | None) -> tuple[list[str], np.ndarray]:
    first = fh.readline()
    parts = first.split()
    has_header = (len(parts) == 2 and all(p.isdigit() for p in parts)) if header is None else header
    words: list[str] = []
    rows: list[np.ndarray] = []
    expected = None
    if has_header:
        count, expected = _header(first, path)
        lines = fh
    else:
        lines = [first, *fh]
    for number, line in enumerate(lines, start=2 if has_header else 1):
        if limit is not None and len(words) >= limit:
            break
        fields = line.rstrip(b"\r\n").split(b" ")
        if not line.strip():
            continue
        word, values = fields[0].decode("utf-8"), fields[1:]
        while values and values[-1] == b"":
            values.pop()
        try:
            row = np.array(values, dtype=np.float32)
        except ValueError:
            raise _not_text(path, number, "values are not numbers", line) from None
        if expected is None:
            expected = row.shape[0]
        if row.shape[0] != expected:
            raise _not_text(path, number, f"{row.shape[0]} values, expected {expected}", line)
        words.append(word)
        rows.append(row)
    if has_header and limit is None and len(words) != count:
        raise CorruptFileError(f"{str(path)!r} holds {len(words)} words, its header says {count} (truncated?).")
    vectors = np.vstack(rows) if rows else np.zeros((0, expected or 0), dtype=np.float32)
    return words, vectors


def _read_binary(fh, path: Path, limit: int | None) -> tuple[list[str], np.ndarray]:
    count, dim = _header(fh.readline(), path)
    n = count if limit is None else min(count, limit)
    words: list[str] = []
    vectors = np.empty((n, dim), dtype=np.float32)
    row_bytes = dim * FLOAT.itemsize
    for i in range(n):
        word = bytearray()
        while True:
            ch = fh.read(1)
            if not ch:
                raise CorruptFileError(f"{str(path)!r} ends after {i} of {count} words (truncated).")
            if ch == b" ":
                break
            if ch != b"\n" or word:  # a newline after the previous vector (word2vec.c) is skipped
                word += ch
        data = fh.read(row_bytes)
        if len(data) != row_bytes:
            raise CorruptFileError(f"{str(path)!r} ends inside the vector of word {i} (truncated).")
        words.append(word.decode("utf-8"))
        vectors[i] = np.frombuffer(data, dtype=FLOAT)
    if limit is None and not _only_whitespace_left(fh):  # word2vec.c ends its last vector with a newline
        raise CorruptFileError(
            f"{str(path)!r} goes on after the {count} vectors its header announces: not a binary word2vec file "
            "(a text one? read it without binary=True: cooc import --from word2vec)."
        )
    return words, vectors


def _only_whitespace_left(fh, chunk: int = 1 << 16) -> bool:
    """Whether the rest of ``fh`` is ASCII whitespace (newlines, spaces; gensim reads a file ending in more
    than word2vec.c's one newline). Read a chunk at a time, stopping at the first other byte: a text file read
    as binary is refused without reading it all."""
    while True:
        data = fh.read(chunk)
        if not data:
            return True
        if data.strip():  # bytes.strip() removes ASCII whitespace only
            return False


__all__ = ["write_word2vec", "read_word2vec"]
