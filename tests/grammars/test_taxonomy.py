"""Taxonomy model: tree distances, exact kernel alpha exp(-beta d), Markov documents converge to it."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars._exact import pair_histogram
from cooc.grammars.taxonomy import TaxonomyModel, regular_tree
from cooc.spectral.targets import Target

from ._helpers import assert_within_standard_errors


def bfs_distances(parents: np.ndarray) -> np.ndarray:
    """Tree distances by breadth-first search over the undirected edges (reference)."""
    V = len(parents)
    neighbours = [[] for _ in range(V)]
    for child, parent in enumerate(parents):
        if parent >= 0:
            neighbours[child].append(parent)
            neighbours[parent].append(child)
    D = np.full((V, V), -1)
    for source in range(V):
        D[source, source] = 0
        queue = deque([source])
        while queue:
            u = queue.popleft()
            for w in neighbours[u]:
                if D[source, w] < 0:
                    D[source, w] = D[source, u] + 1
                    queue.append(w)
    return D


def test_regular_tree_layout():
    parents = regular_tree(3, 2)
    assert parents.tolist() == [-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    model = TaxonomyModel(branching=3, depth=2)
    assert model.depths.tolist() == [0, 1, 1, 1] + [2] * 9
    assert [c.tolist() for c in model.children()[:2]] == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_distances_match_breadth_first_search_on_random_trees(seed):
    rng = np.random.default_rng(seed)
    V = 40
    parents = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, V)])
    perm = rng.permutation(V)  # relabel nodes so the root is not node 0
    inverse = np.argsort(perm)
    relabelled = np.where(parents[perm] >= 0, inverse[np.maximum(parents[perm], 0)], -1)
    model = TaxonomyModel(relabelled, beta=0.5)
    np.testing.assert_array_equal(model.distances, bfs_distances(relabelled))


def test_kernel_is_alpha_exp_minus_beta_d():
    model = TaxonomyModel(branching=2, depth=3, beta=0.8)
    K = model.kernel()
    np.testing.assert_allclose(K, model.alpha * np.exp(-0.8 * model.distances), rtol=1e-14)
    np.testing.assert_allclose(K.sum(), 1.0)
    no_self = TaxonomyModel(branching=2, depth=3, beta=0.8, self_pairs=False)
    assert np.all(np.diag(no_self.kernel()) == 0)
    off = ~np.eye(15, dtype=bool)
    np.testing.assert_allclose(no_self.kernel()[off], no_self.alpha * np.exp(-0.8 * model.distances[off]), rtol=1e-14)


def test_markov_chain_is_stationary_and_reversible():
    model = TaxonomyModel(branching=3, depth=2, beta=1.3)
    T, pi = model.transition(), model.unigram()
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-15)
    for lag in (1, 2, 5):
        J = model.joint(lag)
        np.testing.assert_allclose(J, J.T, atol=1e-15)
        np.testing.assert_allclose(J.sum(axis=1), pi, atol=1e-15)
    np.testing.assert_allclose(model.joint(1), model.kernel(), atol=1e-16)


def test_window_joint_weights():
    model = TaxonomyModel(branching=2, depth=2, beta=1.0, doc_length=5)
    J1, J2 = model.joint(1), model.joint(2)
    # doc length 5: 4 pairs at lag 1, 3 at lag 2; linear weights (3 - k) for a window of 2
    np.testing.assert_allclose(model.window_joint(2), (4 * J1 + 3 * J2) / 7)
    np.testing.assert_allclose(model.window_joint(2, "linear"), (2 * 4 * J1 + 3 * J2) / 11)
    np.testing.assert_allclose(model.window_joint(2, "harmonic"), (4 * J1 + 1.5 * J2) / 5.5)
    np.testing.assert_allclose(model.window_joint(10), model.window_joint(4))  # lags stop at T - 1


def test_sampled_cooccurrence_converges_to_the_exact_kernel():
    model = TaxonomyModel(branching=2, depth=2, beta=0.7, doc_length=8)
    V = model.vocab_size
    adjacent, window = [], []
    for g in range(40):
        tokens = model.sample(2000, seed=500 + g)
        assert tokens.shape == (2000, 8) and tokens.dtype == np.int32
        H1 = pair_histogram(tokens, V, lags=[1])
        H3 = pair_histogram(tokens, V, lags=[1, 2, 3])
        adjacent.append(H1 / H1.sum())
        window.append(H3 / H3.sum())
    assert_within_standard_errors(np.stack(adjacent), model.kernel())
    assert_within_standard_errors(np.stack(window), model.window_joint(3))


def test_exact_cooccurrence_feeds_targets():
    model = TaxonomyModel(branching=2, depth=2, beta=0.5)
    P = model.window_joint(2)
    p = model.unigram()
    expected = 2 * (P - np.outer(p, p)) / (P + np.outer(p, p))
    mstar = Target("mstar").fit(model.exact_cooccurrence(window=2)).matrix_
    np.testing.assert_allclose(mstar, expected, atol=1e-12)
    # nearer concepts co-occur more: M* decreases with tree distance from the root's child
    row, d = mstar[1], model.distances[1]
    assert row[d == 1].min() > row[d == 2].max() > -1


@pytest.mark.parametrize(
    "parents, message",
    [
        ([-1, -1, 0], "exactly one root"),
        ([1, 2, 0], "exactly one root"),
        ([-1, 2, 1], "contains a cycle"),
        ([-1, 5, 0], "parents in \\[0, 3\\)"),
        ([-1], "at least 2 nodes"),
    ],
)
def test_bad_trees_are_refused(parents, message):
    with pytest.raises(InvalidParameterError, match=message):
        TaxonomyModel(np.array(parents))


def test_bad_parameters_are_refused():
    with pytest.raises(InvalidParameterError, match="'beta' must be a number in \\[0, inf\\)"):
        TaxonomyModel(beta=-1.0)
    with pytest.raises(InvalidParameterError, match="'depth' must be an integer in \\[1, inf\\)"):
        TaxonomyModel(depth=0)
    with pytest.raises(InvalidParameterError, match="must name 7 nodes"):
        TaxonomyModel(depth=2, words=["a"])
    with pytest.raises(InvalidParameterError, match="'n_docs' must be an integer in \\[1, inf\\)"):
        TaxonomyModel().sample(0)


def naive_kernel(model: TaxonomyModel) -> np.ndarray:
    """``exp(-beta d)`` normalised directly (reference where nothing under- or overflows)."""
    k = np.exp(-model.beta * model.distances.astype(np.float64))
    if not model.self_pairs:
        np.fill_diagonal(k, 0.0)
    return k / k.sum()


@pytest.mark.parametrize("self_pairs", [True, False])
@pytest.mark.parametrize("beta", [0.0, 0.8, 5.0, 60.0])
def test_stable_kernel_matches_the_direct_computation(beta, self_pairs):
    model = TaxonomyModel(branching=2, depth=3, beta=beta, self_pairs=self_pairs)
    np.testing.assert_allclose(model.kernel(), naive_kernel(model), rtol=1e-12, atol=0)
    alpha = 1.0 / np.exp(-beta * model.distances[~np.eye(model.vocab_size, dtype=bool) | self_pairs]).sum()
    assert model.alpha == pytest.approx(alpha, rel=1e-12)


@pytest.mark.parametrize("beta", [800.0, 1e6])
def test_large_beta_gives_the_limiting_kernel_and_samples_along_edges(beta):
    # exp(-800 d) underflows to 0 for every d >= 1: the kernel used to be 0 / 0 = NaN and sample() all node 0
    model = TaxonomyModel(branching=2, depth=2, beta=beta, self_pairs=False, doc_length=8)
    K = model.kernel()
    assert np.isfinite(K).all() and K.sum() == pytest.approx(1.0, abs=1e-12)
    # the limit beta -> inf: uniform over the ordered pairs at the smallest distance (the 2 * 6 edge ends)
    edges = model.distances == 1
    np.testing.assert_allclose(K, edges / edges.sum(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(model.transition().sum(axis=1), 1.0, rtol=1e-12)
    docs = model.sample(200, seed=0)
    assert len(np.unique(docs)) == model.vocab_size  # every node is visited
    assert (model.distances[docs[:, :-1], docs[:, 1:]] == 1).all()  # each step follows an edge
    with_self = TaxonomyModel(branching=2, depth=2, beta=beta, self_pairs=True)
    np.testing.assert_allclose(with_self.kernel(), np.eye(7) / 7, rtol=1e-12, atol=1e-300)


class _Built(Exception):
    pass


@pytest.mark.parametrize(
    "branching, depth, n_nodes, allowed",
    [
        (1, 8191, 8192, True),  # a chain: depth + 1 nodes
        (1, 8192, 8193, False),
        (1, 200_000_000, 200_000_001, False),  # was built (min(depth, 64) capped the count) before being refused
        (2, 12, 8191, True),
        (2, 13, 16383, False),
        (90, 2, 8191, True),
        (91, 2, 8373, False),
        (2, 10**12, None, False),
    ],
)
def test_the_node_count_bound_is_checked_before_the_tree_is_built(monkeypatch, branching, depth, n_nodes, allowed):
    """The pre-check counts sum(branching**d, d <= depth) exactly (without building anything)."""
    import cooc.grammars.taxonomy as taxonomy

    def built(*args):
        raise _Built

    monkeypatch.setattr(taxonomy, "regular_tree", built)
    if allowed:
        assert sum(branching**d for d in range(depth + 1)) == n_nodes
        with pytest.raises(_Built):
            TaxonomyModel(branching=branching, depth=depth)
    else:
        with pytest.raises(
            InvalidParameterError,
            match=rf"branching {branching} and depth {depth} has more than 8192 nodes, the most the dense kernel",
        ):
            TaxonomyModel(branching=branching, depth=depth)
