"""The RHM's sample complexity across grammar sizes (arXiv 2307.02129; docs/science.md, section 6).

For several Random Hierarchy Models whose ``n_c m^L`` is far below ``P_max``, learning curves
of the deep CNN (filter = stride = s, depth L) and of a shallow fully-connected network
(one hidden layer) are measured on the same sentences; each curve gives P*, the first P at
which the test error falls below 10% of chance (interpolated in log P). Theory: the CNN's P*
grows like ``n_c m^L`` (a power law of exponent 1), the shallow net's like ``P_max``.
The CNN's *synonymic sensitivity* (:mod:`cooc.train.grammar.sensitivity`) of each hidden
layer, to swapping every s-tuple of tokens for a synonym, is measured on held-out sentences
at every P: it falls where the error falls.

All networks of one input shape are trained at once as one ensemble
(:mod:`cooc.train.grammar.ensemble`), members exactly independent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.ledger import fingerprint
from .._core.logs import log
from ..grammars.rhm import RandomHierarchyModel
from ..grammars.transforms import synonym_exchange
from ..train._torch import task_seed, torch_device
from ..train.grammar.curves import sample_complexity, summarize
from ..train.grammar.data import grammar_from_spec
from ..train.grammar.ensemble import Pools, ensemble_curve
from ..train.grammar.fits import crossing, power_law_over_seeds
from ..train.grammar.sensitivity import members_inputs, sensitivity

CNN = {"width": 32, "steps": 600, "batch_size": 64, "lr": 1e-2}
# 600 steps at lr 3e-3 left the shallow net's training error at 2.6-3.9% from P ~ 1,700 on (a third to a half of the
# 8.75% test error P* asks for at n_c = 8), which doubled its P* there; 1,200 steps at lr 1e-2 fit every training set
# on which it reaches P*.
SHALLOW = {"width": 128, "steps": 1200, "batch_size": 64, "lr": 1e-2, "factors": (1, 2, 4, 8, 16), "epochs": None}
UNDERFIT = 0.25
"""A curve's size P is *under-fitted* where its networks' mean training error is at least this fraction of P*'s
threshold (``fraction`` of chance): there the test error is held up for want of training (a training error of a
third of the threshold doubled a P*), so a P* found there, or not found, says more about the optimiser than about
the data needed."""


def rhm_sample_complexity(
    specs: Sequence[str],
    factors: Sequence[float] = (1, 2, 4, 8),
    seeds: int = 2,
    n_test: int = 256,
    cnn: Mapping[str, Any] | None = None,
    shallow: Mapping[str, Any] | None = None,
    fraction: float = 0.1,
    device: str = "cpu",
    ledger: Any = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Learning curves, P* and synonymic sensitivity of the deep CNN and a shallow net on several RHMs.

    Parameters
    ----------
    specs : sequence of str
        RHM specs (``"rhm:v=8,n_c=4,m=2,s=2,L=3"``), at least 2; grammars with the same
        ``v`` and ``s**L`` are trained in one ensemble.
    factors : sequence of float
        The CNN's training-set sizes, as multiples of ``n_c m^L``.
    seeds : int
        Data seeds (one draw of distinct sentences each, shared by both networks).
    n_test : int
        Held-out sentences per seed (also those of the sensitivity).
    cnn, shallow : mapping, optional
        Settings of each network: ``width``, ``steps``, ``batch_size``, ``lr`` (and for the
        shallow net ``factors``, its own sizes in multiples of ``n_c m^L``, and ``epochs``: when
        given, a size P trains for ``max(steps, epochs P / batch_size)`` steps, so that the
        largest sets are seen as often as the small ones); defaults :data:`CNN` and
        :data:`SHALLOW`. ``shallow=False`` skips the shallow net.
    fraction : float
        P* is where the test error falls below ``fraction`` of chance.
    device : str
    ledger : RunLedger, optional
        Each trained ensemble is recorded there and taken from it when the study runs again
        (:func:`~cooc.train.grammar.ensemble.ensemble_curve`): an interrupted study resumes.
    progress : bool
        Show each ensemble's training progress (a line every few minutes when the output is not a
        terminal): the papers' sizes train for up to an hour an ensemble on a CPU.

    Returns
    -------
    dict with ``grammars`` (one entry per spec: ``scale`` = n_c m^L, ``P_max``, per-P curves of
    both networks, their P* (of the seed-averaged curve, and per seed), ``underfit_P`` (the
    sizes where the networks did not fit their training sets, :data:`UNDERFIT`), and the CNN's
    per-layer sensitivity), ``fit`` (the CNN's P* against n_c m^L: ``exponent``, ``error``, ``prefactor``;
    theory exponent 1; the error is the larger of the least-squares one and the spread of the
    per-seed exponents, :func:`~cooc.train.grammar.fits.power_law_over_seeds`) and ``shallow_fit``
    (the shallow net's P* against P_max, where it was reached at 3 grammars or more); each fit is
    None below 3 grammars.
    """
    if len(specs) < 2:
        raise InvalidParameterError("rhm_sample_complexity needs at least 2 grammars to fit an exponent.")
    cnn = {**CNN, **(cnn or {})}
    use_shallow = shallow is not False
    shallow = {**SHALLOW, **(shallow or {})} if use_shallow else {}
    dev = torch_device(device)
    grammars = [grammar_from_spec(s) for s in specs]
    if not all(isinstance(g, RandomHierarchyModel) for g in grammars):
        raise InvalidParameterError("rhm_sample_complexity takes RHM specs ('rhm:...') only.")
    entries = []
    for spec, g in zip(specs, grammars):
        scale = g.n_c * g.m**g.L
        cap = g.P_max - n_test
        sizes = _sizes(factors, scale, cap)
        shallow_sizes = _sizes(shallow.get("factors", ()), scale, cap) if use_shallow else []
        if not sizes:
            raise InvalidParameterError(f"{spec}: no training size fits below P_max - n_test = {cap}.")
        if use_shallow and not shallow_sizes:  # refused here, before any ensemble trains
            factors_fc = list(shallow.get("factors", ()))
            wanted = ", ".join(str(max(1, int(round(f * scale)))) for f in factors_fc) or "none"
            raise InvalidParameterError(
                f"{spec}: no shallow-net training size fits below P_max - n_test = {cap} (sizes {wanted}: factors "
                f"{', '.join(f'{f:g}' for f in factors_fc) or 'none'} of n_c m^L = {scale}); give smaller shallow "
                f"factors, or shallow=False to skip the shallow net."
            )
        entries.append({"spec": spec, "grammar": g, "scale": scale, "cnn_sizes": sizes, "fc_sizes": shallow_sizes})
    groups: dict[tuple[int, int], list[int]] = {}
    for i, e in enumerate(entries):
        groups.setdefault((e["grammar"].v, e["grammar"].n_positions), []).append(i)
    for gi, members in enumerate(groups.values()):
        _run_group([entries[i] for i in members], seeds, n_test, cnn, shallow, use_shallow, dev, gi, ledger, progress)
    results = [_summarize(e, fraction) for e in entries]
    return {
        "grammars": results,
        "fit": _fit([r["scale"] for r in results], [r["cnn"] for r in results], seeds),
        "shallow_fit": _fit([r["P_max"] for r in results], [r["shallow"] for r in results], seeds)
        if use_shallow
        else None,
        "settings": {"factors": list(factors), "seeds": seeds, "n_test": n_test, "cnn": cnn, "shallow": shallow},
    }


