"""Targets against a hand-computed 3 x 3 example, independence of zeroed pairs, dense/sparse/device parity."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.device import to_numpy
from cooc._core.errors import InvalidParameterError
from cooc.cooccurrence.matrix import Cooccurrence
from cooc.corpus.vocab import Vocabulary
from cooc.spectral.kinds import SPARSE_KINDS
from cooc.spectral.marginals import smoothed_marginals
from cooc.spectral.targets import Target, target_matrix

# C (symmetric, total 12) and global unigram counts 2, 3, 5 -> P_i = 0.2, 0.3, 0.5.
C = np.array([[0, 2, 1], [2, 4, 0], [1, 0, 2]])
L = np.log
EXPECTED = {
    "p": [[0, 1 / 6, 1 / 12], [1 / 6, 1 / 3, 0], [1 / 12, 0, 1 / 6]],
    "m": [[0, 25 / 9, 5 / 6], [25 / 9, 100 / 27, 0], [5 / 6, 0, 2 / 3]],
    "logm": [
        [L(0.01), L(25 / 9 + 0.01), L(5 / 6 + 0.01)],
        [L(25 / 9 + 0.01), L(100 / 27 + 0.01), L(0.01)],
        [L(5 / 6 + 0.01), L(0.01), L(2 / 3 + 0.01)],
    ],
    "pmi": [[0, L(25 / 9), L(5 / 6)], [L(25 / 9), L(100 / 27), 0], [L(5 / 6), 0, L(2 / 3)]],
    "ppmi": [[0, L(25 / 9), 0], [L(25 / 9), L(100 / 27), 0], [0, 0, 0]],
    "sppmi": [[0, 0, 0], [0, L(100 / 81), 0], [0, 0, 0]],  # neg = 3
    "mstar": [[-2, 16 / 17, -2 / 11], [16 / 17, 146 / 127, -2], [-2 / 11, -2, -2 / 5]],
}


def example() -> Cooccurrence:
    return Cooccurrence.from_scipy(sp.csr_matrix(C), Vocabulary(["a", "b", "c"], [2, 3, 5]))


def dense(matrix) -> np.ndarray:
    if type(matrix).__module__.startswith("cupyx"):  # a sparse target on the GPU
        matrix = matrix.get()
    return matrix.toarray() if sp.issparse(matrix) else to_numpy(matrix)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_hand_computed_example(kind, device):
    t = Target(kind, neg=3, device=device).fit(example())
    np.testing.assert_allclose(dense(t.matrix_), EXPECTED[kind], rtol=1e-13, atol=1e-15)
    assert t.kind_ == kind and t.words_ == ["a", "b", "c"]
    np.testing.assert_allclose(t.marginals_, [0.2, 0.3, 0.5])


def test_sparse_by_default_only_where_zeros_are_kept():
    assert sp.issparse(target_matrix(example(), "ppmi"))
    assert sp.issparse(target_matrix(example(), "sppmi", neg=3))
    assert isinstance(target_matrix(example(), "mstar"), np.ndarray)
    assert sp.issparse(target_matrix(example(), "m", max_dense=2))
    with pytest.raises(InvalidParameterError, match="exceeds max_dense = 2"):
        target_matrix(example(), "logm", max_dense=2)
    with pytest.raises(InvalidParameterError, match="output='sparse' is allowed"):
        target_matrix(example(), "mstar", output="sparse")


def test_block_marginals():
    t = Target("m", marginals="block").fit(example())
    np.testing.assert_allclose(t.marginals_, [0.25, 0.5, 0.25])
    assert t.matrix_[0, 1] == pytest.approx((1 / 6) / (0.25 * 0.5))


def test_context_smoothing_is_the_symmetric_part_of_levys_pmi():
    cooc = example()
    p = cooc.unigram_probabilities()
    c = p**0.75 / (p**0.75).sum()
    P = C / 12
    with np.errstate(divide="ignore"):
        levy = np.where(C > 0, np.log(P / np.outer(p, c)), 0.0)
    sym = np.where(C > 0, (levy + levy.T) / 2, 0.0)
    np.testing.assert_allclose(target_matrix(cooc, "pmi", alpha=0.75), sym, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(smoothed_marginals(p, 1.0), p)


@pytest.mark.parametrize(
    "kind, value",
    [("m", 1.0), ("logm", 0.0), ("pmi", 0.0), ("ppmi", 0.0), ("sppmi", 0.0), ("mstar", 0.0), ("p", 0.2 * 0.3)],
)
def test_zeroed_block_takes_the_exact_independence_value(kind, value):
    zeroed = example().zero_block([("a", "b")])
    for output in ("dense", "sparse") if kind in SPARSE_KINDS else ("dense",):
        got = dense(target_matrix(zeroed, kind, output=output, neg=3))
        assert got[0, 1] == value and got[1, 0] == value
    # the other entries follow the formula on the modified total
    assert target_matrix(zeroed, "m")[2, 2] == pytest.approx((2 / zeroed.total) / 0.25, rel=1e-14)


@pytest.mark.parametrize("kind", SPARSE_KINDS)
def test_dense_and_sparse_agree_on_random_counts(kind, rng):
    V = 40
    counts = sp.random(V, V, density=0.3, random_state=rng, data_rvs=lambda n: rng.integers(1, 50, n))
    counts = (counts + counts.T).tocsr()
    cooc = Cooccurrence.from_scipy(counts, [f"w{i}" for i in range(V)], unigram=rng.integers(1, 1000, V))
    d = target_matrix(cooc, kind, output="dense", neg=5, alpha=0.75)
    s = target_matrix(cooc, kind, output="sparse", neg=5, alpha=0.75)
    np.testing.assert_allclose(s.toarray(), d, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(d, d.T) if kind != "p" else None
    small = target_matrix(cooc, kind, output="dense", neg=5, alpha=0.75, block_rows=7, dtype="float32")
    assert small.dtype == np.float32
    np.testing.assert_allclose(small, d, rtol=1e-6, atol=1e-7)


def test_device_parity_on_random_counts(device, rng):
    V = 30
    counts = sp.random(V, V, density=0.4, random_state=rng, data_rvs=lambda n: rng.integers(1, 20, n))
    cooc = Cooccurrence.from_scipy(
        (counts + counts.T).tocsr(), [f"w{i}" for i in range(V)], unigram=rng.integers(1, 100, V)
    ).zero_block([(0, 1), (2, 3)])
    for kind in ("m", "logm", "mstar", "ppmi"):
        ref = dense(target_matrix(cooc, kind, device="cpu", output="dense"))
        got = dense(target_matrix(cooc, kind, device=device, output="dense"))
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_zero_marginal_word_gives_no_inf():
    cooc = Cooccurrence.from_scipy(sp.csr_matrix(C), Vocabulary(["a", "b", "c"], [0, 3, 5]))
    for kind in ("m", "logm", "pmi", "mstar"):
        assert np.isfinite(target_matrix(cooc, kind)).all()


@pytest.mark.parametrize("kind, value", [("m", 1.0), ("logm", 0.0), ("pmi", 0.0), ("ppmi", 0.0), ("mstar", 0.0)])
def test_a_zero_marginal_word_takes_the_independence_value_in_every_storage(kind, value):
    # 'a' co-occurs but has no unigram count (global marginals); 'd' never co-occurs (block marginals):
    # every pair of theirs, observed or not, takes the independence value, dense and sparse alike.
    counts = np.array([[0, 2, 3, 0], [2, 0, 1, 0], [3, 1, 4, 0], [0, 0, 0, 0]])
    cooc = Cooccurrence.from_scipy(sp.csr_matrix(counts), Vocabulary(["a", "b", "c", "d"], [0, 3, 5, 2]))
    for marginals, word in (("global", 0), ("block", 3)):
        outputs = ("dense", "sparse") if kind in SPARSE_KINDS else ("dense",)
        for output in outputs:
            got = dense(target_matrix(cooc, kind, output=output, marginals=marginals, eps=1e-2))
            assert (got[word] == value).all() and (got[:, word] == value).all(), (marginals, output, got)
        if len(outputs) == 2:
            np.testing.assert_array_equal(
                dense(target_matrix(cooc, kind, output="sparse", marginals=marginals)),
                dense(target_matrix(cooc, kind, output="dense", marginals=marginals)),
            )


def test_kind_p_sets_independent_pairs_to_the_unsmoothed_product_whatever_alpha():
    zeroed = example().zero_block([("a", "b")])
    for alpha in (1.0, 0.75, 0.5):
        for output in ("dense", "sparse"):
            got = dense(target_matrix(zeroed, "p", output=output, alpha=alpha))
            assert got[0, 1] == got[1, 0] == 0.2 * 0.3, (alpha, output)


def test_log_without_floor():
    positive = Cooccurrence.from_scipy(sp.csr_matrix(C + 1), Vocabulary(["a", "b", "c"], [2, 3, 5]))
    np.testing.assert_allclose(target_matrix(positive, "logm", eps=0.0), target_matrix(positive, "pmi"))
    with pytest.raises(Exception, match="eps = 0"):
        target_matrix(example(), "logm", eps=0.0)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"kind": "svd"}, "'kind' must be one of"),
        ({"eps": -1.0}, "'eps' must be a number in \\[0, inf\\)"),
        ({"neg": 0}, "'neg'"),
        ({"marginals": "rows"}, "'marginals'"),
    ],
)
def test_parameter_errors(bad, match):
    with pytest.raises(InvalidParameterError, match=match):
        Target(**bad).fit(example())
    with pytest.raises(InvalidParameterError, match="'cooc'"):
        Target().fit(np.eye(3))


@pytest.mark.parametrize("kind", ["p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"])
def test_entries_into_equals_entries_bit_for_bit(kind):
    """The host's in-place formulas against the reference ones, on fresh random blocks with zero
    probabilities and zero marginal products."""
    from cooc.spectral.kinds import entries, entries_into

    rng = np.random.default_rng(["p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"].index(kind))
    for eps, neg in [(1e-2, 1.0), (1e-5, 5.0), (0.5, 3.0)]:
        P = rng.random((37, 53)) * (rng.random((37, 53)) < 0.6)
        outer = rng.random((37, 53)) * (rng.random((37, 53)) < 0.9)
        outer[:, 3] = 0.0  # a word that never occurs
        expected = entries(kind, P.copy(), outer.copy(), np, eps, neg)
        got = entries_into(kind, P.copy(), outer.copy(), np.empty_like(P), eps, neg)
        np.testing.assert_array_equal(got, expected)


def test_the_dense_host_target_is_built_in_reused_blocks(monkeypatch, rng):
    """Blocks of HOST_BLOCK_BYTES of float64 each (patched small here), every value as the reference."""
    import cooc.spectral.targets as targets
    from cooc.spectral.kinds import entries

    V = 50
    counts = sp.random(V, V, density=0.3, random_state=rng, data_rvs=lambda n: rng.integers(1, 50, n))
    cooc = Cooccurrence.from_scipy(
        (counts + counts.T).tocsr(), [f"w{i}" for i in range(V)], unigram=rng.integers(1, 900, V)
    )
    sizes, buffers = [], set()
    into = targets.entries_into

    def spy(kind, P, outer, work, eps, neg):
        sizes.append(P.shape[0])
        buffers.add((P.base if P.base is not None else P).ctypes.data)
        return into(kind, P, outer, work, eps, neg)

    monkeypatch.setattr(targets, "entries_into", spy)
    monkeypatch.setattr(targets, "HOST_BLOCK_BYTES", 8 * V * 7)  # 7 rows a block
    for kind in ("mstar", "pmi", "logm"):
        sizes.clear()
        built = Target(kind, output="dense").fit(cooc)
        assert sizes == [7] * 7 + [1] and len(buffers) == 1  # one buffer, reused
        q = built.marginals_
        expected = entries(kind, cooc.counts.toarray() / cooc.counts.sum(), np.outer(q, q), np, 1e-2, 1.0)
        np.testing.assert_array_equal(built.matrix_, expected)
        buffers.clear()
