"""Torch helpers shared by the trainers: device choice, per-task random generators, precision.

The array code of :mod:`cooc._core.device` selects numpy or CuPy; the trainers use torch, whose
CUDA support does not depend on CuPy, so they resolve devices here with the same words
(``"cpu" | "cuda" | "auto"``) and the same rule: GPU use is explicit or ``"auto"``, never silent.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np

from .._core.device import DEVICES
from .._core.errors import InvalidParameterError, MissingDependencyError

TORCH_CUDA_INSTALL = "install a CUDA build of torch (see https://pytorch.org/get-started/locally/)"


def torch_device(device: str):
    """Map ``"cpu" | "cuda" | "auto"`` (or ``"cuda:N"``) to a ``torch.device``.

    ``"cuda"`` on a machine where torch sees no GPU raises :class:`MissingDependencyError`.
    """
    import torch
    name = str(device)
    base = name.split(":", 1)[0]
    if base not in DEVICES or (base != "cuda" and ":" in name):
        raise InvalidParameterError(f"parameter 'device' must be one of {DEVICES} (or 'cuda:N'), got {device!r}.")
    if base == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise MissingDependencyError(f"device={device!r} but torch sees no CUDA device here; {TORCH_CUDA_INSTALL}.")
    return torch.device(name)


def task_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed derived from ``seed`` and integer keys (epoch, chunk, ...).

    Deriving the generator of each unit of work from its position, instead of carrying one
    generator through the run, is what lets an interrupted run resume bitwise.
    """
    state = np.random.SeedSequence([int(seed) % 2**63, *(int(k) % 2**64 for k in keys)]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


def generator(device, seed: int, *keys: int):
    """A ``torch.Generator`` on ``device`` seeded by :func:`task_seed`."""
    import torch
    gen = torch.Generator(device=device)
    gen.manual_seed(task_seed(seed, *keys))
    return gen


@contextlib.contextmanager
def autocast(device, enabled: bool) -> Iterator[None]:
    """bfloat16 autocast on CUDA when ``enabled``; a no-op on CPU (tests stay in float32)."""
    import torch
    if enabled and torch.device(device).type == "cuda":
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


def synchronize(device) -> None:
    """Wait for queued GPU work (before reading a clock)."""
    import torch
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
