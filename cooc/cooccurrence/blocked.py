"""Out-of-core co-occurrence matrices: CSR row blocks on disk, opened lazily.

When the V x V counts do not fit in memory they are written as row blocks: block b
holds rows ``[start_b, stop_b)`` with all V columns, as a CSR matrix whose three arrays
are ``.npy`` files (memory-mapped when read). Layout beside ``<base>.json``::

    <base>.json                    metadata, written last (its presence marks a complete matrix):
                                   format, "layout": "blocked", shape, nnz, dtype, total, settings,
                                   provenance, one entry per block (rows, nnz, sum, checksums),
                                   the checksums of the shared files below and of its own content
    <base>.blocks/vocab.tsv        the Vocabulary (and vocab.tsv.json)
    <base>.blocks/unigram.npy      global unigram counts, shape (V,)
    <base>.blocks/row_sums.npy     row sums of the counts, shape (V,) (the "block" marginals)
    <base>.blocks/independent_pairs.npy
    <base>.blocks/b00000.data.npy, .indices.npy, .indptr.npy           the counts of block 0
    <base>.blocks/b00000.o1.data.npy, ...                               offset j = 1, with per_offset

:meth:`cooc.Cooccurrence.load` opens such a file as a :class:`BlockedCooccurrence`, which
reads one block at a time: the memory it needs is one block, plus vectors of length V.
Targets and eigensolvers consume it through :func:`cooc.spectral.operator.target_operator`
(a ``LinearOperator`` evaluated block by block, for Lanczos). Blocks are written by
:func:`save_blocked` (from an in-memory matrix) or by the Dask counter, each worker
writing the blocks it reduced (``count_distributed(..., out=...)``). Both write into a hidden
folder beside the output (:func:`staged_blocked_output`) that replaces an old output only once
it is complete, by renames: a write that fails or is interrupted leaves the old output as it was.

Opening checks every file against its checksum (``verify=False`` skips the blocks' data, one
read of the whole matrix saved), and every block read later checks that its files are still
the ones opened: a matrix rewritten while in use is an error, never a mix. A matrix that
another process is writing is refused; writers hold the lock of ``<base>`` (see
:func:`cooc._core.locks.lock_output`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import CorruptFileError, InputDataError, InvalidParameterError, OutputExistsError
from .._core.io import (
    atomic_path,
    atomic_save_npy,
    atomic_write_json,
    check_metadata,
    file_checksum,
    json_text,
    meta_checksum,
    read_unchanged,
    remove_stale_temps,
    stream_checksum,
)
from .._core.kinds import refuse_corpus_files
from .._core.locks import check_output_not_written, lock_output
from ..corpus.vocab import Vocabulary, check_savable
from .format import FORMAT, blocks_dir, file_paths, normalised_marginals, read_metadata, register_layout, subset_pairs
from .matrix import Cooccurrence, check_count, check_counts, words_missing

LAYOUT = "blocked"
#: files of the block folder shared by all blocks (checksummed in the metadata)
SHARED_FILES = ("vocab.tsv", "vocab.tsv.json", "unigram.npy", "row_sums.npy", "independent_pairs.npy")
#: Default bytes of one block (data + indices of its nonzeros) when splitting a matrix.
BLOCK_BYTES = 256 << 20


def row_ranges(row_weights: np.ndarray, n_blocks: int) -> np.ndarray:
    """Cut rows into ``n_blocks`` contiguous ranges of about equal total weight.

    Parameters
    ----------
    row_weights : ndarray of shape (V,)
        Expected cost of each row (its number of nonzeros, or an estimate).
    n_blocks : int

    Returns
    -------
    ndarray of shape (n + 1,), int64
        Boundaries ``0 = b_0 < b_1 < ... < b_n = V`` (n <= ``n_blocks``: empty ranges merged).
    """
    V = int(row_weights.shape[0])
    if n_blocks < 1:
        raise InvalidParameterError(f"parameter 'n_blocks' must be >= 1, got {n_blocks!r}.")
    cum = np.concatenate([[0.0], np.cumsum(np.maximum(np.asarray(row_weights, dtype=np.float64), 0) + 1e-9)])
    targets = cum[-1] * np.arange(1, n_blocks) / n_blocks
    cuts = np.searchsorted(cum, targets, side="left")
    return np.unique(np.concatenate([[0], np.clip(cuts, 0, V), [V]])).astype(np.int64)


def estimated_row_nnz(unigram: np.ndarray, window: int, vocab_size: int) -> np.ndarray:
    """An upper estimate of the nonzeros of each row of symmetric counts: min(V, 2 L count_i)."""
    return np.minimum(2.0 * window * np.asarray(unigram, dtype=np.float64), float(vocab_size))


# -- writing ----------------------------------------------------------------------------------
def output_base(path: str | os.PathLike) -> Path:
    """``<base>`` of a co-occurrence path (what its lock is named after)."""
    return file_paths(path)[1].with_suffix("")


def check_blocked_output(path: str | os.PathLike, overwrite: bool) -> None:
    """Refuse an existing output at ``path`` (flat or blocked) unless ``overwrite``; writes nothing.

    Raises
    ------
    OutputExistsError
    """
    npz, meta = file_paths(path)
    if (meta.exists() or npz.exists() or blocks_dir(path).exists()) and not overwrite:
        raise OutputExistsError(f"{str(meta)!r} already exists; pass overwrite=True (--overwrite) to replace it.")


class StagedBlocks:
    """A blocked output being written: ``folder`` is a hidden folder beside the target (``.<base>.blocks.<id>.tmp``)
    that the blocks are written into; :meth:`commit` writes the shared files and swaps it in. Made by
    :func:`staged_blocked_output`."""

    def __init__(self, path: str | os.PathLike, folder: Path):
        self.path = Path(path)
        self.folder = folder
        self.committed = False

    def commit(self, *shared: Any, **options: Any) -> None:
        """Write the shared arrays into the staging folder, then make it the output (see :func:`_swap_in`).
        ``shared`` and ``options`` are :func:`write_shared`'s arguments after its folder and name."""
        meta = write_shared(self.folder, blocks_dir(self.path).name, *shared, **options)
        _swap_in(self.path, self.folder, meta)
        self.committed = True


