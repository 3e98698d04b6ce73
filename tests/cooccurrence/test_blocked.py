"""Out-of-core row blocks: lazy loading, block-by-block products, targets and eigenvectors equal to in-memory ones."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc import Cooccurrence, SpectralEmbedding, Target, top_eigenpairs
from cooc._core.errors import CorruptFileError, InvalidParameterError, OutputExistsError
from cooc.cooccurrence.blocked import BlockedCooccurrence, row_ranges, save_blocked
from cooc.corpus.vocab import Vocabulary
from cooc.spectral.kinds import KINDS
from cooc.spectral.operator import TargetOperator
from cooc.spectral.targets import target_operator


def random_cooc(rng, V=60, density=0.3, weighted=True, zero_unigram=2, per_offset=False):
    """Symmetric random counts; the last ``zero_unigram`` words never occur (q = 0) but a few of their pairs do."""
    upper = sp.random(
        V,
        V,
        density=density,
        random_state=np.random.RandomState(rng.integers(2**31)),
        data_rvs=lambda n: rng.integers(1, 50, n).astype(np.float64),
    )
    C = upper + upper.T
    C = C if weighted else C.astype(np.int64)
    unigram = rng.integers(1, 1000, V)
    if zero_unigram:
        unigram[-zero_unigram:] = 0
    vocab = Vocabulary([f"w{i}" for i in range(V)], unigram)
    per = [C * 0.25, C * 0.75] if per_offset else None
    return Cooccurrence(C, vocab, unigram, settings={"window": 2, "symmetric": True}, per_offset=per)


def dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def test_round_trip_is_lazy_and_exact(tmp_path, rng):
    cooc = random_cooc(rng, weighted=False, per_offset=True)
    blocked = save_blocked(cooc, tmp_path / "m", n_blocks=5)
    opened = Cooccurrence.load(tmp_path / "m")
    assert isinstance(opened, BlockedCooccurrence) and opened.n_blocks == 5
    assert opened.shape == cooc.shape and opened.nnz == cooc.nnz and opened.dtype == np.int64
    assert opened.total == cooc.total and isinstance(opened.total, int)
    assert opened.bounds[0] == 0 and opened.bounds[-1] == 60
    block = opened.block(2)
    assert not block.data.flags.owndata and not block.indices.flags.owndata  # views of the mapped files
    lo, hi = opened.bounds[2], opened.bounds[3]
    assert (block != cooc.counts[lo:hi]).nnz == 0
    back = opened.to_memory()
    assert (back.counts != cooc.counts).nnz == 0 and back.vocab == cooc.vocab
    for a, b in zip(back.per_offset, cooc.per_offset):
        assert (a != b).nnz == 0
    assert (opened.block(1, offset=2) != cooc.per_offset[1][opened.bounds[1] : opened.bounds[2]]).nnz == 0
    opened.verify()
    assert blocked.settings == cooc.settings


def test_products_rows_subset_and_marginals(tmp_path, rng):
    cooc = random_cooc(rng)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=4)
    x = rng.standard_normal((60, 3))
    np.testing.assert_allclose(opened.matvec(x), cooc.counts @ x, rtol=1e-13, atol=1e-12)
    ids = [50, 3, 17, 3, 0]
    assert (opened.rows(ids) != cooc.counts[ids]).nnz == 0
    words = ["w9", "w2", "w40", "w33"]
    sub, ref = opened.subset(words), cooc.subset(words)
    assert (sub.counts != ref.counts).nnz == 0 and sub.vocab == ref.vocab
    np.testing.assert_array_equal(sub.unigram, ref.unigram)
    assert opened.top_pairs(7) == cooc.top_pairs(7)
    for marginals in ("global", "block"):
        np.testing.assert_allclose(
            opened.unigram_probabilities(marginals), cooc.unigram_probabilities(marginals), rtol=1e-14
        )


def test_row_ranges_balance_weight():
    w = np.array([100.0, 1, 1, 1, 50, 50, 1, 1, 0, 0])
    bounds = row_ranges(w, 3)
    assert bounds[0] == 0 and bounds[-1] == 10 and np.all(np.diff(bounds) > 0)
    sums = [w[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])]
    assert max(sums) <= 103
    with pytest.raises(InvalidParameterError, match="n_blocks"):
        row_ranges(w, 0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alpha", [1.0, 0.75])
def test_operator_equals_in_memory_target(tmp_path, rng, kind, alpha):
    cooc = random_cooc(rng).zero_block([("w1", "w4"), ("w7", "w7")])
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=3)
    for output in ("auto", "dense", "sparse") if kind in ("p", "m", "pmi") else ("auto",):
        params = dict(alpha=alpha, neg=3, eps=1e-3, output=output)
        expected = dense(Target(kind, **params).fit_transform(cooc))
        op = Target(kind, **params).fit(opened).matrix_
        assert isinstance(op, TargetOperator)
        np.testing.assert_allclose(op.to_dense(), expected, rtol=1e-12, atol=1e-13)
        x = rng.standard_normal(60)
        np.testing.assert_allclose(op @ x, expected @ x, rtol=1e-11, atol=1e-12)


def test_operator_without_cache_and_in_float32(tmp_path, rng):
    cooc = random_cooc(rng)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=3)
    cached = target_operator(opened, "mstar")
    uncached = target_operator(opened, "mstar", cache_bytes=0)
    x = rng.standard_normal(60)
    np.testing.assert_array_equal(cached @ x, uncached @ x)
    assert uncached._cache == {} and len(cached._cache) == 3
    single = target_operator(opened, "ppmi", dtype="float32")
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.to_dense(), dense(Target("ppmi").fit_transform(cooc)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["mstar", "ppmi", "logm"])
def test_blocked_eigenvectors_equal_in_memory(tmp_path, rng, kind):
    cooc = random_cooc(rng, V=120, density=0.15, zero_unigram=0)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=5)
    k = 6
    matrix = Target(kind).fit_transform(cooc)
    reference = top_eigenpairs(matrix, k, solver="dense")
    op = target_operator(opened, kind)
    pairs = top_eigenpairs(op, k, seed=3)
    assert pairs.solver == "lanczos"
    np.testing.assert_allclose(pairs.values, reference.values, rtol=1e-10)
    assert pairs.residuals(op).max() < 1e-8 * abs(reference.values[0])
    gaps = np.abs(np.diff(np.abs(reference.values)))
    if gaps.min() > 1e-6 * abs(reference.values[0]):  # distinct eigenvalues: vectors equal up to sign
        np.testing.assert_allclose(np.abs(pairs.vectors.T @ reference.vectors), np.eye(k), atol=1e-7)
        np.testing.assert_allclose(pairs.vectors, reference.vectors, atol=1e-7)  # signs fixed the same way
    randomized = top_eigenpairs(op, k, solver="randomized", n_iter=30, n_oversamples=30)
    np.testing.assert_allclose(randomized.values, reference.values, rtol=1e-6)


def test_spectral_embedding_accepts_a_blocked_matrix(tmp_path, rng):
    cooc = random_cooc(rng, V=80, zero_unigram=0)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=4)
    a = SpectralEmbedding("mstar", dim=5, solver="lanczos").fit(cooc)
    b = SpectralEmbedding("mstar", dim=5).fit(opened)
    np.testing.assert_allclose(b.eigenvalues_, a.eigenvalues_, rtol=1e-10)
    np.testing.assert_allclose(b.embedding_.vectors, a.embedding_.vectors, atol=1e-7)
    assert b.embedding_.index_to_key == a.embedding_.index_to_key


def test_operator_refuses_what_it_cannot_do(tmp_path, rng):
    opened = save_blocked(random_cooc(rng), tmp_path / "m", n_blocks=2)
    op = target_operator(opened, "mstar")
    for solver in ("dense", "torch"):
        with pytest.raises(InvalidParameterError, match="LinearOperator"):
            top_eigenpairs(op, 3, solver=solver)
    with pytest.raises(InvalidParameterError, match="CPU"):
        top_eigenpairs(op, 3, device="cuda")
    with pytest.raises(InvalidParameterError, match="dense"):
        target_operator(opened, "mstar", output="sparse")
    with pytest.raises(InvalidParameterError, match="CPU"):
        Target("mstar", device="cuda").fit(opened)


def test_existing_output_refused_and_corruption_detected(tmp_path, rng):
    cooc = random_cooc(rng)
    opened = save_blocked(cooc, tmp_path / "m", n_blocks=3)
    with pytest.raises(OutputExistsError, match="overwrite"):
        save_blocked(cooc, tmp_path / "m")
    cooc.save(tmp_path / "flat")
    with pytest.raises(OutputExistsError):
        save_blocked(cooc, tmp_path / "flat")
    replaced = save_blocked(cooc, tmp_path / "flat", n_blocks=2, overwrite=True)
    assert not (tmp_path / "flat.npz").exists() and replaced.n_blocks == 2

    indices = opened.folder / "b00001.indices.npy"
    np.save(indices, np.load(indices)[:-3])
    with pytest.raises(CorruptFileError, match="wrong size"):
        Cooccurrence.load(tmp_path / "m").block(1)
    with pytest.raises(CorruptFileError, match="checksum"):
        opened.verify()
    (opened.folder / "row_sums.npy").unlink()
    with pytest.raises(CorruptFileError, match="missing"):
        Cooccurrence.load(tmp_path / "m")
