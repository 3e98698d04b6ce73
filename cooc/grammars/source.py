"""Grammars as corpus sources: ``rhm:v=32,n_c=32,m=8,s=2,L=3`` -> a TokenCorpus on disk.

A *grammar spec* is ``name:key=value,key=value`` (the colon is required; ``latent:`` uses
every default). Names: ``rhm``, ``srhm``, ``varying-tree`` (alias ``pcfg`` without a
``file``), ``pcfg:file=grammar.json`` (a general PCFG, see :meth:`PCFG.from_json`),
``latent`` and ``taxonomy``; keys are the model's constructor parameters.

:func:`build_grammar_corpus` writes the corpus with :class:`~cooc.corpus.store.CorpusWriter`.
Vocabulary words name the model's symbols (``s17``; ``_`` for the SRHM's empty symbol;
the latent and taxonomy models' own word names). As everywhere in cooc, ids are
frequency ranks (ties broken alphabetically), so the corpus is generated twice from the
same seeds: once to count, once to write. ``extras/symbol_of_id.npy`` maps each id back
to the model's symbol index; latent trees, class labels and latent states are stored
alongside (see :data:`EXTRAS`), all in the model's symbol indices.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError
from .._core.params import Interval, validate
from .._core.progress import ProgressBar
from ..corpus.store import CorpusWriter, TokenCorpus, prepare_output
from ..corpus.vocab import Vocabulary
from .latent import LatentVariableModel
from .pcfg import PCFG, VaryingTreeGrammar
from .rhm import RandomHierarchyModel
from .srhm import SparseRandomHierarchyModel
from .taxonomy import TaxonomyModel

CHUNK_TOKENS = 1 << 22

_RHM_KEYS = {"v": int, "n_c": int, "m": int, "s": int, "L": int, "a": "float?", "rule_seed": int, "distinct": bool}
SCHEMAS: dict[str, dict[str, Any]] = {
    "rhm": _RHM_KEYS,
    "srhm": {**{k: t for k, t in _RHM_KEYS.items() if k != "distinct"}, "s0": int, "sparsity": str},
    "varying-tree": {"v": int, "f": float, "L": int, "rule_seed": int, "p2": float},
    "pcfg": {"file": str},
    "latent": {
        "n_words": int,
        "geometry": str,
        "kernel": str,
        "scale": float,
        "latent_fraction": float,
        "n_fillers": int,
        "filler_exponent": float,
        "doc_length": int,
        "period": float,
        "layout_seed": int,
    },
    "taxonomy": {"branching": int, "depth": int, "beta": float, "self_pairs": bool, "doc_length": int},
}
REQUIRED = {
    "rhm": ("v", "n_c", "m", "s", "L"),
    "srhm": ("v", "n_c", "m", "s", "L"),
    "varying-tree": ("v", "f", "L"),
    "pcfg": ("file",),
    "latent": (),
    "taxonomy": (),
}
#: Arrays stored in ``extras/`` by each grammar (besides ``symbol_of_id``).
EXTRAS = {
    "rhm": "labels (n_docs,), latent (n_docs, internal nodes) level by level, rules_<l> (n, m, s)",
    "srhm": "labels, latent, positions (n_docs, s**L): where the informative tokens sit",
    "varying-tree": "labels (n_docs,), node_symbol / node_parent (n_nodes,), node_offsets (n_docs + 1,)",
    "pcfg": "node_symbol / node_parent (n_nodes,), node_offsets (n_docs + 1,)",
    "latent": "states (n_docs,), state_positions, word_positions",
    "taxonomy": "parents (V,) in node indices",
}
_SPEC = re.compile(r"^(rhm|srhm|varying-tree|pcfg|latent|taxonomy):(.*)$", re.DOTALL)


def is_grammar_spec(spec: str) -> bool:
    """True for strings of the form ``<grammar name>:<parameters>`` (the colon is required)."""
    return isinstance(spec, str) and _SPEC.match(spec.strip()) is not None


def parse_grammar_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split ``"rhm:v=32,n_c=32,m=8,s=2,L=3"`` into ``("rhm", {"v": 32, ...})``.

    ``pcfg`` without ``file`` is read as ``varying-tree``. Unknown names or keys, values
    of the wrong type and missing required keys raise :class:`InvalidParameterError`
    naming what is allowed.
    """
    match = _SPEC.match(spec.strip()) if isinstance(spec, str) else None
    if match is None:
        head = str(spec).split(":", 1)[0]
        raise InvalidParameterError(
            f"{spec!r} is not a grammar spec: expected '<name>:key=value,...' with a name "
            f"among {', '.join(SCHEMAS)} (got name {head!r})."
        )
    name, body = match.group(1), match.group(2).strip()
    pairs = [item.strip() for item in body.split(",") if item.strip()] if body else []
    raw: dict[str, str] = {}
    for item in pairs:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InvalidParameterError(f"{name}: expected key=value, got {item!r}.")
        if key in raw:
            raise InvalidParameterError(f"{name}: parameter {key!r} is given twice.")
        raw[key] = value.strip()
    if name == "pcfg" and "file" not in raw:
        name = "varying-tree"
    schema = SCHEMAS[name]
    unknown = [k for k in raw if k not in schema]
    if unknown:
        raise InvalidParameterError(f"{name}: unknown parameter {unknown[0]!r}; allowed: {', '.join(schema)}.")
    missing = [k for k in REQUIRED[name] if k not in raw]
    if missing:
        raise InvalidParameterError(f"{name}: missing required parameter(s) {', '.join(missing)}.")
    return name, {k: _convert(name, k, v, schema[k]) for k, v in raw.items()}


