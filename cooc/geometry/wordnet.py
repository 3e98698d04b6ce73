"""Hypernym hierarchies: WordNet 3.0 nouns from Debian's files, or any edge list, turned into a tree of words.

WordNet is read through nltk's ``WordNetCorpusReader`` from the files of Debian's
``wordnet-base`` package (``/usr/share/wordnet``). nltk needs a ``lexnames`` file that
Debian leaves out; cooc writes it (the 45 names of the lexnames(5WN) manual) into a cache
directory beside copies of the data files. Copies, not links: nltk 3.9+ refuses to open
a symbolic or hard link that leads outside its corpus root. The noun hypernym graph and
the lemma table are extracted once and cached there as TSV, so later loads take a
fraction of a second.

A hierarchy becomes a tree of words as docs/science.md, section 5 says: keep monosemous
single-token lemmas present in the vocabulary, turn the hypernym DAG into a tree by
giving each node its deepest parent (longest path from a root), and contract the nodes
without a word (their children move up to the nearest kept ancestor).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from .._core.errors import CoocError, InputDataError, MissingDependencyError
from .._core.io import atomic_write_json, atomic_write_text, file_checksum, load_json, read_utf8
from .._core.params import OneOf, validate
from .trees import tree_distances

APT_HINT = "apt-get install wordnet-base"
DEBIAN_WORDNET = Path("/usr/share/wordnet")
WORDNET_FILES = (
    "data.noun",
    "data.verb",
    "data.adj",
    "data.adv",
    "index.noun",
    "index.verb",
    "index.adj",
    "index.adv",
    "noun.exc",
    "verb.exc",
    "adj.exc",
    "adv.exc",
    "cntlist.rev",
)
TABLES_FORMAT = "cooc.wordnet-tables/2"

# lexnames(5WN): file number = position, name, syntactic category (1 noun, 2 verb, 3 adjective, 4 adverb).
LEXNAMES = (
    ("adj.all", 3),
    ("adj.pert", 3),
    ("adv.all", 4),
    ("noun.Tops", 1),
    ("noun.act", 1),
    ("noun.animal", 1),
    ("noun.artifact", 1),
    ("noun.attribute", 1),
    ("noun.body", 1),
    ("noun.cognition", 1),
    ("noun.communication", 1),
    ("noun.event", 1),
    ("noun.feeling", 1),
    ("noun.food", 1),
    ("noun.group", 1),
    ("noun.location", 1),
    ("noun.motive", 1),
    ("noun.object", 1),
    ("noun.person", 1),
    ("noun.phenomenon", 1),
    ("noun.plant", 1),
    ("noun.possession", 1),
    ("noun.process", 1),
    ("noun.quantity", 1),
    ("noun.relation", 1),
    ("noun.shape", 1),
    ("noun.state", 1),
    ("noun.substance", 1),
    ("noun.time", 1),
    ("verb.body", 2),
    ("verb.change", 2),
    ("verb.cognition", 2),
    ("verb.communication", 2),
    ("verb.competition", 2),
    ("verb.consumption", 2),
    ("verb.contact", 2),
    ("verb.creation", 2),
    ("verb.emotion", 2),
    ("verb.motion", 2),
    ("verb.perception", 2),
    ("verb.possession", 2),
    ("verb.social", 2),
    ("verb.stative", 2),
    ("verb.weather", 2),
    ("adj.ppl", 3),
)


def lexnames_text() -> str:
    """The ``lexnames`` file: ``NN<TAB>name<TAB>category`` for the 45 lexicographer files."""
    return "".join(f"{i:02d}\t{name}\t{cat}\n" for i, (name, cat) in enumerate(LEXNAMES))


# -- locating and preparing the data ----------------------------------------------------------
def find_wordnet_source(path: str | os.PathLike | None = None) -> Path:
    """The directory holding WordNet's ``data.noun`` etc.: ``path``, ``$WNSEARCHDIR`` or Debian's.

    Raises
    ------
    MissingDependencyError
        When no such directory exists; the message names ``apt-get install wordnet-base``.
    """
    candidates = (
        [Path(path)]
        if path is not None
        else ([Path(os.environ["WNSEARCHDIR"])] if os.environ.get("WNSEARCHDIR") else []) + [DEBIAN_WORDNET]
    )
    for c in candidates:
        if (c / "data.noun").is_file() and (c / "index.noun").is_file():
            return c
    where = ", ".join(str(c) for c in candidates)
    raise MissingDependencyError(
        f"WordNet 3.0 data files (data.noun, index.noun, ...) not found in {where}: install them with "
        f"'{APT_HINT}' (Debian/Ubuntu) or pass the directory that holds them."
    )


def prepare_wordnet_dir(source: str | os.PathLike | None = None, cache: str | os.PathLike | None = None) -> Path:
    """A directory nltk can read: copies of the WordNet files plus the ``lexnames`` file Debian omits.

    Parameters
    ----------
    source : path, optional
        WordNet's dict directory (default: :func:`find_wordnet_source`).
    cache : path, optional
        Where to build it (default ``cooc.data.cache_dir() / "wordnet-3.0"``).
    """
    from ..data import cache_dir

    src = find_wordnet_source(source)
    out = Path(cache) if cache is not None else cache_dir() / "wordnet-3.0"
    out.mkdir(parents=True, exist_ok=True)
    for name in WORDNET_FILES:
        s, d = src / name, out / name
        if not s.is_file():
            if name == "cntlist.rev":
                continue
            raise MissingDependencyError(f"WordNet file {str(s)!r} is missing; reinstall it ({APT_HINT}).")
        if not d.is_file() or d.stat().st_size != s.stat().st_size or d.stat().st_mtime < s.stat().st_mtime:
            tmp = out / f".{name}.tmp"
            shutil.copyfile(s, tmp)
            os.replace(tmp, d)
    if not (out / "lexnames").is_file() or (out / "lexnames").read_text() != lexnames_text():
        atomic_write_text(out / "lexnames", lexnames_text())
    return out


def wordnet_reader(source: str | os.PathLike | None = None, cache: str | os.PathLike | None = None) -> Any:
    """nltk's ``WordNetCorpusReader`` over the prepared directory (see :func:`prepare_wordnet_dir`)."""
    root = prepare_wordnet_dir(source, cache)
    try:
        import nltk
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError:  # pragma: no cover - a hard dependency
        raise MissingDependencyError("reading WordNet needs nltk: pip install nltk") from None

    class _WordNet30Reader(WordNetCorpusReader):
        def map_wn(self, version: str = "wordnet") -> None:
            # The files are WordNet 3.0 itself; nltk would otherwise look for its own download to map onto.
            return None

    if str(root) not in [str(p) for p in nltk.data.path]:
        nltk.data.path.append(str(root))  # nltk 3.9+ reads only from directories on its data path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": we pass no OMW reader
        return _WordNet30Reader(str(root), None)


