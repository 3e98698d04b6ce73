"""Hypernymy: subtree counting and uniform sampling, g(k) and its null, tree modes, Park's diagnostic.

Exact checks use regular trees and the taxonomy model of ``cooc.grammars.taxonomy``; a
shuffled-token taxonomy corpus shows the alignment area falling to its null.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.embedding import Embedding
from cooc.geometry import hypernymy as H
from cooc.geometry.wordnet import Hierarchy
from cooc.grammars.taxonomy import TaxonomyModel, regular_tree
from cooc.spectral.estimator import SpectralEmbedding

from ..corpora import count_documents


def random_tree(rng, n: int, max_children: int = 4) -> np.ndarray:
    """A random tree whose nodes have 0..max_children children, in breadth-first order."""
    parent, frontier = [-1], [0]
    while frontier and len(parent) < n:
        v = frontier.pop(0)
        for _ in range(int(rng.integers(0, max_children + 1)) if v else max_children):
            if len(parent) < n:
                parent.append(v)
                frontier.append(len(parent) - 1)
    return np.array(parent)


def enumerate_subtrees(parent: np.ndarray, height: int) -> set[frozenset]:
    """Every perfect binary subtree of the given height, as node sets (brute force)."""
    kids = [np.flatnonzero(parent == v).tolist() for v in range(len(parent))]

    def rooted(v, h):
        if h == 0:
            return [frozenset([v])]
        out = []
        for a, b in itertools.combinations(kids[v], 2):
            for left in rooted(a, h - 1):
                for right in rooted(b, h - 1):
                    out.append(frozenset([v]) | left | right)
        return out

    return {t for v in range(len(parent)) for t in rooted(v, height)}


# -- counting and sampling -------------------------------------------------------------------------
def test_counts_match_brute_force_enumeration(rng):
    for _ in range(5):
        parent = random_tree(rng, 60)
        counts = H.count_perfect_subtrees(parent, 3)
        for h in (1, 2, 3):
            assert counts[:, h].sum() == len(enumerate_subtrees(parent, h))


def test_counts_on_a_regular_tree_and_with_ineligible_nodes():
    parent = regular_tree(3, 3)  # 40 nodes
    counts = H.count_perfect_subtrees(parent, 3)
    assert counts[0, 3] == 3 * 3**2 * 3**4  # choose 2 of 3 children at each of 1 + 2 + 4 nodes
    eligible = np.ones(len(parent), dtype=bool)
    eligible[1] = False
    assert H.count_perfect_subtrees(parent, 3, eligible)[0, 3] == 1 * 3**2 * 3**4


def test_sampling_is_uniform_and_valid(rng):
    from scipy import stats

    parent = random_tree(rng, 40, max_children=3)
    while len(enumerate_subtrees(parent, 2)) < 5:
        parent = random_tree(rng, 40, max_children=3)
    every = sorted(enumerate_subtrees(parent, 2), key=sorted)
    draws = H.sample_perfect_subtrees(parent, 400 * len(every), height=2, seed=int(rng.integers(1 << 30)))
    for row in draws[:200]:
        assert len(set(row)) == 7
        assert all(parent[row[2 * i + 1]] == row[i] and parent[row[2 * i + 2]] == row[i] for i in range(3))
    index = {t: i for i, t in enumerate(every)}
    freq = np.bincount([index[frozenset(r)] for r in draws], minlength=len(every))
    assert stats.chisquare(freq).pvalue > 1e-4


def test_a_tree_without_subtrees_is_refused():
    with pytest.raises(
        InputDataError, match=r"no perfect binary subtree of depth 3 \(the deepest it holds has depth 2\)"
    ):
        H.sample_perfect_subtrees(regular_tree(2, 2), 10)
    with pytest.raises(InputDataError, match=r"depth 3 \(the deepest it holds has depth 0\)"):
        H.sample_perfect_subtrees(regular_tree(1, 3), 10)  # a chain: single nodes only
    with pytest.raises(InvalidParameterError, match="n_samples"):
        H.sample_perfect_subtrees(regular_tree(2, 3), 0)


def test_heap_distances():
    D = H.heap_distances(3)
    assert D.shape == (15, 15) and np.all(D == D.T)
    assert D[0].tolist() == [0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]
    assert D[7, 8] == 2 and D[7, 9] == 4 and D[7, 14] == 6 and D[3, 4] == 2


# -- g(k) -----------------------------------------------------------------------------------------------
KERNEL = H.tree_kernel(H.heap_distances(3), 1.0, 0.8)


def test_alignment_of_a_matrix_with_itself_and_its_null(rng):
    best = H.alignment_curve(KERNEL, KERNEL, degenerate="best")
    assert best == pytest.approx(np.ones(15))
    mean = H.alignment_curve(KERNEL, KERNEL)
    assert mean[-1] == pytest.approx(1.0) and np.all(mean <= 1 + 1e-12)
    blocks = H._degenerate_blocks(np.linalg.eigvalsh(KERNEL)[::-1], 1e-9)
    ends = [b for _, b in blocks]
    assert mean[np.array(ends) - 1] == pytest.approx(np.ones(len(ends)))  # g = 1 wherever V_k is defined
    grams = np.array([(lambda X: X @ X.T)(rng.normal(size=(15, 40))) for _ in range(3000)])
    g = H.alignment_curve(grams, KERNEL)
    assert g.mean(axis=0) == pytest.approx(np.arange(1, 16) / 15, abs=0.01)
    assert H.alignment_area(g).mean() == pytest.approx(0.0, abs=0.003)


def test_best_completion_inside_a_degenerate_eigenspace(rng):
    """Rotating the kernel's eigenvectors inside its degenerate eigenspaces leaves 'best' at 1."""
    w, V = np.linalg.eigh(KERNEL)
    blocks = H._degenerate_blocks(w, 1e-9)
    for a, b in blocks:
        if b - a > 1:
            V[:, a:b] = V[:, a:b] @ np.linalg.qr(rng.normal(size=(b - a, b - a)))[0]
    gram = (V * (w + rng.uniform(0, 1e-6, size=15))) @ V.T  # splits the degeneracy in a random basis
    assert H.alignment_curve(gram, KERNEL, degenerate="best") == pytest.approx(np.ones(15), abs=1e-6)


