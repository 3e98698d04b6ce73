"""Language statistics of any TokenCorpus, and the data exponent they predict (arXiv 2602.07488).

Following docs/science.md, section 6:

- **beta** (:mod:`.covariance`): the top singular value of the lag-n covariance decays as
  ``n**-beta``; fitted only above the sampling floor of the estimate (analytic, or measured
  on a shuffled copy of the corpus).
- **gamma** (:mod:`.entropy`): the conditional entropy of a token given the ``c = n - 1``
  before it approaches its limit as ``H_n - H_inf ~ c**-gamma``; bias-corrected, resolved
  only while the n-grams are well covered, and a fit that needs ``H_inf`` outside
  ``[0, min H_n]`` is refused with its reason.
- the predicted data-scaling exponent is ``gamma / (2 beta)`` (:func:`data_exponent`).

Exponents come with standard errors from the fits.
"""

from __future__ import annotations

import math

from .covariance import (
    PowerLawFit,
    covariance_floor,
    fit_beta,
    fit_power_law,
    lag_counts,
    lag_covariance_spectrum,
    lag_spectrum_with_floor,
    positional_covariance_decay,
    positional_spectrum,
    shuffled_copy,
    top_singular_value,
)
from .entropy import (
    CORRECTIONS,
    EntropyDecayFit,
    EntropyProfile,
    conditional_entropies,
    coverage,
    entropy_error,
    entropy_from_counts,
    entropy_profile,
    fit_entropy_decay,
    ngram_counts,
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


__all__ = [
    "CORRECTIONS",
    "EntropyDecayFit",
    "EntropyProfile",
    "PowerLawFit",
    "conditional_entropies",
    "covariance_floor",
    "coverage",
    "data_exponent",
    "entropy_error",
    "entropy_from_counts",
    "entropy_profile",
    "fit_beta",
    "fit_entropy_decay",
    "fit_power_law",
    "lag_counts",
    "lag_covariance_spectrum",
    "lag_spectrum_with_floor",
    "ngram_counts",
    "positional_covariance_decay",
    "positional_spectrum",
    "shuffled_copy",
    "top_singular_value",
]
