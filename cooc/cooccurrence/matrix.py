"""Cooccurrence: a V x V sparse count matrix with its marginals, vocabulary and provenance."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import CorruptFileError, InputDataError, InvalidParameterError
from .._core.io import PAIR_KEY, check_metadata, check_pair, load_npz, open_checked, save_pair
from .._core.io import provenance as make_provenance
from .._core.kinds import refuse_corpus_files
from .._core.locks import lock_output
from ..corpus.vocab import Vocabulary
from .format import (
    FORMAT,
    file_paths,
    normalised_marginals,
    open_layout,
    read_glove,
    read_metadata,
    subset_pairs,
    write_glove,
)


def _csr(matrix: Any) -> sp.csr_matrix:
    m = sp.csr_matrix(matrix)
    if isinstance(matrix, sp.csr_matrix) and matrix.has_canonical_format:
        m.has_canonical_format = True  # known (the counter marks its results): no second O(nnz) check
    m.sum_duplicates()
    m.sort_indices()
    return m


def _check_unigram(unigram: np.ndarray, words: Sequence[str]) -> None:
    """Unigram counts are finite and non-negative (O(V)): NaN or a negative count makes every target wrong."""
    if unigram.dtype.kind not in "biuf":
        raise InvalidParameterError(f"Cooccurrence: unigram counts of dtype {unigram.dtype}, expected numbers.")
    bad = ~np.isfinite(unigram) | (unigram < 0) if unigram.dtype.kind == "f" else unigram < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"Cooccurrence: the unigram count of {words[i]!r} is {unigram[i]}; counts are finite and non-negative "
            f"({int(bad.sum())} are not)."
        )


def check_counts(cooc: Cooccurrence, owner: str) -> None:
    """The counts' entries are finite and non-negative (one pass over the nonzeros; targets need it:
    a negative or NaN entry gives values outside every target's range without an error)."""
    counts = cooc.counts
    if counts.dtype.kind not in "biuf":
        raise InputDataError(f"{owner}: co-occurrence counts of dtype {counts.dtype}, expected real numbers.")
    data = counts.data
    if not data.size or data.dtype.kind in "bu" or (data.min() >= 0 and np.isfinite(data.max())):  # NaN fails both
        return
    bad = ~np.isfinite(data) | (data < 0) if data.dtype.kind == "f" else data < 0
    k = int(np.flatnonzero(bad)[0])
    row = int(np.searchsorted(counts.indptr, k, side="right") - 1)
    words = cooc.vocab.words
    raise InputDataError(
        f"{owner}: the count of ({words[row]!r}, {words[counts.indices[k]]!r}) is {data[k]}; counts are finite "
        f"and non-negative ({int(bad.sum())} entries are not)."
    )


