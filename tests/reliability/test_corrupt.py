"""Corrupt each kind of file cooc writes: every one is caught, by the command line (one ``error:`` line,
exit 1) and by the library (``CorruptFileError``), and an unverified read never crashes or miscounts."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc import Cooccurrence, CorpusWriter, Embedding, TokenCorpus, Vocabulary
from cooc._core.errors import CorruptFileError
from cooc.cli import app
from cooc.count import count_cooccurrences

runner = CliRunner()


def flip(path, at: float = 0.6) -> None:
    """Change one byte of ``path`` (at a fraction of its length, in its data rather than its header)."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x5A
    path.write_bytes(bytes(data))


def fails(args: list, *messages: str) -> str:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1, res.output
    for message in messages:
        assert message in res.output, res.output
    return res.output


# -- corpora ------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["shards/tokens-00003.npy", "shards/docs-00001.npy"])
def test_a_damaged_shard_is_refused_by_every_reader(corpus, tmp_path, target):
    flip(corpus.path / target)
    fails(["corpus", "info", corpus.path], target.split("/")[1], "checksum")
    fails(["count", corpus.path, "-o", tmp_path / "c"], "checksum")
    assert not (tmp_path / "c.npz").exists()


def test_a_vocabulary_edited_or_swapped_is_refused_even_without_verification(corpus):
    lines = (corpus.path / "vocab.tsv").read_text().splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]  # two words swapped: same size, labels wrong
    (corpus.path / "vocab.tsv").write_text("".join(lines))
    fails(["corpus", "info", corpus.path, "--no-verify"], "vocab.tsv", "checksum")
    with pytest.raises(CorruptFileError, match="vocab.tsv"):
        TokenCorpus.open(corpus.path, verify=False)


