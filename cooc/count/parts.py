"""The tasks of a distributed count, run on the Dask workers.

They are module-level functions so that they pickle by reference. Each is a pure function of
the corpus path, its shard list and the settings, so the scheduler may run any of them
again on another worker after a failure (:mod:`cooc.count.distributed`).
"""

from __future__ import annotations

import operator
import os
from functools import reduce
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import CorruptFileError, InputDataError
from ..corpus.store import TokenCorpus
from .local import count_planes
from .result import weigh_planes

_OPENED: dict[tuple[str, str], TokenCorpus] = {}


def open_part(path: str, shard_ids: list[int], expected: str | None) -> TokenCorpus:
    """The corpus at ``path`` restricted to ``shard_ids``, after checking that it is the client's
    corpus (``expected``: its identity, the checksum of its manifest) and verifying the part's shards."""
    import socket

    try:
        stamp = str(os.stat(os.path.join(path, "manifest.json")).st_mtime_ns)
    except OSError:
        stamp = ""
    corpus = _OPENED.get((path, stamp))
    if corpus is None:
        try:
            corpus = TokenCorpus.open(path, verify=False)  # the shards a task reads are verified below
        except CorruptFileError as exc:
            raise InputDataError(
                f"worker on {socket.gethostname()} cannot open the corpus ({exc}); workers read "
                f"it from its path, so on several machines it must be on a shared filesystem "
                f"mounted at the same path."
            ) from None
        _OPENED.clear()  # one corpus at a time: vocabularies can be large
        _OPENED[(path, stamp)] = corpus
    if expected is not None and corpus.identity != expected:
        raise InputDataError(
            f"worker on {socket.gethostname()} sees a different corpus at {path!r} than the client "
            f"(its manifest's checksum differs: rebuilt since, or another copy)."
        )
    entries = [corpus.manifest["shards"][k] for k in shard_ids]
    manifest = dict(
        corpus.manifest,
        shards=entries,
        n_tokens=sum(e["n_tokens"] for e in entries),
        n_docs=sum(e["n_docs"] for e in entries),
    )
    part = TokenCorpus(corpus.path, manifest, corpus.vocab, identity=corpus.identity)
    part.verify()  # the shards this task counts: a damaged file is an error here, never a crash or a wrong count
    return part


def count_part(
    path: str,
    shard_ids: list[int],
    expected: str | None,
    V: int,
    window: int,
    weighting: str,
    per_offset: bool,
    options: dict[str, Any],
    total_tokens: int,
    split: Any,
) -> dict[str, Any]:
    """Count some shards into integer forward planes (split into symmetrised row blocks when ``split``).

    Returns
    -------
    dict
        ``planes`` (list of CSR (V, V), int64) or ``blocks`` (one list of CSR (R_b, V) per
        block), ``offsets`` (whether planes are per offset) and ``stats``.
    """

    part = open_part(path, shard_ids, expected)
    symmetric = split is not None and split[1]  # blocks of F + F^T (sums of parts stay exact integers)
    planes, plan, stats = count_planes(
        part,
        V,
        window,
        weighting,
        per_offset,
        total_tokens=total_tokens,
        progress=False,
        symmetrize=symmetric,
        **options,
    )
    result: dict[str, Any] = {"offsets": bool(plan.per_offset), "stats": _summable(stats)}
    if split is None:
        result["planes"] = planes
        return result
    bounds = split[0]
    result["blocks"] = [[m[a:b] for m in planes] for a, b in zip(bounds[:-1], bounds[1:])]
    return result


def _summable(stats: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "seconds",
        "count_seconds",
        "centres",
        "spills",
        "spilled_bytes",
        "engine",
        "device",
        "threads",
        "head_cells",
        "chunk_tokens",
        "memory",
    )
    return {k: stats[k] for k in keep if k in stats}


def sum_parts(*parts: Any) -> Any:
    """Add partial results: dicts from :func:`count_part`, lists of planes, or stats dicts."""
    first = parts[0]
    if isinstance(first, list):  # one block: a list of planes
        return [reduce(operator.add, ms) for ms in zip(*parts)]
    if "planes" in first:
        return {
            "planes": [reduce(operator.add, ms) for ms in zip(*(p["planes"] for p in parts))],
            "offsets": first["offsets"],
            "stats": _merge_stats([p["stats"] for p in parts]),
        }
    return _merge_stats(list(parts))


def _merge_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(stats[0])
    for key in ("seconds", "count_seconds", "centres", "spills", "spilled_bytes"):
        out[key] = sum(s.get(key, 0) for s in stats)
    return out


def pick_block(part: dict[str, Any], index: int) -> list[sp.csr_matrix]:
    """The planes of row block ``index`` of a part."""
    return part["blocks"][index]


def write_block(
    folder: str,
    index: int,
    start: int,
    planes: list[sp.csr_matrix],
    ints: np.ndarray,
    scale: int,
    weighting: str,
    offsets: bool,
    total_tokens: int,
    per_offset: bool,
) -> dict[str, Any]:
    """Weigh a reduced row block exactly as the single-machine counter does, and write it."""
    from ..cooccurrence.blocked import save_block

    exact = not offsets or 2 * total_tokens * int(ints.sum()) < 2**62
    total, per = weigh_planes(planes, ints, scale, weighting, offsets, exact)
    return save_block(folder, index, start, total, per if per_offset else None)


__all__ = ["open_part", "count_part", "sum_parts", "pick_block", "write_block"]