def test_alignment_area_bounds():
    n = 15
    assert H.alignment_area(np.arange(1, n + 1) / n) == pytest.approx(0.0)
    assert H.alignment_area(np.ones(n)) == pytest.approx((n - 1) / (2 * n))


# -- tree modes (the theory) ------------------------------------------------------------------------
def test_mode_subspaces_are_orthonormal_and_complete(rng):
    parent = random_tree(rng, 30)
    spaces = H.tree_mode_subspaces(parent)
    Q = np.column_stack(list(spaces.values()))
    assert Q.shape == (30, 30)
    assert Q.T @ Q == pytest.approx(np.eye(30), abs=1e-10)
    assert spaces["scaling"].shape[1] == int(np.max([len(_path(parent, v)) for v in range(30)]))


def _path(parent, v):
    out = [v]
    while parent[out[-1]] >= 0:
        out.append(parent[out[-1]])
    return out


@pytest.mark.parametrize("branching,depth", [(2, 4), (3, 3)])
def test_taxonomy_kernel_eigenvectors_are_scaling_and_wavelets_coarse_to_fine(branching, depth):
    model = TaxonomyModel(branching=branching, depth=depth, beta=0.7)
    w, U = np.linalg.eigh(model.kernel())
    labels, purity = H.classify_modes(U[:, ::-1], model.parents)
    assert purity.min() > 1 - 1e-9  # every eigenvector is an exact mode
    assert labels[0] == "scaling"
    # the leading wavelets come coarse to fine: (b - 1) b^l modes at level l, for l = 0, 1, ...
    n_wave = (branching - 1) * np.array([branching**l for l in range(depth)])
    waves = [l for l in labels if l != "scaling"]
    leading = [l for l in range(depth - 1) for _ in range(n_wave[l])]
    assert waves[: len(leading)] == leading
    first = [labels.index(l) for l in range(depth)]
    assert first == sorted(first)


def test_mstar_embedding_of_the_exact_taxonomy_recovers_the_modes():
    model = TaxonomyModel(branching=2, depth=4, beta=1.0)
    fitted = SpectralEmbedding("mstar", dim=20).fit(model.exact_cooccurrence(window=1))
    labels, purity = H.classify_modes(fitted.eigenpairs_.vectors, model.parents)
    assert purity.min() > 1 - 1e-8
    waves = [l for l in labels if l != "scaling"]
    assert waves[:7] == [0, 1, 1, 2, 2, 2, 2]


# -- the alignment test on embeddings ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def taxonomy():
    return TaxonomyModel(branching=3, depth=4, beta=1.0, doc_length=20)


