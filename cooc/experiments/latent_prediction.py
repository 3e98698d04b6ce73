"""Sample complexity of recovering an RHM's latent tree, against the depth L, for self-supervised learners.

Following arXiv 2605.27734 (docs/science.md, section 6): a learner that clusters tuples by the
*latents* it has already built at the level below (learning from its own latents) needs
about ``m**3`` sentences whatever the depth; the same clustering driven by *tokens* needs
about ``m**(L+1)``. The learners (:data:`LEARNERS`) are
:class:`~cooc.train.grammar.latent_prediction.LatentClustering` with ``target="latent"``
(``"latent"``) and ``target="token"`` (``"token"``), and the network of predictor + clusterer
modules, :class:`~cooc.train.grammar.latent_network.LatentNetwork`, with latent targets
(``"network"``) or token targets (``"network_token"``). A learner has recovered the tree when every
level it builds (the parents of the tokens up to the children of the root) matches the true
latents of held-out sentences up to relabelling on at least ``threshold`` of the nodes;
P* is where that accuracy crosses the threshold (interpolated in log P). The growth of P*
per level is fitted as ``P* ~ base**L`` (theory: base 1 for latent targets, ``m`` for token targets).

**A P* outside the grid is censored, not dropped.** A seed whose accuracy never reaches the
threshold has P* above the largest P tried; one whose accuracy is already there at the
smallest P has P* at most that P. Averaging only the seeds that crossed would bias P* (low
where the slow seeds are left out, as at the deepest L of the token learner), so a depth with a
censored seed has no P* (NaN) and is left out of the fit; its ``P_star_censored`` says which
way (``"above"``, ``"below"``, or ``"both"``) and ``P_star_bound`` gives the bound on the
geometric mean that the censored seeds, set at the edge of the grid, imply (a lower bound when
above, an upper one when below).

The pool and the test sentences are i.i.d. draws (on small grammars a test sentence may also
be a training one); what is scored is the map from tuples to latents, learned without labels,
so a repeated sentence gives the learner no answer, only one more count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.ledger import recorded
from ..grammars.rhm import RandomHierarchyModel
from ..train._torch import task_seed
from ..train.grammar.fits import crossing, exponential
from ..train.grammar.latent_network import LatentNetwork
from ..train.grammar.latent_prediction import LatentClustering, tree_accuracy

THEORY = {
    "latent": "1 (constant in L, about m^3)",
    "token": "m (about m^(L+1))",
    "network": "1 (constant in L, about m^3)",
    "network_token": "m (about m^(L+1))",
}
#: learner name -> (estimator class, prediction target)
LEARNERS: dict[str, tuple[type, str]] = {
    "latent": (LatentClustering, "latent"),
    "token": (LatentClustering, "token"),
    "network": (LatentNetwork, "latent"),
    "network_token": (LatentNetwork, "token"),
}


def _accuracy(make: Any, data: Any, P: int, v: int, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the worst level's accuracy of a learner (``make()``) fitted on the first ``P``
    sentences of the pool ``data()`` gives (with the test set)."""
    pool, test = data()
    learner = make()
    learner.fit(pool.tokens[:P], v=v)
    return {**row, "accuracy": min(tree_accuracy(learner, test.tokens, test.levels))}


