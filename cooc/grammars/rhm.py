"""The Random Hierarchy Model (Cagnetta et al., arXiv 2307.02129).

A class (the root, level 0) expands through ``L`` levels of production rules into a
string of ``s**L`` tokens. Each level has ``v`` symbols; each class or symbol owns ``m``
productions ("synonyms"), each an ``s``-tuple of symbols of the next level. A level's
tuples are drawn without replacement, so no tuple has two parents and the tree of any
valid string is unique: :meth:`RandomHierarchyModel.parse` recovers it exactly.

Levels are counted from the root: level 0 holds the class (one node), level ``l`` holds
``s**l`` nodes, level ``L`` is the token string. A sample's *index* in ``[0, P_max)`` is
the mixed-radix number whose most significant digit is the class (base ``n_c``),
followed by the production chosen at each internal node (base ``m``), level by level,
left to right; :meth:`~RandomHierarchyModel.from_indices` decodes it and
:meth:`~RandomHierarchyModel.indices_of` encodes it back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.device import array_module, to_numpy
from .._core.errors import InvalidParameterError
from .._core.params import Interval, fail, validate
from ._random import Seed, device_rng, numpy_rng, symbol_dtype, uniform_choices, weighted_choices

#: The longest sentence a grammar of this package may have (tokens): beyond it a sentence alone fills memory.
MAX_TOKENS = 1 << 20

INT63 = 2**63


def row_index(index: Any, n: int) -> Any:
    """``index`` into the rows of a sample of ``n`` sentences: an integer (negative counts from the end)
    becomes a slice of one row, so the result stays a sample; anything else is returned as it is.

    Raises
    ------
    IndexError
        An integer outside ``[-n, n)``.
    """
    if not isinstance(index, (int, np.integer)):
        return index
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"sample index {i} out of range for {n} sentences")
    i %= n
    return slice(i, i + 1)


class RHMSample:
    """Samples of a hierarchical grammar with their latent trees.

    Attributes
    ----------
    levels : list of L + 1 arrays
        ``levels[l]`` has shape (P, s**l): the symbols at level ``l`` (``levels[0]`` is the
        class, ``levels[L]`` the tokens). Parsed samples use -1 where the input is invalid.
    choices : list of L arrays
        ``choices[l]`` has shape (P, s**l): the production used at each node of level ``l``.
    v : int
        Symbols per level (the token vocabulary size).
    valid : ndarray of bool, shape (P,), or None
        Set by :meth:`RandomHierarchyModel.parse`: whether each string is a sentence.
    """

    def __init__(self, levels: list[Any], choices: list[Any], v: int, valid: Any = None):
        self.levels = levels
        self.choices = choices
        self.v = int(v)
        self.valid = valid

    @property
    def tokens(self) -> Any:
        """Token ids, shape (P, s**L), in the model's symbol dtype."""
        return self.levels[-1]

    @property
    def labels(self) -> Any:
        """Class labels, shape (P,)."""
        return self.levels[0][:, 0]

    def __len__(self) -> int:
        return int(self.levels[0].shape[0])

    def __getitem__(self, index: Any) -> RHMSample:
        """Rows ``index`` (a slice, an integer array or a boolean mask) of every array."""
        index = row_index(index, len(self))
        valid = None if self.valid is None else self.valid[index]
        return RHMSample([a[index] for a in self.levels], [c[index] for c in self.choices], self.v, valid)

    def ids(self) -> Any:
        """Token ids as int64, shape (P, s**L) (input of transformers / embeddings)."""
        return self.tokens.astype(np.int64)

    def one_hot(self, dtype: Any = np.float32) -> Any:
        """One-hot inputs of shape (P, v, s**L) (input of CNNs, channels = symbols)."""
        xp = array_module(self.tokens)
        P, n = self.tokens.shape
        out = xp.zeros((P, self.v, n), dtype=dtype)
        # flat position of (p, token, j) in a C-ordered (P, v, n) array
        flat = (xp.arange(P, dtype=np.int64)[:, None] * self.v + self.tokens.astype(np.int64)) * n
        flat += xp.arange(n, dtype=np.int64)[None, :]
        out.reshape(-1)[flat.ravel()] = 1
        return out

    def next_token(self) -> tuple[Any, Any]:
        """Next-token task: ``(context, target)`` with context shape (P, s**L - 1) and target (P,).

        The target is the last token; the context the tokens before it (int64 ids).
        """
        ids = self.ids()
        return ids[:, :-1], ids[:, -1]

    def latent(self) -> Any:
        """Internal nodes of every tree, shape (P, (s**L - 1) / (s - 1)), level by level."""
        xp = array_module(self.tokens)
        return xp.concatenate(self.levels[:-1], axis=1)