def test_exact_taxonomy_aligns_far_above_shuffled_labels(taxonomy):
    emb = SpectralEmbedding("mstar", dim=40).fit(taxonomy.exact_cooccurrence(window=1)).embedding_
    result = H.hypernymy_alignment(emb.vectors, taxonomy.parents, n_samples=300)
    area, shuffled = np.mean(result.area), np.mean(result.area_shuffled)
    assert area > 0.3 and area - shuffled > 0.15
    assert result.n_subtrees == 4 * 3**7  # 3^7 rooted at the root and at each of its 3 children
    assert result.beta > 0 and result.g[-1] == pytest.approx(1.0)
    # the premise holds: the Gram entries fall with tree distance, and the fit says so
    assert result.fit_refused is None and result.fit_r2 > 0.5
    assert np.all(np.diff(result.gram_by_distance)[:4] < 0) and len(result.gram_by_distance) == 6
    noise = H.hypernymy_alignment(
        np.random.default_rng(0).normal(size=emb.vectors.shape), taxonomy.parents, n_samples=300
    )
    assert abs(np.mean(noise.area)) < 0.03
    assert noise.fit_refused.startswith("the fit explains") and noise.as_dict()["fit_refused"] == noise.fit_refused
    # vectors sharing one direction and nothing else: cosines ~0.96 at every distance, the decay length runs off
    common = H.hypernymy_alignment(
        np.random.default_rng(0).normal(size=emb.vectors.shape) + 5, taxonomy.parents, n_samples=300
    )
    assert "exceeds 1000 x the largest tree distance (6)" in common.fit_refused
    assert np.ptp(common.gram_by_distance) < 0.01 < common.gram_by_distance.min()
    # a given beta is used as it is, with nothing fitted
    given = H.hypernymy_alignment(emb.vectors, taxonomy.parents, n_samples=50, beta=0.5)
    assert given.beta == 0.5 and np.isnan(given.fit_r2) and given.fit_refused is None


def test_a_gram_that_rises_with_tree_distance_has_its_kernel_fit_refused(taxonomy):
    # Gram c I - G: off the diagonal the taxonomy's decaying Gram negated, rising with distance; the fit of
    # alpha exp(-beta d) takes a negative alpha, which is no decay, and the alignment against exp(-beta d) is moot
    X = SpectralEmbedding("mstar", dim=40).fit(taxonomy.exact_cooccurrence(window=1)).embedding_.vectors
    lam, U = np.linalg.eigh(-(X @ X.T))
    rising = H.hypernymy_alignment(U * np.sqrt(lam - lam.min() + 1e-9), taxonomy.parents, n_samples=100)
    assert np.all(np.diff(rising.gram_by_distance)[[0, 1, 3]] > 0) and rising.alpha < 0
    assert rising.fit_refused.startswith("the fitted amplitude")
    assert H.hypernymy_alignment(X, taxonomy.parents, n_samples=100).fit_refused is None


def _counted_taxonomy(model: TaxonomyModel, shuffle: bool, tmp_path):
    tokens = model.sample(4000, seed=0)
    return count_documents(tokens, model.words, tmp_path / ("shuffled" if shuffle else "ordered"), 2, shuffle)


def test_shuffled_tokens_send_the_alignment_area_to_null(taxonomy, tmp_path):
    areas = {}
    for shuffle in (False, True):
        emb = SpectralEmbedding("mstar", dim=40).fit(_counted_taxonomy(taxonomy, shuffle, tmp_path)).embedding_
        result = H.hypernymy_alignment(emb.vectors, taxonomy.parents, n_samples=300, seed=2)
        areas[shuffle] = (np.mean(result.area), np.mean(result.area_shuffled), H.alignment_area(result.g))
    assert areas[False][0] > 0.3
    area, shuffled_labels, _ = areas[True]
    assert abs(area) < 0.02 and abs(shuffled_labels) < 0.02


# -- Park et al. ------------------------------------------------------------------------------------------
def test_park_diagnostic_is_zero_for_orthogonal_offsets_and_negative_for_random_pairs(rng):
    parent = regular_tree(2, 3)
    n, d = len(parent), 64
    X = np.zeros((n, d))
    basis = np.linalg.qr(rng.normal(size=(d, n)))[0].T  # n orthonormal directions
    for v in range(n):  # each node adds its own direction
        X[v] = (X[parent[v]] if parent[v] >= 0 else 0) + basis[v]
    res = H.park_diagnostic(X, parent, center=False)
    assert res.cos == pytest.approx(np.zeros(n - 1), abs=1e-12)
    assert np.mean(res.cos_random) < -0.1
    assert H.park_diagnostic(X, parent, representation="subtree").cos.shape == (n - 1,)
    with pytest.raises(InvalidParameterError, match="representation"):
        H.park_diagnostic(X, parent, representation="lda")


def test_subtree_means_by_hand():
    parent = np.array([-1, 0, 0, 1])
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert H.subtree_means(X, parent).ravel().tolist() == [1.5, 2.0, 2.0, 3.0]


