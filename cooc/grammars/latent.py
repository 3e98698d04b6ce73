"""A latent-variable language: words attached to points of a continuous latent space.

The model behind the symmetry paper (arXiv 2602.15029, docs/science.md, section 4): ``N``
*latent words* sit at positions on a circle (months, days), a line (years) or a plane
(places); ``F`` *filler words* carry no latent. A document picks a latent state ``z``
uniformly among ``S`` states (points of the same space), then draws its ``T`` tokens
independently: with probability ``latent_fraction`` a latent word ``i`` with
probability ``E[z, i] = K(d(z, x_i)) / sum_k K(d(z, x_k))``, otherwise a filler word from
a Zipf law. ``K`` is the emission kernel (exponential by default, or any function of
the distance).

Tokens of a document are exchangeable, so every pair of positions inside a document has
the same joint distribution ``J = sum_z pi_z p(.|z) p(.|z)^T``, whatever the window or
its weights: the normalised co-occurrence counted from this corpus converges to ``J``
exactly. ``J`` depends on the words only through their latent distance whenever the
states are spread uniformly (translation symmetry); on the circle with words and states
on one regular grid the latent block is circulant, so its eigenvectors are Fourier modes
and its eigenvalues the discrete cosine transform of its first row.

**Root-kernel models** (:meth:`LatentVariableModel.root_kernel`). To test a claim about a
given M* kernel (the months' circular exponential, the years' Toeplitz exponential), the
model must produce that kernel, not a transform of it: with an emission ``K(d)`` the
co-occurrence is the autoconvolution of ``K`` (seen through M*'s nonlinearity), a smoother
kernel than ``K``. The root-kernel model is built backwards from the wanted M* block
``T = amp * k(d) + c`` (docs/science.md, section 4): M* = 2 (M - 1) / (M + 1) fixes the block
``A = (2 + T) / (2 - T)`` of M = P_ij / (P_i P_j); a latent law ``q`` with ``A q = 1`` (every
row of M averages to 1 under the latent law, which any joint must satisfy) and
``1^T q = 1`` exists for exactly one offset ``c``, found by root search. With
``B = diag(q) A diag(q)`` and ``R`` its symmetric square root, states sit at the word
positions, state ``z`` has probability ``(1^T R[:, z])^2`` and emits word ``i`` with
probability ``R[i, z] / 1^T R[:, z]``. Then ``sum_z pi_z E_z E_z^T = R R^T = B``, so the model's
M block is ``A`` and its M* block is ``T`` exactly (to rounding). ``R`` must be non-negative:
it is for an exponential kernel on a line or on a circle grid and on a fine enough plane
grid; a kernel too wide for its grid is refused. On an open line or plane the latent law
``q`` is not uniform: words near the boundary are more frequent (they have fewer
neighbours to share the co-occurrence with); on a circle grid it is uniform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import optimize

from .._core.errors import InvalidParameterError
from .._core.params import Interval, OneOf, validate
from ..cooccurrence.matrix import Cooccurrence
from ._exact import exact_cooccurrence
from ._random import Seed, categorical_rows, numpy_rng

GEOMETRIES = ("circle", "line", "plane")
KERNELS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "exponential": lambda d, scale: np.exp(-d / scale),
    "gaussian": lambda d, scale: np.exp(-0.5 * (d / scale) ** 2),
}
PREFIX = {"circle": "c", "line": "y", "plane": "p"}


class LatentVariableModel:
    """Latent words on a circle, line or plane, plus fillers, in bag-of-words documents.

    Parameters
    ----------
    n_words : int
        Number of latent words ``N``.
    geometry : {"circle", "line", "plane"}
    positions : array-like, optional
        Word positions: shape (N,) for circle (in ``[0, period)``) and line, (N, 2) for
        plane. Default: the grid ``0, 1, ..., N-1`` (circle, line) or uniform points in
        the unit square drawn with ``layout_seed`` (plane).
    states : array-like, optional
        Document latent states, same layout as ``positions``; default: the word positions.
    period : float, optional
        Circumference of the circle (default ``N``, so grid neighbours are 1 apart).
    kernel : "exponential", "gaussian" or callable
        Emission kernel ``K(d)``; a callable takes an array of distances and returns
        non-negative weights of the same shape.
    scale : float
        Length scale of the named kernels (in position units).
    latent_fraction : float in (0, 1]
        Probability that a token is a latent word.
    n_fillers : int
        Number of filler words (0 allowed when ``latent_fraction`` is 1).
    filler_exponent : float
        Fillers follow a Zipf law ``k**-filler_exponent`` (0 gives uniform fillers).
    doc_length : int
        Tokens per document (at least 2).
    words : sequence of str, optional
        Names of the latent words (default ``c0, c1, ...`` / ``y0, ...`` / ``p0, ...``);
        fillers are ``f0, f1, ...``.
    layout_seed : int
        Seed of the random plane layout.
    emission : array-like of shape (S, N), optional
        Given emission weights ``E[z, i]`` (rows are normalised); ``kernel`` and ``scale`` are
        then unused. :meth:`root_kernel` builds one.
    state_weights : array-like of shape (S,), optional
        Probability of each latent state (normalised); default uniform.

    Attributes
    ----------
    positions : ndarray of shape (N,) or (N, 2)
    states : ndarray of shape (S,) or (S, 2)
    emission : ndarray of shape (S, N)
        ``E[z, i]``, rows sum to 1.
    state_probs : ndarray of shape (S,)
        ``pi_z``, the probability of each state (uniform unless ``state_weights`` was given).
    target_mstar : ndarray of shape (N, N) or None
        The exact M* block of the latent words for a :meth:`root_kernel` model, else None.
    filler_probs : ndarray of shape (F,)
    words : list of str, length V = N + F
    """

    _constraints = {
        "n_words": Interval(int, 2, None),
        "geometry": OneOf(GEOMETRIES),
        "scale": Interval(float, 0, None, "neither"),
        "latent_fraction": Interval(float, 0, 1, "right"),
        "n_fillers": Interval(int, 0, None),
        "filler_exponent": Interval(float, 0, None),
        "doc_length": Interval(int, 2, None),
        "layout_seed": Interval(int, 0, None),
        "period": Interval(float, 0, None, "neither", allow_none=True),
    }

    def __init__(
        self,
        n_words: int = 12,
        geometry: str = "circle",
        *,
        positions: Any = None,
        states: Any = None,
        period: float | None = None,
        kernel: str | Callable[[np.ndarray], np.ndarray] = "exponential",
        scale: float = 1.0,
        latent_fraction: float = 0.5,
        n_fillers: int = 50,
        filler_exponent: float = 1.0,
        doc_length: int = 20,
        words: Sequence[str] | None = None,
        layout_seed: int = 0,
        emission: Any = None,
        state_weights: Any = None,
    ):
        validate(
            dict(
                n_words=n_words,
                geometry=geometry,
                scale=scale,
                latent_fraction=latent_fraction,
                n_fillers=n_fillers,
                filler_exponent=filler_exponent,
                doc_length=doc_length,
                layout_seed=layout_seed,
                period=period,
            ),
            self._constraints,
            type(self).__name__,
        )
        if n_fillers == 0 and latent_fraction < 1:
            raise InvalidParameterError(f"n_fillers = 0 needs latent_fraction = 1, got {latent_fraction!r}.")
        if not callable(kernel) and kernel not in KERNELS:
            raise InvalidParameterError(
                f"parameter 'kernel' must be one of {tuple(KERNELS)} or a callable, got {kernel!r}."
            )
        self.n_words, self.geometry, self.kernel, self.scale = int(n_words), geometry, kernel, float(scale)
        self.latent_fraction, self.n_fillers = float(latent_fraction), int(n_fillers)
        self.filler_exponent, self.doc_length, self.layout_seed = (
            float(filler_exponent),
            int(doc_length),
            int(layout_seed),
        )
        self.period = float(period) if period is not None else float(n_words)
        self.positions = self._layout(positions, "positions", self.n_words)
        self.states = self.positions.copy() if states is None else self._layout(states, "states", None)
        self.emission = self._emission() if emission is None else self._given_emission(emission)
        self.state_probs = self._state_probs(state_weights)
        self.kernel_given = emission is not None
        self.target_mstar: np.ndarray | None = None
        self.mstar_offset = 0.0
        ranks = np.arange(1, self.n_fillers + 1, dtype=np.float64)
        self.filler_probs = ranks**-self.filler_exponent / np.sum(ranks**-self.filler_exponent) if n_fillers else ranks
        names = [f"{PREFIX[geometry]}{i}" for i in range(self.n_words)] if words is None else [str(w) for w in words]
        if len(names) != self.n_words:
            raise InvalidParameterError(f"parameter 'words' must name {self.n_words} latent words, got {len(names)}.")
        self.words = names + [f"f{k}" for k in range(self.n_fillers)]

    def _layout(self, given: Any, name: str, n: int | None) -> np.ndarray:
        if given is None:
            if n is None:
                raise InvalidParameterError(f"parameter {name!r} must be given.")
            if self.geometry == "plane":
                return np.random.default_rng(self.layout_seed).random((n, 2))
            return np.arange(n, dtype=np.float64)
        arr = np.asarray(given, dtype=np.float64)
        shape_ok = arr.ndim == 2 and arr.shape[1] == 2 if self.geometry == "plane" else arr.ndim == 1
        if not shape_ok or (n is not None and arr.shape[0] != n) or arr.shape[0] < 1 or not np.isfinite(arr).all():
            want = "(n, 2)" if self.geometry == "plane" else "(n,)"
            raise InvalidParameterError(
                f"parameter {name!r} must be finite with shape {want}"
                f"{'' if n is None else f' and n = {n}'}, got shape {arr.shape}."
            )
        return arr

    def _given_emission(self, given: Any) -> np.ndarray:
        E = np.asarray(given, dtype=np.float64)
        if E.shape != (len(self.states), self.n_words) or not np.isfinite(E).all() or (E < 0).any():
            raise InvalidParameterError(
                f"parameter 'emission' must hold finite non-negative weights of shape "
                f"({len(self.states)}, {self.n_words}) (states, words), got shape {E.shape}."
            )
        sums = E.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise InvalidParameterError("parameter 'emission': every state must emit some word.")
        return E / sums

    def _state_probs(self, given: Any) -> np.ndarray:
        S = len(self.states)
        if given is None:
            return np.full(S, 1.0 / S)
        w = np.asarray(given, dtype=np.float64)
        if w.shape != (S,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InvalidParameterError(
                f"parameter 'state_weights' must be {S} finite non-negative weights, not all zero, got shape {w.shape}."
            )
        return w / w.sum()

    def params(self) -> dict[str, Any]:
        """The scalar parameters (positions and states excepted)."""
        kernel = self.kernel if isinstance(self.kernel, str) else getattr(self.kernel, "__name__", "callable")
        if self.target_mstar is not None:
            kernel = "root-kernel"
        return dict(
            n_words=self.n_words,
            geometry=self.geometry,
            kernel=kernel,
            scale=self.scale,
            latent_fraction=self.latent_fraction,
            n_fillers=self.n_fillers,
            filler_exponent=self.filler_exponent,
            doc_length=self.doc_length,
            period=self.period,
            layout_seed=self.layout_seed,
            n_states=len(self.states),
        )

    # -- geometry ---------------------------------------------------------------------------
    def distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Latent distances between the points of ``a`` and ``b``: shape (len(a), len(b))."""
        if self.geometry == "plane":
            return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
        d = np.abs(a[:, None] - b[None, :])
        if self.geometry == "circle":
            d = np.mod(d, self.period)
            d = np.minimum(d, self.period - d)
        return d

    def word_distances(self) -> np.ndarray:
        """Distances between latent words, shape (N, N)."""
        return self.distance(self.positions, self.positions)

    def kernel_values(self, d: np.ndarray) -> np.ndarray:
        """The emission kernel ``K`` applied to distances."""
        values = KERNELS[self.kernel](d, self.scale) if isinstance(self.kernel, str) else self.kernel(d)
        values = np.asarray(values, dtype=np.float64)
        if values.shape != d.shape or not np.isfinite(values).all() or (values < 0).any():
            raise InvalidParameterError("the kernel must return finite non-negative weights of the distances' shape.")
        return values

    def _emission(self) -> np.ndarray:
        weights = self.kernel_values(self.distance(self.states, self.positions))
        sums = weights.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise InvalidParameterError("some latent state has zero kernel weight to every word; increase 'scale'.")
        return weights / sums

    # -- exact statistics -------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self.n_words + self.n_fillers

    def word_given_state(self) -> np.ndarray:
        """``p(w | z)`` for every state and word, shape (S, V)."""
        latent = self.latent_fraction * self.emission
        fillers = np.broadcast_to((1 - self.latent_fraction) * self.filler_probs, (len(self.states), self.n_fillers))
        return np.concatenate([latent, fillers], axis=1)

    def unigram(self) -> np.ndarray:
        """Exact unigram distribution, shape (V,)."""
        p = self.word_given_state()
        return p.mean(axis=0) if self._uniform_states() else self.state_probs @ p

    def _uniform_states(self) -> bool:
        return bool(np.all(self.state_probs == self.state_probs[0]))

    def joint(self) -> np.ndarray:
        """Exact joint of two tokens of one document, shape (V, V), summing to 1."""
        p = self.word_given_state()
        if self._uniform_states():  # the plain mean: bit for bit what a uniform model always gave
            return p.T @ p / p.shape[0]
        return (p.T * self.state_probs) @ p

    def latent_block(self, target: str = "joint") -> np.ndarray:
        """Exact N x N block between latent words: ``"joint"``, ``"m"`` (P_ij / P_i P_j) or ``"pmi"`` (log m)."""
        if target not in ("joint", "m", "pmi"):
            raise InvalidParameterError(f"parameter 'target' must be one of ('joint', 'm', 'pmi'), got {target!r}.")
        N = self.n_words
        block = self.joint()[:N, :N]
        if target == "joint":
            return block
        p = self.unigram()[:N]
        m = block / np.outer(p, p)
        return m if target == "m" else np.log(m)

    def exact_cooccurrence(self) -> Cooccurrence:
        """The exact co-occurrence as a :class:`~cooc.Cooccurrence` (feed it to ``Target``)."""
        return exact_cooccurrence(self.joint(), self.unigram(), self.words, {"model": "latent", **self.params()})

    def is_circulant(self) -> bool:
        """True when words and states lie on one regular grid of the circle (Fourier eigenvectors exact)."""
        if self.geometry != "circle":
            return False
        grid = np.arange(self.n_words) * self.period / self.n_words
        pos = np.sort(np.mod(self.positions, self.period))
        states = np.sort(np.mod(self.states, self.period))
        step = self.period / len(self.states)
        if self.kernel_given:  # an arbitrary emission: check the block itself
            block = self.latent_block("joint")
            shift = (np.arange(self.n_words)[None, :] - np.arange(self.n_words)[:, None]) % self.n_words
            if not np.allclose(block, block[0][shift], rtol=1e-10, atol=0):
                return False
        return (
            np.allclose(self.state_probs, self.state_probs[0])
            and len(self.states) % self.n_words == 0
            and np.allclose(np.mod(self.positions, self.period), grid)
            and np.allclose(states, np.arange(len(self.states)) * step)
            and np.allclose(pos, grid)
        )

    def circulant_spectrum(self, target: str = "pmi") -> tuple[np.ndarray, np.ndarray]:
        """Closed-form eigenpairs of the latent block on a regular circle.

        Returns
        -------
        eigenvalues : ndarray of shape (N,)
            ``lambda_k = sum_j c_j cos(2 pi j k / N)`` for the block's first row ``c``,
            in the order of :func:`fourier_modes`.
        modes : ndarray of shape (N, N)
            Orthonormal Fourier modes as columns (see :func:`fourier_modes`).
        """
        if not self.is_circulant():
            raise InvalidParameterError("the closed-form spectrum needs words and states on one regular circle grid.")
        first_row = self.latent_block(target)[0]
        return circulant_eigenvalues(first_row), fourier_modes(self.n_words)

    # -- the root-kernel model ----------------------------------------------------------------
    @classmethod
    def root_kernel(
        cls,
        n_words: int | None = None,
        geometry: str = "circle",
        *,
        positions: Any = None,
        period: float | None = None,
        kernel: str | Callable[[np.ndarray], np.ndarray] = "exponential",
        scale: float = 1.0,
        amp: float = 0.5,
        images: int = 2,
        **kwargs: Any,
    ) -> LatentVariableModel:
        """A model whose latent words' M* block is exactly ``amp * k(d) + c`` (see the module docstring).

        Parameters
        ----------
        n_words : int, optional
            Number of latent words (default: the number of ``positions``).
        geometry : {"circle", "line", "plane"}
        positions : array-like, optional
            Word positions (default: the grid 0..N-1 on a circle or a line). A plane needs a
            regular enough layout (a grid): on random points the latent law can come out negative.
        period : float, optional
            Circumference of the circle (default N).
        kernel : "exponential", "gaussian" or callable
            ``k(d)``; a callable takes distances and returns values.
        scale : float
            Length scale of the named kernels.
        amp : float in (0, 2)
            Amplitude of the M* kernel.
        images : int
            On a circle, ``k`` is summed over this many periodic images on each side
            (``sum_{n=-images..images} k(|x - P n|)``, the papers' months kernel with 2).
        **kwargs
            Passed to the constructor (``words``, ``n_fillers``, ``latent_fraction``, ``doc_length``...).

        Returns
        -------
        LatentVariableModel
            With ``target_mstar`` (N, N) set to the exact M* block and ``mstar_offset`` to ``c``.

        Raises
        ------
        InvalidParameterError
            When no non-negative emission produces the kernel (too wide for the grid, or ``amp``
            too large).
        """
        validate(
            {"amp": amp, "images": images},
            {"amp": Interval(float, 0, 2, "neither"), "images": Interval(int, 0, 50)},
            "LatentVariableModel.root_kernel",
        )
        shape = cls(
            n_words if n_words is not None else len(np.asarray(positions)),
            geometry,
            positions=positions,
            period=period,
            kernel=kernel,
            scale=scale,
            **{k: v for k, v in kwargs.items() if k in ("words", "layout_seed")},
            n_fillers=1,
            latent_fraction=0.5,
        )
        T = amp * shape._kernel_matrix(images)
        offset, q = _consistent_offset(T)
        A = (2 + T + offset) / (2 - T - offset)
        w, U = np.linalg.eigh(q[:, None] * A * q[None, :])
        if w.min() < -1e-12 * w.max():
            raise InvalidParameterError(
                f"root_kernel: the kernel (amp {amp}, scale {scale}) gives an indefinite co-occurrence block; "
                "lower 'amp' or 'scale'."
            )
        R = (U * np.sqrt(np.clip(w, 0.0, None))) @ U.T
        if R.min() < -1e-9 * R.max():
            raise InvalidParameterError(
                f"root_kernel: no non-negative emission gives this kernel (scale {scale} is too wide for the "
                "positions' grid, or 'amp' too large); use a finer grid, a smaller 'scale' or 'amp'."
            )
        R = np.clip(R, 0.0, None)
        mass = R.sum(axis=0)
        model = cls(
            shape.n_words,
            geometry,
            positions=shape.positions,
            period=shape.period,
            kernel=kernel,
            scale=scale,
            emission=(R / mass).T,
            state_weights=mass**2,
            **kwargs,
        )
        model.target_mstar = T + offset
        model.mstar_offset = float(offset)
        return model

    def _kernel_matrix(self, images: int) -> np.ndarray:
        """``k`` of the distances between latent words (on a circle, summed over periodic images)."""
        if self.geometry != "circle":
            return self.kernel_values(self.word_distances())
        d = self.word_distances()  # in [0, P/2]: the images -n..n then sit symmetrically about the pair
        shifts = self.period * np.arange(-images, images + 1)
        return np.sum([self.kernel_values(np.abs(d - s)) for s in shifts], axis=0)

    # -- sampling ---------------------------------------------------------------------------
    def sample(self, n_docs: int, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw documents.

        Returns
        -------
        tokens : int32 ndarray of shape (n_docs, doc_length)
            Word indices: latent words ``0..N-1``, fillers ``N..N+F-1``.
        states : int64 ndarray of shape (n_docs,)
            Each document's latent state (an index into ``states``).
        """
        validate({"n_docs": n_docs}, {"n_docs": Interval(int, 1, None)}, "sample")
        rng = numpy_rng(seed)
        shape = (n_docs, self.doc_length)
        if self._uniform_states():
            states = rng.integers(0, len(self.states), size=n_docs)
        else:
            cum = np.cumsum(self.state_probs)
            states = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n_docs), side="right"), len(cum) - 1)
        is_latent = rng.random(shape) < self.latent_fraction
        u = rng.random(shape)
        rows = np.broadcast_to(states[:, None], shape)
        latent = categorical_rows(np, np.cumsum(self.emission, axis=1), rows, u)
        if self.n_fillers:
            cum = np.cumsum(self.filler_probs)
            fillers = self.n_words + np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), self.n_fillers - 1)
            latent = np.where(is_latent, latent, fillers)
        return latent.astype(np.int32), states


def _consistent_offset(T: np.ndarray) -> tuple[float, np.ndarray]:
    """The offset c for which the M block of M* = T + c admits a latent law, and that law.

    A joint's M block satisfies ``A q = 1`` with ``q`` the latent law (rows of M average to 1
    under it); ``q = A^-1 1`` must also sum to 1, which fixes ``c`` (``1^T A(c)^-1 1`` falls
    from above 1 to below it as ``c`` grows). Returns ``(c, q)``.
    """
    ones = np.ones(len(T))

    def excess(c: float) -> float:
        return float(ones @ np.linalg.solve((2 + T + c) / (2 - T - c), ones)) - 1.0

    lo, hi = -2.0 - T.min(), 2.0 - T.max()
    span = hi - lo
    a, b = lo + 1e-9 * span, hi - 1e-9 * span
    if not (excess(a) > 0 > excess(b)):
        raise InvalidParameterError("root_kernel: no offset makes this kernel the M* block of a latent model.")
    c = optimize.brentq(excess, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    q = np.linalg.solve((2 + T + c) / (2 - T - c), ones)
    if q.min() <= 0:
        raise InvalidParameterError(
            "root_kernel: the kernel needs a negative word frequency (too wide for the positions' grid); "
            "use a finer grid or a smaller 'scale'."
        )
    return float(c), q


def fourier_modes(n: int) -> np.ndarray:
    """Orthonormal real Fourier basis of the n-cycle, shape (n, n), modes as columns.

    Column 0 is constant; columns ``2k - 1`` and ``2k`` are ``cos`` and ``sin`` of
    frequency ``k`` (k = 1 .. (n-1)//2); for even ``n`` the last column is the alternating
    mode. Every circulant symmetric matrix is diagonal in this basis.
    """
    j = np.arange(n)
    cols = [np.full(n, 1 / np.sqrt(n))]
    for k in range(1, (n - 1) // 2 + 1):
        cols.append(np.sqrt(2 / n) * np.cos(2 * np.pi * k * j / n))
        cols.append(np.sqrt(2 / n) * np.sin(2 * np.pi * k * j / n))
    if n % 2 == 0:
        cols.append(np.cos(np.pi * j) / np.sqrt(n))
    return np.stack(cols, axis=1)


def fourier_frequencies(n: int) -> np.ndarray:
    """The frequency ``k`` of each column of :func:`fourier_modes`, shape (n,)."""
    freqs = [0] + [k for k in range(1, (n - 1) // 2 + 1) for _ in range(2)]
    return np.array(freqs + ([n // 2] if n % 2 == 0 else []))


def circulant_eigenvalues(first_row: np.ndarray) -> np.ndarray:
    """Eigenvalues of the symmetric circulant matrix with this first row, in :func:`fourier_modes` order."""
    c = np.asarray(first_row, dtype=np.float64)
    n = c.size
    k = fourier_frequencies(n)
    return np.cos(2 * np.pi * np.outer(k, np.arange(n)) / n) @ c