def check_seed(seed: Any, owner: str) -> None:
    """Refuse a negative integer seed with the project's message (numpy's own error does not name the parameter)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed < 0:
        raise fail("seed", seed, "a non-negative integer, a numpy Generator, a SeedSequence or None", owner)


def as_torch(array: Any, device: str | None = None) -> Any:
    """A torch tensor sharing memory with a numpy or CuPy array (DLPack), optionally moved."""
    import torch

    if type(array).__module__.split(".")[0] == "cupy":
        tensor = torch.from_dlpack(array)
    else:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    return tensor if device is None else tensor.to(device)


def production_probabilities(m: int, a: float | None) -> np.ndarray:
    """Probability of each of the ``m`` productions: uniform, or ``f_k ~ k^-(1+a)`` (arXiv 2505.07067)."""
    if a is None:
        return np.full(m, 1.0 / m)
    weights = np.arange(1, m + 1, dtype=np.float64) ** -(1.0 + a)
    return weights / weights.sum()


class RandomHierarchyModel:
    """A Random Hierarchy Model with fixed rules.

    Parameters
    ----------
    v : int
        Symbols per level (and token vocabulary size).
    n_c : int
        Number of classes (root symbols).
    m : int
        Productions per class or symbol (synonyms); needs ``m <= v**(s-1)`` and ``n_c*m <= v**s``.
    s : int
        Branching factor (tuple length), at least 2.
    L : int
        Depth: a sentence has ``s**L`` tokens.
    a : float or None
        ``None`` for uniform productions; otherwise production ``k`` (1-based) has
        probability proportional to ``k**-(1+a)``.
    rule_seed : int
        Seed of the rules (the grammar itself); samples take their own seed.

    Attributes
    ----------
    rules : list of L int arrays
        ``rules[0]`` has shape (n_c, m, s), ``rules[l]`` shape (v, m, s) for ``l >= 1``:
        the children of each production of level ``l``.
    probs : ndarray of shape (m,)
        Production probabilities (the same for every symbol).
    """

    _constraints = {
        "v": Interval(int, 1, None),
        "n_c": Interval(int, 1, None),
        "m": Interval(int, 1, None),
        "s": Interval(int, 2, None),
        "L": Interval(int, 1, None),
        "a": Interval(float, 0, None, allow_none=True),
        "rule_seed": Interval(int, 0, None),
    }

    def __init__(self, v: int, n_c: int, m: int, s: int, L: int, a: float | None = None, rule_seed: int = 0):
        validate(dict(v=v, n_c=n_c, m=m, s=s, L=L, a=a, rule_seed=rule_seed), self._constraints, type(self).__name__)
        self.v, self.n_c, self.m, self.s, self.L = int(v), int(n_c), int(m), int(s), int(L)
        if self.L * math.log2(self.s) > math.log2(MAX_TOKENS):  # (its P_max alone has m**(s**L) digits)
            raise InvalidParameterError(
                f"{type(self).__name__}: s**L = {self.s}**{self.L} tokens a sentence; at most {MAX_TOKENS:,} are allowed."
            )
        self.a = None if a is None else float(a)
        self.rule_seed = int(rule_seed)
        check_rule_counts(self.v, self.n_c, self.m, self.s)
        self.dtype = symbol_dtype(max(self.v, self.n_c))
        self.probs = production_probabilities(self.m, self.a)
        self.rules = draw_rules(
            self.v, [self.n_c] + [self.v] * (self.L - 1), self.m, self.s, self.rule_seed, self.dtype
        )
        self._tables: dict[str, list[tuple[Any, Any]]] = {}
        self._parsers: dict[str, list[tuple[str, Any, Any]]] = {}

    # -- sizes ----------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The constructor's parameters."""
        return dict(v=self.v, n_c=self.n_c, m=self.m, s=self.s, L=self.L, a=self.a, rule_seed=self.rule_seed)

    def __repr__(self) -> str:
        return "RandomHierarchyModel(" + ", ".join(f"{k}={val!r}" for k, val in self.params().items()) + ")"

    @property
    def n_positions(self) -> int:
        """Tokens per sentence, ``s**L``."""
        return self.s**self.L

    @property
    def n_internal(self) -> int:
        """Internal nodes per tree (class included), ``(s**L - 1) / (s - 1)``."""
        return (self.s**self.L - 1) // (self.s - 1)

    @property
    def P_max(self) -> int:
        """Number of distinct sentences, ``n_c * m**((s**L - 1) / (s - 1))`` (exact Python int)."""
        return self.n_c * self.m**self.n_internal

    @property
    def uniform(self) -> bool:
        return self.a is None

    # -- sampling -------------------------------------------------------------------------
    def sample(self, n: int, seed: Seed = None, distinct: bool = False, device: str = "cpu") -> RHMSample:
        """Draw ``n`` sentences with their trees.

        Parameters
        ----------
        n : int
        seed : int, numpy Generator or None
        distinct : bool
            Draw ``n`` different sentences. With uniform productions and ``P_max < 2**63``
            these are distinct indices in ``[0, P_max)`` drawn on the CPU and decoded, so
            the result is identical on every device; otherwise i.i.d. draws are repeated
            and de-duplicated (sampling without replacement).
        device : "cpu", "cuda" or "auto"
            Where the arrays live. I.i.d. draws on CUDA use CuPy's generator: same
            distribution as on CPU, different samples for the same seed.

        Returns
        -------
        RHMSample
        """
        validate({"n": n}, {"n": Interval(int, 1, None)}, "sample")
        check_seed(seed, "sample")
        if distinct:
            if n > self.P_max:
                raise InvalidParameterError(
                    f"cannot draw {n} distinct sentences: this grammar has only P_max = {self.P_max}."
                )
            if self.uniform and self.P_max < INT63:
                indices = numpy_rng(seed).choice(self.P_max, size=n, replace=False)
                return self.from_indices(indices, device=device)
            return self._distinct_by_rejection(n, seed, device)
        xp, rng = device_rng(seed, device)
        return self._expand(xp, *self._draw_choices(xp, rng, n))

    def _draw_choices(self, xp: Any, rng: Any, n: int) -> tuple[Any, list[Any]]:
        labels = uniform_choices(xp, rng, (n,), self.n_c)
        if self.uniform:
            choices = [uniform_choices(xp, rng, (n, self.s**l), self.m) for l in range(self.L)]
        else:
            cum = np.cumsum(self.probs)
            choices = [weighted_choices(xp, rng, (n, self.s**l), cum) for l in range(self.L)]
        return labels, choices

    def _distinct_by_rejection(self, n: int, seed: Seed, device: str) -> RHMSample:
        xp, rng = device_rng(seed, device)
        parts: list[RHMSample] = []
        keys: set[bytes] = set()
        have = 0
        for _ in range(1000):
            batch = self._expand(xp, *self._draw_choices(xp, rng, max(16, int(1.1 * (n - have)))))
            rows = np.ascontiguousarray(to_numpy(batch.tokens))
            fresh = []
            for i, key in enumerate(map(bytes, rows)):
                if key not in keys:
                    keys.add(key)
                    fresh.append(i)
                    if have + len(fresh) == n:
                        break
            parts.append(batch[xp.asarray(np.asarray(fresh, dtype=np.int64))])
            have += len(fresh)
            if have == n:
                # in the order first seen, likely sentences come first and rare ones last (with power-law
                # productions): a caller holding out the first or last rows would hold out a biased part
                return concatenate_samples(parts)[xp.argsort(rng.random(n))]
        raise InvalidParameterError(
            f"could not find {n} distinct sentences by rejection (P_max = {self.P_max}); ask for fewer."
        )

    def from_indices(self, indices: Any, device: str = "cpu") -> RHMSample:
        """Decode sentence indices in ``[0, P_max)`` (shape (P,)) into sentences and trees.

        Needs ``P_max < 2**63`` (int64 indices). The decoding is exact and deterministic,
        so it gives identical arrays on every device.
        """
        if self.P_max >= INT63:
            raise InvalidParameterError(
                f"sentence indices need P_max < 2**63, but P_max = {self.n_c}*{self.m}**{self.n_internal}; sample i.i.d. instead."
            )
        xp, _ = device_rng(0, device)
        host = np.asarray(to_numpy(indices))
        if host.ndim != 1 or host.size == 0 or not np.issubdtype(host.dtype, np.integer):
            raise InvalidParameterError(
                f"indices must be a non-empty 1-D integer array, got shape {host.shape} of {host.dtype}."
            )
        if host.min() < 0 or host.max() >= self.P_max:
            raise InvalidParameterError(
                f"indices must lie in [0, P_max = {self.P_max}); got [{host.min()}, {host.max()}]."
            )
        rem = xp.asarray(host, dtype=np.int64).copy()
        choices: list[Any] = [None] * self.L
        for l in reversed(range(self.L)):
            digits = xp.empty((rem.shape[0], self.s**l), dtype=np.int32)
            for j in reversed(range(self.s**l)):
                digits[:, j] = rem % self.m
                rem //= self.m
            choices[l] = digits
        return self._expand(xp, rem, choices)

    def indices_of(self, sample: RHMSample) -> Any:
        """The index in ``[0, P_max)`` of each sentence of ``sample`` (inverse of :meth:`from_indices`).

        Raises
        ------
        InvalidParameterError
            ``sample`` holds rows that are not sentences (``valid`` False after :meth:`parse`).
        """
        if self.P_max >= INT63:
            raise InvalidParameterError(f"sentence indices need P_max < 2**63; this grammar has P_max = {self.P_max}.")
        if sample.valid is not None:
            invalid = np.flatnonzero(~np.asarray(to_numpy(sample.valid), dtype=bool))
            if invalid.size:
                raise InvalidParameterError(
                    f"indices_of: {invalid.size} of the {len(sample)} rows of parameter 'sample' are not sentences "
                    f"of the grammar (valid is False), the first is row {int(invalid[0])}; only sentences have an "
                    "index (select sample[sample.valid])."
                )
        index = sample.labels.astype(np.int64)
        for l in range(self.L):
            for j in range(self.s**l):
                index = index * self.m + sample.choices[l][:, j].astype(np.int64)
        return index

    def enumerate(self, limit: int = 10**7) -> RHMSample:
        """Every sentence of the grammar in index order (tiny settings only)."""
        if self.P_max > limit:
            raise InvalidParameterError(f"P_max = {self.P_max} sentences exceed the enumeration limit {limit}.")
        return self.from_indices(np.arange(self.P_max, dtype=np.int64))

    def expand(self, labels: Any, choices: Sequence[Any]) -> RHMSample:
        """Sentences and trees from given classes and production choices (on the arrays' device).

        Parameters
        ----------
        labels : int array of shape (P,)
            Classes in ``[0, n_c)``.
        choices : sequence of L int arrays
            ``choices[l]`` of shape (P, s**l), entries in ``[0, m)``: the production used at
            each node of level ``l`` (as in :attr:`RHMSample.choices`).

        Returns
        -------
        RHMSample
        """
        xp = array_module(labels)
        labels = xp.asarray(labels)
        if labels.ndim != 1 or len(choices) != self.L:
            raise InvalidParameterError(f"expand needs labels of shape (P,) and {self.L} arrays of choices.")
        P = labels.shape[0]
        for l, c in enumerate(choices):
            if tuple(c.shape) != (P, self.s**l):
                raise InvalidParameterError(f"choices[{l}] must have shape ({P}, {self.s**l}), got {tuple(c.shape)}.")
            if c.size and (int(c.min()) < 0 or int(c.max()) >= self.m):
                raise InvalidParameterError(f"choices[{l}] must lie in [0, m = {self.m}).")
        if P and (int(labels.min()) < 0 or int(labels.max()) >= self.n_c):
            raise InvalidParameterError(f"labels must lie in [0, n_c = {self.n_c}).")
        return self._expand(xp, labels, [xp.asarray(c) for c in choices])

    def _expand(self, xp: Any, labels: Any, choices: list[Any]) -> RHMSample:
        """Apply the rules level by level: ``labels`` (P,) and ``choices[l]`` (P, s**l)."""
        tables = self._device_tables(xp)
        current = labels.astype(self.dtype).reshape(-1, 1)
        levels = [current]
        for l, (packed, children) in enumerate(tables):
            flat = current.astype(np.intp) * self.m + choices[l]
            if packed is not None:  # one gather of s packed symbols per node, viewed back as symbols
                current = xp.take(packed, flat).view(self.dtype).reshape(flat.shape[0], -1)
            else:
                current = xp.take(children, flat, axis=0).reshape(flat.shape[0], -1)
            levels.append(current)
        return RHMSample(levels, list(choices), self.v)

    def _device_tables(self, xp: Any) -> list[tuple[Any, Any]]:
        key = xp.__name__
        if key not in self._tables:
            tables = []
            for rules in self.rules:
                children = np.ascontiguousarray(rules.reshape(-1, self.s))
                width = self.s * children.itemsize
                packed = children.view(f"u{width}").ravel() if width in (1, 2, 4, 8) else None
                tables.append((None if packed is None else xp.asarray(packed), xp.asarray(children)))
            self._tables[key] = tables
        return self._tables[key]

    # -- parsing --------------------------------------------------------------------------
    def parse(self, tokens: Any) -> RHMSample:
        """Recover the tree of each token string by inverting the rules.

        Parameters
        ----------
        tokens : int array of shape (P, s**L), numpy or CuPy

        Returns
        -------
        RHMSample
            With int32 levels and choices; rows that no tree produces have ``valid`` False
            and -1 from the first level where a tuple has no parent upwards.
        """
        xp = array_module(tokens)
        tokens = xp.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != self.n_positions:
            raise InvalidParameterError(f"tokens must have shape (P, {self.n_positions}), got {tokens.shape}.")
        check_integer_tokens(tokens, "parse")
        current = tokens.astype(np.int64)
        current = xp.where((current >= 0) & (current < self.v), current, -1)
        levels: list[Any] = [None] * (self.L + 1)
        choices: list[Any] = [None] * self.L
        levels[self.L] = current.astype(np.int32)
        for l in reversed(range(self.L)):
            groups = current.reshape(current.shape[0], -1, self.s)
            known = (groups >= 0).all(axis=2)
            code = groups[:, :, 0]
            for k in range(1, self.s):
                code = code * self.v + groups[:, :, k]
            production = xp.where(known, self._lookup(xp, l, xp.where(known, code, 0)), -1)
            current = xp.where(production >= 0, production // self.m, -1)
            choices[l] = xp.where(production >= 0, production % self.m, -1).astype(np.int32)
            levels[l] = current.astype(np.int32)
        return RHMSample(levels, choices, self.v, valid=levels[0][:, 0] >= 0)

    #: Tuple spaces up to this size are inverted with a dense table, larger ones by binary search.
    DENSE_LOOKUP_LIMIT = 1 << 22

    def _lookup(self, xp: Any, level: int, code: Any) -> Any:
        """Production ``parent * m + choice`` owning each tuple code (base-v), or -1 for none."""
        key = xp.__name__
        if key not in self._parsers:
            self._parsers[key] = [self._inverse_rules(xp, rules) for rules in self.rules]
        kind, first, second = self._parsers[key][level]
        if kind == "dense":
            return first[code]
        pos = xp.minimum(xp.searchsorted(first, code), first.size - 1)
        return xp.where(first[pos] == code, second[pos], -1)

    def _inverse_rules(self, xp: Any, rules: np.ndarray) -> tuple[str, Any, Any]:
        weights = self.v ** np.arange(self.s - 1, -1, -1, dtype=np.int64)
        codes = (rules.reshape(-1, self.s).astype(np.int64) * weights).sum(axis=1)
        if self.v**self.s <= self.DENSE_LOOKUP_LIMIT:
            table = np.full(self.v**self.s, -1, dtype=np.int64)
            table[codes] = np.arange(codes.size)
            return "dense", xp.asarray(table), None
        order = np.argsort(codes, kind="stable")
        return "sorted", xp.asarray(codes[order]), xp.asarray(order.astype(np.int64))


def check_integer_tokens(tokens: Any, owner: str) -> None:
    """Refuse token arrays that are not integers (floats would be truncated to other symbols)."""
    if not np.issubdtype(np.dtype(tokens.dtype), np.integer):
        raise InvalidParameterError(f"{owner}: parameter 'tokens' must be an integer array, got {tokens.dtype}.")


def check_rule_counts(v: int, n_c: int, m: int, s: int) -> None:
    """Refuse settings where the rules cannot be drawn without replacement."""
    if v**s >= 2**62:
        raise InvalidParameterError(f"v**s = {v}**{s} is too large (must be < 2**62) to index the s-tuples.")
    if m > v ** (s - 1):
        raise InvalidParameterError(
            f"m = {m} exceeds v**(s-1) = {v ** (s - 1)}: each level draws v*m distinct s-tuples out of v**s, "
            "so that no tuple has two parents."
        )
    if n_c * m > v**s:
        raise InvalidParameterError(
            f"n_c*m = {n_c * m} exceeds v**s = {v**s}: the classes need n_c*m distinct s-tuples."
        )


def draw_rules(v: int, n_parents: Sequence[int], m: int, s: int, seed: int, dtype: Any) -> list[np.ndarray]:
    """Rules of each level: ``n_parents[l] * m`` distinct s-tuples of ``v`` symbols, shape (n, m, s).

    Each level uses its own child stream of ``seed``, so levels are independent and the
    rules of a level do not change when ``L`` grows.
    """
    streams = np.random.SeedSequence(seed).spawn(len(n_parents))
    weights = v ** np.arange(s - 1, -1, -1, dtype=np.int64)
    rules = []
    for n, stream in zip(n_parents, streams):
        codes = np.random.default_rng(stream).choice(v**s, size=n * m, replace=False).astype(np.int64)
        tuples = (codes[:, None] // weights[None, :]) % v
        rules.append(tuples.reshape(n, m, s).astype(dtype))
    return rules


def concatenate_samples(parts: Sequence[RHMSample]) -> RHMSample:
    """Join samples row-wise (same model, same device)."""
    xp = array_module(parts[0].tokens)
    levels = [xp.concatenate([p.levels[l] for p in parts]) for l in range(len(parts[0].levels))]
    choices = [xp.concatenate([p.choices[l] for p in parts]) for l in range(len(parts[0].choices))]
    valid = None if parts[0].valid is None else xp.concatenate([p.valid for p in parts])
    return RHMSample(levels, choices, parts[0].v, valid)
