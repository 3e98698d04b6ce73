"""A Cooccurrence built by hand from a notebook: counts, unigram and the side fields are checked where a
wrong value would give a wrong target without an error."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.cooccurrence.matrix import Cooccurrence
from cooc.spectral.estimator import EigenEmbedding
from cooc.spectral.targets import target_matrix

COUNTS = np.array([[0.0, 4.0, 1.0], [4.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def cooc(counts=COUNTS, unigram=(5, 5, 2), **kwargs) -> Cooccurrence:
    return Cooccurrence.from_scipy(sp.csr_matrix(counts), ["a", "b", "c"], unigram=np.asarray(unigram), **kwargs)


@pytest.mark.parametrize("value", [-1.0, np.nan, np.inf])
@pytest.mark.parametrize("kind", ["mstar", "ppmi", "logm"])
def test_a_negative_or_non_finite_count_is_refused_by_every_target(value, kind):
    counts = COUNTS.copy()
    counts[0, 2] = counts[2, 0] = value
    with pytest.raises(InputDataError, match=rf"Target: the count of \('a', 'c'\) is {value}; .*\(2 entries are not\)"):
        target_matrix(cooc(counts), kind)
    with pytest.raises(InputDataError, match=r"the count of \('a', 'c'\)"):
        EigenEmbedding(dim=2).fit(cooc(counts))


def test_integer_and_clean_float_counts_still_give_the_hand_computed_target():
    for counts in (COUNTS, COUNTS.astype(np.int64), COUNTS.astype(np.float32)):
        c = cooc(counts)
        P = COUNTS / COUNTS.sum()
        p = np.array([5, 5, 2]) / 12
        with np.errstate(divide="ignore"):
            expected = np.where(P > 0, np.log(P / np.outer(p, p)), 0.0)
        np.testing.assert_allclose(target_matrix(c, "pmi", output="dense"), expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("unigram", [(5, np.nan, 2), (5, -5, 2), (5, np.inf, 2)])
def test_a_negative_or_non_finite_unigram_count_is_refused(unigram):
    with pytest.raises(InputDataError, match=r"the unigram count of 'b' is .*finite and non-negative \(1 are not\)"):
        cooc(unigram=unigram)


def test_side_fields_are_checked_against_the_vocabulary():
    with pytest.raises(
        InvalidParameterError, match=r"independent_pairs holds the pair \[0, -1\], outside the ids 0..2"
    ):
        cooc(independent_pairs=[[0, -1]])
    with pytest.raises(InvalidParameterError, match=r"independent_pairs holds the pair \[7, 0\]"):
        cooc(independent_pairs=[[1, 1], [7, 0]])
    with pytest.raises(InvalidParameterError, match=r"per_offset C_2 of shape \(2, 2\), expected \(3, 3\)"):
        cooc(per_offset=[sp.csr_matrix(COUNTS), sp.eye(2)])
    assert cooc(independent_pairs=[[0, 2]]).independent_pairs.tolist() == [[0, 2]]


def test_zero_block_takes_a_list_of_pairs_not_one_pair():
    c = cooc()
    with pytest.raises(InvalidParameterError, match=r"list of \(a, b\) pairs, got the item 'a' \(for one pair, pass"):
        c.zero_block(("a", "b"))
    with pytest.raises(InvalidParameterError, match=r"got the item 'ab'"):  # not the pairs (a, b) and (b, a)
        c.zero_block(("ab", "ba"))
    with pytest.raises(InvalidParameterError, match=r"got the item \('a', 'b', 'c'\)"):
        c.zero_block([("a", "b", "c")])
    assert {tuple(p) for p in c.zero_block([("a", "b")]).independent_pairs} == {(0, 1), (1, 0)}


def test_negative_counts_are_refused_before_they_are_saved_as_row_blocks(tmp_path):
    from cooc.cooccurrence.blocked import save_blocked

    counts = COUNTS.copy()
    counts[0, 1] = counts[1, 0] = -3.0
    with pytest.raises(InputDataError, match=r"save_blocked: the count of \('a', 'b'\) is -3.0"):
        save_blocked(cooc(counts), tmp_path / "blocked", n_blocks=2)  # a blocked target never saw them
    assert not list(tmp_path.iterdir())
    assert target_matrix(save_blocked(cooc(), tmp_path / "ok", n_blocks=2), "mstar").shape == (3, 3)
