"""`cooc export` never writes over its source's own files, and replaces an earlier export only with --overwrite."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from cooc import Cooccurrence, Embedding
from cooc._core.locks import lock_output
from cooc.cli import app
from cooc.cooccurrence.blocked import save_blocked
from cooc.corpus.vocab import Vocabulary

from ..held import held_by_another_process

runner = CliRunner()


def _counts(tmp_path):
    counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]]))
    c = Cooccurrence(counts, Vocabulary(["cat", "dog", "car"], [5, 5, 2]))
    c.save(tmp_path / "counts")
    return c


def _export(*args):
    return runner.invoke(app, ["export", *map(str, args)])


def _same_bytes(paths):
    return {p: p.read_bytes() for p in paths}


@pytest.mark.parametrize("out", ["counts", "counts.npz"])
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_export_refuses_the_counts_own_files(tmp_path, out, overwrite):
    c = _counts(tmp_path)
    own = [tmp_path / "counts.npz", tmp_path / "counts.json"]
    before = _same_bytes(own)
    res = _export(tmp_path / "counts", "-o", tmp_path / out, "--to", "npz", *overwrite)
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: ") and "is a file of the source" in " ".join(res.output.split())
    assert _same_bytes(own) == before and not (tmp_path / "counts.vocab.txt").exists()
    back = Cooccurrence.load(tmp_path / "counts")
    assert (back.counts != c.counts).nnz == 0


def test_export_refuses_the_embeddings_own_files(tmp_path):
    emb = Embedding(np.eye(3), ["cat", "dog", "car"])
    emb.save(tmp_path / "emb")
    own = [tmp_path / "emb.npz", tmp_path / "emb.json"]
    before = _same_bytes(own)
    for out in ("emb.npz", "emb.json"):
        for overwrite in ([], ["--overwrite"]):  # --overwrite never lets an export replace its source
            res = _export(tmp_path / "emb", "-o", tmp_path / out, "--to", "word2vec", *overwrite)
            assert res.exit_code == 1 and "is a file of the source" in " ".join(res.output.split()), res.output
    assert _same_bytes(own) == before
    np.testing.assert_array_equal(Embedding.load(tmp_path / "emb").vectors, emb.vectors)


@pytest.mark.parametrize("name", ["other.npz", "other.json"])
def test_export_of_vectors_refuses_the_files_of_another_saved_output_even_with_overwrite(tmp_path, name):
    c = _counts(tmp_path)
    c.save(tmp_path / "other")  # not the source: counts exports refuse its files, word2vec exports must too
    Embedding(np.eye(3), ["cat", "dog", "car"]).save(tmp_path / "emb")
    own = [tmp_path / "other.npz", tmp_path / "other.json"]
    before = _same_bytes(own)
    res = _export(tmp_path / "emb", "-o", tmp_path / name, "--to", "word2vec", "--overwrite")
    assert res.exit_code == 1 and "is a file of the saved cooc output" in " ".join(res.output.split()), res.output
    assert _same_bytes(own) == before
    assert (Cooccurrence.load(tmp_path / "other").counts != c.counts).nnz == 0


def test_export_refuses_a_path_inside_a_blocked_source(tmp_path):
    c = _counts(tmp_path)
    save_blocked(c, tmp_path / "blk", n_blocks=1)
    before = (tmp_path / "blk.blocks" / "unigram.npy").read_bytes()
    res = _export(tmp_path / "blk", "-o", tmp_path / "blk.blocks" / "unigram.npy", "--to", "npz")
    assert res.exit_code == 1 and "is a file of the source" in " ".join(res.output.split()), res.output
    assert (tmp_path / "blk.blocks" / "unigram.npy").read_bytes() == before
    Cooccurrence.load(tmp_path / "blk").verify()


def test_export_replaces_an_earlier_export_only_with_overwrite(tmp_path):
    _counts(tmp_path)
    res = _export(tmp_path / "counts", "-o", tmp_path / "g", "--to", "glove")
    assert res.exit_code == 0, res.output
    (tmp_path / "g.vocab.txt").write_text("mine\n")
    res = _export(tmp_path / "counts", "-o", tmp_path / "g", "--to", "glove")
    assert res.exit_code == 1 and "pass --overwrite to replace" in " ".join(res.output.split()), res.output
    assert (tmp_path / "g.vocab.txt").read_text() == "mine\n"
    res = _export(tmp_path / "counts", "-o", tmp_path / "g", "--to", "glove", "--overwrite")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "g.vocab.txt").read_text() == "cat 5\ndog 5\ncar 2\n"
    # one existing file of the two is enough to refuse (here the vocabulary of an npz export)
    (tmp_path / "s.vocab.txt").write_text("mine\n")
    res = _export(tmp_path / "counts", "-o", tmp_path / "s", "--to", "npz")
    assert res.exit_code == 1 and "s.vocab.txt" in " ".join(res.output.split()) and not (tmp_path / "s.npz").exists()


def test_export_of_vectors_replaces_an_earlier_file_only_with_overwrite(tmp_path):
    Embedding(np.eye(2), ["a", "b"]).save(tmp_path / "emb")
    (tmp_path / "v.vec").write_text("mine\n")
    res = _export(tmp_path / "emb", "-o", tmp_path / "v.vec", "--to", "word2vec")
    assert res.exit_code == 1 and "pass --overwrite" in " ".join(res.output.split()), res.output
    assert (tmp_path / "v.vec").read_text() == "mine\n"
    res = _export(tmp_path / "emb", "-o", tmp_path / "v.vec", "--to", "word2vec", "--overwrite")
    assert res.exit_code == 0 and (tmp_path / "v.vec").read_text().startswith("2 2\na 1.0 0.0\n"), res.output


def test_export_takes_the_outputs_lock(tmp_path):
    _counts(tmp_path)
    with held_by_another_process(lambda: lock_output(tmp_path / "g", "export")):
        res = _export(tmp_path / "counts", "-o", tmp_path / "g", "--to", "glove")
        assert res.exit_code == 1 and "being written by another process" in " ".join(res.output.split())
        assert not (tmp_path / "g.bin").exists()


@pytest.mark.parametrize("name", ["other.npz", "other.json"])
def test_vectors_written_from_python_refuse_the_files_of_a_saved_output(tmp_path, name):
    from cooc._core.errors import InvalidParameterError

    c = _counts(tmp_path)
    c.save(tmp_path / "other")
    own = [tmp_path / "other.npz", tmp_path / "other.json"]
    before = _same_bytes(own)
    with pytest.raises(InvalidParameterError, match="is a file of the saved cooc output"):
        Embedding(np.eye(3), ["cat", "dog", "car"]).save_word2vec_format(tmp_path / name)
    assert _same_bytes(own) == before
    assert (Cooccurrence.load(tmp_path / "other").counts != c.counts).nnz == 0


def test_vector_exports_refuse_a_corpus_own_files_and_may_write_beside_them(tmp_path):
    from cooc._core.errors import InvalidParameterError
    from cooc.corpus import TokenCorpus
    from cooc.corpus.build import build_corpus

    (tmp_path / "t.txt").write_text("the cat sat\nthe dog ran far\n")
    corpus = tmp_path / "corpus"
    build_corpus(tmp_path / "t.txt", corpus)
    emb = Embedding(np.eye(3), ["cat", "dog", "car"])
    emb.save(tmp_path / "emb")
    own = sorted(p for p in corpus.rglob("*") if p.is_file())
    assert {p.name for p in own} >= {"manifest.json", "vocab.tsv", "vocab.tsv.json", "tokens-00000.npy"}
    before = _same_bytes(own)
    for target in own:
        res = _export(tmp_path / "emb", "-o", target, "--to", "word2vec", "--overwrite")
        assert res.exit_code == 1 and "is a file of the saved cooc output" in " ".join(res.output.split()), res.output
        with pytest.raises(InvalidParameterError, match="is a file of the saved cooc output"):
            emb.save_word2vec_format(target)
    assert _same_bytes(own) == before
    assert TokenCorpus.open(corpus).n_tokens == 7
    for overwrite in ([], ["--overwrite"]):  # a file of the user's own beside the corpus's is theirs to replace
        res = _export(tmp_path / "emb", "-o", corpus / "vectors.txt", "--to", "word2vec", *overwrite)
        assert res.exit_code == 0, res.output
    assert (corpus / "vectors.txt").read_text().startswith("3 3")
    (corpus / "manifest.json").write_text("{not json")  # damaged: every file there may be the corpus's own
    with pytest.raises(InvalidParameterError, match="is a file of the saved cooc output"):
        emb.save_word2vec_format(corpus / "vocab.tsv")
    site = tmp_path / "site"  # another tool's manifest.json (a web app's): the folder is no corpus of cooc's
    site.mkdir()
    for foreign in ('["index.html", "app.js"]', '{"name": "app", "files": {"vectors.vec": 1}}'):
        (site / "manifest.json").write_text(foreign)
        for _ in range(2):  # a new file, then the file written before
            emb.save_word2vec_format(site / "vectors.vec")
        assert (site / "vectors.vec").read_text().startswith("3 3")


def test_saves_refuse_a_corpus_own_files_before_any_work(tmp_path, monkeypatch):
    """`-o corpus/manifest` or `-o corpus/vocab.tsv` would write manifest.json or vocab.tsv.json (the vocabulary's
    checksum) and lose the corpus: refused by every save and, before any work, by every command writing a pair."""
    from cooc import count as count_module
    from cooc._core.errors import InvalidParameterError
    from cooc.corpus import TokenCorpus
    from cooc.corpus.build import build_corpus
    from cooc.spectral.estimator import EigenEmbedding
    from cooc.train.word2vec.estimator import Word2Vec

    (tmp_path / "t.txt").write_text("the cat sat\nthe dog ran far\n" * 5)
    corpus = tmp_path / "corpus"
    build_corpus(tmp_path / "t.txt", corpus)
    own = sorted(p for p in corpus.rglob("*") if p.is_file())
    before = _same_bytes(own)
    c = _counts(tmp_path)
    emb = Embedding(np.eye(3), ["cat", "dog", "car"])
    for base in (corpus / "manifest", corpus / "vocab.tsv"):
        for save in (emb.save, c.save, lambda p: save_blocked(c, p, n_blocks=2, overwrite=True)):
            with pytest.raises(InvalidParameterError, match=r"is a file of the corpus .*would destroy it"):
                save(base)
        commands = [
            ["count", corpus, "-o", base],
            ["embed", tmp_path / "counts", "-o", base, "--dim", "2"],
            ["train", "word2vec", corpus, "-o", base, "--epochs", "1", "--dim", "4"],
        ]
        for args in commands:
            with monkeypatch.context() as m:  # refused before any work: no fit starts
                for owner in (EigenEmbedding, Word2Vec):
                    m.setattr(owner, "fit", lambda *a, **k: pytest.fail("fitted before the output was checked"))
                m.setattr(count_module, "count_cooccurrences", lambda *a, **k: pytest.fail("counted first"))
                res = runner.invoke(app, [*map(str, args), "--overwrite"])
            assert res.exit_code == 1 and "would destroy it" in " ".join(res.output.split()), res.output
    emb.save(tmp_path / "emb")
    for command in (["eval", "analogy"], ["eval", "similarity"]):  # --output results are one file
        res = runner.invoke(app, [*command, str(tmp_path / "emb"), "-o", str(corpus / "manifest.json"), "--overwrite"])
        assert res.exit_code == 1 and "is a file of the corpus" in " ".join(res.output.split()), res.output
    assert _same_bytes(own) == before
    assert TokenCorpus.open(corpus).n_tokens == 35
    emb.save(corpus / "vectors")  # a file of the user's own beside the corpus's is fine
    assert Embedding.load(corpus / "vectors").dim == 3
