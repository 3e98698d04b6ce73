"""Embedding: word vectors with their vocabulary, similarity queries and a pickle-free file format.

The layout follows gensim's ``KeyedVectors`` (``index_to_key``, ``key_to_index``,
``vectors``, lazily computed ``norms``) so that code written for gensim reads naturally;
files are an uncompressed ``.npz`` (memory-mappable) plus a ``.json`` with the words and
metadata, written as one unit: the ``.json``, last, names the vectors' checksum, which
:meth:`Embedding.load` verifies (memory-mapped loads included; ``verify=False`` opts out).
"""

from __future__ import annotations

import numbers
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._core.errors import CorruptFileError, InputDataError, InvalidParameterError, UnknownWordError
from ._core.io import (
    PAIR_KEY,
    check_metadata,
    check_pair,
    load_json,
    load_npz,
    nonfinite_rows,
    open_checked,
    save_pair,
)
from ._core.kinds import EMBEDDING_FORMAT, expect_kind, refuse_corpus_files
from ._core.locks import lock_output
from ._core.params import Interval, fail

_RESTRICT_VOCAB = Interval(int, 0, None, allow_none=True)  # a number of leading rows (None: all)

FORMAT = EMBEDDING_FORMAT
COSMUL_EPS = 1e-3  # Levy & Goldberg (2014)
ANALOGY_METHODS = ("add", "mul")


def _paths(path: str | os.PathLike) -> tuple[Path, Path]:
    path = Path(path)
    base = path.with_suffix("") if path.suffix in (".npz", ".json") else path
    return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")


def _check_sizes(owner: str, topn: Any = None, restrict_vocab: Any = None) -> int | None:
    """Refuse a ``topn`` that is not an integer (or None) and a ``restrict_vocab`` that is not an integer >= 0
    (or None): a negative one would slice off the last rows instead. ``topn < 1`` stays allowed (no answers),
    and ``restrict_vocab`` 0 means every row, as in gensim; returns the rows to search (None: all)."""
    if topn is not None and not isinstance(topn, numbers.Integral):
        raise fail("topn", topn, "an integer or None", owner)
    _RESTRICT_VOCAB.check("restrict_vocab", restrict_vocab, owner)
    return int(restrict_vocab) if restrict_vocab else None


def _as_terms(terms: Any) -> list[Any]:
    """A query's terms as a list: one word or one vector alone counts as a list of one."""
    if terms is None:
        return []
    if isinstance(terms, (str, np.ndarray)):
        return [terms]
    return list(terms)


