"""Language statistics of any TokenCorpus: the lag-n covariance spectrum and conditional-entropy decay.

Following arXiv 2602.07488 (docs/science.md, section 6):

- **beta**: with ``J_n(a, b) = P(x_t = a, x_{t+n} = b)`` counted over all pairs ``n``
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
- **gamma**: the conditional entropy of a token given the ``n - 1`` tokens before it,
  ``H_n = H(x_1..x_n) - H(x_1..x_{n-1})`` (n-grams inside documents), approaches its
  limit as ``H_n - H_inf ~ n**-gamma``. Plug-in entropies are biased low (by about
  ``(K - 1) / 2N`` for ``K`` seen n-grams out of ``N``); :func:`entropy_profile` uses
  Grassberger's estimator (arXiv physics/0307138: ``ln N - sum_i n_i G(n_i) / N`` with
  ``G(n) = psi(n) + (-1)**n (psi((n+1)/2) - psi(n/2)) / 2``), whose bias is below its
  standard error once most n-grams are seen more than once, and marks an ``n`` resolved
  only while the Good-Turing coverage ``1 - (n-grams seen once) / N`` stays above
  ``min_coverage`` (0.95: on an i.i.d. source the corrected ``H_n`` is then within 0.002
  nats of the truth, at coverage 0.9 it is already 0.03 low). :func:`fit_entropy_decay` constrains ``0 <= H_inf <= min H_n`` and
  refuses (with the reason) a fit that needs ``H_inf`` at either bound, has fewer than 4
  resolved points or leaves gamma undetermined.
- the predicted data-scaling exponent is ``gamma / (2 beta)``.

Exponents come with standard errors from the fits.
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

CORRECTIONS = ("none", "miller-madow", "grassberger")


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
    """``H_n = h_inf + amplitude * n**-gamma`` fitted by bounded non-linear least squares.

    ``refused`` is None for a sound fit; otherwise it says why the fit was refused, and
    ``gamma``, ``h_inf`` and their errors are NaN (``attempt`` keeps what the optimiser
    returned, for the record).
    """

    gamma: float
    gamma_error: float
    h_inf: float
    h_inf_error: float
    amplitude: float
    n: np.ndarray
    H: np.ndarray
    refused: str | None = None
    attempt: dict[str, float] | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None

    def predict(self, n: Any) -> np.ndarray:
        return self.h_inf + self.amplitude * np.asarray(n, dtype=np.float64) ** -self.gamma

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers (NaN as None is left to the writer)."""
        return {
            "gamma": self.gamma,
            "gamma_error": self.gamma_error,
            "H_inf": self.h_inf,
            "H_inf_error": self.h_inf_error,
            "amplitude": self.amplitude,
            "n_fitted": self.n.tolist(),
            "refused": self.refused,
            "attempt": self.attempt,
        }


@dataclass
class EntropyProfile:
    """Conditional entropies ``H_n`` (nats) of a corpus with their errors and resolution.

    Attributes
    ----------
    n : int array (k,)
    H : float array (k,)
        Bias-corrected (or plug-in, per ``correction``) ``H(n-gram) - H((n-1)-gram)``.
    error : float array (k,)
        Standard error of ``H_n`` (delta method: the spread of ``-ln p(x_n | context)`` over
        ``sqrt(N)``, exact for independent n-grams, optimistic for text whose n-grams overlap).
    plugin : float array (k,)
        The plug-in values, for comparison.
    coverage : float array (k,)
        Good-Turing coverage of the n-gram distribution.
    resolved : bool array (k,)
        ``coverage >= min_coverage`` for this n and every smaller one.
    """

    n: np.ndarray
    H: np.ndarray
    error: np.ndarray
    plugin: np.ndarray
    coverage: np.ndarray
    resolved: np.ndarray


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
    from ..corpus.store import CorpusWriter

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
        if not 0 < t < n:
            raise InvalidParameterError(f"distances must lie in [1, {n - 1}], got {t}.")
        starts = np.arange(n - t)
        if max_starts is not None and starts.size > max_starts:
            starts = rng.choice(starts, max_starts, replace=False)
        values, floors = [], []
        for i in starts:
            joint = np.bincount(tokens[:, i] * V + tokens[:, i + t], minlength=V * V).reshape(V, V)
            values.append(top_singular_value(joint))
            floors.append(covariance_floor(joint))
        sigma.append(np.mean(values))
        floor.append(np.mean(floors))
    return {"distance": np.asarray(distances, dtype=np.int64), "sigma": np.array(sigma), "floor": np.array(floor),
            "n_docs": P}  # fmt: skip


