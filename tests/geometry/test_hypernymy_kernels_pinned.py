"""Pins for cooc.geometry.kernels and cooc.geometry.hypernymy left open by mutation testing, each checked against an
independent computation.

kernels: an exponential fit tries starting points at 0.1, 0.3, 1 and 3 x the median positive distance and keeps the
best, so it reaches the best optimum when only the smallest or only the largest start leads there, at any unit of
distance, however far a few distances lie from the median and whatever the level of the values; a circular fit's
starts reach down to 0.025 x the period; a start whose fit fails is skipped, not the end of the search.
hypernymy: g(k) with ``degenerate="best"`` inside a degenerate block a < k < b completes V_a by the k - a directions
of the block best aligned with U_k.
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc.geometry import kernels
from cooc.geometry.hypernymy import alignment_curve
from cooc.geometry.kernels import fit_circular_kernel, fit_exponential_kernel

from .test_geometry_gaps_pinned import _best_of_profile

# -- kernels ------------------------------------------------------------------------------------------
# Two exponentials fitted by one: the one-exponential fit has a local optimum near each scale.
TWO_SCALES = {
    # only the start at 0.1 x the median distance reaches the better optimum (the short scale)
    "short": (np.concatenate([np.linspace(0.02, 1.5, 5), np.linspace(4, 160, 23)]), (0.2, -0.225, 11.5, 0.0)),
    # only the start at 3 x the median distance reaches the better optimum (with an offset)
    "long": (np.concatenate([np.linspace(0.02, 0.38, 9), np.linspace(3.3, 83, 5)]), (0.235, -0.84, 2.9, 0.0)),
    # the same without an offset
    "long, no offset": (
        np.concatenate([np.linspace(0.02, 0.94, 18), np.linspace(4.1, 148, 18)]),
        (0.17, 0.72, 37.7, 0.0),
    ),
    # a few far distances: their mean is far above the median, and starts around the mean miss the short scale
    "skewed": (np.concatenate([np.linspace(0.02, 1.0, 10), np.geomspace(3.0, 1300.0, 3)]), (0.5, -0.72, 3.6, 0.0)),
    # a level far from zero: the start of the offset (the smallest value) matters
    "raised": (
        np.array([0.3, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5, 1.7, 2.0, 63.9, 136.7, 160.4, 235.3]),
        (0.6, -0.45, 1.9, 2.0),
    ),
}


@pytest.mark.parametrize(
    ("case", "offset", "unit"),
    [
        ("short", True, 1.0),
        ("short", False, 1.0),
        ("short", True, 1000.0),
        ("long", True, 1.0),
        ("long", True, 1000.0),
        ("long, no offset", False, 1.0),
        ("long, no offset", False, 1000.0),
        ("skewed", True, 1.0),
        ("raised", True, 1.0),
    ],
)
def test_a_kernel_fit_reaches_the_optimum_that_only_its_smallest_or_largest_start_finds(case, offset, unit):
    x, (s1, a2, s2, level) = TWO_SCALES[case]
    x = x * unit  # the starts follow the median distance, so the unit of distance changes nothing
    y = np.exp(-x / (s1 * unit)) + a2 * np.exp(-x / (s2 * unit)) + level
    fit = fit_exponential_kernel(x, y, offset=offset)
    best = _best_of_profile(x, y, offset)
    assert fit.r2 == pytest.approx(best, abs=1e-4)  # the other optimum is at least 0.03 lower
    model = fit.params["amp"] * np.exp(-x / fit.params["sigma"]) + fit.params.get("offset", 0.0)
    assert 1 - np.sum((y - model) ** 2) / np.sum((y - y.mean()) ** 2) == pytest.approx(fit.r2, abs=1e-12)


def _images(x, sigma, period, n_images=2):
    """sum_{n=-N..N} exp(-|x - P n| / sigma), written out term by term."""
    total = np.zeros_like(x)
    for n in range(-n_images, n_images + 1):
        total += np.exp(-np.abs(x - period * n) / sigma)
    return total


@pytest.mark.parametrize(
    ("period", "positions", "short", "amp_long", "long", "offset"),
    [
        (48.0, 13, 0.2, -0.45, 56.0, True),
        (24.0, 24, 0.08, -0.09, 5.6, False),
        # here the start of the offset matters as well: the block's smallest entry, not 0
        (40.0, (0, 1, 9, 12, 15, 19, 20, 21, 23, 25, 26, 29, 31, 34, 35, 39), 0.57, 0.63, 54.0, True),
    ],
)
def test_a_circular_fit_reaches_the_optimum_that_only_its_own_starts_find(
    period, positions, short, amp_long, long, offset
):
    """Words at scattered places on the circle (m at random, or given), a block of two circular kernels: the better
    one-kernel optimum is the short scale, reached only from starting decay lengths far below the period."""
    if isinstance(positions, int):
        pos = np.sort(np.random.default_rng(0).uniform(0, period, positions))
    else:
        pos = np.asarray(positions, dtype=np.float64)
    m = len(pos)
    d = pos[:, None] - pos[None, :]
    block = _images(d, short, period) + amp_long * _images(d, long, period)
    fit = fit_circular_kernel(block, pos, period, n_images=2, offset=offset)
    i, j = np.triu_indices(m, k=1)
    x, y = d[i, j], block[i, j]
    sst = np.sum((y - y.mean()) ** 2)
    best = -np.inf
    for sigma in period * np.logspace(-5, 3, 2001):
        e = _images(x, sigma, period)
        A = np.column_stack([e, np.ones_like(e)]) if offset else e[:, None]
        coef = np.linalg.lstsq(A, y, rcond=None)[0]
        best = max(best, 1 - np.sum((y - A @ coef) ** 2) / sst)
    assert fit.r2 == pytest.approx(best, abs=1e-3)  # the other optimum is far lower


@pytest.mark.parametrize("offset", [True, False])
def test_a_start_whose_fit_fails_is_skipped(monkeypatch, offset):
    """The first start's curve fit fails (as it does when it runs out of evaluations); the other starts still fit."""
    real = kernels.optimize.curve_fit
    calls = []

    def first_fails(*args, **kwargs):
        calls.append(kwargs["p0"])
        if len(calls) == 1:
            raise RuntimeError("Optimal parameters not found: the number of calls to function has reached maxfev")
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels.optimize, "curve_fit", first_fails)
    x = np.linspace(0.5, 20.0, 40)
    amp, sigma, c = 1.7, 4.0, (0.3 if offset else 0.0)
    fit = fit_exponential_kernel(x, amp * np.exp(-x / sigma) + c, offset=offset)
    assert len(calls) > 1  # the search went on after the failure
    assert fit.params["amp"] == pytest.approx(amp, rel=1e-6) and fit.params["sigma"] == pytest.approx(sigma, rel=1e-6)
    assert fit.params.get("offset", 0.0) == pytest.approx(c, abs=1e-6) and fit.r2 == pytest.approx(1.0, abs=1e-10)


