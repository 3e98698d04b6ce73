"""Many small networks trained at once: one batched model holds K independent networks.

A learning curve needs a fresh network for every training-set size P and seed. The networks
of these studies are tiny (a few thousand weights), so on a CPU (and on a GPU alike) the
time of one optimiser step is set by per-call overheads, not by arithmetic: training them
one after the other wastes almost all of it. Here the K networks of a curve are stacked
along a leading *member* axis and every layer is one batched matrix product
(``torch.bmm``), so one step trains all K at about the cost of a few.

The members are exactly independent: the loss is the sum of the members' losses, so each
member's gradient depends only on its own weights and its own minibatch, and Adam acts
elementwise. Member ``k`` trains on the first ``sizes[k]`` sentences of its pool
``pool_of[k]`` (pools are per data seed, so training sets are nested across P) and is
scored on that pool's held-out sentences.

Architectures (input one-hot, channels last: ``(K, B, T, c)``; a padding or empty
position is an all-zero column):

- ``"cnn"``: the deep CNN matched to the tree, ``depth`` layers of filter = stride =
  ``filter_size`` with weights shared across positions (each layer reads one production);
- ``"lcn"``: the same locally connected net without weight sharing (each patch of each
  layer has its own weights), the second architecture of arXiv 2404.10727;
- ``"fc"``: a fully-connected net on the flattened input with ``depth`` hidden layers;
  ``depth = 1`` is the shallow (one hidden layer) network of arXiv 2307.02129;
- ``"pool-cnn"``: for sentences of varying length (padded on the right): ``depth``
  layers of a width-3 convolution (stride 1, zero padding) followed by a max-pool of 2, so
  the receptive field doubles per layer, then a max over the remaining positions.

Every hidden layer is a ReLU; :meth:`EnsembleNetwork.hidden` returns their outputs (for the
sensitivity measurements of :mod:`~cooc.train.grammar.sensitivity`). Weights start
uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` (PyTorch's default scale), drawn from a
seeded generator.
"""

from __future__ import annotations

import math
import numbers
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..._core.errors import InvalidParameterError, TrainingDivergedError
from ..._core.io import atomic_save_npz, jsonable
from ..._core.ledger import RunLedger, fingerprint, run_key
from ..._core.params import Interval, OneOf, validate
from ..._core.progress import ProgressBar
from .._checkpoint import load_checkpoint, restore_training, save_checkpoint, training_arrays
from .._torch import autocast, generator, synchronize, torch_device

KINDS = ("cnn", "lcn", "fc", "pool-cnn")
PROGRESS_LOG_SECONDS = 300.0  # a line this often from an ensemble's progress when the output is not a terminal
CHECKPOINT_FORMAT = "cooc.ensemble-checkpoint/1"