def _convert(name: str, key: str, value: str, kind: Any) -> Any:
    try:
        if kind is int:
            return int(value)
        if kind is float:
            return float(value)
        if kind == "float?":
            return None if value.lower() in ("none", "") else float(value)
        if kind is bool:
            lowered = value.lower()
            if lowered in ("1", "true", "yes"):
                return True
            if lowered in ("0", "false", "no"):
                return False
            raise ValueError(value)
        return value
    except ValueError:
        what = {int: "an integer", float: "a number", "float?": "a number or none", bool: "true or false"}[kind]
        raise InvalidParameterError(f"{name}: parameter {key!r} must be {what}, got {value!r}.") from None


# -- one generator per grammar ---------------------------------------------------------------
class _Grammar:
    """What the writer needs from a model: words, a chunk sampler, static extras, params."""

    def __init__(
        self,
        model: Any,
        words: list[str],
        doc_tokens: int,
        sample: Callable,
        static: dict[str, np.ndarray],
        params: dict[str, Any],
    ):
        self.model, self.words, self.doc_tokens, self.sample = model, words, doc_tokens, sample
        self.static, self.params = static, params


def make_grammar(name: str, params: dict[str, Any]) -> _Grammar:
    """Build the model of a parsed spec with its corpus adapter."""
    if name == "rhm":
        return _rhm(params)
    if name == "srhm":
        return _srhm(params)
    if name in ("varying-tree", "pcfg"):
        return _tree(name, params)
    if name == "latent":
        return _latent(params)
    return _taxonomy(params)


def _srhm(params: dict[str, Any]) -> _Grammar:
    model = SparseRandomHierarchyModel(**params)

    def sample(n: int, rng: np.random.Generator, _: Any) -> tuple:
        s = model.sample(n, seed=rng)
        extras = {"labels": s.labels.astype(np.int64), "latent": s.rhm.latent(), "positions": s.positions[-1]}
        return _fixed(s.tokens), extras

    words = [f"s{a}" for a in range(model.v)] + ["_"]
    return _Grammar(model, words, model.n_positions, sample, _rule_extras(model.rhm), model.params())