# -- gamma: conditional-entropy decay -----------------------------------------------------
def ngram_counts(corpus: TokenCorpus, n: int, vocab_size: int | None = None, oov: str = "unk") -> np.ndarray:
    """Counts of every distinct n-gram inside documents.

    Ids ``>= vocab_size`` (and the corpus's out-of-vocabulary id) are one unknown-word
    symbol with ``oov="unk"`` (the default), so every position counts for every ``n`` and
    ``H(n-gram) - H((n-1)-gram)`` is a conditional entropy of one coarse-grained process;
    ``oov="drop"`` skips the n-grams that hold one (their population then changes with
    ``n``, and the differences are not conditional entropies).

    Returns an int64 array of the counts (the n-grams themselves are not needed for entropies).
    """
    validate({"oov": oov}, {"oov": OneOf(("unk", "drop"))}, "ngram_counts")
    V = len(corpus.vocab) if vocab_size is None else min(int(vocab_size), len(corpus.vocab))
    base = V + 1 if oov == "unk" else V
    if base**n >= 2**63:
        raise InvalidParameterError(
            f"n-grams of length {n} over {base} symbols overflow int64 codes; "
            f"use n <= {int(63 * math.log(2) / math.log(max(base, 2)))}."
        )
    codes_parts, counts_parts = [], []
    for tokens, offsets in corpus.iter_chunks():
        codes = _ngram_codes(np.asarray(tokens, dtype=np.int64), offsets, n, V, oov == "unk")
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


def _ngram_codes(tokens: np.ndarray, offsets: np.ndarray, n: int, V: int, unk: bool = True) -> np.ndarray:
    """Base-(V+1) (or base-V without ``unk``) codes of the n-grams starting at each valid position of a chunk."""
    size = tokens.size - n + 1
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    doc = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    valid = doc[:size] == doc[n - 1 : n - 1 + size]
    code = np.zeros(size, dtype=np.int64)
    base = V + 1 if unk else V
    for k in range(n):
        window = tokens[k : k + size]
        if not unk:
            valid &= window < V
        code = code * base + np.minimum(window, base - 1)
    return code[valid]


def _grassberger_terms(counts: np.ndarray) -> np.ndarray:
    """``G(n) = psi(n) + (-1)**n (psi((n+1)/2) - psi(n/2)) / 2`` for integer counts ``n >= 1``."""
    from scipy.special import digamma

    sign = np.where(counts % 2 == 0, 1.0, -1.0)
    return digamma(counts) + 0.5 * sign * (digamma((counts + 1) / 2) - digamma(counts / 2))


def entropy_from_counts(counts: np.ndarray, correction: str = "none") -> float:
    """Entropy (nats) of a distribution given by counts.

    ``"none"``: the plug-in estimate; ``"miller-madow"`` adds ``(K - 1) / 2N``;
    ``"grassberger"``: ``ln N - sum_i n_i G(n_i) / N`` (module notes), nearly unbiased
    once most outcomes are seen more than once.
    """
    validate({"correction": correction}, {"correction": OneOf(CORRECTIONS)}, "entropy")
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    N = counts.sum()
    if N <= 0:
        return float("nan")
    if correction == "grassberger":
        return math.log(N) - float(np.sum(counts * _grassberger_terms(counts))) / N
    H = math.log(N) - float(np.sum(counts * np.log(counts))) / N
    if correction == "miller-madow":
        H += (counts.size - 1) / (2 * N)
    return H


