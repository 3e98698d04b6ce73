"""The GPU counting benchmark's accounting of bytes: the result's size, its download rate, the whole call's ceiling.

benchmarks/gpu_count_check.py states how many bytes a count moves per token and what that bounds; its
arithmetic is checked here on a real (CPU) count, since the device runs it only rarely.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cooc import count_cooccurrences

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import gpu_count_check as bench  # noqa: E402


@pytest.fixture
def counted(make_corpus):
    rng = np.random.default_rng(7)
    docs = [rng.integers(0, 40, size=n) for n in (30, 55, 12)]
    return count_cooccurrences(make_corpus(docs, 40), window=3, progress=False)


def test_result_bytes_are_the_csr_arrays(counted):
    m = counted.counts
    assert m.nnz > 0
    expected = m.nnz * (m.data.itemsize + m.indices.itemsize) + (m.shape[0] + 1) * m.indptr.itemsize
    assert bench.result_bytes(counted) == expected


def test_result_note_states_bytes_per_token_and_the_download_rate(counted):
    stats = dict(counted.settings["count"])
    size = bench.result_bytes(counted)
    note = bench.result_note(counted, stats)
    assert note == f"result {size / 1e9:.2f} GB, {size / stats['tokens']:.1f} bytes/token"
    assert stats["downloaded_bytes"] == 0  # counted on the host: nothing was downloaded
    sent = 6 * counted.counts.nnz  # narrowed: a uint16 column and a uint32 count a nonzero
    stats["downloaded_bytes"] = sent
    assert bench.result_note(counted, stats).endswith(f"; downloaded {sent / 1e9:.2f} GB (6.0 bytes a nonzero)")
    stats["stages"] = {"row counts": 0.1, "extract + copy": sent / 2.5e9}  # 2.5 GB/s
    assert bench.result_note(counted, stats).endswith(" (6.0 bytes a nonzero) at 2.5 GB/s over extract + copy")


def test_call_ceiling_overlaps_the_upload_and_adds_the_download():
    # kernel 50 / 100 = 0.5 s; upload 10 / 100 = 0.1 s (hidden by the kernel); download 50 / 100 = 0.5 s
    assert bench.call_ceiling(100, 50, 100.0, 10, 100.0, 50, 100.0) == pytest.approx(100.0)
    # an upload of 1 s is longer than the kernel: it sets the count phase
    assert bench.call_ceiling(100, 50, 100.0, 100, 100.0, 50, 100.0) == pytest.approx(100 / 1.5)
    # the download alone: no kernel time
    assert bench.call_ceiling(100, 0, 100.0, 0, 100.0, 100, 50.0) == pytest.approx(50.0)
