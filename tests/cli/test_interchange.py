"""`cooc export`, `cooc import` and `cooc neighbours`: round trips through the peers' formats."""

from __future__ import annotations

import json

import numpy as np
import scipy.io
import scipy.sparse as sp
from gensim.models import KeyedVectors
from typer.testing import CliRunner

from cooc import Cooccurrence, Embedding
from cooc.cli import app
from cooc.cooccurrence.format import GLOVE_RECORD
from cooc.corpus.vocab import Vocabulary

runner = CliRunner()


def _counts(tmp_path):
    counts = sp.csr_matrix(np.array([[0, 2.5, 1], [2.5, 0, 0.5], [1, 0.5, 4]]))
    c = Cooccurrence(counts, Vocabulary(["the", "cat", "sat"], [9, 4, 2]))
    c.save(tmp_path / "counts")
    return c


def test_counts_export_to_glove_mm_npz_and_back(tmp_path):
    c = _counts(tmp_path)
    res = runner.invoke(app, ["export", str(tmp_path / "counts"), "-o", str(tmp_path / "g"), "--to", "glove"])
    assert res.exit_code == 0, res.output
    records = np.fromfile(tmp_path / "g.bin", dtype=GLOVE_RECORD)
    assert records["word"].tolist() == [1, 1, 2, 2, 3, 3, 3] and records["context"].tolist() == [2, 3, 1, 3, 1, 2, 3]
    np.testing.assert_array_equal(records["value"], [2.5, 1, 2.5, 0.5, 1, 0.5, 4])
    assert (tmp_path / "g.vocab.txt").read_text() == "the 9\ncat 4\nsat 2\n"
    res = runner.invoke(
        app,
        [
            "import",
            str(tmp_path / "g.bin"),
            "--from",
            "glove",
            "--vocab",
            str(tmp_path / "g.vocab.txt"),
            "-o",
            str(tmp_path / "back"),
        ],
    )
    assert res.exit_code == 0, res.output
    back = Cooccurrence.load(tmp_path / "back")
    assert back.vocab.words == c.vocab.words and (back.counts != c.counts).nnz == 0
    for fmt, reader, suffix in (("mm", scipy.io.mmread, ".mtx"), ("npz", sp.load_npz, ".npz")):
        res = runner.invoke(app, ["export", str(tmp_path / "counts"), "-o", str(tmp_path / fmt), "--to", fmt])
        assert res.exit_code == 0, res.output
        np.testing.assert_array_equal(sp.csr_matrix(reader(tmp_path / f"{fmt}{suffix}")).toarray(), c.counts.toarray())


def test_embeddings_export_to_word2vec_and_import(tmp_path):
    emb = Embedding(np.arange(6, dtype=np.float32).reshape(3, 2), ["a", "b", "c"])
    emb.save(tmp_path / "emb")
    for fmt, binary in (("word2vec", False), ("word2vec-bin", True)):
        res = runner.invoke(app, ["export", str(tmp_path / "emb"), "-o", str(tmp_path / fmt), "--to", fmt])
        assert res.exit_code == 0, res.output
        written = tmp_path / (fmt + (".bin" if binary else ".vec"))
        kv = KeyedVectors.load_word2vec_format(str(written), binary=binary)
        assert kv.index_to_key == ["a", "b", "c"] and np.array_equal(kv.vectors, emb.vectors)
        res = runner.invoke(app, ["import", str(written), "--from", fmt, "-o", str(tmp_path / f"in-{fmt}")])
        assert res.exit_code == 0, res.output
        assert np.array_equal(Embedding.load(tmp_path / f"in-{fmt}").vectors, emb.vectors)


def test_export_refuses_the_wrong_kind_and_import_needs_the_vocabulary(tmp_path):
    _counts(tmp_path)
    res = runner.invoke(app, ["export", str(tmp_path / "counts"), "-o", str(tmp_path / "x"), "--to", "word2vec"])
    assert res.exit_code == 1 and res.output.startswith("error: ") and "holds counts" in res.output
    res = runner.invoke(app, ["import", str(tmp_path / "x.bin"), "--from", "glove", "-o", str(tmp_path / "y")])
    assert res.exit_code == 1 and "--vocab" in res.output
    # binary vectors read as text: the one-line error names the CLI's binary format
    emb = Embedding(np.full((2, 3), 0.4, dtype=np.float32), ["a", "b"])
    emb.save_word2vec_format(tmp_path / "v.bin", binary=True)
    res = runner.invoke(app, ["import", str(tmp_path / "v.bin"), "--from", "word2vec", "-o", str(tmp_path / "z")])
    assert res.exit_code == 1 and "line 2: values are not numbers; it looks binary" in res.output
    assert "--from word2vec-bin" in res.output
    (tmp_path / "t.vec").write_text("2 3\na 1 2 3\nb 1 2 x\n")  # plain text with a bad value: no binary hint
    res = runner.invoke(app, ["import", str(tmp_path / "t.vec"), "--from", "word2vec", "-o", str(tmp_path / "t")])
    assert res.exit_code == 1 and res.output.strip().endswith("line 3: values are not numbers.")


def test_neighbours(tmp_path):
    Embedding(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]), ["king", "queen", "apple"]).save(tmp_path / "emb")
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "king", "apple", "--topn", "1", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [n["word"] for n in data["king"]] == ["queen"] and [n["word"] for n in data["apple"]] == ["queen"]
    assert abs(data["king"][0]["cosine"] - 0.9 / np.hypot(0.9, 0.1)) < 1e-12
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "pear"])
    assert res.exit_code == 1 and "pear" in res.output
    # an unknown word among known ones is skipped with a warning; a capitalised one names the word it holds
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "pear", "King", "apple", "--topn", "1"])
    assert res.exit_code == 0, res.output
    assert "warning: word 'pear' is not in the embedding's vocabulary; skipped." in res.output
    assert "warning: word 'King' is not in the embedding's vocabulary (it holds 'king'); skipped." in res.output
    assert res.output.count("┌") == 1 and "apple" in res.output  # one table: apple's
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "king", "--topn", "-1"])
    assert res.exit_code == 1 and res.output == "error: --topn must be at least 1, got -1.\n"  # not an empty table
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "King", "pear"])
    assert (
        res.exit_code == 1
        and res.output == "error: word 'King' is not in the embedding's vocabulary (it holds 'king')\n"
    )
    # a query that its --negative cancels has no direction: every cosine would be 0, an order with no meaning
    res = runner.invoke(app, ["neighbours", str(tmp_path / "emb"), "king", "--negative", "king"])
    assert res.exit_code == 1 and "the query terms sum to the zero vector" in res.output, res.output
