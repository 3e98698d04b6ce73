"""EigenEmbedding: co-occurrence counts -> target matrix -> top-K eigenpairs -> Embedding.

A scikit-learn estimator: ``clone``, ``get_params``/``set_params`` and grid searches hold it;
``fit_transform`` and ``transform`` return the (V, K) array, the :class:`~cooc.embedding.Embedding`
(words and metadata) is the fitted ``embedding_``. It was first called ``SpectralEmbedding``, a
name scikit-learn uses for Laplacian eigenmaps; that name remains an alias.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._core.errors import InputDataError, InvalidParameterError
from .._core.io import provenance
from .._core.params import InstanceOf, Interval, OneOf, validate
from ..cooccurrence.blocked import BlockedCooccurrence
from ..cooccurrence.matrix import Cooccurrence, as_cooccurrence
from ..embedding import Embedding
from .eigen import SOLVERS, WHICH, Eigenpairs, top_eigenpairs
from .kinds import KINDS
from .targets import Target


def _refuse_an_empty_target(matrix: Any, kind: str) -> None:
    """An all-zero target has nothing to embed (and sent Lanczos into a raw ``ArpackError``, "starting vector
    is zero"): say why instead (a shifted PPMI whose shift is above every PMI, counts with no pair)."""
    if hasattr(matrix, "matvec") and not hasattr(matrix, "nnz"):  # a block-by-block operator: not read here
        return
    data = matrix.data if hasattr(matrix, "nnz") else matrix
    if not bool((data != 0).any()):  # on the matrix's own device (a GPU target is not copied)
        why = " (the shift log(neg) is at or above every PMI: lower neg)" if kind == "sppmi" else ""
        raise InputDataError(f"EigenEmbedding: the {kind} target of these counts is all zeros{why}; nothing to embed.")


class EigenEmbedding(BaseEstimator):
    """Eigen-embedding of a co-occurrence target: ``W = U_K |Lambda_K|^p``.

    Parameters
    ----------
    target : {"p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"}, default "mstar"
    dim : int, default 200
        K, the number of eigenpairs kept.
    p : float, default 0.5
        Eigenvalue weighting (Levy et al.'s "eig"; 0 keeps the bare eigenvectors).
    which : {"LM", "LA"}, default "LM"
        Keep the K eigenvalues largest in magnitude, or the K most positive.
    solver : {"auto", "dense", "lanczos", "randomized", "block", "torch"}, default "auto"
        ``auto``: block Krylov for a dense matrix on the CPU, Lanczos for a sparse one (see
        :func:`~cooc.spectral.eigen.choose_solver`).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Builds the dense target and solves there.
    seed : int, default 0
    eps, neg, alpha, marginals, max_dense, dtype
        Passed to :class:`~cooc.spectral.targets.Target`. PPMI and SPPMI use global unigram
        marginals and symmetric smoothing by default (docs/science.md, section 2), not Levy et al.'s
        column-only smoothing, which gives an asymmetric matrix: see ``Target(smoothing="context")``.
    keep_matrix : bool, default False
        Keep the target matrix in ``target_.matrix_`` after solving.
    progress : bool, default False
        Show the eigensolver's progress bar (on a terminal).

    Attributes
    ----------
    target_ : Target
        The fitted target (its matrix is dropped after fitting unless ``keep_matrix``).
    eigenpairs_ : Eigenpairs
        values (K,), vectors (V, K).
    embedding_ : Embedding
        Vectors of shape (V, K) for the co-occurrence vocabulary.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from cooc import Cooccurrence, EigenEmbedding
    >>> counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]]))
    >>> cooc = Cooccurrence.from_scipy(counts, ["cat", "dog", "car"], unigram=np.array([5, 5, 2]))
    >>> model = EigenEmbedding(target="mstar", dim=2).fit(cooc)
    >>> model.embedding_.index_to_key, model.transform().shape
    (['cat', 'dog', 'car'], (3, 2))
    """

    _constraints = {
        "target": OneOf(KINDS),
        "dim": Interval(int, 1, None),
        "p": Interval(float, None, None),
        "which": OneOf(WHICH),
        "solver": OneOf(SOLVERS),
        "device": OneOf(("cpu", "cuda", "auto")),
        "seed": Interval(int, 0, None),
        "keep_matrix": InstanceOf(bool),
        "progress": InstanceOf(bool),
    }

    def __init__(
        self,
        target: str = "mstar",
        dim: int = 200,
        p: float = 0.5,
        *,
        which: str = "LM",
        solver: str = "auto",
        device: str = "cpu",
        seed: int = 0,
        eps: float = 1e-2,
        neg: float = 1,
        alpha: float = 1.0,
        marginals: str = "global",
        max_dense: int = 30000,
        dtype: str = "float64",
        keep_matrix: bool = False,
        progress: bool = False,
    ):
        self.target = target
        self.dim = dim
        self.p = p
        self.which = which
        self.solver = solver
        self.device = device
        self.seed = seed
        self.eps = eps
        self.neg = neg
        self.alpha = alpha
        self.marginals = marginals
        self.max_dense = max_dense
        self.dtype = dtype
        self.keep_matrix = keep_matrix
        self.progress = progress

    def _target(self) -> Target:
        return Target(
            self.target,
            eps=self.eps,
            neg=self.neg,
            alpha=self.alpha,
            marginals=self.marginals,
            max_dense=self.max_dense,
            dtype=self.dtype,
            device=self.device,
        )

    def fit(self, cooc: Cooccurrence | str | os.PathLike, y: Any = None) -> EigenEmbedding:
        """Build the target, take its top ``dim`` eigenpairs and form the embedding (``y`` is ignored).

        ``cooc`` is a :class:`~cooc.Cooccurrence` or the path of one saved by ``cooc count``
        (as :func:`cooc.count_cooccurrences` takes a corpus or its path).
        """
        validate(self.get_params(), self._constraints, owner="EigenEmbedding")
        cooc = as_cooccurrence(cooc)
        if not isinstance(cooc, (Cooccurrence, BlockedCooccurrence)):
            raise InvalidParameterError(
                f"EigenEmbedding: fit takes co-occurrence counts (a Cooccurrence, or the path of one saved by "
                f"cooc count), got {type(cooc).__name__}."
            )
        if self.dim > len(cooc):
            raise InvalidParameterError(
                f"EigenEmbedding: parameter 'dim' must be at most V = {len(cooc)}, got {self.dim}."
            )
        self.target_ = self._target().fit(cooc)
        _refuse_an_empty_target(self.target_.matrix_, self.target)
        self.eigenpairs_ = top_eigenpairs(
            self.target_.matrix_,
            self.dim,
            which=self.which,
            solver=self.solver,
            device=self.device,
            seed=self.seed,
            progress=self.progress,
        )
        if not self.keep_matrix:
            del self.target_.matrix_
        self.words_ = list(cooc.vocab.words)
        self._cooc_info = {"settings": cooc.settings, "provenance": cooc.provenance, "V": len(cooc)}
        self.embedding_ = self.embedding()
        return self

    def transform(self, X: Any = None) -> np.ndarray:
        """The embedding's vectors, shape (V, K): of the fitted vocabulary (``X`` None or the fitted
        counts), or of the words in ``X`` (a sequence of str, shape (n, K))."""
        check_is_fitted(self, "embedding_")
        if X is None or (hasattr(X, "vocab") and list(X.vocab.words) == self.words_):
            return np.asarray(self.embedding_.vectors)
        if hasattr(X, "vocab"):
            raise InputDataError("EigenEmbedding.transform: these counts have another vocabulary than the fitted ones.")
        if isinstance(X, str):  # list("cat") would look up 'c', 'a', 't'
            raise InvalidParameterError(
                f"EigenEmbedding.transform: X is a sequence of words; for one word give [{X!r}], got the string {X!r}."
            )
        return self.embedding_[list(X)]

    def fit_transform(self, cooc: Cooccurrence, y: Any = None) -> np.ndarray:
        """``fit(cooc).transform()``: the vectors, shape (V, K) (the Embedding is ``embedding_``)."""
        return self.fit(cooc).transform()

    def embedding(self, k: int | None = None, p: float | None = None) -> Embedding:
        """The embedding from the first ``k`` eigenpairs with weighting ``p`` (defaults: all, ``self.p``).

        One decomposition serves every K <= ``dim``; this is how accuracy-against-K curves
        are made.
        """
        check_is_fitted(self, "eigenpairs_")
        pairs: Eigenpairs = self.eigenpairs_
        validate(
            {"k": k, "p": p},
            {"k": Interval(int, 1, len(pairs), allow_none=True), "p": Interval(float, None, None, allow_none=True)},
            "EigenEmbedding.embedding",
        )  # 1.7 was cut to 1, and a NaN p (refused by the constructor) gave NaN vectors
        k = len(pairs) if k is None else int(k)
        p = self.p if p is None else p
        meta = {
            "target": self.target,
            "dim": k,
            "p": p,
            "params": self.get_params(),
            "eigenvalues": pairs.values[:k].tolist(),
            "solver": pairs.solver,
            "solver_info": pairs.info,
            "cooccurrence": self._cooc_info,
            "provenance": provenance(step="EigenEmbedding"),
        }
        return Embedding(pairs.weighted(p, k), self.words_, meta)

    @property
    def eigenvalues_(self) -> np.ndarray:
        return self.eigenpairs_.values


#: The earlier name of :class:`EigenEmbedding` (scikit-learn's SpectralEmbedding is another method).
SpectralEmbedding = EigenEmbedding
