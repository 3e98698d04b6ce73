"""Vocabulary: words ranked by frequency, their counts, and the id maps.

Ids are frequency ranks (0 = most frequent; ties broken alphabetically), so the
top-V vocabulary is simply ``ids < V``: counters restrict a corpus to a smaller
vocabulary without re-encoding it.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from .._core.errors import CorruptFileError, InvalidParameterError
from .._core.io import atomic_write_bytes, atomic_write_json, load_json

FORMAT = "cooc.vocabulary/1"


def _whole_counts(counts: Iterable[int]) -> np.ndarray:
    """Counts as int64, refusing values that are not whole numbers (a cast would truncate 2.7 to 2,
    and probabilities to 0)."""
    values = np.asarray(counts)
    if values.dtype == object:  # Python ints beyond 64 bits (numpy keeps them as objects)
        big = next((v for v in values.ravel() if isinstance(v, numbers.Integral) and abs(int(v)) >= 2**63), None)
        if big is not None:
            raise InvalidParameterError(f"Vocabulary: the count {big} exceeds int64's range.")
    if values.dtype.kind not in "biuf":
        raise InvalidParameterError(f"Vocabulary: counts of dtype {values.dtype}, expected whole numbers.")
    if values.dtype.kind == "f":
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            i = int(np.flatnonzero(~whole)[0])
            raise InvalidParameterError(
                f"Vocabulary: counts are whole numbers of occurrences, got {values.flat[i]} (at position {i}); "
                "give probabilities as Cooccurrence's unigram instead."
            )
    too_big = values >= 2.0**63 if values.dtype.kind == "f" else values > np.iinfo(np.int64).max
    if np.any(too_big):
        i = int(np.flatnonzero(too_big)[0])
        raise InvalidParameterError(f"Vocabulary: the count {values.flat[i]} (at position {i}) exceeds int64's range.")
    return values.astype(np.int64, copy=False)


class Vocabulary:
    """An ordered list of words with their corpus counts.

    Parameters
    ----------
    words : sequence of str
        Words in id order.
    counts : array-like of int, shape (V,), optional
        Corpus count of each word (zeros when unknown).
    total : int, optional
        Tokens in the corpus, in-vocabulary or not (defaults to ``counts.sum()``).
    distinct : bool
        The caller vouches that no word repeats: the check is skipped and the word -> id index
        is built at the first lookup (a corpus build's vocabulary of millions of words need
        not build it).

    Examples
    --------
    >>> from cooc import Vocabulary
    >>> v = Vocabulary(["the", "cat", "sat"], [5, 2, 1])
    >>> v["cat"], v.words[0], len(v)
    (1, 'the', 3)
    >>> v.ids(["sat", "dog"]).tolist()  # -1: not in the vocabulary
    [2, -1]
    """

    def __init__(
        self,
        words: Iterable[str],
        counts: Iterable[int] | None = None,
        total: int | None = None,
        *,
        distinct: bool = False,
    ):
        self.words: list[str] = [str(w) for w in words]
        n = len(self.words)
        self.counts = np.zeros(n, dtype=np.int64) if counts is None else _whole_counts(counts)
        if self.counts.shape != (n,):
            raise InvalidParameterError(f"Vocabulary: {n} words but counts of shape {self.counts.shape}.")
        if n and self.counts.min() < 0:
            i = int(np.argmin(self.counts))
            raise InvalidParameterError(f"Vocabulary: the count of {self.words[i]!r} is {self.counts[i]}, below 0.")
        self.total = int(self.counts.sum()) if total is None else int(total)
        self._index: dict[str, int] | None = None
        if not distinct:  # check now (building the index); with ``distinct`` the index waits for a lookup
            self._check_distinct()

    @property
    def key_to_index(self) -> dict[str, int]:
        """Word -> id (built on first use when the words were declared ``distinct``)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def _check_distinct(self) -> None:
        n = len(self.words)
        if len(self.key_to_index) != n:
            seen, dup = set(), None
            for w in self.words:
                if w in seen:
                    dup = w
                    break
                seen.add(w)
            raise InvalidParameterError(f"Vocabulary: word {dup!r} appears twice.")

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls, counts: Mapping[str, int], size: int | None = None, min_count: int = 1, total: int | None = None
    ) -> Vocabulary:
        """The ``size`` most frequent words with at least ``min_count`` occurrences.

        Ties in count are broken alphabetically, so the result does not depend on the
        order in which words were seen.
        """
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
            raise InvalidParameterError(f"parameter 'vocab_size' must be a positive integer or None, got {size!r}.")
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise InvalidParameterError(f"parameter 'min_count' must be an integer >= 1, got {min_count!r}.")
        items = [(w, int(c)) for w, c in counts.items() if c >= min_count]
        items.sort(key=lambda wc: (-wc[1], wc[0]))
        if size is not None:
            items = items[:size]
        grand_total = int(sum(counts.values())) if total is None else int(total)
        return cls([w for w, _ in items], [c for _, c in items], total=grand_total)

    # -- lookups ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self):
        return iter(self.words)

    def __getitem__(self, word: str) -> int:
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} is not in the vocabulary") from None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Vocabulary)
            and self.words == other.words
            and np.array_equal(self.counts, other.counts)
            and self.total == other.total
        )

    def __repr__(self) -> str:
        head = ", ".join(self.words[:5])
        return f"Vocabulary(size={len(self)}, total={self.total}, head=[{head}{', ...' if len(self) > 5 else ''}])"

    @property
    def index_to_key(self) -> list[str]:
        return self.words

    def ids(self, words: Iterable[str], missing: int = -1) -> np.ndarray:
        """Ids of ``words`` as an int64 array; unknown words get ``missing``."""
        get = self.key_to_index.get
        return np.fromiter((get(w, missing) for w in words), dtype=np.int64)

    def frequencies(self) -> np.ndarray:
        """Unigram probabilities ``counts / total`` (over all tokens of the corpus)."""
        return self.counts / max(self.total, 1)

    def truncate(self, size: int) -> Vocabulary:
        """The first ``size`` words (the most frequent), keeping the corpus total."""
        if size < 1:
            raise InvalidParameterError(f"parameter 'vocab_size' must be >= 1, got {size!r}.")
        return Vocabulary(self.words[:size], self.counts[:size], total=self.total, distinct=True)

    # -- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` as TSV (``word<TAB>count`` per line) and ``path.json`` beside it.

        Words holding a tab or a newline are refused (:func:`check_savable`); any other character,
        a carriage return included, is kept: :meth:`load` ends lines at ``\\n`` only.
        """
        path = Path(path)
        check_savable(self.words)
        lines = "".join(f"{w}\t{c}\n" for w, c in zip(self.words, self.counts.tolist()))
        write_vocabulary_files(path, lines.encode("utf-8"), len(self), self.total)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        path = Path(path)
        meta = load_json(_meta_path(path), "vocabulary metadata")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise CorruptFileError(f"{str(path)!r} is not a cooc vocabulary (format {meta.get('format')!r}).")
        words, counts = [], []
        try:
            with open(path, encoding="utf-8", newline="\n") as fh:  # '\r' may be part of a word
                for line in fh:
                    word, _, count = line.rstrip("\n").partition("\t")
                    words.append(word)
                    counts.append(int(count))
        except FileNotFoundError:
            raise CorruptFileError(f"vocabulary file {str(path)!r} is missing.") from None
        except UnicodeDecodeError:
            raise CorruptFileError(
                f"vocabulary file {str(path)!r} is not valid UTF-8 (after line {len(counts)})."
            ) from None
        except ValueError:
            raise CorruptFileError(
                f"vocabulary file {str(path)!r}: line {len(counts) + 1} is not 'word<TAB>count'."
            ) from None
        if len(words) != meta.get("size"):
            raise CorruptFileError(
                f"vocabulary file {str(path)!r} has {len(words)} words, metadata says {meta.get('size')}."
            )
        return cls(words, counts, total=meta.get("total"))


def check_savable(words: list[str]) -> None:
    """Refuse words holding a tab or a newline: the vocabulary file has one ``word<TAB>count`` per line.

    Raises
    ------
    InvalidParameterError
        Naming the first few such words.
    """
    joined = "\n".join(words)
    if "\t" in joined or joined.count("\n") != max(len(words) - 1, 0):
        bad = [w for w in words if "\t" in w or "\n" in w]
        raise InvalidParameterError(f"Vocabulary: words with tabs or newlines cannot be saved: {bad[:3]!r}")


def write_vocabulary_files(path: str | os.PathLike, tsv: bytes, size: int, total: int) -> None:
    """Write ``path`` (``word<TAB>count`` lines, UTF-8) and ``path.json`` beside it: what
    :meth:`Vocabulary.save` writes, for a caller that made the lines in bulk (a corpus build)."""
    atomic_write_bytes(path, tsv)
    atomic_write_json(_meta_path(Path(path)), {"format": FORMAT, "size": size, "total": total})


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")
