"""Host copies in pieces on a few threads: the same bytes as one np.copyto, whatever the split."""

from __future__ import annotations

import numpy as np
import pytest

from cooc.count.host_copy import copy_into, copy_threads


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 4099])
@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_pieces_copy_exactly_what_one_copy_does(rng, n, threads, tmp_path):
    src = rng.integers(-(2**31), 2**31 - 1, n, dtype=np.int32)
    path = tmp_path / "shard.npy"
    np.save(path, src)
    mapped = np.load(path, mmap_mode="r")  # as a shard is read
    dst = np.full(n + 5, -1, dtype=np.int32)
    pieces = copy_into(dst[2 : 2 + n], mapped, threads=threads, min_piece_bytes=64)
    np.testing.assert_array_equal(dst[2 : 2 + n], src)
    assert (dst[:2] == -1).all() and (dst[2 + n :] == -1).all()  # nothing written outside the slice
    assert pieces == max(1, min(threads, 4 * n // 64))


def test_small_or_strided_copies_stay_on_this_thread(rng):
    src = rng.integers(0, 100, 1000, dtype=np.int32)
    dst = np.zeros(1000, dtype=np.int32)
    assert copy_into(dst, src, threads=4) == 1  # 4 kB: under one piece
    strided = np.zeros(2000, dtype=np.int32)[::2]
    assert copy_into(strided, src, threads=4, min_piece_bytes=64) == 1
    np.testing.assert_array_equal(strided, src)
    with pytest.raises(ValueError, match="one length"):
        copy_into(dst[:10], src)


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.setenv("COOC_COPY_THREADS", "3")
    assert copy_threads() == 3
    monkeypatch.setenv("COOC_COPY_THREADS", "0")
    assert copy_threads() == 1
    monkeypatch.delenv("COOC_COPY_THREADS")
    assert 1 <= copy_threads() <= 4