def test_report_on_an_edge_list_hierarchy(taxonomy, tmp_path):
    emb = SpectralEmbedding("mstar", dim=40).fit(taxonomy.exact_cooccurrence(window=1)).embedding_
    edges = [(taxonomy.words[c], taxonomy.words[p]) for c, p in enumerate(taxonomy.parents) if p >= 0]
    hierarchy = Hierarchy.from_edges(edges + [("ghost", taxonomy.words[5])])  # 'ghost' has no vector
    report = H.hypernymy_report(emb, hierarchy, n_samples=200)
    assert report.n_nodes == len(taxonomy.words) and report.n_roots == 1
    assert np.mean(report.alignment.area) > 0.3
    assert dict(report.rows())["tree of words"].startswith(f"{len(taxonomy.words)} nodes")
    with pytest.raises(InputDataError, match="no node"):
        H.hypernymy_report(Embedding(np.ones((2, 2)), ["x", "y"]), hierarchy)
    emb.save(tmp_path / "emb")  # by path: the same report
    by_path = H.hypernymy_report(tmp_path / "emb", hierarchy, n_samples=200)
    np.testing.assert_array_equal(by_path.alignment.area, report.alignment.area)


def test_the_report_table_says_when_the_kernel_fit_is_refused(taxonomy):
    # `cooc geometry hypernymy` prints rows(): vectors sharing one direction and nothing else have a flat Gram,
    # and the table must not show their alignment area as if it measured the tree
    edges = [(taxonomy.words[c], taxonomy.words[p]) for c, p in enumerate(taxonomy.parents) if p >= 0]
    flat = Embedding(np.random.default_rng(0).normal(size=(len(taxonomy.words), 40)) + 5, list(taxonomy.words))
    report = H.hypernymy_report(flat, Hierarchy.from_edges(edges), n_samples=100)
    assert report.alignment.fit_refused
    assert f"refused: {report.alignment.fit_refused}" in dict(report.rows())["kernel fit"]
    good = SpectralEmbedding("mstar", dim=40).fit(taxonomy.exact_cooccurrence(window=1)).embedding_
    fitted = H.hypernymy_report(good, Hierarchy.from_edges(edges), n_samples=100)
    assert fitted.alignment.fit_refused is None and "refused" not in dict(fitted.rows())["kernel fit"]


def test_park_random_baseline_is_uniform_over_the_non_ancestors(rng):
    """Each replacement parent is identified by its cosine: never the child or an ancestor, every other node alike."""
    parent = np.array([-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, -1, 13])  # two trees
    n = len(parent)
    X = rng.normal(size=(n, 8)) + 2.0  # a common direction, as in raw embeddings
    child = np.flatnonzero(parent >= 0)

    def ancestors_or_self(v):
        out = {int(v)}
        while parent[v] >= 0:
            v = parent[v]
            out.add(int(v))
        return out

    diff = X[child][:, None, :] - X[None, :, :]  # every (child, node) pair's cosine, by hand
    table = np.einsum("cod,od->co", diff, X) / (np.linalg.norm(diff, axis=2) * np.linalg.norm(X, axis=1) + 1e-300)
    draws = 1500
    counts = np.zeros((len(child), n))
    for seed in range(draws):
        res = H.park_diagnostic(X, parent, center=False, seed=seed)
        drawn = np.abs(table - res.cos_random[:, None]).argmin(axis=1)
        np.testing.assert_allclose(table[np.arange(len(child)), drawn], res.cos_random, rtol=0, atol=1e-12)
        counts[np.arange(len(child)), drawn] += 1
    for k, c in enumerate(child):
        allowed = np.array([o not in ancestors_or_self(c) for o in range(n)])
        assert (counts[k, ~allowed] == 0).all()  # never the child, its parent or another ancestor
        expected = draws / allowed.sum()
        assert np.abs(counts[k, allowed] - expected).max() < 5 * np.sqrt(expected)
    again = H.park_diagnostic(X, parent, center=False, seed=7)
    np.testing.assert_array_equal(again.cos_random, H.park_diagnostic(X, parent, center=False, seed=7).cos_random)


def test_park_random_baseline_on_a_chain_has_nothing_to_draw_for_its_last_node():
    parent = np.array([-1, 0, 1])  # 0 -> 1 -> 2: node 1 can only take 2, node 2 has no non-ancestor
    X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    res = H.park_diagnostic(X, parent, center=False, seed=3)
    diff = X[1] - X[2]
    assert res.cos_random[0] == pytest.approx(diff @ X[2] / (np.linalg.norm(diff) * np.linalg.norm(X[2])))
    assert np.isnan(res.cos_random[1])
    assert res.as_dict()["park_random_mean"] == pytest.approx(res.cos_random[0])
    with pytest.raises(InputDataError, match="cycle"):
        H.park_diagnostic(X, np.array([-1, 2, 1]), center=False)
