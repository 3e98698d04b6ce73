"""Data-scaling exponents predicted from language statistics, and measured by training (arXiv 2602.07488).

For each corpus: beta from the decay of the lag covariance's top singular value (fitted
above the sampling floor), gamma from the decay of the conditional entropies ``H_n``
(bias-corrected, ``0 <= H_inf <= H_n``, a degenerate fit refused with its reason), the
prediction ``alpha = gamma / (2 beta)`` for the decay of the test loss with the number of
training contexts P, and alpha measured on a transformer trained over a range of P
(docs/science.md, section 6).

- **Text** (:func:`text_statistics`): the lag spectrum of the ``vocab_size`` most frequent
  words (the rest one unknown-word symbol for the entropies and the network), its floor
  measured on a shuffled copy of the corpus, ``H_n`` by :func:`~cooc.grammars.langstats.entropy_profile`.
  When the free fit of ``H_n`` is refused, the paper's own convention (a pure power law,
  ``H_inf = 0``) is reported beside it as ``gamma_h_inf_zero`` / ``alpha_predicted_h_inf_zero``,
  never in place of it.
- **An RHM** (:func:`grammar_statistics`): its statistics are known, so beta comes from
  the position-resolved spectrum of sampled sentences with the analytic floor, and gamma
  from the exact entropies ``H_c`` of the last token given ``c`` tokens before it, with
  ``H_inf`` the exact entropy given the whole sentence (the loss no network can beat).
  The free fit is also reported (an RHM's ``H_c`` falls in steps, and the free fit is
  usually degenerate).

The measured exponent fits ``L(P) - floor`` against P, seed by seed, with ``L(P)`` the
test loss at the last position of the contexts (the mean over positions would level off
above ``H_inf``, its first positions seeing almost no context); the floor is ``H_inf``
(exact for the RHM; the sound free fit for text, else 0, said in the result).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..grammars.langstats import (
    data_exponent,
    entropy_profile,
    fit_beta,
    fit_entropy_decay,
    lag_spectrum_with_floor,
    positional_spectrum,
    shuffled_copy,
)
from ..plots import saved
from ..plots.lm import data_scaling, entropy_decay_with_fit
from ..plots.lm import lag_spectrum_with_floor as plot_spectrum
from .next_token import excess_exponent


def _beta(x: Any, sigma: Any, floor: Any, above: float) -> tuple[Any, str | None]:
    from .._core.errors import InputDataError

    try:
        return fit_beta(x, sigma, floor=floor, above=above), None
    except InputDataError as exc:
        return None, str(exc)


def _alpha(gamma_fit: Any, beta_fit: Any) -> tuple[float, float]:
    if gamma_fit is None or not gamma_fit.ok or beta_fit is None:
        return float("nan"), float("nan")
    return data_exponent(gamma_fit.gamma, beta_fit.exponent, gamma_fit.gamma_error, beta_fit.error)


@contextlib.contextmanager
def _keep_torch_threads() -> Iterator[None]:
    """Restore torch's intra-op thread count after numba's parallel counting.

    Numba's OpenMP layer sets the process-wide OpenMP thread count, and torch, sharing the
    OpenMP runtime, then runs with it: one torch thread set by the caller became two,
    and a tiny model trained 13 times slower in CPU time on a busy 2-core machine.
    """
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if torch is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def text_statistics(
    corpus: Any,
    work: str | os.PathLike,
    vocab_size: int = 50,
    max_lag: int = 64,
    max_n: int = 8,
    above: float = 3.0,
    min_coverage: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """beta (shuffled-corpus floor), gamma (bias-corrected H_n) and the predicted alpha of a corpus.

    ``work`` receives the shuffled copy. Returns a dict of numbers and the fit objects
    (``beta_fit``, ``gamma_fit``, ``gamma_zero_fit``) for the figures.
    """
    shuffled = shuffled_copy(corpus, Path(work) / "shuffled", seed=seed)
    with _keep_torch_threads():
        spectrum = lag_spectrum_with_floor(corpus, max_lag, vocab_size=vocab_size, shuffled=shuffled)
    beta_fit, beta_refused = _beta(spectrum["lags"], spectrum["sigma"], spectrum["shuffled"], above)
    profile = entropy_profile(corpus, max_n, vocab_size=vocab_size, min_coverage=min_coverage)
    gamma_fit = fit_entropy_decay(profile.context, profile.H, error=profile.error, resolved=profile.resolved)
    zero_fit = fit_entropy_decay(profile.context, profile.H, resolved=profile.resolved, h_inf=0.0)
    alpha, alpha_err = _alpha(gamma_fit, beta_fit)
    alpha_zero, alpha_zero_err = _alpha(zero_fit, beta_fit)
    return {
        "tokens": corpus.n_tokens,
        "vocab_size": vocab_size,
        "spectrum": spectrum,
        "beta_fit": beta_fit,
        "beta_refused": beta_refused,
        "profile": profile,
        "gamma_fit": gamma_fit,
        "gamma_zero_fit": zero_fit,
        "alpha_predicted": alpha,
        "alpha_predicted_err": alpha_err,
        "alpha_predicted_h_inf_zero": alpha_zero,
        "alpha_predicted_h_inf_zero_err": alpha_zero_err,
        "loss_floor": gamma_fit.h_inf if gamma_fit.ok else 0.0,
        "loss_floor_kind": "H_inf of the entropy fit" if gamma_fit.ok else "0 (the entropy fit was refused)",
    }


def grammar_statistics(model: Any, sentences: int = 100_000, above: float = 3.0, seed: int = 0) -> dict[str, Any]:
    """beta (position-resolved, analytic floor) and gamma (exact entropies) of an RHM, and the predicted alpha."""
    from ..grammars.stats import beta_theory, next_token_entropy

    tokens = np.asarray(model.sample(sentences, seed=seed).ids())
    n = model.n_positions
    spectrum = positional_spectrum(tokens, np.arange(1, n), vocab_size=model.v, max_starts=16, seed=seed)
    beta_fit, beta_refused = _beta(spectrum["distance"], spectrum["sigma"], spectrum["floor"], above)
    context = np.arange(n)
    exact = np.array([next_token_entropy(model, int(c))[0] for c in context])
    h_inf = float(exact[-1])
    gamma_fit = fit_entropy_decay(context[1:], exact[1:], h_inf=h_inf)
    free_fit = fit_entropy_decay(context[1:], exact[1:])
    alpha, alpha_err = _alpha(gamma_fit, beta_fit)
    return {
        "sentences": sentences,
        "beta_theory": beta_theory(model.m, model.s),
        "spectrum": {"lags": spectrum["distance"], "sigma": spectrum["sigma"], "floor": spectrum["floor"]},
        "beta_fit": beta_fit,
        "beta_refused": beta_refused,
        "entropies": {"context": context, "H": exact},
        "gamma_fit": gamma_fit,
        "gamma_free_fit": free_fit,
        "alpha_predicted": alpha,
        "alpha_predicted_err": alpha_err,
        "loss_floor": h_inf,
        "loss_floor_kind": "exact entropy of the last token given the whole sentence",
    }


def measured_exponent(
    source: Any,
    context: int | None,
    samples: Sequence[int],
    seeds: int,
    floor: float,
    targets: str,
    model_kwargs: dict[str, Any],
    train: dict[str, Any],
    vocab_size: int | None = None,
    n_val: int = 128,
    n_test: int = 256,
    device: str = "cpu",
    progress: bool = False,
    ledger: Any = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Train the transformer at each P and fit the decay of ``L(P) - floor``, seed by seed.

    On a grammar each seed draws its own sentences (``lm_data``'s ``seed``); a corpus has one
    order, so every seed trains and is tested on the same contexts and the seeds differ only in
    the initialisation and the batch order (the error over seeds then leaves out the data's share).
    ``L(P)`` is the test loss of the last position of the contexts (the token predicted from
    the ``T - 1`` before it), whatever the training objective ``targets``. With a ``ledger``
    (:class:`~cooc._core.ledger.RunLedger`) every run is recorded and taken from it when the
    study runs again; ``jobs`` runs train at once, each in a process of its own
    (:func:`~cooc.train.grammar.lm.lm_learning_curve`).
    """
    from ..train._torch import torch_device
    from ..train.grammar.lm import lm_learning_curve
    from ..train.grammar.lm_data import lm_data

    dev = torch_device(device)
    # the last position of a context: its loss approaches H_inf once P resolves the whole context,
    # while the mean over positions stays above it (its first positions see almost no context)
    key = "test_loss_last"
    rows = []
    for seed in range(seeds):
        data = lm_data(source, context, max(samples), n_val, n_test, seed=seed, vocab_size=vocab_size, device=dev)
        rows += lm_learning_curve(
            data, "transformer", samples, seeds=[seed], targets=targets, model_kwargs=model_kwargs,
            progress=progress, ledger=ledger, jobs=jobs, **train,
        )  # fmt: skip
    fit = excess_exponent(rows, floor, key=key)
    summary = []
    for P in sorted({r["P"] for r in rows}):
        values = np.array([r[key] for r in rows if r["P"] == P])
        summary.append({"P": int(P), "test_loss": float(values.mean()),
                        "test_loss_se": float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0})  # fmt: skip
    return {"rows": rows, "summary": summary, "fit": fit, "key": key, "floor": floor}


