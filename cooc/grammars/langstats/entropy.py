"""Conditional-entropy decay of a corpus and its exponent gamma (arXiv 2602.07488; docs/science.md, section 6).

The conditional entropy of a token given the ``n - 1`` tokens before it,
``H_n = H(x_1..x_n) - H(x_1..x_{n-1})`` (n-grams inside documents), approaches its
limit as ``H_n - H_inf ~ c**-gamma`` in the context length ``c = n - 1``
(:attr:`EntropyProfile.context`, what the studies fit against; the unigram entropy, at
``c = 0``, drops out). Plug-in entropies are biased low (by about
``(K - 1) / 2N`` for ``K`` seen n-grams out of ``N``); :func:`entropy_profile` uses
Grassberger's estimator (arXiv physics/0307138: ``ln N - sum_i n_i G(n_i) / N`` with
``G(n) = psi(n) + (-1)**n (psi((n+1)/2) - psi(n/2)) / 2``), whose bias is below its
standard error once most n-grams are seen more than once, and marks an ``n`` resolved
only while the Good-Turing coverage ``1 - (n-grams seen once) / N`` stays above
``min_coverage`` (0.95: on an i.i.d. source the corrected ``H_n`` is then within 0.002
nats of the truth, at coverage 0.9 it is already 0.03 low). :func:`fit_entropy_decay` constrains ``0 <= H_inf <= min H_n`` and
refuses (with the reason) a fit that needs ``H_inf`` at either bound, has fewer than 4
resolved points or leaves gamma undetermined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._core.errors import InvalidParameterError
from ..._core.params import Interval, OneOf, validate
from ...corpus.store import TokenCorpus
from .covariance import fit_power_law

CORRECTIONS = ("none", "miller-madow", "grassberger")


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
        The n-gram order: ``H_n`` is the entropy of a token given the ``n - 1`` before it
        (:attr:`context`).
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

    @property
    def context(self) -> np.ndarray:
        """The context length of each ``H_n``: ``n - 1`` tokens condition the n-th. The decay
        law ``H - H_inf ~ c^-gamma`` is stated in this length (see docs/science.md section 6),
        so fits and figures take it as their x (``c = 0``, the unigram entropy, drops out)."""
        return self.n - 1


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
        The law's variable and the entropies: pass the context length (:attr:`EntropyProfile.context`,
        ``n - 1`` for the n-gram order ``n``), in which the law is stated (docs/science.md, section 6).
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