def entropy_error(counts: np.ndarray) -> float:
    """Standard error of an entropy estimate from counts: ``sqrt(Var(-ln p(x)) / N)`` at the plug-in ``p``."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    N = counts.sum()
    if N <= 1:
        return float("nan")
    p = counts / N
    logp = np.log(p)
    return float(math.sqrt(max(np.sum(p * logp**2) - np.sum(p * logp) ** 2, 0.0) / N))


def coverage(counts: np.ndarray) -> float:
    """Good-Turing coverage ``1 - f1 / N``: the probability mass of the outcomes already seen."""
    counts = np.asarray(counts)
    N = counts.sum()
    return float(1.0 - np.sum(counts == 1) / N) if N > 0 else float("nan")


def conditional_entropies(
    corpus: TokenCorpus, max_n: int, vocab_size: int | None = None, correction: str = "none"
) -> tuple[np.ndarray, np.ndarray]:
    """``(n, H_n)`` for n = 1..max_n: ``H_1`` the unigram entropy, ``H_n = H(n-gram) - H((n-1)-gram)`` (nats)."""
    validate({"max_n": max_n}, {"max_n": Interval(int, 1, None)}, "conditional_entropies")
    block = [0.0] + [entropy_from_counts(ngram_counts(corpus, n, vocab_size), correction) for n in range(1, max_n + 1)]
    return np.arange(1, max_n + 1), np.diff(np.asarray(block))


def entropy_profile(
    corpus: TokenCorpus,
    max_n: int,
    vocab_size: int | None = None,
    correction: str = "grassberger",
    min_coverage: float = 0.95,
) -> EntropyProfile:
    """Bias-corrected conditional entropies ``H_n``, n = 1..max_n, with errors and the resolved range.

    ``H_n`` is the difference of the corrected block entropies of n-grams and
    (n-1)-grams. Its error is the delta-method error of the conditional surprisal
    ``-ln p(x_n | x_1..x_{n-1})`` (module notes). ``n`` counts as resolved while the
    n-grams' Good-Turing coverage is at least ``min_coverage`` (beyond it, most n-grams
    are seen once and no estimator recovers the missing mass).
    """
    validate(
        {"max_n": max_n, "min_coverage": min_coverage},
        {"max_n": Interval(int, 1, None), "min_coverage": Interval(float, 0, 1)},
        "entropy_profile",
    )
    block, plug, error, cover = [0.0], [0.0], [], []
    previous = None
    for n in range(1, max_n + 1):
        counts = ngram_counts(corpus, n, vocab_size)
        block.append(entropy_from_counts(counts, correction))
        plug.append(entropy_from_counts(counts, "none"))
        cover.append(coverage(counts))
        error.append(_conditional_error(counts) if previous is None else _conditional_error(counts, previous))
        previous = counts
    cover_arr = np.array(cover)
    return EntropyProfile(
        n=np.arange(1, max_n + 1),
        H=np.diff(np.asarray(block)),
        error=np.array(error),
        plugin=np.diff(np.asarray(plug)),
        coverage=cover_arr,
        resolved=np.cumprod(cover_arr >= min_coverage).astype(bool),
    )


def _conditional_error(counts: np.ndarray, previous: np.ndarray | None = None) -> float:
    """Delta-method error of ``H(n-gram) - H((n-1)-gram)``: bounded by the n-gram entropy's error.

    The conditional surprisal's spread is not available from the two count vectors
    alone (the n-grams are not matched to their contexts here), so the larger of the two
    block errors is used: ``Var(-ln p(x|c)) <= Var(-ln p(x, c))`` fails only for
    strongly dependent tokens, where the n-gram error is the safer statement.
    """
    if previous is None:
        return entropy_error(counts)
    return max(entropy_error(counts), entropy_error(previous))


def fit_entropy_decay(
    n: Any,
    H: Any,
    n_min: int = 1,
    n_max: int | None = None,
    error: Any = None,
    resolved: Any = None,
    h_inf: float | None = None,
) -> EntropyDecayFit:
    """Fit ``H_n = h_inf + A n**-gamma`` on ``n_min <= n <= n_max`` with ``0 <= h_inf <= min H_n``, or refuse.

    Parameters
    ----------
    n, H : array-like of shape (k,)
    error : array-like of shape (k,), optional
        Standard errors of ``H`` (weights of the fit).
    resolved : bool array-like of shape (k,), optional
        Only these points are fitted (e.g. :attr:`EntropyProfile.resolved`).
    h_inf : float, optional
        A known limit (a grammar's exact entropy given the whole sentence), or 0 for the
        pure power law ``H_n ~ n**-gamma``: then only ``A`` and gamma are fitted, as a
        straight line through the points with ``H_n - h_inf > 0`` on log-log axes
        (at least 3 of them).

    Returns
    -------
    EntropyDecayFit
        With ``refused`` set (and NaN exponents) when fewer than 4 points are usable, the
        optimiser fails, ``h_inf`` ends on a bound of ``[0, min H_n]`` (the data do not
        show where the decay levels off: a limit at 0 or at the last value is an
        artefact of the constraint) or gamma's error exceeds gamma.
    """
    from scipy.optimize import curve_fit

    n, H = np.asarray(n, dtype=np.float64), np.asarray(H, dtype=np.float64)
    keep = (n >= n_min) & np.isfinite(H) & ((n <= n_max) if n_max is not None else True)
    if resolved is not None:
        keep &= np.asarray(resolved, dtype=bool)
    x, y = n[keep], H[keep]
    sigma = None if error is None else np.asarray(error, dtype=np.float64)[keep]

    def refuse(reason: str, attempt: dict[str, float] | None = None) -> EntropyDecayFit:
        nan = float("nan")
        return EntropyDecayFit(nan, nan, nan, nan, nan, x, y, refused=reason, attempt=attempt)

    if h_inf is not None:
        gap = y - h_inf
        usable = gap > (0 if sigma is None else sigma)
        if usable.sum() < 3:
            return refuse(f"fewer than 3 points lie above the limit {h_inf:g}: got {int(usable.sum())}")
        line = fit_power_law(x[usable], gap[usable])
        return EntropyDecayFit(line.exponent, line.error, float(h_inf), 0.0, line.prefactor, x[usable], y[usable])
    if keep.sum() < 4:
        return refuse(f"an entropy-decay fit needs at least 4 resolved points, got {int(keep.sum())}")
    if sigma is not None and not np.all(np.isfinite(sigma) & (sigma > 0)):
        sigma = None
    top = float(y.min())
    if top <= 0:
        return refuse("H_n reaches 0: nothing left to decay")

    def model(x, h_inf, amplitude, gamma):
        return h_inf + amplitude * x**-gamma

    p0 = (0.5 * top, float(max(y.max() - 0.5 * top, 1e-6)), 1.0)
    try:
        params, cov = curve_fit(
            model, x, y, p0=p0, sigma=sigma, absolute_sigma=sigma is not None,
            bounds=([0.0, 0.0, 1e-3], [top, np.inf, 20.0]), maxfev=20000,
        )  # fmt: skip
    except (RuntimeError, ValueError) as exc:
        return refuse(f"the optimiser did not converge ({exc})")
    errors = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(3, np.nan)
    attempt = {"H_inf": float(params[0]), "amplitude": float(params[1]), "gamma": float(params[2])}
    tol = 1e-3 * max(top, 1e-9)
    if params[0] <= tol:
        return refuse("H_inf pinned at its lower bound 0: the decay does not level off in the resolved range", attempt)
    if params[0] >= top - tol:
        return refuse("H_inf pinned at its upper bound min H_n: no decay is resolved", attempt)
    if not np.isfinite(errors[2]) or errors[2] > params[2]:
        return refuse(f"gamma undetermined (gamma {params[2]:.3g} +- {errors[2]:.3g})", attempt)
    return EntropyDecayFit(
        float(params[2]), float(errors[2]), float(params[0]), float(errors[0]), float(params[1]), x, y, attempt=attempt
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
