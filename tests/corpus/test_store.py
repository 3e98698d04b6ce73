"""build -> open -> tokens equal a straightforward Python reference; resume; bad inputs."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, InputDataError, InvalidParameterError, OutputExistsError
from cooc.corpus import store
from cooc.corpus.build import build_corpus
from cooc.corpus.sources import TextSource
from cooc.corpus.store import CorpusWriter, TokenCorpus
from cooc.corpus.tokenize import Tokenizer
from cooc.corpus.vocab import Vocabulary
from cooc.count import count_cooccurrences


def reference(texts, tokenizer, vocab_size=None, min_count=1, oov="keep"):
    docs = [tokenizer(t) for t in texts]
    docs = [d for d in docs if d and len(d) >= tokenizer.min_doc_tokens]
    counts = Counter(w for d in docs for w in d)
    ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))[:vocab_size]
    index = {w: i for i, w in enumerate(ranked)}
    encoded = [[index.get(w, len(ranked)) for w in d] for d in docs]
    if oov == "drop":
        encoded = [[i for i in d if i < len(ranked)] for d in encoded]
    return ranked, encoded


def corpus_docs(corpus):
    return [d.tolist() for d in corpus.documents()]


@pytest.fixture
def small_text(tmp_path, rng):
    words = [f"w{i}" for i in range(60)]
    p = 1 / np.arange(1, 61)
    lines = [" ".join(rng.choice(words, size=rng.integers(0, 30), p=p / p.sum())) for _ in range(300)]
    lines = [line if line else "Hello, World! 1,000 don't" for line in lines]
    path = tmp_path / "input.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


@pytest.mark.parametrize(
    "vocab_size, min_count, oov, min_doc", [(None, 1, "keep", 0), (20, 1, "keep", 3), (25, 3, "drop", 5)]
)
def test_build_equals_reference(tmp_path, small_text, vocab_size, min_count, oov, min_doc):
    path, lines = small_text
    tok = Tokenizer(min_doc_tokens=min_doc)
    built = build_corpus(
        path,
        tmp_path / "c",
        tokenizer=tok,
        vocab_size=vocab_size,
        min_count=min_count,
        oov=oov,
        shard_tokens=500,
        progress=False,
    )
    words, docs = reference(lines, tok, vocab_size, min_count, oov)
    reopened = TokenCorpus.open(tmp_path / "c")
    assert reopened.manifest == built.manifest
    assert reopened.vocab.words == built.vocab.words == words  # the build returns its vocabulary unread
    assert np.array_equal(reopened.vocab.counts, built.vocab.counts) and reopened.vocab.total == built.vocab.total
    assert corpus_docs(reopened) == docs
    assert reopened.n_shards > 1 and reopened.n_tokens == sum(map(len, docs))
    assert reopened.oov_id == (len(words) if oov == "keep" else None)
    all_tokens = [w for t in lines for w in tok(t)] if min_doc == 0 else None
    if all_tokens is not None:
        assert reopened.vocab.total == len(all_tokens)


def test_wikipedia_sample_equals_reference(tmp_path, wiki_docs):
    tok = Tokenizer(min_doc_tokens=200)
    corpus = build_corpus(
        _dump(), tmp_path / "wiki", tokenizer=tok, vocab_size=5000, progress=False, shard_tokens=100_000
    )
    words, docs = reference(wiki_docs, tok, 5000)
    assert corpus.vocab.words == words
    assert corpus_docs(corpus) == docs


def _dump():
    from cooc.data import wiki_sample_path

    return wiki_sample_path()


def test_two_workers_equal_one(tmp_path, small_text):
    path, _ = small_text
    one = build_corpus(path, tmp_path / "one", shard_tokens=700, progress=False, workers=1, batch_chars=500)
    two = build_corpus(path, tmp_path / "two", shard_tokens=700, progress=False, workers=2, batch_chars=500)
    assert one.vocab == two.vocab
    assert [s["tokens_checksum"] for s in one.manifest["shards"]] == [
        s["tokens_checksum"] for s in two.manifest["shards"]
    ]


def test_resume_after_interruption(tmp_path, small_text):
    path, _ = small_text
    full = build_corpus(path, tmp_path / "full", shard_tokens=400, progress=False)
    with pytest.raises(KeyboardInterrupt):
        build_corpus(path, tmp_path / "cut", shard_tokens=400, progress=False, _stop_after_shards=2)
    assert not (tmp_path / "cut" / "manifest.json").exists()
    with pytest.raises(CorruptFileError, match="unfinished build"):
        TokenCorpus.open(tmp_path / "cut")
    raw = sorted((tmp_path / "cut" / ".build").glob("raw-*.json"))
    assert len(raw) == 2
    (tmp_path / "cut" / ".build" / "raw-00002.npy").write_bytes(b"partial write of a shard that never committed")
    resumed = build_corpus(path, tmp_path / "cut", shard_tokens=400, progress=False)
    assert resumed.vocab == full.vocab
    assert corpus_docs(resumed) == corpus_docs(full)
    assert [s["tokens_checksum"] for s in resumed.manifest["shards"]] == [
        s["tokens_checksum"] for s in full.manifest["shards"]
    ]
    assert not (tmp_path / "cut" / ".build").exists()


def test_same_settings_reuse_and_different_refused(tmp_path, small_text):
    path, _ = small_text
    first = build_corpus(path, tmp_path / "c", progress=False)
    stamp = (tmp_path / "c" / "manifest.json").stat().st_mtime_ns
    again = build_corpus(path, tmp_path / "c", progress=False)
    assert again.manifest == first.manifest and (tmp_path / "c" / "manifest.json").stat().st_mtime_ns == stamp
    with pytest.raises(OutputExistsError, match=r"a different corpus \(vocab_size: None -> 5\); pass --overwrite"):
        build_corpus(path, tmp_path / "c", vocab_size=5, progress=False)
    replaced = build_corpus(path, tmp_path / "c", vocab_size=5, progress=False, overwrite=True)
    assert len(replaced.vocab) == 5


def test_foreign_directory_refused(tmp_path, small_text):
    path, _ = small_text
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not empty"):
        build_corpus(path, tmp_path / "busy", progress=False)
    assert (tmp_path / "busy" / "notes.txt").exists()


def test_empty_input_leaves_nothing(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n   \n")
    with pytest.raises(InputDataError, match="no tokens"):
        build_corpus(tmp_path / "empty.txt", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    (tmp_path / "short.txt").write_text("too short\n")
    with pytest.raises(InputDataError, match="at least 200"):
        build_corpus(tmp_path / "short.txt", tmp_path / "out", tokenizer=Tokenizer(min_doc_tokens=200), progress=False)


@pytest.mark.parametrize("kwargs", [{"vocab_size": 0}, {"min_count": 0}, {"oov": "maybe"}, {"workers": 0}])
def test_bad_parameters(tmp_path, small_text, kwargs):
    with pytest.raises(InvalidParameterError):
        build_corpus(small_text[0], tmp_path / "c", progress=False, **kwargs)
    assert not (tmp_path / "c").exists()


def test_vocab_larger_than_corpus_warns(warned, tmp_path, small_text):
    with warned("only"):
        corpus = build_corpus(small_text[0], tmp_path / "c", vocab_size=10_000, progress=False)
    assert len(corpus.vocab) < 10_000


def test_edited_or_truncated_shard_detected(tmp_path, small_text):
    corpus = build_corpus(small_text[0], tmp_path / "c", shard_tokens=500, progress=False)
    shard = tmp_path / "c" / corpus.manifest["shards"][1]["tokens"]
    data = bytearray(shard.read_bytes())
    data[-1] ^= 1
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum"):
        TokenCorpus.open(tmp_path / "c")
    shard.write_bytes(bytes(data[:-8]))
    with pytest.raises(CorruptFileError):
        TokenCorpus.open(tmp_path / "c")
    TokenCorpus.open(tmp_path / "c", verify=False)  # opening without verification is allowed...
    with pytest.raises(CorruptFileError, match="wrong type or size|truncated"):
        list(TokenCorpus.open(tmp_path / "c", verify=False).iter_shards())  # ...but reading the shard is not


@pytest.mark.parametrize("threads", [1, 3])
def test_verification_on_threads_names_the_first_damaged_file(tmp_path, small_text, threads, monkeypatch):
    corpus = build_corpus(small_text[0], tmp_path / "c", shard_tokens=500, progress=False)
    assert len(corpus.manifest["shards"]) >= 4
    used = []
    real = store.ThreadPoolExecutor

    def spy(n, **kwargs):
        used.append(n)
        return real(n, **kwargs)

    monkeypatch.setattr(store, "ThreadPoolExecutor", spy)
    opened = TokenCorpus.open(tmp_path / "c", threads=threads)  # intact: every file checked and remembered
    assert used == ([] if threads == 1 else [threads])
    assert opened._verified == {rel for rel, _ in opened._entries()}
    for index in (3, 1):  # two damaged shards: the first in the manifest's order is named, whatever finishes first
        shard = tmp_path / "c" / corpus.manifest["shards"][index]["tokens"]
        data = bytearray(shard.read_bytes())
        data[-1] ^= 1
        shard.write_bytes(bytes(data))
    first = corpus.manifest["shards"][1]["tokens"].split("/")[-1]
    with pytest.raises(CorruptFileError, match=f"{first}.*checksum"):
        TokenCorpus.open(tmp_path / "c", threads=threads)


@pytest.mark.parametrize("threads", [0, -2, True])
def test_verification_refuses_a_thread_count_that_is_not_positive(tmp_path, small_text, threads):
    build_corpus(small_text[0], tmp_path / "c", progress=False)
    with pytest.raises(InvalidParameterError, match="'threads' must be a positive integer"):
        TokenCorpus.open(tmp_path / "c", threads=threads)


def test_counting_verifies_the_corpus_on_its_own_threads(tmp_path, small_text, verify_threads):
    build_corpus(small_text[0], tmp_path / "c", shard_tokens=500, progress=False)
    count_cooccurrences(tmp_path / "c", window=2, workers=1, progress=False)
    assert verify_threads == [1]


def test_foreign_manifest(tmp_path, small_text):
    build_corpus(small_text[0], tmp_path / "c", progress=False)
    (tmp_path / "c" / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CorruptFileError, match="not a cooc corpus"):
        TokenCorpus.open(tmp_path / "c")
    (tmp_path / "c" / "manifest.json").write_text("{ truncated")
    with pytest.raises(CorruptFileError, match="not valid JSON"):
        TokenCorpus.open(tmp_path / "c")


@pytest.mark.parametrize(
    "field, value", [("oov", "drop"), ("oov_tokens", 0), ("settings", {}), ("source", {"kind": "x"})]
)
def test_an_edited_manifest_is_refused(tmp_path, small_text, field, value):
    """The manifest's content carries its own checksum: an edited OOV policy (which decides whether
    ``--oov gap`` may run), setting or source is refused; the same content reindented, and a manifest from
    before the checksum, still open."""
    corpus = build_corpus(small_text[0], tmp_path / "c", progress=False, vocab_size=50)
    path = tmp_path / "c" / "manifest.json"
    manifest = json.loads(path.read_text())
    assert manifest["checksums"]["meta"].startswith("sha256:")
    path.write_text(json.dumps(manifest, indent=7, sort_keys=True))
    assert TokenCorpus.open(tmp_path / "c").n_tokens == corpus.n_tokens
    assert manifest[field] != value
    path.write_text(json.dumps({**manifest, field: value}))
    with pytest.raises(CorruptFileError, match="does not match the checksum of its content"):
        TokenCorpus.open(tmp_path / "c")
    old = {k: v for k, v in manifest.items() if k != "checksums"}
    path.write_text(json.dumps({**old, field: value}))
    assert TokenCorpus.open(tmp_path / "c").manifest[field] == value


def test_a_written_corpus_manifest_carries_its_checksum(tmp_path):
    with CorpusWriter(tmp_path / "w", Vocabulary(["a", "b"], [2, 1]), source={"kind": "test"}) as writer:
        writer.add_document(np.array([0, 1, 0]))
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    manifest["n_docs"] = 1  # consistent with the shards, but not what was written
    manifest["source"] = {"kind": "edited"}
    (tmp_path / "w" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptFileError, match="checksum of its content"):
        TokenCorpus.open(tmp_path / "w")


def test_iter_chunks_cover_documents(tmp_path, small_text):
    corpus = build_corpus(small_text[0], tmp_path / "c", shard_tokens=800, progress=False)
    docs = corpus_docs(corpus)
    for max_tokens in (1, 37, 10_000):
        chunk_docs = []
        for tokens, offsets in corpus.iter_chunks(max_tokens):
            assert offsets[0] == 0 and offsets[-1] == tokens.size
            assert tokens.size <= max_tokens or len(offsets) == 2
            chunk_docs += [tokens[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]
        assert chunk_docs == docs
    assert corpus.token_counts()[: len(corpus.vocab)].tolist() == corpus.vocab.counts.tolist()


def test_corpus_writer_and_extras(tmp_path, rng):
    vocab = Vocabulary(["a", "b", "c"], [5, 3, 1])
    docs = [rng.integers(0, 3, size=n) for n in (4, 0, 7, 2, 9)]
    with CorpusWriter(tmp_path / "w", vocab, source={"kind": "test"}, shard_tokens=6) as writer:
        for d in docs:
            writer.add_document(d)
        writer.add_extra("labels", np.arange(5))
    corpus = TokenCorpus.open(tmp_path / "w")
    assert corpus_docs(corpus) == [d.tolist() for d in docs]
    assert corpus.extra("labels").tolist() == list(range(5))
    with pytest.raises(KeyError):
        corpus.extra("nope")
    with pytest.raises(InvalidParameterError, match="token ids"):
        CorpusWriter(tmp_path / "w2", vocab, source={}).add_document(np.array([0, 3]))


@pytest.mark.parametrize(
    "tokens, offsets, match",
    [
        (np.array([0.9, 1.9, 2.5]), [0, 3], r"token ids must be integers, got dtype float64"),  # not cut to 0, 1, 2
        (np.array([0, 1, 2]), np.array([0.0, 1.5, 3.0]), r"offsets must be integers, got dtype float64"),
        (np.array([0, 1, 2, 1, 0]), [0, 3, 1, 5], r"offsets must not decrease"),  # a corpus no reader could open
        (np.array([[0, 1], [2, 1]]), [0, 4], r"one array of shape \(n,\), got shape \(2, 2\)"),
    ],
)
def test_corpus_writer_refuses_ids_and_offsets_it_would_store_wrongly(tmp_path, tokens, offsets, match):
    writer = CorpusWriter(tmp_path / "w", Vocabulary(["a", "b", "c"], [5, 3, 1]), source={"kind": "test"})
    with pytest.raises(InvalidParameterError, match=match):
        writer.add_documents(tokens, np.asarray(offsets))
    writer.add_documents(np.array([0, 1, 2, 1, 0], dtype=np.uint8), np.array([0, 3, 3, 5]))  # an empty document
    writer.close()
    assert corpus_docs(TokenCorpus.open(tmp_path / "w")) == [[0, 1, 2], [], [1, 0]]


def test_text_source_object_and_max_docs(tmp_path, small_text):
    corpus = build_corpus(TextSource(small_text[0]), tmp_path / "c", max_docs=10, progress=False)
    assert corpus.n_docs <= 10 and corpus.manifest["source_items"] == 10


@pytest.mark.parametrize("workers", [1, 2])
def test_messy_text_files_build_like_decoded_lines(warned, tmp_path, workers):
    """The block path (raw UTF-8 lines to the workers) equals decoding each line in Python."""
    folder = tmp_path / "in"
    folder.mkdir()
    raw_a = "First LINE, 1.5 don’t\r\n\n   \nİstanbul \u212aelvin caf\xe9\nno final newline".encode()
    raw_b = b"bad \xff byte here\n" + b"ok Line " * 1200 + b"\n\x00nul inside\n"  # NUL past the binary check
    (folder / "a.txt").write_bytes(raw_a)
    (folder / "b.txt").write_bytes(raw_b)
    lines = [
        line.decode("utf-8", errors="replace")
        for raw in (raw_a, raw_b)
        for line in raw.splitlines(True)
        if b"\r" not in line or line.endswith(b"\r\n")
    ]
    tok = Tokenizer()
    with warned(r"b\.txt.*1 lines"):
        built = build_corpus(folder, tmp_path / "c", workers=workers, shard_tokens=7, batch_chars=16, progress=False)
    words, docs = reference(lines, tok)
    assert built.vocab.words == words
    assert corpus_docs(built) == docs
    limited = build_corpus(folder, tmp_path / "m", max_docs=4, progress=False)
    # with a text source, max_docs counts lines, blank ones included
    assert [[limited.vocab.words[i] for i in d] for d in corpus_docs(limited)] == [tok(t) for t in lines[:4] if tok(t)]


def test_a_min_count_that_no_word_reaches_is_refused_not_built_empty(tmp_path):
    from cooc._core.errors import InputDataError

    (tmp_path / "t.txt").write_text("the cat sat on the mat\nthe dog sat\n")  # 'the' 3 times, 'sat' twice
    with pytest.raises(InputDataError, match=r"min_count = 4 times \(the most frequent occurs 3 times in 9 tokens\)"):
        build_corpus(tmp_path / "t.txt", tmp_path / "c", min_count=4)
    assert len(build_corpus(tmp_path / "t.txt", tmp_path / "c3", min_count=3).vocab) == 1  # 'the' is enough
