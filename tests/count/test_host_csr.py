"""Host CSR assembly (cooc.count.host_csr): key ranges to CSR planes, and ``M + M^T`` against scipy's, on random inputs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc.count import assemble, host_csr
from cooc.count.host_csr import planes_to_csr, plus_transpose, ranges_to_csr


def scipy_reference(m: sp.csr_matrix) -> sp.csr_matrix:
    ref = (m + m.T).tocsr()
    ref.sum_duplicates()
    return ref


def assert_same(got: sp.csr_matrix, ref: sp.csr_matrix) -> None:
    assert got.shape == ref.shape
    assert got.data.dtype == ref.data.dtype
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.data, ref.data)
    assert got.has_sorted_indices


def random_counts(rng: np.random.Generator, V: int, density: float, dtype=np.int64) -> sp.csr_matrix:
    """A forward count matrix whose density falls with the row and column rank, as in a corpus."""
    p = density * 4.0 / np.sqrt(np.outer(np.arange(1, V + 1), np.arange(1, V + 1)))
    mask = rng.random((V, V)) < np.minimum(p, 1.0)
    values = rng.integers(1, 10**6, (V, V))
    dense = np.where(mask, values, 0).astype(dtype)
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("seed", range(12))
def test_equals_scipy_on_random_counts(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(1, 120))
    m = random_counts(rng, V, float(rng.uniform(0.0, 0.5)))
    parts = int(rng.integers(1, 9))  # more parts than rows too
    assert_same(plus_transpose(m, parts=parts), scipy_reference(m))


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.int32])
def test_value_dtypes_and_the_doubled_diagonal(dtype):
    m = sp.csr_matrix(np.array([[3, 1, 0], [0, 0, 2], [5, 0, 7]], dtype=dtype))
    got = plus_transpose(m, parts=2)
    np.testing.assert_array_equal(got.toarray(), np.array([[6, 1, 5], [1, 0, 2], [5, 2, 14]], dtype=dtype))
    assert_same(got, scipy_reference(m))


def test_empty_rows_columns_and_matrices():
    assert plus_transpose(sp.csr_matrix((0, 0), dtype=np.int64)).shape == (0, 0)
    assert plus_transpose(sp.csr_matrix((5, 5), dtype=np.int64)).nnz == 0
    m = sp.csr_matrix(([4], ([3], [0])), shape=(6, 6), dtype=np.int64)  # rows and columns 1, 2, 4, 5 empty
    assert_same(plus_transpose(m, parts=3), scipy_reference(m))


def test_non_canonical_input_is_summed_first():
    # duplicates and unsorted columns within a row, as a CSR built from unsorted triplets can hold
    m = sp.csr_matrix(
        (np.array([2, 5, 1, 1], np.int64), np.array([3, 0, 3, 1], np.int32), np.array([0, 3, 3, 4, 4])), shape=(4, 4)
    )
    got = plus_transpose(m, parts=2)
    np.testing.assert_array_equal(got.toarray(), m.toarray() + m.toarray().T)


def test_index_dtype_follows_the_result_size(monkeypatch):
    rng = np.random.default_rng(3)
    m = random_counts(rng, 40, 0.3)
    ref = scipy_reference(m)
    assert plus_transpose(m).indices.dtype == np.int32
    # a limit the result reaches (the default limit is bound when index_dtype is defined)
    monkeypatch.setattr(assemble.index_dtype, "__defaults__", (ref.nnz,))
    got = plus_transpose(m, parts=2)
    assert got.indices.dtype == np.int64 and got.indptr.dtype == np.int64
    np.testing.assert_array_equal(got.toarray(), ref.toarray())


def test_rejects_a_rectangular_matrix():
    with pytest.raises(ValueError, match="square"):
        plus_transpose(sp.csr_matrix((3, 4), dtype=np.int64))


def test_scipy_fallback_without_numba(monkeypatch):
    rng = np.random.default_rng(5)
    m = random_counts(rng, 30, 0.3)
    monkeypatch.setattr(host_csr, "_HAVE_NUMBA", False)
    assert_same(plus_transpose(m), scipy_reference(m))


def test_row_parts_hold_about_equal_entries():
    rng = np.random.default_rng(7)
    m = random_counts(rng, 200, 0.3)
    indptr = m.indptr.astype(np.int64)
    starts = host_csr.equal_parts(indptr, 4)
    assert starts[0] == 0 and starts[-1] == 200 and np.all(np.diff(starts) >= 0)
    per_part = np.diff(indptr[starts])
    longest_row = int(np.diff(indptr).max())
    assert np.all(np.abs(per_part - m.nnz / 4) <= longest_row), per_part


def reference_planes(keys: np.ndarray, values: np.ndarray, V: int, planes: int) -> list[np.ndarray]:
    """Dense planes from cell keys ``(j * V + a) * V + b``, by plain indexing."""
    dense = np.zeros((planes, V, V), dtype=values.dtype)
    dense[keys // (V * V), (keys // V) % V, keys % V] = values
    return list(dense)


def random_keys(rng: np.random.Generator, V: int, planes: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.unique(rng.integers(0, planes * V * V, n)) if V else np.zeros(0, np.int64)
    return keys.astype(np.int64), rng.integers(1, 2**40, keys.shape[0]).astype(np.int64)


@pytest.mark.parametrize("seed", range(16))
def test_ranges_to_csr_equals_dense_indexing(seed):
    rng = np.random.default_rng(seed)
    V, planes = int(rng.integers(1, 40)), int(rng.integers(1, 4))
    keys, values = random_keys(rng, V, planes, int(rng.integers(0, planes * V * V + 1)))
    # cut into consecutive ranges at random places (empty ranges and cuts inside a row included)
    cuts = np.sort(rng.integers(0, keys.shape[0] + 1, int(rng.integers(0, 6))))
    bounds = [0, *cuts.tolist(), keys.shape[0]]
    ranges = [(keys[a:b], values[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    got = ranges_to_csr(ranges, V, planes, threads=int(rng.integers(1, 4)))
    assert len(got) == planes
    for m, ref in zip(got, reference_planes(keys, values, V, planes)):
        assert m.shape == (V, V) and m.has_sorted_indices
        assert m.indices.dtype == m.indptr.dtype == np.int32 and m.data.dtype == np.int64
        np.testing.assert_array_equal(m.toarray(), ref)
        assert m.nnz == np.count_nonzero(ref)


def test_planes_to_csr_is_one_range():
    rng = np.random.default_rng(11)
    keys, values = random_keys(rng, 25, 3, 900)
    for m, ref in zip(planes_to_csr(keys, values, 25, 3), reference_planes(keys, values, 25, 3)):
        np.testing.assert_array_equal(m.toarray(), ref)


def test_ranges_to_csr_without_numba(monkeypatch):
    rng = np.random.default_rng(12)
    keys, values = random_keys(rng, 30, 2, 1200)
    monkeypatch.setattr(host_csr, "_HAVE_NUMBA", False)
    ranges = [(keys[:500], values[:500]), (keys[500:], values[500:])]
    for m, ref in zip(ranges_to_csr(ranges, 30, 2, threads=2), reference_planes(keys, values, 30, 2)):
        np.testing.assert_array_equal(m.toarray(), ref)


def test_ranges_to_csr_with_empty_ranges_between():
    rng = np.random.default_rng(13)
    keys, values = random_keys(rng, 20, 1, 300)
    e = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    cuts = [0, 40, 41, 150, keys.shape[0]]
    pieces = [(keys[a:b], values[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    ranges = [e, pieces[0], e, e, pieces[1], e, pieces[2], pieces[3], e]
    np.testing.assert_array_equal(ranges_to_csr(ranges, 20, 1)[0].toarray(), reference_planes(keys, values, 20, 1)[0])


def test_default_parts_follow_threads_and_stay_small_beside_m(monkeypatch):
    import numba

    seen = []
    compiled = host_csr.transpose_and_sizes

    def spy(indptr, indices, data, n_parts, tind, tdat):
        seen.append(n_parts)
        return compiled(indptr, indices, data, n_parts, tind, tdat)

    monkeypatch.setattr(host_csr, "transpose_and_sizes", spy)
    rng = np.random.default_rng(9)
    dense = random_counts(rng, 60, 0.5)  # about 2,000 entries: room for a part per thread
    assert_same(plus_transpose(dense), scipy_reference(dense))
    sparse = sp.csr_matrix(([1, 2, 3], ([0, 5, 9], [9, 5, 0])), shape=(5000, 5000), dtype=np.int64)
    assert_same(plus_transpose(sparse), scipy_reference(sparse))
    assert seen == [min(numba.get_num_threads(), dense.nnz // 120), 1]
    assert seen[0] >= min(numba.get_num_threads(), 8)


@pytest.mark.parametrize("weighting, scale", [("uniform", 1), ("harmonic", 2520), ("linear", 1), ("harmonic", 7)])
@pytest.mark.parametrize("numba_on", [True, False])
def test_weighing_in_the_same_pass_gives_weigh_counts_bits(monkeypatch, weighting, scale, numba_on):
    rng = np.random.default_rng(21)
    m = random_counts(rng, 70, 0.4)
    m.data = rng.integers(1, 2**50, m.nnz)  # large enough for the float64 rounding to matter
    monkeypatch.setattr(host_csr, "_HAVE_NUMBA", numba_on)
    ref = scipy_reference(m)
    ref.data = assemble.weigh_counts(np, ref.data, weighting, scale)
    got = plus_transpose(m, weigh=(weighting, scale))
    assert got.data.dtype == ref.data.dtype == (np.int64 if weighting == "uniform" else np.float64)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.data.view(np.int64), ref.data.view(np.int64))  # the bits
