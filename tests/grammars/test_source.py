"""Grammar specs and grammar corpora written through CorpusWriter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError, OutputExistsError
from cooc.corpus.store import TokenCorpus
from cooc.grammars.latent import LatentVariableModel
from cooc.grammars.pcfg import PCFG
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.source import build_grammar_corpus, is_grammar_spec, parse_grammar_spec
from cooc.grammars.stats import tokens_of_corpus


def test_parse_specs():
    assert parse_grammar_spec("rhm:v=32,n_c=32,m=8,s=2,L=3") == ("rhm", dict(v=32, n_c=32, m=8, s=2, L=3))
    assert parse_grammar_spec(" rhm: v=4, n_c=2, m=2, s=2, L=2, a=0.5, distinct=true ")[1]["distinct"] is True
    assert parse_grammar_spec("rhm:v=4,n_c=2,m=2,s=2,L=2,a=none")[1]["a"] is None
    assert parse_grammar_spec("pcfg:v=8,f=0.375,L=3") == ("varying-tree", dict(v=8, f=0.375, L=3))
    assert parse_grammar_spec("latent:") == ("latent", {})
    assert parse_grammar_spec("taxonomy:depth=4,self_pairs=no")[1] == {"depth": 4, "self_pairs": False}
    assert is_grammar_spec("srhm:v=8,n_c=2,m=2,s=2,L=2") and is_grammar_spec("latent:")
    assert not is_grammar_spec("latent") and not is_grammar_spec("data/wiki.txt") and not is_grammar_spec("hf:wiki")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("grammar:v=3", "not a grammar spec"),
        (
            "rhm:v=32,n_c=32,m=8,s=2,L=3,q=1",
            "rhm: unknown parameter 'q'; allowed: v, n_c, m, s, L, a, rule_seed, distinct",
        ),
        ("rhm:v=32,n_c=32,m=8,s=2", "missing required parameter\\(s\\) L"),
        ("rhm:v=abc,n_c=32,m=8,s=2,L=3", "rhm: parameter 'v' must be an integer, got 'abc'"),
        ("rhm:v=32,v=3,n_c=32,m=8,s=2,L=3", "given twice"),
        ("rhm:v32", "expected key=value"),
        ("taxonomy:self_pairs=maybe", "must be true or false"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(InvalidParameterError, match=message):
        parse_grammar_spec(spec)


def test_impossible_grammars_and_requests_are_refused(tmp_path):
    with pytest.raises(InvalidParameterError, match="m = 9 exceeds v\\*\\*\\(s-1\\) = 8"):
        build_grammar_corpus("rhm:v=8,n_c=2,m=9,s=2,L=2", tmp_path / "a", documents=10, progress=False)
    with pytest.raises(InvalidParameterError, match="'documents' must be an integer in \\[1, inf\\)"):
        build_grammar_corpus("rhm:v=8,n_c=2,m=2,s=2,L=2", tmp_path / "b", documents=0, progress=False)
    with pytest.raises(InvalidParameterError, match="'f' must be a number in \\(0, 1\\]"):
        build_grammar_corpus("varying-tree:v=8,f=2,L=2", tmp_path / "c", documents=10, progress=False)
    with pytest.raises(InvalidParameterError, match="'L' must be an integer in \\[1, inf\\)"):
        build_grammar_corpus("rhm:v=8,n_c=2,m=2,s=2,L=0", tmp_path / "d", documents=10, progress=False)


def test_rhm_corpus_round_trip(tmp_path):
    spec = "rhm:v=16,n_c=4,m=4,s=2,L=3,rule_seed=5"
    corpus = build_grammar_corpus(spec, tmp_path / "rhm", documents=5000, seed=2, shard_tokens=10000, progress=False)
    again = TokenCorpus.open(tmp_path / "rhm")
    assert corpus.n_docs == again.n_docs == 5000 and corpus.n_tokens == 40000 and corpus.n_shards == 4
    # ids are frequency ranks with ties alphabetical, and counts are the true counts
    counts = corpus.vocab.counts
    np.testing.assert_array_equal(counts, corpus.token_counts())
    keys = [(-c, w) for c, w in zip(counts.tolist(), corpus.vocab.words)]
    assert keys == sorted(keys)
    symbol = corpus.extra("symbol_of_id")
    assert [f"s{k}" for k in symbol] == corpus.vocab.words
    model = RandomHierarchyModel(16, 4, 4, 2, 3, rule_seed=5)
    for l in range(3):
        np.testing.assert_array_equal(corpus.extra(f"rules_{l}"), model.rules[l])
    sentences = symbol[tokens_of_corpus(corpus, 8)]
    parsed = model.parse(sentences)
    assert parsed.valid.all()
    np.testing.assert_array_equal(parsed.labels, corpus.extra("labels"))
    np.testing.assert_array_equal(parsed.latent(), corpus.extra("latent"))
    assert corpus.manifest["source"]["grammar"] == "rhm" and corpus.manifest["source"]["params"]["P_max"] == str(
        model.P_max
    )


def test_same_build_is_reused_and_different_one_refused(tmp_path):
    spec = "rhm:v=8,n_c=2,m=2,s=2,L=2"
    first = build_grammar_corpus(spec, tmp_path / "c", documents=100, seed=1, progress=False)
    again = build_grammar_corpus(spec, tmp_path / "c", documents=100, seed=1, progress=False)
    assert again.manifest["created"] == first.manifest["created"]
    a = np.concatenate([t for t, _ in first.iter_shards(mmap=False)])
    with pytest.raises(OutputExistsError, match=r"already holds a different corpus \(seed: 1 -> 2\)"):
        build_grammar_corpus(spec, tmp_path / "c", documents=100, seed=2, progress=False)
    other = build_grammar_corpus(spec, tmp_path / "c", documents=100, seed=2, overwrite=True, progress=False)
    assert other.manifest["settings"]["seed"] == 2
    same_seed = build_grammar_corpus(spec, tmp_path / "d", documents=100, seed=1, progress=False)
    b = np.concatenate([t for t, _ in same_seed.iter_shards()])
    np.testing.assert_array_equal(a, b)


def test_distinct_rhm_corpus_holds_every_sentence(tmp_path):
    model = RandomHierarchyModel(3, 2, 2, 2, 2)
    corpus = build_grammar_corpus(
        "rhm:v=3,n_c=2,m=2,s=2,L=2,distinct=true", tmp_path / "all", documents=model.P_max, progress=False
    )
    sentences = corpus.extra("symbol_of_id")[tokens_of_corpus(corpus, 4)]
    assert len({tuple(s) for s in sentences.tolist()}) == model.P_max
    with pytest.raises(InvalidParameterError, match="only P_max = 16"):
        build_grammar_corpus("rhm:v=3,n_c=2,m=2,s=2,L=2,distinct=true", tmp_path / "more", documents=17, progress=False)


def test_other_grammars_write_their_latents(tmp_path):
    srhm = build_grammar_corpus("srhm:v=6,n_c=3,m=2,s=2,L=2,s0=1", tmp_path / "s", documents=300, progress=False)
    assert srhm.n_tokens == 300 * 16 and "_" in srhm.vocab
    assert srhm.extra("positions").shape == (300, 4) and srhm.extra("latent").shape == (300, 3)
    vt = build_grammar_corpus("varying-tree:v=6,f=0.5,L=2", tmp_path / "vt", documents=300, progress=False)
    offsets = vt.extra("node_offsets")
    assert offsets.shape == (301,) and offsets[-1] == vt.extra("node_symbol").size
    assert vt.extra("labels").shape == (300,)
    lengths = np.array([len(d) for d in vt.documents()])
    assert lengths.min() >= 4 and lengths.max() <= 9 and lengths.sum() == vt.n_tokens
    lat = build_grammar_corpus(
        "latent:n_words=12,n_fillers=4,doc_length=8", tmp_path / "lat", documents=2000, progress=False
    )
    model = LatentVariableModel(12, n_fillers=4, doc_length=8)
    assert set(lat.vocab.words) == set(model.words)
    assert lat.extra("states").shape == (2000,)
    np.testing.assert_array_equal(lat.extra("word_positions"), model.positions)
    tax = build_grammar_corpus("taxonomy:branching=3,depth=2", tmp_path / "tax", documents=50, progress=False)
    assert tax.extra("parents").tolist() == [-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_general_pcfg_from_a_file(tmp_path):
    grammar = {"start": "S", "rules": {"S": [[["a", "T"], 0.5], [["b"], 0.5]], "T": [[["c"], 1.0]]}}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(grammar))
    corpus = build_grammar_corpus(f"pcfg:file={path}", tmp_path / "p", documents=400, progress=False)
    words = corpus.vocab.words
    texts = {" ".join(words[t] for t in doc) for doc in corpus.documents()}
    assert texts == {"a c", "b"}
    assert json.loads(corpus.manifest["source"]["params"]["grammar"])["start"] == {"S": 1.0}
    PCFG.from_json(path)
