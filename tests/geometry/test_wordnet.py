"""Hierarchies: lexnames, edge lists, DAG to tree by deepest parent, contraction, WordNet 3.0 from Debian's files.

The WordNet tests read ``/usr/share/wordnet`` (Debian's ``wordnet-base``, installed in CI);
the noun tables are extracted once per session into a temporary cache.
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError, MissingDependencyError
from cooc.geometry import wordnet as W

HAVE_WORDNET = (W.DEBIAN_WORDNET / "data.noun").is_file()
_absent = pytest.mark.skipif(not HAVE_WORDNET, reason="WordNet data absent: apt-get install wordnet-base")


def needs_wordnet(test):
    """Reads the real WordNet (the first extraction takes ~15 s): slow, and skipped only where the data is absent."""
    return pytest.mark.slow(_absent(test))


def test_lexnames_file_has_the_45_manual_entries():
    lines = W.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[3] == "03\tnoun.Tops\t1"
    assert lines[18] == "18\tnoun.person\t1" and lines[44] == "44\tadj.ppl\t3"
    assert all(int(l.split("\t")[0]) == i for i, l in enumerate(lines))
    assert {l.split("\t")[2] for l in lines} == {"1", "2", "3", "4"}


def test_missing_wordnet_names_the_apt_package(tmp_path):
    with pytest.raises(MissingDependencyError, match="apt-get install wordnet-base"):
        W.find_wordnet_source(tmp_path / "nowhere")


def test_edge_list_round_trip_and_errors(tmp_path):
    path = tmp_path / "edges.tsv"
    W.write_edges(path, [("dog", "animal"), ("cat", "animal")])
    assert path.read_text().startswith("child\tparent\n")
    assert W.read_edges(path) == [("dog", "animal"), ("cat", "animal")]
    path.write_text("# a comment\n\nrose\tflower\n")
    assert W.read_edges(path) == [("rose", "flower")]
    path.write_text("# made by hand\n\nchild\tparent\nrose\tflower\n")  # the header after comments
    assert W.read_edges(path) == [("rose", "flower")]
    path.write_text("rose flower\n")
    with pytest.raises(InputDataError, match="line 1"):
        W.read_edges(path)
    with pytest.raises(InputDataError, match="does not exist"):
        W.read_edges(tmp_path / "none.tsv")


def test_dag_to_tree_takes_the_deepest_parent():
    # root -> a -> b -> c ; root -> x ; d has parents c (depth 3) and x (depth 1); e has two parents at depth 1
    edges = [("a", "root"), ("b", "a"), ("c", "b"), ("x", "root"), ("d", "x"), ("d", "c"), ("e", "x"), ("e", "a")]
    h = W.Hierarchy.from_edges(edges)
    assert h.path("d") == ["d", "c", "b", "a", "root"]
    assert h.path("e") == ["e", "a", "root"]  # tie at depth 1: the smaller name wins
    depth = h.depth()
    assert depth[h.index("d")] == 4 and depth[h.index("root")] == 0
    kids = h.children()
    assert sorted(h.names[i] for i in kids[h.index("root")]) == ["a", "x"]


def test_cycles_are_refused():
    with pytest.raises(InputDataError, match="cycle"):
        W.Hierarchy.from_edges([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])


def test_contract_hangs_nodes_on_their_nearest_kept_ancestor():
    #        0
    #      1   2
    #     3 4   5
    #    6       7
    parent = np.array([-1, 0, 0, 1, 1, 2, 3, 5])
    keep = np.array([True, False, True, True, False, False, True, True])
    new_parent, kept = W.contract(parent, keep)
    assert kept.tolist() == [0, 2, 3, 6, 7]
    assert new_parent.tolist() == [-1, 0, 0, 2, 1]  # 3 -> 0 (1 removed), 7 -> 2 (5 removed)
    forest, _ = W.contract(parent, np.array([False, True, True, True, True, True, True, True]))
    assert forest.tolist()[:2] == [-1, -1]


def test_contract_matches_a_brute_force_walk(rng):
    n = 300
    tree = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)])
    label = rng.permutation(n)  # node numbers in no particular order
    parent = np.empty(n, dtype=np.int64)
    parent[label] = np.where(tree < 0, -1, label[np.maximum(tree, 0)])
    keep = rng.random(n) < 0.4
    new_parent, kept = W.contract(parent, keep)
    for k, v in enumerate(kept):
        u = parent[v]
        while u >= 0 and not keep[u]:
            u = parent[u]
        assert new_parent[k] == (-1 if u < 0 else int(np.flatnonzero(kept == u)[0]))


def test_edges_hierarchy_keeps_words_in_the_vocabulary():
    edges = [("poodle", "dog"), ("dog", "animal"), ("cat", "animal"), ("tabby", "cat")]
    h = W.Hierarchy.from_edges(edges, keys={"poodle", "animal", "cat", "tabby"})
    tree = h.contract_to_words()
    assert sorted(tree.names) == ["animal", "cat", "poodle", "tabby"]
    assert tree.path("poodle") == ["poodle", "animal"]
    assert tree.edges() and all(p != c for c, p in tree.edges())


# -- WordNet 3.0 -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wn_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("wordnet-cache")


@pytest.fixture(scope="module")
def nouns(wn_cache):
    return W.wordnet_hierarchy(cache=wn_cache)


@needs_wordnet
def test_reader_opens_debian_files_with_the_written_lexnames(wn_cache):
    reader = W.wordnet_reader(cache=wn_cache)
    dog = reader.synset("dog.n.01")
    assert dog.lexname() == "noun.animal" and dog.max_depth() == 13
    assert (wn_cache / "lexnames").read_text() == W.lexnames_text()
    assert reader.get_version() == "3.0"


@needs_wordnet
def test_noun_tree_root_and_known_paths(nouns):
    assert len(nouns) == 82115
    roots = [nouns.names[i] for i in np.flatnonzero(nouns.parent < 0)]
    assert "entity.n.01" in roots
    # every root other than entity is an instance synset (no hypernym, only instance hypernyms)
    assert nouns.path("dog.n.01") == [
        "dog.n.01",
        "canine.n.02",
        "carnivore.n.01",
        "placental.n.01",
        "mammal.n.01",
        "vertebrate.n.01",
        "chordate.n.01",
        "animal.n.01",
        "organism.n.01",
        "living_thing.n.01",
        "whole.n.02",
        "object.n.01",
        "physical_entity.n.01",
        "entity.n.01",
    ]
    depth = nouns.depth()
    assert depth[nouns.index("dog.n.01")] == 13 and depth[nouns.index("entity.n.01")] == 0
    assert nouns.path("cat.n.01")[-1] == "entity.n.01"


@needs_wordnet
def test_instances_join_the_tree(nouns, wn_cache):
    with_instances = W.wordnet_hierarchy(cache=wn_cache, instances=True)
    assert with_instances.path("einstein.n.01")[1] == "physicist.n.01"
    assert with_instances.path("einstein.n.01")[-1] == "entity.n.01"
    assert np.sum(with_instances.parent < 0) == 1
    assert dict(zip(with_instances.names, with_instances.words))["shakespeare.n.01"] == "shakespeare"
    # without instance pointers, instance synsets are wordless roots: the tree of words has one root
    assert dict(zip(nouns.names, nouns.words))["shakespeare.n.01"] is None
    tree = nouns.contract_to_words()
    assert [tree.names[i] for i in np.flatnonzero(tree.parent < 0)] == ["entity.n.01"]


@needs_wordnet
def test_monosemous_single_token_words(nouns, wn_cache):
    words = dict(zip(nouns.names, nouns.words))
    assert words["aardvark.n.01"] == "aardvark"
    assert words["dog.n.01"] is None  # 7 noun senses and a verb
    assert words["entity.n.01"] == "entity"
    tables = W.noun_tables(cache=wn_cache)
    noun_only = W.eligible_words(tables, monosemy="noun")
    everything = W.eligible_words(tables, monosemy="all")
    assert set(everything.values()) <= set(noun_only.values()) | set(everything.values())
    assert len(noun_only) > len(everything)
    assert all("_" not in w and "-" not in w for w in everything.values())
    assert len(set(everything.values())) == len(everything)  # one synset per word


@needs_wordnet
def test_vocabulary_restricts_and_contraction_keeps_entity_on_top(nouns, wn_cache):
    keys = {"entity", "animal", "aardvark", "mammal", "craniate", "dog", "physics"}
    chosen = W.eligible_words(W.noun_tables(cache=wn_cache), keys)  # what wordnet_hierarchy(keys) attaches
    tree = W.Hierarchy(nouns.names, nouns.parent, [chosen.get(n) for n in nouns.names]).contract_to_words()
    present = dict(zip(tree.names, tree.words))
    assert "aardvark.n.01" in present and "dog.n.01" not in present and "animal.n.01" not in present
    # aardvark -> placental -> mammal -> vertebrate (lemma 'craniate'; 'vertebrate' is also an
    # adjective) -> ... -> entity, with the polysemous or absent nodes contracted away
    assert [present[n] for n in tree.path("aardvark.n.01")] == ["aardvark", "mammal", "craniate", "entity"]


@needs_wordnet
def test_cached_tables_are_reused(wn_cache):
    first = W.noun_tables(cache=wn_cache)
    stamp = (wn_cache / "noun-hypernyms.tsv").stat().st_mtime_ns
    again = W.noun_tables(cache=wn_cache)
    assert (wn_cache / "noun-hypernyms.tsv").stat().st_mtime_ns == stamp
    assert again.hypernyms == first.hypernyms and len(again.synsets) == 82115


def test_tree_distance_on_a_hand_made_seven_node_tree():
    # animal -> {mammal -> {dog, cat}, bird -> {sparrow}}, and a second root: rock
    edges = [("mammal", "animal"), ("bird", "animal"), ("dog", "mammal"), ("cat", "mammal"), ("sparrow", "bird")]
    tree = W.Hierarchy.from_edges(edges)
    tree = W.Hierarchy(tree.names + ["rock"], np.append(tree.parent, -1), tree.words + ["rock"])
    assert len(tree) == 7
    D = tree.distances()
    d = lambda a, b: D[tree.index(a), tree.index(b)]  # noqa: E731
    assert d("dog", "dog") == 0 and d("dog", "mammal") == 1 and d("dog", "animal") == 2
    assert d("dog", "cat") == 2 and d("dog", "bird") == 3 and d("dog", "sparrow") == 4 and d("cat", "sparrow") == 4
    assert d("mammal", "bird") == 2 and d("sparrow", "animal") == 2
    assert np.isinf(d("rock", "dog")) and np.isinf(d("animal", "rock")) and d("rock", "rock") == 0
    np.testing.assert_array_equal(D, D.T)
    # the same by brute force: depth(a) + depth(b) - 2 depth(lowest common ancestor)
    depth = tree.depth()
    for a in range(6):
        for b in range(6):
            pa, pb = tree.path(tree.names[a]), tree.path(tree.names[b])
            lca = next(x for x in pa if x in pb)
            assert D[a, b] == depth[a] + depth[b] - 2 * depth[tree.index(lca)]