def corpus_entry(stats: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    """The numbers of one corpus for ``results.json`` (fit objects flattened, refusals kept as reasons)."""
    beta, gamma = stats["beta_fit"], stats["gamma_fit"]
    entry = {
        "beta": beta.exponent if beta is not None else None,
        "beta_err": beta.error if beta is not None else None,
        "beta_lags": [float(beta.x.min()), float(beta.x.max())] if beta is not None else None,
        "beta_refused": stats["beta_refused"],
        "gamma": gamma.gamma if gamma.ok else None,
        "gamma_err": gamma.gamma_error if gamma.ok else None,
        "gamma_refused": gamma.refused,
        "H_inf": gamma.h_inf if gamma.ok else None,
        "alpha_predicted": stats["alpha_predicted"],
        "alpha_predicted_err": stats["alpha_predicted_err"],
        "alpha_measured": measured["fit"]["alpha"],
        "alpha_measured_err": measured["fit"]["alpha_err"],
        "alpha_measured_per_seed": measured["fit"]["per_seed"],
        "loss_floor": measured["floor"],
        "loss_floor_kind": stats["loss_floor_kind"],
        "learning_curve": measured["summary"],
    }
    if "gamma_zero_fit" in stats:
        zero = stats["gamma_zero_fit"]
        entry.update(
            gamma_h_inf_zero=zero.gamma if zero.ok else None,
            gamma_h_inf_zero_err=zero.gamma_error if zero.ok else None,
            alpha_predicted_h_inf_zero=stats["alpha_predicted_h_inf_zero"],
            alpha_predicted_h_inf_zero_err=stats["alpha_predicted_h_inf_zero_err"],
            tokens=stats["tokens"],
            vocab_size=stats["vocab_size"],
            context=stats["profile"].context,  # tokens before the predicted one: gamma's x
            H_n=stats["profile"].H,
            H_n_err=stats["profile"].error,
            H_n_plugin=stats["profile"].plugin,
            coverage=stats["profile"].coverage,
            resolved=stats["profile"].resolved,
            spectrum={k: v for k, v in stats["spectrum"].items()},
        )
    else:
        free = stats["gamma_free_fit"]
        entry.update(
            beta_theory=stats["beta_theory"],
            gamma_free=free.gamma if free.ok else None,
            gamma_free_refused=free.refused,
            gamma_free_attempt=free.attempt,
            H_c=stats["entropies"]["H"],
            spectrum=stats["spectrum"],
        )
    return entry


def scaling_figures(name: str, stats: dict[str, Any], measured: dict[str, Any], folder: str | os.PathLike) -> list[str]:
    """Three figures per corpus: the spectrum with its floor and fitted range, the entropy fit, the data scaling."""
    folder = Path(folder)
    spectrum = stats["spectrum"]
    floor = spectrum.get("floor")
    saved(
        plot_spectrum(
            spectrum["lags"], spectrum["sigma"], floor=floor, shuffled=spectrum.get("shuffled"),
            fit=stats["beta_fit"], theory_beta=stats.get("beta_theory"),
            title=f"{name}" + ("" if stats["beta_fit"] else f": {stats['beta_refused']}"),
            path=folder / f"{name}_spectrum.png",
        )
    )  # fmt: skip
    if "profile" in stats:
        p = stats["profile"]
        saved(entropy_decay_with_fit(p.context, p.H, p.error, p.resolved, fit=stats["gamma_fit"], title=f"{name}: bias-corrected H_c",
                                     path=folder / f"{name}_entropy.png"))  # fmt: skip
    else:
        e = stats["entropies"]
        saved(entropy_decay_with_fit(e["context"][1:], e["H"][1:], fit=stats["gamma_fit"],
                                     title=f"{name}: exact H_c; H_inf = H given the whole sentence",
                                     path=folder / f"{name}_entropy.png"))  # fmt: skip
    # with the free entropy fit refused there is no prediction; the paper's H_inf = 0 convention is drawn
    # instead, and the title says so (the line's own label reads "predicted")
    convention = not np.isfinite(stats["alpha_predicted"]) and stats.get("alpha_predicted_h_inf_zero") is not None
    title = f"{name}: transformer" + ("; dotted: the H_inf = 0 convention (free fit refused)" if convention else "")
    saved(
        data_scaling(
            measured["summary"], measured["floor"], measured["fit"],
            alpha_predicted=stats.get("alpha_predicted_h_inf_zero") if convention else stats["alpha_predicted"],
            title=title, path=folder / f"{name}_scaling.png",
        )
    )  # fmt: skip
    return [f"{name}_spectrum.png", f"{name}_entropy.png", f"{name}_scaling.png"]


def text_corpus(source: Any, out: str | os.PathLike, max_docs: int | None = None, progress: bool = False) -> Any:
    """A TokenCorpus of a text source, built once into ``out`` (reused when it exists with the same settings).

    ``source`` is anything :func:`cooc.build_corpus` reads: ``hf:NAME[:CONFIG[:SPLIT]]`` (a
    Hugging Face dataset, e.g. ``hf:wikimedia/wikipedia:20231101.en``), ``bible:kjv``, a
    path, or a :class:`~cooc.corpus.sources.Source` (e.g. a Hugging Face builder on local
    Parquet files). ``max_docs`` stops after that many documents.
    """
    from ..corpus.build import build_corpus
    from ..corpus.tokenize import Tokenizer

    return build_corpus(source, out, tokenizer=Tokenizer(), workers=1, max_docs=max_docs, progress=progress)


__all__ = [
    "text_corpus",
    "text_statistics",
    "grammar_statistics",
    "measured_exponent",
    "corpus_entry",
    "scaling_figures",
]
