"""Training language models on next-token prediction, and their learning curves against P.

One run (:func:`train_lm`) trains a fresh network on the first ``P`` training contexts
with Adam (AdamW; ``optimizer="sgd"``: plain or momentum SGD, the papers' optimiser for
their mean-field CNNs), evaluates the cross-entropy on the validation contexts every ``eval_every``
steps, and keeps the weights of the best evaluation (early stopping: with few data the
test loss rises again once the network memorises them, and the data-limited loss is the
lowest one reached). It also evaluates the untrained network and the steps 1, 2, 4, ... below
``eval_every`` (``eval_early``): with a few hundred contexts and batches of hundreds, a network
memorises them within tens of steps, and a first evaluation at step ``eval_every`` finds it
past its best (in the 2026-12-04 `next_token --full` runs every CNN up to P = 8,192 kept step
100, its first evaluation, with a test loss up to 5.8 nats, above the untrained network's
log v = 3.47). It stops after ``patience`` evaluations without improvement or ``steps`` steps,
then scores the kept weights on the held-out test contexts: the mean cross-entropy (nats) of
every position and of the last one.

``targets`` chooses the objective: ``"all"`` (every position predicts its token, the usual
language-model loss) or ``"last"`` (only the last position, the papers' last-token task
on the RHM, whose loss steps down at ``P_l``). The per-position test loss is reported
either way.

Batches are drawn by a generator derived from ``(seed, P, step)``, and dropout draws from
torch's global random generator, whose state (the CPU's, and the GPU's on a GPU) the checkpoint
keeps: a run interrupted and resumed from its checkpoint (``checkpoint``: model, optimiser,
best weights, random state and counters, every ``checkpoint_every`` steps) continues exactly
as if it had not stopped. A checkpoint is resumed only by a run of the same settings: the
data, the network (its class, every submodule's hyperparameters and the weights' shapes) and
every training setting that changes the result; one of other settings is refused
(:class:`~cooc._core.errors.OutputExistsError`), as cooc's other checkpoints are.
On a GPU the forward pass runs under bfloat16 autocast (``amp``) and Adam is fused.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..._core.errors import TrainingDivergedError
from ..._core.ledger import RunLedger, fingerprint, recorded_all, run_key
from ..._core.params import Interval, OneOf, validate
from ..._core.progress import ProgressBar
from .._checkpoint import load_checkpoint, restore_training, save_checkpoint, training_arrays
from .._torch import autocast, generator, synchronize, task_seed
from .curves import check_sizes_and_seeds
from .lm_data import LMData
from .lm_models import LM_MODELS, build_lm, count_parameters

TARGETS = ("all", "last")
OPTIMIZERS = ("adam", "sgd")
FORMAT = "cooc.lm-run/1"

_CONSTRAINTS = {
    "model": OneOf(LM_MODELS),
    "targets": OneOf(TARGETS),
    "steps": Interval(int, 1, None),
    "batch_size": Interval(int, 1, None),
    "lr": Interval(float, 0, None, closed="neither"),
    "weight_decay": Interval(float, 0, None),
    "optimizer": OneOf(OPTIMIZERS),
    "momentum": Interval(float, 0, 1, closed="left"),
    "eval_every": Interval(int, 1, None),
    "patience": Interval(int, 1, None),
}


#: Logits evaluated at once: 2**23 entries (32 MB in float32). Evaluating 4,096 contexts of 64 tokens
#: over a 1,000-word vocabulary at once made 1 GB of logits per batch; on a CPU every such block is
#: fresh memory from the system, and a 20-step run on the King James Bible spent 12 of its 22 s in the
#: kernel (page faults) with 3.7 GB resident.
EVAL_LOGITS = 1 << 23


def eval_rows(batch_size: int, ids: Any, net: Any) -> int:
    """Contexts per evaluation batch: at most ``batch_size``, and at most :data:`EVAL_LOGITS` logits."""
    width = int(ids.shape[1]) * int(getattr(net, "vocab_size", 1))
    return max(1, min(int(batch_size), EVAL_LOGITS // max(width, 1)))


def lm_losses(net: Any, ids: Any, batch_size: int = 4096, amp: bool = False) -> np.ndarray:
    """Mean cross-entropy (nats) at each position over the contexts ``ids`` (N, T); shape (T,).

    Contexts go through in batches of at most ``batch_size``, fewer when their logits would
    exceed :data:`EVAL_LOGITS` entries."""
    import torch
    import torch.nn.functional as F

    was = net.training
    net.eval()
    total = torch.zeros(ids.shape[1], dtype=torch.float64, device=ids.device)
    batch_size = eval_rows(batch_size, ids, net)
    with torch.no_grad():
        for lo in range(0, ids.shape[0], batch_size):
            x = ids[lo : lo + batch_size]
            with autocast(x.device, amp):
                logits = net(x)
            loss = F.cross_entropy(logits.float().transpose(1, 2), x, reduction="none")
            total += loss.double().sum(0)
    net.train(was)
    return (total / ids.shape[0]).cpu().numpy()


def last_token_loss(net: Any, ids: Any, batch_size: int = 4096, amp: bool = False) -> float:
    """Mean cross-entropy (nats) of the last position of the contexts ``ids`` (N, T) (the CNN computes only it)."""
    import torch
    import torch.nn.functional as F

    was = net.training
    net.eval()
    total = 0.0
    if not hasattr(net, "forward_last"):  # the transformer computes every position's logits
        batch_size = eval_rows(batch_size, ids, net)
    with torch.no_grad():
        for lo in range(0, ids.shape[0], batch_size):
            x = ids[lo : lo + batch_size]
            with autocast(x.device, amp):
                last = net.forward_last(x) if hasattr(net, "forward_last") else net(x)[:, -1]
            total += float(F.cross_entropy(last.float(), x[:, -1], reduction="sum"))
    net.train(was)
    return total / ids.shape[0]


def _objective(net: Any, x: Any, targets: str) -> Any:
    import torch.nn.functional as F

    if targets == "last":
        last = net.forward_last(x) if hasattr(net, "forward_last") else net(x)[:, -1]
        return F.cross_entropy(last.float(), x[:, -1])
    return F.cross_entropy(net(x).float().transpose(1, 2), x)


def _score(losses: np.ndarray, targets: str) -> float:
    return float(losses[-1] if targets == "last" else losses.mean())


def train_lm(
    net: Any,
    data: LMData,
    P: int,
    targets: str = "all",
    steps: int = 2000,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: str = "adam",
    momentum: float = 0.0,
    eval_every: int = 50,
    patience: int = 10,
    eval_early: bool = True,
    seed: int = 0,
    amp: bool = False,
    fused: bool | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 500,
    progress: bool = False,
    _stop_after: int | None = None,
) -> dict[str, Any]:
    """Train ``net`` on the first ``P`` training contexts of ``data`` (see the module notes).

    Parameters
    ----------
    optimizer : {"adam", "sgd"}, default "adam"
        AdamW with ``lr`` and decoupled ``weight_decay``, or SGD with ``lr``, ``momentum``
        and L2 ``weight_decay``.
    eval_early : bool, default True
        Also evaluate at step 0 (the untrained network) and at steps 1, 2, 4, ... below
        ``eval_every`` (the module notes); these evaluations count towards ``patience``.

    Returns
    -------
    dict with ``steps`` (taken), ``best_step``, ``val_loss`` (best), ``train_loss`` (on the
    ``P`` contexts, at the kept weights), ``test_loss`` (the objective: mean over positions,
    or the last position), ``test_loss_last``, ``test_loss_mean``, ``test_loss_by_position``
    (list, one per position), ``seconds`` and ``tokens_per_second`` (training tokens read), ``history``
    (``[step, validation loss, seconds]`` at each evaluation of this call).
    """
    import torch

    training = dict(
        targets=targets,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        optimizer=optimizer,
        momentum=momentum,
        eval_every=eval_every,
        patience=patience,
    )
    validate(training, {k: v for k, v in _CONSTRAINTS.items() if k != "model"}, "train_lm")
    validate({"checkpoint_every": checkpoint_every}, {"checkpoint_every": Interval(int, 1, None)}, "train_lm")
    data.check_samples(P)
    device = data.train.device
    if fused is None:
        fused = device.type == "cuda"
    opt: torch.optim.Optimizer
    if optimizer == "adam":
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    state: dict[str, Any] = {"step": 0, "best_step": 0, "best": math.inf, "bad": 0, "seconds": 0.0}
    best = {k: v.detach().clone() for k, v in net.state_dict().items()}
    settings: dict[str, Any] = {}
    if checkpoint is not None:
        settings = checkpoint_settings(
            net, data, P=int(P), **training, eval_early=eval_early, seed=seed, amp=amp, fused=fused, device=device.type
        )
        loaded = load_checkpoint(checkpoint, FORMAT, settings, required=tuple(_random_state(device)))
        if loaded is not None:
            arrays, saved = loaded
            _restore(net, opt, best, arrays)
            state = saved["run"]
            if state.get("best") is None:  # saved before the first evaluation: JSON holds no infinity
                state["best"] = math.inf
    batch = min(batch_size, P) if data.kind == "sentences" else batch_size
    history: list[tuple[int, float, float]] = []
    tokens = 0
    started = time.perf_counter()
    net.train()

    def evaluate() -> None:  # the validation loss now; the weights kept when it is the best so far
        nonlocal best
        if targets == "last":
            val = last_token_loss(net, data.val, amp=amp)
        else:
            val = _score(lm_losses(net, data.val, amp=amp), targets)
        if not math.isfinite(val):
            raise TrainingDivergedError(
                f"the language model diverged by step {state['step']} (validation loss {val}); lower the "
                f"learning rate (lr = {lr}) and start afresh (--overwrite on the command line)."
            )
        history.append((state["step"], val, state["seconds"] + time.perf_counter() - started))
        if val < state["best"] - 1e-6:
            state.update(best=val, best_step=state["step"], bad=0)
            best = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            state["bad"] += 1
        bar.set_description(f"P = {P}: val {val:.4f}")

    with ProgressBar(f"P = {P}", total=steps, unit="steps", enabled=progress, rates=("tokens",)) as bar:
        bar.update(state["step"])
        if eval_early and state["step"] == 0:
            evaluate()
        while state["step"] < steps and state["bad"] < patience:
            x = data.batch(P, batch, generator(device, seed, P, state["step"]))
            with autocast(device, amp):
                loss = _objective(net, x, targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state["step"] += 1
            tokens += x.numel()
            bar.update(1, tokens=x.numel())
            if evaluation_due(state["step"], steps, eval_every, eval_early):
                evaluate()
            if checkpoint is not None and state["step"] % checkpoint_every == 0:
                state["seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                save_checkpoint(
                    checkpoint, _arrays(net, opt, best), {"format": FORMAT, "settings": settings, "run": state}
                )
            if _stop_after is not None and state["step"] >= _stop_after:  # tests: an interrupted run
                break
    synchronize(device)
    state["seconds"] += time.perf_counter() - started
    net.load_state_dict(best)
    test = lm_losses(net, data.test, amp=amp)
    train = lm_losses(net, data.epoch(P), amp=amp)
    return {
        "steps": state["step"],
        "best_step": state["best_step"],
        "val_loss": state["best"],
        "train_loss": _score(train, targets),
        "test_loss": _score(test, targets),
        "test_loss_last": float(test[-1]),
        "test_loss_mean": float(test.mean()),
        "test_loss_by_position": test.tolist(),
        "seconds": state["seconds"],
        "tokens_per_second": tokens / state["seconds"] if state["seconds"] > 0 and tokens else float("nan"),
        "history": [list(h) for h in history],
    }


def evaluation_due(step: int, steps: int, eval_every: int, early: bool) -> bool:
    """Whether :func:`train_lm` evaluates after ``step`` steps: every ``eval_every``, at the last step, and
    (``early``) at the powers of two below ``eval_every``."""
    if step % eval_every == 0 or step == steps:
        return True
    return early and step < eval_every and step & (step - 1) == 0


def checkpoint_settings(net: Any, data: LMData, **train: Any) -> dict[str, Any]:
    """What a checkpoint of :func:`train_lm` is keyed by: the training settings ``train``, the data
    (:func:`data_fingerprint`) and the network (:func:`model_settings`); plain JSON values."""
    described = {**train, "data": data_fingerprint(data), "model": model_settings(net)}
    return json.loads(json.dumps(described))


def model_settings(net: Any) -> dict[str, Any]:
    """The network's settings: its class and hyperparameters (its public attributes that are numbers,
    strings or tuples of them: ``dropout``, ``vocab_size``, ...), those of each of its submodules
    (``layers``, by name: ``n_heads``, ``eps``, ...) and the shapes of its weights (``shapes``)."""

    def described(module: Any) -> dict[str, Any]:
        attributes = {
            k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training" and _plain_setting(v)
        }
        return {**attributes, "class": f"{type(module).__module__}.{type(module).__qualname__}"}

    layers = {name: described(module) for name, module in net.named_modules() if name}
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    return {**described(net), "layers": layers, "shapes": shapes}


def _plain_setting(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain_setting(v) for v in value)
    return value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value))


def _arrays(net: Any, opt: Any, best: dict[str, Any]) -> dict[str, np.ndarray]:
    out = training_arrays(net, opt)
    out.update({f"best/{k}": v.detach().float().cpu().numpy() for k, v in best.items()})
    out.update(_random_state(next(net.parameters()).device))
    return out


def _random_state(device: Any) -> dict[str, np.ndarray]:
    """The state of the random generators that dropout draws from: torch's CPU one and the device's."""
    import torch

    out = {"rng/cpu": torch.get_rng_state().numpy().copy()}
    if device.type == "cuda":
        out["rng/cuda"] = torch.cuda.get_rng_state(device).numpy().copy()
    elif device.type == "mps":
        out["rng/mps"] = torch.mps.get_rng_state().numpy().copy()
    return out


def _restore(net: Any, opt: Any, best: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    import torch

    restore_training(net, opt, arrays)
    device = next(net.parameters()).device
    for k, v in net.state_dict().items():
        best[k] = torch.from_numpy(arrays[f"best/{k}"]).to(device, v.dtype)
    # dropout goes on with the draws the run would have made had it not stopped
    torch.set_rng_state(torch.from_numpy(arrays["rng/cpu"].copy()))
    if device.type == "cuda":
        torch.cuda.set_rng_state(torch.from_numpy(arrays["rng/cuda"].copy()), device)
    elif device.type == "mps":
        torch.mps.set_rng_state(torch.from_numpy(arrays["rng/mps"].copy()))


def lm_learning_curve(
    data: LMData,
    model: str = "transformer",
    samples: Sequence[int] = (100, 1000),
    seeds: Sequence[int] = (0,),
    targets: str = "all",
    model_kwargs: dict[str, Any] | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
    done: Sequence[dict[str, Any]] = (),
    ledger: RunLedger | None = None,
    jobs: int = 1,
    **train_kwargs: Any,
) -> list[dict[str, Any]]:
    """A fresh network per (P, seed), trained by :func:`train_lm` on the first P contexts and tested.

    Parameters
    ----------
    data : LMData
    model : {"transformer", "cnn"}
    samples : sequence of int
        Training-set sizes P (contexts).
    seeds : sequence of int
        One initialisation and batch order per seed (the data are the same).
    model_kwargs : dict, optional
        Passed to :func:`~cooc.train.grammar.lm_models.build_lm`.
    checkpoint_dir : path, optional
        Each run checkpoints into ``<dir>/P<P>-seed<seed>`` and resumes from there.
    done : sequence of dict
        Rows of runs already finished (skipped; returned in order with the new ones).
    ledger : RunLedger, optional
        Each finished run is recorded there, keyed by the data (a hash of the train,
        validation and test ids), the model and its settings, the objective, the training
        settings, the device type, P and the seed; a run already recorded is taken from it
        instead of trained (a job interrupted and started again resumes). Without
        ``checkpoint_dir``, runs in progress checkpoint beside the ledger.
    jobs : int, default 1
        Runs trained at once, each in a process of its own on the same device
        (:func:`cooc._core.run_pool.run_all`), sharing this process's torch threads; every run is
        the same as when trained alone with as many threads. Rows are recorded in the ledger (and
        handed to ``callback``) as runs finish.
    **train_kwargs
        ``steps``, ``batch_size``, ``lr``, ``eval_every``, ``patience``, ``amp``, ...

    Returns
    -------
    list of dict, one per (P, seed), sorted by P then seed: ``P``, ``seed``, ``model``,
    ``parameters``, ``tokens`` (``P * T``) and the fields of :func:`train_lm`.
    """
    validate(
        {"model": model, "targets": targets}, {k: _CONSTRAINTS[k] for k in ("model", "targets")}, "lm_learning_curve"
    )
    check_sizes_and_seeds(samples, seeds, "lm_learning_curve")
    samples = sorted({int(p) for p in samples})
    for P in samples:
        data.check_samples(P)
    finished = {(int(r["P"]), int(r["seed"])): dict(r) for r in done}
    device = data.train.device
    amp = train_kwargs.pop("amp", None)
    amp = device.type == "cuda" if amp is None else amp
    curve: dict[str, Any] = {}
    if ledger is not None:
        curve = {
            "run": "lm_learning_curve",
            "data": data_fingerprint(data),
            "model": model,
            "model_kwargs": model_kwargs or {},
            "targets": targets,
            # the early evaluations' setting always, so runs recorded before train_lm made them are not reused
            "train": {"eval_early": True, **train_kwargs, "amp": amp},
            "device": device.type,
        }
        if checkpoint_dir is None:
            checkpoint_dir = ledger.checkpoints / run_key(curve)[:20]
    todo = [(P, seed) for P in samples for seed in seeds]
    pending = [ps for ps in todo if ps not in finished]  # the others are in ``done``
    fit = partial(_fit_one, model=model, model_kwargs=model_kwargs or {}, targets=targets, amp=amp, train=train_kwargs)
    where = {ps: None if checkpoint_dir is None else Path(checkpoint_dir) / f"P{ps[0]}-seed{ps[1]}" for ps in pending}
    threads, device_name, shipped = None, None, data
    if jobs > 1 and len(pending) > 1:  # the data travel on the CPU; each process moves them to the device
        import torch

        shipped, device_name = _on_cpu(data), str(device)
        threads = max(1, torch.get_num_threads() // min(jobs, len(pending)))  # this process's threads, shared
    runs = [
        ({**curve, "P": P, "seed": seed}, partial(fit, shipped, P, seed, where[(P, seed)], device_name))
        for P, seed in pending
    ]
    trained: list[int] = []
    with ProgressBar(f"{model} on {data.name}", total=len(todo), unit="runs", enabled=progress) as bar:
        bar.update(len(todo) - len(pending))

        def ended(i: int, row: dict[str, Any]) -> None:  # a run trained now, recorded in the ledger by now
            trained.append(i)
            kept = where[pending[i]]
            if ledger is not None and kept is not None:
                shutil.rmtree(kept, ignore_errors=True)  # its checkpoint is not needed again
            bar.update(1)
            if callback is not None:
                callback(row)

        rows = recorded_all(ledger, runs, jobs, on_computed=ended, threads=threads)
        bar.update(len(pending) - len(trained))  # the runs taken from the ledger
    finished.update(zip(pending, rows))
    return [finished[ps] for ps in todo]


def _fit_one(
    data: LMData,
    P: int,
    seed: int,
    where: Path | None,
    device: str | None = None,
    *,
    model: str,
    model_kwargs: dict[str, Any],
    targets: str,
    amp: bool,
    train: dict[str, Any],
) -> dict[str, Any]:
    """One run of :func:`lm_learning_curve`: a fresh network for (P, seed), trained and tested (on ``device``
    when given, else where the data are)."""
    import torch

    if device is not None:
        data = _on_device(data, device)
    torch.manual_seed(task_seed(seed, P, 1))
    net = build_lm(model, data.vocab_size, data.context, filter_size=data.filter_size, **model_kwargs)
    net = net.to(data.train.device)
    fit = train_lm(net, data, P, targets=targets, seed=seed, amp=amp, checkpoint=where, **train)
    return {
        "P": P,
        "seed": seed,
        "model": model,
        "parameters": count_parameters(net),
        "tokens": P * data.context,
        **fit,
    }


def _on_cpu(data: LMData) -> LMData:
    """``data`` to send to another process: its ids on the CPU, without the grammar (a run does not read it)."""
    return replace(data, train=data.train.cpu(), val=data.val.cpu(), test=data.test.cpu(), grammar=None)


def _on_device(data: LMData, device: str) -> LMData:
    return replace(data, train=data.train.to(device), val=data.val.to(device), test=data.test.to(device))


def data_fingerprint(data: LMData) -> str:
    """SHA-256 of the data's train, validation and test ids (values and shapes) and its context length."""
    return fingerprint(data.train, data.val, data.test, extra=(data.kind, data.context, data.vocab_size))


def summarize_lm(rows: Sequence[dict[str, Any]], key: str = "test_loss") -> list[dict[str, Any]]:
    """Mean and standard error over seeds of ``key`` at each P."""
    out = []
    for P in sorted({r["P"] for r in rows}):
        values = np.array([r[key] for r in rows if r["P"] == P], dtype=np.float64)
        out.append(
            {
                "P": int(P),
                "seeds": int(values.size),
                key: float(values.mean()),
                f"{key}_se": float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else float("nan"),
            }
        )
    return out


__all__ = [
    "train_lm",
    "lm_losses",
    "last_token_loss",
    "lm_learning_curve",
    "data_fingerprint",
    "summarize_lm",
    "TARGETS",
]
