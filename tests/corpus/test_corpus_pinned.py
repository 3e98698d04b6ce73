"""Pins for cooc.corpus (ranking, vocabulary, tokeniser) found by mutation testing, each checked against a
hand-computed value or a plain reference.

ranking: types that share an 8-byte prefix across a count boundary keep the count order; a sample takes every
key when a part holds at most SAMPLE_PER_PART of them; a key equal to a splitter is in the part above it.
vocab: bool sizes refused; the repeated word named; equality compares counts and totals; repr's head;
ids' missing value; frequencies of an empty corpus; truncate(0) refused; the total and carriage returns
survive a save; tabs, newlines and an empty vocabulary on saving.
tokenize: the substitution table's whole-word matching on both sides, empty targets refused, default
settings; load_substitutions' comment, spacing and token rules; the pure-Python UTF-8 line check.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, InputDataError, InvalidParameterError
from cooc.corpus import ranking
from cooc.corpus._tokenize_fast import TypeTable
from cooc.corpus.tokenize import StreamEncoder, Tokenizer, load_substitutions, normalise
from cooc.corpus.vocab import Vocabulary, check_savable


# -- ranking ------------------------------------------------------------------------------------------
def _table(types):
    table = TypeTable(capacity=8)
    table.intern(b"".join(types), [len(t) for t in types])
    return table


def test_a_shared_prefix_across_a_count_boundary_keeps_the_count_order():
    """'internatb' (count 2) and 'internata' (count 1) share their first 8 bytes and sit side by side in the
    (count, prefix) order; only ties in count are sorted by name."""
    types = [b"internatb", b"internata", b"zz", b"internatc", b"a"]
    counts = np.array([2, 1, 1, 1, 2])
    ids = np.arange(len(types))
    order = ranking.rank_order(_table(types), ids, counts)
    assert [types[i] for i in order] == sorted(types, key=lambda t: (-counts[types.index(t)], t))
    assert [types[i] for i in order] == [b"a", b"internatb", b"internata", b"internatc", b"zz"]


def test_a_small_input_is_sampled_whole_and_cut_at_its_median():
    """With at most SAMPLE_PER_PART keys per part the stride is 1: every key is in the sample, and the one
    splitter of two parts is the key of rank n // 2."""
    n = 2 * ranking.SAMPLE_PER_PART - 1
    rng = np.random.default_rng(0)
    major = -rng.permutation(n).astype(np.int64)
    minor = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)
    split_major, split_minor = ranking._splitters(major, minor, 2)
    rank = np.lexsort((minor, major))
    assert (split_major.tolist(), split_minor.tolist()) == ([major[rank[n // 2]]], [minor[rank[n // 2]]])


def test_a_key_equal_to_a_splitter_is_in_the_part_above_it():
    split_major, split_minor = np.array([-5, -5, -2]), np.array([3, 7, 0], dtype=np.uint64)
    major = np.array([-9, -5, -5, -5, -5, -5, -2, -2, -1])
    minor = np.array([9, 2, 3, 5, 7, 8, 0, 4, 0], dtype=np.uint64)
    # splitters at or below each key, comparing (major, minor)
    expected = [sum((sm, sn) <= (a, b) for sm, sn in zip(split_major, split_minor)) for a, b in zip(major, minor)]
    assert expected == [0, 0, 1, 1, 2, 2, 3, 3, 3]
    assert ranking._parts_of(major, minor, split_major, split_minor).tolist() == expected


# -- vocab --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"size": True}, {"min_count": True}, {"min_count": 1.0}])
def test_from_counts_refuses_booleans_and_floats(kwargs):
    with pytest.raises(InvalidParameterError):
        Vocabulary.from_counts({"a": 1, "b": 2}, **kwargs)


def test_ties_in_count_are_sorted_by_the_whole_word_from_its_first_letter():
    v = Vocabulary.from_counts({"ba": 2, "ab": 2, "b": 2, "ca": 3, "a": 1})
    assert v.words == ["ca", "ab", "b", "ba", "a"]  # count 3, then "ab" < "b" < "ba" at count 2, then count 1


def test_the_repeated_word_is_named():
    with pytest.raises(InvalidParameterError, match="word 'b' appears twice"):
        Vocabulary(["a", "b", "c", "b", "a"])


def test_equality_compares_words_counts_and_total():
    v = Vocabulary(["a", "b"], [3, 1])
    assert v == Vocabulary(["a", "b"], [3, 1], total=4)
    assert v != Vocabulary(["a", "b"], [3, 2], total=4)  # the same words and total, other counts
    assert v != Vocabulary(["a", "b"], [3, 1], total=9)  # the same words and counts, another total
    assert v != Vocabulary(["b", "a"], [3, 1]) and v != ["a", "b"]


def test_repr_shows_the_first_five_words():
    five = Vocabulary(list("abcde"))
    assert repr(five) == "Vocabulary(size=5, total=0, head=[a, b, c, d, e])"
    assert repr(Vocabulary(list("abcdef"), [1] * 6)) == "Vocabulary(size=6, total=6, head=[a, b, c, d, e, ...])"


def test_ids_use_the_given_missing_value_and_frequencies_survive_an_empty_total():
    v = Vocabulary(["x", "y"], [0, 0])
    assert v.ids(["y", "q", "x"], missing=99).tolist() == [1, 99, 0]
    with np.errstate(all="raise"):
        assert v.frequencies().tolist() == [0.0, 0.0]
    with pytest.raises(InvalidParameterError, match="vocab_size"):
        v.truncate(0)
    assert v.truncate(1).words == ["x"]


def test_a_saved_vocabulary_keeps_its_total_and_carriage_returns(tmp_path):
    v = Vocabulary(["a\rb", "c\r", "d"], [5, 3, 1], total=100)  # total: tokens outside the vocabulary too
    v.save(tmp_path / "v.tsv")
    assert (tmp_path / "v.tsv").read_bytes() == b"a\rb\t5\nc\r\t3\nd\t1\n"
    back = Vocabulary.load(tmp_path / "v.tsv")
    assert back.words == ["a\rb", "c\r", "d"] and back.counts.tolist() == [5, 3, 1] and back.total == 100


def test_a_line_with_two_tabs_is_no_word_and_count(tmp_path):
    path = tmp_path / "v.tsv"
    Vocabulary(["a"], [3]).save(path)
    path.write_bytes(b"a\tb\t3\n")  # a word holds no tab, so this is a damaged line, not the word 'a<TAB>b'
    with pytest.raises(CorruptFileError, match="line 1 is not"):
        Vocabulary.load(path)


def test_saving_refuses_tabs_and_newlines_but_not_an_empty_vocabulary(tmp_path):
    for bad in (["a", "b\tc"], ["a\tb"], ["a", "b\nc"]):
        with pytest.raises(InvalidParameterError, match="tabs or newlines"):
            check_savable(bad)
    check_savable(["a", "b c", "d\r"])
    empty = Vocabulary([], [])
    empty.save(tmp_path / "e.tsv")
    assert (tmp_path / "e.tsv").read_bytes() == b"" and Vocabulary.load(tmp_path / "e.tsv") == empty


# -- tokenize -----------------------------------------------------------------------------------------
def test_substitutions_match_whole_words_on_both_sides():
    tok = Tokenizer(substitutions={"new york": "new-york"})
    assert tok("renew york") == ["renew", "york"]
    assert tok("new yorkshire") == ["new", "yorkshire"]
    assert tok("a new york b") == ["a", "new-york", "b"]


def test_numbers_go_before_apostrophes_are_joined():
    """The papers' order: deleting '1.5' brings 'a' next to the apostrophe, which then goes as well."""
    assert re.sub(r"(?<=[a-z])'(?=[a-z])", "", re.sub(r"[0-9]+[,.][0-9]+", "", "a1.5'b")) == "ab"
    assert normalise("a1.5'b and x2,000’y") == "ab and xy"
    assert Tokenizer()("a1.5'b") == ["ab"]


def test_an_empty_substitution_target_is_refused():
    with pytest.raises(InputDataError, match="non-empty"):
        Tokenizer(substitutions={"two words": ""})


def test_default_settings_are_the_wiki_rule_without_a_minimum():
    tok = Tokenizer.from_settings({})
    assert (tok.rule, tok.min_doc_tokens, tok.substitutions) == ("wiki", 0, {})
    assert Tokenizer(min_doc_tokens=3).min_doc_tokens == 3


def test_load_substitutions_rules(tmp_path):
    path = tmp_path / "subs.tsv"
    path.write_text("  # an indented comment\nnew   york\nlos  angeles\t LA \n \t\n")
    assert load_substitutions(path) == {"new york": "new-york", "los angeles": "LA"}


def test_python_utf8_line_check_counts_every_bad_line(monkeypatch):
    from cooc.corpus import _tokenize_fast as fast

    monkeypatch.setattr(fast, "HAVE_NUMBA", False)
    data = b"ok\n\xff bad\nfine \xc3\xa9\n\xc3 bad\n\xe2\x82 bad\n"
    lines = data.split(b"\n")
    expected = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            expected += 1
    assert expected == 3
    encoder = StreamEncoder(Tokenizer())
    encoder._fast = None
    *_, bad = encoder.encode_lines(data)
    assert bad == expected


def test_the_chosen_vocabulary_counts_every_token_in_its_total():
    types = [b"the", b"cat", b"sat", b"mat"]
    counts = np.array([7, 3, 2, 1])
    chosen, vocab = ranking.choose_vocab(_table(types), counts, 2, 2)
    assert chosen.tolist() == [0, 1] and vocab.words == ["the", "cat"] and vocab.counts.tolist() == [7, 3]
    assert vocab.total == 7 + 3 + 2 + 1  # the tokens of the words left out count too
