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
LCN's P*); the held-out sentences are the first ``n_test`` of each seed's draw, except that
none of them is one of the pool's training sentences (:func:`_pools`): at ``s0 = 0`` there
are no placements, an input is one of the dense RHM's ``P_max`` sentences, and an i.i.d.
draw repeats them (at the default study's size 10-11% of the held-out sentences were already
in the training set at P = 2 n_c m^L, 37-45% at 8 n_c m^L), so such a sentence is replaced by a
fresh draw that no training set holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.ledger import fingerprint
from .._core.params import OneOf, validate
from ..grammars.rhm import concatenate_samples
from ..grammars.srhm import SparseRandomHierarchyModel, SRHMSample
from ..grammars.transforms import diffeomorphism, synonym_exchange
from ..train._torch import task_seed, torch_device
from ..train.grammar.curves import sample_complexity, summarize
from ..train.grammar.ensemble import EnsembleNetwork, Pools, ensemble_curve
from ..train.grammar.fits import crossing, power_law_over_seeds
from ..train.grammar.sensitivity import members_inputs, sensitivity

NETWORK = {"width": 32, "steps": 600, "batch_size": 64, "lr": 1e-2}
THEORY_EXPONENT = {"cnn": lambda L: 2, "lcn": lambda L: L}


def _grammar(params: Mapping[str, Any], s0: int) -> SparseRandomHierarchyModel:
    return SparseRandomHierarchyModel(**{**params, "s0": int(s0)})


def _pools(g: SparseRandomHierarchyModel, seeds: int, n: int, n_test: int, device: Any, salt: int):
    """One pool of ``n`` i.i.d. sentences per seed, its first ``n_test`` held out, none of those among its training
    sentences (:func:`_unseen_held_out`); returns the pools and each pool's held-out sample."""
    samples = [
        _unseen_held_out(g, g.sample(n, seed=task_seed(seed, g.s0, salt, 31)), n_test, task_seed(seed, g.s0, salt, 32))
        for seed in range(seeds)
    ]
    pools = Pools.from_arrays([s.one_hot() for s in samples], [s.labels for s in samples], n_test, g.n_c, device)
    return pools, [s[np.arange(n_test)] for s in samples]


def _unseen_held_out(g: SparseRandomHierarchyModel, sample: SRHMSample, n_test: int, seed: int) -> SRHMSample:
    """``sample`` with each of its first ``n_test`` (held-out) sentences that also occurs among the rest (the
    training pool, whose prefixes are the training sets) replaced by a fresh i.i.d. draw that does not occur there.

    Where no held-out sentence is a training one (almost always once ``s0 >= 1``) the sample is returned as it is,
    so its pools, and the runs a ledger recorded on them, stay the same.
    """
    tokens = np.ascontiguousarray(np.asarray(sample.tokens))
    seen = {bytes(row) for row in tokens[n_test:]}
    clash = [i for i in range(n_test) if bytes(tokens[i]) in seen]
    if not clash:
        return sample
    rng = np.random.default_rng(seed)
    parts: list[SRHMSample] = [sample]
    fresh: list[int] = []
    for _ in range(1000):
        extra = g.sample(max(64, 2 * (len(clash) - len(fresh))), seed=rng)
        rows = np.ascontiguousarray(np.asarray(extra.tokens))
        start = sum(len(p) for p in parts)
        keep = [start + j for j, row in enumerate(rows) if bytes(row) not in seen]
        parts.append(extra)
        fresh += keep[: len(clash) - len(fresh)]
        if len(fresh) == len(clash):
            break
    else:
        raise InvalidParameterError(
            f"the training pool of {len(tokens) - n_test} sentences holds almost every sentence of this sparse RHM "
            f"(s0 = {g.s0}, P_max = {g.rhm.P_max} dense sentences): no held-out sentence outside it could be drawn; "
            "use fewer training sentences or a larger grammar."
        )
    order = np.arange(len(tokens))
    order[clash] = fresh
    return _concatenate(parts)[order]


def _concatenate(parts: Sequence[SRHMSample]) -> SRHMSample:
    """Sparse samples of one grammar joined row-wise."""
    levels = range(len(parts[0].positions))
    return SRHMSample(
        np.concatenate([np.asarray(p.tokens) for p in parts]),
        concatenate_samples([p.rhm for p in parts]),
        [np.concatenate([np.asarray(p.positions[l]) for p in parts]) for l in levels],
        parts[0].v,
    )


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
    dict: per model, the ``curves`` (per s0: ``P_star`` of the seed-averaged curve and
    ``P_star_per_seed``), and ``fit`` (``exponent`` of P* against ``s0 + 1``, None below 2
    finite P*; its ``error`` is the larger of the least-squares one, which three points leave
    one degree of freedom to estimate, and the spread of the exponents fitted to each seed's
    own P*: :func:`~cooc.train.grammar.fits.power_law_over_seeds`) beside ``theory`` (2 for
    the CNN, L for the LCN).
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
            per_seed = []
            for pool in range(seeds):
                mine = sorted((r for r in run.rows if r["pool"] == pool), key=lambda r: r["P"])
                per_seed.append(
                    sample_complexity([r["P"] for r in mine], [r["test_error"] for r in mine], chance, fraction)
                )
            rows.append(
                {
                    "s0": s0,
                    "scale": scale,
                    "P": sizes,
                    "summary": summary,
                    "P_star": p_star,
                    "P_star_per_seed": per_seed,
                }
            )
        fit = power_law_over_seeds(
            [r["s0"] + 1 for r in rows], [r["P_star"] for r in rows], [r["P_star_per_seed"] for r in rows]
        )
        L = int(grammar["L"])
        result["models"][model] = {"curves": rows, "fit": fit, "theory": THEORY_EXPONENT[model](L)}
    return result


__all__ = ["srhm_invariances", "srhm_sample_complexity"]
