"""Label-preserving transformations of hierarchical sentences: synonym exchange and discrete diffeomorphisms.

These are the perturbations against which arXiv 2307.02129 and arXiv 2404.10727 measure the
invariance of a network's representations (docs/science.md, section 6):

- **synonym exchange** at level ``l`` (:func:`synonym_exchange`): every node of tree level
  ``l`` (0 is the class) switches to another of its symbol's ``m`` productions, so its
  ``s``-tuple of children becomes a synonymous tuple; the levels above are untouched (so
  the class is kept) and the subtrees below are re-expanded with their original choices.
  Exchanging at the last internal level, ``l = L - 1``, swaps every ``s``-tuple of tokens
  for a synonym. Choice made here, which the papers leave open: the new production is
  uniform among the *other* ``m - 1`` (every tuple changes), not among all ``m``.
- **discrete diffeomorphism** at level ``l`` of a sparse RHM (:func:`diffeomorphism`):
  the informative children of every level-``l`` node move to other places among the empty
  positions of the node's block, the dense sentence (hence every symbol, and the class)
  unchanged; placements above ``l`` stay, placements below move with their parents.
  Choice made here: with placement ``"a"`` every child takes a different place inside its
  own slot of ``s0 + 1`` positions (uniform among the ``s0`` others); with placement ``"b"``
  the children of each node take a fresh ordered ``s``-subset of the block, different from
  the old one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from ._random import Seed, numpy_rng
from .rhm import RandomHierarchyModel, RHMSample
from .srhm import SparseRandomHierarchyModel, SRHMSample


def synonym_exchange(model: RandomHierarchyModel, sample: RHMSample, level: int, seed: Seed = None) -> RHMSample:
    """Swap the productions of every level-``level`` node for synonymous ones (CPU arrays).

    Parameters
    ----------
    model : RandomHierarchyModel
        The grammar of ``sample`` (needs ``m >= 2``).
    sample : RHMSample
        Sentences with their trees (as sampled, not parsed).
    level : int in [0, L)
        Tree level whose productions change (``L - 1``: the tuples of tokens).
    seed : int, Generator or None

    Returns
    -------
    RHMSample
        Same classes, same symbols at levels ``<= level``; the token strings are sentences of the grammar.
    """
    _check_level(level, model.L)
    if model.m < 2:
        raise InvalidParameterError("synonym_exchange needs m >= 2 productions per symbol.")
    rng = numpy_rng(seed)
    choices = [np.asarray(c).astype(np.int64) for c in sample.choices]
    shift = rng.integers(1, model.m, size=choices[level].shape)
    choices[level] = (choices[level] + shift) % model.m
    return model.expand(np.asarray(sample.labels), choices)


def diffeomorphism(model: SparseRandomHierarchyModel, sample: SRHMSample, level: int, seed: Seed = None) -> SRHMSample:
    """Move the informative children of every level-``level`` node among the empty positions of its block.

    Parameters
    ----------
    model : SparseRandomHierarchyModel
        The grammar of ``sample`` (needs ``s0 >= 1``).
    sample : SRHMSample
    level : int in [0, L)
        Tree level whose placements change (``L - 1``: the tokens move inside their slots).
    seed : int, Generator or None

    Returns
    -------
    SRHMSample
        The same dense sentences and trees, differently placed.
    """
    _check_level(level, model.L)
    if model.s0 < 1:
        raise InvalidParameterError("diffeomorphism needs s0 >= 1 empty positions to move the tokens into.")
    rng = numpy_rng(seed)
    offsets = [np.asarray(o) for o in model.offsets_of(sample)]
    old = offsets[level]
    P, nodes, s = old.shape
    width = model.s0 + 1
    if model.sparsity == "a":
        slot = np.arange(s) * width
        jitter = (old - slot + rng.integers(1, width, size=old.shape)) % width
        new = slot + jitter
    else:
        new = old.copy()
        todo = np.ones((P, nodes), dtype=bool)
        for _ in range(1000):
            if not todo.any():
                break
            fresh = np.asarray(model.random_offsets(P, level, seed=rng))
            new = np.where(todo[:, :, None], fresh, new)
            todo = (new == old).all(axis=2)
        else:  # pragma: no cover - each round leaves a row unchanged with probability <= 1/2
            raise InvalidParameterError("could not draw different placements; the block has a single one.")
    offsets[level] = new
    return model.arrange(sample.rhm, offsets)


def _check_level(level: Any, L: int) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level < L:
        raise InvalidParameterError(f"parameter 'level' must be an integer in [0, L = {L}), got {level!r}.")


__all__ = ["diffeomorphism", "synonym_exchange"]
