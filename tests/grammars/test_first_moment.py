"""The first moment of varying-tree ambiguity: against enumeration of every tree, and against parsed grammars."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars import first_moment
from cooc.grammars.first_moment import expected_extra_trees, extra_trees, sample_shapes, shape_spans
from cooc.grammars.parsing import InsideParser
from cooc.grammars.pcfg import VaryingTreeGrammar


def enumerated_extra_trees(shape: list[np.ndarray], f: float) -> float:
    """Sum over every depth-L tree over the sentence except its own of f ** (nodes that do not repeat the own tree)."""
    L = len(shape)
    n = int(shape[-1].sum())
    own = {(l, int(s), int(e)) for l, spans in enumerate(shape_spans(shape), start=1) for s, e in spans}

    @functools.cache
    def trees(level: int, i: int, j: int) -> tuple[tuple[bool, int], ...]:
        """Every subtree of ``level`` over tokens i..j as (repeats the own subtree, nodes that do not)."""
        if level == 0:
            return ((True, 0),) if j == i + 1 else ()
        out = []
        for a in range(i + 1, j):
            for left in trees(level - 1, i, a):
                for right in trees(level - 1, a, j):
                    out.append(_node(level, i, j, (left, right)))
                for b in range(a + 1, j):
                    for mid in trees(level - 1, a, b):
                        for right in trees(level - 1, b, j):
                            out.append(_node(level, i, j, (left, mid, right)))
        return tuple(out)

    def _node(level: int, i: int, j: int, children: tuple[tuple[bool, int], ...]) -> tuple[bool, int]:
        repeats = (level, i, j) in own and all(c[0] for c in children)
        return repeats, sum(c[1] for c in children) + (0 if repeats else 1)

    everything = trees(L, 0, n)
    assert sum(1 for repeats, _ in everything if repeats) == 1  # the own tree, once
    return sum(f**k for repeats, k in everything if not repeats)


@pytest.mark.parametrize("L", [2, 3])
def test_extra_trees_equal_enumeration(L):
    shapes = [s for s in sample_shapes(L, 40, seed=L) if s[-1].sum() <= 14][:6]
    assert len(shapes) >= 3
    for shape in shapes:
        for f in (0.1, 0.375, 0.8):
            assert extra_trees(shape, f, cut=0.0) == pytest.approx(
                enumerated_extra_trees(shape, f), rel=1e-12, abs=1e-15
            )


def test_python_path_equals_compiled_kernel(monkeypatch):
    shapes = sample_shapes(4, 3, seed=3)
    compiled = [extra_trees(s, 0.35, cut=0.0) for s in shapes]
    kernel = getattr(first_moment._level, "py_func", first_moment._level)
    monkeypatch.setattr(first_moment, "_level", kernel)
    assert [extra_trees(s, 0.35, cut=0.0) for s in shapes] == pytest.approx(compiled, rel=1e-12)


def test_cut_changes_little():
    shape = sample_shapes(6, 1, seed=4)[0]
    assert extra_trees(shape, 0.3) == pytest.approx(extra_trees(shape, 0.3, cut=0.0), rel=1e-9)


def test_shapes_and_spans():
    shape = sample_shapes(3, 1, p2=0.5, seed=1)[0]
    assert shape[0].size == 1 and all(shape[d + 1].size == shape[d].sum() for d in range(2))
    spans = shape_spans(shape)
    n = int(shape[-1].sum())
    assert spans[-1].tolist() == [[0, n]]
    for level in spans:  # every level tiles the sentence
        assert level[0, 0] == 0 and level[-1, 1] == n and (level[1:, 0] == level[:-1, 1]).all()
    binary = np.concatenate([c for s in sample_shapes(3, 200, p2=0.2, seed=2) for c in s])
    assert (binary == 2).mean() == pytest.approx(0.2, abs=0.03)


def test_first_moment_matches_parsed_grammars():
    """Mean number of extra trees of sampled sentences, parsed exactly, against the v-large first moment."""
    extra = []
    for rule_seed in range(3):
        g = VaryingTreeGrammar(v=64, f=0.375, L=3, rule_seed=rule_seed)
        extra.append(InsideParser(g).parse(g.sample(500, seed=10 + rule_seed)).n_parses - 1)
    measured = np.concatenate(extra)
    theory = expected_extra_trees(3, [0.375], n=3000, seed=5)
    se = np.hypot(measured.std() / np.sqrt(measured.size), theory["mean_se"][0])
    # 0.163 +- 0.011 measured against 0.159 +- 0.0014; same-class rejoinings add O(1/v)
    assert theory["mean"][0] == pytest.approx(measured.mean(), abs=4 * se + 0.01)
    assert 0.1 < theory["mean"][0] < 0.25


def test_first_moment_grows_with_f_and_depth():
    low = expected_extra_trees(4, [0.2, 0.3, 0.4], n=40, seed=0)
    high = expected_extra_trees(6, [0.2, 0.3, 0.4], n=40, seed=0)
    assert low["mean"] == sorted(low["mean"]) and high["mean"] == sorted(high["mean"])
    assert high["mean"][0] < 0.04  # f = 0.2: settles (0.019 at L = 5, 0.021 at L = 6)
    assert high["mean"][2] > 20 * low["mean"][2]  # f = 0.4: explodes
    assert high["above_one"][2] > 0.5 and high["above_one"][0] == 0


def test_bad_input():
    with pytest.raises(InvalidParameterError):
        sample_shapes(0, 3)
    with pytest.raises(InvalidParameterError):
        sample_shapes(3, 3, p2=1.0)
    with pytest.raises(InvalidParameterError):
        extra_trees(sample_shapes(2, 1)[0], 1.5)
