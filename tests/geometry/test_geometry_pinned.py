"""Pins for cooc.geometry found by mutation testing: each test checks values against an independent computation.

analogy: the family mean skips empty families; AccuracyCurve.best is the first maximum; gensim's protocol
reads 300,000 words by default, always excludes the query words and every other spelling of them (against
gensim); answer_in_query counts d equal to a, b or c.
symmetry: the circle fit's relative residual; |Spearman|; PC2 in the linear order score; eigen_embed's p;
recover_order's padding of 1-D vectors; rank_helpers' order; helper_curve's and zero_block's independence
value; ideal shapes.
hypernymy: tree_kernel; the refusal thresholds; the given beta reaching g(k); a degenerate block starting at 1;
Park's centring.
places: the shuffled-label p-value (1 + #null >= observed) / (1 + n) of the mean R^2.
probe: principal_coordinates are the centred rows projected on the top components.
kernels: a fitted linear kernel's value includes its offset; R^2 and the standard errors (SSE / (m - p)) against
curve_fit; a circular fit's small sigma; symmetry_residual
and distance_profile classes for unsorted, non-integer positions; distance_profile's null std (population std of the shuffled means); exponential_r2_scan's grid.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import procrustes as scipy_procrustes

from cooc.embedding import Embedding
from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies, question_coverage
from cooc.geometry.hypernymy import (
    alignment_curve,
    heap_distances,
    hypernymy_alignment,
    park_diagnostic,
    sample_perfect_subtrees,
    tree_kernel,
    tree_kernel_refused,
)
from cooc.geometry.kernels import (
    KernelFit,
    distance_profile,
    exponential_r2_scan,
    fit_circular_kernel,
    fit_exponential_kernel,
    fit_linear_kernel,
    symmetry_residual,
)
from cooc.geometry.places import ProbeNull
from cooc.geometry.symmetry import (
    eigen_embed,
    fit_circle,
    helper_curve,
    ideal_shape,
    line_order,
    load_family,
    principal_coordinates,
    rank_helpers,
    recover_order,
    zero_block,
)


# -- analogy ------------------------------------------------------------------------------------
def _analogy_embedding():
    """a_i = e_i, b_i = e_i + e_5: every pair of the 'good' family shares one offset, so it scores 1."""
    e = np.eye(6)
    words = ["a0", "a1", "a2", "b0", "b1", "b2"]
    vecs = [e[0], e[1], e[2], e[0] + e[5], e[1] + e[5], e[2] + e[5]]
    return Embedding(np.array(vecs), words)


def test_mean_family_accuracy_skips_families_without_questions():
    emb = _analogy_embedding()
    pairs = {
        "good": [("a0", "b0"), ("a1", "b1"), ("a2", "b2")],
        "bad": [("a0", "b1"), ("a1", "b2"), ("a2", "b0")],
        "unseen": [("zz", "yy"), ("xx", "ww")],
    }
    res = evaluate_analogies(emb, pairs, protocol="pairs")
    accs = {f.name: f.accuracy for f in res.families}
    assert res.family("unseen").total == 0 and np.isnan(accs["unseen"])
    expected = (accs["good"] + accs["bad"]) / 2  # the unweighted mean over the two families with questions
    assert accs["good"] == 1.0
    assert res.mean_family_accuracy == pytest.approx(expected)


def test_accuracy_curve_best_is_the_first_maximum():
    emb = _analogy_embedding()
    pairs = {"good": [("a0", "b0"), ("a1", "b1"), ("a2", "b2")]}
    curve = accuracy_vs_k(emb, [1, 2, 3, 4, 5, 6], pairs)
    acc = np.array(
        [
            evaluate_analogies(Embedding(emb.vectors[:, :k], emb.index_to_key), pairs, protocol="pairs").accuracy
            for k in range(1, 7)
        ]
    )
    assert curve.accuracy.tolist() == acc.tolist()
    assert acc.max() > acc.min()  # the curve is not flat, so argmax and argmin differ
    i = int(np.flatnonzero(acc == acc.max())[0])
    assert curve.best == (i + 1, acc[i])


def test_gensim_protocol_reads_the_first_300000_words_by_default():
    n = 300_004
    words = [f"w{i}" for i in range(n)]
    words[1:4] = ["a", "b", "c"]
    words[-1] = "d"  # the answer lies beyond gensim's 300,000 words
    questions = {"f": [("a", "b", "c", "d"), ("a", "b", "c", "w5")]}
    cover = question_coverage(words, questions, "gensim")
    assert cover["vocabulary"] == 300_000 and cover["listed"] == 2 and cover["usable"] == 1
    vecs = np.zeros((n, 2))
    vecs[:, 0] = 1.0
    emb = Embedding(vecs, words)
    res = evaluate_analogies(emb, questions)
    assert res.settings["restrict_vocab"] == 300_000 and res.skipped == 1 and res.total == 1


@pytest.mark.parametrize("variant_of", ["a", "b", "c"])
def test_other_spellings_of_each_query_word_are_excluded_as_gensim_does(variant_of, tmp_path):
    """'C' (a later spelling of 'c') sits next to 'c'; unmasked it beats the answer 'd'. Checked against gensim."""
    e = np.eye(5)
    vecs = {"a": e[0], "b": e[0] + 0.2 * e[1], "c": e[2], "d": e[2] + 0.2 * e[1] + 0.5 * e[3], "x": e[4]}
    words = ["a", "b", "c", "d", "x", variant_of.upper()]
    query = vecs["b"] / np.linalg.norm(vecs["b"]) - vecs["a"] + vecs["c"]
    vecs[variant_of.upper()] = query + 0.01 * e[4]  # nearer the query than any word
    emb = Embedding(np.array([vecs[w] for w in words]), words)
    path = tmp_path / "q.txt"
    path.write_text(": f\na b c d\n")
    res = evaluate_analogies(emb, path)
    _, sections = emb.to_gensim().evaluate_word_analogies(str(path))
    assert len(sections[0]["correct"]) == 1  # gensim skips every spelling of a query word
    assert (res.correct, res.total) == (1, 1)


def test_answer_in_query_counts_an_answer_equal_to_any_query_word():
    emb = _analogy_embedding()
    questions = {
        "f": [("a0", "b0", "a1", "a1"), ("a0", "b0", "a1", "b0"), ("a0", "b0", "a1", "a0"), ("a0", "b0", "a1", "b1")]
    }
    res = evaluate_analogies(emb, questions)
    expected = sum(d in (a, b, c) for a, b, c, d in questions["f"])
    assert res.answer_in_query == expected == 3
    assert (res.correct, res.total) == (1, 4)  # only the last, whose answer is no query word, can be right


def test_gensim_protocol_always_excludes_the_query_words():
    """gensim's protocol has no exclude_query switch: asking to include the query words changes nothing."""
    e = np.eye(7)  # a_i = e_i, b_i = e_i + 0.1 e_3 + 0.3 e_(4+i): the query b0 - a0 + a1 is nearest a1, then b1
    emb = Embedding(
        np.array([e[i] for i in range(3)] + [e[i] + 0.1 * e[3] + 0.3 * e[4 + i] for i in range(3)]),
        ["a0", "a1", "a2", "b0", "b1", "b2"],
    )
    questions = {"f": [("a0", "b0", "a1", "b1"), ("a1", "b1", "a2", "b2")]}
    for res in (
        evaluate_analogies(emb, questions, exclude_query=False),
        accuracy_vs_k(emb, [6], questions, protocol="gensim", exclude_query=False).results[0],
    ):
        assert res.settings["exclude_query"] is True
        assert (res.correct, res.total) == (2, 2)  # with a1 allowed to compete, a1 would be the top answer
    kept = evaluate_analogies(emb, questions, protocol="pairs", query="unit", exclude_query=False)
    assert kept.family("f").correct == 0  # the same questions under protocol B, query words kept: a_j wins