def _tree(name: str, params: dict[str, Any]) -> _Grammar:
    """The varying-tree grammar, or a PCFG read from a JSON file: documents of variable length."""
    varying = name == "varying-tree"
    model: Any = VaryingTreeGrammar(**params) if varying else PCFG.from_json(params["file"])
    grammar = model.grammar if varying else model

    def sample(n: int, rng: np.random.Generator, _: Any) -> tuple:
        d = model.sample(n, seed=rng)
        extras = {"node_symbol": d.node_symbol, "node_parent": d.node_parent, "node_count": np.diff(d.node_offsets)}
        if varying:
            extras["labels"] = model.classes(d)
        return (d.tokens, d.offsets), extras

    info = model.params() if varying else {"file": str(params["file"]), "grammar": model.to_json()}
    length = 3**model.L if varying else 64
    return _Grammar(model, list(grammar.terminals), length, sample, {}, info)


def _latent(params: dict[str, Any]) -> _Grammar:
    model = LatentVariableModel(**params)

    def sample(n: int, rng: np.random.Generator, _: Any) -> tuple:
        tokens, states = model.sample(n, seed=rng)
        return _fixed(tokens), {"states": states}

    static = {"state_positions": model.states, "word_positions": model.positions}
    return _Grammar(model, model.words, model.doc_length, sample, static, model.params())


def _taxonomy(params: dict[str, Any]) -> _Grammar:
    model = TaxonomyModel(**params)

    def sample(n: int, rng: np.random.Generator, _: Any) -> tuple:
        return _fixed(model.sample(n, seed=rng)), {}

    return _Grammar(model, model.words, model.doc_length, sample, {"parents": model.parents}, model.params())


def _rhm(params: dict[str, Any]) -> _Grammar:
    params = dict(params)
    distinct = params.pop("distinct", False)
    model = RandomHierarchyModel(**params)
    if distinct and not (model.uniform and model.P_max < 2**63):
        raise InvalidParameterError("rhm: distinct=true needs uniform productions (no 'a') and P_max < 2**63.")

    def sample(n: int, rng: np.random.Generator, indices: Any) -> tuple:
        s = model.from_indices(indices) if indices is not None else model.sample(n, seed=rng)
        return _fixed(s.tokens), {"labels": s.labels.astype(np.int64), "latent": s.latent()}

    return _Grammar(
        model,
        [f"s{a}" for a in range(model.v)],
        model.n_positions,
        sample,
        _rule_extras(model),
        {**model.params(), "distinct": distinct, "P_max": _count_text(model)},
    )


def _count_text(model: RandomHierarchyModel) -> str:
    """P_max written out, or as a power of ten where its digits would run to pages (Python caps str(int))."""
    digits = model.n_internal * math.log10(model.m) + math.log10(model.n_c)
    return str(model.P_max) if digits < 1000 else f"about 10^{digits:.0f}"


def _rule_extras(model: RandomHierarchyModel) -> dict[str, np.ndarray]:
    return {f"rules_{l}": r for l, r in enumerate(model.rules)}