def latent_sample_complexity(
    v: int,
    m: int,
    depths: Sequence[int] = (2, 3, 4, 5),
    s: int = 2,
    samples: Sequence[int] = (250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000),
    seeds: int = 2,
    n_test: int = 2000,
    threshold: float = 0.9,
    learners: Sequence[str] = ("latent", "token"),
    rule_seed: int = 0,
    network: Mapping[str, Any] | None = None,
    depths_by_learner: Mapping[str, Sequence[int]] | None = None,
    ledger: Any = None,
) -> dict[str, Any]:
    """Accuracy of the recovered tree against P, and P*, for each learner and depth.

    Parameters
    ----------
    v, m, s : int
        The RHM (``n_c = v``: the root is never clustered).
    depths : sequence of int
        Depths L (at least 2: the tree must have a level below the root's children).
    samples : sequence of int, ascending
        Training-set sizes P (i.i.d. sentences); a learner stops once two successive sizes
        reach the threshold.
    seeds : int
    n_test : int
    threshold : float
        Matched accuracy, at every recovered level, that counts as recovered.
    learners : sequence of names in :data:`LEARNERS`
    rule_seed : int
    network : mapping, optional
        Keyword arguments of :class:`~cooc.train.grammar.latent_network.LatentNetwork`
        (``hidden``, ``steps``, ``lr``, ``device``, ...) for the network learners.
    depths_by_learner : mapping, optional
        Depths for some learners instead of ``depths`` (a slower learner on fewer L).
    ledger : RunLedger, optional
        Each learner's accuracy at each (L, seed, P) is recorded there and taken from it when
        the study runs again: an interrupted study resumes.

    Returns
    -------
    dict with, under ``learners``, per learner name: ``L``, ``P_star`` (geometric mean over the
    seeds of the log-interpolated P*; NaN where a seed's P* lies outside the grid),
    ``P_star_per_seed`` (NaN where censored), ``P_star_censored`` (None, ``"above"``, ``"below"``
    or ``"both"``: the module notes), ``P_star_bound`` (the bound a censored depth's seeds imply,
    NaN otherwise), ``P_star_sd``, ``curves`` (per L: P and the worst level's accuracy, seed
    mean), ``curve_seeds`` (per L: how many seeds each of those means holds) and ``fit``
    (``base`` and ``base_error`` per level, ``base_error_fit`` and ``base_error_seeds`` behind
    ``base_error``, ``prefactor``, and ``L``, the depths fitted: those with a P*); and ``theory``
    (the predicted base: 1 for latent targets, ``m`` for token targets).
    """
    sizes = sorted(int(p) for p in samples)
    unknown = [name for name in learners if name not in LEARNERS]
    if unknown:
        raise InvalidParameterError(f"latent_sample_complexity: unknown learners {unknown}; known: {sorted(LEARNERS)}.")
    out: dict[str, Any] = {"v": v, "m": m, "s": s, "threshold": threshold, "samples": sizes, "learners": {}}
    depths_of = {name: list((depths_by_learner or {}).get(name, depths)) for name in learners}
    stars: dict[tuple[str, int], list[tuple[float, str | None]]] = {}  # (learner, L) -> (P*, censoring) per seed
    accs: dict[tuple[str, int], dict[int, list[float]]] = {}  # (learner, L) -> P -> accuracy per seed
    for L in sorted({L for ds in depths_of.values() for L in ds}):
        g = RandomHierarchyModel(v=v, n_c=v, m=m, s=s, L=L, rule_seed=rule_seed)
        for seed in range(seeds):
            # One pool and test set per (L, seed), shared by the learners and drawn only for a run the
            # ledger does not hold (a resumed study skips the sampling: 13 s for 8M sentences at L = 6).
            data: list[Any] = []

            def pool_and_test(g=g, L=L, seed=seed, data=data) -> tuple[Any, Any]:
                if not data:
                    data += [
                        g.sample(sizes[-1], seed=task_seed(seed, L, 73)),
                        g.sample(n_test, seed=task_seed(seed, L, 79)),
                    ]
                return data[0], data[1]

            for name in learners:
                if L not in depths_of[name]:
                    continue
                cls, target = LEARNERS[name]
                options = dict(network or {}) if cls is LatentNetwork else {}
                reached, acc_curve = 0, []
                for P in sizes:
                    about = {"run": "latent learner", "learner": name, "options": options, "v": v, "m": m, "s": s,
                             "L": L, "rule_seed": rule_seed, "seed": seed, "P": P, "pool": sizes[-1], "n_test": n_test}  # fmt: skip
                    make = partial(cls, s, v, L - 1, target=target, seed=seed, **options)
                    row = {"learner": name, "L": L, "P": P, "seed": seed}
                    learn = partial(_accuracy, make, pool_and_test, P, v, row)
                    acc = recorded(ledger, about, learn)["accuracy"]
                    acc_curve.append(acc)
                    accs.setdefault((name, L), {}).setdefault(P, []).append(acc)
                    reached = reached + 1 if acc >= threshold else 0
                    if reached == 2:
                        break
                stars.setdefault((name, L), []).append(_seed_p_star(sizes[: len(acc_curve)], acc_curve, threshold))
            data.clear()  # the pool's memory goes back before the next seed's
    for name in learners:
        target = LEARNERS[name][1]
        per_L: list[dict[str, Any]] = []
        curves: dict[str, dict[str, list[Any]]] = {}
        curve_seeds: dict[str, list[int]] = {}
        for L in depths_of[name]:
            by_P = accs[(name, L)]
            curves[str(L)] = {"P": sorted(by_P), "accuracy": [float(np.mean(by_P[P])) for P in sorted(by_P)]}
            # seeds behind each mean: a seed stops once it has recovered the tree twice in a row,
            # so the later points average only the seeds that were still short of it
            curve_seeds[str(L)] = [len(by_P[P]) for P in sorted(by_P)]
            per_L.append({"L": L, **_depth_p_star(stars[(name, L)], sizes)})
        fit = _growth_fit(per_L)
        out["learners"][name] = {
            "L": [r["L"] for r in per_L],
            "P_star": [r["P_star"] for r in per_L],
            "P_star_sd": [r["P_star_sd"] for r in per_L],
            "P_star_per_seed": [r["P_star_per_seed"] for r in per_L],
            "P_star_censored": [r["P_star_censored"] for r in per_L],
            "P_star_bound": [r["P_star_bound"] for r in per_L],
            "curves": curves,
            "curve_seeds": curve_seeds,
            "fit": fit,
            "theory": 1.0 if target == "latent" else float(m),
            "target": target,
        }
    return out


