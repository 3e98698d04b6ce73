"""Torch helpers shared by the trainers: device choice, per-task random generators, precision.

Devices resolve through :func:`cooc._core.device.resolve_device` with ``backend="torch"``, so
``"auto"`` means what it means everywhere: the GPU when torch can use one here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from .._core.device import resolve_device


def torch_device(device: str):
    """Map ``"cpu" | "cuda" | "auto"`` (or ``"cuda:N"``) to a ``torch.device`` (see :func:`resolve_device`)."""
    import torch

    return torch.device(resolve_device(device, backend="torch"))


def task_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed derived from ``seed`` and integer keys (epoch, chunk, ...).

    Deriving the generator of each unit of work from its position, instead of carrying one
    generator through the run, is what lets an interrupted run resume bitwise.
    """
    state = np.random.SeedSequence([int(seed) % 2**63, *(int(k) % 2**64 for k in keys)]).generate_state(
        2, dtype=np.uint32
    )
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
