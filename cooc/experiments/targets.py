"""Target comparison: accuracy-against-K analogy curves for several targets of one co-occurrence matrix."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from .._core.errors import InvalidParameterError
from .._core.progress import ProgressBar
from ..cooccurrence.matrix import as_cooccurrence
from ..geometry.analogy import AccuracyCurve, accuracy_vs_k, load_questions
from ..spectral.estimator import EigenEmbedding


def compare_targets(
    cooc: Any,
    targets: Sequence[str] = ("m", "logm", "pmi", "ppmi", "mstar"),
    ks: Iterable[int] = (10, 20, 50, 100, 200),
    questions: Any = None,
    *,
    embed_params: dict[str, Any] | None = None,
    **curve_params: Any,
) -> dict[str, AccuracyCurve]:
    """Accuracy-against-K curves for several targets of one co-occurrence matrix.

    Each target is decomposed once, to ``max(ks)`` eigenpairs.

    Parameters
    ----------
    cooc : Cooccurrence or path (of counts saved by cooc count)
    targets : sequence of str
    ks : iterable of int
    questions : see :func:`evaluate_analogies`
    embed_params : dict, optional
        Passed to :class:`~cooc.spectral.estimator.EigenEmbedding` (p, which, solver, eps, device, progress, ...);
        with ``progress`` a bar also counts the targets.
    **curve_params
        Passed to :func:`accuracy_vs_k` (protocol, method, query, exclude_query, ...).

    Returns
    -------
    dict of target name to AccuracyCurve
    """
    cooc = as_cooccurrence(cooc)  # a path: its len() was the length of the string
    if isinstance(targets, str):  # "pmi" would fit the targets 'p', 'm' and 'i'
        raise InvalidParameterError(
            f"compare_targets: 'targets' is a sequence of target names; for one give [{targets!r}], got the string."
        )
    ks = sorted(set(int(k) for k in ks))
    if questions is None or isinstance(questions, (str, os.PathLike)):
        questions = load_questions(questions)
    embed_params = dict(embed_params or {})
    dim = min(max(ks), len(cooc))
    curves = {}
    bar = ProgressBar("targets", total=len(targets), unit="targets") if embed_params.get("progress") else None
    try:
        for target in targets:
            if bar is not None:
                bar.set_description(f"target {target}")
            model = EigenEmbedding(target=target, dim=dim, **embed_params).fit(cooc)
            curves[target] = accuracy_vs_k(model, [k for k in ks if k <= dim], questions, label=target, **curve_params)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return curves


__all__ = ["compare_targets"]