@contextlib.contextmanager
def staged_blocked_output(path: str | os.PathLike, overwrite: bool) -> Iterator[StagedBlocks]:
    """Write a blocked output at ``path`` without touching the old one until the new one is complete.

    Holds the output's lock throughout; refuses an existing output unless ``overwrite`` (before anything
    is written); removes what killed writers left; yields a :class:`StagedBlocks` whose folder takes the
    blocks and whose ``commit`` swaps them in. Leaving the block without a commit (an exception, an
    interruption) removes the staging folder: the old output stays as it was.
    """
    folder = blocks_dir(path)
    refuse_corpus_files(list(file_paths(path)), "counts")
    with lock_output(output_base(path), "co-occurrence file"):
        check_blocked_output(path, overwrite)
        _remove_stale_folders(folder)
        staged = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:12]}.tmp")
        staged.mkdir()
        stage = StagedBlocks(path, staged)
        try:
            yield stage
        finally:
            if not stage.committed:
                _discard(staged)


def _discard(staged: Path) -> None:
    """Remove a staging folder that will not be committed. It is renamed first, so that a worker still writing
    into it (a task of a stopped count) can no longer add a file there (:func:`_save_csr` never makes a folder) while it is
    removed; whatever is left (a removal that failed) has a name the next writer removes."""
    trash = staged.with_name(f"{staged.name[: -len('.tmp')]}.discarded.tmp")
    try:
        os.rename(staged, trash)
    except FileNotFoundError:  # moved in by the commit, or never made
        return
    except OSError:
        trash = staged
    shutil.rmtree(trash, ignore_errors=True)


def _save_csr(folder: Path, stem: str, m: sp.csr_matrix) -> dict[str, str]:
    sums = {}
    for part in ("data", "indices", "indptr"):
        name = f"{stem}.{part}.npy"
        # never makes the folder: a worker still writing after its count stopped (its staging folder gone)
        # fails instead of making the folder again
        atomic_save_npy(folder / name, getattr(m, part), make_parent=False)
        sums[part] = file_checksum(folder / name)
    return sums