# -- cached noun tables -------------------------------------------------------------------------
@dataclass
class NounTables:
    """WordNet's noun graph and lemmas as plain tables.

    Attributes
    ----------
    hypernyms : list of (str, str)
        (child synset, parent synset) for every hypernym pointer.
    instances : list of (str, str)
        (instance synset, class synset) for every instance-hypernym pointer.
    lemmas : list of (str, str, int, int)
        (synset, lemma, senses in all parts of speech, senses as a noun).
    synsets : list of str
        Every noun synset.
    """

    hypernyms: list[tuple[str, str]]
    instances: list[tuple[str, str]]
    lemmas: list[tuple[str, str, int, int]]
    synsets: list[str]


def _sense_counts(reader: Any, lemma: str) -> tuple[int, int]:
    lemma = lemma.lower()  # the index files are lowercase ('Einstein' -> 'einstein')
    index = getattr(reader, "_lemma_pos_offset_map", None)  # nltk's parsed index files
    if index is not None:
        by_pos = index.get(lemma, {})
        return sum(len(v) for v in by_pos.values()), len(by_pos.get("n", ()))
    return len(reader.synsets(lemma)), len(reader.synsets(lemma, "n"))  # pragma: no cover


def _extract_tables(reader: Any) -> NounTables:
    hyper: list[tuple[str, str]] = []
    inst: list[tuple[str, str]] = []
    lemmas, names = [], []
    for s in reader.all_synsets("n"):
        name = s.name()
        names.append(name)
        hyper.extend((name, h.name()) for h in s.hypernyms())
        inst.extend((name, h.name()) for h in s.instance_hypernyms())
        for lem in s.lemma_names():
            lemmas.append((name, lem, *_sense_counts(reader, lem)))
    return NounTables(hyper, inst, lemmas, names)


