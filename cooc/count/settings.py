"""The counting parameters shared by the local and the distributed counter: constraints and V."""

from __future__ import annotations

from .._core.errors import InputDataError
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


def check_countable(corpus: TokenCorpus, oov: str) -> None:
    """Refuse a corpus that cannot be counted as asked: one with no tokens, or ``oov="gap"`` on one
    whose out-of-vocabulary positions were dropped when it was built (windows cannot break where
    they were). A corpus built from text records how many it dropped; one written from token
    arrays (a grammar's, a study's) records none and dropped none."""
    if corpus.n_tokens == 0:
        raise InputDataError(f"corpus {str(corpus.path)!r} holds no tokens; nothing to count.")
    dropped = corpus.manifest.get("oov_tokens") or 0
    if oov == "gap" and corpus.manifest.get("oov") == "drop" and dropped > 0:
        raise InputDataError(
            f"oov='gap': corpus {str(corpus.path)!r} was built with oov='drop', which removed {dropped:,} "
            f"out-of-vocabulary tokens, so windows cannot break where they were; count with oov='drop', "
            f"or build the corpus with --oov keep."
        )


__all__ = ["ENGINES", "COUNT_CONSTRAINTS", "check_countable", "effective_vocab_size"]
