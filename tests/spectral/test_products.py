"""The sketching solvers' products cut in pieces on a pool (cooc.spectral.products)."""

from __future__ import annotations

import threading
import time
import types

import numpy as np
import pytest

import cooc.spectral.eigen as eigen
import cooc.spectral.products as products
from cooc.spectral.eigen import top_eigenpairs
from cooc.spectral.products import Products, blas_threads, one_thread_blas, row_pieces


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 3])
def test_products_equal_numpy_on_fresh_random_inputs(dtype, threads):
    rng = np.random.default_rng(threads)
    with Products(threads) as ops:
        for rows, inner, cols in [(1000, 300, 40), (777, 129, 33), (65, 4, 3), (5000, 10, 100)]:
            wide = rng.standard_normal((rows, inner + 7)).astype(dtype)
            X = wide[:, :inner]  # a strided view, as the solvers' basis[:, :n]
            Y = rng.standard_normal((inner, cols)).astype(dtype)
            Z = rng.standard_normal((rows, cols)).astype(dtype)
            rtol = 1e-4 if dtype == np.float32 else 1e-12
            got = ops.matmul(X, Y)
            assert got.dtype == dtype and got.shape == (rows, cols)
            np.testing.assert_allclose(got, X @ Y, rtol=rtol, atol=rtol * np.abs(X @ Y).max())
            g = ops.gram(X, Z)
            assert g.shape == (inner, cols)
            np.testing.assert_allclose(g, X.T @ Z, rtol=rtol, atol=rtol * np.abs(X.T @ Z).max())


def test_row_pieces_cover_the_rows_once_and_only_split_what_is_worth_it():
    for rows, threads in [(1000, 2), (1001, 3), (64, 2), (100_000, 16)]:
        pieces = row_pieces(rows, 1 << 30, threads)
        assert pieces[0][0] == 0 and pieces[-1][1] == rows
        assert all(a < b for a, b in pieces) and all(b == c for (_, b), (c, _) in zip(pieces, pieces[1:]))
        assert len(pieces) <= products.PIECES_PER_THREAD * threads
    assert len(row_pieces(100_000, 1 << 30, 16)) == products.PIECES_PER_THREAD * 16
    assert row_pieces(100_000, 1 << 30, 1) == [(0, 100_000)]  # one thread: one call
    assert row_pieces(100_000, products.MIN_SPLIT_MACS - 1, 8) == [(0, 100_000)]  # too small to share
    assert row_pieces(63, 1 << 30, 8) == [(0, 63)]


def test_a_slow_thread_takes_fewer_pieces(monkeypatch):
    """Pieces are handed out as threads come free: a thread held up by its first piece (as by a core
    another process shares) does not get an equal share of the rest."""
    done: dict[int, int] = {}
    lock = threading.Lock()
    first = []

    def matmul(a, b, out):
        me = threading.get_ident()
        with lock:
            slow = not first
            first.append(me)
            done[me] = done.get(me, 0) + 1
        if slow:
            time.sleep(0.5)
        np.matmul(a, b, out=out)

    monkeypatch.setattr(products, "np", types.SimpleNamespace(**{**vars(np), "matmul": matmul}))
    X = np.ones((4096, 64))
    with Products(2) as ops:
        out = ops.matmul(X, np.ones((64, 64)))
    assert (out == 64).all()
    slow_thread = first[0]
    assert sum(done.values()) == products.PIECES_PER_THREAD * 2
    assert done[slow_thread] < sum(done.values()) // 2
    assert threading.get_ident() in done and len(done) == 2  # the caller and one helper


def test_gram_sums_in_a_fixed_order():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3000, 200)).astype(np.float32), rng.standard_normal((3000, 50)).astype(np.float32)
    with Products(2) as ops:
        first = ops.gram(X, Y)
        assert all(np.array_equal(first, ops.gram(X, Y)) for _ in range(5))


def decaying_spectrum(seed: int, V: int = 600, decay: float = 0.4):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(V, V)))
    lam = rng.choice([-1.0, 1.0], size=V) * np.arange(1, V + 1) ** -decay
    return ((Q * lam) @ Q.T).astype(np.float32), np.sort(np.abs(lam))[::-1]


@pytest.mark.parametrize("solver", ["block", "randomized"])
def test_solvers_on_the_pool_give_what_one_thread_gives(solver, monkeypatch):
    """Through the pool (2 threads, products cut in pieces) the solvers meet their accuracy and agree
    with one thread; every BLAS call inside runs on one thread."""
    seen = []
    matmul = Products.matmul

    def spy(self, X, Y):
        pieces = len(row_pieces(X.shape[0], X.size * Y.shape[1], self.threads))
        seen.append((self.threads, blas_threads(), pieces if X.shape == A.shape else 0))
        return matmul(self, X, Y)

    monkeypatch.setattr(Products, "matmul", spy)
    A, exact = decaying_spectrum(1)
    k = 30
    two = top_eigenpairs(A, k, solver=solver, threads=2)
    assert {t for t, _, _ in seen} == {2} and {b for _, b, _ in seen} == {1}
    assert min(p for _, _, p in seen if p) > 1  # the products with A went through the pool, cut
    seen.clear()
    one = top_eigenpairs(A, k, solver=solver, threads=1)
    assert {t for t, _, _ in seen} == {1}
    np.testing.assert_allclose(np.abs(two.values), exact[:k], rtol=1e-3)
    np.testing.assert_allclose(two.values, one.values, rtol=1e-5)
    assert (two.residuals(A) / np.abs(two.values)).max() <= 1e-3


def test_the_pool_defaults_to_the_blas_threads_within_the_cores(monkeypatch):
    made = []
    init = Products.__init__

    def spy(self, threads):
        made.append(threads)
        init(self, threads)

    monkeypatch.setattr(Products, "__init__", spy)
    monkeypatch.setattr(eigen, "ONE_THREAD", 10)  # a small matrix takes the default of large ones
    monkeypatch.setattr(eigen, "available_cores", lambda: 3)
    monkeypatch.setattr(eigen, "blas_threads", lambda: 5)
    A, _ = decaying_spectrum(0, V=200)
    top_eigenpairs(A, 5, solver="block")
    monkeypatch.setattr(eigen, "blas_threads", lambda: 2)
    top_eigenpairs(A, 5, solver="block")
    monkeypatch.setattr(eigen, "ONE_THREAD", 2000)
    top_eigenpairs(A, 5, solver="block")  # V <= ONE_THREAD: one thread
    assert made == [3, 2, 1]


def test_one_thread_blas_sets_and_restores():
    before = blas_threads()
    with one_thread_blas():
        assert blas_threads() == 1
    assert blas_threads() == before