def noun_tables(source: str | os.PathLike | None = None, cache: str | os.PathLike | None = None) -> NounTables:
    """The noun hypernym graph and lemma table, extracted with nltk once and cached as TSV.

    The cache is keyed by the checksum of ``data.noun``; a changed source rebuilds it.
    """
    root = prepare_wordnet_dir(source, cache)
    manifest = root / "noun-tables.json"
    checksum = file_checksum(root / "data.noun")
    files = {k: root / f"noun-{k}.tsv" for k in ("hypernyms", "instances", "lemmas", "synsets")}
    try:
        meta = load_json(manifest)
        if meta.get("format") == TABLES_FORMAT and meta.get("data_noun") == checksum:
            return _read_tables(files)
    except (CoocError, OSError, ValueError):  # a missing, stale or partial cache is rebuilt
        pass
    tables = _extract_tables(wordnet_reader(source, cache))
    atomic_write_text(files["hypernyms"], "".join(f"{c}\t{p}\n" for c, p in tables.hypernyms))
    atomic_write_text(files["instances"], "".join(f"{c}\t{p}\n" for c, p in tables.instances))
    atomic_write_text(files["lemmas"], "".join(f"{s}\t{l}\t{a}\t{n}\n" for s, l, a, n in tables.lemmas))
    atomic_write_text(files["synsets"], "".join(f"{s}\n" for s in tables.synsets))
    atomic_write_json(manifest, {"format": TABLES_FORMAT, "data_noun": checksum, "synsets": len(tables.synsets)})
    return tables


def _read_tables(files: dict[str, Path]) -> NounTables:
    def rows(key: str) -> list[list[str]]:
        return [line.split("\t") for line in files[key].read_text(encoding="utf-8").splitlines() if line]

    lemmas = [(s, l, int(a), int(n)) for s, l, a, n in rows("lemmas")]
    # noun_tables writes the hypernym and instance tables two fields a line
    return NounTables(
        cast("list[tuple[str, str]]", [tuple(r) for r in rows("hypernyms")]),
        cast("list[tuple[str, str]]", [tuple(r) for r in rows("instances")]),
        lemmas,
        [r[0] for r in rows("synsets")],
    )