# -- hypernymy ----------------------------------------------------------------------------------------
def test_best_alignment_inside_a_degenerate_block_completes_with_the_best_aligned_directions():
    """Kernel eigenvalues 3, 1, 1, 1, 0.5: V_1 is fixed, V_2..V_4 span one eigenspace (a = 1, b = 4). For k = 2, 3 the
    best completion is the span of the top k - 1 right singular vectors of U_k^T V_(1:4) (Ky Fan), so
    g(k) = (||U_k^T V_1||^2 + sum of the top k - 1 squared singular values) / k."""
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    kernel = Q @ np.diag([3.0, 1.0, 1.0, 1.0, 0.5]) @ Q.T
    R, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    gram = R @ np.diag([5.0, 4.0, 3.0, 2.0, 1.0]) @ R.T
    V1, Vb = Q[:, :1], Q[:, 1:4]
    expected = []
    for k in range(1, 6):
        Uk = R[:, :k]
        if k in (2, 3):
            _, sv, Wt = np.linalg.svd(Uk.T @ Vb)
            W = Vb @ Wt[: k - 1].T  # the maximiser, built explicitly
            captured = np.sum((Uk.T @ V1) ** 2) + np.sum((Uk.T @ W) ** 2)
            assert captured == pytest.approx(np.sum((Uk.T @ V1) ** 2) + np.sum(sv[: k - 1] ** 2), rel=1e-12)
            for _ in range(200):  # no other orthonormal completion inside the block captures more
                Z = Vb @ np.linalg.qr(rng.normal(size=(3, k - 1)))[0]
                assert np.sum((Uk.T @ V1) ** 2) + np.sum((Uk.T @ Z) ** 2) <= captured + 1e-12
        else:
            captured = np.sum((Uk.T @ Q[:, :k]) ** 2)
        expected.append(captured / k)
    assert alignment_curve(gram, kernel, degenerate="best") == pytest.approx(expected, rel=1e-10)
