"""A lock held by another process while a test runs: the child holds it until the block ends."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def held_by_another_process(lock: Callable[[], Any]) -> Iterator[None]:
    """Enter ``lock()`` (a context manager) in a forked child and keep it held while the block runs."""
    ctx = mp.get_context("fork")
    holding, release = ctx.Event(), ctx.Event()

    def hold() -> None:
        with lock():
            holding.set()
            release.wait(30)

    child = ctx.Process(target=hold)
    child.start()
    try:
        assert holding.wait(30)
        yield
    finally:
        release.set()
        child.join(30)
