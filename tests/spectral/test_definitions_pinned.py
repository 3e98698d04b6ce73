"""Pins the targets of docs/science.md, section 2, against the definitions written in plain numpy.

On a tiny count matrix (with unobserved pairs and unequal marginals) every kind, with its documented
defaults (kind M*, eps 1e-2, neg 1, alpha 1, global marginals), with context distribution smoothing
(symmetrised, and Levy et al.'s context-only form with block marginals, as hyperwords builds PPMI),
and the marginal helpers; and the eigen-embedding W = U |Lambda|^p with its ordering and sign rule.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.errors import InvalidParameterError
from cooc.cooccurrence.matrix import Cooccurrence
from cooc.corpus.vocab import Vocabulary
from cooc.spectral.eigen import top_eigenpairs
from cooc.spectral.marginals import context_smoothed, smoothed_marginals
from cooc.spectral.targets import Target, target_matrix

C = np.array([[2, 7, 0, 1], [7, 0, 3, 5], [0, 3, 6, 2], [1, 5, 2, 0]], dtype=np.int64)
UNIGRAM = np.array([11, 4, 9, 6])


def cooc() -> Cooccurrence:
    return Cooccurrence.from_scipy(sp.csr_matrix(C), Vocabulary(["a", "b", "c", "d"], UNIGRAM))


def as_array(m):
    return m.toarray() if sp.issparse(m) else np.asarray(m)


def reference(kind, eps=1e-2, neg=1.0, alpha=1.0, marginals="global", smoothing="symmetric"):
    """The table of docs/science.md, section 2, entry by entry."""
    P = C / C.sum()
    p = UNIGRAM / UNIGRAM.sum() if marginals == "global" else C.sum(axis=1) / C.sum()
    if kind == "p":
        return P
    rows = cols = p
    if alpha != 1.0:
        smooth = p**alpha / (p**alpha).sum()
        rows, cols = (np.sqrt(p * smooth),) * 2 if smoothing == "symmetric" else (p, smooth)
    out = np.zeros_like(P)
    for i in range(4):
        for j in range(4):
            pp = rows[i] * cols[j]
            m = P[i, j] / pp
            pmi = np.log(m) if C[i, j] > 0 else 0.0
            out[i, j] = {
                "m": m,
                "logm": np.log(m + eps),
                "pmi": pmi,
                "ppmi": max(pmi, 0.0),
                "sppmi": max(pmi - np.log(neg), 0.0),
                "mstar": 2 * (P[i, j] - pp) / (P[i, j] + pp),
            }[kind]
    return out


KINDS = ["p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"]


def test_the_defaults_are_the_documented_ones():
    np.testing.assert_allclose(as_array(Target().fit_transform(cooc())), reference("mstar"), rtol=1e-12)
    np.testing.assert_allclose(as_array(target_matrix(cooc(), "logm")), reference("logm", eps=1e-2), rtol=1e-12)
    # neg = 1: SPPMI is PPMI; alpha = 1 and global marginals: the unigram counts, unsmoothed
    np.testing.assert_allclose(as_array(target_matrix(cooc(), "sppmi")), reference("ppmi"), rtol=1e-12)
    np.testing.assert_allclose(as_array(target_matrix(cooc(), "pmi")), reference("pmi"), rtol=1e-12)
    t = Target("m").fit(cooc())
    np.testing.assert_allclose(t.marginals_, UNIGRAM / UNIGRAM.sum(), rtol=1e-15)


@pytest.mark.parametrize(
    "kind, output", [(k, "dense") for k in KINDS] + [(k, "sparse") for k in KINDS if k not in ("logm", "mstar")]
)
@pytest.mark.parametrize(
    "params",
    [
        dict(eps=1e-5, neg=5.0, alpha=0.75),
        dict(eps=0.3, neg=2.0, alpha=0.5, marginals="block"),
        dict(neg=1.5, alpha=0.75, marginals="block", smoothing="context"),
    ],
)
def test_every_kind_equals_its_definition(kind, output, params):
    got = as_array(target_matrix(cooc(), kind, output=output, **params))
    np.testing.assert_allclose(got, reference(kind, **params), rtol=1e-12, atol=1e-15)


def test_hyperwords_ppmi_is_asymmetric_with_context_smoothing():
    got = as_array(target_matrix(cooc(), "ppmi", alpha=0.75, marginals="block", smoothing="context"))
    P = C / C.sum()
    p = C.sum(axis=1) / C.sum()
    c = p**0.75 / (p**0.75).sum()
    with np.errstate(divide="ignore"):
        levy = np.maximum(np.log(P / np.outer(p, c)), 0.0)
    np.testing.assert_allclose(got, levy, rtol=1e-12, atol=1e-15)
    assert not np.allclose(got, got.T)


def test_sparse_targets_store_no_clipped_zeros():
    # PPMI clips most pairs to 0: they must not stay in the sparse structure (its density picks the solver)
    for kind, params in (("ppmi", {}), ("sppmi", {"neg": 2.0}), ("pmi", {"output": "sparse"})):
        m = target_matrix(cooc(), kind, **params)
        assert sp.issparse(m) and m.nnz == np.count_nonzero(m.toarray()), kind


def test_marginal_helpers():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    for alpha in (0.75, 0.5, 2.0):
        pa = p**alpha
        np.testing.assert_allclose(context_smoothed(p, alpha), pa / pa.sum(), rtol=1e-15)
        np.testing.assert_allclose(smoothed_marginals(p, alpha), np.sqrt(p * pa / pa.sum()), rtol=1e-15)
    np.testing.assert_array_equal(context_smoothed(p, 1.0), p)
    np.testing.assert_array_equal(smoothed_marginals(p, 1.0), p)


def test_marginal_helpers_where_p_to_the_alpha_underflows():
    """Every p^alpha under float64's least (0.01^200 = 1e-400): the laws are taken relative to the largest
    term, equal to the exact ones computed in log space; a word whose term still underflows is refused."""
    p = np.append(np.random.default_rng(0).uniform(1.0, 2.0, 60), 0.0)  # 60 words near 1/90, and one unseen
    p /= p.sum()
    for alpha in (250.0, 300.0):
        assert (p**alpha).sum() == 0
        logs = np.where(p > 0, alpha * np.log(np.where(p > 0, p, 1.0)), -np.inf)
        exact = np.exp(logs - logs.max()) / np.exp(logs - logs.max()).sum()
        np.testing.assert_allclose(context_smoothed(p, alpha), exact, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(smoothed_marginals(p, alpha), np.sqrt(p * exact), rtol=1e-12, atol=1e-300)
    q = np.array([0.5, 0.3, 0.2])
    pa = q**40.0
    np.testing.assert_array_equal(context_smoothed(q, 40.0), pa / pa.sum())  # no underflow: p^alpha itself
    for law in (context_smoothed, smoothed_marginals):
        with pytest.raises(
            InvalidParameterError, match=r"alpha = 1000.0: p\^alpha underflows to 0 .* for 1 word.*p = 0.2;"
        ):
            law(q, 1000.0)


def test_max_dense_is_the_largest_dense_v():
    # V = max_dense is still built dense ("V > max_dense" switches to sparse, or refuses a dense kind)
    assert isinstance(target_matrix(cooc(), "m", max_dense=4), np.ndarray)
    assert isinstance(target_matrix(cooc(), "logm", max_dense=4), np.ndarray)
    assert sp.issparse(target_matrix(cooc(), "m", max_dense=3))


@pytest.mark.parametrize("solver", ["dense", "lanczos"])
def test_eigen_embedding_ordering_weighting_and_signs(solver):
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    lam = np.array([-9.0, 7.0, -5.0, 3.0, 2.5, -2.0, 1.5, 1.0, -0.5, 0.25, 0.1, 0.05])
    A = (Q * lam) @ Q.T
    A = (A + A.T) / 2
    pairs = top_eigenpairs(A, 4, which="LM", solver=solver)
    np.testing.assert_allclose(pairs.values, [-9.0, 7.0, -5.0, 3.0], rtol=1e-10)
    top = top_eigenpairs(A, 3, which="LA", solver=solver)
    np.testing.assert_allclose(top.values, [7.0, 3.0, 2.5], rtol=1e-10)
    for got, idx in ((pairs, [0, 1, 2, 3]), (top, [1, 3, 4])):
        U = Q[:, idx]
        U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(len(idx))])  # largest entry positive
        np.testing.assert_allclose(got.vectors, U, atol=1e-8)
    W = pairs.weighted(0.5)
    np.testing.assert_allclose(W, pairs.vectors * np.sqrt([9.0, 7.0, 5.0, 3.0]), rtol=1e-9)
    np.testing.assert_allclose(pairs.weighted(1.0, k=2), pairs.vectors[:, :2] * [9.0, 7.0], rtol=1e-9)
    np.testing.assert_allclose(pairs.residuals(A), 0.0, atol=1e-8)


def numpy_embedding(A, k, p):
    """W = U |Lambda|^p from numpy's eigh: the k largest |lambda|, each column's largest entry positive."""
    lam, U = np.linalg.eigh(A)
    top = np.argsort(-np.abs(lam), kind="stable")[:k]
    lam, U = lam[top], U[:, top]
    U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(k)])
    return U * np.abs(lam) ** p


def test_eigen_embedding_defaults_end_to_end():
    from cooc.spectral.estimator import EigenEmbedding

    W = EigenEmbedding(dim=2).fit_transform(cooc())  # M*, p = 1/2, which = "LM"
    np.testing.assert_allclose(W, numpy_embedding(reference("mstar"), 2, 0.5), atol=1e-10)
    W = EigenEmbedding("sppmi", dim=3, p=1.0, neg=2.0, alpha=0.75).fit_transform(cooc())
    np.testing.assert_allclose(W, numpy_embedding(reference("sppmi", neg=2.0, alpha=0.75), 3, 1.0), atol=1e-10)