def save_block(
    folder: str | os.PathLike,
    index: int,
    start: int,
    total: sp.csr_matrix,
    per_offset: list[sp.csr_matrix] | None = None,
) -> dict[str, Any]:
    """Write rows ``[start, start + R)`` (the matrix ``total`` of shape (R, V)); return its entry.

    Parameters
    ----------
    folder : path
        The folder the blocks are written into (the staging folder of :func:`staged_blocked_output`); it
        must exist.
    total : scipy.sparse matrix of shape (R, V)
    per_offset : list of scipy.sparse matrices of shape (R, V), optional

    Returns
    -------
    dict
        File stem, rows, nnz, sum, checksums and the row sums (ndarray of shape (R,)).
    """
    folder = Path(folder)
    total = _canonical(total)
    stem = f"b{index:05d}"
    entry: dict[str, Any] = {
        "stem": stem,
        "start": int(start),
        "stop": int(start + total.shape[0]),
        "nnz": int(total.nnz),
        "sum": total.data.sum().item() if total.nnz else 0,
        "checksums": _save_csr(folder, stem, total),
    }
    for j, m in enumerate(per_offset or [], start=1):
        entry["checksums"].update({f"o{j}.{k}": v for k, v in _save_csr(folder, f"{stem}.o{j}", _canonical(m)).items()})
    entry["row_sums"] = np.asarray(total.sum(axis=1)).ravel()
    return entry


def _canonical(m: Any) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.sum_duplicates()
    m.sort_indices()
    return m


def write_metadata(path: str | os.PathLike, *shared: Any, **options: Any) -> Path:
    """Write the shared arrays into ``<base>.blocks`` and, last, ``<base>.json``; the blocked matrix is then
    complete. ``shared`` and ``options`` are :func:`write_shared`'s arguments after its folder and name."""
    folder = blocks_dir(path)
    meta = write_shared(folder, folder.name, *shared, **options)
    meta_path = file_paths(path)[1]
    atomic_write_json(meta_path, meta)
    return meta_path


def write_shared(
    folder: Path,
    name: str,
    entries: list[dict[str, Any]],
    vocab: Vocabulary,
    unigram: np.ndarray,
    settings: dict[str, Any],
    provenance: dict[str, Any],
    dtype: Any,
    n_offsets: int = 0,
    independent_pairs: np.ndarray | None = None,
) -> dict[str, Any]:
    """Write the shared arrays of the blocks ``entries`` into ``folder``; return the metadata naming them,
    for a block folder that will be called ``name``, with the checksum of its own content."""
    entries = sorted(entries, key=lambda e: e["start"])
    V = len(vocab)
    bounds = [e["start"] for e in entries] + [entries[-1]["stop"] if entries else 0]
    if bounds[0] != 0 or bounds[-1] != V or any(e["stop"] != n["start"] for e, n in zip(entries, entries[1:])):
        raise InvalidParameterError(f"blocks do not tile the rows 0..{V}: {bounds}.")
    vocab.save(folder / "vocab.tsv")
    atomic_save_npy(folder / "unigram.npy", np.asarray(unigram))
    atomic_save_npy(folder / "row_sums.npy", np.concatenate([e["row_sums"] for e in entries]))
    pairs = np.zeros((0, 2), np.int64) if independent_pairs is None else np.asarray(independent_pairs, np.int64)
    atomic_save_npy(folder / "independent_pairs.npy", pairs.reshape(-1, 2))
    blocks = [{k: v for k, v in e.items() if k != "row_sums"} for e in entries]
    content = {
        "format": FORMAT,
        "layout": LAYOUT,
        "shape": [V, V],
        "nnz": sum(b["nnz"] for b in blocks),
        "dtype": str(np.dtype(dtype)),
        "total": sum(b["sum"] for b in blocks),
        "n_offsets": int(n_offsets),
        "settings": settings,
        "provenance": provenance,
        "folder": name,
        "blocks": blocks,
        "files": {f: file_checksum(folder / f) for f in SHARED_FILES},
    }
    return {**content, "checksums": {"meta": meta_checksum(content)}}


