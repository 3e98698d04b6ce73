"""The varying-tree grammar: the global-ambiguity transition and networks on either side of it.

Following arXiv 2602.06065 (docs/science.md, section 6): every symbol has ``m2 = f v`` binary
and ``m3 = f v**2`` ternary productions, so a random pair or triple of symbols is a
right-hand side with probability about ``f``; the larger ``f``, the more strings admit
several derivation trees. The paper finds a transition of *global* ambiguity at
``f_c = 3/8``: below it, local ambiguities are lifted by the context as the depth grows;
above it, sentences with several trees take over.

Measured here, exactly (:mod:`cooc.grammars.parsing`): for sampled sentences, the number of
derivation trees (a sentence is globally ambiguous when it has more than one), how many
distinct roots (classes) those trees have, and the posterior of the class given the
sentence, hence the error of the Bayes-optimal classifier. Our finite-depth summary of the
transition (a choice; the paper's statement is about the limit of large L) is
``f_half(L)``, where the fraction of ambiguous sentences crosses 1/2. Measured at v = 16 it
falls with L but does not settle at ``f_c``: 0.82, 0.53, 0.42 at L = 2-4, then 0.35, 0.32,
0.28 at L = 5-7 (benchmarks/RESULTS.md, 2026-12-03). Most of that excess is ambiguity
whose trees share the root: alternatives that rejoin the sentence's own tree by a
coincidence of symbols (about 1/v each), at one of the ~2.5^L places of the tree, so at
fixed v it grows with L at every f and shrinks as v grows. Class ambiguity (trees with
different roots) has a transition, measured at v = 64 for L = 3-8: it settles with L at
f = 0.2, grows linearly at f = 0.25 and faster than linearly from f = 0.275, so it sits
near f = 0.25 rather than 3/8 (RESULTS.md, 2026-12-03, "two kinds of ambiguity"); the binary
share ``p2`` (0.25 to 0.75) keeps it between 0.25 and 0.3. Its first moment, the mean
number of extra trees over random grammars (:mod:`cooc.grammars.first_moment`, exact for
large v), agrees with the parsed grammars and bounds the class-ambiguous fraction; it passes 1
for most sentences at L = 5 when f = 3/8 and at L = 8 when f = 0.3, explodes with L from
f = 0.275, settles at f = 0.2 and grows slowly at 0.25: it changes regime near 1/4 too
(RESULTS.md, "the first moment"). Split by the depth its extra trees reach (:func:`first_moment_growth`),
its contributions grow per level by a ratio that crosses 1 at f = 0.253 at depths 3-5 and at
0.247, 0.243, 0.240, 0.238 at depths 6-9, falling more slowly but not settled, while at
f = 0.2 they shrink by 0.66 per level at every depth: its threshold for large L is below 0.24
and likely above 0.2 (RESULTS.md, "growth per depth"). Then a CNN (``"pool-cnn"``, for padded sentences of varying length) and
a small transformer learn the class below and above ``f_c``; the Bayes error of their test
sentences is the floor they cannot pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np

from .._core.ledger import fingerprint, recorded, recorded_all
from ..grammars.first_moment import expected_extra_trees, growth_by_depth
from ..grammars.parsing import InsideParser, ambiguity
from ..grammars.pcfg import VaryingTreeGrammar
from ..train._torch import task_seed, torch_device
from ..train.grammar.curves import curve_row, evaluate, summarize, train_classifier
from ..train.grammar.ensemble import Pools, ensemble_curve
from ..train.grammar.fits import crossing
from ..train.grammar.models import build_model

F_C = 3 / 8
CNN = {"width": 64, "steps": 800, "batch_size": 64, "lr": 3e-3}
TRANSFORMER = {"d_model": 32, "n_heads": 2, "n_layers": 2, "steps": 600, "batch_size": 64, "lr": 1e-3}


def ambiguity_curves(
    v: int,
    f_values: Sequence[float],
    depths: Sequence[int],
    n_sentences: int | Mapping[int, int] = 300,
    rule_seed: int = 0,
    seed: int = 0,
    saturation: float | None = 0.97,
    p2: float = 0.5,
    ledger: Any = None,
) -> dict[str, Any]:
    """Fraction of globally ambiguous sentences and Bayes error against f, for several depths L.

    Parameters
    ----------
    v : int
        Symbols per level (``f v`` and ``f v**2`` should be integers: the rule counts are rounded).
    f_values : sequence of float, ascending
    depths : sequence of int
    n_sentences : int or mapping from L to int
        Sentences sampled per (L, f).
    rule_seed, seed : int
    saturation : float, optional
        Once the fraction reaches this value, larger f are not parsed (the number of trees,
        hence the parsing time, explodes there) and are reported as None.
    p2 : float
        Probability of a binary production (:class:`~cooc.grammars.pcfg.VaryingTreeGrammar`).
    ledger : RunLedger, optional
        Each (L, f) parsed is recorded there and taken from it when the study runs again
        (:func:`cooc._core.ledger.recorded`), so a long scan interrupted resumes.

    Returns
    -------
    dict with ``f``, and per depth (key ``str(L)``): ``fraction``, ``fraction_se``,
    ``class_fraction``, ``class_fraction_se`` (sentences whose trees have different roots),
    ``bayes_error``, ``bayes_error_se``, ``mean_parses`` (lists over f, None where not
    parsed) and ``f_half`` (where ``fraction`` crosses 1/2, NaN if it does not inside the grid).
    """
    f_values = [float(f) for f in f_values]
    keys = (
        "fraction",
        "fraction_se",
        "class_fraction",
        "class_fraction_se",
        "bayes_error",
        "bayes_error_se",
        "mean_parses",
    )
    out: dict[str, Any] = {"v": v, "p2": p2, "f": f_values, "f_c": F_C, "depths": {}}
    for L in depths:
        n = n_sentences[L] if isinstance(n_sentences, Mapping) else n_sentences
        rows: list[dict[str, Any] | None] = []
        saturated = False
        for i, f in enumerate(f_values):
            if saturated:
                rows.append(None)
                continue
            settings = dict(v=v, f=f, L=L, rule_seed=rule_seed, p2=p2)
            task = task_seed(seed, L, i)
            about = {"run": "varying-tree ambiguity", **settings, "n": n, "seed": task}
            row = recorded(ledger, about, partial(_parsed, settings, n, task))
            rows.append(row)
            saturated = saturation is not None and row["fraction"] >= saturation
        entry: dict[str, Any] = {k: [None if r is None else r[k] for r in rows] for k in keys}
        entry["n"] = n
        done = [(f, r["fraction"]) for f, r in zip(f_values, rows) if r is not None]
        entry["f_half"] = crossing([f for f, _ in done], [x for _, x in done], 0.5)
        out["depths"][str(L)] = entry
    return out


def _parsed(settings: dict[str, Any], n: int, seed: int) -> dict[str, Any]:
    """:func:`~cooc.grammars.parsing.ambiguity` of ``n`` sentences of the grammar with these settings."""
    return {"L": settings["L"], "f": settings["f"], **ambiguity(VaryingTreeGrammar(**settings), n=n, seed=seed)}


def first_moment_curves(
    f_values: Sequence[float],
    depths: Sequence[int],
    n_shapes: int | Mapping[int, int] = 200,
    p2: float = 0.5,
    seed: int = 0,
    ledger: Any = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """The mean number of extra trees per sentence over random grammars (``v`` large), against f and L.

    :func:`cooc.grammars.first_moment.expected_extra_trees` at each depth, on the same sampled
    shapes for every f. By Markov's inequality it bounds the class-ambiguous fraction of
    :func:`ambiguity_curves` from above (up to ``O(1/v)``). Returns a dict with ``f``, ``p2``
    and per depth (key ``str(L)``) the lists ``mean``, ``mean_se``, ``median`` and
    ``above_one`` over f, and ``n`` (shapes). Each depth is recorded in ``ledger`` (as in
    :func:`ambiguity_curves`); ``threads`` as in :func:`~cooc.grammars.first_moment.expected_extra_trees`.
    """
    out: dict[str, Any] = {"f": [float(f) for f in f_values], "p2": p2, "depths": {}}
    for L in depths:
        n = n_shapes[L] if isinstance(n_shapes, Mapping) else n_shapes
        task = task_seed(seed, L)
        about = {"run": "first moment", "f": out["f"], "L": L, "n": n, "p2": p2, "seed": task}
        compute = partial(expected_extra_trees, L, out["f"], n=n, p2=p2, seed=task, threads=threads)
        moment = recorded(ledger, about, compute)
        out["depths"][str(L)] = {k: moment[k] for k in ("mean", "mean_se", "median", "above_one", "n")}
    return out


def first_moment_growth(
    f_values: Sequence[float],
    L: int,
    n_shapes: int = 200,
    p2: float = 0.5,
    seed: int = 0,
    ledger: Any = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Where the first moment's per-depth contributions stop shrinking: ``lambda(d)`` and its crossing of 1.

    :func:`cooc.grammars.first_moment.growth_by_depth` on ``n_shapes`` depth-``L`` shapes, plus,
    at each depth ``d`` of ``growth_depths``, ``f_star``: the f where ``log lambda(d)`` crosses 0,
    interpolated linearly between the two grid values around it (NaN when the grid does not
    bracket it), and ``f_star_err``, its standard error from those two ratios' errors (the
    ratios at different f come from the same shapes, so their errors are correlated; this
    treats them as independent). Below ``f_star(d)`` the contributions that reach one level
    deeper shrink, above it they grow; the first moment's threshold for large L is where
    ``f_star(d)`` settles as d grows. The measurement is recorded in ``ledger`` (as in
    :func:`ambiguity_curves`); ``threads`` as in :func:`~cooc.grammars.first_moment.growth_by_depth`.
    """
    f_values = [float(f) for f in f_values]
    task = task_seed(seed, L)
    about = {"run": "first moment growth", "f": f_values, "L": L, "n": n_shapes, "p2": p2, "seed": task}
    compute = partial(growth_by_depth, L, f_values, n=n_shapes, p2=p2, seed=task, threads=threads)
    out = dict(recorded(ledger, about, compute))
    out["f_star"], out["f_star_err"] = [], []
    for k in range(len(out["growth_depths"])):
        lam = np.array([row[k] for row in out["growth"]], dtype=float)  # a NaN read back from a ledger is None
        se = np.array([row[k] for row in out["growth_se"]], dtype=float)
        f_star, err = _root_with_error(np.asarray(out["f"]), lam, se)
        out["f_star"].append(f_star)
        out["f_star_err"].append(err)
    return out


