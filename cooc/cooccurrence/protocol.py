"""What every co-occurrence matrix answers, in memory or in row blocks on disk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from ..corpus.vocab import Vocabulary


@runtime_checkable
class CooccurrenceMatrix(Protocol):
    """A V x V co-occurrence matrix with its vocabulary, marginals and provenance.

    :class:`~cooc.cooccurrence.matrix.Cooccurrence` (``layout == "memory"``) and
    :class:`~cooc.cooccurrence.blocked.BlockedCooccurrence` (``layout == "blocked"``) both
    satisfy it; code that needs the whole matrix in memory asks ``layout`` or calls
    :meth:`to_memory`, code that streams uses :meth:`iter_blocks`.
    """

    layout: str
    vocab: Vocabulary
    unigram: np.ndarray
    settings: dict[str, Any]
    provenance: dict[str, Any]
    independent_pairs: np.ndarray

    @property
    def shape(self) -> tuple[int, int]: ...

    @property
    def nnz(self) -> int: ...

    @property
    def dtype(self) -> np.dtype: ...

    @property
    def total(self) -> float: ...

    @property
    def n_offsets(self) -> int: ...

    def __len__(self) -> int: ...

    def unigram_probabilities(self, marginals: str = "global") -> np.ndarray: ...

    def top_pairs(self, n: int = 10) -> list[tuple[str, str, float]]: ...

    def iter_blocks(self, offset: int | None = None) -> Iterator[tuple[int, int, sp.csr_matrix]]: ...

    def matvec(self, x: np.ndarray) -> np.ndarray: ...

    def subset(self, words: Iterable[str]) -> Any: ...

    def to_memory(self) -> Any: ...


__all__ = ["CooccurrenceMatrix"]
