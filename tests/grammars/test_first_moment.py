"""The first moment of varying-tree ambiguity: against enumeration of every tree, and against parsed grammars."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars import first_moment
from cooc.grammars.first_moment import (
    depth_contributions,
    expected_extra_trees,
    extra_trees,
    growth_by_depth,
    sample_shapes,
    shape_spans,
)
from cooc.grammars.parsing import InsideParser
from cooc.grammars.pcfg import VaryingTreeGrammar


def enumerated_trees(shape: list[np.ndarray]) -> list[tuple[int, int]]:
    """Every depth-L tree over the sentence except its own, as (nodes that do not repeat the own tree, lowest level of one).

    Levels count from the tokens (0) to the root (L), so a tree whose lowest new node is at
    level ``low`` reaches depth ``L - low`` below the root with its new nodes.
    """
    L = len(shape)
    n = int(shape[-1].sum())
    own = {(l, int(s), int(e)) for l, spans in enumerate(shape_spans(shape), start=1) for s, e in spans}

    @functools.cache
    def trees(level: int, i: int, j: int) -> tuple[tuple[bool, int, int], ...]:
        """Every subtree of ``level`` over tokens i..j as (repeats the own subtree, new nodes, lowest new level)."""
        if level == 0:
            return ((True, 0, L + 1),) if j == i + 1 else ()
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

    def _node(level: int, i: int, j: int, children: tuple[tuple[bool, int, int], ...]) -> tuple[bool, int, int]:
        repeats = (level, i, j) in own and all(c[0] for c in children)
        low = min(c[2] for c in children)
        return repeats, sum(c[1] for c in children) + (0 if repeats else 1), low if repeats else min(low, level)

    everything = trees(L, 0, n)
    assert sum(1 for repeats, _, _ in everything if repeats) == 1  # the own tree, once
    return [(k, low) for repeats, k, low in everything if not repeats]


def enumerated_extra_trees(shape: list[np.ndarray], f: float) -> float:
    """Sum over every depth-L tree over the sentence except its own of f ** (nodes that do not repeat the own tree)."""
    return sum(f**k for k, _ in enumerated_trees(shape))


@pytest.mark.parametrize("L", [2, 3])
def test_extra_trees_equal_enumeration(L):
    shapes = [s for s in sample_shapes(L, 40, seed=L) if s[-1].sum() <= 14][:6]
    assert len(shapes) >= 3
    for shape in shapes:
        for f in (0.1, 0.375, 0.8):
            assert extra_trees(shape, f, cut=0.0) == pytest.approx(
                enumerated_extra_trees(shape, f), rel=1e-12, abs=1e-15
            )


@pytest.mark.parametrize("L", [3, 4])
def test_depth_contributions_split_the_enumerated_trees_by_the_depth_their_new_nodes_reach(L):
    """C(d) from truncated shapes equals the enumerated trees whose lowest new node sits d - 1 below the root."""
    p2, most = (0.5, 14) if L == 3 else (0.9, 19)  # depth 4: mostly binary, so that enumeration stays small
    shapes = [s for s in sample_shapes(L, 400, p2=p2, seed=20 + L) if s[-1].sum() <= most][:4]
    assert len(shapes) >= 2
    for shape in shapes:
        trees = enumerated_trees(shape)
        for f in (0.25, 0.6):
            by_depth = np.zeros(L)
            for k, low in trees:
                by_depth[L - low] += f**k  # lowest new node at depth L - low: entry d - 1 = L - low
            got = depth_contributions(shape, f, cut=0.0)
            np.testing.assert_allclose(got, by_depth, rtol=1e-12, atol=1e-15)
            assert got[0] == 0 and got.sum() == pytest.approx(extra_trees(shape, f, cut=0.0), rel=1e-12)
    assert any(low < L - 1 for _, low in trees)  # some trees reach below the top two levels


def test_growth_by_depth_averages_the_same_shapes_truncated():
    f_values = [0.2, 0.3]
    g = growth_by_depth(5, f_values, n=30, seed=7, progress=False)
    shapes = sample_shapes(5, 30, seed=7)
    assert g["depths"] == [1, 2, 3, 4, 5] and g["growth_depths"] == [3, 4, 5]
    for i, f in enumerate(f_values):
        C = np.array([depth_contributions(s, f) for s in shapes])
        np.testing.assert_allclose(g["contribution"][i], C.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(g["growth"][i], C.mean(axis=0)[2:] / C.mean(axis=0)[1:-1], rtol=1e-12)
        # the running sum is the first moment of each depth, on the shapes' truncations
        for k in (3, 5):
            assert g["moment"][i][k - 1] == pytest.approx(np.mean([extra_trees(s[:k], f) for s in shapes]), rel=1e-9)
    same = expected_extra_trees(5, f_values, n=30, seed=7, progress=False)  # the same shapes
    np.testing.assert_allclose([m[-1] for m in g["moment"]], same["mean"], rtol=1e-9)
    assert all(a < b for a, b in zip(g["growth"][0], g["growth"][1]))  # lambda(d) grows with f


def test_threads_change_nothing_but_the_time(monkeypatch):
    one = growth_by_depth(5, [0.25, 0.35], n=12, seed=2, progress=False, threads=1)
    used = []
    real = first_moment.ThreadPoolExecutor
    monkeypatch.setattr(first_moment, "ThreadPoolExecutor", lambda k: used.append(k) or real(k))
    assert growth_by_depth(5, [0.25, 0.35], n=12, seed=2, progress=False, threads=3) == one
    moment = expected_extra_trees(5, [0.25, 0.35], n=12, seed=2, progress=False, threads=3)
    assert moment["mean"] == pytest.approx([m[-1] for m in one["moment"]], rel=1e-12)
    assert used == [3, 3, 3, 3]  # one pool of three per f, in both functions
    with pytest.raises(InvalidParameterError, match="threads"):
        expected_extra_trees(3, [0.3], n=2, threads=0)


def test_ratio_standard_error_matches_its_spread_over_replicates():
    rng = np.random.default_rng(0)
    estimates, errors = [], []
    for _ in range(2000):
        b = rng.exponential(1.0, 40)
        a = 0.8 * b + rng.normal(0, 0.3, 40) + rng.exponential(0.2, 40)
        r, se = first_moment._ratio_of_means(a, b)
        estimates.append(r)
        errors.append(se)
    assert np.std(estimates) == pytest.approx(np.median(errors), rel=0.1)
    assert np.isnan(first_moment._ratio_of_means(np.ones(3), np.zeros(3))[0])


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
    with pytest.raises(InvalidParameterError, match="L"):
        growth_by_depth(2, [0.3])
