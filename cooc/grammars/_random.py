"""Random generators for the grammars on either device, and small integer helpers.

Rules and other model tables are always drawn on the CPU with numpy, so a model is the
same object on every device. Samples drawn on ``"cuda"`` use CuPy's generator: the same
seed gives the same distribution but not the same samples as on ``"cpu"`` (documented
wherever a sampler takes ``device``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.device import get_xp, resolve_device
from .._core.errors import InvalidParameterError

Seed = int | np.random.Generator | np.random.SeedSequence | None


def numpy_rng(seed: Seed) -> np.random.Generator:
    """A numpy Generator from an int, a SeedSequence, a Generator (returned as is) or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    allowed = seed is None or isinstance(seed, (int, np.integer, np.random.SeedSequence))
    if not allowed or isinstance(seed, bool) or (isinstance(seed, (int, np.integer)) and seed < 0):
        raise InvalidParameterError(
            f"parameter 'seed' must be a non-negative int, a numpy Generator, a SeedSequence or None, got {seed!r}."
        )
    return np.random.default_rng(seed)


def device_rng(seed: Seed, device: str) -> tuple[Any, Any]:
    """``(xp, generator)`` for ``device``: numpy's Generator on CPU, CuPy's on CUDA."""
    device = resolve_device(device)
    xp = get_xp(device)
    if device == "cpu":
        return xp, numpy_rng(seed)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63 - 1))
    return xp, xp.random.default_rng(seed)


def symbol_dtype(n_symbols: int) -> np.dtype:
    """The smallest unsigned dtype holding ids ``0 .. n_symbols`` (one spare for a padding id)."""
    if n_symbols < 2**8:
        return np.dtype(np.uint8)
    if n_symbols < 2**16:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def uniform_choices(xp: Any, rng: Any, shape: tuple[int, ...], m: int) -> Any:
    """Integers uniform in ``[0, m)`` of the given shape (exact, not float-rounded)."""
    if xp is np:
        return rng.integers(0, m, size=shape, dtype=np.uint8 if m <= 256 else np.int32)
    return rng.integers(0, m, size=shape, dtype=np.int32)


def weighted_choices(xp: Any, rng: Any, shape: tuple[int, ...], cumulative: np.ndarray) -> Any:
    """Integers in ``[0, len(cumulative))`` with probabilities given by the cumulative sums."""
    cum = xp.asarray(cumulative)
    u = rng.random(size=shape)
    out = xp.searchsorted(cum, u.ravel(), side="right").reshape(shape)
    return xp.minimum(out, cum.size - 1).astype(np.int32)


def int_power(base: int, exponent: int) -> int:
    """Exact Python-int power (no float rounding, no overflow)."""
    return int(base) ** int(exponent)


def categorical_rows(xp: Any, cumulative: Any, rows: Any, u: Any) -> Any:
    """Draw column ``k`` of row ``rows[i]`` with the probabilities whose cumulative sums are ``cumulative``.

    Parameters
    ----------
    cumulative : array of shape (R, K)
        Row-wise cumulative probabilities; the last column is treated as exactly 1.
    rows : int array of any shape
    u : float array of the same shape, uniform in [0, 1)

    Returns
    -------
    int64 array of the shape of ``rows``, entries in ``[0, K)``.
    """
    R, K = cumulative.shape
    shifted = xp.asarray(cumulative, dtype=np.float64).copy()
    shifted[:, -1] = 1.0
    # Row r occupies (r, r + 1] once shifted by r, so one sorted search serves every row.
    shifted += xp.arange(R, dtype=np.float64)[:, None]
    rows = xp.asarray(rows, dtype=np.int64)
    flat = xp.searchsorted(shifted.ravel(), rows + u, side="right")
    return xp.clip(flat - rows * K, 0, K - 1)