def _sizes(factors: Sequence[float], scale: int, cap: int) -> list[int]:
    return sorted({max(1, int(round(f * scale))) for f in factors if round(f * scale) <= cap})


def _run_group(entries, seeds, n_test, cnn, shallow, use_shallow, dev, group, ledger=None, progress=False) -> None:
    """Draw the pools of a group of grammars (one input shape), train both ensembles, measure sensitivity."""
    arrays, labels, classes, tests, owner = [], [], [], [], []
    for e in entries:
        g = e["grammar"]
        largest = max(e["cnn_sizes"] + e["fc_sizes"])
        for seed in range(seeds):
            sample = g.sample(n_test + largest, seed=task_seed(seed, g.rule_seed, group, 17), distinct=True)
            arrays.append(sample.one_hot())
            labels.append(sample.labels)
            classes.append(g.n_c)
            tests.append(sample[np.arange(n_test)])
            owner.append((e, seed))
    pools = Pools.from_arrays(arrays, labels, n_test, classes, device=dev)
    g0 = entries[0]["grammar"]
    net_settings = {k: cnn[k] for k in ("width", "steps", "batch_size", "lr")}
    # synonymic sensitivity of every hidden layer to swapping the s-tuples of tokens (level L - 1)
    moved = []
    for i, (e, seed) in enumerate(owner):
        g = e["grammar"]
        moved.append(synonym_exchange(g, tests[i], g.L - 1, seed=task_seed(seed, i, 23)).one_hot())
    moved_X = Pools.from_arrays(moved, [t.labels for t in tests], 0, classes, device=dev).X

    def synonym_sensitivity(run: Any) -> dict[str, Any]:
        x = members_inputs(run.pool_of, pools.X[:, :n_test])
        return {"sensitivity": sensitivity(run.net, x, members_inputs(run.pool_of, moved_X), seed=group)}

    run = ensemble_curve(
        pools,
        "cnn",
        {i: owner[i][0]["cnn_sizes"] for i in range(len(owner))},
        seeds=[seed for _, seed in owner],
        filter_size=g0.s,
        depth=g0.L,
        ledger=ledger,
        progress=progress,
        keep_net=False,
        measure=synonym_sensitivity,
        measure_about={"measure": "synonymic sensitivity", "moved": fingerprint(moved_X), "seed": group},
        **net_settings,
    )
    assert run.measured is not None
    for row, S in zip(run.rows, run.measured["sensitivity"]):
        row["sensitivity"] = [float(v) for v in np.asarray(S, dtype=np.float64)]
    for i, (e, _) in enumerate(owner):
        e.setdefault("cnn_rows", []).extend(r for r in run.rows if r["pool"] == i)
    if not use_shallow:
        return
    fc_settings = {k: shallow[k] for k in ("width", "batch_size", "lr")}
    budgets: dict[int, dict[int, list[int]]] = {}  # steps -> pool -> the sizes trained for that many steps
    for i, (e, _) in enumerate(owner):
        for P in e["fc_sizes"]:
            budgets.setdefault(shallow_steps(shallow, P), {}).setdefault(i, []).append(P)
    for steps, samples in sorted(budgets.items()):
        fc = ensemble_curve(
            pools,
            "fc",
            samples,
            seeds=[seed for _, seed in owner],
            depth=1,
            init_seed=1,
            ledger=ledger,
            keep_net=False,
            progress=progress,
            steps=steps,
            **fc_settings,
        )
        for i, (e, _) in enumerate(owner):
            e.setdefault("fc_rows", []).extend(r for r in fc.rows if r["pool"] == i)


