"""The on-disk format shared by the in-memory and the blocked co-occurrence matrices.

A co-occurrence file is ``<base>.json`` (metadata with ``"format": FORMAT``) beside either
``<base>.npz`` (one CSR matrix, the in-memory layout) or ``<base>.blocks/`` (CSR row blocks,
``"layout": "blocked"``). Each layout's class registers how it opens itself, so
:meth:`cooc.Cooccurrence.load` opens any layout without knowing the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import CorruptFileError, InputDataError, InvalidParameterError
from .._core.io import atomic_path, load_json
from .._core.kinds import COOCCURRENCE_FORMAT, expect_kind

FORMAT = COOCCURRENCE_FORMAT


def file_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(<base>.npz, <base>.json)`` for a co-occurrence path given as ``<base>``, ``<base>.npz`` or ``<base>.json``."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix in (".npz", ".json") else path
    return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")


def normalised_marginals(unigram: np.ndarray, row_sums: Any, marginals: str = "global") -> np.ndarray:
    """P_i over the V words: global unigram counts, or ``row_sums()`` of the block, normalised to sum 1."""
    if marginals == "global":
        u = np.asarray(unigram, dtype=np.float64)
    elif marginals == "block":
        u = np.asarray(row_sums(), dtype=np.float64)
    else:
        raise InvalidParameterError(f"parameter 'marginals' must be 'global' or 'block', got {marginals!r}.")
    s = u.sum()
    if s <= 0:
        raise InputDataError("the unigram marginals are all zero; nothing was counted.")
    return u / s


def blocks_dir(path: str | os.PathLike) -> Path:
    """The block folder of the co-occurrence file ``path`` (``<base>.blocks``)."""
    meta = file_paths(path)[1]
    return meta.with_name(meta.name[: -len(".json")] + ".blocks")


def read_metadata(path: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    """The metadata file of ``path`` and its contents, checked to be a cooc co-occurrence file."""
    expect_kind(path, "cooccurrence")
    meta_path = file_paths(path)[1]
    meta = load_json(meta_path, "co-occurrence metadata")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CorruptFileError(f"{str(meta_path)!r} is not a cooc co-occurrence file.")
    return meta_path, meta


def subset_pairs(pairs: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The independent pairs among the words ``ids``, renumbered to positions in ``ids``; shape (n, 2)."""
    if not len(pairs):
        return np.zeros((0, 2), dtype=np.int64)
    keep = np.isin(pairs, ids).all(axis=1)
    remap = {int(i): k for k, i in enumerate(ids)}
    return np.array([[remap[a], remap[b]] for a, b in pairs[keep]], dtype=np.int64).reshape(-1, 2)


#: GloVe's record: int32 word, int32 context (1-based), float64 value.
GLOVE_RECORD = np.dtype([("word", "<i4"), ("context", "<i4"), ("value", "<f8")])


def write_glove(counts: sp.csr_matrix, path: str | os.PathLike) -> None:
    """GloVe's binary co-occurrence records of ``counts``, row-major (as ``cooccur`` writes them)."""
    coo = sp.csr_matrix(counts).tocoo()
    records = np.empty(coo.nnz, dtype=GLOVE_RECORD)
    records["word"], records["context"], records["value"] = coo.row + 1, coo.col + 1, coo.data
    with atomic_path(path) as tmp:
        records.tofile(tmp)


def read_glove(path: str | os.PathLike, size: int) -> sp.csr_matrix:
    """Sum GloVe's binary records into a (size, size) CSR matrix; ids outside 1..size are refused."""
    nbytes = os.path.getsize(path)
    if nbytes % GLOVE_RECORD.itemsize:
        raise CorruptFileError(
            f"{str(path)!r} is not a GloVe co-occurrence file (size {nbytes} is not a multiple of 16)."
        )
    records = np.fromfile(path, dtype=GLOVE_RECORD)
    w, c = records["word"].astype(np.int64) - 1, records["context"].astype(np.int64) - 1
    if records.size and (w.min() < 0 or c.min() < 0 or w.max() >= size or c.max() >= size):
        raise CorruptFileError(f"{str(path)!r} has word ids outside 1..{size}; wrong vocabulary?")
    return sp.csr_matrix((records["value"], (w, c)), shape=(size, size))


#: layout name -> function opening the metadata path of a file in that layout
_OPENERS: dict[str, Callable[[Path], Any]] = {}


def register_layout(name: str, opener: Callable[[Path], Any]) -> None:
    """Declare how files of layout ``name`` open (called once by each layout's module)."""
    _OPENERS[name] = opener


def open_layout(name: str, meta_path: Path, **options: Any) -> Any:
    """Open a co-occurrence file of a registered layout other than the in-memory one."""
    if name not in _OPENERS:
        raise CorruptFileError(f"{str(meta_path)!r} has an unknown layout {name!r} (known: {sorted(_OPENERS)}).")
    return _OPENERS[name](meta_path, **options)


__all__ = [
    "FORMAT",
    "file_paths",
    "normalised_marginals",
    "blocks_dir",
    "read_metadata",
    "subset_pairs",
    "register_layout",
    "open_layout",
]
