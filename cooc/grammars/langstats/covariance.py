"""The lag-n covariance spectrum of a corpus and its exponent beta (arXiv 2602.07488; docs/science.md, section 6).

With ``J_n(a, b) = P(x_t = a, x_{t+n} = b)`` counted over all pairs ``n``
apart inside documents (position-resolved counts from
:func:`cooc.count.counter.count_cooccurrences`), the covariance
``C(n) = J_n - r_n c_n^T`` (``r_n``, ``c_n`` the marginals of ``J_n``) has top singular
value ``||C(n)||_op ~ n**-beta``. An estimate from ``N`` pairs never falls below its
*sampling floor*, the top singular value of the covariance of independent tokens with
the same marginals: about ``(sqrt(max r) + sqrt(max c)) / sqrt(N)``
(:func:`covariance_floor`, the norm of a random matrix with entry variances
``r_a c_b / N``), or measured on a copy of the corpus with its tokens shuffled
(:func:`shuffled_copy`; every correlation gone, every marginal kept). beta is fitted
only on the lags whose value stays above ``above`` times the floor
(:func:`fit_beta`): a decay fitted into the floor measures the noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..._core.errors import InputDataError, InvalidParameterError
from ..._core.params import Interval, validate
from ...corpus.store import TokenCorpus


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


def lag_counts(
    corpus: TokenCorpus, max_lag: int, vocab_size: int | None = None, device: str = "cpu", progress: bool = False
) -> list[sp.csr_matrix]:
    """Position-resolved pair counts ``F_n[a, b] = #(x_t = a, x_{t+n} = b)``, n = 1..max_lag.

    Out-of-vocabulary tokens keep their positions (``oov="gap"``), so ``n`` is the true
    distance. Returns ``max_lag`` int64 CSR matrices of shape (V, V).
    """
    from ...count.counter import count_cooccurrences

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


def fit_beta(
    lags: Any,
    sigma: Any,
    lag_min: float | None = None,
    lag_max: float | None = None,
    floor: Any = None,
    above: float = 3.0,
) -> PowerLawFit:
    """beta: the decay exponent of ``||C(n)||_op`` with the lag, fitted above the sampling floor.

    Parameters
    ----------
    lags, sigma : array-like of shape (k,)
    lag_min, lag_max : float, optional
        The range considered.
    floor : float or array-like of shape (k,), optional
        The sampling floor at each lag (:func:`covariance_floor`, or the spectrum of a
        shuffled copy). The fit then stops at the first lag (from ``lag_min`` on) whose
        value is not above ``above * floor``: beyond it the points measure the noise.
    above : float, default 3
        How far above the floor a point must lie to be fitted.

    Raises
    ------
    InputDataError
        Fewer than 3 lags above the floor (the message says how many).
    """
    lags, sigma = np.asarray(lags, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    if floor is not None:
        floor = np.broadcast_to(np.asarray(floor, dtype=np.float64), sigma.shape)
        start = lags >= (lag_min if lag_min is not None else -np.inf)
        clear = sigma > above * floor
        first_bad = np.flatnonzero(start & ~clear)
        last_lag = lags[first_bad[0]] if first_bad.size else np.inf
        n_clear = int(np.sum(start & clear & (lags < last_lag)))
        if n_clear < 3:
            raise InputDataError(
                f"only {n_clear} lag(s) lie above {above:g} x the sampling floor; a beta fit needs 3 "
                "(count more pairs, or fit a smaller range)."
            )
        lag_max = min(lag_max if lag_max is not None else np.inf, last_lag - 0.5)
    return fit_power_law(lags, sigma, lag_min, lag_max)


def covariance_floor(joint_counts: Any) -> float:
    """Sampling floor of ``||C(n)||_op`` for the pair counts of one lag: ``(sqrt(max r) + sqrt(max c)) / sqrt(N)``.

    With ``N`` pairs and marginals ``r``, ``c``, the estimated covariance of independent
    tokens is a random matrix with entries of variance about ``r_a c_b / N``; its top
    singular value is about ``sqrt(max_a sum_b var) + sqrt(max_b sum_a var)`` (a
    Bandeira-van Handel bound, tight for near-uniform marginals, where it gives the
    ``2 / sqrt(V N)`` of a square Gaussian matrix). A shuffled copy of the corpus
    measures the same floor without the approximation (:func:`shuffled_copy`).
    """
    counts = joint_counts
    N = float(counts.sum())
    if N <= 0:
        return float("nan")
    r = np.asarray(counts.sum(axis=1)).ravel() / N
    c = np.asarray(counts.sum(axis=0)).ravel() / N
    return float((math.sqrt(r.max()) + math.sqrt(c.max())) / math.sqrt(N))


def shuffled_copy(corpus: TokenCorpus, out: Any, seed: int = 0, overwrite: bool = True) -> TokenCorpus:
    """A copy of ``corpus`` whose tokens are permuted at random within each shard (documents keep their lengths).

    Every correlation between positions is destroyed while the unigram law, the document
    lengths and hence the number of pairs at each lag are kept: the lag spectrum of the
    copy is the sampling floor of the original's. (One shard holds up to 16M tokens by
    default, so a small corpus is shuffled as a whole; a large one shard by shard, which
    still removes every correlation shorter than a shard.)
    """
    from ...corpus.store import CorpusWriter

    rng = np.random.default_rng(seed)
    writer = CorpusWriter(
        out,
        corpus.vocab,
        {"type": "shuffled", "of": str(corpus.path), "seed": seed},
        settings={"shuffled": str(corpus.path), "seed": seed},
        overwrite=overwrite,
        oov_id=corpus.oov_id,
    )
    for tokens, offsets in corpus.iter_shards():
        writer.add_documents(rng.permutation(np.asarray(tokens)), np.asarray(offsets, dtype=np.int64))
    return writer.close()


def lag_spectrum_with_floor(
    corpus: TokenCorpus,
    max_lag: int,
    vocab_size: int | None = None,
    shuffled: TokenCorpus | None = None,
    device: str = "cpu",
) -> dict[str, np.ndarray]:
    """``||C(n)||_op`` for n = 1..max_lag with its analytic floor, and the shuffled control's spectrum if given.

    Returns
    -------
    dict with ``lags`` (k,), ``sigma`` (k,), ``floor`` (k,) (:func:`covariance_floor`),
    ``pairs`` (k,) and, with ``shuffled``, ``shuffled`` (k,).
    """
    counts = lag_counts(corpus, max_lag, vocab_size=vocab_size, device=device)
    out = {
        "lags": np.arange(1, max_lag + 1),
        "sigma": np.array([top_singular_value(F) for F in counts]),
        "floor": np.array([covariance_floor(F) for F in counts]),
        "pairs": np.array([int(F.sum()) for F in counts]),
    }
    if shuffled is not None:
        control = lag_counts(shuffled, max_lag, vocab_size=vocab_size, device=device)
        out["shuffled"] = np.array([top_singular_value(F) for F in control])
    return out


def _start_positions(n: int, t: int, max_starts: int | None, rng: np.random.Generator) -> np.ndarray:
    """Start positions ``i`` of the pairs ``(i, i + t)`` in sentences of length ``n``, at most ``max_starts`` drawn."""
    if not 0 < t < n:
        raise InvalidParameterError(f"distances must lie in [1, {n - 1}], got {t}.")
    starts = np.arange(n - t)
    if max_starts is not None and starts.size > max_starts:
        starts = rng.choice(starts, max_starts, replace=False)
    return starts


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
    from ..stats import covariance_noise, empirical_mean_square_covariance, tokens_of_corpus

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
        starts = _start_positions(n, int(t), max_starts, rng)
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


def positional_spectrum(
    tokens: np.ndarray, distances: Any, vocab_size: int | None = None, max_starts: int | None = None, seed: int = 0
) -> dict[str, np.ndarray]:
    """``||C_{i,i+t}||_op`` averaged over start positions ``i``, for sentences of one length (a grammar's).

    The position-resolved counterpart of :func:`lag_covariance_spectrum`: each pair of
    positions keeps its own joint and marginals (a grammar's statistics depend on the
    position), and the floor is :func:`covariance_floor` of the same counts.

    Parameters
    ----------
    tokens : int array of shape (P, n)
    distances : sequence of int in [1, n - 1]

    Returns
    -------
    dict with ``distance`` (k,), ``sigma`` (k,), ``floor`` (k,), ``n_docs``.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    P, n = tokens.shape
    V = int(tokens.max()) + 1 if vocab_size is None else int(vocab_size)
    rng = np.random.default_rng(seed)
    sigma, floor = [], []
    for t in np.asarray(distances, dtype=np.int64):
        starts = _start_positions(n, int(t), max_starts, rng)
        values, floors = [], []
        for i in starts:
            joint = np.bincount(tokens[:, i] * V + tokens[:, i + t], minlength=V * V).reshape(V, V)
            values.append(top_singular_value(joint))
            floors.append(covariance_floor(joint))
        sigma.append(np.mean(values))
        floor.append(np.mean(floors))
    return {"distance": np.asarray(distances, dtype=np.int64), "sigma": np.array(sigma), "floor": np.array(floor),
            "n_docs": P}  # fmt: skip
