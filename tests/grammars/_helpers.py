"""Statistical assertions shared by the grammar tests."""

from __future__ import annotations

import numpy as np


def assert_within_standard_errors(groups: np.ndarray, exact: np.ndarray, z: float = 6.0) -> None:
    """Each entry's mean over independent groups lies within ``z`` standard errors of ``exact``.

    ``groups`` has shape (G, ...): one estimate per independent group of samples (G >= 30
    keeps the Student-t tail at z = 6 below 1e-6 per entry). Entries whose estimates never
    vary must equal ``exact`` to rounding.
    """
    groups = np.asarray(groups, dtype=np.float64)
    mean = groups.mean(axis=0)
    se = groups.std(axis=0, ddof=1) / np.sqrt(groups.shape[0])
    gap = np.abs(mean - exact)
    bad = gap > z * se + 1e-12
    assert not bad.any(), (
        f"{bad.sum()} entries off by more than {z} standard errors; worst gap "
        f"{gap[bad].max():.3g} vs se {se[bad][np.argmax(gap[bad])]:.3g}"
    )
