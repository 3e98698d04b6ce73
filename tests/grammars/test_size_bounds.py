"""Grammars too large to hold are refused at once (they hung computing their sizes), and NaN parameters too."""

from __future__ import annotations

import time

import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.pcfg import VaryingTreeGrammar
from cooc.grammars.rhm import MAX_TOKENS, RandomHierarchyModel
from cooc.grammars.source import make_grammar, parse_grammar_spec
from cooc.grammars.taxonomy import TaxonomyModel


def test_sentences_longer_than_the_bound_are_refused_at_once():
    assert MAX_TOKENS == 2**20
    start = time.perf_counter()
    for L in (21, 40, 10**9):
        with pytest.raises(InvalidParameterError, match="at most 1,048,576 are allowed"):
            RandomHierarchyModel(v=8, n_c=4, m=4, s=2, L=L)
    with pytest.raises(InvalidParameterError, match=r"81\*\*4 tokens"):
        RandomHierarchyModel(v=81, n_c=2, m=2, s=81, L=4)  # 81**4 = 3**16 > 2**20
    for L in (13, 40):
        with pytest.raises(InvalidParameterError, match=r"L <= 12"):
            VaryingTreeGrammar(v=4, f=0.5, L=L)
    for depth in (13, 40, 10**9):
        with pytest.raises(InvalidParameterError, match="more than 8192 nodes"):
            TaxonomyModel(branching=2, depth=depth)
    assert time.perf_counter() - start < 5
    assert RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=20).n_positions == MAX_TOKENS  # the bound itself is allowed
    assert VaryingTreeGrammar(v=4, f=0.5, L=12).L == 12
    assert len(TaxonomyModel(branching=2, depth=8).parents) == 511


@pytest.mark.parametrize(
    "spec", ["taxonomy:branching=2,depth=3,beta=nan", "varying-tree:v=4,f=nan,L=3", "rhm:v=8,n_c=4,m=2,s=2,L=2,a=nan"]
)
def test_nan_grammar_parameters_are_refused(spec):
    with pytest.raises(InvalidParameterError, match="got nan"):
        make_grammar(*parse_grammar_spec(spec))


def test_a_grammar_with_a_huge_number_of_sentences_writes_it_as_a_power_of_ten():
    big = make_grammar(*parse_grammar_spec("rhm:v=8,n_c=4,m=4,s=2,L=13"))  # P_max = 4 * 4**8191: 4,932 digits
    assert big.params["P_max"] == "about 10^4932"
    assert make_grammar(*parse_grammar_spec("rhm:v=8,n_c=4,m=2,s=2,L=3")).params["P_max"] == str(4 * 2**7)