# -- symmetry ---------------------------------------------------------------------------------------
def test_circle_fit_residual_is_the_relative_rms_of_the_radial_errors():
    """Kasa fit by hand: solve [x y 1] (a, b, c) = x^2 + y^2, centre (a/2, b/2), r^2 = c + |centre|^2."""
    P = np.array([[1.0, 0.0], [0.0, 2.0], [-1.5, 0.0], [0.0, -1.0], [0.7, 0.7]])
    A = np.column_stack([P, np.ones(5)])
    a, b, c = np.linalg.solve(A.T @ A, A.T @ (P**2).sum(axis=1))
    centre = np.array([a / 2, b / 2])
    r = np.sqrt(c + centre @ centre)
    dist = np.sqrt(((P - centre) ** 2).sum(axis=1))
    fit = fit_circle(P)
    assert fit.center == pytest.approx(centre) and fit.radius == pytest.approx(r)
    assert fit.relative_residual == pytest.approx(np.sqrt(np.mean((dist - r) ** 2)) / r)
    assert fit.relative_residual > 0.05  # not a circle: the residual is not trivially 0


def test_line_order_is_the_absolute_spearman_rho():
    pos = np.arange(8.0)
    coord = np.array([7.0, 6, 4, 5, 3, 2, 1, 0])  # reversed, one swap
    d = np.argsort(np.argsort(coord)) - pos
    rho = 1 - 6 * np.sum(d**2) / (8 * (64 - 1))
    assert rho < 0
    assert line_order(coord, pos) == pytest.approx(abs(rho))


