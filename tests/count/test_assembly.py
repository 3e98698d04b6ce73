"""Assembly on the counting device (cooc.count.assemble) against the host path it replaces.

Each body runs on numpy and, where CuPy sees a GPU, on CuPy (the ``xp`` fixture): the
result must equal the host path's bit for bit — value dtype, index dtypes, indptr,
indices and the bits of every value — for every weighting, symmetric and directional,
full and partial heads.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.device import to_numpy
from cooc._core.errors import InvalidParameterError
from cooc.count import assemble, assemble_merged, head_csr, local
from cooc.count.accumulate import HeadLayout, head_run, merge_runs
from cooc.count.counter import count_cooccurrences
from cooc.count.host_csr import planes_to_csr
from cooc.count.result import plus_transpose, weigh_planes
from cooc.count.windows import integer_weights

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st

WEIGHTINGS = ["uniform", "linear", "harmonic"]
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def host_path(forward: sp.csr_matrix, symmetric: bool, weighting: str, scale: int) -> sp.csr_matrix:
    """What the counter did before: scipy's M + M^T, then weigh_planes."""
    m = plus_transpose(forward) if symmetric else forward
    return weigh_planes([m], np.ones(1, np.int64), scale, weighting, False, True)[0]


def assert_same_bits(got: sp.csr_matrix, ref: sp.csr_matrix, index_dtype=None) -> None:
    assert got.shape == ref.shape
    assert got.data.dtype == ref.data.dtype
    assert got.indices.dtype == got.indptr.dtype == (ref.indices.dtype if index_dtype is None else index_dtype)
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.data.view(np.int64), ref.data.view(np.int64))  # the bits, not closeness
    assert got.has_canonical_format


@st.composite
def weights(draw):
    weighting = draw(st.sampled_from(WEIGHTINGS))
    _, scale = integer_weights(draw(st.integers(1, 12)), weighting)
    return weighting, scale


def sparse_ints(rng, n, density, top=2**40):
    """int64 values, zero with probability 1 - density, large enough for float rounding to matter."""
    return np.where(rng.random(n) < density, rng.integers(1, top, n), 0).astype(np.int64)


