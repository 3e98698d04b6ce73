"""``count_cooccurrences``: the front door of counting, on this machine or on a Dask cluster."""

from __future__ import annotations

import os
from typing import Any

from .._core.params import validate
from ..corpus.store import TokenCorpus
from .local import count_planes
from .result import build_result
from .settings import COUNT_CONSTRAINTS, check_countable, effective_vocab_size
from .windows import integer_weights


def count_cooccurrences(
    corpus: TokenCorpus | str | os.PathLike,
    window: int = 10,
    weighting: str = "harmonic",
    symmetric: bool = True,
    vocab_size: int | None = None,
    memory: str | int = "4GB",
    workers: int | None = None,
    device: str = "cpu",
    oov: str = "drop",
    directional: bool = False,
    per_offset: bool = False,
    progress: bool = True,
    spill_dir: str | os.PathLike | None = None,
    engine: str = "auto",
    scheduler: Any = None,
) -> Any:
    """Count weighted word co-occurrences in windows of a tokenised corpus.

    For every centre token and each offset j = 1..``window`` the pair (centre, token j
    positions later) gets weight w(j): 1 (``"uniform"``), ``window + 1 - j`` (``"linear"``)
    or 1/j (``"harmonic"``, GloVe's). Pairs never cross a document boundary. Counts are
    exact: integers in int64, weights applied as integers over a common scale, so the
    result is the same bit for bit on every device and engine.

    Parameters
    ----------
    corpus : TokenCorpus or path
    window : int
        L, the largest offset.
    weighting : {"uniform", "linear", "harmonic"}
    symmetric : bool
        ``C = F + F^T`` (default), where ``F[a, b]`` sums the pairs with ``b`` after ``a``.
    vocab_size : int, optional
        Count the ``vocab_size`` most frequent words (ids ``< vocab_size``); the others are
        out of vocabulary. Larger than the corpus vocabulary: a warning, and all of it.
    memory : str or int
        Working-memory budget on the counting device ("4GB", "512MiB", bytes).
    workers : int, optional
        CPU threads for the numba engine (default: the cores available to this process), and for
        verifying a corpus given by its path (its checksums, :meth:`TokenCorpus.verify`).
    device : {"cpu", "cuda", "auto"}
    oov : {"drop", "gap"}
        ``"drop"`` removes out-of-vocabulary tokens before windowing (windows bridge
        them, as in GloVe); ``"gap"`` keeps their positions and skips their pairs.
    directional : bool
        Return ``F`` itself (row = word, column = a word to its right; ``F.T`` gives left
        contexts). The same as ``symmetric=False``.
    per_offset : bool
        Also keep ``C_j`` for each offset (weighted, symmetrised like the total; they sum
        to the total).
    progress : bool
        Show a progress bar with tokens/s (only on a terminal).
    spill_dir : path, optional
        Where sorted runs go when they exceed the budget (default: the system temp folder).
    engine : {"auto", "numba", "vectorized", "kernel"}
        How pairs are counted: ``"numba"`` (CPU, fused multi-threaded loop; the ``"auto"``
        choice on CPU), ``"vectorized"`` (array operations, any device), ``"kernel"``
        (CUDA, fused kernel; the ``"auto"`` choice on GPU).
    scheduler : str or dask.distributed.Client, optional
        Count on a Dask cluster instead (``"tcp://host:8786"``, ``"local"``, ``"local:4"``,
        ``"local-cuda"`` or a ``Client``): see :func:`cooc.count.distributed.count_distributed`,
        which also takes ``out=`` for a blocked on-disk result. Same matrix, bit for bit.

    Returns
    -------
    Cooccurrence
        Counts of shape (V, V): int64 for uniform weights, float64 otherwise.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from cooc import build_corpus, count_cooccurrences
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "text.txt").write_text("the cat sat on the mat")
    >>> corpus = build_corpus(folder / "text.txt", folder / "corpus", progress=False)
    >>> counts = count_cooccurrences(corpus, window=2, weighting="uniform", progress=False)
    >>> corpus.vocab.words
    ['the', 'cat', 'mat', 'on', 'sat']
    >>> counts.top_pairs(2)  # "the sat" (offset 2) and "sat on the" (offset 2): two windows
    [('the', 'sat', 2), ('the', 'cat', 1)]
    """
    validate(
        dict(
            window=window,
            weighting=weighting,
            symmetric=symmetric,
            directional=directional,
            per_offset=per_offset,
            vocab_size=vocab_size,
            workers=workers,
            oov=oov,
            engine=engine,
        ),
        COUNT_CONSTRAINTS,
        "count_cooccurrences",
    )
    window = int(window)  # a NumPy integer passes the check, but not every step after it (JSON, bit_length)
    vocab_size = None if vocab_size is None else int(vocab_size)
    integer_weights(window, weighting)  # a window too long for its weighting is refused before any work
    if scheduler is not None:
        from .distributed import count_distributed

        return count_distributed(
            corpus,
            scheduler,
            window=window,
            weighting=weighting,
            symmetric=symmetric,
            vocab_size=vocab_size,
            memory=memory,
            workers=workers,
            device=device,
            oov=oov,
            directional=directional,
            per_offset=per_offset,
            progress=progress,
            spill_dir=spill_dir,
            engine=engine,
        )
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus.open(corpus, threads=workers)
    check_countable(corpus, oov)
    V = effective_vocab_size(corpus, vocab_size)
    symmetric = symmetric and not directional
    planes, plan, stats = count_planes(
        corpus,
        V,
        window,
        weighting,
        per_offset,
        memory=memory,
        workers=workers,
        device=device,
        oov=oov,
        progress=progress,
        spill_dir=spill_dir,
        engine=engine,
        symmetrize=symmetric,
        weighted=True,
    )
    ints, scale = integer_weights(window, weighting)
    return build_result(
        corpus,
        planes,
        plan.per_offset,
        plan.vocab_size,
        ints,
        scale,
        dict(
            window=window,
            weighting=weighting,
            symmetric=symmetric,
            directional=not symmetric,
            per_offset=per_offset,
            oov=oov,
            vocab_size=V,
        ),
        stats,
        symmetrized=symmetric,
        weighted=not plan.per_offset,
    )


__all__ = ["count_cooccurrences"]