def _seed_p_star(P: Sequence[int], accuracy: Sequence[float], threshold: float) -> tuple[float, str | None]:
    """One seed's P* (log-interpolated crossing of ``threshold``) and how it is censored.

    ``(P*, None)`` when the curve crosses inside the grid; ``(NaN, "below")`` when the first size
    already reaches the threshold (P* <= ``P[0]``); ``(NaN, "above")`` when no size reaches it
    (P* > ``P[-1]``, the largest size this seed tried).
    """
    if accuracy[0] >= threshold:
        return float("nan"), "below"
    if max(accuracy) < threshold:
        return float("nan"), "above"
    h = crossing(np.log(np.asarray(P, dtype=np.float64)), accuracy, threshold)
    return float(np.exp(h)), None


def _growth_fit(per_L: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """``P* ~ prefactor * base**L`` through the depths with a P*, or None below two of them.

    ``base_error`` is the larger of the least-squares error (NaN from two depths) and
    ``base_error_seeds``, the standard error of the mean of the bases fitted to each seed's own
    P* at those depths (NaN below two seeds): with a few depths the residuals alone say little.
    """
    fitted = [k for k, r in enumerate(per_L) if np.isfinite(r["P_star"])]
    if len(fitted) < 2:
        return None
    depths = [per_L[k]["L"] for k in fitted]
    f = exponential(depths, [per_L[k]["P_star"] for k in fitted])
    slopes = []
    for seed in range(len(per_L[fitted[0]]["P_star_per_seed"])):
        slopes.append(exponential(depths, [per_L[k]["P_star_per_seed"][seed] for k in fitted]).slope)
    seeds_error = f.base * float(np.std(slopes, ddof=1) / np.sqrt(len(slopes))) if len(slopes) > 1 else float("nan")
    errors = [e for e in (f.base_error, seeds_error) if np.isfinite(e)]
    return {
        "base": f.base,
        "base_error": max(errors) if errors else float("nan"),
        "base_error_fit": f.base_error,
        "base_error_seeds": seeds_error,
        "prefactor": f.prefactor,
        "exponent": f.slope,
        "L": [int(x) for x in depths],
    }


def _depth_p_star(per_seed: Sequence[tuple[float, str | None]], sizes: Sequence[int]) -> dict[str, Any]:
    """The P* of one depth from its seeds' (P*, censoring): the geometric mean when every seed crossed
    inside the grid, else NaN with the censoring and the bound it implies (module notes)."""
    values = [p for p, _ in per_seed]
    kinds = {c for _, c in per_seed if c is not None}
    finite = [p for p in values if np.isfinite(p)]
    if not kinds:
        return {
            "P_star": float(np.exp(np.mean(np.log(values)))),
            "P_star_per_seed": values,
            "P_star_sd": float(np.std(values)) if len(values) > 1 else float("nan"),
            "P_star_censored": None,
            "P_star_bound": float("nan"),
        }
    kind = kinds.pop() if len(kinds) == 1 else "both"
    bound = float("nan")
    if kind != "both":  # the censored seeds at the edge of the grid they did not pass
        edge = float(sizes[-1] if kind == "above" else sizes[0])
        bound = float(np.exp(np.mean(np.log([p if np.isfinite(p) else edge for p in values]))))
    return {
        "P_star": float("nan"),
        "P_star_per_seed": values,
        "P_star_sd": float(np.std(finite)) if len(finite) > 1 else float("nan"),
        "P_star_censored": kind,
        "P_star_bound": bound,
    }


__all__ = ["LEARNERS", "THEORY", "latent_sample_complexity"]
