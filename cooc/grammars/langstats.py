"""Language statistics of any TokenCorpus: the lag-n covariance spectrum and conditional-entropy decay.

Following arXiv 2602.07488 (docs/science.md, section 6):

- **beta**: with ``J_n(a, b) = P(x_t = a, x_{t+n} = b)`` counted over all pairs ``n``
  apart inside documents (position-resolved counts from
  :func:`cooc.count.counter.count_cooccurrences`), the covariance
  ``C(n) = J_n - r_n c_n^T`` (``r_n``, ``c_n`` the marginals of ``J_n``) has top singular
  value ``||C(n)||_op ~ n**-beta``.
- **gamma**: the conditional entropy of a token given the ``n - 1`` tokens before it,
  ``H_n = H(x_1..x_n) - H(x_1..x_{n-1})`` (n-grams inside documents), approaches its
  limit as ``H_n - H_inf ~ n**-gamma``.
- the predicted data-scaling exponent is ``gamma / (2 beta)``.

Exponents come with standard errors from the fits. Entropies are plug-in estimates (in
nats), optionally with the Miller-Madow correction; both are biased low once the
n-grams are undersampled, so fit only the range of ``n`` the corpus resolves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, OneOf, validate
from ..corpus.store import TokenCorpus

CORRECTIONS = ("none", "miller-madow")


@dataclass
class PowerLawFit:
    """``y = prefactor * x**-exponent`` fitted by least squares in log-log coordinates."""

    exponent: float
    error: float
    prefactor: float
    x: np.ndarray
    y: np.ndarray

    def predict(self, x: Any) -> np.ndarray:
        return self.prefactor * np.asarray(x, dtype=np.float64) ** -self.exponent


@dataclass
class EntropyDecayFit:
    """``H_n = h_inf + amplitude * n**-gamma`` fitted by non-linear least squares."""

    gamma: float
    gamma_error: float
    h_inf: float
    h_inf_error: float
    amplitude: float
    n: np.ndarray
    H: np.ndarray

    def predict(self, n: Any) -> np.ndarray:
        return self.h_inf + self.amplitude * np.asarray(n, dtype=np.float64) ** -self.gamma


# -- beta: lag covariance spectrum --------------------------------------------------------
def lag_counts(
    corpus: TokenCorpus, max_lag: int, vocab_size: int | None = None, device: str = "cpu", progress: bool = False
) -> list[sp.csr_matrix]:
    """Position-resolved pair counts ``F_n[a, b] = #(x_t = a, x_{t+n} = b)``, n = 1..max_lag.

    Out-of-vocabulary tokens keep their positions (``oov="gap"``), so ``n`` is the true
    distance. Returns ``max_lag`` int64 CSR matrices of shape (V, V).
    """
    from ..count.counter import count_cooccurrences

    validate({"max_lag": max_lag}, {"max_lag": Interval(int, 1, None)}, "lag_counts")
    counts = count_cooccurrences(
        corpus,
        window=max_lag,
        weighting="uniform",
        symmetric=False,
        per_offset=True,
        vocab_size=vocab_size,
        oov="gap",
        device=device,
        progress=progress,
    )
    return counts.per_offset


def top_singular_value(joint_counts: Any, dense_limit: int = 64) -> float:
    """``||J - r c^T||_op`` for the normalised counts ``J`` of one lag (dense or sparse (V, V)).

    Parameters
    ----------
    joint_counts : ndarray or sparse matrix of shape (V, V)
        Pair counts of one lag (normalised here).
    dense_limit : int
        Up to this many words a full dense SVD; beyond, ARPACK (``svds`` with ``k=1``) on
        the implicit operator ``x -> J x - r (c . x)`` (the rank-one term is never formed),
        started from a fixed vector so that repeated calls agree bitwise. The two agree to
        about 1e-14 relative; the dense SVD costs O(V^3) (V = 500, 32 lags: 28 s against
        0.6 s through ARPACK on a 2-core machine).

    Returns
    -------
    float
        NaN when there are no counts.
    """
    total = float(joint_counts.sum())
    if total <= 0:
        return float("nan")
    J = joint_counts / total
    r = np.asarray(J.sum(axis=1)).ravel()
    c = np.asarray(J.sum(axis=0)).ravel()
    V = min(J.shape)
    if V <= max(dense_limit, 2):  # ARPACK needs k < min(shape)
        dense = J.toarray() if sp.issparse(J) else np.asarray(J)
        return float(np.linalg.norm(dense - np.outer(r, c), ord=2))
    from scipy.sparse.linalg import LinearOperator, svds

    J = sp.csr_matrix(J) if sp.issparse(J) else np.asarray(J, dtype=np.float64)
    JT = J.T

    def matvec(x: np.ndarray) -> np.ndarray:
        x = np.ravel(x)
        return J @ x - r * (c @ x)

    def rmatvec(y: np.ndarray) -> np.ndarray:
        y = np.ravel(y)
        return JT @ y - c * (r @ y)

    op = LinearOperator(J.shape, matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    # not the all-ones vector: the covariance annihilates it (J 1 = r, c . 1 = 1)
    v0 = np.random.default_rng(0).uniform(0.5, 1.5, V)
    return float(svds(op, k=1, v0=v0, return_singular_vectors=False)[0])


def lag_covariance_spectrum(
    source: TokenCorpus | Sequence[Any], max_lag: int | None = None, vocab_size: int | None = None, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """``(lags, sigma)``: the top singular value of ``C(n)`` for n = 1..max_lag.

    ``source`` is a corpus (counted with :func:`lag_counts`) or a list of per-lag count
    matrices (``Cooccurrence.per_offset`` of a directional count).
    """
    if isinstance(source, TokenCorpus):
        if max_lag is None:
            raise InvalidParameterError("lag_covariance_spectrum: give 'max_lag' when passing a corpus.")
        source = lag_counts(source, max_lag, vocab_size, device)
    sigma = np.array([top_singular_value(F) for F in source])
    return np.arange(1, sigma.size + 1), sigma


def fit_power_law(x: Any, y: Any, x_min: float | None = None, x_max: float | None = None) -> PowerLawFit:
    """Fit ``y ~ prefactor * x**-exponent`` on ``x_min <= x <= x_max`` (least squares of log y on log x).

    The error is the standard error of the slope (needs at least 3 points).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = (x > 0) & (y > 0) & np.isfinite(y)
    if x_min is not None:
        keep &= x >= x_min
    if x_max is not None:
        keep &= x <= x_max
    if keep.sum() < 3:
        raise InputDataError(f"a power-law fit needs at least 3 positive points in range, got {int(keep.sum())}.")
    lx, ly = np.log(x[keep]), np.log(y[keep])
    A = np.stack([lx, np.ones_like(lx)], axis=1)
    (slope, intercept), *_ = np.linalg.lstsq(A, ly, rcond=None)
    residual = ly - A @ np.array([slope, intercept])
    dof = lx.size - 2
    sxx = np.sum((lx - lx.mean()) ** 2)
    error = math.sqrt(np.sum(residual**2) / dof / sxx) if dof > 0 and sxx > 0 else float("nan")
    return PowerLawFit(float(-slope), float(error), float(math.exp(intercept)), x[keep], y[keep])