class Cooccurrence:
    """Co-occurrence counts over a vocabulary, in memory.

    Parameters
    ----------
    counts : scipy.sparse matrix of shape (V, V)
        int64 for plain counts, float64 for weighted sums.
    vocab : Vocabulary
        The V words (row/column order).
    unigram : ndarray of shape (V,), optional
        Global unigram counts of the V words (default ``vocab.counts``); the papers take
        marginals from these, not from the rows of the block.
    settings : dict, optional
        Window, weighting, symmetry, ... used to count.
    per_offset : list of sparse matrices of shape (V, V), optional
        Position-resolved counts C_j for offsets j = 1..L.
    independent_pairs : ndarray of shape (n, 2), optional
        Word-id pairs set to independence by :meth:`zero_block`; targets make them exact.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from cooc import Cooccurrence
    >>> counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]]))
    >>> c = Cooccurrence.from_scipy(counts, ["cat", "dog", "car"], unigram=np.array([5, 5, 2]))
    >>> print(c.total, c.top_pairs(1))
    12 [('cat', 'dog', 4)]
    >>> c.unigram_probabilities().round(3).tolist()
    [0.417, 0.417, 0.167]
    """

    #: The storage layout (see :class:`cooc.cooccurrence.CooccurrenceMatrix`).
    layout = "memory"

    def __init__(
        self,
        counts: Any,
        vocab: Vocabulary,
        unigram: np.ndarray | None = None,
        settings: dict[str, Any] | None = None,
        provenance: dict[str, Any] | None = None,
        per_offset: Sequence[Any] | None = None,
        independent_pairs: np.ndarray | None = None,
    ):
        self.counts = _csr(counts)
        V = len(vocab)
        if self.counts.shape != (V, V):
            raise InvalidParameterError(
                f"Cooccurrence: counts of shape {self.counts.shape} for a vocabulary of {V} words."
            )
        self.vocab = vocab
        self.unigram = np.asarray(vocab.counts if unigram is None else unigram)
        if self.unigram.shape != (V,):
            raise InvalidParameterError(f"Cooccurrence: unigram of shape {self.unigram.shape}, expected ({V},).")
        _check_unigram(self.unigram, vocab.words)
        self.settings = dict(settings or {})
        self.provenance = dict(provenance or make_provenance())
        self.per_offset = None if per_offset is None else [_csr(m) for m in per_offset]
        for j, m in enumerate(self.per_offset or [], 1):
            if m.shape != (V, V):
                raise InvalidParameterError(f"Cooccurrence: per_offset C_{j} of shape {m.shape}, expected ({V}, {V}).")
        self.independent_pairs = (
            np.zeros((0, 2), dtype=np.int64)
            if independent_pairs is None
            else np.asarray(independent_pairs, dtype=np.int64).reshape(-1, 2)
        )
        bad = (self.independent_pairs < 0) | (self.independent_pairs >= V)
        if bad.any():
            row = self.independent_pairs[bad.any(axis=1)][0].tolist()
            raise InvalidParameterError(
                f"Cooccurrence: independent_pairs holds the pair {row}, outside the ids 0..{V - 1} of the vocabulary."
            )

    # -- basic facts ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape

    @property
    def nnz(self) -> int:
        return int(self.counts.nnz)

    @property
    def dtype(self) -> np.dtype:
        return self.counts.dtype

    @property
    def n_offsets(self) -> int:
        """How many position-resolved matrices C_j are kept (0 without ``per_offset``)."""
        return len(self.per_offset or [])

    @property
    def total(self) -> float:
        """Sum of all entries of the V x V block."""
        return self.counts.data.sum()

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return (
            f"Cooccurrence(V={self.shape[0]}, nnz={self.nnz}, total={self.total:.6g}, "
            f"dtype={self.dtype}, settings={self.settings})"
        )

    def unigram_probabilities(self, marginals: str = "global") -> np.ndarray:
        """P_i normalised over the V words: from global unigram counts or from the block's rows."""
        return normalised_marginals(self.unigram, lambda: np.asarray(self.counts.sum(axis=1)).ravel(), marginals)

    def top_pairs(self, n: int = 10) -> list[tuple[str, str, float]]:
        """The ``n`` largest entries as ``(word, context, value)``, upper triangle for symmetric counts."""
        check_count(n, "top_pairs")
        coo = self.counts.tocoo()
        keep = coo.row <= coo.col if self.settings.get("symmetric", False) else slice(None)
        rows, cols, vals = coo.row[keep], coo.col[keep], coo.data[keep]
        order = np.argsort(-vals, kind="stable")[:n]
        w = self.vocab.words
        return [(w[rows[k]], w[cols[k]], vals[k].item()) for k in order]

    def iter_blocks(self, offset: int | None = None) -> Iterator[tuple[int, int, sp.csr_matrix]]:
        """Yield ``(0, V, counts)``: the whole matrix as one row block (as a blocked matrix yields its blocks)."""
        if offset is None:
            yield 0, len(self), self.counts
            return
        if not self.per_offset or not 1 <= offset <= len(self.per_offset):
            raise InvalidParameterError(f"offset must lie in 1..{len(self.per_offset or [])}, got {offset!r}.")
        yield 0, len(self), self.per_offset[offset - 1]

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """``C @ x`` for ``x`` of shape (V,) or (V, k)."""
        return self.counts @ np.asarray(x)

    def to_memory(self) -> Cooccurrence:
        """This matrix (already in memory)."""
        return self

    # -- conversions ------------------------------------------------------------------------
    def to_scipy(self) -> sp.csr_matrix:
        return self.counts

    @classmethod
    def from_scipy(
        cls, matrix: Any, vocab: Vocabulary | Sequence[str], unigram: np.ndarray | None = None, **kwargs: Any
    ) -> Cooccurrence:
        if not isinstance(vocab, Vocabulary):
            vocab = Vocabulary(list(vocab))
        return cls(matrix, vocab, unigram, **kwargs)

    def _derived(
        self,
        counts: Any,
        vocab: Vocabulary,
        unigram: np.ndarray,
        per_offset=None,
        independent_pairs=None,
        note: str = "",
    ) -> Cooccurrence:
        prov = dict(self.provenance)
        prov["derived"] = list(prov.get("derived", [])) + ([note] if note else [])
        return Cooccurrence(counts, vocab, unigram, self.settings, prov, per_offset, independent_pairs)

    def subset(self, words: Iterable[str]) -> Cooccurrence:
        """Restrict to ``words`` (in that order); marginals keep their global normalisation."""
        words = list(words)
        ids = self.vocab.ids(words)
        missing = [w for w, i in zip(words, ids) if i < 0]
        if missing:
            raise InputDataError(f"{words_missing(missing)} not in the vocabulary: {missing[:5]}")
        sub = lambda m: m[ids][:, ids]  # noqa: E731
        vocab = Vocabulary(words, self.vocab.counts[ids], total=self.vocab.total)
        per = None if self.per_offset is None else [sub(m) for m in self.per_offset]
        pairs = subset_pairs(self.independent_pairs, ids)
        return self._derived(sub(self.counts), vocab, self.unigram[ids], per, pairs, f"subset({len(words)} words)")

    def _pair_ids(self, pairs: Iterable[Any]) -> np.ndarray:
        out = []
        for pair in pairs:
            if isinstance(pair, str) or len(pair) != 2:
                raise InvalidParameterError(
                    f"zero_block: 'pairs' is a list of (a, b) pairs, got the item {pair!r} (for one pair, pass [(a, b)])."
                )
            a, b = pair
            ia = a if isinstance(a, (int, np.integer)) else self.vocab.key_to_index.get(a, -1)
            ib = b if isinstance(b, (int, np.integer)) else self.vocab.key_to_index.get(b, -1)
            if not (0 <= ia < len(self) and 0 <= ib < len(self)):
                raise InputDataError(f"pair ({a!r}, {b!r}) is not in the vocabulary.")
            out.append((int(ia), int(ib)))
        return np.array(out, dtype=np.int64).reshape(-1, 2)

    def zero_block(self, pairs: Iterable[Any]) -> Cooccurrence:
        """Set word pairs to independence: C_ab = C_ba = N P_a P_b (then M = 1, log M = 0, M* = 0).

        ``pairs`` holds ``(a, b)`` words or ids; both orders are changed. Counts become
        float64. Each position-resolved matrix C_j (``per_offset``) is set the same way
        with its own total N_j. The pairs are recorded in ``independent_pairs`` so that
        targets set them to the independence value exactly.
        """
        ids = self._pair_ids(pairs)
        ids = np.unique(np.concatenate([ids, ids[:, ::-1]]), axis=0)
        p = self.unigram_probabilities("global")
        product = p[ids[:, 0]] * p[ids[:, 1]]

        def independent(m: sp.csr_matrix, total: float) -> sp.csr_matrix:
            out = m.astype(np.float64).tolil()
            out[ids[:, 0], ids[:, 1]] = total * product
            return out.tocsr()

        per = None if self.per_offset is None else [independent(m, float(m.sum())) for m in self.per_offset]
        done = np.unique(np.concatenate([self.independent_pairs, ids]), axis=0)
        return self._derived(
            independent(self.counts, self.total), self.vocab, self.unigram, per, done, f"zero_block({len(ids)} entries)"
        )

    # -- files -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (vocabulary, settings, provenance) as one unit.

        The ``.json`` is written last and names the ``.npz``'s checksum (see
        :func:`cooc._core.io.save_pair`): an interrupted overwrite is refused by :meth:`load`,
        never read as new data under old metadata. Another process writing the same path at
        the same time is refused (:class:`~cooc.OutputBusyError`).
        """
        npz, meta = file_paths(path)
        refuse_corpus_files([npz, meta], "counts")
        arrays = {
            "data": self.counts.data,
            "indices": self.counts.indices,
            "indptr": self.counts.indptr,
            "shape": np.array(self.shape, dtype=np.int64),
            "unigram": self.unigram,
            "independent_pairs": self.independent_pairs,
        }
        for j, m in enumerate(self.per_offset or [], start=1):
            arrays.update({f"offset{j}_data": m.data, f"offset{j}_indices": m.indices, f"offset{j}_indptr": m.indptr})
        with lock_output(npz.with_suffix(""), "co-occurrence file"):
            save_pair(
                npz,
                meta,
                arrays,
                {
                    "format": FORMAT,
                    "shape": list(self.shape),
                    "nnz": self.nnz,
                    "dtype": str(self.dtype),
                    "n_offsets": len(self.per_offset or []),
                    "settings": self.settings,
                    "provenance": self.provenance,
                    "vocab": {
                        "words": self.vocab.words,
                        "counts": self.vocab.counts.tolist(),
                        "total": self.vocab.total,
                    },
                },
                self.vocab.words,
            )
        return npz

    @classmethod
    def load(cls, path: str | os.PathLike, verify: bool = True) -> Cooccurrence:
        """Read a file written by :meth:`save`; a blocked (out-of-core) one opens as a lazy
        :class:`~cooc.cooccurrence.blocked.BlockedCooccurrence` (see :func:`cooc.cooccurrence.blocked.save_blocked`).

        Parameters
        ----------
        verify : bool
            Check the data against the checksum in the metadata (one more read of the file).
            Whether data and metadata belong together is checked in any case.

        Raises
        ------
        CorruptFileError
            A file is missing, damaged, or the two files come from different writes.
        """
        npz = file_paths(path)[0]
        for attempt in range(2):
            meta_path, meta = read_metadata(path)
            if meta.get("layout", cls.layout) != cls.layout:  # another layout (out-of-core row blocks)
                return open_layout(meta["layout"], meta_path, verify=verify)
            try:
                return cls._load_checked(npz, meta, verify)
            except CorruptFileError:
                # A writer may have replaced the pair between our two reads: then read the new pair.
                if attempt == 0 and read_metadata(path)[1] != meta:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_checked(cls, npz: Path, meta: dict[str, Any], verify: bool) -> Cooccurrence:
        sums = meta.get("checksums") or {}
        with open_checked(npz, sums.get("data"), "co-occurrence", verify) as fh:
            arrays = load_npz(fh, required=("data", "indices", "indptr", "shape", "unigram"), what="co-occurrence")
        try:
            shape = tuple(int(x) for x in arrays["shape"])
            counts = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
            counts.check_format(full_check=True)
            per = [
                sp.csr_matrix(
                    (arrays[f"offset{j}_data"], arrays[f"offset{j}_indices"], arrays[f"offset{j}_indptr"]), shape=shape
                )
                for j in range(1, meta.get("n_offsets", 0) + 1)
            ] or None
            v = meta["vocab"]
            check_pair(meta, arrays.get(PAIR_KEY), v["words"], f"co-occurrence file {str(npz)!r}")
            check_metadata(meta, file_paths(npz)[1], "co-occurrence")  # after the word list's own check
            vocab = Vocabulary(v["words"], v["counts"], total=v["total"])
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise CorruptFileError(f"co-occurrence file {str(npz)!r} is inconsistent ({exc}).") from None
        if counts.nnz != meta.get("nnz"):
            raise CorruptFileError(
                f"co-occurrence file {str(npz)!r} holds {counts.nnz} entries, metadata says {meta.get('nnz')}."
            )
        return cls(
            counts,
            vocab,
            arrays["unigram"],
            meta.get("settings"),
            meta.get("provenance"),
            per,
            arrays.get("independent_pairs"),
        )

    def to_glove(self, path: str | os.PathLike) -> None:
        """Write GloVe's binary co-occurrence records (int32 word, int32 context, float64 value; 1-based)."""
        write_glove(self.counts, path)

    @classmethod
    def from_glove(cls, path: str | os.PathLike, vocab: Vocabulary, **kwargs: Any) -> Cooccurrence:
        """Read GloVe's binary records (e.g. the output of ``cooccur``); duplicates are summed.

        Without ``settings``, they record the source and whether the counts equal their transpose
        exactly (``symmetric``: then :meth:`top_pairs` lists each pair once).
        """
        counts = read_glove(path, len(vocab))
        if "settings" not in kwargs:
            kwargs["settings"] = {"source": "glove", "file": str(path), "symmetric": (counts != counts.T).nnz == 0}
        return cls(counts, vocab, **kwargs)


def as_cooccurrence(counts: Any) -> Any:
    """``counts`` itself, or the counts saved at a path (``None`` stays ``None``): what the reports take
    from a notebook."""
    return Cooccurrence.load(counts) if isinstance(counts, (str, os.PathLike)) else counts


def check_count(n: Any, owner: str) -> None:
    """``n`` must be a whole number >= 0 (a negative one would slice off the end instead: ``[:-1]``)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InvalidParameterError(f"{owner}: n must be a whole number >= 0, got {n!r}.")


def words_missing(missing: Sequence[str]) -> str:
    """``"1 word is"`` or ``"3 words are"``."""
    return f"{len(missing)} word is" if len(missing) == 1 else f"{len(missing)} words are"