def save_blocked(
    cooc: Any,
    path: str | os.PathLike,
    n_blocks: int | None = None,
    overwrite: bool = False,
    block_bytes: int = BLOCK_BYTES,
) -> BlockedCooccurrence:
    """Write an in-memory :class:`~cooc.Cooccurrence` as row blocks; return it opened lazily.

    The words are checked first (a word :class:`~cooc.Vocabulary` cannot save is refused before
    anything is written); the blocks are written into a temporary folder beside the output, which
    replaces the old output (in memory or in blocks) only once it is complete: a failed save
    leaves the old counts as they were.

    Parameters
    ----------
    cooc : Cooccurrence
    path : path
        ``<base>`` (or ``<base>.json``).
    n_blocks : int, optional
        Number of row blocks (default: enough for blocks of about ``block_bytes``), cut so
        that every block holds about the same number of nonzeros.
    """
    counts = cooc.counts
    if not len(cooc.vocab):
        raise InvalidParameterError("a matrix with no words cannot be saved as row blocks; save it with .save().")
    check_savable(cooc.vocab.words)
    check_counts(cooc, "save_blocked")  # a blocked target reads them block by block, past Target's own check
    row_nnz = np.diff(counts.indptr).astype(np.float64)
    if n_blocks is None:
        n_blocks = max(1, int(np.ceil(counts.nnz * (counts.data.itemsize + 8) / block_bytes)))
    bounds = row_ranges(row_nnz, n_blocks)
    with staged_blocked_output(path, overwrite) as stage:
        entries = []
        for b, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
            per = None if cooc.per_offset is None else [m[start:stop] for m in cooc.per_offset]
            entries.append(save_block(stage.folder, b, int(start), counts[start:stop], per))
        stage.commit(
            entries,
            cooc.vocab,
            cooc.unigram,
            cooc.settings,
            cooc.provenance,
            counts.dtype,
            len(cooc.per_offset or []),
            cooc.independent_pairs,
        )
        return BlockedCooccurrence.open(path, verify=False)