# -- edge lists ---------------------------------------------------------------------------------
def read_edges(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read a hypernym edge list: one ``child<TAB>parent`` per line; ``#`` comments; an optional ``child<TAB>parent`` header."""
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"edge list {str(path)!r} does not exist.")
    edges: list[tuple[str, str]] = []
    for number, line in enumerate(read_utf8(path, "edge list").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 2 or not all(parts):
            raise InputDataError(f"{str(path)!r} line {number}: expected 'child<TAB>parent', got {line!r}.")
        if not edges and parts == ["child", "parent"]:  # the header: the first line that is not a comment
            continue
        edges.append((parts[0], parts[1]))
    if not edges:
        raise InputDataError(f"edge list {str(path)!r} holds no edges.")
    return edges


def write_edges(path: str | os.PathLike, edges: Iterable[tuple[str, str]]) -> None:
    """Write ``child<TAB>parent`` lines (with a header) atomically."""
    atomic_write_text(path, "child\tparent\n" + "".join(f"{c}\t{p}\n" for c, p in edges))


# -- DAG to tree ----------------------------------------------------------------------------------
def _index_edges(edges: Sequence[tuple[str, str]], nodes: Sequence[str] = ()) -> tuple[list[str], np.ndarray]:
    names: dict[str, int] = {}
    for n in nodes:
        names.setdefault(n, len(names))
    pairs = [(names.setdefault(c, len(names)), names.setdefault(p, len(names))) for c, p in edges]
    return list(names), np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def longest_depths(n: int, edges: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
    """Longest-path depth of each of ``n`` nodes from a root (a node without parents), shape (n,).

    Parameters
    ----------
    edges : ndarray of shape (m, 2)
        (child, parent) pairs.
    """
    parents: list[list[int]] = [[] for _ in range(n)]
    kids: list[list[int]] = [[] for _ in range(n)]
    for c, p in edges.tolist():
        parents[c].append(p)
        kids[p].append(c)
    waiting = np.array([len(set(p)) for p in parents])
    parents = [sorted(set(p)) for p in parents]
    depth = np.zeros(n, dtype=np.int64)
    queue = deque(np.flatnonzero(waiting == 0).tolist())
    done = 0
    while queue:
        v = queue.popleft()
        done += 1
        for c in set(kids[v]):
            depth[c] = max(depth[c], depth[v] + 1)
            waiting[c] -= 1
            if waiting[c] == 0:
                queue.append(c)
    if done < n:
        bad = int(np.flatnonzero(waiting > 0)[0])
        label = names[bad] if names is not None else bad
        raise InputDataError(f"the hypernym graph has a cycle through {label!r}; a hierarchy must be acyclic.")
    return depth


def dag_to_tree(names: Sequence[str], edges: np.ndarray) -> np.ndarray:
    """Tree parent of each node: its deepest parent (longest path from a root), ties to the smallest name.

    Returns
    -------
    ndarray of shape (n,)
        Parent index, -1 for a root.
    """
    n = len(names)
    depth = longest_depths(n, edges, names)
    parent = np.full(n, -1, dtype=np.int64)
    best: dict[int, tuple[int, str]] = {}
    for c, p in edges.tolist():
        key = (-int(depth[p]), names[p])
        if c not in best or key < best[c]:
            best[c] = key
            parent[c] = p
    return parent


def contract(parent: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove the nodes not in ``keep``; each kept node hangs from its nearest kept ancestor.

    Parameters
    ----------
    parent : ndarray of shape (n,)
        Tree parents, -1 for roots.
    keep : ndarray of bool, shape (n,)

    Returns
    -------
    new_parent : ndarray of shape (k,)
        Parents among the kept nodes (-1 when no kept ancestor exists).
    kept : ndarray of shape (k,)
        Original index of each kept node.
    """
    parent = np.asarray(parent, dtype=np.int64)
    keep = np.asarray(keep, dtype=bool)
    kept = np.flatnonzero(keep)
    new_index = np.full(len(parent), -1, dtype=np.int64)
    new_index[kept] = np.arange(len(kept))
    anchor = np.full(len(parent), -2, dtype=np.int64)  # nearest kept ancestor (strict), -1 if none

    def resolve(start: int) -> int:
        chain, v = [], start
        while v >= 0 and anchor[v] == -2:
            chain.append(v)
            v = parent[v]
        # v is -1 (above a root) or a node whose anchor is known
        found = -1 if v < 0 else (v if keep[v] else anchor[v])
        for u in reversed(chain):
            anchor[u] = found
            found = u if keep[u] else found
        return int(anchor[start])

    new_parent = np.empty(len(kept), dtype=np.int64)
    for k, v in enumerate(kept):
        a = resolve(int(v))
        new_parent[k] = new_index[a] if a >= 0 else -1
    return new_parent, kept


# -- hierarchy of words -----------------------------------------------------------------------------
@dataclass
class Hierarchy:
    """A forest of concepts, some of which carry a vocabulary word.

    Attributes
    ----------
    names : list of str, length n
        Node names (synset names for WordNet, the words themselves for an edge list).
    parent : ndarray of shape (n,)
        Parent index, -1 for a root.
    words : list of str or None, length n
        The vocabulary word of each node, None when the node has none.
    """

    names: list[str]
    parent: np.ndarray
    words: list[str | None]

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self._lookup[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a node of this hierarchy") from None

    def __post_init__(self) -> None:
        self.parent = np.asarray(self.parent, dtype=np.int64)
        self._lookup = {n: i for i, n in enumerate(self.names)}

    def depth(self) -> np.ndarray:
        """Depth of every node below its root (roots have depth 0), shape (n,)."""
        depth = np.full(len(self), -1, dtype=np.int64)
        for v in range(len(self)):
            chain = []
            while v >= 0 and depth[v] < 0:
                chain.append(v)
                v = self.parent[v]
            base = -1 if v < 0 else depth[v]
            for u in reversed(chain):
                base += 1
                depth[u] = base
        return depth

    def path(self, name: str) -> list[str]:
        """Names from ``name`` up to its root."""
        v, out = self.index(name), []
        while v >= 0:
            out.append(self.names[v])
            v = int(self.parent[v])
        return out

    def children(self) -> list[np.ndarray]:
        """Children of each node, in index order."""
        order = np.argsort(self.parent, kind="stable")
        starts = np.searchsorted(self.parent[order], np.arange(len(self) + 1))
        return [order[starts[v] : starts[v + 1]] for v in range(len(self))]

    def contract_to_words(self) -> Hierarchy:
        """The tree of the nodes that carry a word (others contracted away)."""
        keep = np.array([w is not None for w in self.words])
        parent, kept = contract(self.parent, keep)
        return Hierarchy([self.names[i] for i in kept], parent, [self.words[i] for i in kept])

    def distances(self) -> np.ndarray:
        """Tree distance (edges on the path) between every two nodes, shape (n, n); inf across roots."""
        return tree_distances(self.parent)

    def edges(self) -> list[tuple[str, str]]:
        """(child, parent) names of every tree edge."""
        return [(self.names[c], self.names[p]) for c, p in enumerate(self.parent.tolist()) if p >= 0]

    @classmethod
    def from_edges(cls, edges: Sequence[tuple[str, str]], keys: Any = None) -> Hierarchy:
        """A hierarchy whose nodes are words (an edge list of any taxonomy); a node carries its word when in ``keys``."""
        names, pairs = _index_edges(edges)
        parent = dag_to_tree(names, pairs)
        words = [n if keys is None or n in keys else None for n in names]
        return cls(names, parent, words)


MONOSEMY = ("all", "noun")


def eligible_words(tables: NounTables, keys: Any = None, monosemy: str = "all") -> dict[str, str]:
    """Synset -> word for monosemous single-token lemmas (lowercased) present in ``keys``.

    Parameters
    ----------
    keys : set or mapping of str, optional
        The vocabulary (None keeps every lemma).
    monosemy : {"all", "noun"}
        A lemma must have one sense in all parts of speech ("all", the default) or one
        noun sense ("noun").

    When several lemmas of a synset qualify, the first in WordNet's order wins. A word
    whose lowercased form comes from two different synsets (``Turkey``/``turkey``) is dropped.
    """
    validate({"monosemy": monosemy}, {"monosemy": OneOf(MONOSEMY)}, "eligible_words")
    owner: dict[str, set[str]] = {}
    for synset, lemma, all_senses, noun_senses in tables.lemmas:
        senses = all_senses if monosemy == "all" else noun_senses
        word = lemma.lower()
        if senses != 1 or "_" in word or "-" in word or not word.isalnum():
            continue
        if keys is not None and word not in keys:
            continue
        owner.setdefault(word, set()).add(synset)
    chosen: dict[str, str] = {}
    for synset, lemma, *_ in tables.lemmas:
        word = lemma.lower()
        if len(owner.get(word, ())) == 1 and synset not in chosen:
            chosen[synset] = word
    return chosen


def wordnet_hierarchy(
    keys: Any = None,
    source: str | os.PathLike | None = None,
    instances: bool = False,
    monosemy: str = "all",
    cache: str | os.PathLike | None = None,
) -> Hierarchy:
    """WordNet's noun hierarchy as a tree (deepest parent), words attached to eligible synsets.

    Parameters
    ----------
    keys : set or mapping of str, optional
        The vocabulary; only its words are attached (None attaches every eligible lemma).
    source : path, optional
        WordNet's dict directory (default ``$WNSEARCHDIR`` or ``/usr/share/wordnet``).
    instances : bool
        Also follow instance-hypernym pointers (``paris`` -> ``national_capital``);
        without them, instance synsets (and the few synsets below them) stay in the
        tree as separate roots without words, so the tree of words has one root.
    monosemy : {"all", "noun"}

    The result is not contracted: call :meth:`Hierarchy.contract_to_words` for the tree
    of words.
    """
    tables = noun_tables(source, cache)
    edges = tables.hypernyms + (tables.instances if instances else [])
    names, pairs = _index_edges(edges, tables.synsets)
    parent = dag_to_tree(names, pairs)
    chosen = eligible_words(tables, keys, monosemy)
    words = [chosen.get(n) for n in names]
    if not instances:
        # Instance synsets (paris, shakespeare) have no hypernym, only instance pointers: they
        # would be roots of their own, with a few synsets below them (blighty -> united_kingdom).
        # Those subtrees are not part of the noun hierarchy: they carry no word.
        orphans = {c for c, _ in tables.instances} - {c for c, _ in tables.hypernyms}
        root = _roots(parent)
        words = [None if names[root[i]] in orphans else w for i, w in enumerate(words)]
    return Hierarchy(names, parent, words)


def _roots(parent: np.ndarray) -> np.ndarray:
    """The root of every node of a forest, shape (n,) (pointer jumping)."""
    up = np.where(parent >= 0, parent, np.arange(len(parent)))
    while True:
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up
        up = nxt