def fit_beta(lags: Any, sigma: Any, lag_min: float | None = None, lag_max: float | None = None) -> PowerLawFit:
    """beta: the decay exponent of ``||C(n)||_op`` with the lag."""
    return fit_power_law(lags, sigma, lag_min, lag_max)


def positional_covariance_decay(
    source: TokenCorpus | np.ndarray,
    distances: Any,
    n_positions: int | None = None,
    vocab_size: int | None = None,
    max_starts: int | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Root-mean-square covariance of token pairs ``(i, i + t)`` against distance, for fixed-length documents.

    Sources whose statistics depend on the position (the RHM and other grammars with
    sentences of one length) mix different marginals in the lag-pooled ``J_n`` above, so
    pooled spectra plateau at the positional heterogeneity. Here every pair of positions
    gets its own joint and marginals: ``rms(t)**2`` is the mean over start positions ``i``
    and the ``V**2`` entries of ``C_{i,i+t}**2``, with the sampling variance
    (:func:`cooc.grammars.stats.covariance_noise`) subtracted so the estimate is unbiased.
    For the RHM it decays as ``t**-(ln m / ln s)`` (fit it with :func:`fit_power_law`).

    Parameters
    ----------
    source : TokenCorpus or int array of shape (P, n)
    distances : sequence of int
    n_positions : int, optional
        Document length (needed for a corpus; every document must have it).
    vocab_size : int, optional
        Ids ``>= vocab_size`` are not expected (default: ``max id + 1`` or the corpus vocabulary).
    max_starts : int, optional
        Use at most this many start positions per distance (drawn with ``seed``).

    Returns
    -------
    dict with ``distance`` (k,), ``rms`` (k,) (NaN where the estimate is negative: below
    the floor), ``floor`` (k,) (rms sampling noise) and ``n_docs``.
    """
    from .stats import covariance_noise, empirical_mean_square_covariance, tokens_of_corpus

    if isinstance(source, TokenCorpus):
        if n_positions is None:
            raise InvalidParameterError("positional_covariance_decay: give 'n_positions' when passing a corpus.")
        tokens = tokens_of_corpus(source, n_positions)
        V = len(source.vocab) + (1 if source.oov_id is not None else 0) if vocab_size is None else vocab_size
    else:
        tokens = np.asarray(source)
        V = int(tokens.max()) + 1 if vocab_size is None else vocab_size
    P, n = tokens.shape
    rng = np.random.default_rng(seed)
    rms, floor = [], []
    for t in np.asarray(distances, dtype=np.int64):
        if not 0 < t < n:
            raise InvalidParameterError(f"distances must lie in [1, {n - 1}], got {t}.")
        starts = np.arange(n - t)
        if max_starts is not None and starts.size > max_starts:
            starts = rng.choice(starts, max_starts, replace=False)
        pairs = np.stack([starts, starts + t], axis=1)
        ms = empirical_mean_square_covariance(tokens, pairs, V, debias=True).mean()
        rms.append(np.sqrt(ms) if ms > 0 else np.nan)
        joint = np.bincount(tokens[:, starts[0]].astype(np.int64) * V + tokens[:, starts[0] + t], minlength=V * V)
        floor.append(np.sqrt(np.mean(covariance_noise(joint.reshape(V, V) / P, P))))
    return {
        "distance": np.asarray(distances, dtype=np.int64),
        "rms": np.array(rms),
        "floor": np.array(floor),
        "n_docs": P,
    }


# -- gamma: conditional-entropy decay -----------------------------------------------------
def ngram_counts(corpus: TokenCorpus, n: int, vocab_size: int | None = None) -> np.ndarray:
    """Counts of every distinct n-gram inside documents (no n-gram holds an out-of-vocabulary token).

    Returns an int64 array of the counts (the n-grams themselves are not needed for entropies).
    """
    V = len(corpus.vocab) if vocab_size is None else min(int(vocab_size), len(corpus.vocab))
    if V**n >= 2**63:
        raise InvalidParameterError(
            f"n-grams of length {n} over {V} words overflow int64 codes; "
            f"use n <= {int(63 * math.log(2) / math.log(max(V, 2)))}."
        )
    codes_parts, counts_parts = [], []
    for tokens, offsets in corpus.iter_chunks():
        codes = _ngram_codes(np.asarray(tokens, dtype=np.int64), offsets, n, V)
        u, c = np.unique(codes, return_counts=True)
        codes_parts.append(u)
        counts_parts.append(c)
    if not codes_parts:
        return np.zeros(0, dtype=np.int64)
    codes, counts = np.concatenate(codes_parts), np.concatenate(counts_parts)
    order = np.argsort(codes, kind="stable")
    codes, counts = codes[order], counts[order]
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    return np.add.reduceat(counts, starts) if counts.size else counts


def _ngram_codes(tokens: np.ndarray, offsets: np.ndarray, n: int, V: int) -> np.ndarray:
    """Base-V codes of the n-grams starting at each valid position of a chunk."""
    size = tokens.size - n + 1
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    doc = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    valid = doc[:size] == doc[n - 1 : n - 1 + size]
    code = np.zeros(size, dtype=np.int64)
    for k in range(n):
        window = tokens[k : k + size]
        valid &= window < V
        code = code * V + np.minimum(window, V - 1)
    return code[valid]


def entropy_from_counts(counts: np.ndarray, correction: str = "none") -> float:
    """Plug-in entropy (nats) of a distribution given by counts; ``"miller-madow"`` adds (K - 1) / 2N."""
    validate({"correction": correction}, {"correction": OneOf(CORRECTIONS)}, "entropy")
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    N = counts.sum()
    if N <= 0:
        return float("nan")
    H = math.log(N) - float(np.sum(counts * np.log(counts))) / N
    if correction == "miller-madow":
        H += (counts.size - 1) / (2 * N)
    return H


def conditional_entropies(
    corpus: TokenCorpus, max_n: int, vocab_size: int | None = None, correction: str = "none"
) -> tuple[np.ndarray, np.ndarray]:
    """``(n, H_n)`` for n = 1..max_n: ``H_1`` the unigram entropy, ``H_n = H(n-gram) - H((n-1)-gram)`` (nats)."""
    validate({"max_n": max_n}, {"max_n": Interval(int, 1, None)}, "conditional_entropies")
    block = [0.0] + [entropy_from_counts(ngram_counts(corpus, n, vocab_size), correction) for n in range(1, max_n + 1)]
    return np.arange(1, max_n + 1), np.diff(np.asarray(block))


def fit_entropy_decay(n: Any, H: Any, n_min: int = 1, n_max: int | None = None) -> EntropyDecayFit:
    """Fit ``H_n = h_inf + A n**-gamma`` on ``n_min <= n <= n_max``; errors from the fit covariance."""
    from scipy.optimize import curve_fit

    n, H = np.asarray(n, dtype=np.float64), np.asarray(H, dtype=np.float64)
    keep = (n >= n_min) & np.isfinite(H) & ((n <= n_max) if n_max is not None else True)
    if keep.sum() < 4:
        raise InputDataError(f"an entropy-decay fit needs at least 4 points in range, got {int(keep.sum())}.")
    x, y = n[keep], H[keep]

    def model(x, h_inf, amplitude, gamma):
        return h_inf + amplitude * x**-gamma

    p0 = (float(y.min()), float(max(y.max() - y.min(), 1e-6)), 1.0)
    params, cov = curve_fit(model, x, y, p0=p0, maxfev=20000)
    errors = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(3, np.nan)
    return EntropyDecayFit(
        float(params[2]), float(errors[2]), float(params[0]), float(errors[0]), float(params[1]), x, y
    )


def data_exponent(gamma: float, beta: float, gamma_error: float = 0.0, beta_error: float = 0.0) -> tuple[float, float]:
    """The predicted data exponent ``gamma / (2 beta)`` and its propagated error."""
    value = gamma / (2 * beta)
    error = (
        abs(value) * math.sqrt((gamma_error / gamma) ** 2 + (beta_error / beta) ** 2)
        if gamma and beta
        else float("nan")
    )
    return value, error