def _root_with_error(f: np.ndarray, lam: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """The f where ``log lam`` crosses 0 (linear between grid points) and its error from ``se``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y, s = np.log(lam), se / lam
    root = crossing(f, y, 0.0)
    if np.isnan(root):
        return root, float("nan")
    k = int(np.searchsorted(f, root))  # f[k - 1] < root <= f[k]
    k = max(k, 1)
    width, rise = f[k] - f[k - 1], y[k] - y[k - 1]
    err = width / rise**2 * np.hypot(y[k] * s[k - 1], y[k - 1] * s[k])
    return root, float(err)


def _tensors(g: VaryingTreeGrammar, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Padded one-hot inputs (n, v, 3**L), ids (n, 3**L) with pad id v, classes (n,), and the derivations."""
    d = g.sample(n, seed=seed)
    T = 3**g.L
    ids = np.full((n, T), g.v, dtype=np.int64)
    lengths = d.lengths()
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(d.tokens.size) - np.repeat(d.offsets[:-1], lengths)
    ids[rows, cols] = d.tokens
    one_hot = np.zeros((n, g.v + 1, T), dtype=np.float32)
    one_hot[np.arange(n)[:, None], ids, np.arange(T)[None, :]] = 1.0
    return one_hot[:, : g.v], ids, np.asarray(g.classes(d), dtype=np.int64), d


def varying_tree_learning(
    v: int,
    L: int,
    f_values: Sequence[float],
    samples: Sequence[int],
    seeds: int = 1,
    n_test: int = 512,
    cnn: Mapping[str, Any] | None = None,
    transformer: Mapping[str, Any] | Literal[False] | None = None,
    rule_seed: int = 0,
    device: str = "cpu",
    ledger: Any = None,
    jobs: int = 1,
    progress: bool = False,
) -> dict[str, Any]:
    """Learning curves of the CNN and the transformer at several f, beside each test set's Bayes error.

    Parameters
    ----------
    v, L : int
        The grammar (classes = v).
    f_values : sequence of float
        Typically one below and one above ``f_c = 3/8``.
    samples : sequence of int
        Training-set sizes P.
    seeds : int
    n_test : int
        Held-out sentences per seed (their Bayes error is computed exactly).
    cnn, transformer : mapping, optional
        Network settings (defaults :data:`CNN`, :data:`TRANSFORMER`); ``transformer=False`` skips it.
    rule_seed : int
    device : str
    ledger : RunLedger, optional
        Each trained ensemble and transformer is recorded there and taken from it when the
        study runs again: an interrupted study resumes.
    jobs : int, default 1
        Transformers trained at once, each in a process of its own on ``device``
        (:func:`~cooc._core.ledger.recorded_all`); each is the same as when trained alone.
    progress : bool
        Show the CNN ensemble's training progress (a line every few minutes when the output is
        not a terminal).

    Returns
    -------
    dict with, per f (key ``str(f)``): ``bayes_error`` (of the test sentences, seed mean),
    ``ambiguous`` (their fraction with several trees), ``test_in_training`` (per P, the fraction
    of test sentences that are also among the P training sentences, seed mean) and ``cnn`` /
    ``transformer`` summaries.

    Notes
    -----
    Training and test sentences are i.i.d. draws, so the test error estimates the error on the
    grammar's distribution; but on a small grammar many test sentences are training sentences
    too (v = 4, L = 2, f = 1/4: about 70% at P = 1,024), and a network that memorises them scores
    on them without parsing. ``test_in_training`` says how much of a point that can be.
    """
    cnn = {**CNN, **(cnn or {})}
    use_transformer = transformer is not False
    transformer = {**TRANSFORMER, **(transformer or {})} if use_transformer else {}
    dev = torch_device(device)
    sizes = sorted(int(p) for p in samples)
    arrays, labels, ids_by_pool, floors, ambiguous, seen = [], [], [], [], [], []
    grammars = [VaryingTreeGrammar(v=v, f=f, L=L, rule_seed=rule_seed) for f in f_values]
    for i, g in enumerate(grammars):
        for seed in range(seeds):
            one_hot, ids, y, d = _tensors(g, n_test + sizes[-1], task_seed(seed, i, 61))
            arrays.append(one_hot)
            labels.append(y)
            ids_by_pool.append((ids, y))
            test = InsideParser(g).parse([d.sentence(k) for k in range(n_test)])
            floors.append(float(test.bayes_error().mean()))
            ambiguous.append(float(test.ambiguous.mean()))
            seen.append(_test_in_training(ids, n_test, sizes))
    pools = Pools.from_arrays(arrays, labels, n_test, v, device=dev)
    run = ensemble_curve(
        pools,
        "pool-cnn",
        sizes,
        seeds=[seed for _ in f_values for seed in range(seeds)],
        ledger=ledger,
        keep_net=False,
        progress=progress,
        **{k: cnn[k] for k in ("width", "steps", "batch_size", "lr")},
    )
    out: dict[str, Any] = {"v": v, "L": L, "f_c": F_C, "samples": sizes, "by_f": {}}
    for i, f in enumerate(f_values):
        pools_i = [i * seeds + seed for seed in range(seeds)]
        entry = {
            "bayes_error": float(np.mean([floors[k] for k in pools_i])),
            "ambiguous": float(np.mean([ambiguous[k] for k in pools_i])),
            "test_in_training": [float(np.mean([seen[k][j] for k in pools_i])) for j in range(len(sizes))],
            "cnn": summarize([r for r in run.rows if r["pool"] in pools_i]),
        }
        if use_transformer:
            entry["transformer"] = summarize(
                _transformer_rows(
                    [ids_by_pool[k] for k in pools_i], v, L, sizes, n_test, transformer, dev, ledger, jobs
                )
            )
        out["by_f"][str(float(f))] = entry
    return out


def _test_in_training(ids: np.ndarray, n_test: int, sizes: Sequence[int]) -> list[float]:
    """For each P of ``sizes``: the fraction of the first ``n_test`` rows of ``ids`` (the test sentences)
    equal to one of the P rows after them (the training sentences of size P)."""
    ids = np.ascontiguousarray(ids)
    keys = [row.tobytes() for row in ids]
    first: dict[bytes, int] = {}
    for k in range(n_test, len(keys)):
        first.setdefault(keys[k], k - n_test)
    where = np.array([first.get(key, len(keys)) for key in keys[:n_test]])  # first training index of each test row
    return [float(np.mean(where < P)) for P in sizes]


def _transformer_rows(pools, v, L, sizes, n_test, settings, device, ledger=None, jobs=1) -> list[dict[str, Any]]:
    """One transformer per (seed, P) on the same padded sentences as the CNN, scored on the same test sentences."""
    runs = []
    for seed, (ids, y) in enumerate(pools):
        data = fingerprint(ids, y) if ledger is not None else ""
        for P in sizes:
            about = {"run": "varying_tree transformer", "data": data, "v": v, "L": L, "n_test": n_test, "P": P,
                     "seed": seed, "settings": dict(settings), "device": device.type}  # fmt: skip
            runs.append((about, partial(_transformer_row, ids, y, v, L, n_test, P, seed, dict(settings), str(device))))
    return recorded_all(ledger, runs, jobs)


def _transformer_row(ids, y, v, L, n_test, P, seed, settings, device) -> dict[str, Any]:
    """A transformer trained on the P sentences after the ``n_test`` held-out ones (numpy ``ids`` and labels
    ``y``, moved to ``device``), and its scores."""
    import torch

    X = torch.as_tensor(ids, device=device)
    Y = torch.as_tensor(y, device=device)
    torch.manual_seed(task_seed(seed, P, 67))
    net = build_model(
        "transformer",
        v,
        3**L,
        v,
        pad_id=v,
        **{k: settings[k] for k in ("d_model", "n_heads", "n_layers")},
    ).to(X.device)
    fit = train_classifier(
        net,
        X[n_test : n_test + P],
        Y[n_test : n_test + P],
        steps=settings["steps"],
        batch_size=settings["batch_size"],
        lr=settings["lr"],
        seed=task_seed(seed, P, 71),
    )
    return curve_row(P, seed, fit, evaluate(net, X[:n_test], Y[:n_test]), 1.0 - 1.0 / v)


__all__ = ["CNN", "F_C", "TRANSFORMER", "ambiguity_curves", "first_moment_curves", "varying_tree_learning"]