def _swap_in(path: str | os.PathLike, staged: Path, meta: dict[str, Any]) -> None:
    """Make the complete block folder ``staged`` the output ``path`` with the metadata ``meta``.

    The new metadata is written (synced) first; then, by unlinks and renames only, the old
    metadata goes (the old output is no longer complete), the old folder and ``.npz`` make way,
    and the new metadata is renamed in: the commit point.
    """
    npz, meta_path = file_paths(path)
    folder = blocks_dir(path)
    retired = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:12]}.tmp")
    with atomic_path(meta_path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json_text(meta) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        meta_path.unlink(missing_ok=True)
        if folder.exists():
            os.rename(folder, retired)
        os.rename(staged, folder)
        npz.unlink(missing_ok=True)
    shutil.rmtree(retired, ignore_errors=True)


def _remove_stale_folders(folder: Path) -> None:
    """Remove the temporary block folders (``.<base>.blocks.*.tmp``) of a killed :func:`save_blocked` or Dask
    count (or of one whose removal failed) and temporary metadata files; call it only while holding the
    output's lock."""
    for stale in folder.parent.glob(f".{glob.escape(folder.name)}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    remove_stale_temps(folder.with_name(folder.name[: -len(".blocks")] + ".json"))


# -- reading ----------------------------------------------------------------------------------
class BlockedCooccurrence:
    """A co-occurrence matrix stored as CSR row blocks, read one block at a time.

    Open with :meth:`cooc.Cooccurrence.load` (or :meth:`open`). It answers the questions a
    :class:`~cooc.Cooccurrence` answers without loading the matrix: ``shape``, ``nnz``,
    ``dtype``, ``total``, ``vocab``, ``unigram``, ``settings``, :meth:`unigram_probabilities`;
    it yields blocks (:meth:`block`, :meth:`iter_blocks`), multiplies block by block
    (:meth:`matvec`), restricts to a word list in memory (:meth:`subset`), or loads whole
    (:meth:`to_memory`).

    Attributes
    ----------
    path : Path
        The metadata file.
    bounds : ndarray of shape (n_blocks + 1,), int64
        Row boundaries of the blocks.
    """

    layout = LAYOUT

    def __init__(self, path: Path, meta: dict[str, Any], verify: bool = True):
        self.path = Path(path)
        self.meta = meta
        self.folder = self.path.with_name(meta["folder"])
        self._stamps: dict[str, tuple[int, int, int]] = {}
        for name, expected in (meta.get("files") or {}).items():  # small files: always checked
            self._check_file(name, expected, True)
        self.vocab = Vocabulary.load(self.folder / "vocab.tsv")
        V = len(self.vocab)
        self.unigram = self._read("unigram.npy", False)
        self.row_sums = self._read("row_sums.npy", False)
        self.independent_pairs = self._read("independent_pairs.npy", False)
        self.settings = dict(meta.get("settings") or {})
        self.provenance = dict(meta.get("provenance") or {})
        self.entries = meta["blocks"]
        self.bounds = np.array([e["start"] for e in self.entries] + [self.entries[-1]["stop"]], dtype=np.int64)
        if tuple(meta["shape"]) != (V, V) or self.unigram.shape != (V,) or self.row_sums.shape != (V,):
            raise CorruptFileError(f"blocked co-occurrence {str(path)!r}: shapes disagree with its {V} words.")
        if self.bounds[0] != 0 or self.bounds[-1] != V or np.any(np.diff(self.bounds) < 0):
            raise CorruptFileError(f"blocked co-occurrence {str(path)!r}: blocks do not tile rows 0..{V}.")
        for name, expected in self._block_files():
            self._check_file(name, expected, verify)
        self._verified = verify  # unverified blocks are range-checked when read (see block())

    @classmethod
    def open(cls, path: str | os.PathLike, verify: bool = True) -> BlockedCooccurrence:
        """Open a blocked matrix, checking its files against their checksums (``verify=False``: all but
        the blocks' data, which are then only checked to be the files named when read)."""
        meta_path, meta = read_metadata(path)
        if meta.get("layout") != LAYOUT:
            raise CorruptFileError(f"{str(meta_path)!r} is not a blocked cooc co-occurrence file.")
        check_output_not_written(output_base(meta_path), "co-occurrence file")
        check_metadata(meta, meta_path, "co-occurrence")
        try:
            return cls(meta_path, meta, verify)
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise CorruptFileError(f"blocked co-occurrence {str(meta_path)!r} is inconsistent ({exc}).") from None

    def _block_files(self) -> list[tuple[str, str]]:
        out = []
        for entry in self.entries:
            for key, expected in entry["checksums"].items():
                prefix, _, part = key.rpartition(".")
                out.append((f"{entry['stem']}.{prefix + '.' if prefix else ''}{part}.npy", expected))
        return out

    def _check_file(self, name: str, expected: str | None, verify: bool) -> None:
        full = self.folder / name
        try:
            with open(full, "rb") as fh:
                if verify and expected is not None and stream_checksum(fh, like=expected) != expected:
                    raise CorruptFileError(
                        f"co-occurrence block file {str(full)!r} does not match its checksum (truncated or edited)."
                    )
                st = os.fstat(fh.fileno())
        except FileNotFoundError:
            raise CorruptFileError(f"co-occurrence block file {str(full)!r} is missing.") from None
        self._stamps[name] = (st.st_ino, st.st_size, st.st_mtime_ns)

    def _read(self, name: str, mmap: bool) -> np.ndarray:
        """One file of the folder, checked to be the file opened (never one written since)."""
        full = self.folder / name
        return read_unchanged(
            full,
            self._stamps.get(name),
            mmap,
            missing=f"co-occurrence file {str(full)!r} is missing (was the matrix rewritten while in use?).",
            rewritten=f"blocked co-occurrence {str(self.path)!r} was rewritten while in use ({name} changed); "
            f"run this again.",
            unreadable=f"co-occurrence file {str(full)!r} is unreadable or truncated",
        )

    # -- facts ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        V = len(self.vocab)
        return (V, V)

    @property
    def n_blocks(self) -> int:
        return len(self.entries)

    @property
    def nnz(self) -> int:
        return int(self.meta["nnz"])

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.meta["dtype"])

    @property
    def total(self) -> float:
        """Sum of all entries (from the block sums; integer counts stay exact)."""
        return self.meta["total"]

    @property
    def n_offsets(self) -> int:
        """How many position-resolved matrices C_j are stored (0 without ``per_offset``)."""
        return int(self.meta.get("n_offsets", 0))

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return (
            f"BlockedCooccurrence(V={self.shape[0]}, nnz={self.nnz}, blocks={self.n_blocks}, "
            f"dtype={self.dtype}, settings={self.settings})"
        )

    def unigram_probabilities(self, marginals: str = "global") -> np.ndarray:
        """P_i over the V words, from global unigram counts or from the stored row sums."""
        return normalised_marginals(self.unigram, lambda: self.row_sums, marginals)

    # -- blocks ---------------------------------------------------------------------------
    def block(self, index: int, offset: int | None = None) -> sp.csr_matrix:
        """Rows ``bounds[index]:bounds[index + 1]`` as CSR of shape (R, V) (memory-mapped arrays).

        ``offset`` (1..L) reads that offset's matrix instead of the total. The sizes of the arrays are
        checked; for a matrix opened with ``verify=False`` (the blocks' checksums not checked) the
        column ids and row pointers are too, so a damaged block is refused, never handed to scipy.
        """
        entry = self.entries[index]
        stem = entry["stem"] if offset is None else f"{entry['stem']}.o{offset}"
        if offset is not None and not 1 <= offset <= self.n_offsets:
            raise InvalidParameterError(f"offset must lie in 1..{self.n_offsets}, got {offset!r}.")
        arrays = [self._read(f"{stem}.{part}.npy", True) for part in ("data", "indices", "indptr")]
        data, indices, indptr = arrays
        rows = entry["stop"] - entry["start"]
        if (
            indptr.shape != (rows + 1,)
            or data.shape != indices.shape
            or int(indptr[-1]) != data.shape[0]
            or (offset is None and data.shape[0] != entry["nnz"])
        ):
            raise CorruptFileError(f"co-occurrence block {str(self.folder / stem)!r} has the wrong size (truncated?).")
        if not self._verified:
            _check_csr(self.folder / stem, indices, indptr, self.shape[1])
        return sp.csr_matrix((data, indices, indptr), shape=(rows, self.shape[1]), copy=False)

    def iter_blocks(self, offset: int | None = None) -> Iterator[tuple[int, int, sp.csr_matrix]]:
        """Yield ``(start, stop, block)`` for every row block in order."""
        for b, entry in enumerate(self.entries):
            yield entry["start"], entry["stop"], self.block(b, offset)

    def verify(self) -> None:
        """Recompute every file's checksum; raise :class:`CorruptFileError` on a mismatch."""
        for name, expected in [*(self.meta.get("files") or {}).items(), *self._block_files()]:
            self._check_file(name, expected, True)
        self._verified = True

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """``C @ x`` block by block; ``x`` of shape (V,) or (V, k)."""
        x = np.asarray(x)
        out = np.empty((self.shape[0],) + x.shape[1:], dtype=np.result_type(self.dtype, x.dtype))
        for start, stop, block in self.iter_blocks():
            out[start:stop] = block @ x
        return out

    def top_pairs(self, n: int = 10) -> list[tuple[str, str, float]]:
        """The ``n`` largest entries as ``(word, context, value)``, read block by block.

        Only the upper triangle is listed for symmetric counts.
        """
        check_count(n, "top_pairs")
        best: list[tuple[float, int, int]] = []
        upper = self.settings.get("symmetric", False)
        for start, _, block in self.iter_blocks():
            coo = block.tocoo()
            rows = coo.row.astype(np.int64) + start
            keep = rows <= coo.col if upper else slice(None)
            rows, cols, vals = rows[keep], coo.col[keep], np.asarray(coo.data)[keep]
            top = np.argsort(-vals, kind="stable")[:n]
            best += [(vals[k].item(), int(rows[k]), int(cols[k])) for k in top]
        best.sort(key=lambda t: (-t[0], t[1], t[2]))
        w = self.vocab.words
        return [(w[r], w[c], v) for v, r, c in best[:n]]

    def rows(self, ids: Iterable[int], offset: int | None = None) -> sp.csr_matrix:
        """The rows ``ids`` (in that order) as CSR of shape (len(ids), V), reading only the blocks that hold them
        (of the offset's matrix C_j with ``offset``)."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.shape[0]):
            raise InvalidParameterError(f"row ids must lie in [0, {self.shape[0]}).")
        which = np.searchsorted(self.bounds, ids, side="right") - 1
        parts, order = [], []
        for b in np.unique(which):
            mine = np.flatnonzero(which == b)
            parts.append(self.block(int(b), offset)[ids[mine] - self.bounds[b]])
            order.append(mine)
        if not parts:
            return sp.csr_matrix((0, self.shape[1]), dtype=self.dtype)
        stacked = sp.vstack(parts, format="csr")
        return stacked[np.argsort(np.concatenate(order), kind="stable")]

    def subset(self, words: Iterable[str]) -> Any:
        """An in-memory :class:`~cooc.Cooccurrence` restricted to ``words`` (in that order), with its
        position-resolved matrices C_j restricted the same way."""
        words = list(words)
        ids = self.vocab.ids(words)
        missing = [w for w, i in zip(words, ids) if i < 0]
        if missing:
            raise InputDataError(f"{words_missing(missing)} not in the vocabulary: {missing[:5]}")
        counts = self.rows(ids)[:, ids]
        per = [self.rows(ids, j)[:, ids] for j in range(1, self.n_offsets + 1)] or None
        vocab = Vocabulary(words, self.vocab.counts[ids], total=self.vocab.total)
        pairs = subset_pairs(self.independent_pairs, ids)
        prov = dict(self.provenance)
        prov["derived"] = list(prov.get("derived", [])) + [f"subset({len(words)} words) of a blocked matrix"]
        return Cooccurrence(counts, vocab, self.unigram[ids], self.settings, prov, per, pairs)

    def to_memory(self) -> Any:
        """Load every block into one in-memory :class:`~cooc.Cooccurrence`."""
        counts = sp.vstack([b for _, _, b in self.iter_blocks()], format="csr")
        per = None
        if self.n_offsets:
            per = [
                sp.vstack([b for _, _, b in self.iter_blocks(j)], format="csr") for j in range(1, self.n_offsets + 1)
            ]
        return Cooccurrence(
            counts, self.vocab, self.unigram, self.settings, self.provenance, per, self.independent_pairs
        )


def _check_csr(where: Path, indices: np.ndarray, indptr: np.ndarray, n_cols: int) -> None:
    """Refuse CSR arrays that scipy would read out of bounds: integer arrays, row pointers that rise
    from 0 to the number of entries, column ids in ``0 .. n_cols - 1``.

    Raises
    ------
    CorruptFileError
        Naming the block ``where`` (its file stem) and what is wrong.
    """
    damaged = f"co-occurrence block {str(where)!r} is damaged"
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise CorruptFileError(f"{damaged}: its ids are not integers ({indices.dtype}, {indptr.dtype}).")
    if indptr[0] != 0 or np.any(indptr[1:] < indptr[:-1]):
        raise CorruptFileError(f"{damaged}: its row pointers do not rise from 0 to {indices.shape[0]}.")
    if indices.size and (indices.min() < 0 or indices.max() >= n_cols):
        raise CorruptFileError(f"{damaged}: column ids outside 0..{n_cols - 1}.")


def is_blocked(obj: Any) -> bool:
    """Whether ``obj`` is a :class:`BlockedCooccurrence`."""
    return isinstance(obj, BlockedCooccurrence)


register_layout(LAYOUT, BlockedCooccurrence.open)

__all__ = [
    "BlockedCooccurrence",
    "save_blocked",
    "save_block",
    "write_metadata",
    "check_blocked_output",
    "staged_blocked_output",
    "StagedBlocks",
    "output_base",
    "row_ranges",
    "estimated_row_nnz",
    "blocks_dir",
    "is_blocked",
    "LAYOUT",
]
