"""Devices: one meaning of ``"auto"`` for every backend, and the array module (numpy or cupy) for shared kernels.

Kernels are written once against ``xp`` (numpy or cupy). GPU use is explicit
(``device="cuda"``) or ``"auto"``; it is never silent, and arrays from different modules
are refused.

``"auto"`` means the same thing everywhere: *the GPU, when the library that will run this
work can use one here; otherwise the CPU*. Array code runs on CuPy (``backend="cupy"``:
counting, targets, eigensolvers), the trainers on torch (``backend="torch"``). When a CUDA
device is present but the backend needed for it is missing, ``"auto"`` falls back to the CPU
and says so once, with the install line that fixes it.
"""

from __future__ import annotations

import functools
import logging
import re
from types import ModuleType
from typing import Any

import numpy as np

from .errors import InvalidParameterError, MissingDependencyError

log = logging.getLogger("cooc")

DEVICES = ("cpu", "cuda", "auto")
BACKENDS = ("cupy", "torch")
CUPY_INSTALL = 'pip install "cooc[gpu]"  (or: pip install cupy-cuda12x)'
TORCH_CUDA_INSTALL = "install a CUDA build of torch (see https://pytorch.org/get-started/locally/)"


def _import_cupy() -> ModuleType | None:
    try:
        import cupy  # noqa: F401
    except Exception:  # ImportError, or a broken CUDA install
        return None
    return cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    cupy = _import_cupy()
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def torch_cuda_available() -> bool:
    """True when torch imports and sees at least one CUDA device."""
    try:
        import torch
    except Exception:
        return False
    return bool(torch.cuda.is_available())


def backend_sees_gpu(backend: str) -> bool:
    """Whether ``backend`` ("cupy" or "torch") can run on a CUDA device here."""
    return cuda_available() if backend == "cupy" else torch_cuda_available()


@functools.cache
def _warn_fallback(backend: str) -> None:
    fix = CUPY_INSTALL if backend == "cupy" else TORCH_CUDA_INSTALL
    log.warning(
        "device='auto': a CUDA device is present but %s cannot use it, so this runs on the CPU; to use the GPU: %s",
        backend,
        fix,
    )


def resolve_device(device: str, backend: str = "cupy") -> str:
    """Map ``"cpu" | "cuda" | "auto"`` to ``"cpu"`` or ``"cuda"`` for work run by ``backend``.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}, or ``"cuda:N"`` for torch
    backend : {"cupy", "torch"}
        The library that runs the work on a GPU.

    ``"auto"`` is ``"cuda"`` when ``backend`` sees a CUDA device, else ``"cpu"`` (logging a
    warning when the other library sees one). ``"cuda"`` where ``backend`` cannot run on a
    GPU raises :class:`MissingDependencyError` naming what to install.
    """
    if backend not in BACKENDS:
        raise InvalidParameterError(f"parameter 'backend' must be one of {BACKENDS}, got {backend!r}.")
    name = str(device)
    base, _, index = name.partition(":")
    if base not in DEVICES or (index and (backend != "torch" or base != "cuda" or not index.isdigit())):
        extra = " (or 'cuda:N')" if backend == "torch" else ""
        raise InvalidParameterError(f"parameter 'device' must be one of {DEVICES}{extra}, got {device!r}.")
    if base == "cpu":
        return "cpu"
    if base == "auto":
        if backend_sees_gpu(backend):
            return "cuda"
        other = "torch" if backend == "cupy" else "cupy"
        if backend_sees_gpu(other):
            _warn_fallback(backend)
        return "cpu"
    if backend == "torch":
        if not torch_cuda_available():
            raise MissingDependencyError(f"device={device!r} but torch sees no CUDA device here; {TORCH_CUDA_INSTALL}.")
        return name
    if _import_cupy() is None:
        raise MissingDependencyError(f"device='cuda' needs CuPy, which is not installed: {CUPY_INSTALL}")
    if not cuda_available():
        raise MissingDependencyError("device='cuda' but CuPy sees no CUDA device on this machine.")
    return "cuda"


def _cupy() -> ModuleType:
    """CuPy, which :func:`resolve_device` has already found."""
    cupy = _import_cupy()
    if cupy is None:
        raise MissingDependencyError(f"CuPy is not installed: {CUPY_INSTALL}")
    return cupy


def get_xp(device: str = "cpu") -> ModuleType:
    """The array module for a device: numpy on ``"cpu"``, cupy on ``"cuda"``."""
    return np if resolve_device(device) == "cpu" else _cupy()


def get_sparse(device: str = "cpu") -> ModuleType:
    """``scipy.sparse`` on CPU, ``cupyx.scipy.sparse`` on CUDA."""
    if resolve_device(device) == "cpu":
        import scipy.sparse as sp

        return sp
    import cupyx.scipy.sparse as csp

    return csp


def array_module(*arrays: Any) -> ModuleType:
    """The module of the given arrays; mixing numpy and cupy arrays raises."""
    modules = set()
    for a in arrays:
        if a is None:
            continue
        modules.add(type(a).__module__.split(".")[0])
    modules.discard("builtins")
    if len(modules) > 1:
        raise InvalidParameterError(
            f"arrays from different devices were mixed ({sorted(modules)}); move them to one device first."
        )
    if modules == {"cupy"}:
        return _cupy()
    return np


def device_of(array: Any) -> str:
    """``"cuda"`` for a cupy array, ``"cpu"`` otherwise."""
    return "cuda" if type(array).__module__.split(".")[0] == "cupy" else "cpu"


def to_numpy(array: Any) -> np.ndarray:
    """Bring an array to host memory (no copy for numpy input)."""
    if device_of(array) == "cuda":
        return array.get()
    return np.asarray(array)


_UNITS = {
    "": 1,
    "B": 1,
    "K": 10**3,
    "KB": 10**3,
    "M": 10**6,
    "MB": 10**6,
    "G": 10**9,
    "GB": 10**9,
    "T": 10**12,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def parse_memory(memory: str | int | float) -> int:
    """Parse a memory budget (``"4GB"``, ``"512MiB"``, ``2e9``) into bytes."""
    if isinstance(memory, (int, float)) and not isinstance(memory, bool):
        if memory <= 0:
            raise InvalidParameterError(f"parameter 'memory' must be positive, got {memory!r}.")
        return int(memory)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(memory))
    unit = match.group(2).upper() if match else None
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise InvalidParameterError(
            f"parameter 'memory' must be a positive size such as '4GB' or '512MiB', got {memory!r}."
        )
    return int(float(match.group(1)) * _UNITS[unit])
