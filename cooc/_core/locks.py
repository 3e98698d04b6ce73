"""Advisory locks on outputs: one writer at a time, and readers that refuse what is being rewritten.

Locks are ``fcntl.flock`` locks, so the kernel releases them when the process that holds
them dies, however it dies (SIGKILL included): a crashed command never leaves a stale lock.

* A **directory** (a corpus, the folder of a blocked matrix, a checkpoint) is locked on its
  own inode: a writer holds an exclusive lock for as long as it writes, a reader a shared
  one while it reads. Writers therefore never delete and recreate a locked directory; they
  empty it (see :func:`clear_directory`), so the inode everyone locks stays the same.
* A **file output** (``<base>.npz`` + ``<base>.json``) is locked through a lock file
  ``.<base>.lock`` beside it, made by the writer and removed when it is done. Readers of such
  outputs need no lock: every file is replaced by an atomic rename, and the metadata names
  its data's checksum, so a reader sees either the old pair or the new one, never a mix.

Locks are reentrant within a process (a build that holds its corpus may open it), and a
process that holds a lock never blocks on it: a second writer is refused at once with
:class:`~cooc._core.errors.OutputBusyError`, before it has done any work.

On a filesystem where ``flock`` is not supported (some network mounts) locking is skipped
with a warning: outputs are then protected only by their checksums.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputBusyError
from .logs import log

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; outputs are then protected by their checksums only
    fcntl = None  # type: ignore[assignment]

_UNSUPPORTED = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF, errno.ENOSYS)
_registry_lock = threading.Lock()
#: (device, inode) of a locked directory, or the path of a lock file -> the lock held on it
_HELD: dict[object, Lock] = {}
_warned: set[str] = set()


def _forget_in_child() -> None:  # a forked child does not own its parent's locks
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class Lock:
    """A held lock; release it with :meth:`release` or use it as a context manager."""

    def __init__(self, key: object, fd: int | None, exclusive: bool, path: Path, lock_file: Path | None = None):
        self.key, self.fd, self.exclusive, self.path, self.lock_file = key, fd, exclusive, path, lock_file
        self.depth = 1

    def release(self) -> None:
        with _registry_lock:
            self.depth -= 1
            if self.depth > 0:
                return
            _HELD.pop(self.key, None)
        if self.fd is None:
            return
        if self.lock_file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.lock_file)
        os.close(self.fd)  # closing the last descriptor releases the flock
        self.fd = None

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unsupported(path: Path, exc: OSError) -> bool:
    if exc.errno not in _UNSUPPORTED:
        return False
    where = str(path.parent)
    if where not in _warned:
        _warned.add(where)
        log.warning(
            "cannot lock %r on this filesystem (%s); another process writing it at the same time would not be "
            "stopped (checksums still catch a mix).",
            str(path),
            os.strerror(exc.errno or 0),
        )
    return True


def _try_flock(fd: int, exclusive: bool) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        raise OSError(errno.ENOSYS, "flock is not available on this system")
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _flock_or_none(fd: int, exclusive: bool, path: Path) -> bool | None:
    """Try to lock ``fd``: True (locked), False (held elsewhere), None where the file system
    cannot lock (``fd`` is then closed, and the caller goes on unlocked, as :func:`_unsupported` says)."""
    try:
        return _try_flock(fd, exclusive)
    except OSError as exc:
        os.close(fd)
        if _unsupported(path, exc):
            return None
        raise


def _being_written(what: str, path: Path) -> OutputBusyError:
    return OutputBusyError(
        f"{what} {str(path)!r} is being written by another process; wait for it to finish "
        f"(or stop it), then run this again."
    )


def _reuse(key: object, exclusive: bool) -> Lock | None:
    """The lock this process already holds on ``key``, upgraded if a writer needs it (None: none held)."""
    held = _HELD.get(key)
    if held is None:
        return None
    if exclusive and not held.exclusive and held.fd is not None:
        if not _try_flock(held.fd, True):
            raise OutputBusyError(f"{str(held.path)!r} is being read by another process; wait for it to finish.")
        held.exclusive = True
    held.depth += 1
    return held


def lock_directory(path: str | os.PathLike, exclusive: bool = True, what: str = "output") -> Lock:
    """Lock a directory (made if missing when ``exclusive``): exclusive to write it, shared to read it.

    Raises
    ------
    OutputBusyError
        Another process writes it (or, for an exclusive lock, reads it).
    """
    path = Path(path)
    if exclusive:
        path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    with _registry_lock:
        held = _reuse(key, exclusive)
        if held is not None:
            os.close(fd)
            return held
        ok = _flock_or_none(fd, exclusive, path)
        if ok is None:
            return Lock(key, None, exclusive, path)
        if not ok:
            readers_only = exclusive and _try_flock(fd, False)
            os.close(fd)
            if readers_only:
                raise OutputBusyError(
                    f"{what} {str(path)!r} is being read by another process (a count or a training, say); "
                    f"wait for it to finish or stop it, then run this again."
                )
            raise _being_written(what, path)
        lock = Lock(key, fd, exclusive, path)
        _HELD[key] = lock
        return lock


def check_not_written(path: str | os.PathLike, what: str = "output") -> None:
    """Refuse (``OutputBusyError``) a directory that another process is writing right now."""
    lock_directory(path, exclusive=False, what=what).release()


@contextlib.contextmanager
def reading(path: str | os.PathLike, what: str = "output") -> Iterator[None]:
    """Hold a shared lock on a directory while reading it, so no writer replaces it meanwhile."""
    lock = lock_directory(path, exclusive=False, what=what)
    try:
        yield
    finally:
        lock.release()


def lock_output(base: str | os.PathLike, what: str = "output") -> Lock:
    """Exclusive lock of a file output ``<base>`` (``<base>.npz``, ``<base>.json``, ...), through a
    lock file ``.<name>.lock`` beside it that is removed on release.

    A stale lock file left by a killed process holds no lock (the kernel dropped it) and is reused.
    """
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    lock_file = base.with_name(f".{base.name}.lock")
    key = str(lock_file.resolve())
    with _registry_lock:
        held = _reuse(key, True)
        if held is not None:
            return held
        while True:
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
            ok = _flock_or_none(fd, True, lock_file)
            if ok is None:
                return Lock(key, None, True, base)
            if not ok:
                os.close(fd)
                raise _being_written(what, base)
            # The previous holder may have removed the file between our open and our lock: then we
            # hold a lock on a file nobody else will see; start again on the file now at that path.
            try:
                same = os.stat(lock_file).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        lock = Lock(key, fd, True, base, lock_file)
        _HELD[key] = lock
        return lock


def check_output_not_written(base: str | os.PathLike, what: str = "output") -> None:
    """Refuse (``OutputBusyError``) a file output ``<base>`` whose writer (see :func:`lock_output`) is at work."""
    base = Path(base)
    lock_file = base.with_name(f".{base.name}.lock")
    if str(lock_file.resolve()) in _HELD:
        return
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return
    try:
        busy = not _try_flock(fd, False)
    except OSError:
        busy = False
    finally:
        os.close(fd)
    if busy:
        raise OutputBusyError(
            f"{what} {str(base)!r} is being written by another process; wait for it to finish, then run this again."
        )


def claim_abandoned(path: str | os.PathLike) -> Lock | None:
    """The write lock of a directory nobody holds (its owner died), or None if a live process,
    this one included, holds it. For cleaning up the work folders of killed processes."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    with _registry_lock:
        try:
            if key in _HELD or not _try_flock(fd, True):
                os.close(fd)
                return None
        except OSError:
            os.close(fd)
            return None
        lock = Lock(key, fd, True, path)
        _HELD[key] = lock
        return lock


def clear_directory(path: str | os.PathLike, keep: tuple[str, ...] = ()) -> None:
    """Delete everything inside ``path`` except the names in ``keep``; the directory itself stays
    (its inode carries the lock)."""
    path = Path(path)
    for child in path.iterdir():
        if child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


__all__ = [
    "Lock",
    "lock_directory",
    "check_not_written",
    "reading",
    "lock_output",
    "check_output_not_written",
    "claim_abandoned",
    "clear_directory",
]