def _fixed(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-length documents (n, T) as flat tokens and offsets."""
    n, T = tokens.shape
    return np.asarray(tokens).reshape(-1), np.arange(0, n * T + 1, T, dtype=np.int64)


# -- building ----------------------------------------------------------------------------------
def build_grammar_corpus(
    spec: str,
    out: str | os.PathLike,
    documents: int,
    seed: int = 0,
    overwrite: bool = False,
    shard_tokens: int = 1 << 24,
    progress: bool = True,
) -> TokenCorpus:
    """Generate ``documents`` documents of a grammar and write them as a TokenCorpus.

    Parameters
    ----------
    spec : str
        A grammar spec (module notes), e.g. ``"rhm:v=32,n_c=32,m=8,s=2,L=3"``.
    out : path
        Output directory; an identical earlier build (same spec, documents, seed) is reused.
    documents : int
        Number of documents (sentences); at least 1.
    seed : int
        Seed of the samples (the rules have their own ``rule_seed`` in the spec).
    overwrite : bool
        Replace a different corpus in ``out``.
    shard_tokens : int
        Tokens per shard file.
    progress : bool
        Show a progress bar (on a terminal).

    Returns
    -------
    TokenCorpus
    """
    validate(
        {"documents": documents, "seed": seed, "shard_tokens": shard_tokens},
        {"documents": Interval(int, 1, None), "seed": Interval(int, 0, None), "shard_tokens": Interval(int, 1, None)},
        "build_grammar_corpus",
    )
    name, params = parse_grammar_spec(spec)
    grammar = make_grammar(name, params)
    if grammar.params.get("distinct") and documents > grammar.model.P_max:
        raise InvalidParameterError(
            f"cannot draw {documents} distinct sentences: this grammar has only P_max = {grammar.model.P_max}."
        )
    out = Path(out)
    settings = {"grammar": name, "params": params, "documents": documents, "seed": seed}
    existing = prepare_output(out, settings, overwrite)
    if existing is not None:
        return existing
    per_chunk = max(1, CHUNK_TOKENS // max(grammar.doc_tokens, 1))
    counts = np.zeros(len(grammar.words), dtype=np.int64)
    for flat, _, _ in _chunks(grammar, documents, seed, per_chunk, progress, "counting"):
        counts += np.bincount(flat, minlength=len(grammar.words))
    vocab, id_of_symbol = _rank_vocabulary(grammar.words, counts)
    source = {
        "type": "grammar",
        "grammar": name,
        "spec": spec.strip(),
        "params": grammar.params,
        "documents": documents,
        "seed": seed,
    }
    writer = CorpusWriter(out, vocab, source, settings=settings, shard_tokens=shard_tokens)
    gathered: dict[str, list[np.ndarray]] = {}
    for flat, offsets, extras in _chunks(grammar, documents, seed, per_chunk, progress, "writing"):
        writer.add_documents(id_of_symbol[flat], offsets)
        for key, value in extras.items():
            gathered.setdefault(key, []).append(np.asarray(value))
    _write_extras(writer, gathered, grammar.static, id_of_symbol)
    return writer.close()


def _chunks(
    grammar: _Grammar, documents: int, seed: int, per_chunk: int, progress: bool, what: str
) -> Iterator[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
    """The documents in chunks, identical on every pass (one child seed per chunk)."""
    n_chunks = -(-documents // per_chunk)
    root = np.random.SeedSequence(seed)
    index_stream, chunk_streams = root.spawn(2)
    indices = None
    if grammar.params.get("distinct"):
        indices = np.random.default_rng(index_stream).choice(grammar.model.P_max, size=documents, replace=False)
    streams = chunk_streams.spawn(n_chunks)
    with ProgressBar(
        f"grammar corpus: {what}", total=documents, unit="docs", enabled=progress, rates=("tokens",)
    ) as bar:
        for k, stream in enumerate(streams):
            n = min(per_chunk, documents - k * per_chunk)
            part = None if indices is None else indices[k * per_chunk : k * per_chunk + n]
            (flat, offsets), extras = grammar.sample(n, np.random.default_rng(stream), part)
            bar.update(n, tokens=flat.size)
            yield np.asarray(flat, dtype=np.int64), offsets, extras


def _rank_vocabulary(words: list[str], counts: np.ndarray) -> tuple[Vocabulary, np.ndarray]:
    """Order symbols by count (ties alphabetically): the Vocabulary and the symbol -> id map."""
    order = sorted(range(len(words)), key=lambda k: (-int(counts[k]), words[k]))
    id_of_symbol = np.empty(len(words), dtype=np.int64)
    id_of_symbol[order] = np.arange(len(words))
    vocab = Vocabulary([words[k] for k in order], counts[order], total=int(counts.sum()))
    return vocab, id_of_symbol


def _write_extras(
    writer: CorpusWriter, gathered: dict[str, list[np.ndarray]], static: dict[str, np.ndarray], id_of_symbol: np.ndarray
) -> None:
    symbol_of_id = np.argsort(id_of_symbol).astype(np.int64)
    writer.add_extra("symbol_of_id", symbol_of_id)
    for key, value in static.items():
        writer.add_extra(key, value)
    for key, parts in gathered.items():
        array = np.concatenate(parts)
        if key == "node_count":
            writer.add_extra("node_offsets", np.concatenate([[0], np.cumsum(array)]).astype(np.int64))
        else:
            writer.add_extra(key, array)
