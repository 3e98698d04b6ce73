"""Dask counting over the grid of settings, in memory and into row blocks, equals the single-machine count bit for
bit, on a corpus of many short documents, empty ones and one longer than a counting chunk; the blocked output's
metadata says what was counted; the budget, spill folder and threads given reach the workers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from cooc import Cooccurrence  # noqa: E402
from cooc.count import count_cooccurrences  # noqa: E402
from cooc.count.distributed import count_distributed  # noqa: E402

from ..corpora import id_corpus, zipf_docs  # noqa: E402
from .conftest import local_dask_client  # noqa: E402

N_WORDS = 30
#: the provenance entry that differs between any two runs: when
WHEN = ("created",)


@pytest.fixture(scope="module")
def client():
    with local_dask_client(processes=True) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Short documents (some empty) in small shards, and one of 20,000 tokens: its own shard, longer than a chunk
    under the small budget below, so the counter cuts it and carries windows across the cut."""
    rng = np.random.default_rng(3)
    docs = zipf_docs(rng, 200, N_WORDS, max_len=15)
    docs[50:50] = [np.zeros(0, np.int32), np.zeros(0, np.int32)]
    docs.insert(120, rng.choice(N_WORDS + 1, size=20_000).astype(np.int32))
    docs.append(np.zeros(0, np.int32))
    return id_corpus(tmp_path_factory.mktemp("grid"), docs, N_WORDS, shard_tokens=200)


def assert_same(got, expected):
    assert got.counts.dtype == expected.counts.dtype and got.shape == expected.shape
    assert (got.counts != expected.counts).nnz == 0
    np.testing.assert_array_equal(got.unigram, expected.unigram)
    assert got.vocab == expected.vocab
    assert {k: v for k, v in got.settings.items() if k != "count"} == {
        k: v for k, v in expected.settings.items() if k != "count"
    }
    assert {k: v for k, v in got.provenance.items() if k not in WHEN} == {
        k: v for k, v in expected.provenance.items() if k not in WHEN
    }
    assert (got.per_offset is None) == (expected.per_offset is None)
    for a, b in zip(got.per_offset or [], expected.per_offset or []):
        assert a.dtype == b.dtype and (a != b).nnz == 0


GRID = list(itertools.product(["uniform", "linear", "harmonic"], [False, True], [False, True], ["drop", "gap"]))


@pytest.mark.parametrize(
    "weighting, directional, per_offset, oov",
    GRID,
    ids=[f"{w}-{'dir' if d else 'sym'}-{'offsets' if p else 'total'}-{o}" for w, d, p, o in GRID],
)
def test_every_setting_in_memory_and_in_blocks(client, corpus, tmp_path, weighting, directional, per_offset, oov):
    k = GRID.index((weighting, directional, per_offset, oov))
    window = (1, 3, 6)[k % 3]
    settings = dict(
        window=window,
        weighting=weighting,
        directional=directional,
        per_offset=per_offset,
        oov=oov,
        vocab_size=(None, 12)[k // 3 % 2],  # every other: fewer words than the corpus has
    )
    local = count_cooccurrences(corpus, progress=False, **settings)
    small = {1: "400KB", 3: "1MB", 6: "2MB"}[window]  # chunks of about 4,096 tokens: the long document is cut
    in_memory = count_distributed(corpus, client, progress=False, shards_per_task=3, fan_in=2, memory=small, **settings)
    assert_same(in_memory, local)
    assert in_memory.settings["count"]["centres"] == local.settings["count"]["centres"]
    assert in_memory.settings["count"]["tasks"] == -(-corpus.n_shards // 3)
    assert in_memory.settings["count"]["chunk_tokens"] < 20_000

    blocked = count_distributed(
        corpus, client, progress=False, shards_per_task=2, fan_in=3, out=tmp_path / "c", n_blocks=1 + k % 5, **settings
    )
    opened = Cooccurrence.load(tmp_path / "c")
    opened.verify()
    assert_same(opened.to_memory(), local)
    assert blocked.nnz == opened.nnz == local.nnz
    assert str(opened.dtype) == str(local.counts.dtype)
    assert opened.n_offsets == (window if per_offset else 0)
    np.testing.assert_array_equal(opened.row_sums, np.asarray(local.counts.sum(axis=1)).ravel())
    # the total is the sum of the blocks' sums: for float weights the last bit may differ from counts.data.sum()
    assert opened.total == pytest.approx(local.total, rel=1e-14, abs=0)
    assert opened.settings["count"]["blocks"] == opened.n_blocks


def test_budget_spill_folder_and_threads_reach_the_workers(client, tmp_path):
    rng = np.random.default_rng(5)
    docs = zipf_docs(rng, 100, 2000, max_len=300) + [rng.integers(0, 2001, 80_000).astype(np.int32)]
    corpus = id_corpus(tmp_path, docs, 2000, shard_tokens=20_000)
    spill = tmp_path / "spill"
    local = count_cooccurrences(corpus, window=5, progress=False)
    tight = count_distributed(corpus, client, window=5, progress=False, memory="2MB", spill_dir=spill, workers=1)
    assert_same(tight, local)
    stats = tight.settings["count"]
    assert stats["memory"] == 2_000_000 and stats["threads"] == 1
    assert stats["spills"] > 0 and stats["spilled_bytes"] > 0
    assert spill.is_dir() and list(spill.iterdir()) == []  # the workers spilled there, and removed their runs
    roomy = count_distributed(corpus, client, window=5, progress=False, memory="4GB", workers=2)
    assert_same(roomy, local)
    assert roomy.settings["count"]["spills"] == 0 and roomy.settings["count"]["threads"] == 2
