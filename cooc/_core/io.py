"""Atomic writes, JSON metadata with provenance, checksums and safe array loading."""

from __future__ import annotations

import codecs
import contextlib
import datetime as _dt
import errno
import glob
import hashlib
import json
import math
import os
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFileError, InputDataError
from .faults import fault_point
from .version import __version__


def as_disk_full(exc: OSError, path: str | os.PathLike) -> OSError:
    """``exc`` as an ENOSPC error naming ``path`` when it is a short write on a full filesystem.

    numpy reports a short write as ``OSError("N requested and M written")`` without an errno;
    when the filesystem is indeed full, say so (the command line then prints one clear line).
    """
    if exc.errno is not None or "requested and" not in str(exc):
        return exc
    try:
        st = os.statvfs(Path(path).parent)
        full = st.f_bavail * st.f_frsize < (1 << 20)
    except OSError:
        full = False
    if not full:
        return exc
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, make_parent: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Without ``make_parent`` a missing folder is an error (FileNotFoundError) instead of being made: a
    writer whose folder was taken away (a staging folder discarded by a stopped job) cannot bring it back.
    """
    path = Path(path)
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp's 0600 would survive the rename: follow the umask
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        converted = as_disk_full(exc, path)
        if converted is exc:
            raise
        raise converted from None
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


def read_utf8(path: Any, what: str, encoding: str = "utf-8") -> str:
    """The text of the file ``path`` (``what`` names it in the error), refused as InputDataError when it is not
    UTF-8: the codec's own message does not say which file it read.

    ``path`` is a filesystem path or a Traversable (``importlib.resources`` gives a ``zipfile.Path`` when cooc
    is imported from a zip), read through its own ``read_bytes``."""
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as fh:
            data = fh.read()
    else:
        data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        # utf-8-sig counts exc.start from after the byte-order mark it has skipped
        skipped = len(codecs.BOM_UTF8) if _skips_bom(encoding) and data.startswith(codecs.BOM_UTF8) else 0
        start = exc.start + skipped
        line = data.count(b"\n", 0, start) + 1
        raise InputDataError(
            f"{what} {str(path)!r} is not UTF-8 text (byte 0x{data[start]:02x} on line {line}); save it as UTF-8."
        ) from None


def _skips_bom(encoding: str) -> bool:
    return codecs.lookup(encoding).name == "utf-8-sig"


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json_text(obj) + "\n")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray, make_parent: bool = True) -> None:
    with atomic_path(path, make_parent) as tmp:
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


def nonfinite_rows(array: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Indices of the rows of a 2-D ``array`` holding NaN or an infinity, checked ``block`` rows at a time
    (the boolean mask of a whole 3M x 300 embedding would take 900 MB)."""
    found = [
        lo + np.flatnonzero(~np.isfinite(array[lo : lo + block]).all(axis=1)) for lo in range(0, len(array), block)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def jsonable(obj: Any, nonfinite: Callable[[float], Any] | None = None) -> Any:
    """``obj`` with numpy scalars and arrays, paths and tuples made plain JSON values.

    Strict JSON has no NaN or infinity: a missing or undefined number (NaN, inf) becomes
    ``null``, so every file cooc writes parses in any JSON reader; ``nonfinite`` (a function of
    the number) gives another JSON value for it instead (the run ledger's tagged numbers).
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v, nonfinite) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if _plain_values(obj):  # word lists and counts: tens of thousands of items, already JSON values
            return list(obj)
        return [jsonable(v, nonfinite) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), nonfinite)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if math.isfinite(value):
            return value
        return None if nonfinite is None else nonfinite(value)
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def _plain_values(items: list | tuple) -> bool:
    """Whether every item is exactly a ``str`` or exactly an ``int`` (not a bool, subclass or numpy scalar):
    such a list is its own JSON value, and :func:`jsonable` need not visit the items one call at a time."""
    return all(type(v) is str for v in items) or all(type(v) is int for v in items)


#: lists of more scalars than this are written on one line by an indented :func:`json_text`
ONE_LINE_LIST = 16


def json_text(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``obj`` (see :func:`jsonable`).

    Indented as ``json.dumps(..., indent=indent)`` would, except that a list of more than
    :data:`ONE_LINE_LIST` scalars (a word list, counts, a curve) stays on one line: the
    standard library indents with its pure-Python encoder, which took about 50 ms for the
    36k-word lists of one count's metadata; each one-line list is written by its C encoder.
    """
    value = jsonable(obj)
    if indent is None:
        return json.dumps(value, allow_nan=False)
    return _indented(value, " " * indent, "")


def _indented(value: Any, step: str, pad: str) -> str:
    if isinstance(value, dict) and value:
        inner = pad + step
        items = (f"{inner}{json.dumps(k)}: {_indented(v, step, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not _long_scalar_list(value):
        inner = pad + step
        return "[\n" + ",\n".join(inner + _indented(v, step, inner) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _long_scalar_list(items: list) -> bool:
    return len(items) > ONE_LINE_LIST and set(map(type, items)) <= _SCALARS


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


def file_stamp_of(fh: Any) -> tuple[int, int, int]:
    """(inode, size, mtime in ns) of an open file: what tells a file apart from one written since."""
    st = os.fstat(fh.fileno())
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_unchanged(
    full: Path, expected: tuple[int, int, int] | None, mmap: bool, *, missing: str, rewritten: str, unreadable: str
) -> np.ndarray:
    """The ``.npy`` array in ``full``, checked to be the file whose stamp was ``expected`` when it was opened.

    Raises
    ------
    CorruptFileError
        With ``missing`` (no such file), ``rewritten`` (another file now has the path) or
        ``unreadable`` followed by the reason (not a valid ``.npy``).
    """
    try:
        fh = open(full, "rb")
    except FileNotFoundError:
        raise CorruptFileError(missing) from None
    with fh:
        if expected is not None and expected != file_stamp_of(fh):
            raise CorruptFileError(rewritten)
        try:
            return read_npy(fh, mmap)
        except (ValueError, OSError, EOFError) as exc:
            raise CorruptFileError(f"{unreadable} ({exc}).") from None


def read_npy(fh: Any, mmap: bool = False) -> np.ndarray:
    """An ``.npy`` array from an open binary file (memory-mapped read-only with ``mmap``), without pickle.

    Reading through the open file (not its path) guarantees the array comes from that very file.

    Raises
    ------
    ValueError, OSError, EOFError
        The file is not a valid ``.npy`` (callers turn these into :class:`CorruptFileError`).
    """
    fh.seek(0)
    if not mmap:
        return np.load(fh, allow_pickle=False)
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    if dtype.hasobject:
        raise ValueError("the array holds Python objects")
    offset = fh.tell()
    needed = offset + int(np.prod(shape)) * dtype.itemsize
    if os.fstat(fh.fileno()).st_size < needed:
        raise EOFError("the file is shorter than its header says")
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(fh, dtype=dtype, mode="r", offset=offset, shape=tuple(shape), order="F" if fortran else "C")


def load_npz(
    path: str | os.PathLike | Any, required: tuple[str, ...] = (), what: str = "archive"
) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` (a path, or an open binary file) eagerly, checking that
    ``required`` keys exist."""
    name = str(getattr(path, "name", path))
    if hasattr(path, "seek"):
        path.seek(0)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise CorruptFileError(f"{what} file {name!r} is missing.") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CorruptFileError(f"{what} file {name!r} is unreadable or truncated ({exc}).") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise CorruptFileError(f"{what} file {name!r} lacks arrays {missing}; it was not written by cooc.")
    return arrays


FILE_CHECKSUM = "sha256"  # new data files; "blake2b" (BLAKE2b-128) files written before still verify


def _hasher(like: str | None) -> Any:
    """A fresh hash of the algorithm named by the stored checksum ``like`` (``"algo:hex"``), else the default.

    SHA-256 is the default for data files: with the CPU's SHA instructions it hashes 5x faster
    than hashlib's BLAKE2b (1.3 GB/s against 0.24 on the dev VM), and every verified load reads
    the whole file. Checksums written as BLAKE2b-128 are recomputed as BLAKE2b-128.
    """
    algo = like.split(":", 1)[0] if isinstance(like, str) and ":" in like else FILE_CHECKSUM
    if algo == "blake2b":
        return hashlib.blake2b(digest_size=16)
    if algo == "sha256":
        return hashlib.sha256()
    raise CorruptFileError(f"unknown checksum algorithm {algo!r} in {like!r}.")


def file_checksum(path: str | os.PathLike, chunk: int = 1 << 22, like: str | None = None) -> str:
    """Digest of a file's bytes as ``"sha256:<hex>"``, or with the algorithm of the stored checksum ``like``."""
    with open(path, "rb") as fh:
        return stream_checksum(fh, chunk, like)


def bytes_checksum(data: bytes) -> str:
    """BLAKE2b-128 of small data (manifests, word lists): a corpus's identity keeps its algorithm."""
    return "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def stream_checksum(fh: Any, chunk: int = 1 << 22, like: str | None = None) -> str:
    """Checksum (as :func:`file_checksum`) of an open binary file from its start; leaves it at its start."""
    h = _hasher(like)
    fh.seek(0)
    while True:
        block = fh.read(chunk)
        if not block:
            break
        h.update(block)
    fh.seek(0)
    return f"{h.name}:{h.hexdigest()}"


def words_checksum(words: list[str]) -> str:
    """Checksum of a word list (in order): ties a file's word labels to its arrays."""
    return bytes_checksum("\n".join(words).encode("utf-8"))


def file_stamp(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(inode, size, mtime_ns)`` of a file: a file replaced by a rename gets a new one."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def open_checked(path: str | os.PathLike, expected: str | None, what: str, verify: bool = True) -> Any:
    """Open ``path`` for reading after checking its bytes against the checksum ``expected``.

    The checksum is computed from the very file object returned, so a file replaced after the
    check cannot slip through. ``expected`` None (a file from before checksums) or ``verify``
    False skips the check (one read of the file saved).

    Raises
    ------
    CorruptFileError
        The file is missing or its bytes do not match.
    """
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise CorruptFileError(f"{what} file {str(path)!r} is missing.") from None
    if verify and expected is not None and stream_checksum(fh, like=expected) != expected:
        fh.close()
        raise CorruptFileError(
            f"{what} file {str(path)!r} does not match the checksum in its metadata "
            f"(truncated, edited, or left half-replaced by an interrupted overwrite)."
        )
    return fh


def meta_checksum(meta: dict[str, Any], like: str | None = None) -> str:
    """Checksum of a metadata file's content: its strict JSON (:func:`jsonable`) with sorted keys and
    no spaces, without the ``"checksums"`` entry that stores it. It follows the content, not the
    file's layout: the same metadata reindented or with its keys reordered has the same checksum."""
    body = jsonable({k: v for k, v in meta.items() if k != "checksums"})
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    h = _hasher(like)
    h.update(text.encode("utf-8", "surrogatepass"))
    return f"{h.name}:{h.hexdigest()}"


def check_metadata(meta: dict[str, Any], path: str | os.PathLike, what: str) -> None:
    """Check the content of the metadata ``meta`` read from ``path`` against the checksum it stores
    (``meta["checksums"]["meta"]``, see :func:`meta_checksum`); metadata written before that
    checksum (none stored) passes.

    Raises
    ------
    CorruptFileError
        Naming ``path``: a setting, count or word was edited or damaged.
    """
    sums = meta.get("checksums")
    expected = sums.get("meta") if isinstance(sums, dict) else None
    if expected is not None and meta_checksum(meta, like=str(expected)) != expected:
        raise CorruptFileError(
            f"{what} metadata file {str(path)!r} does not match the checksum of its content (edited or damaged)."
        )


#: npz member naming the write that made a data file; its metadata names the same (see :func:`save_pair`)
PAIR_KEY = "pair_id"


def save_pair(npz: Path, meta_path: Path, arrays: dict[str, Any], meta: dict[str, Any], words: list[str]) -> None:
    """Write ``npz`` (the arrays) and then ``meta_path`` (JSON), committed as one unit.

    The data goes first; the metadata, written last by an atomic rename, is the commit point:
    it names the data's checksum, the checksum of its word list, a random id that the data
    carries too, and the checksum of its own content (:func:`meta_checksum`, checked on load by
    :func:`check_metadata`). A crash between the two renames leaves new data under old metadata, which
    :func:`check_pair` refuses (at once from the id, without reading the data), never loads.
    Leftover temporary files of a killed writer of the same output are removed first.
    """
    remove_stale_temps(npz)
    remove_stale_temps(meta_path)
    pair = uuid.uuid4().bytes
    payload = {**arrays, PAIR_KEY: np.frombuffer(pair, dtype=np.uint8)}
    atomic_save_npz(npz, False, **payload)
    fault_point("pair.between")
    checksums = {
        "data": file_checksum(npz),
        "words": words_checksum(words),
        "pair": pair.hex(),
        "meta": meta_checksum(meta),
    }
    atomic_write_json(meta_path, {**meta, "checksums": checksums})


def check_pair(meta: dict[str, Any], pair: np.ndarray | None, words: list[str], where: str) -> None:
    """Check that data whose ``pair_id`` array is ``pair`` belongs to ``meta`` and that the word list
    matches its checksum; files from before checksums (no ``"checksums"``) pass.

    Raises
    ------
    CorruptFileError
    """
    sums = meta.get("checksums")
    if not isinstance(sums, dict):
        return
    if pair is None or bytes(np.asarray(pair, dtype=np.uint8)).hex() != sums.get("pair"):
        raise CorruptFileError(
            f"{where}: the data file and its metadata come from different writes (an overwrite was "
            f"interrupted between the two); write it again."
        )
    if sums.get("words") != words_checksum(words):
        raise CorruptFileError(f"{where}: the word list in the metadata does not match its checksum (edited?).")


def remove_stale_temps(path: str | os.PathLike) -> None:
    """Remove temporary files of :func:`atomic_path` for ``path`` left by a killed writer.

    Call it only while holding the output's lock: no live writer then owns such a file.
    """
    path = Path(path)
    if path.parent.is_dir():
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()


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
    "as_disk_full",
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
    "read_npy",
    "file_checksum",
    "bytes_checksum",
    "stream_checksum",
    "words_checksum",
    "file_stamp",
    "open_checked",
    "PAIR_KEY",
    "save_pair",
    "check_pair",
    "meta_checksum",
    "check_metadata",
    "remove_stale_temps",
    "provenance",
    "human_bytes",
    "human_count",
]
