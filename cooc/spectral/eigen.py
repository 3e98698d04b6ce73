"""Top-K eigenpairs of a symmetric target matrix, on CPU or GPU.

Solvers
-------
``dense``
    Exact. CPU: ``scipy.linalg.eigh`` on an index subset (one call for ``which="LA"``;
    for ``"LM"`` the two ends of the spectrum, or the full decomposition once K > V / 32). GPU: ``cupy.linalg.eigh`` (full), then selection.
``lanczos``
    Implicitly restarted Lanczos: ``scipy.sparse.linalg.eigsh`` (CPU) or
    ``cupyx.scipy.sparse.linalg.eigsh`` (GPU); works on dense and sparse matrices.
``randomized``
    Subspace iteration from a Gaussian sketch (Halko, Martinsson & Tropp 2011), written
    once against the array module, so it runs on numpy or cupy. Approximate: accuracy
    depends on the spectral gap after K, ``n_oversamples`` and ``n_iter``.
``block``
    Block Krylov (the randomized block Krylov method of Musco & Musco 2015, with Rayleigh-Ritz
    on the whole basis): the same Gaussian start, but every block of products is kept, so the
    basis spans polynomials in A rather than one power of it; far fewer products than subspace
    iteration on a slowly decaying spectrum, all of them matrix-matrix. Also numpy or cupy.
    Both sketching solvers live in :mod:`cooc.spectral.sketching`.
``torch``
    ``torch.linalg.eigh`` (full) on a torch device, ``"cpu"`` or ``"cuda"``.

``which="LM"`` keeps the K eigenvalues largest in absolute value, ``"LA"`` the K largest
(most positive). Pairs come sorted (|lambda| or lambda descending); each eigenvector's
sign is fixed so that its entry of largest magnitude is positive (the first such entry
on a tie), so every solver returns the same vectors up to round-off (degenerate
eigenvalues span the same subspace, but their basis is not unique).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.device import array_module, device_of, resolve_device, to_numpy
from .._core.errors import InvalidParameterError
from .._core.logs import log
from .._core.params import Interval, OneOf, validate
from .._core.threads import available_cores
from . import sketching
from ._matrices import check_symmetric, is_cupy_sparse, is_operator
from .products import Products, blas_threads, one_thread_blas

SOLVERS = ("auto", "dense", "lanczos", "randomized", "block", "torch")
WHICH = ("LM", "LA")
#: up to this size the exact dense decomposition is chosen automatically (Lanczos was 3-4x
#: faster than it already at V = 1500, K = 60 on 2 cores).
SMALL_DENSE = 500
#: up to this size the solvers run with one BLAS thread (see ``threads``).
ONE_THREAD = 2000
#: Blocks the memory check of ``auto`` allows for (M* of the Bible and of the wiki sample took 10-14).
BLOCK_TYPICAL_BLOCKS = 16
#: Lanczos is preferred for dense input when K <= V / LANCZOS_RATIO.
LANCZOS_RATIO = 20
#: the full dense decomposition (one reduction to tridiagonal form) costs about as much as
#: the two index-subset calls that ``which="LM"`` needs (two reductions) already at K = V / 30
#: (measured, V = 3000, one thread); it is used when K > V / FULL_RATIO.
FULL_RATIO = 32

_constraints = {
    "k": Interval(int, 1, None),
    "which": OneOf(WHICH),
    "solver": OneOf(SOLVERS),
    "device": OneOf(("cpu", "cuda", "auto")),
    "seed": Interval(int, 0, None),
    "tol": Interval(float, 0, None),
    "n_oversamples": Interval(int, 0, None, allow_none=True),
    "n_iter": Interval(int, 0, None, allow_none=True),
    "threads": Interval(int, 1, None, allow_none=True),
}


@dataclass
class Eigenpairs:
    """K eigenpairs of a symmetric matrix.

    Attributes
    ----------
    values : ndarray of shape (K,)
        Sorted by |lambda| (``which="LM"``) or lambda (``"LA"``), descending.
    vectors : ndarray of shape (V, K)
        Orthonormal columns, signs fixed (largest-magnitude entry positive).
    solver, which : str
    info : dict
        Solver details (iterations, oversampling, device).
    """

    values: np.ndarray
    vectors: np.ndarray
    solver: str
    which: str
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def weighted(self, p: float = 0.5, k: int | None = None) -> np.ndarray:
        """Embedding vectors ``W = U |Lambda|^p`` for the first ``k`` pairs, shape (V, k)."""
        k = len(self) if k is None else k
        return self.vectors[:, :k] * np.abs(self.values[:k]) ** p

    def residuals(self, matrix: Any) -> np.ndarray:
        """``||A u_k - lambda_k u_k||`` for each pair, shape (K,), computed on the CPU."""
        A = matrix if sp.issparse(matrix) or is_operator(matrix) else to_numpy(matrix)
        return np.linalg.norm(A @ self.vectors - self.vectors * self.values, axis=0)


def top_eigenpairs(
    matrix: Any,
    k: int,
    *,
    which: str = "LM",
    solver: str = "auto",
    device: str = "cpu",
    seed: int = 0,
    tol: float = 0.0,
    n_oversamples: int | None = None,
    n_iter: int | None = None,
    threads: int | None = None,
    progress: bool = False,
) -> Eigenpairs:
    """The top ``k`` eigenpairs of the symmetric ``matrix``.

    Parameters
    ----------
    matrix : ndarray, scipy.sparse matrix, cupy array or cupyx sparse matrix of shape (V, V)
        Symmetric (checked: max |A - A^T| within 1e-4 of max |A|, else :class:`~cooc.InputDataError`);
        only its values are read (it is never modified); an all-zero one gives eigenvalues 0 and the
        first ``k`` unit vectors, whatever the solver (an operator's products are not inspected). A
        ``scipy.sparse.linalg.LinearOperator`` (such as the block-by-block target of an
        out-of-core matrix, :mod:`cooc.spectral.operator`) goes to Lanczos (or randomized) on the CPU.
    k : int
        Number of pairs, 1 <= k <= V (k < V for ``lanczos``).
    which : {"LM", "LA"}
        Largest magnitude or largest algebraic.
    solver : {"auto", "dense", "lanczos", "randomized", "block", "torch"}
        ``auto`` picks by size, density and device (see :func:`choose_solver`).
    device : {"cpu", "cuda", "auto"}
        Where to compute; a cupy input implies ``"cuda"``.
    seed : int
        Start vector (Lanczos) and sketch (randomized).
    tol : float
        Lanczos: its tolerance (0 = machine precision). Randomized and block: the largest relative
        residual ``||A u - lambda u|| / |lambda||`` accepted for the top ``k`` pairs (0 =
        ``sketching.RANDOMIZED_RTOL``, 1e-3, which puts the eigenvalues within about 1e-6 relative of the exact ones).
    n_oversamples, n_iter : int, optional
        Randomized solver: extra sketch columns (default ``max(k, 10)``), and a fixed number of
        power iterations instead of iterating until the residuals pass ``tol``. Block solver: extra
        columns per block (default ``max(k // 4, 10)``), and a fixed number of blocks after the first.
    threads : int, optional
        CPU threads while solving. Default: 1 for V <= 2000 (multi-threaded BLAS gains
        nothing there, and on a busy machine its spinning threads made a V = 600 solve
        14x slower than one thread), the BLAS library's own setting above. The randomized and
        block solvers cut their products into pieces that this many threads take in turn, each
        piece a one-threaded BLAS call (:mod:`cooc.spectral.products`), so a core taken by another
        process slows them by its share instead of stalling every product; the other solvers
        give the threads to BLAS.
    progress : bool
        Show a progress bar (on a terminal): matrix products done by Lanczos and the randomized
        solver, the elapsed time of a dense solve.

    Returns
    -------
    Eigenpairs
        Host (numpy) arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from cooc import top_eigenpairs
    >>> pairs = top_eigenpairs(np.array([[2.0, 1.0], [1.0, 2.0]]), k=1)
    >>> pairs.values.tolist(), np.round(pairs.vectors[:, 0], 4).tolist()
    ([3.0], [0.7071, 0.7071])
    """
    validate(
        {
            "k": k,
            "which": which,
            "solver": solver,
            "device": device,
            "seed": seed,
            "tol": tol,
            "n_oversamples": n_oversamples,
            "n_iter": n_iter,
            "threads": threads,
        },
        _constraints,
        owner="top_eigenpairs",
    )
    V = _check_square(matrix)
    if k > V:
        raise InvalidParameterError(f"top_eigenpairs: parameter 'k' must be at most V = {V}, got {k}.")
    zero = not is_operator(matrix) and check_symmetric(matrix, "top_eigenpairs") == 0  # an operator is symmetric
    on_gpu = _on_gpu(matrix)
    if is_operator(matrix):  # products only (e.g. a blocked out-of-core target): Lanczos or randomized
        solver, device = _operator_solver(solver, device)
    elif solver == "torch":
        device = resolve_device(device if not on_gpu else "cuda", backend="torch")
    else:
        device = "cuda" if on_gpu else resolve_device(device)
    if zero:  # ARPACK stops at "starting vector is zero": every vector is an eigenvector of 0, so the first k
        # unit vectors, as the dense solver gives them (float32 stays float32, as the solvers keep it)
        dtype = np.float32 if matrix.dtype == np.float32 else np.float64
        info = {"method": "all-zero matrix", "device": device}
        return Eigenpairs(np.zeros(k), np.eye(V, k, dtype=dtype), "dense", which, info)
    if solver == "auto":
        solver = choose_solver(V, k, sp.issparse(matrix) or is_cupy_sparse(matrix), _density(matrix), device)
    solvers: dict[str, Callable[..., tuple[Any, Any, dict[str, Any]]]] = {
        "dense": _dense,
        "lanczos": _lanczos,
        "randomized": partial(sketching.solve, "randomized"),
        "block": partial(sketching.solve, "block"),
        "torch": _torch,
    }
    run = solvers[solver]
    bar = _progress_bar(progress, solver, k)
    limit = threads if threads is not None else (1 if V <= ONE_THREAD else None)
    try:
        with contextlib.ExitStack() as stack:
            ops = None
            if solver in ("randomized", "block") and device == "cpu":
                # their products cut in pieces on a pool, every BLAS call on one thread (cooc.spectral.products)
                pool = min(limit or blas_threads(), available_cores())
                stack.enter_context(one_thread_blas())
                ops = stack.enter_context(Products(pool))
            else:
                stack.enter_context(_cpu_threads(limit))
            values, vectors, info = run(
                matrix,
                k,
                which=which,
                device=device,
                seed=seed,
                tol=tol,
                n_oversamples=n_oversamples,
                n_iter=n_iter,
                bar=bar,
                ops=ops,
            )
    finally:
        if bar is not None:
            bar.close()
    values = to_numpy(values)
    order = _order(values, k, which)
    xp = array_module(vectors)
    values, vectors = values[order].astype(np.float64), to_numpy(vectors[:, xp.asarray(order)])
    info["device"] = device
    if which == "LA" and values[-1] <= 0:
        log.warning(
            "which='LA': only %d of the %d largest eigenvalues are positive; the rest (down to %.3g) are "
            "kept, and an embedding weights them by |lambda|^p like the positive ones.",
            int((values > 0).sum()),
            k,
            values[-1],
        )
    return Eigenpairs(values, fix_signs(vectors), solver, which, info)


def _progress_bar(enabled: bool, solver: str, k: int) -> Any:
    if not enabled:
        return None
    from .._core.progress import ProgressBar

    return ProgressBar(f"{k} eigenpairs ({solver})", unit="products")


def _counting(A: Any, bar: Any) -> Any:
    """``A`` as a LinearOperator whose products advance ``bar`` (by the number of vectors multiplied)."""
    if bar is None:
        return A
    from scipy.sparse.linalg import LinearOperator, aslinearoperator

    op = aslinearoperator(A)

    def matmat(X: np.ndarray) -> np.ndarray:
        bar.update(1 if X.ndim == 1 else X.shape[1])
        return op.matmat(X) if X.ndim == 2 else op.matvec(X)

    return LinearOperator(op.shape, matvec=matmat, matmat=matmat, rmatvec=matmat, dtype=op.dtype)


def choose_solver(V: int, k: int, sparse: bool, density: float, device: str, memory: int | None = None) -> str:
    """The solver ``auto`` uses: the fastest that meets its accuracy, by size, density, device and memory.

    The accuracy asked of every solver ``auto`` picks is the top-K eigenvalues within 1e-3, relative, of
    scipy's ``eigsh`` (Lanczos and dense are exact to round-off; the randomized solver reaches it through
    its residual rule). The rule, on the CPU:

    - sparse input with density under 10% (PPMI, SPPMI): ``lanczos`` while k < V - 1;
    - ``dense`` (exact) when V <= ``SMALL_DENSE`` (500), when k >= V - 1, or when k > V / ``LANCZOS_RATIO``
      (20), provided its working memory fits: about 1.2 V^2 float64 entries beyond the matrix for the
      index-subset path and 3 V^2 for the full decomposition (k > V / 32), against ``memory`` bytes
      (default: the memory the system reports available, 80% of it); otherwise ``lanczos``;
    - ``block`` otherwise (k <= V / 20 on a dense matrix) where its basis fits
      (:func:`block_working_bytes`), else ``lanczos``;
    - ``randomized`` is never chosen on the CPU.

    Block Krylov replaced Lanczos for dense matrices after this measurement (benchmarks/RESULTS.md,
    "Spectral: block Krylov", 2-core VM, quiet), M* in float32 as ``cooc embed`` makes it: on the
    Bible (V 12,672), K = 100: 10.4 s against 24.6 s for Lanczos, K = 200: 21.8 s against 42.5 s; on
    the wiki sample at V = 25,000, K = 100: 31.6 s (eigsh in float64: 227 s); top-K eigenvalues within
    1e-6 relative of float64 eigsh's, where scikit-learn's ``randomized_svd`` defaults miss by 3e-2.

    Measurements behind it (benchmarks/spectral.py --real, 2-core VM shared with other jobs, load 6-8;
    benchmarks/RESULTS.md): on the King James Bible's M* (V 12,672, window 10, dense) with K = 200,
    Lanczos took 268 s wall (149 s CPU) and 2.3 GB peak; the randomized solver, whose blocks of 2K
    columns converge slowly on a word matrix's flat spectrum beyond K, had not reached its residual
    rule after 22 min (10 min CPU) and was stopped (scikit-learn's ``randomized_svd`` with its defaults
    misses the K-th value by about 1.5% on a synthetic spectrum decaying like j^-1/2, see the tests;
    it was not timed on the real matrices). On the Bible's PPMI (sparse, 1.2% dense) Lanczos took 167 s wall (57 s CPU) in 0.3 GB, the
    randomized solver 1,555 s (500 s CPU, 40 iterations, eigenvalues within 1.1e-6) in 0.57 GB.
    An earlier measurement (V = 1500, K = 60) had Lanczos 3-4x faster than the dense decomposition.
    The dense path at V = 25,000 needs 5 GB for the float64 matrix alone and as much again for
    LAPACK's copy; the memory check keeps ``auto`` from choosing it where that is not free.

    On a GPU a dense matrix goes to ``torch.linalg.eigh`` when torch sees CUDA (else cupy's dense
    eigh); sparse input with density under 10% always goes to Lanczos while k < V - 1.
    """
    if sparse and density < 0.1 and k < V - 1:
        return "lanczos"
    if device == "cuda":
        return "torch" if resolve_device("auto", backend="torch") == "cuda" else "dense"
    if k >= V - 1:
        return "dense"  # Lanczos cannot; the memory is needed whatever the choice
    if V <= SMALL_DENSE or k > V // LANCZOS_RATIO:
        return "dense" if dense_fits(V, k, memory) else "lanczos"
    if memory is None:
        memory = available_memory()
    return "block" if memory is None or block_working_bytes(V, k) <= 0.8 * memory else "lanczos"


def block_working_bytes(V: int, k: int) -> int:
    """Bytes the block Krylov solver may hold beyond the matrix, in float64: its basis and the basis's
    products at ``BLOCK_TYPICAL_BLOCKS`` blocks of width ``k + max(k // 4, 10)`` (real word matrices
    converged in 10-14), twice over for the copy made when their room doubles."""
    return 8 * 4 * V * min(V, BLOCK_TYPICAL_BLOCKS * (k + max(k // 4, 10)))


def dense_working_bytes(V: int, k: int) -> int:
    """Bytes the CPU dense path allocates beyond the (V, V) float64 matrix (its copy, LAPACK's work, vectors).

    The index-subset path copies the matrix once per call (about 1.2 V^2 entries with the workspace);
    the full decomposition (k > V / ``FULL_RATIO``) also holds V^2 eigenvectors and dsyevd's 2 V^2
    workspace entries: about 3 V^2.
    """
    entries = 3.0 * V * V if k > V // FULL_RATIO else 1.2 * V * V
    return int(8 * entries)


def dense_fits(V: int, k: int, memory: int | None = None) -> bool:
    """Whether the dense path's working memory fits in 80% of ``memory`` bytes (default: available now)."""
    if memory is None:
        memory = available_memory()
    return memory is None or dense_working_bytes(V, k) <= 0.8 * memory


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (psutil, else /proc/meminfo); None when unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with the test dependencies
        pass
    try:  # pragma: no cover
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None  # pragma: no cover


# -- helpers --------------------------------------------------------------------------------
def _check_square(matrix: Any) -> int:
    shape = getattr(matrix, "shape", None)
    if shape is None:
        raise InvalidParameterError(
            f"top_eigenpairs: the matrix must be an array, a sparse matrix or a LinearOperator of shape (V, V), got "
            f"{type(matrix).__name__} (a nested list: np.asarray it)."
        )
    if len(shape) != 2 or shape[0] != shape[1]:
        raise InvalidParameterError(f"top_eigenpairs: the matrix must be square (V, V), got shape {shape}.")
    kind = getattr(getattr(matrix, "dtype", None), "kind", "f")
    if kind not in "iuf":
        raise InvalidParameterError(f"top_eigenpairs: the matrix must be real (symmetric), got dtype {matrix.dtype}.")
    return int(shape[0])


def _operator_solver(solver: str, device: str) -> tuple[str, str]:
    if solver == "auto":
        solver = "lanczos"
    if solver not in ("lanczos", "randomized", "block"):
        raise InvalidParameterError(
            f"top_eigenpairs: a LinearOperator gives products only; use solver='lanczos', "
            f"'randomized' or 'block', not {solver!r}."
        )
    if device == "cuda":
        raise InvalidParameterError("top_eigenpairs: a LinearOperator runs on the CPU; use device='cpu'.")
    return solver, "cpu"


def _on_gpu(matrix: Any) -> bool:
    return is_cupy_sparse(matrix) or device_of(matrix) == "cuda"


def _density(matrix: Any) -> float:
    V = matrix.shape[0]
    nnz = getattr(matrix, "nnz", None)
    return 1.0 if nnz is None else float(nnz) / max(V * V, 1)


def _order(values: np.ndarray, k: int, which: str) -> np.ndarray:
    """Indices of the top ``k`` values by |lambda| (LM) or lambda (LA), descending, ties stable."""
    key = -np.abs(values) if which == "LM" else -values
    return np.argsort(key, kind="stable")[:k]


def fix_signs(vectors: Any) -> Any:
    """Flip each column so that its entry of largest magnitude is positive; shape (V, K) kept."""
    xp = array_module(vectors)
    if vectors.shape[0] == 0:
        return vectors
    rows = xp.argmax(xp.abs(vectors), axis=0)
    signs = xp.sign(vectors[rows, xp.arange(vectors.shape[1])])
    signs = xp.where(signs == 0, 1.0, signs)
    return vectors * signs


def _cpu_threads(n: int | None) -> Any:
    """Limit the BLAS/OpenMP thread pools to ``n`` threads (no-op for None or without threadpoolctl)."""
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(n)


def _dense_host(matrix: Any) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


# -- solvers: each returns (values, vectors, info), unsorted is fine ------------------------
def _dense(matrix: Any, k: int, *, which: str, device: str, **_: Any) -> tuple[Any, Any, dict[str, Any]]:
    if device == "cuda":
        import cupy

        A = matrix.toarray() if is_cupy_sparse(matrix) else cupy.asarray(matrix)
        values, vectors = cupy.linalg.eigh(A)
        return values, vectors, {"method": "cupy.linalg.eigh (full)"}
    import scipy.linalg as sl

    A = _dense_host(matrix)
    V = A.shape[0]
    if which == "LA":
        top = sl.eigh(A, subset_by_index=[V - k, V - 1])
        return top[0], top[1], {"method": "scipy.linalg.eigh (subset)"}
    if k > V // FULL_RATIO:
        values, vectors = sl.eigh(A, driver="evd")
        return values, vectors, {"method": "scipy.linalg.eigh (full, evd)"}
    top = sl.eigh(A, subset_by_index=[V - k, V - 1])
    bottom = sl.eigh(A, subset_by_index=[0, k - 1])
    scale = max(abs(top[0][-1]), abs(bottom[0][0]))
    # "meet" up to the round-off of the matrix's precision: a float32 null space spreads over ~1e-7 of the scale
    eps = float(np.finfo(A.dtype).eps) if np.issubdtype(A.dtype, np.floating) else 0.0
    if top[0][0] - bottom[0][-1] <= max(1e-10, 1e3 * eps) * scale:
        # the two ends meet in one eigenspace (a rank below 2k: many zero eigenvalues); vectors of it
        # from two calls are not orthogonal to each other, so decompose once
        values, vectors = sl.eigh(A, driver="evd")
        return values, vectors, {"method": "scipy.linalg.eigh (full, evd: the two ends met)"}
    return (
        np.concatenate([top[0], bottom[0]]),
        np.concatenate([top[1], bottom[1]], axis=1),
        {"method": "scipy.linalg.eigh (two subsets)"},
    )


def _lanczos(
    matrix: Any, k: int, *, which: str, device: str, seed: int, tol: float, bar: Any = None, **_: Any
) -> tuple[Any, Any, dict[str, Any]]:
    V = matrix.shape[0]
    if k >= V - 1:
        raise InvalidParameterError(f"solver 'lanczos' needs k < V - 1 (got k = {k}, V = {V}); use solver='dense'.")
    v0 = np.random.default_rng(seed).uniform(-1.0, 1.0, V)
    if device == "cuda":
        import cupy
        from cupyx.scipy.sparse.linalg import eigsh as gpu_eigsh

        A = matrix if is_cupy_sparse(matrix) else cupy.asarray(matrix)
        values, vectors = gpu_eigsh(A, k=k, which=which, v0=cupy.asarray(v0, dtype=A.dtype), tol=tol)
        return values, vectors, {"method": "cupyx.scipy.sparse.linalg.eigsh"}
    from scipy.sparse.linalg import eigsh

    A = matrix if sp.issparse(matrix) or is_operator(matrix) else np.asarray(matrix)
    values, vectors = eigsh(_counting(A, bar), k=k, which=which, v0=v0.astype(A.dtype), tol=tol)
    return values, vectors, {"method": "scipy.sparse.linalg.eigsh"}


def _torch(matrix: Any, k: int, *, which: str, device: str, **_: Any) -> tuple[Any, Any, dict[str, Any]]:
    import torch

    if sp.issparse(matrix):
        matrix = matrix.toarray()
    elif is_cupy_sparse(matrix):
        matrix = matrix.toarray()
    A = torch.as_tensor(matrix, device=device)
    values, vectors = torch.linalg.eigh(A)
    values = values.cpu().numpy()
    order = _order(values, k, which)  # select on the device: only K columns travel back
    vectors = vectors[:, torch.as_tensor(order, device=vectors.device)].cpu().numpy()
    return values[order], vectors, {"method": f"torch.linalg.eigh (full, {device})"}
