"""Binary-attribute model: exact statistics, Kronecker structure, rank of log M, analogy theory, sampler."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.geometry.analogy import accuracy_vs_k
from cooc.grammars.attributes import BinaryAttributeModel
from cooc.spectral.estimator import SpectralEmbedding

D7 = dict(d=7, p=[0.5, 0.4, 0.3, 0.6, 0.7, 0.2, 0.45], s=0.3)


def test_hand_computed_two_attributes():
    m = BinaryAttributeModel(2, p=[0.3, 0.6], s=[0.5, 0.2])
    # words by probability: a1b0 (0.7*0.6=0.42), a1b1 (0.28), a0b0 (0.18), a0b1 (0.12)
    assert m.words == ["a1b0", "a1b1", "a0b0", "a0b1"]
    np.testing.assert_allclose(m.unigram(), [0.42, 0.28, 0.18, 0.12])
    q = 0.3 / 0.7
    np.testing.assert_allclose(m.factors[0], [[1.5, 1 - 0.5 * q], [1 - 0.5 * q, 1 + 0.5 * q * q]])
    # P(a0b0, a1b1) = P(a0b0) P(a1b1) F_a[0, 1] F_b[0, 1]
    i, j = m.words.index("a0b0"), m.words.index("a1b1")
    qb = 0.6 / 0.4
    assert m.joint()[i, j] == pytest.approx(0.18 * 0.28 * (1 - 0.5 * q) * (1 - 0.2 * qb), rel=1e-14)
    np.testing.assert_array_equal(m.attributes[0], [-1, 1])


def test_joint_is_a_consistent_distribution():
    m = BinaryAttributeModel(**D7)
    P = m.joint()
    np.testing.assert_allclose(P, P.T, atol=0)
    assert P.sum() == pytest.approx(1.0, abs=1e-13)
    np.testing.assert_allclose(P.sum(axis=1), m.unigram(), rtol=1e-12)
    assert (P > 0).all()


def test_M_is_the_kronecker_product_of_the_factors():
    m = BinaryAttributeModel(3, p=[0.5, 0.3, 0.8], s=[0.2, -0.1, 0.1])
    kron = np.kron(np.kron(m.factors[0], m.factors[1]), m.factors[2])
    o = m.kron_order()
    np.testing.assert_allclose(m.M(), kron[np.ix_(o, o)], rtol=1e-14)
    np.testing.assert_allclose(m.joint() / np.outer(m.unigram(), m.unigram()), m.M(), rtol=1e-12)


def test_log_M_has_rank_d_plus_1_spanned_by_the_attributes():
    m = BinaryAttributeModel(**D7)
    L = np.log(m.M())
    values, vectors = np.linalg.eigh(L)
    big = np.abs(values) > 1e-9 * np.abs(values).max()
    assert big.sum() == m.d + 1
    basis = m.log_M_affine()
    proj = basis @ np.linalg.lstsq(basis, vectors[:, big], rcond=None)[0]
    np.testing.assert_allclose(proj, vectors[:, big], atol=1e-10)


def test_log_M_embedding_reconstructs_log_M():
    m = BinaryAttributeModel(**D7)
    model = SpectralEmbedding("logm", dim=m.d + 1, eps=0.0).fit(m.to_cooccurrence())
    W = model.embedding_.vectors
    np.testing.assert_allclose(W * np.sign(model.eigenvalues_) @ W.T, np.log(m.M()), atol=1e-10)


def test_attribute_analogies_exact_for_log_M_while_M_peaks_and_decays():
    m = BinaryAttributeModel(**D7)
    cooc, families = m.to_cooccurrence(), m.families()
    ks = range(1, 41)
    logm = accuracy_vs_k(SpectralEmbedding("logm", dim=40, eps=1e-12).fit(cooc), ks, families)
    assert (logm.accuracy[m.d - 1 :] == 1.0).all()  # every K >= d
    logm_floor = accuracy_vs_k(SpectralEmbedding("logm", dim=40).fit(cooc), ks, families)  # eps = 1e-2
    assert (logm_floor.accuracy[m.d - 1 :] == 1.0).all()
    M = accuracy_vs_k(SpectralEmbedding("m", dim=40).fit(cooc), ks, families)
    k_best, best = M.best
    assert best < 0.8 and m.d <= k_best < 40  # M peaks below log M ...
    assert M.accuracy[-1] < best - 0.2  # ... and decays as higher-order modes enter
    print("log M:", logm.accuracy.round(3).tolist())
    print("M    :", M.accuracy.round(3).tolist())


def test_families():
    m = BinaryAttributeModel(3, p=[0.5, 0.3, 0.8], s=0.1)
    fams = m.families()
    assert list(fams) == ["a0-a1", "b0-b1", "c0-c1"]
    for k, pairs in enumerate(fams.values()):
        assert len(pairs) == 4
        for a, b in pairs:
            ia, ib = m.words.index(a), m.words.index(b)
            diff = np.flatnonzero(m.attributes[ia] != m.attributes[ib])
            assert diff.tolist() == [k] and m.attributes[ia, k] == 1


def test_to_cooccurrence_options():
    m = BinaryAttributeModel(4, p=0.3, s=0.4)
    exact = m.to_cooccurrence(total=1e6)
    assert exact.total == pytest.approx(1e6) and exact.vocab.words == m.words
    np.testing.assert_allclose(exact.unigram_probabilities(), m.unigram())
    noisy = m.to_cooccurrence(total=1e6, noise=0.1, seed=1)
    ratio = noisy.counts.toarray() / exact.counts.toarray()
    assert 0.02 < np.log(ratio).std() < 0.2
    np.testing.assert_allclose(noisy.counts.toarray(), noisy.counts.toarray().T)
    sub = m.to_cooccurrence(keep=0.5, seed=3)
    assert len(sub) == 8 and all(w in m.words for w in sub.vocab.words)
    with pytest.raises(InvalidParameterError, match="'keep'"):
        m.to_cooccurrence(keep=1)


def test_sampled_documents_have_the_model_statistics():
    m = BinaryAttributeModel(2, p=[0.3, 0.6], s=[0.5, 0.4])
    docs = m.sample_documents(20000, 20, seed=0)
    a, b = docs[:, :-1].ravel(), docs[:, 1:].ravel()
    counts = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
    empirical = counts / counts.sum()
    P = m.joint()
    sigma = np.sqrt(P * (1 - P) / counts.sum()) * 3  # adjacent pairs are correlated: allow a margin
    assert (np.abs(empirical - P) < 3 * sigma).all()
    np.testing.assert_allclose(np.bincount(docs[:, 0], minlength=4) / 20000, m.unigram(), atol=0.015)
    pairs = m.sample_pairs(50000, seed=1)
    emp = np.bincount(pairs[:, 0] * 4 + pairs[:, 1], minlength=16).reshape(4, 4) / 50000
    np.testing.assert_allclose(emp, P, atol=0.01)


def test_write_corpus(tmp_path):
    m = BinaryAttributeModel(3, p=0.3, s=0.3)
    corpus = m.write_corpus(tmp_path / "attr", n_docs=50, length=10, seed=2)
    assert corpus.n_docs == 50 and corpus.n_tokens == 500
    counts = corpus.vocab.counts
    assert (np.diff(counts) <= 0).all() and counts.sum() == 500
    docs = list(corpus.documents())
    raw = m.sample_documents(50, 10, seed=2)
    assert [corpus.vocab.words[i] for i in docs[3]] == [m.words[i] for i in raw[3]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d": 2, "p": 1.0}, "'p' must lie in"),
        ({"d": 2, "p": 0.5, "s": 1.5}, "non-positive F_k"),
        ({"d": 2, "s": [0.1, 0.2, 0.3]}, "'s' must be a number or 2"),
        ({"d": 0}, "'d'"),
        ({"d": 2, "values": [("x", "x"), ("y", "z")]}, "'values'"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        BinaryAttributeModel(**kwargs)