class EnsembleNetwork(nn.Module):
    """``n_members`` independent networks of one architecture, evaluated together.

    Parameters
    ----------
    kind : {"cnn", "lcn", "fc", "pool-cnn"}
        The architecture (module notes).
    n_members : int
        K, the number of independent networks.
    in_channels : int
        Symbols of the one-hot input (c).
    length : int
        Input positions T; for ``"cnn"`` and ``"lcn"`` it must equal ``filter_size ** depth``.
    n_out : int
        Classes.
    width : int
        Channels (or units) of every hidden layer.
    filter_size : int, optional
        Patch size of ``"cnn"`` / ``"lcn"``.
    depth : int, optional
        Hidden layers; default ``log(length) / log(filter_size)`` for ``"cnn"`` / ``"lcn"``,
        1 for ``"fc"`` and ``ceil(log2 length)`` for ``"pool-cnn"``.
    seed : int
        Seed of the initial weights.

    Input ``(K, B, T, c)`` float; output ``(K, B, n_out)`` logits.
    """

    def __init__(
        self,
        kind: str,
        n_members: int,
        in_channels: int,
        length: int,
        n_out: int,
        width: int = 64,
        filter_size: int | None = None,
        depth: int | None = None,
        seed: int = 0,
    ):
        super().__init__()
        validate(
            dict(kind=kind, n_members=n_members, in_channels=in_channels, length=length, n_out=n_out, width=width),
            {
                "kind": OneOf(KINDS),
                **{k: Interval(int, 1, None) for k in ("n_members", "in_channels", "length", "n_out", "width")},
            },
            "EnsembleNetwork",
        )
        self.kind, self.K, self.length, self.n_out = kind, int(n_members), int(length), int(n_out)
        self.filter_size = int(filter_size) if filter_size is not None else 0  # 0: not a convolution
        self.depth = self._depth(depth)
        gen = torch.Generator().manual_seed(int(seed))
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, shape in self._layer_shapes(in_channels, width):
            bound = 1.0 / math.sqrt(fan_in)
            self.weights.append(nn.Parameter((torch.rand(shape, generator=gen) * 2 - 1) * bound))
            bias_shape = (self.K, 1, shape[1], shape[-1]) if len(shape) == 4 else (self.K, 1, shape[-1])
            self.biases.append(nn.Parameter((torch.rand(bias_shape, generator=gen) * 2 - 1) * bound))

    def _depth(self, depth: int | None) -> int:
        if self.kind in ("cnn", "lcn"):
            f = self.filter_size
            if f < 2:
                raise InvalidParameterError(f"EnsembleNetwork: kind {self.kind!r} needs filter_size >= 2, got {f!r}.")
            d = depth if depth is not None else round(math.log(self.length) / math.log(f))
            if f**d != self.length:
                raise InvalidParameterError(
                    f"EnsembleNetwork: input length {self.length} != filter_size**depth = {f}**{d}."
                )
            return int(d)
        if depth is None:
            return 1 if self.kind == "fc" else max(1, math.ceil(math.log2(self.length)))
        validate({"depth": depth}, {"depth": Interval(int, 1, None)}, "EnsembleNetwork")
        return int(depth)

    def _layer_shapes(self, c: int, w: int) -> list[tuple[int, tuple[int, ...]]]:
        """(fan_in, weight shape) of each hidden layer and of the readout."""
        K = self.K
        shapes: list[tuple[int, tuple[int, ...]]] = []
        if self.kind == "cnn":
            for _ in range(self.depth):
                shapes.append((self.filter_size * c, (K, self.filter_size * c, w)))
                c = w
            return shapes + [(w, (K, w, self.n_out))]
        if self.kind == "lcn":
            n = self.length
            for _ in range(self.depth):
                n //= self.filter_size
                shapes.append((self.filter_size * c, (K, n, self.filter_size * c, w)))
                c = w
            return shapes + [(w, (K, w, self.n_out))]
        if self.kind == "fc":
            size = self.length * c
            for _ in range(self.depth):
                shapes.append((size, (K, size, w)))
                size = w
            return shapes + [(w, (K, w, self.n_out))]
        for _ in range(self.depth):  # pool-cnn
            shapes.append((3 * c, (K, 3 * c, w)))
            c = w
        return shapes + [(w, (K, w, self.n_out))]

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every hidden layer: ``(K, B, T_l, width)`` (``(K, B, width)`` for ``"fc"``)."""
        if x.ndim != 4 or x.shape[0] != self.K or x.shape[2] != self.length:
            raise InvalidParameterError(
                f"EnsembleNetwork: input must have shape (K={self.K}, B, T={self.length}, channels), got {tuple(x.shape)}."
            )
        K, B = x.shape[0], x.shape[1]
        out: list[torch.Tensor] = []
        h = x
        if self.kind == "fc":
            h = h.reshape(K, B, -1)
            for W, b in zip(self.weights[:-1], self.biases[:-1]):
                h = torch.relu(torch.baddbmm(b, h, W))
                out.append(h)
            return out
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            T, c = h.shape[2], h.shape[3]
            if self.kind == "cnn":
                f = self.filter_size
                h = torch.baddbmm(b, h.reshape(K, B * (T // f), f * c), W).reshape(K, B, T // f, -1)
            elif self.kind == "lcn":
                f, n = self.filter_size, T // self.filter_size
                patches = h.reshape(K, B, n, f * c).permute(0, 2, 1, 3).reshape(K * n, B, f * c)
                h = torch.bmm(patches, W.reshape(K * n, f * c, -1)).reshape(K, n, B, -1).permute(0, 2, 1, 3) + b
            else:  # pool-cnn: width-3 convolution with zero padding, then max-pool 2
                padded = F.pad(h, (0, 0, 1, 1))
                windows = torch.cat([padded[:, :, i : i + T] for i in range(3)], dim=3)
                h = torch.relu(torch.baddbmm(b, windows.reshape(K, B * T, 3 * c), W).reshape(K, B, T, -1))
                if T > 1:
                    if T % 2:
                        h = F.pad(h, (0, 0, 0, 1))  # ReLU outputs are >= 0, so a zero pad never wins the max
                    h = h.reshape(K, B, h.shape[2] // 2, 2, -1).amax(dim=3)
                out.append(h)
                continue
            h = torch.relu(h)
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.hidden(x)[-1]
        if h.ndim == 4:
            h = h.amax(dim=2) if self.kind == "pool-cnn" else h.reshape(h.shape[0], h.shape[1], -1)
        return torch.baddbmm(self.biases[-1], h, self.weights[-1])


@dataclass
class Pools:
    """Data pools (one per data seed, or per grammar and seed), one-hot with channels last, on one device.

    Attributes
    ----------
    X : float32 tensor of shape (S, N, T, c)
        Pool ``i`` holds its held-out sentences first (``n_test`` of them), then its
        training pool (training sets are its prefixes); pools shorter than ``N`` are padded
        with zeros (``n_rows`` says where each ends).
    y : int64 tensor of shape (S, N)
    n_test : int
    n_classes : list of int
        Classes of each pool's task (its chance error is ``1 - 1 / n_classes``).
    n_rows : list of int
        Sentences held by each pool.
    """

    X: torch.Tensor
    y: torch.Tensor
    n_test: int
    n_classes: list[int]
    n_rows: list[int]

    @classmethod
    def from_arrays(
        cls,
        inputs: Sequence[Any],
        labels: Sequence[Any],
        n_test: int,
        n_classes: int | Sequence[int],
        device: Any = "cpu",
    ) -> Pools:
        """Stack per-pool one-hot arrays ``(N_i, c, T)`` (the grammars' ``one_hot()`` layout) and labels ``(N_i,)``."""
        arrays = [np.swapaxes(np.asarray(a, dtype=np.float32), 1, 2) for a in inputs]
        if len({a.shape[1:] for a in arrays}) != 1:
            raise InvalidParameterError("Pools: every pool must have the same input shape (T, c).")
        rows = [a.shape[0] for a in arrays]
        validate({"n_test": n_test}, {"n_test": Interval(int, 0, None)}, "Pools")  # -5 tested on training rows
        if min(rows) <= n_test:
            raise InvalidParameterError(f"Pools: every pool needs more than n_test = {n_test} sentences.")
        # np.isscalar tells one count (an int or a NumPy integer) from a sequence of counts; mypy can't follow it
        if np.isscalar(n_classes):
            classes = [int(cast(int, n_classes))] * len(arrays)
        else:
            classes = [int(c) for c in cast("Sequence[int]", n_classes)]
        if len(labels) != len(arrays) or len(classes) != len(arrays):  # zip() dropped a pool's labels: all 0
            raise InvalidParameterError(
                f"Pools: {len(arrays)} input pools need as many label arrays and class counts, got {len(labels)} "
                f"and {len(classes)}."
            )
        X = np.zeros((len(arrays), max(rows)) + arrays[0].shape[1:], dtype=np.float32)
        y = np.zeros((len(arrays), max(rows)), dtype=np.int64)
        for i, (a, b) in enumerate(zip(arrays, labels)):
            b = np.asarray(b)
            whole = b.dtype.kind in "iu" or (b.dtype.kind == "f" and bool(np.all(b == np.round(b))))
            if b.shape != (rows[i],) or not whole or (b.size and (b.min() < 0 or b.max() >= classes[i])):
                raise InvalidParameterError(
                    f"Pools: pool {i}'s labels must be {rows[i]} integers in [0, {classes[i]}), got shape {b.shape}, "
                    f"dtype {b.dtype}" + (f", values in [{b.min()}, {b.max()}]." if b.size else ".")
                )
            X[i, : rows[i]] = a
            y[i, : rows[i]] = b.astype(np.int64)
        dev = torch_device(device) if isinstance(device, str) else device
        return cls(torch.from_numpy(X).to(dev), torch.from_numpy(y).to(dev), int(n_test), classes, rows)

    @property
    def n_out(self) -> int:
        """Outputs of a network serving every pool (the most classes)."""
        return max(self.n_classes)

    def n_train(self, pool: int) -> int:
        """Training sentences of pool ``pool``."""
        return self.n_rows[pool] - self.n_test

    def chance_error(self, pool: int) -> float:
        return 1.0 - 1.0 / self.n_classes[pool]

    def test_inputs(self, pool_of: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Held-out inputs of every member, ``(K, n_test, T, c)``, and labels ``(K, n_test)``."""
        return self.X[pool_of, : self.n_test], self.y[pool_of, : self.n_test]


def train_ensemble(
    net: EnsembleNetwork,
    pools: Pools,
    pool_of: Sequence[int],
    sizes: Sequence[int],
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    loss_tol: float = 1e-3,
    eval_every: int = 100,
    seed: int = 0,
    amp: bool = False,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: float = 120.0,
    progress: bool = False,
    _stop_after: int | None = None,
) -> dict[str, Any]:
    """Adam on the summed cross-entropy of the members, each on minibatches of its own training set.

    Minibatches are drawn with replacement from each member's first ``sizes[k]`` training
    sentences. Every ``eval_every`` steps the members' training losses are measured (on at
    most 1,024 of their sentences); training stops once every member is below ``loss_tol``
    or after ``steps`` steps.

    With ``checkpoint`` (a folder), the weights, the optimiser's state, the step and the
    minibatch generator's state are saved there at the first measurement after every
    ``checkpoint_every`` seconds, and a run that finds them resumes from there: it ends with
    the weights an uninterrupted run ends with (bitwise on the CPU). A study at the papers'
    size trains ensembles for longer than one call on a lent machine lasts.

    With ``progress`` a bar counts the steps and shows, at each measurement, the members' median
    training loss and how many are below ``loss_tol``; when the output is not a terminal, a line
    says as much every :data:`PROGRESS_LOG_SECONDS` (an ensemble of the papers' size trains for
    up to an hour on a CPU).

    Returns
    -------
    dict with ``steps`` taken, per-member ``train_loss`` and ``train_error`` (ndarrays (K,)), and
    ``resumed_seconds``: the training time before a resumed checkpoint (0 for a run from scratch).
    """
    validate(
        dict(steps=steps, batch_size=batch_size, lr=lr, loss_tol=loss_tol, eval_every=eval_every),
        {
            "steps": Interval(int, 1, None),
            "batch_size": Interval(int, 1, None),
            "lr": Interval(float, 0, None, closed="neither"),
            "loss_tol": Interval(float, 0, None),
            "eval_every": Interval(int, 1, None),
        },
        "train_ensemble",
    )
    device = pools.X.device
    pool_of_t = torch.as_tensor(list(pool_of), dtype=torch.long, device=device)
    size_t = torch.as_tensor(list(sizes), dtype=torch.float32, device=device)
    if pool_of_t.numel() != net.K or size_t.numel() != net.K:
        raise InvalidParameterError(f"train_ensemble: give one pool and one size per member (K = {net.K}).")
    for pool, P in zip(pool_of, sizes):
        if not 1 <= int(P) <= pools.n_train(int(pool)):
            raise InvalidParameterError(
                f"train_ensemble: size {P} of a member of pool {pool} must lie in [1, {pools.n_train(int(pool))}]."
            )
    train_X, train_y = pools.X[:, pools.n_test :], pools.y[:, pools.n_test :]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = generator(device, seed, 7)
    rows = pool_of_t[:, None]
    taken, before = 0, 0.0  # steps and training seconds of the runs this one resumes
    settings = {"K": net.K, "pools": [int(i) for i in pool_of], "sizes": [int(P) for P in sizes], "steps": steps,
                "batch_size": batch_size, "lr": lr, "loss_tol": loss_tol, "eval_every": eval_every, "seed": seed}  # fmt: skip
    if checkpoint is not None:
        loaded = load_checkpoint(checkpoint, CHECKPOINT_FORMAT, settings, required=("generator",))
        if loaded is not None:
            arrays, state = loaded
            restore_training(net, opt, arrays)
            gen.set_state(torch.from_numpy(arrays["generator"]))
            taken, before = int(state["step"]), float(state.get("seconds", 0.0))
    started = saved_at = time.perf_counter()
    fit = _train_fit(net, train_X, train_y, pool_of_t, size_t, amp)
    net.train()
    label = f"{net.K} {net.kind} networks"
    bar = ProgressBar(
        label, total=steps, unit="steps", enabled=progress, log_every=PROGRESS_LOG_SECONDS, completed=taken
    )
    with bar:
        while taken < steps and (_stop_after is None or taken < _stop_after):
            idx = (torch.rand(net.K, batch_size, device=device, generator=gen) * size_t[:, None]).long()
            with autocast(device, amp):
                logits = net(train_X[rows, idx]).float()
            loss = F.cross_entropy(logits.reshape(-1, net.n_out), train_y[rows, idx].reshape(-1)) * net.K
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            taken += 1
            bar.update(1)
            if taken % eval_every == 0 or taken == steps:
                fit = _train_fit(net, train_X, train_y, pool_of_t, size_t, amp)
                below = int((fit["train_loss"] < loss_tol).sum())
                median = float(np.median(fit["train_loss"]))
                bar.set_description(f"{label}: median training loss {median:.3g}, {below} below {loss_tol:g}")
                diverged = np.flatnonzero(~np.isfinite(fit["train_loss"]))
                if diverged.size:  # one member's NaN would stand as 'not learned' in the curves: stop instead
                    raise TrainingDivergedError(
                        f"{diverged.size} of {net.K} networks of the ensemble diverged by step {taken} (training loss "
                        f"{fit['train_loss'][diverged[0]]}); lower the learning rate (lr = {lr})."
                    )
                if bool((fit["train_loss"] < loss_tol).all()):
                    break
                if checkpoint is not None and taken < steps and time.perf_counter() - saved_at >= checkpoint_every:
                    arrays = {**training_arrays(net, opt), "generator": gen.get_state().numpy()}
                    saved_at = time.perf_counter()
                    state = {"format": CHECKPOINT_FORMAT, "settings": settings, "step": taken}
                    save_checkpoint(checkpoint, arrays, {**state, "seconds": before + saved_at - started})
    return {"steps": taken, "resumed_seconds": before, **fit}


def _train_fit(net, train_X, train_y, pool_of, sizes, amp) -> dict[str, np.ndarray]:
    """Per-member loss and error on (at most 1,024 of) their own training sentences."""
    E = min(int(sizes.max()), 1024)
    X, y = train_X[pool_of, :E], train_y[pool_of, :E]
    mask = torch.arange(E, device=X.device)[None, :] < sizes[:, None]
    loss, wrong = _scores(net, X, y, amp)
    n = mask.sum(1)
    return {
        "train_loss": ((loss * mask).sum(1) / n).cpu().numpy(),
        "train_error": ((wrong * mask).sum(1) / n).cpu().numpy(),
    }


def _scores(net, X, y, amp, chunk: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-example cross-entropy and error of every member, ``(K, n)`` each."""
    net.eval()
    losses, wrongs = [], []
    with torch.no_grad():
        for lo in range(0, X.shape[1], chunk):
            with autocast(X.device, amp):
                logits = net(X[:, lo : lo + chunk]).float()
            target = y[:, lo : lo + chunk]
            losses.append(F.cross_entropy(logits.transpose(1, 2), target, reduction="none"))
            wrongs.append((logits.argmax(-1) != target).float())
    net.train()
    return torch.cat(losses, 1), torch.cat(wrongs, 1)


def evaluate_ensemble(net: EnsembleNetwork, pools: Pools, pool_of: Sequence[int], amp: bool = False) -> dict[str, Any]:
    """Test loss and error of every member on its pool's held-out sentences (ndarrays (K,))."""
    pool_of_t = torch.as_tensor(list(pool_of), dtype=torch.long, device=pools.X.device)
    loss, wrong = _scores(net, *pools.test_inputs(pool_of_t), amp)
    return {"test_loss": loss.mean(1).cpu().numpy(), "test_error": wrong.mean(1).cpu().numpy()}


@dataclass
class EnsembleRun:
    """A trained ensemble with its members and their learning-curve rows.

    Attributes
    ----------
    net : EnsembleNetwork
    members : list of (pool index, P)
    rows : list of dict
        One per member, as :func:`cooc.train.grammar.curves.learning_curve` returns them
        (``P``, ``seed``, ``train_error``, ``train_loss``, ``test_error``, ``test_loss``,
        ``chance_error``, ``steps``, ``seconds``), so ``summarize`` and ``curve_table`` apply.
    measured : dict or None
        What ``ensemble_curve``'s ``measure`` returned for the trained network (recorded in the
        ledger beside the rows, so a resumed run needs neither the weights nor the training).
    """

    net: EnsembleNetwork
    members: list[tuple[int, int]]
    rows: list[dict[str, Any]]
    measured: dict[str, Any] | None = None

    @property
    def pool_of(self) -> list[int]:
        return [i for i, _ in self.members]


def _check_sizes(per_pool: Mapping[Any, Any], owner: str) -> None:
    """Training-set sizes are whole numbers (4.7 was trained as 4)."""
    for sizes in per_pool.values():
        for P in np.atleast_1d(np.asarray(sizes, dtype=object)):
            if isinstance(P, bool) or not isinstance(P, (numbers.Integral, float)) or P != int(P):
                raise InvalidParameterError(f"{owner}: training-set sizes are whole numbers, got {P!r}.")


def ensemble_curve(
    pools: Pools,
    kind: str,
    samples: Sequence[int] | Mapping[int, Sequence[int]],
    seeds: Sequence[int] | None = None,
    width: int = 64,
    filter_size: int | None = None,
    depth: int | None = None,
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    loss_tol: float = 1e-3,
    eval_every: int = 100,
    init_seed: int = 0,
    amp: bool | None = None,
    ledger: RunLedger | None = None,
    keep_net: bool = True,
    progress: bool = False,
    measure: Callable[[EnsembleRun], dict[str, Any]] | None = None,
    measure_about: Mapping[str, Any] | None = None,
) -> EnsembleRun:
    """Learning curves: one member per (pool, P), all trained together, scored on held-out sentences.

    Parameters
    ----------
    pools : Pools
        One pool per data seed (or per grammar and seed, inputs of one shape).
    kind, width, filter_size, depth
        The architecture (:class:`EnsembleNetwork`).
    samples : sequence of int, or mapping from pool index to sequence of int
        Training-set sizes P, the same for every pool or given per pool.
    seeds : sequence of int, optional
        The seed label written in the rows for each pool (default: the pool index).
    steps, batch_size, lr, loss_tol, eval_every
        See :func:`train_ensemble`.
    init_seed : int
        Seed of the initial weights and of the minibatches.
    amp : bool, optional
        bfloat16 autocast; default True on CUDA.
    ledger : RunLedger, optional
        The run is recorded there once trained, keyed by the pools' data, the members and every
        setting; called again with the same ledger, a recorded run is taken from it instead of
        trained (a study interrupted and started again resumes). With ``keep_net`` the trained
        weights are kept beside the ledger too, and a recorded run is reused only where they are.
    keep_net : bool
        Whether the caller needs the trained network (``EnsembleRun.net``); without it a run
        taken from the ledger has ``net = None``.
    progress : bool
        Show the training's progress (:func:`train_ensemble`).
    measure : callable, optional
        A measurement of the trained network (e.g. its hidden layers' sensitivities), called with
        the :class:`EnsembleRun` once its network is trained (or loaded) and returning a plain,
        JSON-able dict, found as ``EnsembleRun.measured``. With a ledger it is recorded there too,
        keyed by the run and ``measure_about``, so a run whose rows and measurement are both recorded
        is resumed without its weights: a ledger carried to another machine resumes it whole.
    measure_about : mapping, optional
        What determines the measurement besides the trained network (its name, a fingerprint of the
        inputs it reads): part of the measurement's key.

    Returns
    -------
    EnsembleRun
        Its rows carry ``pool`` besides the :func:`~cooc.train.grammar.curves.learning_curve` keys.
    """
    S = pools.X.shape[0]
    for name, given in (("seeds", seeds), ("samples", samples)):
        if given is not None and not isinstance(given, (Sequence, Mapping, np.ndarray)):  # seeds=3: not 3 seeds
            raise InvalidParameterError(f"ensemble_curve: parameter {name!r} is a sequence, got {given!r}.")
    seeds = list(range(S)) if seeds is None else list(seeds)
    if len(seeds) != S:
        raise InvalidParameterError(f"ensemble_curve: one seed label per pool ({S}), got {len(seeds)}.")
    per_pool = samples if isinstance(samples, Mapping) else {i: samples for i in range(S)}
    outside = [i for i in per_pool if not (isinstance(i, (int, np.integer)) and 0 <= i < S)]
    if outside:  # -1 trained the last pool under the label -1
        raise InvalidParameterError(f"ensemble_curve: 'samples' names pools {outside}, outside 0..{S - 1}.")
    _check_sizes({i: per_pool[i] for i in per_pool}, "ensemble_curve")
    members = [(int(i), int(P)) for i in sorted(per_pool) for P in sorted(set(per_pool[i]))]
    if not members:
        raise InvalidParameterError("ensemble_curve: no training-set size was given.")
    device = pools.X.device
    amp = device.type == "cuda" if amp is None else amp

    def build() -> EnsembleNetwork:
        return EnsembleNetwork(
            kind, len(members), pools.X.shape[3], pools.X.shape[2], pools.n_out, width, filter_size, depth, init_seed
        ).to(device)

    def measured(run: EnsembleRun) -> EnsembleRun:
        if found is not None:
            run.measured = found["measured"]
        elif measure is not None:
            run.measured = jsonable(measure(run))  # as the ledger gives it back: a resumed run reads the same
            if ledger is not None:
                ledger.add(measure_key, {"measured": run.measured})
        return run

    key, weights, measure_key, found = "", None, "", None
    if ledger is not None:
        settings = dict(width=width, filter_size=filter_size, depth=depth, steps=steps, batch_size=batch_size, lr=lr,
                        loss_tol=loss_tol, eval_every=eval_every, init_seed=init_seed, amp=amp)  # fmt: skip
        key = run_key({"run": "ensemble_curve", "data": pools_fingerprint(pools), "kind": kind, "members": members,
                       "seeds": seeds, "settings": settings, "device": device.type})  # fmt: skip
        weights = ledger.checkpoints / f"{key[:20]}.npz"
        recorded = ledger.get(key)
        if measure is not None:
            measure_key = run_key({"run": "ensemble_curve measurement", "ensemble": key, **(measure_about or {})})
            found = ledger.get(measure_key)
            if recorded is not None and found is not None and not keep_net:
                return EnsembleRun(None, members, recorded["rows"], found["measured"])  # type: ignore[arg-type]
        elif recorded is not None and not keep_net:
            return EnsembleRun(None, members, recorded["rows"])  # type: ignore[arg-type]
        if recorded is not None and weights.is_file():
            net = build()
            with np.load(weights) as arrays:
                net.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files})
            return measured(EnsembleRun(net, members, recorded["rows"]))
    found = None  # a network trained afresh is measured afresh
    net = build()
    start = time.perf_counter()
    # A run in progress checkpoints beside the ledger and resumes from there (removed once recorded).
    in_progress = None if weights is None else weights.with_name(f"{key[:20]}-progress")
    fit = train_ensemble(
        net,
        pools,
        [i for i, _ in members],
        [P for _, P in members],
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        loss_tol=loss_tol,
        eval_every=eval_every,
        seed=init_seed,
        amp=amp,
        checkpoint=in_progress,
        progress=progress,
    )
    test = evaluate_ensemble(net, pools, [i for i, _ in members], amp=amp)
    synchronize(device)
    seconds = (time.perf_counter() - start + fit["resumed_seconds"]) / len(members)
    rows = [
        {
            "pool": i,
            "P": P,
            "seed": seeds[i],
            "train_error": float(fit["train_error"][k]),
            "train_loss": float(fit["train_loss"][k]),
            "test_error": float(test["test_error"][k]),
            "test_loss": float(test["test_loss"][k]),
            "chance_error": pools.chance_error(i),
            "steps": fit["steps"],
            "seconds": seconds,
        }
        for k, (i, P) in enumerate(members)
    ]
    # the weights and the measurement first: a run is recorded only once everything it needs is on disk
    run = measured(EnsembleRun(net, members, rows))
    if ledger is not None and weights is not None:
        if keep_net:
            weights.parent.mkdir(parents=True, exist_ok=True)
            atomic_save_npz(weights, **{k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})
        ledger.add(key, {"rows": rows})
        if in_progress is not None:
            shutil.rmtree(in_progress, ignore_errors=True)
    return run


def pools_fingerprint(pools: Pools) -> str:
    """SHA-256 of the pools' inputs and labels (values and shapes) and of their split into held-out and training rows."""
    return fingerprint(pools.X, pools.y, extra=(pools.n_test, list(pools.n_classes), list(pools.n_rows)))


__all__ = [
    "CHECKPOINT_FORMAT",
    "EnsembleNetwork",
    "EnsembleRun",
    "Pools",
    "KINDS",
    "ensemble_curve",
    "evaluate_ensemble",
    "pools_fingerprint",
    "train_ensemble",
]
