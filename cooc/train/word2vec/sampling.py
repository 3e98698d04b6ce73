"""The random choices of word2vec: subsampling, negatives, dynamic windows.

Everything here is a plain function of counts (numpy, float64) or a torch routine that
runs unchanged on CPU and GPU, so tests can hold each piece against its formula. Two pieces
have compiled CPU versions, because there the torch routine costs a good part of a training
step: negatives drawn in parallel from a splitmix64 stream (:class:`SplitMix64`), and a
chunk's skip-gram pairs or CBOW examples, built in parallel and shuffled by one Fisher-Yates
pass (:func:`shuffled_skipgram_pairs`, :func:`shuffled_cbow_examples`: for a chunk's 4-5M
pairs about 0.1 s instead of 0.4-0.5 s for torch's pairs, ``randperm`` and gathers).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..._core.errors import InvalidParameterError
from ..._core.numba_cache import prepare_kernels

prepare_kernels()  # cached in the user cache directory; threads wait passively


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word under frequent-word subsampling.

    The formula of word2vec.c and gensim: with ``t = sample * sum(counts)``,
    ``p_keep(w) = min(1, (sqrt(c_w / t) + 1) * t / c_w)``. For frequent words this is about
    ``sqrt(t / c_w)``, Mikolov et al.'s ``1 - p_discard``. ``sample = 0`` keeps everything.

    Parameters
    ----------
    counts : array of shape (V,)
        Corpus count of each word.
    sample : float
        The threshold t as a fraction of the corpus (1e-3 to 1e-5 in practice).

    Returns
    -------
    ndarray of shape (V,), float64 in [0, 1]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise InvalidParameterError(f"parameter 'sample' must be >= 0, got {sample!r}.")
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.where(counts > 0, np.minimum(p, 1.0), 1.0)


def noise_distribution(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """Negative-sampling distribution ``c_w^exponent / sum_v c_v^exponent``, shape (V,), float64."""
    c = np.asarray(counts, dtype=np.float64)
    with np.errstate(over="ignore"):  # handled just below
        weights = c**exponent
    weights[c <= 0] = 0.0
    total = weights.sum()
    if not np.isfinite(total) and c.max() > 0:  # a large exponent overflows: take the powers relative to the largest
        weights = (c / c.max()) ** exponent
        weights[c <= 0] = 0.0
        total = weights.sum()
    if total <= 0:
        raise InvalidParameterError("noise distribution: every count is zero.")
    return weights / total


def alias_table(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of a distribution (Vose's construction).

    Drawing ``i`` uniformly in ``[0, V)`` and returning ``i`` with probability ``accept[i]``,
    else ``alias[i]``, samples ``probs`` exactly (up to float64 rounding) in O(1) per draw.

    Returns
    -------
    accept : ndarray of shape (V,), float64
    alias : ndarray of shape (V,), int64
    """
    probs = np.asarray(probs, dtype=np.float64)
    n = probs.size
    scaled = probs * (n / probs.sum())
    accept = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    # Leftovers are 1 up to rounding: they always accept themselves.
    return accept, alias


