"""The checks a resumed corpus build makes of its committed raw shards (:mod:`cooc.corpus.build`).

A raw shard's commit record holds the SHA-256 of each of its files, hashed from memory as they are
written; a resume reads each file once and checks it against that record.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from .._core.errors import CorruptFileError
from .._core.io import stream_checksum


class DamagedShard(Exception):
    """A committed raw shard whose files do not match its metadata (the message says how)."""


def bytes_sha256(data: bytes | memoryview) -> str:
    """The checksum :func:`~cooc._core.io.file_checksum` gives a file holding ``data``."""
    h = hashlib.sha256(data)
    return f"{h.name}:{h.hexdigest()}"


def npy_checksum(array: np.ndarray) -> str:
    """The checksum of the ``.npy`` file :func:`~cooc._core.io.atomic_save_npy` writes for a 1-D ``array``
    (its header, then its data), computed from memory."""
    array = np.asarray(array)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    h = hashlib.sha256(header.getvalue())
    h.update(np.ascontiguousarray(array).data)
    return f"{h.name}:{h.hexdigest()}"


def read_checked(path: Path, expected: str | None) -> bytes:
    """The bytes of a raw shard's file, checked against ``expected`` (None: not checked)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DamagedShard(f"{path.name} is missing") from None
    if expected is None:
        return data
    try:
        actual = (
            bytes_sha256(data) if expected.startswith("sha256:") else stream_checksum(io.BytesIO(data), like=expected)
        )
    except CorruptFileError:  # an unknown algorithm
        actual = None
    if actual != expected:
        raise DamagedShard(f"{path.name} does not match its checksum")
    return data


def npy_of(path: Path, data: bytes, dtype: str) -> np.ndarray:
    """The 1-D array of ``dtype`` that the ``.npy`` bytes ``data`` hold (a view of them, not a copy)."""
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, found = read_header(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise DamagedShard(f"{path.name} is not a valid .npy file ({exc})") from None
    if found != np.dtype(dtype) or len(shape) != 1 or fh.tell() + shape[0] * found.itemsize != len(data):
        raise DamagedShard(f"{path.name} does not hold the array its header describes")
    return np.frombuffer(data, dtype=found, count=shape[0], offset=fh.tell())


__all__ = ["DamagedShard", "bytes_sha256", "npy_checksum", "npy_of", "read_checked"]
