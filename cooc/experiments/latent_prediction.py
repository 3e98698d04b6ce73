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
    dict with, under ``learners``, per learner name: ``L``, ``P_star`` (seed mean of log-interpolated
    P*), ``P_star_per_seed``, ``curves`` (per L: P and the worst level's accuracy, seed
    mean) and ``fit`` (``base`` and ``base_error`` per level, ``prefactor``); and ``theory``
    (the predicted base: 1 for latent targets, ``m`` for token targets).
    """
    sizes = sorted(int(p) for p in samples)
    unknown = [name for name in learners if name not in LEARNERS]
    if unknown:
        raise InvalidParameterError(f"latent_sample_complexity: unknown learners {unknown}; known: {sorted(LEARNERS)}.")
    out: dict[str, Any] = {"v": v, "m": m, "s": s, "threshold": threshold, "samples": sizes, "learners": {}}
    depths_of = {name: list((depths_by_learner or {}).get(name, depths)) for name in learners}
    stars: dict[tuple[str, int], list[float]] = {}  # (learner, L) -> P* per seed
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
                P_seen = sizes[: len(acc_curve)]
                h = crossing(np.log(P_seen), acc_curve, threshold) if len(P_seen) > 1 else float("nan")
                stars.setdefault((name, L), []).append(float(np.exp(h)) if np.isfinite(h) else float("nan"))
            data.clear()  # the pool's memory goes back before the next seed's
    for name in learners:
        target = LEARNERS[name][1]
        per_L: list[dict[str, Any]] = []
        curves: dict[str, dict[str, list[Any]]] = {}
        for L in depths_of[name]:
            by_P = accs[(name, L)]
            curves[str(L)] = {"P": sorted(by_P), "accuracy": [float(np.mean(by_P[P])) for P in sorted(by_P)]}
            finite = [x for x in stars[(name, L)] if np.isfinite(x)]
            per_L.append(
                {
                    "L": L,
                    "P_star": float(np.exp(np.mean(np.log(finite)))) if finite else float("nan"),
                    "P_star_per_seed": stars[(name, L)],
                    "P_star_sd": float(np.std(finite)) if len(finite) > 1 else float("nan"),
                }
            )
        pts = [(r["L"], r["P_star"]) for r in per_L if np.isfinite(r["P_star"])]
        fit = None
        if len(pts) >= 2:
            depths_fitted, p_stars = zip(*pts)
            f = exponential(depths_fitted, p_stars)
            fit = {"base": f.base, "base_error": f.base_error, "prefactor": f.prefactor, "exponent": f.slope}
        out["learners"][name] = {
            "L": [r["L"] for r in per_L],
            "P_star": [r["P_star"] for r in per_L],
            "P_star_sd": [r["P_star_sd"] for r in per_L],
            "P_star_per_seed": [r["P_star_per_seed"] for r in per_L],
            "curves": curves,
            "fit": fit,
            "theory": 1.0 if target == "latent" else float(m),
            "target": target,
        }
    return out


__all__ = ["LEARNERS", "THEORY", "latent_sample_complexity"]
