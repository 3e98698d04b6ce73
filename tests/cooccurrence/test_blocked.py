"""Out-of-core row blocks: lazy loading, block-by-block products, targets and eigenvectors equal to in-memory ones."""

from __future__ import annotations

import numpy as np
import pytest

from cooc import Cooccurrence
from cooc._core.errors import CorruptFileError, InputDataError, InvalidParameterError, OutputExistsError
from cooc.cooccurrence.blocked import BlockedCooccurrence, row_ranges, save_blocked

from .random_counts import random_cooc


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
    assert opened.top_pairs(0) == cooc.top_pairs(0) == []
    for counts in (opened, cooc):  # a negative n sliced off the end ([:-1]): nearly every pair, not an error
        with pytest.raises(InvalidParameterError, match=r"top_pairs: n must be a whole number >= 0, got -1"):
            counts.top_pairs(-1)
        with pytest.raises(InputDataError, match=r"^1 word is not in the vocabulary: \['nope'\]"):
            counts.subset(["w1", "nope"])
        with pytest.raises(InputDataError, match=r"^2 words are not in the vocabulary"):
            counts.subset(["no", "nope"])
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
    with pytest.raises(CorruptFileError, match="checksum"):
        Cooccurrence.load(tmp_path / "m")  # opening verifies every block
    with pytest.raises(CorruptFileError, match="wrong size"):
        Cooccurrence.load(tmp_path / "m", verify=False).block(1)
    with pytest.raises(CorruptFileError, match="rewritten while in use"):
        opened.block(1)  # opened before the file changed
    with pytest.raises(CorruptFileError, match="checksum"):
        opened.verify()
    (opened.folder / "row_sums.npy").unlink()
    with pytest.raises(CorruptFileError, match="missing"):
        Cooccurrence.load(tmp_path / "m")
