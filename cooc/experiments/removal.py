"""Removal experiments: take a relation out of the statistics and measure what the analogies lose.

Two ways to remove an analogy family (docs/science.md, section 2):

* **block removal** sets the co-occurrence of the family's word pairs to independence
  (``Cooccurrence.zero_block``: M = 1, log M = 0, M* = 0) and re-embeds;
* **corpus removal** drops every document that holds both words of one of the pairs,
  writes the rest as a new TokenCorpus (same word ids; unigram counts recomputed from the
  kept tokens) and counts it again with the same settings.

:func:`removal_experiment` runs the baseline and both removals and reports protocol-B
accuracy for every family, so the removed family can be compared with the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from .._core.params import OneOf, validate
from ..geometry.analogy import AnalogyResult, evaluate_analogies
from ..geometry.lookup import WordLookup

BLOCKS = ("pairs", "cross", "all")
COUNT_SETTINGS = ("window", "weighting", "symmetric", "oov", "vocab_size", "per_offset")


def family_block(pairs: Sequence[tuple[str, str]], block: str = "pairs") -> list[tuple[str, str]]:
    """The word pairs that a removal touches.

    Parameters
    ----------
    pairs : sequence of (a, b)
    block : {"pairs", "cross", "all"}
        ``pairs``: each listed (a, b); ``cross``: every (a, b') between the first and the
        second words of the family; ``all``: every pair of distinct words of the family.
    """
    validate({"block": block}, {"block": OneOf(BLOCKS)}, owner="family_block")
    pairs = list(dict.fromkeys((a, b) for a, b in pairs))
    if block == "pairs":
        return pairs
    firsts = list(dict.fromkeys(a for a, _ in pairs))
    seconds = list(dict.fromkeys(b for _, b in pairs))
    if block == "cross":
        return [(a, b) for a in firsts for b in seconds if a != b]
    words = list(dict.fromkeys(firsts + seconds))
    return [(a, b) for i, a in enumerate(words) for b in words[i + 1 :]]


def _in_vocab(pairs: Sequence[tuple[str, str]], vocab: Any, case_insensitive: bool = True) -> list[tuple[str, str]]:
    """The pairs found in ``vocab``, spelled as the vocabulary spells them, distinct, without (a, a).

    Words are looked up as :func:`~cooc.geometry.analogy.evaluate_analogies` looks them up:
    with ``case_insensitive`` the first (most frequent) spelling of a case-folded word
    represents it, so "Athens" reaches the row that the analogy evaluation scores.
    """
    words = vocab.words
    lookup = WordLookup(words, None, case_insensitive)
    out: dict[tuple[str, str], None] = {}
    for a, b in pairs:
        i, j = lookup.get(a), lookup.get(b)
        if i >= 0 and j >= 0 and i != j:
            out.setdefault((words[i], words[j]))
    return list(out)


def zero_family(
    cooc: Any, pairs: Sequence[tuple[str, str]], block: str = "pairs", *, case_insensitive: bool = True
) -> Any:
    """``cooc`` with the family's block set to independence (pairs out of vocabulary are ignored).

    Parameters
    ----------
    cooc : Cooccurrence
    pairs : sequence of (a, b) words
    block : {"pairs", "cross", "all"}
        See :func:`family_block`.
    case_insensitive : bool
        Fold case as :func:`~cooc.geometry.analogy.evaluate_analogies` does: a word reaches
        the most frequent of its spellings in the vocabulary.
    """
    touched = _in_vocab(family_block(pairs, block), cooc.vocab, case_insensitive)
    if not touched:
        raise InputDataError("zero_family: none of the family's pairs is in the vocabulary.")
    return cooc.zero_block(touched)


@dataclass
class FilterStats:
    """What :func:`filter_corpus` dropped."""

    docs_kept: int
    docs_dropped: int
    tokens_kept: int
    tokens_dropped: int


def _drop_mask(tokens: np.ndarray, offsets: np.ndarray, column: np.ndarray, pair_cols: np.ndarray) -> np.ndarray:
    """Documents (shape (n_docs,)) that hold both words of at least one pair."""
    n_docs = offsets.size - 1
    doc = np.repeat(np.arange(n_docs), np.diff(offsets))
    col = column[tokens]
    hit = col >= 0
    present = np.zeros((n_docs, int(column.max()) + 1), dtype=bool)
    present[doc[hit], col[hit]] = True
    return (present[:, pair_cols[:, 0]] & present[:, pair_cols[:, 1]]).any(axis=1)


def filter_corpus(
    corpus: Any,
    pairs: Sequence[tuple[str, str]],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    max_tokens: int = 1 << 22,
    case_insensitive: bool = True,
) -> tuple[Any, FilterStats]:
    """Write ``corpus`` without the documents that hold both words of any pair.

    Parameters
    ----------
    corpus : TokenCorpus
    pairs : sequence of (a, b) words; pairs with a word outside the vocabulary are ignored
    out : path
        New corpus directory (same vocabulary order and ids; counts from the kept tokens).
    overwrite : bool
    max_tokens : int
        Tokens read at a time.
    case_insensitive : bool
        Fold case as :func:`~cooc.geometry.analogy.evaluate_analogies` does: a word reaches
        the most frequent of its spellings in the vocabulary (only that spelling is matched).

    Returns
    -------
    (TokenCorpus, FilterStats)
    """
    from ..corpus.store import CorpusWriter
    from ..corpus.vocab import Vocabulary

    vocab = corpus.vocab
    touched = _in_vocab(pairs, vocab, case_insensitive)
    if not touched:
        raise InputDataError("filter_corpus: none of the pairs is in the corpus vocabulary.")
    words = sorted({w for p in touched for w in p})
    size = len(vocab) + (1 if corpus.oov_id is not None else 0)
    column = np.full(size, -1, dtype=np.int64)
    column[vocab.ids(words)] = np.arange(len(words))
    pair_cols = np.array([(words.index(a), words.index(b)) for a, b in touched], dtype=np.int64)
    counts = np.zeros(size, dtype=np.int64)
    stats = FilterStats(0, 0, 0, 0)
    source = {"kind": "filtered", "from": str(corpus.path), "pairs": [list(p) for p in touched]}
    settings = {"source": source, "corpus_created": corpus.manifest.get("created")}
    writer = CorpusWriter(out, vocab, source, settings, overwrite=overwrite, oov_id=corpus.oov_id)
    for tokens, offsets in corpus.iter_chunks(max_tokens):
        drop = _drop_mask(tokens, offsets, column, pair_cols)
        lengths = np.diff(offsets)
        keep_tok = np.repeat(~drop, lengths)
        kept = tokens[keep_tok]
        writer.add_documents(kept, np.concatenate([[0], np.cumsum(lengths[~drop])]))
        counts += np.bincount(kept, minlength=size)[:size]
        stats.docs_kept += int((~drop).sum())
        stats.docs_dropped += int(drop.sum())
        stats.tokens_kept += int(kept.size)
        stats.tokens_dropped += int(tokens.size - kept.size)
    # same ids as the source, counts of what was kept (the counter takes unigrams from them)
    writer.vocab = Vocabulary(vocab.words, counts[: len(vocab)], total=stats.tokens_kept)
    return writer.close(), stats


@dataclass
class RemovalResult:
    """Protocol-B accuracy before and after removing one family, for every family."""

    family: str
    baseline: AnalogyResult
    block: AnalogyResult
    corpus: AnalogyResult | None = None
    filter_stats: FilterStats | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[list[Any]]:
        """``[family, baseline, block removal, corpus removal]`` accuracies (nan where not run)."""
        out = []
        for f in self.baseline.families:
            after = self.corpus.family(f.name).accuracy if self.corpus is not None else float("nan")
            out.append([f.name, f.accuracy, self.block.family(f.name).accuracy, after])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "settings": self.settings,
            "baseline": self.baseline.to_dict(),
            "block": self.block.to_dict(),
            "corpus": None if self.corpus is None else self.corpus.to_dict(),
            "filter_stats": None if self.filter_stats is None else vars(self.filter_stats),
        }


def removal_experiment(
    cooc: Any,
    families: Mapping[str, Sequence[tuple[str, str]]],
    family: str,
    *,
    target: str = "mstar",
    dim: int = 100,
    block: str = "pairs",
    corpus: Any = None,
    work_dir: str | os.PathLike | None = None,
    count_params: dict[str, Any] | None = None,
    embed_params: dict[str, Any] | None = None,
    eval_params: dict[str, Any] | None = None,
) -> RemovalResult:
    """Remove ``family`` by block zeroing (and by corpus filtering when ``corpus`` is given).

    Parameters
    ----------
    cooc : Cooccurrence
        Counts of ``corpus`` (the baseline).
    families : dict of family name to (a, b) pairs
        Evaluated with protocol B before and after.
    family : str
        The family removed.
    target, dim : str, int
        The embedding (``SpectralEmbedding(target, dim, **embed_params)``).
    block : {"pairs", "cross", "all"}
        Which pairs are zeroed (see :func:`family_block`); corpus removal drops documents
        holding both words of one of the same pairs.
    corpus : TokenCorpus, optional
        Enables corpus removal; the filtered corpus goes to ``work_dir`` (required then).
    count_params : dict, optional
        Counting settings for the filtered corpus (default: those recorded in ``cooc.settings``).
    eval_params : dict, optional
        Passed to :func:`~cooc.geometry.analogy.evaluate_analogies` (protocol is "pairs"); its
        ``case_insensitive`` (default True) also decides how the removal looks words up.
    """
    from ..spectral.estimator import SpectralEmbedding

    if family not in families:
        raise InputDataError(f"removal_experiment: no family {family!r}; families are {list(families)}.")
    embed_params, eval_params = dict(embed_params or {}), dict(eval_params or {})
    dim = min(dim, len(cooc))

    def score(c: Any) -> AnalogyResult:
        emb = SpectralEmbedding(target, dim=dim, **embed_params).fit(c).embedding_
        return evaluate_analogies(emb, families, protocol="pairs", **eval_params)

    # the removal looks words up as the evaluation does
    fold = bool(eval_params.get("case_insensitive", True))
    touched = _in_vocab(family_block(families[family], block), cooc.vocab, fold)
    if not touched:
        raise InputDataError(f"removal_experiment: none of family {family!r}'s pairs is in the vocabulary.")
    result = RemovalResult(
        family,
        score(cooc),
        score(zero_family(cooc, touched, case_insensitive=fold)),
        settings={"target": target, "dim": dim, "block": block},
    )
    if corpus is not None:
        if work_dir is None:
            raise InputDataError("removal_experiment: corpus removal needs 'work_dir' for the filtered corpus.")
        from ..count import count_cooccurrences

        params = {k: cooc.settings[k] for k in COUNT_SETTINGS if k in cooc.settings}
        params.update(count_params or {})
        params.setdefault("progress", False)
        filtered, stats = filter_corpus(
            corpus, touched, Path(work_dir) / f"without-{family}", overwrite=True, case_insensitive=fold
        )
        result.corpus = score(count_cooccurrences(filtered, **params))
        result.filter_stats = stats
    return result
