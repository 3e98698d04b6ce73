"""Word to row lookup shared by the analogy and similarity scores (gensim's conventions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._core.params import Interval

RESTRICT_VOCAB = Interval(int, 1, None, allow_none=True)
"""What ``restrict_vocab`` of the evaluators may be: a positive number of leading words, or None (all)."""


class WordLookup:
    """Maps words to candidate rows like gensim: the first ``restrict_vocab`` words, optionally case-folded
    (the most frequent spelling of a folded word represents it; other spellings are its variants).

    ``restrict_vocab`` is checked against :data:`RESTRICT_VOCAB`; ``owner`` (the public function)
    prefixes the message that refuses it.
    """

    def __init__(
        self,
        index_to_key: Sequence[str],
        restrict_vocab: int | None,
        case_insensitive: bool,
        owner: str | None = None,
    ):
        RESTRICT_VOCAB.check("restrict_vocab", restrict_vocab, owner)
        self.n = len(index_to_key) if restrict_vocab is None else min(restrict_vocab, len(index_to_key))
        self.case_insensitive = case_insensitive
        self.index: dict[str, int] = {}
        self.canon = np.arange(self.n, dtype=np.int64)
        for i, word in enumerate(index_to_key[: self.n]):
            key = self.fold(word)
            first = self.index.setdefault(key, i)
            self.canon[i] = first
        self.variants = np.flatnonzero(self.canon != np.arange(self.n))

    def fold(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word

    def get(self, word: str) -> int:
        return self.index.get(self.fold(word), -1)


__all__ = ["RESTRICT_VOCAB", "WordLookup"]
