"""Property test: the counter equals the definition (a Python double loop) on random corpora and settings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st

from cooc.count import count_cooccurrences, planning  # noqa: E402

from .conftest import brute_force, write_corpus  # noqa: E402


@st.composite
def cases(draw):
    n_words = draw(st.integers(1, 12))
    docs = draw(st.lists(st.lists(st.integers(0, n_words), max_size=25), min_size=1, max_size=8))
    if sum(map(len, docs)) == 0:
        docs[0] = [0]
    return dict(
        docs=docs,
        n_words=n_words,
        window=draw(st.integers(1, 6)),
        weighting=draw(st.sampled_from(["uniform", "linear", "harmonic"])),
        oov=draw(st.sampled_from(["drop", "gap"])),
        directional=draw(st.booleans()),
        vocab_size=draw(st.integers(1, n_words)),
        engine=draw(st.sampled_from(["numba", "vectorized"])),
        memory=draw(st.sampled_from([25_000, 60_000, "1GB"])),
        shard_tokens=draw(st.sampled_from([7, 50, 1 << 20])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_counter_equals_definition(case):
    saved = planning.MIN_CHUNK_TOKENS, planning.fixed_bytes
    planning.MIN_CHUNK_TOKENS, planning.fixed_bytes = 8, (lambda vocab_size: 1024)  # tiny chunks, spills
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = write_corpus(Path(tmp), case["docs"], case["n_words"], shard_tokens=case["shard_tokens"])
            res = count_cooccurrences(
                corpus,
                window=case["window"],
                weighting=case["weighting"],
                oov=case["oov"],
                directional=case["directional"],
                vocab_size=case["vocab_size"],
                engine=case["engine"],
                memory=case["memory"],
                progress=False,
                spill_dir=tmp,
                per_offset=case["window"] % 2 == 0,
            )
    finally:
        planning.MIN_CHUNK_TOKENS, planning.fixed_bytes = saved
    expected = brute_force(
        case["docs"],
        case["vocab_size"],
        case["window"],
        case["weighting"],
        case["oov"],
        symmetric=not case["directional"],
    )
    np.testing.assert_allclose(res.counts.toarray(), expected, rtol=1e-12, atol=0)
    if res.per_offset is not None:
        for j, plane in enumerate(res.per_offset, start=1):
            np.testing.assert_allclose(
                plane.toarray(),
                brute_force(
                    case["docs"],
                    case["vocab_size"],
                    case["window"],
                    case["weighting"],
                    case["oov"],
                    symmetric=not case["directional"],
                    offset=j,
                ),
                rtol=1e-12,
                atol=0,
            )
