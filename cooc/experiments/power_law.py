"""Learning curves of an RHM with power-law (Zipf) productions (arXiv 2505.07067; docs/science.md, section 6).

Production ``k`` (1-based) of every symbol is used with probability ``f_k ~ k**-(1 + a)``
instead of ``1 / m``. For classification the paper predicts a power-law learning curve,
``test error ~ P**-(a / (1 + a))``: a rule is learned once it has been seen often enough,
and the error is the mass of the rules not yet learned. The prediction is asymptotic (many
productions, ``m`` large, and P beyond the hierarchical pre-asymptotic phase), so the fit
range is chosen on the curve (:func:`fit_learning_curve`): points where the error is
between ``floor`` and ``ceiling`` times chance.

With one level (``L = 1``) the theory is exact at finite ``m`` (:func:`memorization_error`):
a sentence is one tuple, and a network that has seen it answers it. The curve bends down
from the asymptotic power law once the rarest rules have been seen (at small ``a`` this
happens early), so its slope over the fitted range is reported beside ``a / (1 + a)``.

Training and test sentences are drawn i.i.d. from the grammar (with repeats: frequent
sentences recur, which is the point of the model), test sentences independently of the
training ones. The deep CNN (filter = stride = s, depth L) is trained for every (a, P, seed) in
one ensemble per input shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from ..grammars.rhm import RandomHierarchyModel
from ..train._torch import task_seed, torch_device
from ..train.grammar.curves import summarize
from ..train.grammar.ensemble import Pools, ensemble_curve
from ..train.grammar.fits import power_law

NETWORK = {"width": 128, "steps": 1000, "batch_size": 128, "lr": 3e-3}


def memorization_error(P: Sequence[int], probs: Sequence[float] | np.ndarray, n_c: int) -> np.ndarray:
    """Exact test error of a learner that memorises every seen (class, tuple) pair, for depth L = 1.

    With one level, a sentence is one of the ``n_c m`` tuples, tuple ``k`` of each class drawn
    with probability ``f_k / n_c``; a test tuple never seen among the P training sentences
    is guessed (right with probability ``1 / n_c``), a seen one is answered. So
    ``error(P) = (1 - 1/n_c) sum_k f_k (1 - f_k / n_c)**P``, which for ``f_k ~ k**-(1+a)`` and
    ``m -> inf`` decays as ``P**-(a / (1 + a))``; at finite m it bends down once the rarest rule is seen.
    """
    f = np.asarray(probs, dtype=np.float64)
    sizes = np.asarray(P, dtype=np.float64)
    return (1.0 - 1.0 / n_c) * (f[None, :] * (1.0 - f[None, :] / n_c) ** sizes[:, None]).sum(axis=1)


def fit_learning_curve(
    summary: Sequence[Mapping[str, Any]], ceiling: float = 0.5, floor: float = 0.0, n_test: int | None = None
) -> dict[str, Any] | None:
    """Fit ``error ~ P**-alpha`` to a summarised curve where ``floor * chance < error < ceiling * chance``.

    Points are weighted by their standard errors: the standard error of the seed mean (the
    seeds' sample standard deviation, with ``n - 1``, over ``sqrt(n)``; ``summarize`` gives the
    standard deviation with ``n``), never below the binomial error of ``n_test`` test sentences.

    Returns
    -------
    dict with ``measured`` (alpha, the decay exponent), ``measured_err``, ``prefactor`` and the
    ``P`` range fitted, or None with fewer than 2 points in range.
    """
    chance = summary[0]["chance_error"]
    keep = [r for r in summary if floor * chance < r["test_error"] < ceiling * chance]
    if len(keep) < 2:
        return None
    P = np.array([r["P"] for r in keep], dtype=float)
    err = np.array([r["test_error"] for r in keep])
    # summarize's sd divides by n: the standard error of the mean is sd * sqrt(n / (n - 1)) / sqrt(n)
    sd = np.array([r["test_error_sd"] / np.sqrt(max(r["seeds"] - 1, 1)) for r in keep])
    if n_test:
        sd = np.maximum(sd, np.sqrt(err * (1 - err) / n_test))
    fit = power_law(P, err, y_err=np.maximum(sd, 1e-12))
    return {"measured": -fit.exponent, "measured_err": fit.error, "prefactor": fit.prefactor, "P": P.tolist()}


def power_law_curves(
    grammar: Mapping[str, Any],
    exponents: Sequence[float] = (0.5, 1.0, 2.0),
    samples: Sequence[int] = (64, 128, 256, 512, 1024, 2048, 4096),
    seeds: int = 2,
    n_test: int = 2048,
    network: Mapping[str, Any] | None = None,
    ceiling: float = 0.5,
    floor: float = 0.0,
    device: str = "cpu",
    ledger: Any = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Learning curves of the deep CNN for several Zipf exponents ``a``, with the fitted decay exponents.

    Parameters
    ----------
    grammar : mapping
        RHM parameters without ``a`` (``v``, ``n_c``, ``m``, ``s``, ``L``, ``rule_seed``).
    exponents : sequence of float
        The values of ``a`` (at least one).
    samples : sequence of int
        Training-set sizes P.
    seeds : int
    n_test : int
        Test sentences per seed (i.i.d.).
    network : mapping, optional
        ``width``, ``steps``, ``batch_size``, ``lr`` of the CNN (default :data:`NETWORK`).
    ceiling, floor : float
        The fit range, as fractions of chance (:func:`fit_learning_curve`).
    device : str
    ledger : RunLedger, optional
        Each trained ensemble is recorded there and taken from it when the study runs again
        (:func:`~cooc.train.grammar.ensemble.ensemble_curve`): an interrupted study resumes.
    progress : bool
        Show each ensemble's training progress (a line every few minutes when the output is not a
        terminal): the papers' sizes train for up to an hour an ensemble on a CPU.

    Returns
    -------
    dict with ``curves`` (keyed by ``str(float(a))``: its summary rows, with ``theory_error`` from
    :func:`memorization_error` when ``L = 1``) and ``exponents``: a list of
    ``{a, measured, measured_err, theory}`` with ``theory = a / (1 + a)`` (and, for
    ``L = 1``, ``theory_finite_m``: the slope of the exact finite-m curve over the fitted range).
    """
    if not exponents:
        raise InvalidParameterError("power_law_curves needs at least one exponent a.")
    settings = {**NETWORK, **(network or {})}
    dev = torch_device(device)
    sizes = sorted(int(p) for p in samples)
    arrays, labels, models = [], [], []
    for i, a in enumerate(exponents):
        g = RandomHierarchyModel(**{**grammar, "a": float(a)})
        models.append(g)
        for seed in range(seeds):
            sample = g.sample(n_test + sizes[-1], seed=task_seed(seed, i, 53))
            arrays.append(sample.one_hot())
            labels.append(sample.labels)
    g0 = models[0]
    pools = Pools.from_arrays(arrays, labels, n_test, g0.n_c, device=dev)
    run = ensemble_curve(
        pools,
        "cnn",
        sizes,
        seeds=[seed for _ in exponents for seed in range(seeds)],
        filter_size=g0.s,
        depth=g0.L,
        ledger=ledger,
        keep_net=False,
        progress=progress,
        **{k: settings[k] for k in ("width", "steps", "batch_size", "lr")},
    )
    curves, table = {}, []
    for i, a in enumerate(exponents):
        rows = [r for r in run.rows if r["pool"] // seeds == i]
        summary = summarize(rows)
        curves[str(float(a))] = summary  # keyed as the table's ``a`` prints: "1.0" whether a was given as 1 or 1.0
        fit = fit_learning_curve(summary, ceiling, floor, n_test)
        finite = None
        if models[i].L == 1:  # the exact finite-m curve of a memorising learner, fitted over the same P
            exact = memorization_error(sizes, models[i].probs, models[i].n_c)
            curves[str(float(a))] = [{**r, "theory_error": float(e)} for r, e in zip(summary, exact)]
            if fit is not None:
                chosen = [k for k, P in enumerate(sizes) if P in fit["P"]]
                finite = -power_law(np.array(sizes)[chosen], exact[chosen]).exponent
        table.append(
            {
                "a": float(a),
                "measured": None if fit is None else fit["measured"],
                "measured_err": None if fit is None else fit["measured_err"],
                "theory": float(a) / (1.0 + float(a)),
                "theory_finite_m": finite,
                "fit_P": None if fit is None else fit["P"],
                "prefactor": None if fit is None else fit["prefactor"],
            }
        )
    return {"grammar": dict(grammar), "samples": sizes, "curves": curves, "exponents": table, "settings": settings}


__all__ = ["NETWORK", "fit_learning_curve", "power_law_curves"]
