"""Where a count's time went, chunk by chunk: the ``count_profile`` of a call's stats.

On the H200 (2026-12-04) the GPU's counting kernel alone ran about 5x faster than the count
phase around it (3.9G against 0.7G tokens/s), so the phase is split here into the host's seconds
per step (reading and checking a shard, copying it into pinned memory, preparing it, the engine's
call) and the device's own seconds (CUDA events), with the feeder's bytes moved.
``benchmarks/gpu_count_check.py`` prints it beside each row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class CountProfile:
    """Where the count phase's time went, chunk by chunk, for the stats of a call (``count_profile``).

    Host seconds: ``next_chunk`` waiting for the next chunk (the feeder stages it then when it was not
    staged ahead), ``prepare`` :func:`~cooc.count.windows.prepare_chunk` (on a GPU it waits for the
    device when it drops OOV tokens), ``add`` the engine's call (on a GPU staging the next chunk while
    the kernel runs, then waiting for the kernel). On a GPU also ``device``: the seconds the device
    spent from each chunk's preparation to the end of its counting (CUDA events, read once at the end),
    and the feeder's own ``read`` (shards read and checked), ``copy`` (into pinned memory) and ``wait``
    (for buffers to come free) seconds, and the bytes it moved to the device.
    """

    def __init__(self, xp: Any = None):
        self.xp = xp
        self.seconds = {"next_chunk": 0.0, "prepare": 0.0, "add": 0.0}
        self.events: list[tuple[Any, Any]] = []
        self.chunks = 0

    def on_device(self) -> Any:
        """A context that records a pair of CUDA events around the block (nothing without a device)."""
        if self.xp is None:
            return contextlib.nullcontext()

        @contextlib.contextmanager
        def recorded() -> Iterator[None]:
            start, stop = self.xp.cuda.Event(), self.xp.cuda.Event()
            start.record()
            yield
            stop.record()
            self.events.append((start, stop))

        return recorded()

    def add(self, **seconds: float) -> None:
        self.chunks += 1
        for key, value in seconds.items():
            self.seconds[key] += value

    def finish(self, feeder: Any) -> dict[str, float]:
        """The totals, in seconds (rounded), with the device's and the feeder's when they exist."""
        out = dict(self.seconds)
        if self.events:
            self.events[-1][1].synchronize()
            out["device"] = sum(self.xp.cuda.get_elapsed_time(a, b) for a, b in self.events) / 1e3
        for key in ("read", "copy", "wait"):
            if hasattr(feeder, f"{key}_seconds"):
                out[key] = getattr(feeder, f"{key}_seconds")
        result = {k: round(v, 4) for k, v in out.items()}
        result["chunks"] = self.chunks
        if hasattr(feeder, "bytes_moved"):
            result["bytes_to_device"] = int(feeder.bytes_moved)
        return result


__all__ = ["CountProfile"]