def test_vocabulary_metadata_and_manifest(corpus, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(corpus.path, copy)
    meta = json.loads((corpus.path / "vocab.tsv.json").read_text())
    meta["total"] += 1
    (corpus.path / "vocab.tsv.json").write_text(json.dumps(meta))
    fails(["corpus", "info", corpus.path, "--no-verify"], "vocab.tsv.json")
    (copy / "manifest.json").write_bytes((copy / "manifest.json").read_bytes()[:-40])
    fails(["corpus", "info", copy], "manifest")


def test_a_damaged_extra_array(tmp_path):
    with CorpusWriter(tmp_path / "x", Vocabulary(["a", "b"], [2, 1]), {"kind": "test"}) as writer:
        writer.add_documents(np.array([0, 1, 0]), np.array([0, 3]))
        writer.add_extra("trees", np.arange(1000))
    flip(tmp_path / "x" / "extras" / "trees.npy")
    with pytest.raises(CorruptFileError, match="trees.npy"):
        TokenCorpus.open(tmp_path / "x")


def _rewrite_shard(corpus, index: int, change) -> None:
    path = corpus.path / f"shards/tokens-{index:05d}.npy"
    tokens = np.load(path)
    change(tokens)
    np.save(path, tokens)


@pytest.mark.parametrize("value", [-7, 10**6])
def test_unverified_reads_refuse_ids_outside_the_vocabulary(corpus, value):
    """As the Dask workers once read: no checksum, yet a bad id is an error, not a crash or a wrong count."""

    def damage(tokens):
        tokens[100] = value

    _rewrite_shard(corpus, 2, damage)
    unverified = TokenCorpus.open(corpus.path, verify=False)
    with pytest.raises(CorruptFileError, match="ids outside"):
        count_cooccurrences(unverified, window=5, progress=False)


def test_unverified_reads_refuse_damaged_document_offsets(corpus):
    path = corpus.path / "shards/docs-00002.npy"
    offsets = np.load(path)
    offsets[5] = offsets[-1] + 1000
    np.save(path, offsets)
    with pytest.raises(CorruptFileError, match="offsets"):
        count_cooccurrences(TokenCorpus.open(corpus.path, verify=False), window=5, progress=False)


def test_the_counting_kernel_checks_ids_and_offsets_itself():
    from cooc.count import _numba
    from cooc.count.accumulate import HeadLayout

    V, window = 5, 2
    lay = HeadLayout.for_bound(V, V * V)
    weights = np.ones(window, dtype=np.int64)

    def count(tokens, offsets):
        tail = np.empty((1, 64), dtype=np.int64)
        head = np.zeros(lay.cells, dtype=np.int64)
        pairs, grouped = np.empty((1, window), np.int64), np.empty((1, window), np.int64)
        args = (lay.row_start, lay.row_len, lay.cells, head, np.zeros(V, np.int32), tail, pairs, grouped)
        fill, resume = np.zeros(1, np.int64), np.zeros(1, np.int64)
        _numba.count_owned(tokens, offsets, V, True, False, weights, *args, fill, resume, tokens.size)
        return head

    good = np.array([0, 1, 2, 3], dtype=np.int32)
    assert count(good, np.array([0, 4])).sum() == 5  # pairs (0,1) (0,2) (1,2) (1,3) (2,3)
    with pytest.raises(CorruptFileError, match="negative token id"):
        count(np.array([0, 1, -3, 2], dtype=np.int32), np.array([0, 4]))
    with pytest.raises(CorruptFileError, match="negative token id"):  # in no window: only as a centre
        count(np.array([0, 1, -3, 2], dtype=np.int32), np.array([0, 2, 4]))
    with pytest.raises(CorruptFileError, match="offsets outside"):
        count(good, np.array([0, 9]))


def test_a_worker_verifies_the_shards_it_counts(corpus):
    from cooc.count.parts import open_part

    flip(corpus.path / "shards/tokens-00004.npy")
    open_part(str(corpus.path), [1, 2], corpus.identity)  # the shards it was given are sound
    with pytest.raises(CorruptFileError, match="tokens-00004"):
        open_part(str(corpus.path), [3, 4], corpus.identity)


# -- counts -------------------------------------------------------------------------------------
@pytest.fixture
def counts(tmp_path, corpus):
    result = count_cooccurrences(corpus, window=3, progress=False)
    result.save(tmp_path / "counts")
    return result


def test_damaged_counts_are_refused(tmp_path, counts):
    flip(tmp_path / "counts.npz")
    fails(["info", tmp_path / "counts"], "checksum")


def test_counts_whose_words_were_edited_are_refused(tmp_path, counts):
    meta = json.loads((tmp_path / "counts.json").read_text())
    words = meta["vocab"]["words"]
    words[0], words[1] = words[1], words[0]
    (tmp_path / "counts.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match="word list"):
        Cooccurrence.load(tmp_path / "counts")


def test_new_data_under_old_metadata_is_refused_even_unverified(tmp_path, counts, corpus):
    """A crash between the two renames of an overwrite: harmonic data under uniform metadata."""
    old_meta = (tmp_path / "counts.json").read_bytes()
    count_cooccurrences(corpus, window=3, weighting="uniform", progress=False).save(tmp_path / "counts")
    (tmp_path / "counts.json").write_bytes(old_meta)
    for verify in (True, False):
        with pytest.raises(CorruptFileError, match="different writes|checksum"):
            Cooccurrence.load(tmp_path / "counts", verify=verify)


def test_blocked_counts(tmp_path, counts):
    from cooc import save_blocked

    save_blocked(counts, tmp_path / "blocked", n_blocks=3)
    flip(tmp_path / "blocked.blocks" / "b00001.data.npy")
    fails(["info", tmp_path / "blocked"], "b00001.data.npy", "checksum")
    flip(tmp_path / "blocked.blocks" / "unigram.npy")
    with pytest.raises(CorruptFileError, match="unigram.npy"):
        Cooccurrence.load(tmp_path / "blocked", verify=False)  # the shared files are always checked


# -- embeddings ---------------------------------------------------------------------------------
@pytest.fixture
def embedding(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    emb = Embedding(rng.normal(size=(50, 8)), words, {"target": "test"})
    emb.save(tmp_path / "emb")
    (tmp_path / "pairs.tsv").write_text("".join(f"w{i}\tw{i + 1}\t{i % 7}\n" for i in range(40)))
    return emb


def test_damaged_vectors_are_refused_memory_mapped_too(tmp_path, embedding):
    """`cooc eval` memory-maps the vectors: a flipped byte printed NaN with exit 0; now it is an error."""
    flip(tmp_path / "emb.npz", at=0.5)
    fails(["eval", "similarity", tmp_path / "emb", "--pairs", tmp_path / "pairs.tsv"], "checksum")
    with pytest.raises(CorruptFileError, match="checksum"):
        Embedding.load(tmp_path / "emb", mmap=True)
    Embedding.load(tmp_path / "emb", mmap=True, verify=False)  # the explicit opt-out


def test_embedding_words_and_pairs(tmp_path, embedding):
    meta = json.loads((tmp_path / "emb.json").read_text())
    old = (tmp_path / "emb.json").read_bytes()
    meta["index_to_key"][0], meta["index_to_key"][1] = meta["index_to_key"][1], meta["index_to_key"][0]
    (tmp_path / "emb.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match="word list"):
        Embedding.load(tmp_path / "emb")
    Embedding(embedding.vectors * 2, embedding.index_to_key, {"target": "other"}).save(tmp_path / "emb")
    (tmp_path / "emb.json").write_bytes(old)  # new vectors under the old metadata
    for mmap in (False, True):
        with pytest.raises(CorruptFileError, match="different writes|checksum"):
            Embedding.load(tmp_path / "emb", mmap=mmap, verify=False)


# -- checkpoints --------------------------------------------------------------------------------
def test_a_damaged_checkpoint_stops_the_resume(tmp_path, small):
    from cooc.train.word2vec.estimator import Word2Vec

    params = dict(dim=8, epochs=2, min_count=1, progress=False, checkpoint_every=0.0)  # as the command below

    def stop(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**params).fit(small.path, checkpoint=tmp_path / "emb.checkpoint", callback=stop)
    flip(tmp_path / "emb.checkpoint" / "arrays.npz", at=0.5)
    args = ["train", "word2vec", small.path, "-o", tmp_path / "emb", "--dim", 8, "--epochs", 2, "--min-count", 1]
    fails([*args, "--no-progress"], "arrays.npz", "does not match")
