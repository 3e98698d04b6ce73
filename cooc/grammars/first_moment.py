"""The mean number of extra derivation trees of a varying-tree sentence, over random grammars.

A sentence of the varying-tree grammar (arXiv 2602.06065; docs/science.md, section 6) has
its own tree and, when it is ambiguous, others. This module computes the *first moment* of
that ambiguity: for a sentence with a given tree shape, the expected number of other trees,
averaged over the grammar's random rules, in the limit of many symbols (``v`` large). By
Markov's inequality it bounds the fraction of ambiguous sentences from above: where it stays
small as the depth ``L`` grows, most sentences are unambiguous at every depth; where it grows
without bound, ambiguity can take over (a necessary condition, not a sufficient one).

Why it is computable. Each symbol owns ``m2 = f v`` binary and ``m3 = f v**2`` ternary
productions, and no tuple of symbols has two parents (the rules of a level are distinct
tuples), so ``v m2 = f v**2`` of the ``v**2`` pairs and ``v m3 = f v**3`` of the ``v**3``
triples are right-hand sides: a given tuple of symbols is one with probability ``f``. Take a
candidate tree over the sentence, with every leaf at depth ``L``. A node of it that repeats
the sentence's own tree below it (same level, same span, same children, down to the leaves)
carries its own symbol and is valid with probability 1. Any other node has a tuple of
children that is not the one the grammar drew, so it is valid with probability ``f``, and
when valid its symbol is a fresh draw; as ``v`` grows these events become independent, and a
fresh symbol equals a given one with probability ``1 / v`` only (the rejoinings of the
sentence's own tree that make same-class ambiguity, measured in ``experiments.varying_tree``,
vanish in this limit). So the expected number of trees is the sum over candidate trees of
``f ** (number of nodes that do not repeat the own tree)``, and every other tree has a root
that differs from the class with probability ``1 - 1/v``: in the limit the first moment of
ambiguity and of class ambiguity are the same number.

The sum is an inside pass over spans: ``Z_l[i, j]``, the weighted number of level-``l``
subtrees over tokens ``i..j``, is ``f`` times the sum over the ways to cut the span into two
or three level-``(l-1)`` subtrees, plus ``1 - f`` where ``(i, j)`` is a node of the own tree
(whose own cut counts 1, not ``f``). A level-``l`` subtree spans ``2**l`` to ``3**l`` tokens.
The triple cuts are done as a pair product followed by one more factor, so a level costs the
number of nonzero pair products times a row of ``Z``, not the cube of a row; entries below
``cut`` (default ``1e-12``, on a scale where the own tree weighs 1) are dropped. Memory is three
dense ``(n + 1) x (n + 1)`` float64 tables for a sentence of ``n`` tokens (19 MB each at ``L = 8``
and the typical ``n = 2.5**8``). One sentence takes about a second on one core at ``L = 8``, 10 s at ``L = 9``.

Where the transition is. The nodes of an extra tree that do not repeat the own tree form a
connected top part that contains the root (a node above a new node is new). Its lowest nodes
sit at some depth ``d - 1`` below the root, where they regroup the own tree's depth-``d`` nodes,
so the first moment splits into contributions ``C(d)``, one per depth reached
(:func:`depth_contributions`). ``C(d)`` depends only on the top ``d`` levels of the shape: the
first moment of the top ``k`` levels (their depth-``k`` nodes taken as tokens) is
``C(1) + ... + C(k)``, so on one shape all the ``C(d)`` come from its truncations, and the
first moment at depth ``L`` is their sum up to ``L``. It stays finite as ``L`` grows when
``C(d)`` shrinks geometrically, and grows without bound when the ratio
``lambda(d) = E C(d + 1) / E C(d)`` stays at or above 1: the f where ``lambda(d)`` crosses 1
is the depth-``d`` estimate of the first moment's threshold (:func:`growth_by_depth`). Ratios
of contributions measured on the same shapes are far less noisy than differences of first
moments drawn on separate shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from .._core.numba_cache import kernel
from .._core.params import Interval, validate
from .._core.progress import ProgressBar
from .._core.threads import available_cores
from ._random import Seed, numpy_rng


def sample_shapes(L: int, n: int, p2: float = 0.5, seed: Seed = 0) -> list[list[np.ndarray]]:
    """``n`` random tree shapes of depth ``L``: each node has two children with probability ``p2``, else three.

    A shape is a list of ``L`` int arrays, top-down: entry ``d`` holds the number of children
    of each node at depth ``d``, left to right (so entry 0 has one element, the root's).
    """
    limits = {"L": Interval(int, 1, None), "n": Interval(int, 1, None), "p2": Interval(float, 0, 1, "neither")}
    validate({"L": L, "n": n, "p2": p2}, limits, "sample_shapes")
    rng = numpy_rng(seed)
    shapes = []
    for _ in range(n):
        shape, width = [], 1
        for _depth in range(L):
            children = np.where(rng.random(width) < p2, 2, 3)
            shape.append(children)
            width = int(children.sum())
        shapes.append(shape)
    return shapes


def shape_spans(shape: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Token spans ``(start, end)`` of the nodes of a shape, per level from the bottom.

    Entry ``l - 1`` is an int array of shape (nodes at level ``l``, 2) for ``l = 1 .. L``
    (level ``l`` sits ``l`` levels above the tokens; level ``L`` is the root).
    """
    n = int(np.asarray(shape[-1]).sum())
    starts, ends = np.arange(n), np.arange(1, n + 1)
    spans = []
    for children in reversed(shape):
        bounds = np.concatenate([[0], np.cumsum(children)])
        starts, ends = starts[bounds[:-1]], ends[bounds[1:] - 1]
        spans.append(np.stack([starts, ends], axis=1))
    return spans


@kernel
def _level(Z, n, f, child_lo, child_hi, cut):  # pragma: no cover - compiled; the Python path is tested
    """One level of the inside pass: every cut of a span into two or three children of the level below.

    Children of the level below span ``child_lo`` to ``child_hi`` tokens (the loops visit only
    those), so two or three of them span a length the level allows by construction.
    """
    pairs = np.zeros_like(Z)
    for i in range(n):
        for a in range(i + child_lo, min(n, i + child_hi) + 1):
            za = Z[i, a]
            if za <= cut:
                continue
            for j in range(a + child_lo, min(n, a + child_hi) + 1):
                zb = Z[a, j]
                if zb > cut:
                    pairs[i, j] += za * zb
    out = np.zeros_like(Z)
    for i in range(n):
        for j in range(i + 2 * child_lo, min(n, i + 2 * child_hi) + 1):
            p = pairs[i, j]
            if p <= cut:
                continue
            out[i, j] += f * p
            for k in range(j + child_lo, min(n, j + child_hi) + 1):
                zc = Z[j, k]
                if zc > cut:
                    out[i, k] += f * p * zc
    return out


def extra_trees(shape: Sequence[np.ndarray], f: float, cut: float = 1e-12) -> float:
    """Expected number of derivation trees other than its own, for a sentence of this shape (``v`` large).

    Parameters
    ----------
    shape : list of int arrays
        The sentence's own tree, as :func:`sample_shapes` returns it.
    f : float
        The grammar's ambiguity parameter: a tuple of symbols is a right-hand side with probability ``f``.
    cut : float
        Weights at or below it are dropped (0: the exact sum).
    """
    validate({"f": f, "cut": cut}, {"f": Interval(float, 0, 1), "cut": Interval(float, 0, None)}, "extra_trees")
    n = int(np.asarray(shape[-1]).sum())
    Z = np.zeros((n + 1, n + 1))
    Z[np.arange(n), np.arange(1, n + 1)] = 1.0
    for l, spans in enumerate(shape_spans(shape), start=1):
        Z = _level(Z, n, float(f), 2 ** (l - 1), 3 ** (l - 1), float(cut))
        Z[spans[:, 0], spans[:, 1]] += 1.0 - f
    return float(Z[0, n] - 1.0)


def expected_extra_trees(
    L: int,
    f_values: Sequence[float],
    n: int = 200,
    p2: float = 0.5,
    seed: Seed = 0,
    cut: float = 1e-12,
    progress: bool = True,
    threads: int | None = None,
) -> dict[str, Any]:
    """The first moment of ambiguity against ``f`` at depth ``L``, over ``n`` sampled sentence shapes.

    The same shapes serve every ``f``. The mean over shapes is the expected number of extra
    trees of a random sentence; where it explodes it is carried by few shapes, so the median
    and the share of shapes with more than one expected extra tree are returned too. A
    progress bar counts the (shape, f) pairs on a terminal (``progress=False``: none).
    Shapes are computed on ``threads`` threads at once (None: every core this process may use;
    the compiled kernel releases the GIL), each holding its own three tables; the result does
    not depend on the number of threads.

    Returns
    -------
    dict with ``L``, ``n``, ``p2``, ``f`` and, as lists over ``f``: ``mean``, ``mean_se``
    (standard error over shapes), ``median``, ``above_one`` (fraction of shapes whose
    expected number of extra trees exceeds 1).
    """
    out: dict[str, Any] = {"L": L, "n": n, "p2": p2, "f": [float(f) for f in f_values]}
    for key in ("mean", "mean_se", "median", "above_one"):
        out[key] = []
    label = f"first moment, L = {L}"
    for values in _each_f(label, extra_trees, out["f"], sample_shapes(L, n, p2, seed), cut, threads, progress):
        out["mean"].append(float(values.mean()))
        out["mean_se"].append(float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"))
        out["median"].append(float(np.median(values)))
        out["above_one"].append(float((values > 1).mean()))
    return out


def depth_contributions(shape: Sequence[np.ndarray], f: float, cut: float = 1e-12) -> np.ndarray:
    """The extra trees of a sentence split by how deep their new nodes reach, shape (L,).

    Entry ``d - 1`` (``d = 1 .. L``) is ``C(d)``: the expected number of extra trees whose
    deepest node that does not repeat the own tree sits ``d - 1`` levels below the root (so it
    regroups the own tree's nodes at depth ``d``). It is the first moment of the shape's top
    ``d`` levels less that of its top ``d - 1``; the entries sum to :func:`extra_trees` of the
    shape (up to the ``cut``, which can leave an entry a hair below 0). ``C(1) = 0``: one level
    has only its own tree.
    """
    totals = [extra_trees(shape[:k], f, cut) for k in range(1, len(shape) + 1)]
    return np.diff(np.asarray([0.0] + totals))


def growth_by_depth(
    L: int,
    f_values: Sequence[float],
    n: int = 200,
    p2: float = 0.5,
    seed: Seed = 0,
    cut: float = 1e-12,
    progress: bool = True,
    threads: int | None = None,
) -> dict[str, Any]:
    """Per-depth contributions ``C(d)`` and their growth ``lambda(d)`` over ``n`` depth-``L`` shapes.

    Every f uses the same shapes, and every depth the same shapes' truncations, so each ratio
    compares contributions of the same sentences. The standard error of a ratio of means
    ``a / b`` over shapes is the delta method's, ``sd(a_i - r b_i) / (sqrt(n) mean(b))``.
    ``threads`` as in :func:`expected_extra_trees`.

    Returns
    -------
    dict with ``L``, ``n``, ``p2``, ``f``, ``depths`` (1 .. L) and, per f (lists over f of lists
    over depth): ``contribution`` and ``contribution_se`` (mean ``C(d)`` over shapes and its
    standard error), ``moment`` (the first moment at each depth, the running sum of
    ``contribution``), and ``growth`` and ``growth_se`` for ``lambda(d) = E C(d) / E C(d - 1)``
    at ``growth_depths`` (3 .. L; ``C(1)`` is 0). NaN where the denominator is 0.
    """
    validate({"L": L}, {"L": Interval(int, 3, None)}, "growth_by_depth")
    out: dict[str, Any] = {"L": L, "n": n, "p2": p2, "f": [float(f) for f in f_values]}
    out["depths"], out["growth_depths"] = list(range(1, L + 1)), list(range(3, L + 1))
    for key in ("contribution", "contribution_se", "moment", "growth", "growth_se"):
        out[key] = []
    label, shapes = f"growth by depth, L = {L}", sample_shapes(L, n, p2, seed)
    for C in _each_f(label, depth_contributions, out["f"], shapes, cut, threads, progress):
        mean = C.mean(axis=0)
        out["contribution"].append(mean.tolist())
        out["contribution_se"].append((C.std(axis=0, ddof=1) / np.sqrt(n)).tolist() if n > 1 else [np.nan] * L)
        out["moment"].append(np.cumsum(mean).tolist())
        ratios = [_ratio_of_means(C[:, d - 1], C[:, d - 2]) for d in out["growth_depths"]]
        out["growth"].append([r for r, _ in ratios])
        out["growth_se"].append([se for _, se in ratios])
    return out


def _each_f(
    label: str,
    compute: Callable[..., Any],
    f_values: Sequence[float],
    shapes: Sequence[Any],
    cut: float,
    threads: int | None,
    progress: bool,
) -> Iterator[np.ndarray]:
    """For each f, ``compute(shape, f=f, cut=cut)`` of every shape as one array; one progress bar for all."""
    with ProgressBar(label, total=len(shapes) * len(f_values), unit="shapes", enabled=progress) as bar:
        for f in f_values:
            yield np.array(_over_shapes(partial(compute, f=f, cut=cut), shapes, threads, bar))


def _over_shapes(compute: Callable[[Any], Any], shapes: Sequence[Any], threads: int | None, bar: Any) -> list[Any]:
    """``compute`` of every shape, in order, on up to ``threads`` threads; the bar advances per shape."""
    validate({"threads": threads}, {"threads": Interval(int, 1, None, allow_none=True)}, "first moment")
    if threads is None:
        threads = available_cores()
    results = []
    if threads == 1 or len(shapes) == 1:
        for shape in shapes:
            results.append(compute(shape))
            bar.update(1)
        return results
    with ThreadPoolExecutor(min(threads, len(shapes))) as pool:
        for value in pool.map(compute, shapes):
            results.append(value)
            bar.update(1)
    return results


def _ratio_of_means(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``mean(a) / mean(b)`` over paired samples and its delta-method standard error (NaN when undefined)."""
    if b.mean() <= 0:
        return float("nan"), float("nan")
    r = a.mean() / b.mean()
    se = np.std(a - r * b, ddof=1) / (np.sqrt(a.size) * b.mean()) if a.size > 1 else np.nan
    return float(r), float(se)


__all__ = [
    "depth_contributions",
    "expected_extra_trees",
    "extra_trees",
    "growth_by_depth",
    "sample_shapes",
    "shape_spans",
]
