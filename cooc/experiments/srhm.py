"""The sparse RHM: invariances learned at P*, and the sample complexity against the sparsity s0.

Following arXiv 2404.10727 (docs/science.md, section 6): each informative symbol of an RHM is
padded with ``s0`` empty positions at every level, so a sentence has ``(s (s0 + 1))**L``
positions. Two networks matched to the tree (filter = stride = ``s (s0 + 1)``, depth ``L``)
learn it: the CNN (weights shared across positions) and the locally connected net (LCN, no
sharing). The paper finds ``P* ~ (s0 + 1)**2 n_c m^L`` for the CNN and
``P* ~ (s0 + 1)**L n_c m^L`` for the LCN, and that the hidden representations become
insensitive to synonym exchange and to discrete diffeomorphisms (moving the informative
tokens among the empty positions) at the P* where the task is learned.

Sentences are drawn i.i.d. (the placements make almost every input new even when the
informative content repeats, and the content of a small grammar would run out below the
LCN's P*); the held-out sentences are the first ``n_test`` of each seed's draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.ledger import fingerprint
from .._core.params import OneOf, validate
from ..grammars.srhm import SparseRandomHierarchyModel
from ..grammars.transforms import diffeomorphism, synonym_exchange
from ..train._torch import task_seed, torch_device
from ..train.grammar.curves import sample_complexity, summarize
from ..train.grammar.ensemble import EnsembleNetwork, Pools, ensemble_curve
from ..train.grammar.fits import crossing, power_law
from ..train.grammar.sensitivity import members_inputs, sensitivity

NETWORK = {"width": 32, "steps": 600, "batch_size": 64, "lr": 1e-2}
THEORY_EXPONENT = {"cnn": lambda L: 2, "lcn": lambda L: L}


def _grammar(params: Mapping[str, Any], s0: int) -> SparseRandomHierarchyModel:
    return SparseRandomHierarchyModel(**{**params, "s0": int(s0)})


def _pools(g: SparseRandomHierarchyModel, seeds: int, n: int, n_test: int, device: Any, salt: int):
    samples = [g.sample(n, seed=task_seed(seed, g.s0, salt, 31)) for seed in range(seeds)]
    pools = Pools.from_arrays([s.one_hot() for s in samples], [s.labels for s in samples], n_test, g.n_c, device)
    return pools, [s[np.arange(n_test)] for s in samples]


def srhm_invariances(
    grammar: Mapping[str, Any],
    s0: int = 1,
    model: str = "cnn",
    factors: Sequence[float] = (0.5, 1, 2, 4, 8, 16),
    seeds: int = 2,
    n_test: int = 256,
    network: Mapping[str, Any] | None = None,
    fraction: float = 0.1,
    device: str = "cpu",
    ledger: Any = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Learning curve and the synonymic and diffeomorphism sensitivities of every hidden layer against P.

    Parameters
    ----------
    grammar : mapping
        Sparse RHM parameters without ``s0`` (``v``, ``n_c``, ``m``, ``s``, ``L``, ``sparsity``, ...).
    s0 : int
        Empty positions per informative one (at least 1, so that tokens can move).
    model : {"cnn", "lcn"}
    factors : sequence of float
        Training-set sizes in multiples of the network's predicted scale ``(s0 + 1)**e n_c m^L``
        (``e = 2`` for the CNN, ``L`` for the LCN), as in :func:`srhm_sample_complexity`.
    seeds, n_test, network, fraction, device, ledger, progress
        As :func:`srhm_sample_complexity`.

    Returns
    -------
    dict with ``P``, the learning-curve ``summary``, ``P_star``; ``synonym`` and ``diffeo``:
    the sensitivity of each hidden layer (``layers``, shape (layers, n_P)), its value before
    training (``initial``), and ``P_half`` (where it falls to half of ``initial``, per layer);
    ``P_half_error`` (where the error falls to half of chance).
    """
    validate({"model": model}, {"model": OneOf(("cnn", "lcn"))}, "srhm_invariances")
    settings = {**NETWORK, **(network or {})}
    g = _grammar(grammar, s0)
    if g.s0 < 1:
        raise InvalidParameterError(
            "srhm_invariances needs s0 >= 1 (diffeomorphisms move tokens into empty positions)."
        )
    scale = (g.s0 + 1) ** THEORY_EXPONENT[model](g.L) * g.n_c * g.m**g.L
    sizes = sorted({max(1, int(round(f * scale))) for f in factors})
    dev = torch_device(device)
    pools, tests = _pools(g, seeds, n_test + sizes[-1], n_test, dev, salt=1)
    common = dict(filter_size=g.block, depth=g.L, **{k: settings[k] for k in ("width", "steps", "batch_size", "lr")})
    moved = {}  # every held-out sentence changed in a way that keeps its label, each seed's pool in turn
    for name in ("synonym", "diffeo"):
        changed = []
        for i, t in enumerate(tests):
            if name == "synonym":  # swap the tuples of tokens, keep the placements
                sentences = g.arrange(synonym_exchange(g.rhm, t.rhm, g.L - 1, seed=task_seed(i, 41)), g.offsets_of(t))
            else:  # move the tokens inside their slots, keep the sentence
                sentences = diffeomorphism(g, t, g.L - 1, seed=task_seed(i, 43))
            changed.append(sentences.one_hot())
        moved[name] = Pools.from_arrays(changed, [t.labels for t in tests], 0, g.n_c, dev).X

    def sensitivities(run: Any) -> dict[str, Any]:
        """Each member's sensitivity per hidden layer to either change, and an untrained network's (mean)."""
        fresh = EnsembleNetwork(model, run.net.K, g.v, g.n_positions, g.n_c, settings["width"], g.block, g.L, 0)
        x = members_inputs(run.pool_of, pools.X[:, :n_test])
        out = {}
        for name, X in moved.items():
            xt = members_inputs(run.pool_of, X)
            out[name] = {
                "members": sensitivity(run.net, x, xt),
                "initial": sensitivity(fresh.to(dev), x, xt).mean(axis=0),
            }
        return out

    run = ensemble_curve(
        pools,
        model,
        sizes,
        ledger=ledger,
        progress=progress,
        keep_net=False,
        measure=sensitivities,
        measure_about={"measure": "srhm sensitivities", "moved": fingerprint(*moved.values())},
        **common,
    )
    assert run.measured is not None
    summary = summarize(run.rows)
    chance = summary[0]["chance_error"]
    out: dict[str, Any] = {
        "s0": g.s0,
        "model": model,
        "scale": scale,
        "P": sizes,
        "summary": summary,
        "P_star": sample_complexity(sizes, [r["test_error"] for r in summary], chance, fraction),
        "P_half_error": _half(sizes, [r["test_error"] for r in summary], chance),
    }
    for name in ("synonym", "diffeo"):
        S = np.asarray(run.measured[name]["members"], dtype=np.float64)
        S0 = np.asarray(run.measured[name]["initial"], dtype=np.float64)
        per_layer = np.array(
            [
                [np.mean([S[k, j] for k, (_, P) in enumerate(run.members) if P == p]) for p in sizes]
                for j in range(S.shape[1])
            ]
        )
        out[name] = {
            "layers": per_layer.tolist(),
            "initial": S0.tolist(),
            "P_half": [_half(sizes, per_layer[j], S0[j]) for j in range(S.shape[1])],
        }
    return out


