"""The counting parameters shared by the local and the distributed counter: constraints and V."""

from __future__ import annotations

from .._core.logs import log
from .._core.params import InstanceOf, Interval, OneOf
from ..corpus.store import TokenCorpus
from .windows import OOV_MODES, WEIGHTINGS

ENGINES = ("auto", "numba", "vectorized", "kernel")

COUNT_CONSTRAINTS = {
    "window": Interval(int, 1, 10_000),
    "weighting": OneOf(WEIGHTINGS),
    "symmetric": InstanceOf(bool),
    "directional": InstanceOf(bool),
    "per_offset": InstanceOf(bool),
    "vocab_size": Interval(int, 1, None, allow_none=True),
    "workers": Interval(int, 1, None, allow_none=True),
    "oov": OneOf(OOV_MODES),
    "engine": OneOf(ENGINES),
}


def effective_vocab_size(corpus: TokenCorpus, vocab_size: int | None) -> int:
    """The V counted: ``vocab_size``, or the whole vocabulary (with a warning when ``vocab_size`` exceeds it)."""
    n = len(corpus.vocab)
    if vocab_size is None:
        return n
    if vocab_size > n:
        log.warning("vocab_size=%d is larger than the corpus vocabulary (%d words); using %d.", vocab_size, n, n)
        return n
    return int(vocab_size)


__all__ = ["ENGINES", "COUNT_CONSTRAINTS", "effective_vocab_size"]
