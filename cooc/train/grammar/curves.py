"""Learning curves of small networks on grammars, and the sample complexity P*.

For each number of training samples P and each seed, a fresh network is trained on the
first P sentences of a seed's pool (so training sets are nested across P) until it fits
them or a step budget runs out, then scored on held-out sentences. P* is the first P at
which the (seed-averaged) test error falls below ``fraction`` (10%) of the chance error,
interpolated linearly in log P between the two grid points around the crossing; the RHM
theory predicts P* ~ n_c m^L for the deep CNN (docs/science.md, section 6).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from ..._core.errors import InvalidParameterError, TrainingDivergedError
from ..._core.ledger import RunLedger, fingerprint, recorded_all
from ..._core.logs import log
from ..._core.params import Interval, OneOf, validate
from ..._core.progress import ProgressBar
from .._torch import autocast, generator, synchronize, task_seed, torch_device
from .data import GrammarData, draw_data, grammar_name, grammar_scale
from .models import MODELS, build_model

_CONSTRAINTS = {
    "model": OneOf(MODELS),
    "n_test": Interval(int, 1, None),
    "steps": Interval(int, 1, None),
    "batch_size": Interval(int, 1, None),
    "lr": Interval(float, 0, None, closed="neither"),
    "loss_tol": Interval(float, 0, None),
    "eval_every": Interval(int, 1, None),
}


def train_classifier(
    net,
    X,
    y,
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 3e-3,
    loss_tol: float = 1e-3,
    eval_every: int = 100,
    seed: int = 0,
    amp: bool = False,
) -> dict[str, float]:
    """Adam on cross-entropy until the training loss is below ``loss_tol`` or ``steps`` run out.

    Parameters
    ----------
    net : torch.nn.Module
    X : tensor of shape (P, ...)
    y : int64 tensor of shape (P,)

    Returns
    -------
    dict with ``steps`` (taken), ``train_loss``, ``train_error``.
    """
    import torch
    import torch.nn.functional as F

    device = X.device
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = generator(device, seed, 1)
    P = X.shape[0]
    batch = min(batch_size, P)
    taken = 0
    net.train()
    while taken < steps:
        order = torch.randperm(P, device=device, generator=gen)
        for lo in range(0, P - batch + 1, batch):
            idx = order[lo : lo + batch]
            with autocast(device, amp):
                loss = F.cross_entropy(net(X[idx]).float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            taken += 1
            if taken % eval_every == 0 or taken == steps:
                fit = evaluate(net, X, y, amp=amp)
                net.train()
                if not math.isfinite(fit["loss"]):
                    raise TrainingDivergedError(
                        f"the network diverged by step {taken} (training loss {fit['loss']}); lower the learning "
                        f"rate (lr = {lr})."
                    )
                if fit["loss"] < loss_tol or taken >= steps:
                    return {"steps": taken, "train_loss": fit["loss"], "train_error": fit["error"]}
    fit = evaluate(net, X, y, amp=amp)
    return {"steps": taken, "train_loss": fit["loss"], "train_error": fit["error"]}


def evaluate(net, X, y, batch_size: int = 8192, amp: bool = False) -> dict[str, float]:
    """Mean cross-entropy and error rate of ``net`` on (X, y)."""
    import torch
    import torch.nn.functional as F

    net.eval()
    loss, wrong = 0.0, 0
    with torch.no_grad():
        for lo in range(0, X.shape[0], batch_size):
            with autocast(X.device, amp):
                logits = net(X[lo : lo + batch_size]).float()
            loss += float(F.cross_entropy(logits, y[lo : lo + batch_size], reduction="sum"))
            wrong += int((logits.argmax(1) != y[lo : lo + batch_size]).sum())
    return {"loss": loss / X.shape[0], "error": wrong / X.shape[0]}


def check_sizes_and_seeds(samples: Any, seeds: Any, owner: str) -> None:
    """Training-set sizes: a non-empty sequence of whole positive numbers (4.7 was trained as 4); seeds: a
    non-empty sequence (``seeds=3`` is not three seeds)."""
    for name, given in (("samples", samples), ("seeds", seeds)):
        if not isinstance(given, (Sequence, np.ndarray)) or isinstance(given, str):
            raise InvalidParameterError(f"{owner}: parameter {name!r} is a sequence, got {given!r}.")
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer, float)) or p != int(p) for p in samples):
        raise InvalidParameterError(f"{owner}: training-set sizes are whole numbers, got {list(samples)!r}.")
    if not len(samples) or min(samples) < 1:
        raise InvalidParameterError(f"{owner}: parameter 'samples' must be positive sizes, got {list(samples)!r}.")
    if not len(seeds):
        raise InvalidParameterError(f"{owner}: parameter 'seeds' must name at least one seed.")


def learning_curve(
    grammar: Any,
    model: str = "cnn",
    samples: Sequence[int] = (100, 1000),
    seeds: Sequence[int] = (0,),
    n_test: int = 1000,
    task: str = "class",
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 3e-3,
    loss_tol: float = 1e-3,
    eval_every: int = 100,
    device: str = "cpu",
    amp: bool | None = None,
    model_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
    ledger: RunLedger | None = None,
    jobs: int = 1,
) -> list[dict[str, Any]]:
    """Train one network per (P, seed) and score it on held-out sentences.

    Parameters
    ----------
    grammar : RandomHierarchyModel, SparseRandomHierarchyModel or VaryingTreeGrammar
    model : {"cnn", "transformer", "fc"}
    samples : sequence of int
        Training-set sizes P (sorted ascending).
    seeds : sequence of int
        One data draw and one initialisation per seed.
    n_test : int
        Held-out sentences (distinct from the training ones where the grammar allows).
    task : {"class", "next"}
    steps, batch_size, lr, loss_tol, eval_every
        See :func:`train_classifier`.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    amp : bool, optional
        bfloat16 autocast; defaults to True on CUDA, False on CPU.
    model_kwargs : dict, optional
        Passed to :func:`~cooc.train.grammar.models.build_model` (``width``, ``d_model``, ...).
    callback : callable, optional
        Called with each row as its run ends (or is taken from ``ledger``).
    ledger : RunLedger, optional
        Each run is recorded there as it ends (keyed by its data, settings and device) and taken
        from it when the curve is asked for again: an interrupted study resumes.
    jobs : int, default 1
        A seed's runs trained at once, each in a process of its own on ``device`` sharing this
        process's torch threads (:func:`~cooc._core.ledger.recorded_all`); each ends as when
        trained alone. Seeds are drawn and trained one after another (one pool in memory).

    Returns
    -------
    list of dict, one per (P, seed), seed by seed: ``P``, ``seed``, ``train_error``, ``train_loss``,
    ``test_error``, ``test_loss``, ``chance_error``, ``steps``, ``seconds``.
    """
    validate(
        dict(
            model=model,
            n_test=n_test,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            loss_tol=loss_tol,
            eval_every=eval_every,
        ),
        _CONSTRAINTS,
        "learning_curve",
    )
    check_sizes_and_seeds(samples, seeds, "learning_curve")
    samples = sorted(int(p) for p in samples)
    if isinstance(jobs, bool) or int(jobs) < 1:
        raise InvalidParameterError(f"parameter 'jobs' must be a positive integer, got {jobs!r}.")
    dev = torch_device(device)
    amp = dev.type == "cuda" if amp is None else amp
    model_kwargs = dict(model_kwargs or {})
    settings: dict[str, Any] = dict(
        steps=steps, batch_size=batch_size, lr=lr, loss_tol=loss_tol, eval_every=eval_every, amp=amp
    )
    threads = None
    if jobs > 1:
        import torch

        threads = max(1, torch.get_num_threads() // min(jobs, len(samples)))  # this process's threads, shared
    rows: list[dict[str, Any]] = []
    trained: set[int] = set()  # the runs of this seed trained now (the others come from the ledger)
    total = len(samples) * len(seeds)
    with ProgressBar(f"{model} on {grammar_name(grammar)}", total=total, unit="runs", enabled=progress) as bar:

        def ended(i: int, row: dict[str, Any]) -> None:
            trained.add(i)
            bar.update(1)
            if callback is not None:
                callback(row)

        for seed in seeds:  # one seed's data at a time, its sizes ``jobs`` at once
            data = draw_data(grammar, samples[-1], n_test, model, task, seed=task_seed(seed, 0), device=dev)
            about = {
                "run": "learning_curve",
                "data": fingerprint(data.X, data.y) if ledger is not None else "",
                "n_test": n_test,
                "task": task,
                "model": model,
                "model_kwargs": model_kwargs,
                "device": dev.type,
                **settings,
            }
            if jobs > 1:  # the data travel on the CPU; each process moves them to the device
                data = replace(data, X=data.X.cpu(), y=data.y.cpu())
            train = partial(_one_run, data, model, device=str(dev), model_kwargs=model_kwargs, **settings)
            runs = [({**about, "P": P, "seed": seed}, partial(train, P, seed)) for P in samples]
            trained.clear()
            got = recorded_all(ledger, runs, jobs, on_computed=ended, threads=threads)
            for i, row in enumerate(got):
                if i not in trained:  # taken from the ledger
                    ended(i, row)
            rows += got
            del data, train, runs  # freed before the next seed's data are drawn
    return rows


def _one_run(
    data: GrammarData,
    model: str,
    P: int,
    seed: int,
    *,
    device: str,
    model_kwargs: dict[str, Any],
    steps: int,
    batch_size: int,
    lr: float,
    loss_tol: float,
    eval_every: int,
    amp: bool,
) -> dict[str, Any]:
    """One network trained on the first ``P`` sentences of ``data``'s pool (moved to ``device`` if it lies
    elsewhere) and scored on its test sentences."""
    import torch

    dev = torch.device(device)
    if data.X.device != dev:
        data = replace(data, X=data.X.to(dev), y=data.y.to(dev))
    torch.manual_seed(task_seed(seed, P, 1))
    net = build_model(
        model,
        data.vocab_size,
        data.seq_len,
        data.n_out,
        filter_size=data.filter_size,
        depth=data.depth,
        pool="last" if data.task == "next" else "mean",
        pad_id=data.pad_id,
        **model_kwargs,
    ).to(dev)
    start = time.perf_counter()
    X, y = data.train(P)
    fit = train_classifier(
        net,
        X,
        y,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        loss_tol=loss_tol,
        eval_every=eval_every,
        seed=task_seed(seed, P, 2),
        amp=amp,
    )
    test = evaluate(net, *data.test(), amp=amp)
    synchronize(dev)
    return {
        **curve_row(P, seed, fit, test, data.chance_error),
        "steps": fit["steps"],
        "seconds": time.perf_counter() - start,
    }


def curve_row(P: int, seed: int, fit: dict[str, Any], test: dict[str, Any], chance_error: float) -> dict[str, Any]:
    """A learning-curve row from :func:`train_classifier`'s ``fit`` and :func:`evaluate`'s ``test``."""
    return {
        "P": P,
        "seed": seed,
        "train_error": fit["train_error"],
        "train_loss": fit["train_loss"],
        "test_error": test["error"],
        "test_loss": test["loss"],
        "chance_error": chance_error,
    }


UNTRAINED = 0.5
"""A network whose training error ends at this fraction of chance or above did not fit its own
training set (an optimisation failure, not a measure of generalisation): :func:`summarize` counts
such runs and warns of them."""


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds of the test error and loss at each P.

    Each entry also counts, as ``untrained``, the seeds whose network never fitted its training
    set (final training error at least :data:`UNTRAINED` of chance); they stay in the means, and a
    warning names where they are, so that a curve pulled up by a failed run is not read as data.
    """
    out = []
    for P in sorted({r["P"] for r in rows}):
        at = [r for r in rows if r["P"] == P]
        err = np.array([r["test_error"] for r in at])
        loss = np.array([r["test_loss"] for r in at])
        untrained = [r["seed"] for r in at if r["train_error"] >= UNTRAINED * r["chance_error"]]
        if untrained:
            log.warning(
                "%d of %d networks at P = %d did not fit their training set (training error at least %g of"
                " chance; seeds %s); the mean test error at this P includes them.",
                len(untrained), len(at), P, UNTRAINED, ", ".join(map(str, untrained)),
            )  # fmt: skip
        out.append(
            {
                "P": P,
                "seeds": len(at),
                "test_error": float(err.mean()),
                "test_error_sd": float(err.std()),
                "test_loss": float(loss.mean()),
                "test_loss_sd": float(loss.std()),
                "train_error": float(np.mean([r["train_error"] for r in at])),
                "untrained": len(untrained),
                "chance_error": at[0]["chance_error"],
            }
        )
    return out