# counts below, around and above what a narrowed copy sends as uint32 (M + M^T doubles them)
TOPS = st.sampled_from([2**8, 2**31, 2**40])


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    V=st.integers(1, 24),
    density=st.floats(0, 1),
    weigh=weights(),
    symmetric=st.booleans(),
    block=st.integers(1, 700),
    top=TOPS,
    narrow=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_full_head_assembly_equals_host_path(xp, monkeypatch, V, density, weigh, symmetric, block, top, narrow, seed):
    monkeypatch.setenv(assemble.NARROW_ENV, "1" if narrow else "0")
    rng = np.random.default_rng(seed)
    forward = sparse_ints(rng, V * V, density, top).reshape(V, V)
    ref = host_path(sp.csr_matrix(forward), symmetric, *weigh)
    head = xp.asarray(forward.ravel().copy())  # numpy: a copy, as the device head is
    m = head.reshape(V, V)
    if symmetric:
        assemble.symmetrize_dense(xp, m, block=max(1, block // 50))
    got = assemble.dense_to_csr(xp, m, *weigh, block_cells=block)
    assert_same_bits(got, ref)
    raw = assemble.dense_planes(xp, xp.asarray(forward.ravel().copy()), V, 1, symmetric)[0]  # unweighted: int64
    assert_same_bits(raw, host_path(sp.csr_matrix(forward), symmetric, "uniform", 1))


def tail_runs(rng, layout, V, n_runs, density, top=2**40):
    """Sorted runs of keys outside the head (runs may share keys), positive int64 values."""
    a, b = np.divmod(np.arange(V * V, dtype=np.int64), V)
    outside = (a * V + b)[b >= layout.row_len[a]]
    runs = []
    for _ in range(n_runs):
        keys = np.unique(outside[rng.random(outside.shape[0]) < density])
        runs.append((keys, rng.integers(1, top, keys.shape[0]).astype(np.int64)))
    return runs


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    V=st.integers(1, 24),
    head_share=st.floats(0, 1),
    density=st.floats(0, 1),
    n_runs=st.integers(0, 4),
    weigh=weights(),
    symmetric=st.booleans(),
    block_cells=st.integers(1, 200),
    block_entries=st.integers(1, 300),
    top=TOPS,
    narrow=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_partial_head_assembly_equals_host_path(
    xp, monkeypatch, V, head_share, density, n_runs, weigh, symmetric, block_cells, block_entries, top, narrow, seed
):
    monkeypatch.setenv(assemble.NARROW_ENV, "1" if narrow else "0")
    rng = np.random.default_rng(seed)
    layout = HeadLayout.fit(V, int(head_share * V * V))
    head = sparse_ints(rng, layout.cells, density, top)
    runs = tail_runs(rng, layout, V, n_runs, density / 2, top)
    keys, values = merge_runs(runs + [head_run(np, head, layout, V, 1)])
    ref = host_path(planes_to_csr(keys, values, V, 1)[0], symmetric, *weigh)
    released = []
    got = assemble_merged.merged_to_csr(
        xp,
        xp.asarray(head),
        layout,
        runs,
        V,
        symmetric=symmetric,
        weighting=weigh[0],
        scale=weigh[1],
        release=lambda: released.append(True),
        block_cells=block_cells,
        block_entries=block_entries,
    )
    assert released == [True]
    assert_same_bits(got, ref)


@pytest.mark.parametrize("symmetric", [False, True])
def test_indices_switch_to_int64_at_the_limit(xp, rng, symmetric):
    """Lowering the limit shows the switch: same values, int64 indices and indptr, once nnz or V reach it."""
    V = 20
    forward = sparse_ints(rng, V * V, 0.3).reshape(V, V)
    ref = host_path(sp.csr_matrix(forward), symmetric, "harmonic", 2520)
    nnz = ref.nnz
    for limit, dtype in ((nnz + 1, np.int32), (nnz, np.int64), (V, np.int64)):
        m = xp.asarray(forward.copy())
        if symmetric:
            assemble.symmetrize_dense(xp, m)
        assert_same_bits(assemble.dense_to_csr(xp, m, "harmonic", 2520, index_limit=limit, block_cells=50), ref, dtype)
        layout = HeadLayout.fit(V, V * V // 3)
        got = assemble_merged.merged_to_csr(
            xp,
            xp.asarray(head_part(forward, layout)),
            layout,
            [tail_part(forward, layout)],
            V,
            symmetric=symmetric,
            weighting="harmonic",
            scale=2520,
            index_limit=limit,
            block_cells=30,
            block_entries=40,
        )
        assert_same_bits(got, ref, dtype)
    assert assemble.index_dtype(2**31 - 2, 10) == np.int32
    assert assemble.index_dtype(2**31 - 1, 10) == assemble.index_dtype(5, 2**31 - 1) == np.int64


def head_part(dense, layout):
    """The head part of a dense forward matrix, in the head's flat layout."""
    return np.concatenate([dense[a, : layout.row_len[a]] for a in range(dense.shape[0])]).astype(np.int64)


def tail_part(dense, layout):
    """The tail part of a dense forward matrix as one sorted run."""
    V = dense.shape[0]
    a, b = np.nonzero(dense)
    tail = b >= layout.row_len[a]
    return (a[tail] * V + b[tail]).astype(np.int64), dense[a[tail], b[tail]].astype(np.int64)


def test_host_writer_stages_through_small_buffers(xp, rng):
    """Pieces larger than a staging slot, slots reused, mixed dtypes, empty pieces."""
    writer = assemble.HostWriter(xp, slot_bytes=40, slots=2)
    arrays = [
        rng.integers(-(2**62), 2**62, 1000),
        rng.integers(0, 2**31 - 1, 333).astype(np.int32),
        rng.random(77),
        np.zeros(0, np.int64),
    ]
    out = [np.empty_like(a) for a in arrays]
    try:
        for dst, src in zip(out, arrays):
            writer.put(dst, xp.asarray(src))
        with pytest.raises(RuntimeError, match="assembly error"):
            writer.put(out[0][:3], xp.asarray(arrays[0][:4]))
    finally:
        writer.close()
    for got, src in zip(out, arrays):
        np.testing.assert_array_equal(got, src)


@pytest.mark.parametrize("weighting", [None, *WEIGHTINGS])
def test_host_writer_narrows_what_fits(xp, rng, monkeypatch, weighting):
    """Counts up to 2^32 - 1 cross as uint32 and columns of up to 65,536 as uint16, landing as the same bits;
    one count past the limit sends its block wide; COOC_NARROW_COPY=0 sends everything wide."""
    scale = 2520 if weighting in ("linear", "harmonic") else 1
    limit = assemble.NARROW_COUNT_MAX
    fits = np.concatenate([[0, 1, limit - 1, limit], rng.integers(0, limit, 500)]).astype(np.int64)
    past = fits.copy()
    past[7] = limit + 1
    cols = rng.integers(0, 65536, 500)
    dtype = np.int64 if weighting in (None, "uniform") else np.float64
    for narrow in (True, False):
        monkeypatch.setenv(assemble.NARROW_ENV, "1" if narrow else "0")
        writer = assemble.HostWriter(xp, slot_bytes=48, slots=3)  # staged in pieces on a device
        assert writer.narrow is narrow
        got = [np.empty(fits.shape[0], dtype), np.empty(past.shape[0], dtype)]
        got_cols = [np.empty(500, np.int32), np.empty(500, np.int64), np.empty(500, np.int32)]
        try:
            writer.put_counts(got[0], xp.asarray(fits), weighting, scale)
            after_fits = writer.sent
            writer.put_counts(got[1], xp.asarray(past), weighting, scale)
            after_past = writer.sent
            writer.put_columns(got_cols[0], xp.asarray(cols), 65536)
            writer.put_columns(got_cols[1], xp.asarray(cols.astype(np.int32)), 65536)
            after_narrow_cols = writer.sent
            writer.put_columns(got_cols[2], xp.asarray(cols), 65537)
        finally:
            writer.close()
        for values, out in zip((fits, past), got):
            want = values if weighting is None else assemble.weigh_counts(np, values, weighting, scale)
            assert out.dtype == want.dtype
            np.testing.assert_array_equal(out.view(np.int64), want.view(np.int64))  # the bits
        for out in got_cols:
            np.testing.assert_array_equal(out, cols)
        assert after_fits == fits.shape[0] * (4 if narrow else 8)
        assert after_past - after_fits == past.shape[0] * 8  # one count too large: the block goes wide
        assert after_narrow_cols - after_past == 2 * 500 * (2 if narrow else 6)  # wide: int32, then int64
        assert writer.sent - after_narrow_cols == 500 * 4  # more columns than uint16 holds
    monkeypatch.delenv(assemble.NARROW_ENV)
    assert assemble.narrow_copy()


def test_row_blocks_cover_every_row_within_the_limit(rng):
    weights = rng.integers(0, 10, 200)
    weights[17] = 500
    for limit in (1, 9, 40, 10_000):
        spans = assemble_merged.row_blocks(weights, limit)
        assert spans[0][0] == 0 and spans[-1][1] == 200
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        assert all(weights[r0:r1].sum() <= limit or r1 - r0 == 1 for r0, r1 in spans)


def test_head_nonzeros_counts_block_by_block(xp, rng):
    head = xp.asarray(sparse_ints(rng, 1000, 0.3))
    want = int(np.count_nonzero(to_numpy(head)))
    for block in (1, 7, 999, 1000, 1001, 10**6):
        assert assemble_merged.head_nonzeros(xp, head, block) == want
    assert assemble_merged.head_nonzeros(xp, xp.zeros(0, dtype=np.int64), 4) == 0


def test_merge_steps_need_room_for_a_row():
    V = 1000
    steps = assemble_merged.merge_steps(
        head_cells=10**6, head_entries=10**5, run_entries=10**6, vocab_size=V, budget=10**9
    )
    assert steps is not None and V <= steps[0] <= assemble.BLOCK_CELLS and steps[1] >= 2 * V
    assert assemble_merged.merge_steps(10**6, 10**5, 10**8, V, 10**9) is None  # entries alone exceed it
    assert assemble_merged.merge_steps(10**8, 2 * 10**7, 0, V, 10**9) is None  # head + its entries


def test_result_arrays_are_taken_as_they_are():
    data, indices, indptr = np.array([2.5, 1.0]), np.array([1, 0], np.int64), np.array([0, 1, 2], np.int64)
    m = assemble.csr_from_parts(data, indices, indptr, (2, 2))
    assert m.data is data and m.indices is indices and m.indptr is indptr and m.has_canonical_format
    from cooc.cooccurrence.matrix import _csr

    kept = _csr(m)
    assert np.shares_memory(kept.indices, indices) and np.shares_memory(kept.data, data)  # views, no copies
    assert kept.has_canonical_format


def count(corpus, **kw):
    return count_cooccurrences(corpus, progress=False, **kw)


def same_result(a, b) -> None:
    assert_same_bits(a.counts, b.counts)
    assert (a.per_offset is None) == (b.per_offset is None)
    for x, y in zip(a.per_offset or [], b.per_offset or []):
        assert_same_bits(x, y)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("directional", [False, True])
def test_counter_device_paths_equal_the_host_path(
    make_corpus, rng, small_chunks, monkeypatch, tmp_path, weighting, directional
):
    """Full head (also per offset) and partial head with spilled runs, through count_cooccurrences."""
    docs = [rng.integers(0, 301, rng.integers(0, 200)) for _ in range(30)]
    corpus = make_corpus(docs, 300, shard_tokens=1000)
    kw = dict(window=5, weighting=weighting, directional=directional, spill_dir=tmp_path)
    host = {po: count(corpus, per_offset=po, **kw) for po in (False, True)}
    small = count(corpus, memory=40_000, **kw)
    assert small.settings["count"]["spills"] > 0 and small.settings["count"]["assembly"] == "host: head + tail"
    with monkeypatch.context() as patch:
        seen = []
        real = local._assemble_planes
        patch.setattr(
            local,
            "_assemble_planes",
            lambda eng, store, plan, xp, device, *a: seen.append(1) or real(eng, store, plan, xp, "cuda", *a),
        )
        sizes = []  # what the merge is sized from: the head's nonzeros and the runs' entries
        patch.setattr(assemble_merged, "merge_steps", lambda *a: sizes.append(a) or (37, 50))  # 40 kB: tiny steps
        for po in (False, True):
            got = count(corpus, per_offset=po, **kw)
            assert got.settings["count"]["assembly"] == "device: dense head"
            same_result(got, host[po])
            # small counts and 300 columns: 6 bytes a nonzero crossed (uint16 column, uint32 count), 12 when wide
            nnz = sum(m.nnz for m in (got.per_offset or [got.counts]))
            assert got.settings["count"]["downloaded_bytes"] == 6 * nnz > 0
            with monkeypatch.context() as wide:
                wide.setenv(assemble.NARROW_ENV, "0")
                got = count(corpus, per_offset=po, **kw)
                same_result(got, host[po])
                assert got.settings["count"]["downloaded_bytes"] == 12 * nnz
        assert host[False].settings["count"]["downloaded_bytes"] == 0  # assembled on the host: nothing crossed
        got = count(corpus, memory=40_000, **kw)
        assert got.settings["count"]["assembly"] == "device: head + runs" and got.settings["count"]["spills"] > 0
        same_result(got, small)
        assert got.settings["count"]["downloaded_bytes"] == 6 * got.counts.nnz
        assert set(got.settings["count"]["stages"]) >= {
            "head count", "runs open", "head entries", "merge runs", "extract + copy"
        }  # fmt: skip
        _, head_entries, run_entries, _, _ = sizes[-1]
        # every counted pair is in the head or in one run, never both: together they hold all the cells
        assert 0 < head_entries and 0 < run_entries
        assert head_entries + run_entries >= small.counts.nnz // 2
        per = count(corpus, memory=40_000, per_offset=True, **kw)  # several planes: the host path
        assert per.settings["count"]["assembly"] == "host: head + tail"
        patch.setattr(assemble_merged, "merge_steps", lambda *a: None)  # does not fit
        assert count(corpus, memory=40_000, **kw).settings["count"]["assembly"] == "host: head + tail"
        with monkeypatch.context() as device_head:  # a head the host cannot scan in place (a GPU's) is merged as a run
            device_head.setattr(head_csr, "AVAILABLE", False)
            for po in (False, True):
                got = count(corpus, memory=40_000, per_offset=po, **kw)
                assert got.settings["count"]["assembly"] == "host" and got.settings["count"]["spills"] > 0
                same_result(got, per if po else small)
        patch.setattr(assemble, "ALLOW_HOST_FALLBACK", False)
        with pytest.raises(InvalidParameterError, match="host fallback is off"):
            count(corpus, memory=40_000, **kw)
        assert len(seen) == 10