def shallow_steps(shallow: Mapping[str, Any], P: int) -> int:
    """The shallow net's training steps at size P: ``steps``, or ``epochs`` passes over the P sentences in
    minibatches of ``batch_size`` where that is more (rounded up to a multiple of 100, the ensembles'
    evaluation interval)."""
    epochs = shallow.get("epochs")
    if not epochs:
        return int(shallow["steps"])
    return max(int(shallow["steps"]), 100 * math.ceil(epochs * P / shallow["batch_size"] / 100))


def _curve(rows: list[dict[str, Any]], fraction: float, name: str = "") -> dict[str, Any]:
    if not rows:
        return {"summary": [], "P_star": float("nan"), "P_star_per_seed": [], "underfit_P": []}
    summary = summarize(rows)
    chance = summary[0]["chance_error"]
    p_star = sample_complexity([s["P"] for s in summary], [s["test_error"] for s in summary], chance, fraction)
    per_seed = []
    for seed in sorted({r["seed"] for r in rows}):
        mine = sorted((r for r in rows if r["seed"] == seed), key=lambda r: r["P"])
        per_seed.append(sample_complexity([r["P"] for r in mine], [r["test_error"] for r in mine], chance, fraction))
    underfit = [s["P"] for s in summary if s["train_error"] >= UNDERFIT * fraction * chance]
    if underfit:
        log.warning(
            "%s: the networks' mean training error is at least %g of P*'s threshold (%g of chance) at P = %s: "
            "they did not fit their training sets, and their test error there measures the training, not the data.",
            name, UNDERFIT, fraction, ", ".join(map(str, underfit)),
        )  # fmt: skip
    return {"summary": summary, "P_star": p_star, "P_star_per_seed": per_seed, "underfit_P": underfit}


def _summarize(e: dict[str, Any], fraction: float) -> dict[str, Any]:
    g = e["grammar"]
    cnn = _curve(e["cnn_rows"], fraction, f"{e['spec']}, deep CNN")
    layers = len(e["cnn_rows"][0]["sensitivity"])
    by_P = {}
    for P in sorted({r["P"] for r in e["cnn_rows"]}):
        at = np.array([r["sensitivity"] for r in e["cnn_rows"] if r["P"] == P])
        by_P[P] = at.mean(axis=0)
    Ps = sorted(by_P)
    sens = np.array([by_P[P] for P in Ps])  # (n_P, layers)
    # where each layer's sensitivity falls to half its value at the smallest P (NaN if it does not inside the grid)
    half = [crossing(np.log(Ps), sens[:, k], 0.5 * sens[0, k], rising=False) for k in range(layers)]
    cnn["sensitivity"] = {
        "P": Ps,
        "layers": sens.T.tolist(),
        "P_half": [float(np.exp(h)) if np.isfinite(h) else float("nan") for h in half],
    }
    return {
        "spec": e["spec"],
        **g.params(),
        "scale": e["scale"],
        "P_max": g.P_max,
        "cnn": cnn,
        "shallow": _curve(e.get("fc_rows", []), fraction, f"{e['spec']}, shallow net"),
    }


def _fit(x: Sequence[float], curves: Sequence[dict[str, Any]], seeds: int) -> dict[str, Any] | None:
    """Power-law fit of P* against a scale over the grammars where P* was reached (None below 3 points).

    The exponent is fitted to the P* of the seed-averaged curves; its ``error`` is the larger of the fit's
    standard error and the standard error over seeds of the exponents fitted to each seed's own P*
    (:func:`~cooc.train.grammar.fits.power_law_over_seeds`).
    """
    per_seed = [list(c["P_star_per_seed"]) + [float("nan")] * (seeds - len(c["P_star_per_seed"])) for c in curves]
    return power_law_over_seeds(x, [c["P_star"] for c in curves], per_seed, min_points=3)


__all__ = ["CNN", "SHALLOW", "UNDERFIT", "rhm_sample_complexity"]