def sample_complexity(
    P: Sequence[float], test_error: Sequence[float], chance_error: float, fraction: float = 0.1
) -> float:
    """First P at which ``test_error`` falls below ``fraction * chance_error``, interpolated in log P.

    Between the last grid point above the threshold and the first one below it, the error
    is taken linear in log P. Returns NaN when the curve never crosses, or is already below
    the threshold at the first point (the grid does not bracket P*).

    Parameters
    ----------
    P : sequence of float, ascending
    test_error : sequence of float, same length
    chance_error : float
    fraction : float, default 0.1
    """
    sizes = np.asarray(P, dtype=np.float64)
    err = np.asarray(test_error, dtype=np.float64)
    if (
        sizes.shape != err.shape
        or sizes.ndim != 1
        or not (np.all(np.isfinite(sizes)) and np.all(np.diff(sizes) > 0) and np.all(sizes > 0))
    ):
        raise InvalidParameterError("sample_complexity: P must be positive and ascending, with one error per P.")
    threshold = fraction * chance_error
    below = np.flatnonzero(err < threshold)
    if below.size == 0 or below[0] == 0:
        return float("nan")
    k = below[0]
    t = (err[k - 1] - threshold) / (err[k - 1] - err[k])
    return float(math.exp(math.log(sizes[k - 1]) + t * (math.log(sizes[k]) - math.log(sizes[k - 1]))))


