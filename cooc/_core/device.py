"""Device selection and the array module (numpy or cupy) for shared kernels.

Kernels are written once against ``xp`` (numpy or cupy). GPU use is explicit
(``device="cuda"``) or ``"auto"`` (cuda when CuPy and a device are present); it is
never silent, and arrays from different modules are refused.
"""
from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import numpy as np

from .errors import InvalidParameterError, MissingDependencyError

DEVICES = ("cpu", "cuda", "auto")
CUPY_INSTALL = 'pip install "cooc[gpu]"  (or: pip install cupy-cuda12x)'


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


def resolve_device(device: str) -> str:
    """Map ``"cpu" | "cuda" | "auto"`` to ``"cpu"`` or ``"cuda"``.

    ``"cuda"`` without CuPy raises :class:`MissingDependencyError` naming the pip line.
    """
    if device not in DEVICES:
        raise InvalidParameterError(f"parameter 'device' must be one of {DEVICES}, got {device!r}.")
    if device == "cpu":
        return "cpu"
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if _import_cupy() is None:
        raise MissingDependencyError(f"device='cuda' needs CuPy, which is not installed: {CUPY_INSTALL}")
    if not cuda_available():
        raise MissingDependencyError("device='cuda' but CuPy sees no CUDA device on this machine.")
    return "cuda"


def get_xp(device: str = "cpu") -> ModuleType:
    """The array module for a device: numpy on ``"cpu"``, cupy on ``"cuda"``."""
    return np if resolve_device(device) == "cpu" else _import_cupy()


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
            f"arrays from different devices were mixed ({sorted(modules)}); move them to one device first.")
    if modules == {"cupy"}:
        return _import_cupy()
    return np


def device_of(array: Any) -> str:
    """``"cuda"`` for a cupy array, ``"cpu"`` otherwise."""
    return "cuda" if type(array).__module__.split(".")[0] == "cupy" else "cpu"


def to_numpy(array: Any) -> np.ndarray:
    """Bring an array to host memory (no copy for numpy input)."""
    if device_of(array) == "cuda":
        return array.get()
    return np.asarray(array)


_UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "M": 10**6, "MB": 10**6, "G": 10**9, "GB": 10**9,
          "T": 10**12, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


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
            f"parameter 'memory' must be a positive size such as '4GB' or '512MiB', got {memory!r}.")
    return int(float(match.group(1)) * _UNITS[unit])