def _half(P: Sequence[int], values: Sequence[float], reference: float) -> float:
    """Where a falling curve reaches half of ``reference`` (interpolated in log P; NaN if not inside the grid)."""
    h = crossing(np.log(np.asarray(P, dtype=float)), np.asarray(values, dtype=float), 0.5 * reference, rising=False)
    return float(np.exp(h)) if np.isfinite(h) else float("nan")


def srhm_sample_complexity(
    grammar: Mapping[str, Any],
    s0_values: Sequence[int] = (0, 1, 2),
    models: Sequence[str] = ("cnn", "lcn"),
    factors: Sequence[float] = (0.5, 1, 2, 4, 8),
    seeds: int = 2,
    n_test: int = 256,
    network: Mapping[str, Any] | None = None,
    fraction: float = 0.1,
    device: str = "cpu",
    ledger: Any = None,
    progress: bool = False,
) -> dict[str, Any]:
    """P* of the CNN and the LCN against s0, with the exponent of ``P* ~ (s0 + 1)**e``.

    Parameters
    ----------
    grammar : mapping
        Sparse RHM parameters without ``s0``.
    s0_values : sequence of int
        At least 2 values.
    models : sequence of {"cnn", "lcn"}
    factors : sequence of float
        Training-set sizes in multiples of each network's predicted scale at that s0,
        ``(s0 + 1)**e n_c m^L`` (``e = 2`` for the CNN, ``L`` for the LCN), so every grid
        brackets the prediction; a P* outside the grid is reported as NaN.
    seeds : int
    n_test : int
    network : mapping, optional
        ``width``, ``steps``, ``batch_size``, ``lr`` (default :data:`NETWORK`).
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
    dict: per model, ``s0``, ``P_star``, the curves, and ``fit`` (``exponent`` of P* against
    ``s0 + 1`` with its ``error``) beside ``theory`` (2 for the CNN, L for the LCN).
    """
    settings = {**NETWORK, **(network or {})}
    for m in models:
        validate({"model": m}, {"model": OneOf(("cnn", "lcn"))}, "srhm_sample_complexity")
    dev = torch_device(device)
    result: dict[str, Any] = {"grammar": dict(grammar), "s0": list(s0_values), "models": {}}
    for model in models:
        rows = []
        for s0 in s0_values:
            g = _grammar(grammar, s0)
            scale = (s0 + 1) ** THEORY_EXPONENT[model](g.L) * g.n_c * g.m**g.L
            sizes = sorted({max(1, int(round(f * scale))) for f in factors})
            pools, _ = _pools(g, seeds, n_test + sizes[-1], n_test, dev, salt=2)
            run = ensemble_curve(
                pools,
                model,
                sizes,
                filter_size=g.block,
                depth=g.L,
                init_seed=s0,
                ledger=ledger,
                keep_net=False,
                progress=progress,
                **{k: settings[k] for k in ("width", "steps", "batch_size", "lr")},
            )
            summary = summarize(run.rows)
            chance = summary[0]["chance_error"]
            p_star = sample_complexity(sizes, [r["test_error"] for r in summary], chance, fraction)
            rows.append({"s0": s0, "scale": scale, "P": sizes, "summary": summary, "P_star": p_star})
        pts = [(r["s0"] + 1, r["P_star"]) for r in rows if np.isfinite(r["P_star"])]
        fit = None
        if len(pts) >= 2:
            scales, p_stars = zip(*pts)
            fit = power_law(scales, p_stars).as_dict()
        L = int(grammar["L"])
        result["models"][model] = {"curves": rows, "fit": fit, "theory": THEORY_EXPONENT[model](L)}
    return result


__all__ = ["srhm_invariances", "srhm_sample_complexity"]
