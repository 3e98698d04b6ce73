from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, InvalidParameterError
from cooc.corpus.vocab import Vocabulary


def test_ties_broken_alphabetically():
    v = Vocabulary.from_counts({"pear": 2, "apple": 2, "fig": 5, "kiwi": 1, "date": 2})
    assert v.words == ["fig", "apple", "date", "pear", "kiwi"]
    assert v.counts.tolist() == [5, 2, 2, 2, 1]
    assert v.total == 12


def test_size_and_min_count():
    counts = {"a": 10, "b": 3, "c": 3, "d": 1}
    assert Vocabulary.from_counts(counts, size=2).words == ["a", "b"]
    assert Vocabulary.from_counts(counts, min_count=3).words == ["a", "b", "c"]
    assert Vocabulary.from_counts(counts, size=2).total == 17  # total counts every token


def test_lookups():
    v = Vocabulary(["x", "y", "z"], [3, 2, 1])
    assert v["y"] == 1 and "z" in v and "w" not in v and len(v) == 3
    assert v.ids(["z", "w", "x"]).tolist() == [2, -1, 0]
    assert np.allclose(v.frequencies(), [0.5, 1 / 3, 1 / 6])
    assert v.truncate(2).words == ["x", "y"] and v.truncate(2).total == 6
    with pytest.raises(KeyError, match="'w'"):
        v["w"]


@pytest.mark.parametrize("kwargs", [{"size": 0}, {"size": -3}, {"size": 2.5}, {"min_count": 0}])
def test_bad_sizes(kwargs):
    with pytest.raises(InvalidParameterError):
        Vocabulary.from_counts({"a": 1}, **kwargs)


def test_counts_that_are_not_whole_non_negative_numbers_are_refused():
    """A cast to int64 would cut 2.7 to 2 and probabilities to 0: refused, as are negative counts."""
    for counts, match in (
        ([2.7, 3.9, 1.5], r"whole numbers of occurrences, got 2.7 \(at position 0\)"),
        ([0.5, 0.3, 0.2], r"got 0.5"),
        ([3.0, np.nan, 1.0], r"got nan \(at position 1\)"),
        ([3.0, np.inf, 1.0], r"got inf \(at position 1\)"),
        ([5, -3, 2], r"the count of 'b' is -3, below 0"),
        (["5", "3", "2"], r"counts of dtype <U1, expected whole numbers"),
        ([1e20, 3.0, 2.0], r"the count 1e\+20 \(at position 0\) exceeds int64's range"),  # not a wrapped -9.2e18
        (np.array([2**63 + 5, 3, 2], dtype=np.uint64), r"the count 9223372036854775813 \(at position 0\) exceeds"),
        ([2**70, 3, 2], r"the count 1180591620717411303424 exceeds int64's range"),
    ):
        with pytest.raises(InvalidParameterError, match=match):
            Vocabulary(["a", "b", "c"], counts)
    assert Vocabulary(["a", "b", "c"], [5.0, 3.0, 0.0]).counts.tolist() == [5, 3, 0]  # whole floats are counts
    assert Vocabulary(["a", "b", "c"], np.array([5, 3, 0], dtype=np.uint16)).counts.dtype == np.int64


def test_duplicate_word_refused():
    with pytest.raises(InvalidParameterError, match="twice"):
        Vocabulary(["a", "b", "a"])


def test_save_load_round_trip(tmp_path):
    v = Vocabulary.from_counts({"b": 2, "a": 2, "ç": 7})
    v.save(tmp_path / "vocab.tsv")
    assert (tmp_path / "vocab.tsv").read_text().splitlines()[0] == "ç\t7"
    assert Vocabulary.load(tmp_path / "vocab.tsv") == v


def test_load_corrupt(tmp_path):
    v = Vocabulary(["a", "b"], [2, 1])
    v.save(tmp_path / "v.tsv")
    (tmp_path / "v.tsv").write_text("a\t2\nb\tnot-a-number\n")
    with pytest.raises(CorruptFileError, match="line 2"):
        Vocabulary.load(tmp_path / "v.tsv")
    (tmp_path / "v.tsv").write_text("a\t2\n")
    with pytest.raises(CorruptFileError, match="1 words"):
        Vocabulary.load(tmp_path / "v.tsv")
    (tmp_path / "v.tsv.json").write_text("{}")
    with pytest.raises(CorruptFileError, match="not a cooc vocabulary"):
        Vocabulary.load(tmp_path / "v.tsv")
    with pytest.raises(CorruptFileError, match="missing"):
        Vocabulary.load(tmp_path / "absent.tsv")


@pytest.mark.parametrize(
    "damage, message", [(b"\xff\xfe\tbroken\n", "not valid UTF-8"), (b"word\tnot-a-count\n", "line 1 is not")]
)
def test_a_damaged_vocabulary_file_is_a_clear_error(tmp_path, damage, message):
    path = tmp_path / "vocab.tsv"
    Vocabulary(["a", "b"], [3, 1]).save(path)
    path.write_bytes(damage)
    with pytest.raises(CorruptFileError, match=message):
        Vocabulary.load(path)


def test_a_vocabulary_declared_distinct_indexes_words_at_the_first_lookup():
    v = Vocabulary(["the", "cat", "sat"], [5, 2, 1], distinct=True)
    assert v._index is None  # a corpus build's millions of words are not indexed unless looked up
    assert v["sat"] == 2 and "cat" in v and v.ids(["dog", "the"]).tolist() == [-1, 0]
    assert v == Vocabulary(["the", "cat", "sat"], [5, 2, 1]) and v.truncate(2).words == ["the", "cat"]
