"""Contexts for next-token prediction, cut from a grammar source or from any TokenCorpus.

Two shapes of data, one interface (:class:`LMData`):

- **sentences** (grammars whose sentences have one length: the RHM, the sparse RHM, the
  latent and taxonomy models): every example is the last ``T`` tokens of one sentence
  (``T = context <= sentence length``), so the last position of a context is the last
  token of a sentence, the target of the papers' last-token task. RHM sentences are
  distinct by default (``distinct=false`` in the spec draws them i.i.d.): training,
  validation and test sentences never repeat, and asking for more than ``P_max`` is refused.
  The distinct sentences come in random order (``RandomHierarchyModel.sample`` shuffles those it
  finds by rejection, where likely ones come first), so the three parts have one distribution.
- **streams** (text, and grammars whose sentence length varies): documents are joined,
  each followed by a separator token, into one token stream; for a corpus the test and
  validation streams are its first documents and the training stream the following ones
  (so a large corpus is read only as far as needed), for a grammar the training stream
  comes first. ``P`` training
  contexts of ``T`` tokens means the first ``P * T`` tokens of the training stream; a
  training batch reads windows of ``T`` tokens at random offsets in it (every shift of
  the text is a context), while the held-out streams are cut into consecutive windows.
  With a corpus, ``vocab_size`` keeps the most frequent words and maps the others to one
  unknown-word id.

Ids: ``0 .. n_symbols - 1`` are the source's symbols (grammar symbols, or corpus word
ids, which are frequency ranks), then ``unk`` and ``separator`` where they exist;
``vocab_size`` counts them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._core.errors import InputDataError, InvalidParameterError
from ..._core.params import Interval, validate


@dataclass
class LMData:
    """Token ids on a torch device, with what the models and the theory need to know.

    Attributes
    ----------
    train : int64 tensor of shape (N, T) (sentences) or (n,) (stream)
    val, test : int64 tensors of shape (n_val, T), (n_test, T)
    context : int
        ``T``.
    vocab_size : int
        Number of ids (symbols + unknown + separator).
    kind : {"sentences", "stream"}
    filter_size : int
        The grammar's branching ``s`` (the CNN's filter); 2 for text.
    name : str
        The source, for labels.
    grammar : object or None
        The grammar model (for its exact statistics), when the source is one.
    words : list of str
        The name of each id.
    """

    train: Any
    val: Any
    test: Any
    context: int
    vocab_size: int
    kind: str
    filter_size: int
    name: str
    grammar: Any = None
    words: list[str] = field(default_factory=list)

    @property
    def max_train(self) -> int:
        """The largest ``P`` (training contexts) available."""
        if self.kind == "sentences":
            return int(self.train.shape[0])
        return int(self.train.shape[0]) // self.context

    def check_samples(self, P: int) -> None:
        if not 1 <= P <= self.max_train:
            raise InvalidParameterError(f"P = {P} training contexts asked for, but only {self.max_train} were drawn.")

    def batch(self, P: int, size: int, gen: Any) -> Any:
        """``size`` training contexts (B, T) drawn uniformly from the first ``P`` (``gen`` a torch Generator)."""
        import torch

        device = self.train.device
        if self.kind == "sentences":
            rows = torch.randint(0, P, (size,), generator=gen, device=device)
            return self.train[rows]
        n = P * self.context
        start = torch.randint(0, n - self.context + 1, (size,), generator=gen, device=device)
        return self.train[start[:, None] + torch.arange(self.context, device=device)[None, :]]

    def epoch(self, P: int) -> Any:
        """The first ``P`` training contexts as fixed windows (B, T), e.g. to report the training loss."""
        if self.kind == "sentences":
            return self.train[:P]
        return self.train[: P * self.context].view(P, self.context)


def _windows(stream: np.ndarray, T: int) -> np.ndarray:
    n = stream.size // T
    return stream[: n * T].reshape(n, T)


# -- grammars --------------------------------------------------------------------------------------
def grammar_lm_data(
    spec: str | Any,
    context: int | None,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int = 0,
    device: Any = "cpu",
) -> LMData:
    """Contexts from a grammar spec (``"rhm:v=8,n_c=8,m=2,s=2,L=3"``, ``varying-tree:...``, ...).

    ``n_train``, ``n_val``, ``n_test`` count contexts. ``context=None`` means whole sentences.
    """
    from ...grammars.rhm import RandomHierarchyModel
    from ...grammars.source import make_grammar, parse_grammar_spec

    if isinstance(spec, RandomHierarchyModel):
        name, params, model = "rhm", {**spec.params(), "distinct": True}, spec
    else:
        name, params = parse_grammar_spec(spec)
        model = None
    _check_sizes(n_train, n_val, n_test)
    label = spec if isinstance(spec, str) else repr(spec)
    rng = np.random.default_rng(seed)
    total = n_train + n_val + n_test
    if name == "rhm":
        distinct = params.pop("distinct", True)
        model = model or RandomHierarchyModel(**params)
        T = _check_context(context, model.n_positions, label)
        if distinct and total > model.P_max:
            raise InvalidParameterError(
                f"{total} distinct sentences asked for ({n_train} training + {n_val} validation + {n_test} test) "
                f"but {label} has only P_max = {model.P_max}; use fewer samples or held-out sentences (n_val, "
                f"n_test), a larger grammar, or i.i.d. sentences with 'distinct=false' in the spec."
            )
        tokens = np.asarray(model.sample(total, seed=rng, distinct=distinct).ids())
        words = [f"s{a}" for a in range(model.v)]
        return _sentences(tokens[:, -T:], n_train, n_val, T, len(words), model.s, label, model, words, device)
    grammar = make_grammar(name, params)
    model = grammar.model
    (flat, offsets), _ = grammar.sample(total, rng, None)
    flat, offsets = np.asarray(flat, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    filter_size = int(getattr(model, "block", getattr(model, "s", 2)))
    if np.all(lengths == lengths[0]) and name != "varying-tree" and name != "pcfg":
        T = _check_context(context, int(lengths[0]), label)
        tokens = flat.reshape(total, -1)[:, -T:]
        return _sentences(
            tokens, n_train, n_val, T, len(grammar.words), filter_size, label, model, grammar.words, device
        )
    if context is None:
        raise InvalidParameterError(f"{label} has sentences of varying length: give a context length T.")
    # variable-length sentences: a stream with a separator after each sentence, drawn until it is long enough
    T = int(context)
    validate({"context": T}, {"context": Interval(int, 2, None)}, "lm data")
    docs = np.split(flat, offsets[1:-1])
    have = int(flat.size + len(docs))
    while have < total * T:
        more = int(np.ceil((total * T - have) / max(np.mean(lengths) + 1, 1))) + 1
        (flat, offsets), _ = grammar.sample(more, rng, None)
        new = np.split(np.asarray(flat, dtype=np.int64), np.asarray(offsets, dtype=np.int64)[1:-1])
        docs += new
        have += int(np.asarray(flat).size + len(new))
    sep = len(grammar.words)
    return _streams(docs, None, sep, T, n_train, n_val, n_test, label, 2, model, [*grammar.words, "</s>"], device)


def _check_sizes(n_train: int, n_val: int, n_test: int) -> None:
    """At least one context in each part: the validation set picks the kept weights, the test set scores them."""
    sizes = {"n_train": n_train, "n_val": n_val, "n_test": n_test}
    validate(sizes, {k: Interval(int, 1, None) for k in sizes}, "lm data")


def _check_context(context: int | None, length: int, label: str) -> int:
    if context is None:
        return length
    validate({"context": context}, {"context": Interval(int, 2, None)}, "lm data")
    if context > length:
        raise InvalidParameterError(
            f"context T = {context} is longer than the sentences of {label} ({length} tokens); use T <= {length}."
        )
    return int(context)


def _sentences(tokens, n_train, n_val, T, n_symbols, filter_size, label, model, words, device) -> LMData:
    from ...grammars.rhm import as_torch

    tokens = np.ascontiguousarray(tokens, dtype=np.int64)
    train, val, test = tokens[:n_train], tokens[n_train : n_train + n_val], tokens[n_train + n_val :]
    return LMData(
        as_torch(train, device),
        as_torch(np.ascontiguousarray(val), device),
        as_torch(np.ascontiguousarray(test), device),
        T,
        int(n_symbols),
        "sentences",
        int(filter_size),
        label,
        model,
        list(words),
    )


# -- streams (text) ------------------------------------------------------------------------------------
def corpus_lm_data(
    corpus: Any,
    context: int,
    n_train: int,
    n_val: int,
    n_test: int,
    vocab_size: int | None = None,
    device: Any = "cpu",
) -> LMData:
    """Contexts of ``context`` tokens cut from a TokenCorpus (or a corpus directory).

    The corpus is read in order until the test, validation and training streams are full
    (so a large corpus is never loaded whole); the held-out streams come from its first
    documents and the training stream from the following ones.
    """
    from ...corpus.store import TokenCorpus

    if isinstance(corpus, (str, os.PathLike)):
        corpus = TokenCorpus.open(Path(corpus))
    validate(
        {"context": context, "vocab_size": vocab_size},
        {"context": Interval(int, 2, None), "vocab_size": Interval(int, 1, None, allow_none=True)},
        "corpus_lm_data",
    )
    _check_sizes(n_train, n_val, n_test)
    V = len(corpus.vocab) if vocab_size is None else min(int(vocab_size), len(corpus.vocab))
    need = (n_train + n_val + n_test) * context
    docs, have = [], 0
    for tokens, offsets in corpus.iter_chunks():
        for a, b in zip(offsets[:-1], offsets[1:]):
            doc = np.asarray(tokens[a:b], dtype=np.int64)
            docs.append(doc)
            have += doc.size + 1
        if have >= need + 2 * context:
            break
    words = [*corpus.vocab.words[:V], "<unk>", "</s>"]
    return _streams(
        docs, V, V + 1, context, n_train, n_val, n_test, str(corpus.path), 2, None, words, device, held_out_first=True
    )


def _streams(
    docs, unk, sep, T, n_train, n_val, n_test, label, filter_size, model, words, device, held_out_first=False
) -> LMData:
    from ...grammars.rhm import as_torch

    parts = []
    for doc in docs:
        parts += [doc if unk is None else np.minimum(doc, unk), np.array([sep], dtype=np.int64)]
    stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    need = (n_train + n_val + n_test) * T
    if stream.size < need:
        raise InputDataError(
            f"{n_train} training + {n_val} validation + {n_test} test contexts of {T} tokens need {need:,} tokens, "
            f"but {label} has {stream.size:,}; ask for fewer."
        )
    held = (n_test + n_val) * T
    if held_out_first:
        test, val, train = stream[: n_test * T], stream[n_test * T : held], stream[held : held + n_train * T]
    else:
        train, val, test = stream[: n_train * T], stream[n_train * T : n_train * T + n_val * T], stream[-n_test * T :]
    return LMData(
        as_torch(np.ascontiguousarray(train), device),
        as_torch(np.ascontiguousarray(_windows(val, T)), device),
        as_torch(np.ascontiguousarray(_windows(test, T)), device),
        int(T),
        len(words),
        "stream",
        int(filter_size),
        label,
        model,
        list(words),
    )


def lm_data(
    source: Any,
    context: int | None,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int = 0,
    vocab_size: int | None = None,
    device: Any = "cpu",
) -> LMData:
    """Contexts from a grammar spec or model, a TokenCorpus, or a corpus directory."""
    from ...corpus.store import TokenCorpus
    from ...grammars.source import is_grammar_spec

    if isinstance(source, TokenCorpus) or (
        isinstance(source, (str, os.PathLike)) and not is_grammar_spec(str(source)) and Path(source).is_dir()
    ):
        if context is None:
            raise InvalidParameterError("a corpus needs a context length T.")
        return corpus_lm_data(source, context, n_train, n_val, n_test, vocab_size, device)
    if isinstance(source, str) and not is_grammar_spec(source):
        raise InputDataError(
            f"{source!r} is neither a grammar spec (rhm:v=8,n_c=8,m=2,s=2,L=3, ...) nor a corpus directory."
        )
    if vocab_size is not None:
        raise InvalidParameterError(
            f"vocab_size ({vocab_size}) keeps a corpus' most frequent words; a grammar's vocabulary is set by its "
            "spec (v=...)."
        )
    return grammar_lm_data(source, context, n_train, n_val, n_test, seed, device)


__all__ = ["LMData", "lm_data", "grammar_lm_data", "corpus_lm_data"]
