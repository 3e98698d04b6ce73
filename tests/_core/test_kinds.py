"""A reader given another kind of cooc output says which it got and the step between them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc import Cooccurrence, Embedding
from cooc._core.errors import CorruptFileError
from cooc._core.kinds import expect_kind, kind_of
from cooc.cli import app
from cooc.corpus.build import build_corpus
from cooc.corpus.store import TokenCorpus
from cooc.count import count_cooccurrences


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    (root / "text.txt").write_text("the cat sat on the mat\nthe dog sat on the log\n" * 5)
    corpus = build_corpus(root / "text.txt", root / "corpus", progress=False)
    counts = count_cooccurrences(corpus, window=2, progress=False)
    counts.save(root / "counts")
    Embedding(np.eye(len(corpus.vocab), 3), list(corpus.vocab.words)).save(root / "emb")
    return {"corpus": root / "corpus", "cooccurrence": root / "counts", "embedding": root / "emb"}


def test_each_output_is_recognised_by_its_base_name_or_either_file(outputs):
    assert {kind: kind_of(path) for kind, path in outputs.items()} == {k: k for k in outputs}
    for kind in ("cooccurrence", "embedding"):
        base = outputs[kind]
        assert kind_of(base.with_name(base.name + ".json")) == kind == kind_of(base.with_name(base.name + ".npz"))


def test_other_paths_are_no_kind(outputs, tmp_path):
    (tmp_path / "other.json").write_text(json.dumps({"format": "someone.else/1"}))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "folder").mkdir()
    for name in ("other", "broken", "folder"):
        assert kind_of(tmp_path / name) is None
        expect_kind(tmp_path / name, "corpus")  # none of cooc's: the reader's own checks speak
    assert kind_of(tmp_path / "absent") is None  # nothing there: said at once (below)


@pytest.mark.parametrize(
    "found, expected, step",
    [
        ("corpus", "cooccurrence", "not co-occurrence counts; count it first: cooc count"),
        ("corpus", "embedding", r"not an embedding; train vectors on it \(cooc train word2vec"),
        ("cooccurrence", "embedding", "not an embedding; embed it first: cooc embed"),
        ("cooccurrence", "corpus", "not a corpus; give a corpus directory instead"),
        ("embedding", "cooccurrence", "not co-occurrence counts; give co-occurrence counts instead"),
        ("embedding", "corpus", "not a corpus; give a corpus directory instead"),
    ],
)
def test_the_wrong_kind_is_named_with_the_step_between(outputs, found, expected, step):
    with pytest.raises(CorruptFileError, match=step) as err:
        expect_kind(outputs[found], expected)
    assert str(err.value).startswith(f"{str(outputs[found])!r} is ")
    expect_kind(outputs[expected], expected)  # the right kind passes


def test_the_loaders_say_it(outputs):
    with pytest.raises(CorruptFileError, match="is a co-occurrence file .* not a corpus"):
        TokenCorpus.open(outputs["cooccurrence"])
    with pytest.raises(CorruptFileError, match="is a corpus .* count it first"):
        Cooccurrence.load(outputs["corpus"])
    with pytest.raises(CorruptFileError, match="is a co-occurrence file .* embed it first"):
        Embedding.load(outputs["cooccurrence"])
    # and each still loads its own kind
    assert TokenCorpus.open(outputs["corpus"]).n_tokens == 60
    assert Cooccurrence.load(outputs["cooccurrence"]).shape[0] == Embedding.load(outputs["embedding"]).vectors.shape[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["embed", "{corpus}", "-o", "{tmp}/e"], "is a corpus (cooc corpus build), not co-occurrence counts"),
        (["eval", "analogy", "{cooccurrence}"], "embed it first: cooc embed"),
        (["train", "word2vec", "{embedding}", "-o", "{tmp}/w"], "is an embedding"),
        (["export", "{corpus}", "-o", "{tmp}/x", "--to", "word2vec"], "train vectors on it"),
        (["export", "{embedding}", "-o", "{tmp}/x", "--to", "glove"], "use --to word2vec or word2vec-bin"),
        (["export", "{cooccurrence}", "-o", "{tmp}/x", "--to", "word2vec"], "holds counts: use --to glove, mm or npz"),
    ],
)
def test_commands_name_the_kind_in_one_line(outputs, tmp_path, args, message):
    filled = [a.format(tmp=tmp_path, **outputs) for a in args]
    res = CliRunner().invoke(app, filled)
    assert res.exit_code == 1 and res.output.startswith("error: ") and message in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_info_shows_any_kind(outputs, tmp_path):
    from cooc import EigenEmbedding

    runner = CliRunner()
    res = runner.invoke(app, ["info", str(outputs["corpus"])])
    assert res.exit_code == 0, res.output
    assert "documents" in res.output and "top words" in res.output  # as `cooc corpus info`
    res = runner.invoke(app, ["info", str(outputs["embedding"]), "--json", "--top", "3"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["words"] == len(TokenCorpus.open(outputs["corpus"]).vocab) and info["dimensions"] == 3
    assert info["first_words"] == ["the", "on", "sat"] and info["dtype"] == "float64"
    res = runner.invoke(app, ["info", str(outputs["embedding"])])
    assert res.exit_code == 0 and "first words" in res.output and "the, on, sat" in res.output
    for kind in ("embedding", "cooccurrence"):  # a negative count sliced off the end: nearly every word or pair
        res = runner.invoke(app, ["info", str(outputs[kind]), "--top", "-2"])
        assert res.exit_code == 1 and res.output == "error: info --top: n must be a whole number >= 0, got -2.\n"
    res = runner.invoke(app, ["info", str(outputs["cooccurrence"]), "--top", "1"])
    assert res.exit_code == 0 and "total weight" in res.output and "top pairs" in res.output
    fitted = EigenEmbedding(target="ppmi", dim=2).fit(Cooccurrence.load(outputs["cooccurrence"])).embedding_
    fitted.save(tmp_path / "ppmi")
    info = json.loads(runner.invoke(app, ["info", str(tmp_path / "ppmi"), "--json"]).output)
    assert info["made_by"].startswith("eigen-embedding of ppmi (") and info["from"] == str(outputs["corpus"])
    assert info["created"] is not None


def test_a_folder_of_outputs_names_the_one_to_give(outputs, tmp_path):
    # outputs' root is like a demo's folder: a corpus, counts and an embedding side by side
    root = outputs["corpus"].parent
    for expected, inside in (("embedding", "emb.npz"), ("cooccurrence", "counts.npz"), ("corpus", "corpus")):
        with pytest.raises(CorruptFileError) as err:
            expect_kind(root, expected)
        assert str(err.value) == f"{str(root)!r} is a folder, not {_WANTED_TEXT[expected]}; " + (
            f"give the one inside it: {root / inside}."
        )
    Embedding(np.eye(2), ["a", "b"]).save(tmp_path / "two")
    Embedding(np.eye(2), ["a", "b"]).save(tmp_path / "one")
    with pytest.raises(
        CorruptFileError, match=f"give one of those inside it: {tmp_path / 'one.npz'}, {tmp_path / 'two.npz'}"
    ):
        Embedding.load(tmp_path)
    with pytest.raises(CorruptFileError, match="is a folder that holds no co-occurrence file; give a co-occurrence"):
        Cooccurrence.load(tmp_path)
    # a corpus folder's own checks speak for an unfinished build
    with pytest.raises(CorruptFileError, match="no manifest.json"):
        TokenCorpus.open(tmp_path)


def test_the_blocks_folder_names_its_matrix(outputs, tmp_path):
    from cooc.cooccurrence.blocked import save_blocked

    save_blocked(Cooccurrence.load(outputs["cooccurrence"]), tmp_path / "big", n_blocks=2)
    with pytest.raises(CorruptFileError, match=f"holds the blocks of co-occurrence counts; give '{tmp_path / 'big'}'"):
        Cooccurrence.load(tmp_path / "big.blocks")
    assert Cooccurrence.load(tmp_path / "big").nnz == Cooccurrence.load(outputs["cooccurrence"]).nnz


def test_info_on_a_folder_lists_its_outputs_and_h_is_help(outputs):
    runner = CliRunner()
    root = outputs["corpus"].parent
    res = runner.invoke(app, ["info", str(root), "--json"])
    assert res.exit_code == 0, res.output
    held = {(o["kind"], o["path"]) for o in json.loads(res.output)["outputs"]}
    assert held == {
        ("corpus", str(outputs["corpus"])),
        ("cooccurrence", str(root / "counts.npz")),
        ("embedding", str(root / "emb.npz")),
    }
    res = runner.invoke(app, ["neighbours", str(root), "the"])
    assert res.exit_code == 1 and f"give the one inside it: {root / 'emb.npz'}" in res.output
    for args in (["-h"], ["count", "-h"], ["corpus", "build", "-h"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage: " in res.output, args


_WANTED_TEXT = {"corpus": "a corpus", "cooccurrence": "co-occurrence counts", "embedding": "an embedding"}


@pytest.mark.parametrize(
    "args, example",
    [
        (["count", "{corpus}"], "counts"),
        (["embed", "{cooccurrence}", "--dim", "2"], "embedding"),
        (["export", "{cooccurrence}", "--to", "glove"], "glove"),
        (["train", "word2vec", "{corpus}"], "word2vec"),
        (["import", "{vec}", "--from", "word2vec"], "imported"),
    ],
)
def test_a_folder_given_as_an_output_file_is_refused(outputs, tmp_path, args, example):
    """-o names a file's base: FOLDER.npz would land beside the folder, named after it."""
    (tmp_path / "out").mkdir()
    vec = Embedding.load(outputs["embedding"]).save_word2vec_format(tmp_path.parent / f"{tmp_path.name}.vec")
    filled = [a.format(vec=vec, **outputs) for a in args] + ["-o", str(tmp_path / "out")]
    res = CliRunner().invoke(app, filled)
    assert res.exit_code == 1, res.output
    assert res.output == (
        f"error: {str(tmp_path / 'out')!r} is a folder; -o names the output file (its base name), "
        f"e.g. {str(tmp_path / 'out' / example)!r}.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing written beside it


def test_a_path_that_does_not_exist_is_named_as_such(tmp_path):
    """A missing path was reported as "metadata file 'missing.json' is missing", as if a file were damaged."""
    import pytest

    from cooc._core.errors import CorruptFileError
    from cooc._core.kinds import expect_kind

    missing = tmp_path / "missing"
    for kind, wanted in (("cooccurrence", "co-occurrence counts"), ("embedding", "an embedding")):
        with pytest.raises(
            CorruptFileError, match=rf"does not exist \(neither missing.json nor missing.npz is there\): give {wanted}"
        ):
            expect_kind(missing, kind)
        with pytest.raises(CorruptFileError, match="does not exist"):
            expect_kind(tmp_path / "missing.npz", kind)
    with pytest.raises(CorruptFileError, match="'.*missing' does not exist: give a corpus."):
        expect_kind(missing, "corpus")
    (tmp_path / "only.json").write_text("{}")  # something is there: the reader's own checks say what is wrong
    expect_kind(tmp_path / "only", "cooccurrence")
