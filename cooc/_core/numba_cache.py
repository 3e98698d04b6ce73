"""Compiled kernels: cached once per machine in the user cache directory, waiting politely, compile time known.

numba caches a kernel compiled with ``cache=True`` beside its source file by default, which
puts files into the source tree of an editable install (or fails in a read-only one). cooc's
kernels are cached in ``<user cache>/numba`` instead, unless ``NUMBA_CACHE_DIR`` is set (then
numba's own rule applies). The first run on a machine compiles them (tens of seconds):
:func:`compile_timer` announces it once and measures it, so that throughput excludes it.

numba's OpenMP threads spin at every barrier by default. On a machine where another process
holds a core, a thread spinning for a descheduled partner burns its core: word2vec on two
threads fell to 48-63k words/s beside one busy process, against 130-214k on one thread, and
came back to 188-219k with ``OMP_WAIT_POLICY=PASSIVE`` (2-core VM, benchmarks/RESULTS.md).
cooc therefore asks for passive waiting, unless the user set the variable.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .logs import log
from .paths import user_cache_dir

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
_installed = {"done": False}


def numba_cache_dir() -> Path:
    """Where cooc's compiled kernels are cached: ``NUMBA_CACHE_DIR`` if set, else ``<user cache>/numba``."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    return user_cache_dir(create=False) / "numba"


def prepare_kernels() -> None:
    """Call before defining compiled kernels (idempotent): passive waiting for numba's OpenMP threads,
    and the cache of kernels defined in cooc's own files in :func:`numba_cache_dir` (other packages'
    kernels keep numba's default)."""
    if _installed["done"]:
        return
    _installed["done"] = True
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when numba's OpenMP layer first starts
    if not os.environ.get("NUMBA_CACHE_DIR"):
        _install_cache_locator()


def numba_available() -> bool:
    """Whether numba imports (it is a dependency; the kernels' Python paths keep working without it)."""
    prepare_kernels()  # before numba is first imported
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return True


def kernel(func: Any) -> Any:
    """``func`` compiled by numba (cached as above, releasing the GIL), or ``func`` itself without numba."""
    prepare_kernels()
    if not numba_available():  # pragma: no cover - numba is a dependency
        return func
    import numba

    return numba.njit(cache=True, nogil=True)(func)


def _install_cache_locator() -> None:
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - numba is a dependency
        return
    base = getattr(caching, "UserProvidedCacheLocator", None) or getattr(caching, "_UserProvidedCacheLocator", None)
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    if base is None or impl is None:  # pragma: no cover - an unknown numba: its default applies
        return

    class CoocCacheLocator(base):  # type: ignore[misc, valid-type]
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(str(numba_cache_dir()), self.get_suitable_cache_subpath(py_file))

        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.isfile(py_file) or not os.path.abspath(py_file).startswith(PACKAGE_ROOT):
                return None
            locator = cls(py_func, py_file)
            try:
                locator.ensure_cache_path()
            except OSError:  # not writable: numba's next locators are tried
                return None
            return locator

    impl._locator_classes.insert(0, CoocCacheLocator)


class CompileTime:
    """Seconds numba spent compiling inside a :func:`compile_timer` block (0 when everything was cached)."""

    def __init__(self) -> None:
        self.seconds = 0.0


@contextlib.contextmanager
def compile_timer(what: str) -> Iterator[CompileTime]:
    """Measure compilation in the block and say once, at its start, that ``what`` is being compiled."""
    timing = CompileTime()
    try:
        from numba.core import event
    except ImportError:  # pragma: no cover
        yield timing
        return

    class Watch(event.Listener):
        depth = 0
        started = 0.0

        def on_start(self, ev) -> None:
            if self.depth == 0:
                self.started = time.perf_counter()
                if timing.seconds == 0.0:
                    log.info("compiling %s (first run on this machine; cached in %s)", what, numba_cache_dir())
            self.depth += 1

        def on_end(self, ev) -> None:
            self.depth -= 1
            if self.depth == 0:
                timing.seconds += time.perf_counter() - self.started

    with event.install_listener("numba:compile", Watch()):
        yield timing


__all__ = ["numba_cache_dir", "prepare_kernels", "compile_timer", "CompileTime"]
