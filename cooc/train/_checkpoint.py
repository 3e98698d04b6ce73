"""Checkpoints of a training run: arrays in an ``.npz`` and the run's state in JSON.

A save never leaves the folder without a complete checkpoint, wherever it is interrupted:
it first completes a save that stopped after its commit (whose state names
``arrays.next.npz``, the name it is about to write), the new arrays are written beside the
old ones (``arrays.next.npz``), ``state.json`` is
then replaced by the new state naming them and their checksum (the commit point), the new
arrays take the place of the old (``arrays.npz``), and the state is written once more
naming that file. A load takes the arrays the state names, or ``arrays.npz`` when it holds
the checksum the state names (a save stopped between the last two steps). Arrays that do
not match their state are refused, never silently mixed. Nothing is pickled.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import CorruptFileError, OutputExistsError
from .._core.faults import fault_point
from .._core.io import atomic_save_npz, atomic_write_json, file_checksum, load_json, load_npz

STATE = "state.json"
ARRAYS = "arrays.npz"
#: the new arrays of a save in progress (named by the state between its two writes)
NEXT = "arrays.next.npz"
#: every file a checkpoint may hold
FILES = (STATE, ARRAYS, NEXT)


def save_checkpoint(directory: str | os.PathLike, arrays: dict[str, np.ndarray], state: dict[str, Any]) -> None:
    """Write ``arrays`` and ``state`` (plus the arrays' checksum) so that an interruption at any point
    leaves either the previous checkpoint or this one, complete (see the module's notes)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _finish_swap(directory)  # the state may name arrays.next.npz, which this save is about to overwrite
    atomic_save_npz(directory / NEXT, compress=False, **arrays)
    checksum = file_checksum(directory / NEXT)
    fault_point("checkpoint.arrays")
    atomic_write_json(directory / STATE, {**state, "arrays": NEXT, "arrays_checksum": checksum})
    fault_point("checkpoint.committed")
    os.replace(directory / NEXT, directory / ARRAYS)
    fault_point("checkpoint.replaced")
    atomic_write_json(directory / STATE, {**state, "arrays": ARRAYS, "arrays_checksum": checksum})


def _finish_swap(directory: Path) -> None:
    """Complete a save stopped after its commit: a state that names ``arrays.next.npz`` (which the next
    save overwrites before its own commit) is made to name ``arrays.npz`` holding the same arrays."""
    try:
        state = load_json(directory / STATE, "checkpoint state")
    except (OSError, CorruptFileError):  # no checkpoint yet, or one a load refuses anyway
        return
    if not isinstance(state, dict) or state.get("arrays") != NEXT:
        return
    expected = state.get("arrays_checksum")
    if (directory / NEXT).exists() and file_checksum(directory / NEXT, like=expected) == expected:
        os.replace(directory / NEXT, directory / ARRAYS)
    if (directory / ARRAYS).exists() and file_checksum(directory / ARRAYS, like=expected) == expected:
        atomic_write_json(directory / STATE, {**state, "arrays": ARRAYS})


def load_checkpoint(
    directory: str | os.PathLike, fmt: str, settings: dict[str, Any], required: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """Read a checkpoint written with the same ``fmt`` and ``settings``; None when there is none.

    A checkpoint of different settings raises :class:`OutputExistsError` (resuming it would
    mix two runs); a damaged one raises :class:`CorruptFileError`.
    """
    directory = Path(directory)
    if not (directory / STATE).exists():
        return None
    state = load_json(directory / STATE, "checkpoint state")
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise CorruptFileError(f"{str(directory / STATE)!r} is not a {fmt} checkpoint.")
    if state.get("settings") != settings:
        changed = _differences(settings, state.get("settings"))
        raise OutputExistsError(
            f"checkpoint {str(directory)!r} belongs to a run with other settings "
            f"({', '.join(changed)}); use another directory or delete it."
        )
    expected = state.get("arrays_checksum")
    named = state.get("arrays", ARRAYS)
    for name in dict.fromkeys([named if named in (ARRAYS, NEXT) else ARRAYS, ARRAYS]):
        path = directory / name
        if path.exists() and file_checksum(path, like=expected) == expected:
            return load_npz(path, required=required, what="checkpoint"), state
    raise CorruptFileError(f"checkpoint {str(directory)!r}: {ARRAYS} is missing or does not match {STATE}.")


def training_arrays(net: Any, opt: Any) -> dict[str, np.ndarray]:
    """A torch module's weights (``model/NAME``) and its optimiser's per-parameter state
    (``opt/INDEX/NAME``) as float32 arrays, for :func:`save_checkpoint`."""
    out = {f"model/{k}": v.detach().float().cpu().numpy() for k, v in net.state_dict().items()}
    for i, entry in opt.state_dict()["state"].items():
        for name, value in entry.items():
            out[f"opt/{i}/{name}"] = value.detach().float().cpu().numpy()
    return out


def restore_training(net: Any, opt: Any, arrays: dict[str, np.ndarray]) -> None:
    """Load what :func:`training_arrays` saved into ``net`` and ``opt`` (on the module's device;
    an optimiser's step counts stay on the CPU, as torch keeps them)."""
    import torch

    device = next(net.parameters()).device
    own = net.state_dict()
    net.load_state_dict({k: torch.from_numpy(arrays[f"model/{k}"]).to(own[k].dtype) for k in own})
    state = opt.state_dict()
    entries: dict[int, dict[str, Any]] = {}
    for key, value in arrays.items():
        if key.startswith("opt/"):
            _, i, name = key.split("/")
            tensor = torch.from_numpy(value)
            entries.setdefault(int(i), {})[name] = tensor if name == "step" else tensor.to(device)
    state["state"] = entries
    opt.load_state_dict(state)


def _differences(new: Any, old: Any, prefix: str = "") -> list[str]:
    """Dotted names of the entries that differ between two nested dicts."""
    if not isinstance(new, dict) or not isinstance(old, dict):
        return [prefix or "settings"] if new != old else []
    out = []
    for key in sorted(set(new) | set(old)):
        out += _differences(new.get(key), old.get(key), f"{prefix}.{key}" if prefix else key)
    return out