def alias_probabilities(accept: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The distribution an alias table samples (for checking a table against its target)."""
    n = accept.size
    probs = accept / n
    np.add.at(probs, alias, (1.0 - accept) / n)
    return probs


class AliasSampler:
    """Draw word ids from a fixed distribution on a torch device.

    Parameters
    ----------
    probs : array of shape (V,)
    device : torch.device
    """

    def __init__(self, probs: np.ndarray, device):
        import torch

        accept, alias = alias_table(probs)
        self.accept = torch.as_tensor(accept, device=device)
        self.alias = torch.as_tensor(alias, device=device)
        self.size = accept.size
        self.table = (accept, alias)  # numpy, for compiled draws

    def draw(self, shape: tuple[int, ...], gen):
        """Ids of shape ``shape`` (int64) on the sampler's device.

        ``gen`` is a ``torch.Generator`` on that device, or, for a CPU sampler, a
        :class:`SplitMix64` stream: then each id takes the stream's next 64-bit number, its
        high 32 bits choosing the slot (multiply-shift) and its low 32 bits the coin, all
        drawn in parallel.
        """
        import torch

        if isinstance(gen, SplitMix64):
            if self.accept.device.type != "cpu":
                raise ValueError("a SplitMix64 stream draws negatives on the CPU only.")
            n = int(np.prod(shape))
            ids = _alias_pick(gen.seed, np.uint64(gen.position), n, *self.table)
            gen.position += n
            return torch.from_numpy(ids.reshape(shape))
        slot = torch.randint(0, self.size, shape, device=self.accept.device, generator=gen)
        coin = torch.rand(shape, device=self.accept.device, dtype=torch.float64, generator=gen)
        return torch.where(coin < self.accept[slot], slot, self.alias[slot])


class SplitMix64:
    """Vigna's splitmix64 stream, computed at any position: number ``i`` (from 0) is the mix of
    ``seed + (i + 1) * gamma``, exactly what the sequential generator returns at its ``i``-th
    call. So a stretch of the stream is drawn by many threads at once, and a stream drawn in
    pieces equals the stream drawn whole. ``position`` counts the numbers drawn so far."""

    def __init__(self, seed: int):
        self.seed = np.uint64(int(seed) % 2**64)
        self.position = 0


SPLITMIX_GAMMA = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def mix64(z):
    """splitmix64's output function (a bijection of 64-bit integers)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(parallel=True, cache=True)
def _alias_pick(seed, start, n, accept, alias):
    """``n`` alias-table draws from numbers ``start..start + n - 1`` of the splitmix64 stream of
    ``seed`` (high half: slot, low half: coin)."""
    n_slots = np.uint64(accept.size)
    out = np.empty(n, dtype=np.int64)
    for i in prange(n):
        z = mix64(seed + (start + np.uint64(i + 1)) * SPLITMIX_GAMMA)
        slot = np.int64(((z >> np.uint64(32)) * n_slots) >> np.uint64(32))
        coin = (np.float64(z & np.uint64(0xFFFFFFFF)) + 0.5) * 2.0**-32
        out[i] = slot if coin < accept[slot] else alias[slot]
    return out


def subsample(tokens, docs, keep_prob, gen):
    """Drop occurrences at random with probability ``1 - keep_prob[token]``.

    Parameters
    ----------
    tokens, docs : tensors of shape (n,)
        Word ids and the document id of each position.
    keep_prob : tensor of shape (V,), float64

    Returns
    -------
    tokens, docs : tensors of shape (n_kept,)
    """
    import torch

    coin = torch.rand(tokens.shape, device=tokens.device, dtype=torch.float64, generator=gen)
    kept = coin < keep_prob[tokens]
    return tokens[kept], docs[kept]


def window_radii(n: int, window: int, gen, device, dynamic: bool = True):
    """Each position's window radius: uniform in ``1..window`` (dynamic) or ``window``; shape (n,)."""
    import torch

    if not dynamic:
        return torch.full((n,), window, dtype=torch.int64, device=device)
    return torch.randint(1, window + 1, (n,), device=device, generator=gen)


def skipgram_pairs(tokens, docs, radii, window: int):
    """Every (input, output) pair of skip-gram: the output is the centre word, as in word2vec.c.

    Position ``i`` with radius ``r_i`` pairs with each position ``i + j``, ``0 < |j| <= r_i``,
    inside the same document: input ``tokens[i + j]``, output ``tokens[i]``.

    Returns
    -------
    inputs, outputs : int64 tensors of shape (n_pairs,)
    """
    import torch

    ins, outs = [], []
    for j in range(1, window + 1):
        if j >= tokens.numel():
            break
        same_doc = docs[j:] == docs[:-j]
        fwd = torch.nonzero(same_doc & (radii[:-j] >= j)).squeeze(1)  # centre i, context i + j
        bwd = torch.nonzero(same_doc & (radii[j:] >= j)).squeeze(1) + j  # centre i, context i - j
        outs += [tokens[fwd], tokens[bwd]]
        ins += [tokens[fwd + j], tokens[bwd - j]]
    if not ins:
        empty = torch.empty(0, dtype=torch.int64, device=tokens.device)
        return empty, empty
    return torch.cat(ins).long(), torch.cat(outs).long()


def shuffled_skipgram_pairs(tokens, docs, radii, seed: int):
    """:func:`skipgram_pairs` in a uniformly random order, compiled for the CPU.

    Parameters
    ----------
    tokens, docs, radii : int64 arrays (or CPU tensors) of shape (n,)
    seed : int
        Seeds the shuffle (a Fisher-Yates pass driven by splitmix64): the same seed gives the
        same order.

    Returns
    -------
    inputs, outputs : int64 arrays of shape (n_pairs,)
    """
    tokens, docs, radii = _int64_arrays(tokens, docs, radii)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= 2**31):
        raise InvalidParameterError("shuffled_skipgram_pairs: word ids must lie in [0, 2**31).")
    starts = np.zeros(tokens.size + 1, dtype=np.int64)
    np.cumsum(_context_sizes(docs, radii), out=starts[1:])
    packed = _packed_pairs(tokens, docs, radii, starts)
    _shuffle(packed, np.uint64(seed % 2**64))
    return _unpack(packed)


def _int64_arrays(*arrays) -> tuple[np.ndarray, ...]:
    """Contiguous int64 numpy arrays from CPU tensors or arrays."""
    return tuple(np.ascontiguousarray(a.numpy() if hasattr(a, "numpy") else a, dtype=np.int64) for a in arrays)


@njit(parallel=True, cache=True)
def _packed_pairs(tokens, docs, radii, starts):
    """Every skip-gram pair as one int64, input << 32 | output, centre by centre: centre i's pairs
    fill ``starts[i]:starts[i + 1]`` (so the centres are filled in parallel, in the same order)."""
    n = tokens.size
    packed = np.empty(starts[n], dtype=np.int64)
    for i in prange(n):
        m = starts[i]
        for j in range(1, radii[i] + 1):
            if i - j >= 0 and docs[i - j] == docs[i]:
                packed[m] = (tokens[i - j] << 32) | tokens[i]
                m += 1
            if i + j < n and docs[i + j] == docs[i]:
                packed[m] = (tokens[i + j] << 32) | tokens[i]
                m += 1
    return packed