class Embedding:
    """Word vectors: one row of ``vectors`` per word of ``index_to_key``.

    Parameters
    ----------
    vectors : ndarray of shape (V, d)
    index_to_key : sequence of str, length V
        Words in row order (distinct).
    meta : dict, optional
        JSON-serialisable metadata (target, eigenvalues, provenance, ...).

    Attributes
    ----------
    vectors : ndarray of shape (V, d)
    index_to_key : list of str
    key_to_index : dict of str to int
    meta : dict
    norms : ndarray of shape (V,)
        Euclidean norm of each row, computed on first use.

    Examples
    --------
    >>> import numpy as np
    >>> from cooc import Embedding
    >>> emb = Embedding(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]), ["king", "queen", "apple"])
    >>> emb.most_similar("king", topn=1)
    [('queen', 0.6)]
    >>> emb["apple"].tolist()
    [0.0, 1.0]
    """

    def __init__(self, vectors: Any, index_to_key: Sequence[str], meta: dict[str, Any] | None = None):
        vectors = vectors if isinstance(vectors, np.memmap) else np.asarray(vectors)
        if vectors.ndim != 2:
            raise InvalidParameterError(f"Embedding: 'vectors' must have shape (V, d), got shape {vectors.shape}.")
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float64)
        self.vectors = vectors
        self.index_to_key = [str(w) for w in index_to_key]
        if len(self.index_to_key) != vectors.shape[0]:
            raise InvalidParameterError(
                f"Embedding: {len(self.index_to_key)} words for {vectors.shape[0]} vectors; they must match."
            )
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            dup = next(w for i, w in enumerate(self.index_to_key) if self.key_to_index[w] != i)
            raise InvalidParameterError(f"Embedding: word {dup!r} appears twice in 'index_to_key'.")
        self.meta = dict(meta or {})
        self._norms: np.ndarray | None = None

    # -- basic facts ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def norms(self) -> np.ndarray:
        """Row norms, shape (V,), computed once."""
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors, dtype=np.float64), axis=1)
        return self._norms

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        target = self.meta.get("target")
        extra = f", target={target!r}" if target else ""
        return f"Embedding(V={len(self)}, dim={self.dim}{extra})"

    def index(self, word: str) -> int:
        """Row of ``word``; a word not in the vocabulary raises ``KeyError``."""
        try:
            return self.key_to_index[word]
        except KeyError:
            folded = word.lower() if isinstance(word, str) else word
            hint = f" (it holds {folded!r})" if folded in self.key_to_index else ""
            raise UnknownWordError(f"word {word!r} is not in the embedding's vocabulary{hint}") from None

    def indices(self, words: Iterable[str], missing: int = -1) -> np.ndarray:
        """Rows of ``words`` as int64, ``missing`` for unknown words."""
        get = self.key_to_index.get
        return np.fromiter((get(w, missing) for w in words), dtype=np.int64)

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        """The vector of a word, shape (d,); a list of words gives shape (n, d)."""
        if isinstance(word, str):
            return np.asarray(self.vectors[self.index(word)])
        return np.asarray(self.vectors[[self.index(w) for w in word]])

    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (float64, shape (V, d)); zero rows stay zero.

        A new V x d array; the similarity queries never build it (they divide scores by the
        cached norms instead).
        """
        return np.asarray(self.vectors, dtype=np.float64) / self._safe_norms()[:, None]

    def _safe_norms(self) -> np.ndarray:
        norms = self.norms
        return np.where(norms > 0, norms, 1.0)

    def _cosines(self, query: np.ndarray, stop: int | None = None) -> np.ndarray:
        """``row . query / |row|`` for the first ``stop`` rows: the cosine when ``query`` has unit length
        (zero rows score 0)."""
        rows = self.vectors if stop is None else self.vectors[:stop]
        return np.asarray(rows @ query, dtype=np.float64) / self._safe_norms()[: rows.shape[0]]

    # -- queries ----------------------------------------------------------------------------
    def _query_indices(self, words: Iterable[str]) -> list[int]:
        return [self.index(w) for w in words]

    def _top(self, scores: np.ndarray, exclude: Iterable[int], topn: int) -> list[tuple[str, float]]:
        scores = scores.copy()
        scores[[i for i in exclude if i < scores.shape[0]]] = -np.inf
        topn = min(topn, int(np.isfinite(scores).sum()))
        if topn <= 0:
            return []
        best = np.argpartition(-scores, topn - 1)[:topn]
        best = best[np.lexsort((best, -scores[best]))]
        return [(self.index_to_key[i], float(scores[i])) for i in best]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors_of([a, b])
        return float(u[0] @ u[1])

    def unit_vectors_of(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``words``, shape (n, d)."""
        idx = self._query_indices(words)
        return np.asarray(self.vectors[idx], dtype=np.float64) / self._safe_norms()[idx][:, None]

    def _terms(self, positive: Any, negative: Any) -> tuple[list[Any], np.ndarray, list[int]]:
        """gensim's query terms: keys, vectors or ``(key or vector, weight)`` pairs; weights +1 / -1 by default.

        Returns the terms as unit vectors (keys) or as given (vectors), their weights, and the
        rows of the keys (excluded from the answers).
        """
        terms, weights, rows = [], [], []
        for items, sign in ((_as_terms(positive), 1.0), (_as_terms(negative), -1.0)):
            for item in items:
                weight = sign
                if isinstance(item, tuple):
                    item, weight = item
                if isinstance(item, str):
                    i = self.index(item)
                    rows.append(i)
                    terms.append(np.asarray(self.vectors[i], dtype=np.float64) / self._safe_norms()[i])
                else:
                    vector = np.asarray(item, dtype=np.float64)
                    if vector.shape != (self.dim,):
                        raise InvalidParameterError(
                            f"a query vector must have shape ({self.dim},), got {vector.shape}."
                        )
                    terms.append(vector)
                weights.append(float(weight))
        if not terms:
            raise InvalidParameterError("most_similar: give at least one word or vector in 'positive' or 'negative'.")
        return terms, np.asarray(weights), rows

    def most_similar(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> Any:
        """Words nearest (by cosine) to the weighted mean of the query terms, as gensim's ``most_similar``.

        Parameters
        ----------
        positive, negative : str, ndarray of shape (d,), or a list of them or of ``(term, weight)`` pairs
            Words enter as unit vectors, vectors as given; weights default to +1 (positive) and
            -1 (negative); the mean is divided by the total absolute weight and normalised. Terms
            whose mean is the zero vector (a word minus itself) are refused: gensim ranks every
            word at cosine 0 then.
        topn : int or None
            How many answers (none below 1, as in gensim); ``None`` returns the cosine of every
            candidate (ndarray of shape (V,)). Other values are refused.
        restrict_vocab : int, optional
            Only the first ``restrict_vocab`` rows are candidates (the most frequent words); a
            negative or fractional value is refused.

        Returns
        -------
        list of (word, cosine similarity), best first, without the query words; or an ndarray.
        """
        return self._most_similar(positive, negative, topn, restrict_vocab, "most_similar")

    def _most_similar(
        self, positive: Any, negative: Any, topn: int | None, restrict_vocab: int | None, owner: str
    ) -> Any:
        restrict_vocab = _check_sizes(owner, topn, restrict_vocab)
        if topn is not None and topn < 1:
            return []
        terms, weights, rows = self._terms(positive, negative)
        T = np.asarray(terms)
        peak = np.abs(T).max()
        if not np.isfinite(peak):
            raise InvalidParameterError(f"{owner}: a query vector holds NaN or an infinity.")
        if 0 < peak < 1e-100:  # cosines do not see the scale; norms of so small a vector underflow to 0
            T = T / peak
        mean = (weights[:, None] * T).sum(axis=0) / np.abs(weights).sum()
        norm = np.linalg.norm(mean)
        scale = (np.abs(weights) * np.linalg.norm(T, axis=1)).sum() / np.abs(weights).sum()
        if not norm > 1e-12 * scale:  # gensim ranks at cosine 0 (or at round-off's direction): no meaning
            raise InvalidParameterError(
                f"{owner}: the query terms sum to the zero vector (terms that cancel, such as a word "
                "minus itself, or a zero vector), so there is no direction to rank the words by."
            )
        scores = self._cosines(mean / norm, restrict_vocab)
        if topn is None:
            return scores
        return self._top(scores, rows, topn)

    def most_similar_cosmul(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
        eps: float = 1e-6,
    ) -> Any:
        """3CosMul (Levy & Goldberg 2014) as gensim's ``most_similar_cosmul``: the product of
        ``(1 + cos(x, p)) / 2`` over the positive terms divided by the product over the negative
        ones plus ``eps`` (gensim's 1e-6; the analogy paper's 1e-3 is :meth:`analogy`'s default)."""
        restrict_vocab = _check_sizes("most_similar_cosmul", topn, restrict_vocab)
        if topn is not None and topn < 1:
            return []
        if any(isinstance(t, tuple) for t in _as_terms(positive) + _as_terms(negative)):
            raise InvalidParameterError(
                "most_similar_cosmul: 3CosMul takes words and vectors, not (term, weight) pairs."
            )
        positive_terms, _, rows = self._terms(positive, None)
        negative_terms = self._terms(negative, None)[0] if negative else []
        rows += [self.index(w) for w in _as_terms(negative) if isinstance(w, str)]
        shifted = [(1.0 + self._cosines(t, restrict_vocab)) / 2.0 for t in positive_terms]
        below = [(1.0 + self._cosines(t, restrict_vocab)) / 2.0 for t in negative_terms]
        scores = np.prod(shifted, axis=0) / (np.prod(below, axis=0) + eps if below else 1.0 + eps)
        if topn is None:
            return scores
        return self._top(scores, rows, topn)

    def similar_by_vector(self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """The words nearest to ``vector`` (nothing is excluded)."""
        return self._most_similar([np.asarray(vector)], None, topn, restrict_vocab, "similar_by_vector")

    def similar_by_word(self, word: str, topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """The words nearest to ``word`` (itself excluded)."""
        return self._most_similar(word, None, topn, restrict_vocab, "similar_by_word")

    def analogy(
        self, a: str, b: str, c: str, method: str = "add", topn: int = 1, eps: float = COSMUL_EPS
    ) -> list[tuple[str, float]]:
        """Answer ``a : b :: c : ?`` with 3CosAdd (``"add"``) or 3CosMul (``"mul"``).

        3CosAdd ranks x by cos(x, b - a + c) on unit vectors; 3CosMul (Levy & Goldberg 2014)
        by cos'(x, b) cos'(x, c) / (cos'(x, a) + eps) with cos' = (cos + 1) / 2 (``eps`` = 1e-3
        as in the paper; gensim's ``most_similar_cosmul`` uses 1e-6). The three query words
        are excluded.

        Returns
        -------
        list of (word, score), best first.
        """
        if method not in ANALOGY_METHODS:
            raise InvalidParameterError(
                f"analogy: parameter 'method' must be one of {ANALOGY_METHODS}, got {method!r}."
            )
        if isinstance(topn, bool) or not isinstance(topn, numbers.Integral):  # None too: a list is promised
            raise fail("topn", topn, "an integer", "analogy")
        ua, ub, uc = self.unit_vectors_of([a, b, c])
        if method == "add":
            query = ub - ua + uc
            scores = self._cosines(query / max(np.linalg.norm(query), np.finfo(float).tiny))
        else:
            ca, cb, cc = ((self._cosines(u) + 1.0) / 2.0 for u in (ua, ub, uc))
            scores = cb * cc / (ca + eps)
        return self._top(scores, self._query_indices([a, b, c]), topn)

    # -- restriction ------------------------------------------------------------------------
    def subset(self, words: Iterable[str]) -> Embedding:
        """A new Embedding with only ``words``, in that order; unknown words raise InputDataError."""
        words = list(words)
        idx = self.indices(words)
        missing = [w for w, i in zip(words, idx) if i < 0]
        if missing:
            raise InputDataError(f"{len(missing)} words are not in the embedding: {missing[:5]}")
        meta = dict(self.meta)
        meta["subset_of"] = len(self)
        return Embedding(np.asarray(self.vectors[idx]), words, meta)

    def head(self, n: int) -> Embedding:
        """The first ``n`` words (the most frequent, when rows follow a frequency-ranked vocabulary); ``n`` >= 0."""
        Interval(int, 0, None).check("n", n, "head")
        return Embedding(np.asarray(self.vectors[:n]), self.index_to_key[:n], self.meta)

    # -- files ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``<path>.npz`` (the vectors, uncompressed) and ``<path>.json`` (words, meta) as one unit.

        The ``.json`` is written last and names the ``.npz``'s checksum (see
        :func:`cooc._core.io.save_pair`): an interrupted overwrite is refused by :meth:`load`,
        never read as new vectors under old words. Another process writing the same path at
        the same time is refused (:class:`~cooc.OutputBusyError`).

        Vectors holding NaN or infinite values are refused (:class:`~cooc.InputDataError`): no
        computation of cooc yields them on purpose, and every use of them would be silently wrong.

        Returns the path of the ``.npz``.
        """
        bad = nonfinite_rows(self.vectors)
        if bad.size:
            raise InputDataError(
                f"refusing to save an embedding with NaN or infinite values: {bad.size:,} of {len(self):,} vectors "
                f"(the first: {self.index_to_key[bad[0]]!r})."
            )
        npz, meta_path = _paths(path)
        refuse_corpus_files([npz, meta_path], "an embedding")
        with lock_output(npz.with_suffix(""), "embedding"):
            save_pair(
                npz,
                meta_path,
                {"vectors": np.ascontiguousarray(self.vectors)},
                {
                    "format": FORMAT,
                    "shape": list(self.vectors.shape),
                    "dtype": str(self.vectors.dtype),
                    "meta": self.meta,
                    "index_to_key": self.index_to_key,
                },
                self.index_to_key,
            )
        return npz

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False, verify: bool = True) -> Embedding:
        """Read a saved embedding; with ``mmap`` the vectors are memory-mapped read-only.

        Parameters
        ----------
        mmap : bool
            Memory-map the vectors instead of reading them.
        verify : bool
            Check the vectors against the checksum in the metadata, also when memory-mapped (one
            read of the file). Whether vectors and metadata belong together is checked in any case.

        Raises
        ------
        CorruptFileError
            A file is missing, damaged, or the two files come from different writes.
        """
        expect_kind(path, "embedding")
        npz, meta_path = _paths(path)
        for attempt in range(2):
            info = load_json(meta_path, "embedding metadata")
            if not isinstance(info, dict) or info.get("format") != FORMAT:
                raise CorruptFileError(f"{str(meta_path)!r} is not a cooc embedding file.")
            try:
                return cls._load_checked(npz, info, mmap, verify)
            except CorruptFileError:
                # A writer may have replaced the pair between our two reads: then read the new pair.
                if attempt == 0 and load_json(meta_path, "embedding metadata") != info:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_checked(cls, npz: Path, info: dict[str, Any], mmap: bool, verify: bool) -> Embedding:
        sums = info.get("checksums") or {}
        with open_checked(npz, sums.get("data"), "embedding", verify) as fh:
            if mmap:
                vectors = _mmap_npz_member(fh, npz, "vectors")
                pair = _npz_member(fh, npz, PAIR_KEY) if sums else None
            else:
                arrays = load_npz(fh, required=("vectors",), what="embedding")
                vectors, pair = arrays["vectors"], arrays.get(PAIR_KEY)
        words = info.get("index_to_key")
        if not isinstance(words, list):
            raise CorruptFileError(f"embedding metadata for {str(npz)!r} lacks its word list.")
        check_pair(info, pair, words, f"embedding file {str(npz)!r}")
        check_metadata(info, npz.with_suffix(".json"), "embedding")  # after the word list's own check
        shape = list(vectors.shape)
        if shape != info.get("shape") or len(words) != shape[0]:
            raise CorruptFileError(
                f"embedding file {str(npz)!r} holds vectors of shape {shape}, metadata says {info.get('shape')}."
            )
        return cls(vectors, words, info.get("meta"))

    # -- the word2vec formats (word2vec.c, gensim, fastText, GloVe) -----------------------------
    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> Path:
        """Write the vectors in word2vec's text (``.vec``, fastText's) or binary format, as float32.

        The files are read by gensim's ``KeyedVectors.load_word2vec_format`` and by word2vec.c. A path
        that is a file of a saved cooc output (its ``.npz`` or ``.json``, or inside its ``.blocks``) is
        refused: writing there would lose that output.
        """
        from ._core.word2vec_format import write_word2vec
        from .cooccurrence.interchange import refuse_cooc_files

        refuse_cooc_files([Path(path)])
        return write_word2vec(path, self.index_to_key, np.asarray(self.vectors), binary=binary)

    @classmethod
    def load_word2vec_format(
        cls, path: str | os.PathLike, binary: bool = False, header: bool | None = None, limit: int | None = None
    ) -> Embedding:
        """Read word2vec text or binary vectors (gensim's, fastText's ``.vec``, or GloVe's ``vectors.txt``,
        which has no header: ``header=None`` detects it); ``limit`` keeps the first words only."""
        from ._core.word2vec_format import read_word2vec

        words, vectors = read_word2vec(path, binary=binary, header=header, limit=limit)
        return cls(vectors, words, {"source": "word2vec-binary" if binary else "word2vec-text", "file": str(path)})

    # -- gensim -----------------------------------------------------------------------------
    def to_gensim(self):
        """A gensim ``KeyedVectors`` with the same words and vectors (float32 as gensim expects)."""
        try:
            from gensim.models import KeyedVectors
        except ImportError:
            from ._core.errors import MissingDependencyError

            raise MissingDependencyError("to_gensim needs gensim: pip install gensim") from None
        kv = KeyedVectors(self.dim, dtype=np.float32)
        kv.add_vectors(self.index_to_key, np.asarray(self.vectors, dtype=np.float32))
        return kv

    @classmethod
    def from_gensim(cls, kv: Any, meta: dict[str, Any] | None = None) -> Embedding:
        """Wrap a gensim ``KeyedVectors`` (its vectors are copied)."""
        return cls(np.array(kv.vectors), list(kv.index_to_key), meta or {"source": "gensim"})


def as_embedding(embedding: Any, owner: str) -> Embedding:
    """``embedding`` itself, or the one saved at a path (what the evaluators take from a notebook).

    Raises :class:`~cooc.InvalidParameterError` naming ``owner`` for anything else.
    """
    if isinstance(embedding, Embedding):
        return embedding
    if isinstance(embedding, (str, os.PathLike)):
        return Embedding.load(embedding)
    raise InvalidParameterError(
        f"{owner}: expected an Embedding or the path of one saved by cooc, got {type(embedding).__name__} "
        "(gensim's KeyedVectors: Embedding.from_gensim(kv))."
    )


def _npz_member(fh: Any, path: Path, name: str) -> np.ndarray | None:
    """One small array of an open ``.npz`` (None when it has no such member)."""
    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            if f"{name}.npy" not in zf.namelist():
                return None
            with zf.open(f"{name}.npy") as member:
                return np.lib.format.read_array(member, allow_pickle=False)
    except (KeyError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CorruptFileError(f"embedding file {str(path)!r} is unreadable ({exc}).") from None


def _mmap_npz_member(fh: Any, path: Path, name: str) -> np.ndarray:
    """Memory-map one array stored uncompressed inside an open ``.npz`` (zip) file."""
    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            member = zf.getinfo(f"{name}.npy")
            if member.compress_type != zipfile.ZIP_STORED:
                raise CorruptFileError(
                    f"{str(path)!r} is compressed; it cannot be memory-mapped (load with mmap=False)."
                )
        fh.seek(member.header_offset)
        local = fh.read(30)
        if local[:4] != b"PK\x03\x04":
            raise CorruptFileError(f"{str(path)!r} has a damaged zip header.")
        name_len = int.from_bytes(local[26:28], "little")
        extra_len = int.from_bytes(local[28:30], "little")
        fh.seek(member.header_offset + 30 + name_len + extra_len)
        version = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(fh)
        offset = fh.tell()
    except (KeyError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CorruptFileError(f"embedding file {str(path)!r} is unreadable ({exc}).") from None
    if dtype.hasobject:
        raise CorruptFileError(f"embedding file {str(path)!r} holds Python objects; refusing to load it.")
    needed = offset + int(np.prod(shape)) * dtype.itemsize
    if os.fstat(fh.fileno()).st_size < needed:
        raise CorruptFileError(f"embedding file {str(path)!r} is truncated.")
    return np.memmap(fh, dtype=dtype, mode="r", offset=offset, shape=tuple(shape), order="F" if fortran else "C")