# -- hypernymy ------------------------------------------------------------------------------------
def test_tree_kernel_is_alpha_exp_minus_beta_d():
    D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    K = tree_kernel(D, alpha=2.5, beta=0.7)
    assert K == pytest.approx(
        2.5
        * np.array(
            [[1.0, np.exp(-0.7), np.exp(-1.4)], [np.exp(-0.7), 1.0, np.exp(-2.1)], [np.exp(-1.4), np.exp(-2.1), 1.0]]
        ),
        rel=1e-12,
    )


# -- symmetry: helpers, zeroed blocks, ideal shapes ---------------------------------------------------
def test_rank_helpers_sorts_by_the_norm_of_the_family_columns_ties_by_id():
    T = np.array(
        [
            [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [3.0, 4.0, 0.0, 0.0, 0.0, 0.0],  # norm 5
            [0.0, -5.0, 0.0, 0.0, 0.0, 0.0],  # norm 5: tie with 2, lower id first
            [2.0, 2.0, 0.0, 0.0, 0.0, 0.0],  # norm sqrt 8, but l1 norm 4 < 5 ... and > 3
            [3.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # norm 3 (l1 3)
        ]
    )
    fam = [0, 1]
    strength = np.sqrt((T[:, fam] ** 2).sum(axis=1))
    expected = sorted((w for w in range(6) if w not in fam and w != 5), key=lambda w: (-strength[w], w))
    assert expected == [2, 3, 4]
    assert rank_helpers(T, fam, exclude=[5]).tolist() == expected
    assert rank_helpers(T, fam).tolist() == [2, 3, 5, 4]  # sqrt 8 < 3


def _embed(block, dim, p):
    w, U = np.linalg.eigh(block)
    top = np.argsort(-np.abs(w), kind="stable")[:dim]
    return U[:, top] * np.abs(w[top]) ** p


def test_helper_curve_sets_the_family_block_to_independence():
    rng = np.random.default_rng(0)
    V = 9
    X = rng.normal(size=(V, 4))
    T = X @ X.T + 2.0
    fam, helpers = [0, 1, 2, 3], [4, 5, 6, 7, 8]
    reference = rng.normal(size=(4, 2))
    curve = helper_curve(T, fam, helpers, [2, 5], reference, dim=3, p=0.5, independence=1.0)
    for H, err in zip([2, 5], curve.error):
        ids = fam + helpers[:H]
        block = T[np.ix_(ids, ids)].copy()
        block[:4, :4] = 1.0
        W = _embed(block, 3, 0.5)[:4]
        Wc = W - W.mean(axis=0)
        U, s, _ = np.linalg.svd(Wc, full_matrices=False)
        coords = U[:, :2] * s[:2]
        assert err == pytest.approx(scipy_procrustes(reference, coords)[2], rel=1e-8)
    zeroed = zero_block(T, [1, 4], independence=1.0)
    expected = T.copy()
    expected[np.ix_([1, 4], [1, 4])] = 1.0
    assert np.array_equal(zeroed, expected)


def test_ideal_shapes():
    months = load_family("months")
    pos = months.positions
    circle = ideal_shape(months)
    assert circle == pytest.approx(np.column_stack([np.cos(2 * np.pi * pos / 12), np.sin(2 * np.pi * pos / 12)]))
    years = load_family("years:1990-1994")
    assert ideal_shape(years) == pytest.approx(np.array([[-2.0, 0], [-1, 0], [0, 0], [1, 0], [2, 0]]))


def test_tree_kernel_refusals_at_their_thresholds():
    D = np.array([[0.0, 2.0], [2.0, 0.0]])

    def fit(amp, sigma, r2):
        return KernelFit("tree", {"amp": amp, "sigma": sigma}, {}, r2, 10)

    assert tree_kernel_refused(fit(1.0, 1.0, 0.5), D) is None
    assert "not positive" in tree_kernel_refused(fit(0.0, 1.0, 0.5), D)  # a flat kernel is no decay
    assert tree_kernel_refused(fit(1.0, 2000.0, 0.5), D) is None  # 1e3 x the largest distance (2) is the bound
    assert "decay length" in tree_kernel_refused(fit(1.0, 2000.1, 0.5), D)
    assert tree_kernel_refused(fit(1.0, 1.0, 0.01), D) is None
    assert "explains" in tree_kernel_refused(fit(1.0, 1.0, 0.0099), D)


def test_hypernymy_alignment_uses_the_given_beta():
    """g(k) against exp(-beta D) for the subtrees drawn with the same seed, recomputed outside the function."""
    parent = np.array([-1, 0, 0] + [1, 1, 2, 2] + [3, 3, 4, 4, 5, 5, 6, 6] + [7, 7, 8, 8, 9, 9, 10, 10])
    X = np.random.default_rng(1).normal(size=(len(parent), 6))
    res = hypernymy_alignment(X, parent, n_samples=20, height=3, beta=0.3, seed=0)
    rng = np.random.default_rng(0)
    trees = sample_perfect_subtrees(parent, 20, 3, None, rng)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    grams = np.einsum("sid,sjd->sij", U[trees], U[trees])
    K = np.exp(-0.3 * heap_distances(3))
    assert res.beta == 0.3
    assert res.g == pytest.approx(alignment_curve(grams, K).mean(axis=0), rel=1e-10)
    assert not np.allclose(alignment_curve(grams, np.exp(-1.0 * heap_distances(3))).mean(axis=0), res.g)


def test_eigen_embed_weights_the_eigenvectors_by_abs_lambda_to_the_p():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    lam = np.array([4.0, 2.0, 1.0, 0.5, 0.25])
    A = Q @ np.diag(lam) @ Q.T
    for p in (0.5, 0.25):
        W = eigen_embed(A, 5, p=p)
        assert W @ W.T == pytest.approx(Q @ np.diag(lam ** (2 * p)) @ Q.T, abs=1e-10)


def test_linear_order_score_takes_the_second_component_too():
    """The order lies on PC2 (PC1 alternates): the score is |rho| of PC2 = 1, not that of PC1 or of the arc."""
    fam = load_family("years:1990-1997")
    pos = fam.positions - fam.positions.mean()
    flip = np.array([1.0, -1, -1, 1, 1, -1, -1, 1])  # symmetric about the middle: orthogonal to the positions
    vectors = np.column_stack([10.0 * flip, pos, np.zeros(8)])
    res = recover_order(vectors, fam, n_null=5)
    assert res.scores["spearman"] == pytest.approx(1.0)
    assert line_order(res.coords[:, 0], fam.positions) < 0.5


def test_alignment_inside_a_degenerate_block_that_starts_after_the_first_eigenvector():
    """Kernel eigenvalues 3, 1, 1, 1: V_1 is fixed, V_2..V_4 span one eigenspace (a = 1, b = 4); the docstring's
    average over the missing directions, g(k) = (||U_k^T V_1||^2 + (k - 1)/3 ||U_k^T V_(1:4)||^2) / k."""
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    kernel = Q @ np.diag([3.0, 1.0, 1.0, 1.0]) @ Q.T
    R, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    gram = R @ np.diag([4.0, 3.0, 2.0, 1.0]) @ R.T
    U, V1, Vb = R, Q[:, :1], Q[:, 1:]
    expected = [np.sum((U[:, :1].T @ V1) ** 2)]
    for k in (2, 3, 4):
        Uk = U[:, :k]
        expected.append((np.sum((Uk.T @ V1) ** 2) + (k - 1) / 3 * np.sum((Uk.T @ Vb) ** 2)) / k)
    assert alignment_curve(gram, kernel) == pytest.approx(expected, rel=1e-10)


def test_park_diagnostic_centres_the_vectors_first():
    parent = np.array([-1, 0, 0, 1])
    X = np.array([[1.0, 2.0], [2.0, 1.0], [0.5, 3.0], [3.0, 3.0]]) + 5.0
    Xc = X - X.mean(axis=0)
    expected = []
    for c in (1, 2, 3):
        diff, base = Xc[c] - Xc[parent[c]], Xc[parent[c]]
        expected.append(diff @ base / (np.linalg.norm(diff) * np.linalg.norm(base)))
    assert park_diagnostic(X, parent).cos == pytest.approx(expected)


# -- kernels ----------------------------------------------------------------------------------------
def test_distance_profile_null_std_is_the_population_std_of_the_shuffled_means():
    x = np.array([0.0, 1.0, 2.0, 4.0, 7.0])
    D = np.abs(x[:, None] - x[None, :])
    block = np.exp(-D / 3) + np.random.default_rng(5).normal(scale=0.1, size=(5, 5))
    prof = distance_profile(block, D, n_shuffles=6, seed=2)
    i, j = np.triu_indices(5, 1)
    centres, cls = np.unique(D[i, j], return_inverse=True)
    rng = np.random.default_rng(2)
    draws = []
    for _ in range(6):
        perm = rng.permutation(5)
        draws.append(np.bincount(cls, weights=block[perm[i], perm[j]]) / np.bincount(cls))
    assert prof.null_mean == pytest.approx(np.mean(draws, axis=0))
    assert prof.null_std == pytest.approx(np.std(draws, axis=0))  # ddof 0


def test_exponential_r2_scan_is_the_best_r2_over_its_sigma_grid():
    x = np.array([1.0, 2, 3, 4, 5, 6, 8, 10, 12, 15])
    y = 2.0 * np.exp(-x / 3.0) + 0.3 + np.array([0.05, -0.04, 0.03, 0, -0.02, 0.01, 0.02, -0.03, 0.01, 0])
    scale = np.median(x)
    sst = np.sum((y - y.mean()) ** 2)
    best = -np.inf
    for sigma in scale * np.logspace(-2, 2, 60):
        A = np.column_stack([np.exp(-x / sigma), np.ones_like(x)])
        coef = np.linalg.lstsq(A, y, rcond=None)[0]
        best = max(best, 1 - np.sum((y - A @ coef) ** 2) / sst)
    assert exponential_r2_scan(x, y) == pytest.approx(best, rel=1e-12)
    assert exponential_r2_scan(x, y) <= fit_exponential_kernel(x, y).r2 + 1e-12


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # the padded PC2 is constant
def test_recover_order_of_one_dimensional_vectors_pads_a_second_component():
    fam = load_family("years:1990-1995")
    res = recover_order(fam.positions[:, None] * 2.0, fam, n_null=3)
    assert res.coords.shape == (6, 2) and np.all(res.coords[:, 1] == 0)
    assert res.explained.tolist() == [1.0, 0.0]


def test_a_fitted_linear_kernel_evaluates_to_amp_exp_plus_offset():
    y = np.array([0.0, 1, 2, 4, 7, 11])
    block = 1.5 * np.exp(-np.abs(y[:, None] - y[None, :]) / 2.5) + 0.4
    fit = fit_linear_kernel(block, y)
    dx = np.array([0.0, 1.0, -3.0, 6.0])
    assert fit(dx) == pytest.approx(1.5 * np.exp(-np.abs(dx) / 2.5) + 0.4, rel=1e-6)


def test_exponential_fit_r2_and_stderr_against_curve_fit_on_few_points():
    from scipy import optimize

    x = np.arange(1.0, 11.0)
    noise = np.array([0.08, -0.05, 0.04, -0.07, 0.02, 0.06, -0.03, -0.01, 0.05, -0.04])
    y = 2.0 * np.exp(-x / 3.0) + 0.3 + noise
    fit = fit_exponential_kernel(x, y)
    f = lambda x, a, s, c: a * np.exp(-x / s) + c  # noqa: E731
    popt, pcov = optimize.curve_fit(f, x, y, p0=(2, 3, 0.3), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    sse = np.sum((y - f(x, *popt)) ** 2)
    assert fit.r2 == pytest.approx(1 - sse / np.sum((y - y.mean()) ** 2), rel=1e-6)
    # curve_fit scales the covariance by SSE / (m - p), m = 10 points, p = 3 parameters
    assert [fit.stderr[k] for k in ("amp", "sigma", "offset")] == pytest.approx(np.sqrt(np.diag(pcov)), rel=1e-4)


def test_circular_fit_recovers_a_sigma_far_below_the_period():
    x = np.arange(12.0) * 0.01  # twelve words 0.01 apart on a circle of period 12
    block = 1.3 * np.exp(-np.abs(x[:, None] - x[None, :]) / 0.02)
    fit = fit_circular_kernel(block, x, 12.0, offset=False)
    assert fit.params["sigma"] == pytest.approx(0.02, rel=1e-5) and fit.params["amp"] == pytest.approx(1.3, rel=1e-5)


def test_toeplitz_residual_and_profile_classes_with_unsorted_non_integer_positions():
    y = np.array([2.5, 0.0, 1.5, 0.5, 4.0])  # unsorted; distances 0.5 apart are distinct classes
    D = np.abs(y[:, None] - y[None, :])
    block = np.exp(-D) + 0.2 * np.cos(3 * D)
    res = symmetry_residual(block, y, "linear")
    i, j = np.triu_indices(5, 1)
    n_classes = len(np.unique(D[i, j]))
    assert res.residual < 1e-12 and res.n_classes == n_classes == 7
    prof = distance_profile(block, D, n_shuffles=0)
    assert prof.distance.tolist() == sorted(set(D[i, j].tolist()))
    assert prof.mean == pytest.approx([block[i, j][D[i, j] == d].mean() for d in prof.distance])


def test_principal_coordinates_are_projections_of_the_centred_rows():
    X = np.random.default_rng(6).normal(size=(7, 4)) * [3.0, 1.0, 0.5, 0.1] + 10.0
    coords, explained = principal_coordinates(X, 2)
    Xc = X - X.mean(axis=0)
    w, V = np.linalg.eigh(Xc.T @ Xc)
    proj = Xc @ V[:, ::-1][:, :2]
    proj *= np.sign(proj[np.argmax(np.abs(proj), axis=0), [0, 1]])  # largest-magnitude entry positive
    assert coords == pytest.approx(proj)
    assert explained == pytest.approx(w[::-1][:2] / w.sum())


def test_location_probe_null_p_value_counts_the_mean_r2():
    null = ProbeNull(np.array([0.1, 0.5, 0.9, 0.3]), np.array([0.1, 0.1, 0.9, 0.7]))  # means 0.1, 0.3, 0.9, 0.5
    assert null.p_value(0.6, 0.2) == pytest.approx((1 + 2) / (1 + 4))  # observed mean 0.4: 0.9 and 0.5 reach it
    assert null.p_value(1.0, 1.0) == pytest.approx(1 / 5)
