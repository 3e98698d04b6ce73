"""The Sparse Random Hierarchy Model (Tomasini & Wyart, arXiv 2404.10727).

An RHM whose every production spreads its ``s`` informative children over ``s (s0 + 1)``
positions, the others holding an uninformative *empty* symbol; the empty symbol expands
into empties. A sentence has ``d = (s (s0 + 1))**L`` positions of which ``s**L`` are
informative, in the order of the underlying RHM sentence.

Two placements, as in the paper:

- ``sparsity="a"``: child ``k`` sits at a uniformly random place inside its own block of
  ``s0 + 1`` positions (``k (s0 + 1) .. k (s0 + 1) + s0``);
- ``sparsity="b"``: the ``s`` children occupy a uniformly random ordered subset of the
  ``s (s0 + 1)`` positions.

Token ids: informative symbols ``0 .. v-1``, the empty symbol ``v``; one-hot inputs encode
the empty symbol as a zero column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.device import array_module, to_numpy
from .._core.errors import InvalidParameterError
from .._core.params import Interval, OneOf, validate
from ._random import Seed, device_rng
from .rhm import MAX_TOKENS, RandomHierarchyModel, RHMSample, check_integer_tokens, check_seed, row_index

SPARSITY = ("a", "b")


class SRHMSample:
    """Sparse sentences with their underlying RHM sample.

    Attributes
    ----------
    tokens : array of shape (P, d)
        Ids ``0..v-1`` and ``v`` for empty positions.
    rhm : RHMSample
        The dense sentences and their trees (levels, choices).
    positions : list of L + 1 arrays
        ``positions[l]`` (P, s**l): where each level-``l`` node sits in the level-``l``
        sparse string (length ``(s (s0 + 1))**l``); ``positions[L]`` locates the
        informative tokens in ``tokens``.
    """

    def __init__(self, tokens: Any, rhm: RHMSample, positions: list[Any], v: int):
        self.tokens, self.rhm, self.positions, self.v = tokens, rhm, positions, int(v)

    @property
    def labels(self) -> Any:
        return self.rhm.labels

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def __getitem__(self, index: Any) -> SRHMSample:
        """Rows ``index`` (a slice, an integer array or a boolean mask) of every array."""
        index = row_index(index, len(self))
        return SRHMSample(self.tokens[index], self.rhm[index], [p[index] for p in self.positions], self.v)

    def ids(self) -> Any:
        """Token ids as int64, shape (P, d); the empty symbol is ``v``."""
        return self.tokens.astype(np.int64)

    def one_hot(self, dtype: Any = np.float32) -> Any:
        """One-hot inputs (P, v, d); empty positions are all-zero columns."""
        xp = array_module(self.tokens)
        P, d = self.tokens.shape
        out = xp.zeros((P, self.v + 1, d), dtype=dtype)
        flat = (xp.arange(P, dtype=np.int64)[:, None] * (self.v + 1) + self.tokens.astype(np.int64)) * d
        flat += xp.arange(d, dtype=np.int64)[None, :]
        out.reshape(-1)[flat.ravel()] = 1
        return out[:, : self.v, :]


def check_positions(s: int, s0: int, L: int, name: str) -> None:
    """Refuse sentences of more than ``MAX_TOKENS`` positions, ``(s (s0 + 1))**L`` (Python ints: no overflow;
    the product stops growing once past the bound, so a huge ``s0`` costs nothing)."""
    block = s * (s0 + 1)
    n = 1
    for _ in range(L):
        n *= block
        if n > MAX_TOKENS:
            break
    if n <= MAX_TOKENS:
        return
    if block.bit_length() * L <= 256:  # small enough to write out
        size = f"= {block}**{L} = {block**L:,}"
    else:
        size = f"> {MAX_TOKENS:,} (s = {s}, s0 >= 2**{s0.bit_length() - 1}, L = {L})"
    raise InvalidParameterError(
        f"{name}: n_positions = (s (s0 + 1))**L {size} tokens a sentence; at most {MAX_TOKENS:,} are allowed."
    )


class SparseRandomHierarchyModel:
    """An RHM with ``s0`` uninformative positions per informative symbol.

    Parameters
    ----------
    v, n_c, m, s, L, a, rule_seed
        As :class:`~cooc.grammars.rhm.RandomHierarchyModel`.
    s0 : int
        Empty positions added per informative symbol at each level.
    sparsity : {"a", "b"}
        Placement of the informative children (module notes).
    """

    def __init__(
        self,
        v: int,
        n_c: int,
        m: int,
        s: int,
        L: int,
        s0: int = 1,
        a: float | None = None,
        rule_seed: int = 0,
        sparsity: str = "a",
    ):
        validate(
            dict(s0=s0, sparsity=sparsity),
            {"s0": Interval(int, 0, None), "sparsity": OneOf(SPARSITY)},
            type(self).__name__,
        )
        self.rhm = RandomHierarchyModel(v, n_c, m, s, L, a=a, rule_seed=rule_seed)
        self.s0, self.sparsity = int(s0), sparsity
        check_positions(self.rhm.s, self.s0, self.rhm.L, type(self).__name__)
        self.v, self.n_c, self.m, self.s, self.L = v, n_c, m, s, L

    def params(self) -> dict[str, Any]:
        return {**self.rhm.params(), "s0": self.s0, "sparsity": self.sparsity}

    @property
    def block(self) -> int:
        """Positions produced by one node, ``s (s0 + 1)``."""
        return self.s * (self.s0 + 1)

    @property
    def n_positions(self) -> int:
        """Positions per sentence, ``(s (s0 + 1))**L``."""
        return self.block**self.L

    @property
    def empty(self) -> int:
        """Id of the empty symbol (``v``)."""
        return self.v

    def sample(self, n: int, seed: Seed = None, distinct: bool = False, device: str = "cpu") -> SRHMSample:
        """Draw ``n`` sparse sentences (``distinct`` applies to the informative content)."""
        check_seed(seed, "sample")
        if isinstance(seed, np.random.Generator):
            rule_stream = place_stream = seed
        else:
            sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
            rule_stream, place_stream = sequence.spawn(2)
        base = self.rhm.sample(n, seed=rule_stream, distinct=distinct, device=device)
        return self.sparsify(base, seed=place_stream, device=device)

    def sparsify(self, base: RHMSample, seed: Seed = None, device: str = "cpu") -> SRHMSample:
        """Spread the sentences of ``base`` over ``(s (s0 + 1))**L`` positions."""
        xp, rng = device_rng(seed, device)
        P = len(base)
        return self.arrange(base, [self._offsets(xp, rng, P, self.s**l) for l in range(self.L)])

    def arrange(self, base: RHMSample, offsets: list[Any]) -> SRHMSample:
        """Place the sentences of ``base`` with given offsets.

        Parameters
        ----------
        base : RHMSample
            The dense sentences and trees.
        offsets : list of L int arrays
            ``offsets[l]`` of shape (P, s**l, s): where each child of each level-``l`` node
            sits inside the node's block of ``s (s0 + 1)`` positions (ascending, as drawn by
            the placement rule; :meth:`offsets_of` recovers them from a sample).

        Raises
        ------
        InvalidParameterError
            Offsets of the wrong number or shape, outside ``[0, s (s0 + 1))``, or not strictly
            ascending along the children (two children in one position).
        """
        xp = array_module(base.tokens)
        P = len(base)
        offsets = self._check_offsets(xp, offsets, P)
        positions = [xp.zeros((P, 1), dtype=np.int64)]
        for l in range(self.L):
            where = positions[-1][:, :, None] * self.block + offsets[l]
            positions.append(where.reshape(P, -1))
        tokens = xp.full((P, self.n_positions), self.empty, dtype=base.tokens.dtype)
        rows = xp.arange(P, dtype=np.int64)[:, None]
        tokens[rows, positions[-1]] = base.tokens
        return SRHMSample(tokens, base, positions, self.v)

    def _check_offsets(self, xp: Any, offsets: Any, P: int) -> list[Any]:
        """``offsets`` as int64 arrays on ``xp``, after checking they place every child in its own position."""
        if not isinstance(offsets, (list, tuple)) or len(offsets) != self.L:
            n = len(offsets) if isinstance(offsets, (list, tuple)) else type(offsets).__name__
            raise InvalidParameterError(
                f"arrange: parameter 'offsets' must hold L = {self.L} arrays (one per level), got {n}."
            )
        checked = []
        for l, raw in enumerate(offsets):
            o = xp.asarray(raw)
            shape = (P, self.s**l, self.s)
            if tuple(o.shape) != shape:
                raise InvalidParameterError(
                    f"arrange: parameter 'offsets': offsets[{l}] must have shape {shape}, got {tuple(o.shape)}."
                )
            if not np.issubdtype(np.dtype(o.dtype), np.integer):
                raise InvalidParameterError(
                    f"arrange: parameter 'offsets': offsets[{l}] must be an integer array, got {o.dtype}."
                )
            o = o.astype(np.int64)
            if o.size and (int(o.min()) < 0 or int(o.max()) >= self.block):
                raise InvalidParameterError(
                    f"arrange: parameter 'offsets': offsets[{l}] must lie in [0, {self.block}) (the block of "
                    f"s (s0 + 1) positions), got values in [{int(o.min())}, {int(o.max())}]."
                )
            ascending = (o[:, :, 1:] > o[:, :, :-1]).all(axis=2)
            if o.size and not bool(ascending.all()):
                row, node = (int(i[0]) for i in np.nonzero(~np.asarray(to_numpy(ascending))))
                raise InvalidParameterError(
                    f"arrange: parameter 'offsets': offsets[{l}] must be strictly ascending along the children "
                    f"(distinct positions), got {to_numpy(o[row, node]).tolist()} at row {row}, node {node}."
                )
            checked.append(o)
        return checked

    def offsets_of(self, sample: SRHMSample) -> list[Any]:
        """The placement offsets of a sample, ``offsets[l]`` of shape (P, s**l, s) (inverse of :meth:`arrange`)."""
        P = len(sample)
        return [
            sample.positions[l + 1].reshape(P, -1, self.s) - sample.positions[l][:, :, None] * self.block
            for l in range(self.L)
        ]

    def random_offsets(self, P: int, level: int, seed: Seed = None, device: str = "cpu") -> Any:
        """Fresh placement offsets of the children of ``P`` sentences' level-``level`` nodes, shape (P, s**level, s)."""
        xp, rng = device_rng(seed, device)
        return self._offsets(xp, rng, P, self.s**level)

    def _offsets(self, xp: Any, rng: Any, P: int, nodes: int) -> Any:
        """Place the s children of each node inside its block: shape (P, nodes, s)."""
        s, width = self.s, self.s0 + 1
        if self.sparsity == "a":
            jitter = rng.integers(0, width, size=(P, nodes, s)) if self.s0 else xp.zeros((P, nodes, s), dtype=np.int64)
            return xp.arange(s, dtype=np.int64) * width + jitter.astype(np.int64)
        keys = rng.random(size=(P, nodes, self.block))  # a random ordered s-subset of the block
        return xp.sort(xp.argsort(keys, axis=2)[:, :, :s], axis=2).astype(np.int64)

    def parse(self, tokens: Any) -> RHMSample:
        """Parse sparse strings: check the placement, drop the empty positions, parse with the RHM parser.

        A row is valid when the model can produce it: it holds ``s**L`` informative tokens;
        level by level, from the tokens up, the ``s`` children of each node lie in one block
        of ``s (s0 + 1)`` positions, distinct nodes in distinct blocks, at offsets the
        placement rule allows (for ``"a"``, child ``k`` inside its own slot of ``s0 + 1``
        positions); and the dense string of the informative tokens is an RHM sentence.
        """
        xp = array_module(tokens)
        tokens = xp.asarray(tokens)
        check_integer_tokens(tokens, "parse")
        informative = tokens != self.empty
        counts = informative.sum(axis=1)
        ok = counts == self.rhm.n_positions
        rank = xp.cumsum(informative, axis=1) - 1  # place of each informative token in the dense string
        rows, cols = xp.nonzero(informative & ok[:, None])
        dense = xp.full((tokens.shape[0], self.rhm.n_positions), -1, dtype=np.int64)
        dense[rows, rank[rows, cols]] = tokens[rows, cols]
        ok = ok & self._placement_ok(xp, rows, cols, rank, tokens.shape[0])
        parsed = self.rhm.parse(dense)
        parsed.valid = parsed.valid & ok
        return parsed

    def _placement_ok(self, xp: Any, rows: Any, cols: Any, rank: Any, P: int) -> Any:
        """Whether the informative positions of each row decompose into an allowed placement, shape (P,)."""
        s, width = self.s, self.s0 + 1
        where = xp.zeros((P, self.rhm.n_positions), dtype=np.int64)  # ascending positions of the tokens
        where[rows, rank[rows, cols]] = cols
        ok = xp.ones(P, dtype=bool)
        for _ in range(self.L):  # from the tokens up to the root
            children = where.reshape(P, where.shape[1] // s, s)
            node, offset = children // self.block, children % self.block
            ok &= (node == node[:, :, :1]).all(axis=(1, 2))  # the s children share their parent's block
            if self.sparsity == "a":
                ok &= (offset // width == xp.arange(s, dtype=np.int64)).all(axis=(1, 2))
            where = node[:, :, 0]
            if where.shape[1] > 1:  # distinct nodes sit in distinct blocks
                ok &= (where[:, 1:] > where[:, :-1]).all(axis=1)
        return ok & (where[:, 0] == 0)
