"""Large zeroed arrays kept out of transparent huge pages (cooc._core.memory)."""

from __future__ import annotations

import mmap
import sys

import numpy as np
import pytest

from cooc._core.memory import SMALL_PAGE_MIN_BYTES, zeros_small_pages

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_NOHUGEPAGE"), reason="needs Linux's madvise"
)


def mapping_of(array: np.ndarray) -> tuple[str, list[str]]:
    """The permissions and the VmFlags of the mapping in /proc/self/smaps that holds ``array``'s data."""
    address = array.ctypes.data
    perms, found = "", None
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if "-" in head[0] and len(head) >= 2 and len(head[1]) == 4:  # a new mapping's first line
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                perms, found = head[1], lo <= address < hi
            elif found and line.startswith("VmFlags:"):
                return perms, head[1:]
    raise AssertionError("no mapping holds the array")


@pytest.mark.parametrize("shape", [SMALL_PAGE_MIN_BYTES // 8 + 3, (3, SMALL_PAGE_MIN_BYTES // 4)])
def test_zeros_of_the_shape_and_type_asked(shape):
    a = zeros_small_pages(shape, np.int32)
    dims = (shape,) if isinstance(shape, int) else shape
    assert a.shape == dims and a.dtype == np.int32 and a.flags.c_contiguous and a.flags.writeable
    assert not a.any()
    a[..., -1] = 7  # every row is its own memory: the last cell of each is written once
    assert int(a.sum()) == 7 * (1 if isinstance(shape, int) else shape[0])


@linux_only
def test_large_arrays_are_private_and_opted_out_of_huge_pages():
    a = zeros_small_pages(SMALL_PAGE_MIN_BYTES // 8, np.int64)
    a[:: 4096 // 8] = 1  # touch every page
    perms, flags = mapping_of(a)
    assert "nh" in flags  # MADV_NOHUGEPAGE
    assert perms.endswith("p")  # private: a forked child's writes never reach the parent
    plain = np.zeros(SMALL_PAGE_MIN_BYTES // 8, np.int64)
    plain[:: 4096 // 8] = 1
    assert "nh" not in mapping_of(plain)[1]  # the check tells the two apart


def test_small_arrays_are_plain_numpy():
    a = zeros_small_pages(16, np.float64)
    assert not isinstance(a.base, mmap.mmap)
    assert a.shape == (16,) and not a.any()


@linux_only
def test_the_cpu_counters_head_and_buffers_are_in_small_pages():
    from cooc.count import _numba
    from cooc.count.accumulate import HeadLayout, RunStore
    from cooc.count.engines import NumbaEngine, Plan
    from cooc.count.windows import integer_weights

    if not _numba.available():
        pytest.skip("numba is not installed")
    V, window = 2048, 10
    plan = Plan(V, window, integer_weights(window, "harmonic")[0], False, HeadLayout.fit(V, V * V), 1 << 20, 1 << 20)
    eng = NumbaEngine(plan, RunStore(1 << 24, None), 2, np.ones(V))
    try:
        eng._tail_values = None
        eng._reduce_in_place(0, 0)  # allocates the drains' value buffers
        for name in ("head", "tail", "pairs", "grouped", "_tail_values"):
            array = getattr(eng, name)
            array.reshape(-1)[:: 4096 // array.itemsize] = 0  # touch every page
            assert "nh" in mapping_of(array)[1], name
    finally:
        eng.release()