def curve_table(grammar: Any, rows: Sequence[dict[str, Any]], fraction: float = 0.1) -> dict[str, Any]:
    """P* of a grammar's curve (seed mean, and per seed) beside the prediction n_c m^L."""
    summary = summarize(rows)
    chance = summary[0]["chance_error"]
    p_star = sample_complexity([s["P"] for s in summary], [s["test_error"] for s in summary], chance, fraction)
    per_seed = []
    for seed in sorted({r["seed"] for r in rows}):
        mine = sorted((r for r in rows if r["seed"] == seed), key=lambda r: r["P"])
        per_seed.append(sample_complexity([r["P"] for r in mine], [r["test_error"] for r in mine], chance, fraction))
    scale = grammar_scale(grammar)
    finite = [p for p in per_seed if np.isfinite(p)]
    return {
        "grammar": grammar_name(grammar),
        **grammar.params(),
        "scale": scale,
        "P_star": p_star,
        "P_star_sd": float(np.std(finite)) if len(finite) > 1 else float("nan"),
        "P_star_over_scale": p_star / scale,
    }


__all__ = [
    "learning_curve",
    "curve_row",
    "train_classifier",
    "evaluate",
    "summarize",
    "UNTRAINED",
    "sample_complexity",
    "curve_table",
]
