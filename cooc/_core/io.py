"""Atomic writes, JSON metadata with provenance, checksums and safe array loading."""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFileError
from .version import __version__


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp's 0600 would survive the rename: follow the umask
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def current_umask() -> int:
    """The process umask (read from /proc where possible: setting it to read it races with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json_text(obj) + "\n")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, np.asarray(array), allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_save_npz(path: str | os.PathLike, compress: bool = False, **arrays: np.ndarray) -> None:
    saver = np.savez_compressed if compress else np.savez
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            payload: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
            saver(fh, **payload)
            fh.flush()
            os.fsync(fh.fileno())


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays, paths and tuples made plain JSON values.

    Strict JSON has no NaN or infinity: a missing or undefined number (NaN, inf) becomes
    ``null``, so every file cooc writes parses in any JSON reader.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def json_text(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``obj`` (see :func:`jsonable`)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)


def load_json(path: str | os.PathLike, what: str = "metadata") -> Any:
    """Read JSON, turning a missing or unreadable file into :class:`CorruptFileError`."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise CorruptFileError(f"{what} file {str(path)!r} is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptFileError(f"{what} file {str(path)!r} is not valid JSON ({exc}).") from None


def load_npy(path: str | os.PathLike, mmap: bool = False, what: str = "array") -> np.ndarray:
    """Load a ``.npy`` without pickle; any failure becomes :class:`CorruptFileError`."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise CorruptFileError(f"{what} file {str(path)!r} is missing.") from None
    except (ValueError, OSError, EOFError) as exc:
        raise CorruptFileError(f"{what} file {str(path)!r} is unreadable or truncated ({exc}).") from None


def load_npz(path: str | os.PathLike, required: tuple[str, ...] = (), what: str = "archive") -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` eagerly, checking that ``required`` keys exist."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise CorruptFileError(f"{what} file {str(path)!r} is missing.") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CorruptFileError(f"{what} file {str(path)!r} is unreadable or truncated ({exc}).") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise CorruptFileError(f"{what} file {str(path)!r} lacks arrays {missing}; it was not written by cooc.")
    return arrays


def file_checksum(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """BLAKE2b-128 digest of a file's bytes, as ``"blake2b:<hex>"``."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return "blake2b:" + h.hexdigest()


def bytes_checksum(data: bytes) -> str:
    return "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def provenance(**params: Any) -> dict[str, Any]:
    """What, when and with which cooc version something was made."""
    return {
        "cooc_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "params": params,
    }


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def human_count(n: float) -> str:
    for unit in ("", "k", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "" else f"{n:.1f}{unit}"
        n /= 1000
    return str(n)


__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_save_npy",
    "atomic_save_npz",
    "jsonable",
    "json_text",
    "load_json",
    "load_npy",
    "load_npz",
    "file_checksum",
    "bytes_checksum",
    "provenance",
    "human_bytes",
    "human_count",
]