@njit(parallel=True, cache=True)
def _unpack(packed):
    """(inputs, outputs) of packed pairs."""
    inputs = np.empty(packed.size, dtype=np.int64)
    outputs = np.empty(packed.size, dtype=np.int64)
    for m in prange(packed.size):
        inputs[m] = packed[m] >> 32
        outputs[m] = packed[m] & 0xFFFFFFFF
    return inputs, outputs


@njit(cache=True)
def _shuffle(a, seed):
    """Fisher-Yates shuffle in place; position i swaps with j uniform in 0..i, drawn from splitmix64
    by a multiply-shift (bias below 2**-32 for any array that fits in memory)."""
    state = seed
    for i in range(a.size - 1, 0, -1):
        state += SPLITMIX_GAMMA
        z = mix64(state)
        j = np.int64(((z >> np.uint64(32)) * np.uint64(i + 1)) >> np.uint64(32))
        a[i], a[j] = a[j], a[i]


def shuffled_cbow_examples(tokens, docs, radii, seed: int):
    """:func:`cbow_contexts` as flat lists, centres in a uniformly random order, compiled for the CPU.

    Parameters
    ----------
    tokens, docs, radii : int64 arrays (or CPU tensors) of shape (n,)
    seed : int
        Seeds the shuffle of the centres (as :func:`shuffled_skipgram_pairs`).

    Returns
    -------
    centres : int64 array of shape (B,)
        Centres with at least one context word.
    context : int64 array of shape (ptr[-1],)
        Example i's context words are ``context[ptr[i]:ptr[i + 1]]``, by offset -L..-1, 1..L as
        the columns of :func:`cbow_contexts`.
    ptr : int64 array of shape (B + 1,)
    """
    tokens, docs, radii = _int64_arrays(tokens, docs, radii)
    sizes = _context_sizes(docs, radii)
    positions = np.flatnonzero(sizes)
    _shuffle(positions, np.uint64(seed % 2**64))
    ptr = np.zeros(positions.size + 1, dtype=np.int64)
    np.cumsum(sizes[positions], out=ptr[1:])
    return tokens[positions], _gather_contexts(tokens, docs, radii, positions, ptr), ptr


@njit(parallel=True, cache=True)
def _context_sizes(docs, radii):
    """Context words of each position: offsets within its radius and its document."""
    n = docs.size
    sizes = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        for j in range(1, radii[i] + 1):
            sizes[i] += (i - j >= 0 and docs[i - j] == docs[i]) + (i + j < n and docs[i + j] == docs[i])
    return sizes


@njit(parallel=True, cache=True)
def _gather_contexts(tokens, docs, radii, positions, ptr):
    """Example e's context words (centre ``positions[e]``) into ``ptr[e]:ptr[e + 1]``."""
    n = tokens.size
    context = np.empty(ptr[-1], dtype=np.int64)
    for e in prange(positions.size):
        i, m = positions[e], ptr[e]
        for j in range(-radii[i], radii[i] + 1):
            if j != 0 and 0 <= i + j < n and docs[i + j] == docs[i]:
                context[m] = tokens[i + j]
                m += 1
    return context


def cbow_contexts(tokens, docs, radii, window: int):
    """CBOW examples: each centre with the words of its window, as padded rows.

    Column ``c`` of the context matrix holds the word at offset ``j_c`` (-L..-1, 1..L) from the
    centre; the mask says whether that offset is inside the centre's radius and document.
    Centres with no context word are left out.

    Returns
    -------
    centres : int64 tensor of shape (B,)
    context : int64 tensor of shape (B, 2L)
    mask : bool tensor of shape (B, 2L)
    """
    import torch

    n = tokens.numel()
    pos = torch.arange(n, device=tokens.device)
    ids, valid = [], []
    for j in [j for j in range(-window, window + 1) if j != 0]:
        other = (pos + j).clamp(0, max(n - 1, 0))
        inside = (pos + j >= 0) & (pos + j < n)
        valid.append(inside & (docs[other] == docs) & (radii >= abs(j)))
        ids.append(tokens[other])
    mask = torch.stack(valid, 1)
    has = mask.any(1)
    return tokens[has].long(), torch.stack(ids, 1)[has].long(), mask[has]


__all__ = [
    "keep_probabilities",
    "noise_distribution",
    "alias_table",
    "alias_probabilities",
    "AliasSampler",
    "SplitMix64",
    "SPLITMIX_GAMMA",
    "mix64",
    "subsample",
    "window_radii",
    "skipgram_pairs",
    "shuffled_skipgram_pairs",
    "cbow_contexts",
    "shuffled_cbow_examples",
]
