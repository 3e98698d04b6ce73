"""Removal experiments: take a relation out of the statistics and measure what the analogies lose.

Two ways to remove a relation (docs/science.md, section 2):

* **block removal** sets the co-occurrence of the word pairs to independence
  (``Cooccurrence.zero_block``: M = 1, log M = 0, M* = 0) and re-embeds;
* **corpus removal** drops every unit of text (a document, or a sentence) that holds both
  words of one of the pairs, writes the rest as a new TokenCorpus (same word ids; unigram
  counts recomputed from the kept tokens) and counts it again with the same settings.

The symmetry paper's headline perturbation removes *every sentence in which two months
appear together*. Sentences need a corpus whose units are sentences:
:func:`sentence_corpus` writes one (each sentence a document, with the index of the text it
came from stored as the extra array ``"document"``), and :func:`filter_corpus` with
``groups`` drops sentences but writes the kept sentences of each text back together as one
document, so that counting windows still run across sentence boundaries as they do in the
unfiltered text. :func:`join_documents` gives the matching baseline (nothing dropped).

:func:`removal_experiment` runs the baseline and both removals and reports protocol-B
accuracy for every analogy family, so the removed family can be compared with the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
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


def _drop_mask(tokens: np.ndarray, offsets: np.ndarray, column: np.ndarray, adjacency: np.ndarray) -> np.ndarray:
    """Units (shape (n_units,)) that hold both words of at least one pair.

    ``column`` maps a token id to its row of ``adjacency`` (-1 for words of no pair);
    ``adjacency`` (W, W) is True for the pairs. Only units holding two distinct listed words
    are examined, so a family of W words costs O(units with two of them x W^2), not one
    column per pair.
    """
    n_units = offsets.size - 1
    W = adjacency.shape[0]
    drop = np.zeros(n_units, dtype=bool)
    unit = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(offsets))
    col = column[tokens]
    hit = col >= 0
    if not hit.any():
        return drop
    key = np.unique(unit[hit] * W + col[hit])  # distinct (unit, word)
    u, c = key // W, key % W
    candidates = np.flatnonzero(np.bincount(u, minlength=n_units) >= 2)
    if candidates.size == 0:
        return drop
    row = np.full(n_units, -1, dtype=np.int64)
    row[candidates] = np.arange(candidates.size)
    keep = row[u] >= 0
    present = np.zeros((candidates.size, W), dtype=np.float32)
    present[row[u[keep]], c[keep]] = 1.0
    drop[candidates] = np.sum((present @ adjacency.astype(np.float32)) * present, axis=1) > 0
    return drop


def filter_corpus(
    corpus: Any,
    pairs: Sequence[tuple[str, str]],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    max_tokens: int = 1 << 22,
    case_insensitive: bool = True,
    groups: Any = None,
) -> tuple[Any, FilterStats]:
    """Write ``corpus`` without the units (documents or sentences) that hold both words of any pair.

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
    groups : array-like of shape (n_units,) or str, optional
        The text each unit belongs to (non-decreasing), or the name of the corpus's extra
        array holding it (``"document"`` for a :func:`sentence_corpus`). The kept units of
        a group are written as one document (a group left empty disappears); without
        ``groups`` every kept unit is its own document.

    Returns
    -------
    (TokenCorpus, FilterStats)
        The statistics count units (``docs_kept``, ``docs_dropped``) and tokens.
    """
    vocab = corpus.vocab
    touched = _in_vocab(pairs, vocab, case_insensitive)
    if not touched:
        raise InputDataError("filter_corpus: none of the pairs is in the corpus vocabulary.")
    words = sorted({w for p in touched for w in p})
    size = len(vocab) + (1 if corpus.oov_id is not None else 0)
    column = np.full(size, -1, dtype=np.int64)
    column[vocab.ids(words)] = np.arange(len(words))
    adjacency = np.zeros((len(words), len(words)), dtype=bool)
    for a, b in touched:
        i, j = words.index(a), words.index(b)
        adjacency[i, j] = adjacency[j, i] = True
    source = {"kind": "filtered", "from": str(corpus.path), "pairs": [list(p) for p in touched]}
    drop = lambda tokens, offsets: _drop_mask(tokens, offsets, column, adjacency)  # noqa: E731
    return _rewrite(corpus, out, drop, source, groups, overwrite, max_tokens)


def join_documents(
    corpus: Any, out: str | os.PathLike, groups: Any = "document", *, overwrite: bool = False
) -> tuple[Any, FilterStats]:
    """Write the units of each group back together as one document (nothing dropped).

    The baseline of a sentence removal: the same tokens, documents and windows as the
    filtered corpus of :func:`filter_corpus` with ``groups``, minus nothing.
    """
    source = {"kind": "joined", "from": str(corpus.path)}
    keep_all = lambda tokens, offsets: np.zeros(offsets.size - 1, dtype=bool)  # noqa: E731
    return _rewrite(corpus, out, keep_all, source, groups, overwrite, 1 << 22)


def _rewrite(
    corpus: Any, out: Any, drop_units: Any, source: dict, groups: Any, overwrite: bool, max_tokens: int
) -> tuple[Any, FilterStats]:
    """Copy ``corpus`` without the units ``drop_units(tokens, offsets)`` marks, optionally joining groups."""
    from ..corpus.store import CorpusWriter
    from ..corpus.vocab import Vocabulary

    vocab = corpus.vocab
    if isinstance(groups, str):
        groups = corpus.extra(groups, mmap=False)
    if groups is not None:
        groups = np.asarray(groups, dtype=np.int64)
        if groups.shape != (corpus.n_docs,) or np.any(np.diff(groups) < 0):
            raise InputDataError(
                f"filter_corpus: 'groups' must give a non-decreasing group for each of the {corpus.n_docs} units, "
                f"got shape {groups.shape}."
            )
    size = len(vocab) + (1 if corpus.oov_id is not None else 0)
    counts = np.zeros(size, dtype=np.int64)
    stats = FilterStats(0, 0, 0, 0)
    settings = {"source": source, "corpus_created": corpus.manifest.get("created"), "grouped": groups is not None}
    writer = CorpusWriter(out, vocab, source, settings, overwrite=overwrite, oov_id=corpus.oov_id)
    pending: list[np.ndarray] = []  # kept tokens of the last group, which may go on in the next chunk
    pending_group = None
    first = 0
    for tokens, offsets in corpus.iter_chunks(max_tokens):
        n_units = offsets.size - 1
        drop = drop_units(tokens, offsets)
        lengths = np.diff(offsets)
        kept = tokens[np.repeat(~drop, lengths)]
        kept_lengths = lengths[~drop]
        counts += np.bincount(kept, minlength=size)[:size]
        stats.docs_kept += int((~drop).sum())
        stats.docs_dropped += int(drop.sum())
        stats.tokens_kept += int(kept.size)
        stats.tokens_dropped += int(tokens.size - kept.size)
        if groups is None:
            writer.add_documents(kept, np.concatenate([[0], np.cumsum(kept_lengths)]))
        else:
            unit_groups = groups[first : first + n_units][~drop]
            bounds = np.concatenate([[0], np.cumsum(kept_lengths)])
            for g, lo, hi in _group_spans(unit_groups, bounds):
                if pending_group is not None and g != pending_group:
                    writer.add_document(np.concatenate(pending))
                    pending = []
                pending.append(kept[lo:hi])
                pending_group = g
        first += n_units
    if pending:
        writer.add_document(np.concatenate(pending))
    # same ids as the source, counts of what was kept (the counter takes unigrams from them)
    writer.vocab = Vocabulary(vocab.words, counts[: len(vocab)], total=stats.tokens_kept)
    return writer.close(), stats


def _group_spans(unit_groups: np.ndarray, bounds: np.ndarray) -> Iterable[tuple[int, int, int]]:
    """(group, first token, end token) of each run of equal groups among the kept units of a chunk."""
    if unit_groups.size == 0:
        return []
    starts = np.flatnonzero(np.concatenate([[True], unit_groups[1:] != unit_groups[:-1]]))
    ends = np.append(starts[1:], unit_groups.size)
    return [(int(unit_groups[a]), int(bounds[a]), int(bounds[b])) for a, b in zip(starts, ends)]


# -- sentences ----------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """Split raw text into sentences: after ``.``, ``!`` or ``?`` followed by white space and a capital
    letter or a digit (closing quotes and brackets may follow the mark), and at every line break.

    A plain rule, chosen here because the papers do not give theirs: it splits after an
    abbreviation followed by a capital (``U.S. Army``) and keeps ``3.5`` and ``e.g. the`` whole.
    """
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def sentence_corpus(
    texts: Iterable[str], out: str | os.PathLike, tokenizer: Any = None, *, overwrite: bool = False
) -> Any:
    """Write a TokenCorpus whose documents are the sentences of ``texts``.

    Each text is split with :func:`split_sentences` and each sentence tokenised with
    ``tokenizer`` (default the papers' Wikipedia rule, :class:`~cooc.corpus.tokenize.Tokenizer`);
    sentences without tokens are left out. Word ids are frequency ranks (ties alphabetical),
    like a built corpus's. The index of the text each sentence came from is stored as the
    extra array ``"document"`` (read it with ``corpus.extra("document")``; pass
    ``groups="document"`` to :func:`filter_corpus` and :func:`join_documents`).

    The encoding is held in memory (int32 ids): fine for millions of tokens; a full
    Wikipedia needs a chunked variant.
    """
    from ..corpus.store import CorpusWriter
    from ..corpus.tokenize import Tokenizer
    from ..corpus.vocab import Vocabulary

    tokenizer = tokenizer or Tokenizer()
    index: dict[str, int] = {}
    ids: list[np.ndarray] = []
    lengths: list[int] = []
    owner: list[int] = []
    for t, text in enumerate(texts):
        for sentence in split_sentences(text):
            tokens = tokenizer(sentence)
            if tokens:
                ids.append(np.fromiter((index.setdefault(w, len(index)) for w in tokens), np.int64, len(tokens)))
                lengths.append(len(tokens))
                owner.append(t)
    if not ids:
        raise InputDataError("sentence_corpus: the texts hold no tokens.")
    flat = np.concatenate(ids)
    words = np.array(list(index), dtype=object)
    counts = np.bincount(flat, minlength=len(words))
    order = np.lexsort((words.astype(str), -counts))  # frequency rank, ties alphabetical
    rank = np.empty(len(words), dtype=np.int64)
    rank[order] = np.arange(len(words))
    vocab = Vocabulary([str(w) for w in words[order]], counts[order])
    source = {"kind": "sentences", "sentences": len(lengths), "texts": int(owner[-1]) + 1}
    settings = {"source": source, "tokenizer": tokenizer.settings(), "tokens": int(flat.size)}
    with CorpusWriter(out, vocab, source, settings, overwrite=overwrite) as writer:
        writer.add_documents(rank[flat].astype(np.int32), np.concatenate([[0], np.cumsum(lengths)]))
        writer.add_extra("document", np.asarray(owner, dtype=np.int64))
    return writer.close()


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
    groups: Any = None,
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
    groups : array-like or str, optional
        ``corpus`` is made of sentences and these are their documents (see :func:`filter_corpus`):
        the sentences holding a pair are removed and the rest joined back per document, so
        ``cooc`` must count the joined corpus (:func:`join_documents`).
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
        settings={"target": target, "dim": dim, "block": block, "unit": "document" if groups is None else "sentence"},
    )
    if corpus is not None:
        if work_dir is None:
            raise InputDataError("removal_experiment: corpus removal needs 'work_dir' for the filtered corpus.")
        from ..count import count_cooccurrences

        params = {k: cooc.settings[k] for k in COUNT_SETTINGS if k in cooc.settings}
        params.update(count_params or {})
        params.setdefault("progress", False)
        filtered, stats = filter_corpus(
            corpus, touched, Path(work_dir) / f"without-{family}", overwrite=True, case_insensitive=fold, groups=groups
        )
        result.corpus = score(count_cooccurrences(filtered, **params))
        result.filter_stats = stats
    return result
