"""Full-scale ingestion on small inputs: several files and formats, two workers, a build killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cooc._core.errors import OutputBusyError
from cooc.corpus.build import _RawState, build_corpus
from cooc.corpus.sources import HFDatasetSource, TextSource, WikiXMLSource
from cooc.corpus.store import TokenCorpus, lock_corpus_dir
from cooc.corpus.tokenize import Tokenizer

from ..corpora import write_wiki_dumps

REPO = Path(__file__).resolve().parents[2]


def reference(texts, tokenizer, vocab_size=None):
    """The corpus by definition: tokenise each document, rank words (count desc, then alphabetical)."""
    docs = [d for d in (tokenizer(t) for t in texts) if d and len(d) >= tokenizer.min_doc_tokens]
    counts = Counter(w for d in docs for w in d)
    words = sorted(counts, key=lambda w: (-counts[w], w))[:vocab_size]
    index = {w: i for i, w in enumerate(words)}
    return words, [[index.get(w, len(words)) for w in d] for d in docs]


def same_corpus(a: TokenCorpus, b: TokenCorpus) -> None:
    assert a.vocab == b.vocab and a.vocab.counts.tolist() == b.vocab.counts.tolist()
    assert a.n_tokens == b.n_tokens and a.n_docs == b.n_docs
    assert [s["tokens_checksum"] for s in a.manifest["shards"]] == [s["tokens_checksum"] for s in b.manifest["shards"]]
    assert [s["docs_checksum"] for s in a.manifest["shards"]] == [s["docs_checksum"] for s in b.manifest["shards"]]


def test_multi_file_corpus_two_workers_equal_one_and_the_definition(tmp_path, text_tree):
    root, texts = text_tree
    settings = dict(shard_tokens=600, batch_chars=700, vocab_size=30, progress=False)
    one = build_corpus(root, tmp_path / "one", workers=1, **settings)
    two = build_corpus(root, tmp_path / "two", workers=2, **settings)
    same_corpus(one, two)
    assert two.n_shards > 3
    assert len(two.manifest["source"]["files"]) == 3
    words, docs = reference(texts, Tokenizer(), 30)
    assert two.vocab.words == words
    assert [d.tolist() for d in two.documents()] == docs


def test_directory_of_wikipedia_dumps_two_workers(tmp_path, rng):
    write_wiki_dumps(tmp_path / "dumps", rng, n_files=2, pages=12)
    tok = Tokenizer(min_doc_tokens=20)
    settings = dict(tokenizer=tok, shard_tokens=500, batch_chars=2000, progress=False)
    one = build_corpus(tmp_path / "dumps", tmp_path / "one", workers=1, **settings)
    two = build_corpus(tmp_path / "dumps", tmp_path / "two", workers=2, **settings)
    same_corpus(one, two)
    assert two.manifest["source"]["kind"] == "wikixml" and len(two.manifest["source"]["files"]) == 2
    texts = list(WikiXMLSource(tmp_path / "dumps").documents())
    assert len(texts) == 24  # redirects and talk pages skipped
    assert not any("cite" in t or "[[" in t for t in texts)  # markup stripped in the workers
    words, docs = reference(texts, tok)
    assert two.vocab.words == words
    assert [d.tolist() for d in two.documents()] == docs


# A build that reads its source slowly (like a network stream), so SIGKILL lands mid-build.
_KILLED_BUILD = textwrap.dedent("""
    import sys, time
    from cooc.corpus.build import build_corpus
    from cooc.corpus.sources import TextSource

    class SlowText(TextSource):
        def iter_raw(self, skip=0):
            for item in super().iter_raw(skip):
                time.sleep(0.004)
                yield item

    build_corpus(SlowText(sys.argv[1]), sys.argv[2], workers=2, shard_tokens=300, batch_chars=400,
                 vocab_size=40, progress=False)
""")


class _RecordingText(TextSource):
    """A text source that records where a resumed build asked it to start."""

    skips: list[int] = []

    def iter_raw(self, skip=0):
        _RecordingText.skips.append(skip)
        return super().iter_raw(skip)

    def line_blocks(self, skip=0, limit=None, size=1 << 20):  # the path a line-mode build takes
        _RecordingText.skips.append(skip)
        return super().line_blocks(skip, limit, size)


def test_build_killed_with_sigkill_resumes_to_the_same_corpus(tmp_path, text_tree, monkeypatch):
    root, _ = text_tree
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(root), str(out)],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / ".build" / "raw-00002.json").exists():
            assert proc.poll() is None, f"the build ended before it could be killed: {proc.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, "the build never committed three shards"
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its tokenising workers, mid-build
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    # The killed build's workers end a moment after it (on a loaded machine, some milliseconds): until the
    # last has gone, the corpus is rightly refused as being written. Wait for the lock, not a fixed time.
    deadline = time.monotonic() + 30
    while True:
        try:
            lock_corpus_dir(out).release()
            break
        except OutputBusyError:
            assert time.monotonic() < deadline, "the killed build's workers never let go of the corpus"
            time.sleep(0.01)

    committed = _RawState.resume(out / ".build")
    assert 3 <= len(committed.shards) and not committed.complete
    rewritten: list[int] = []
    original_commit = _RawState.commit

    def recording_commit(self, *args, **kwargs):
        rewritten.append(len(self.shards))
        return original_commit(self, *args, **kwargs)

    monkeypatch.setattr(_RawState, "commit", recording_commit)
    _RecordingText.skips = []
    resumed = build_corpus(
        _RecordingText(root), out, workers=2, shard_tokens=300, batch_chars=400, vocab_size=40, progress=False
    )
    # Finished shards were neither re-read nor re-tokenised: the source restarted after them.
    assert _RecordingText.skips == [committed.consumed]
    assert rewritten and rewritten[0] == len(committed.shards)
    monkeypatch.setattr(_RawState, "commit", original_commit)
    fresh = build_corpus(
        root, tmp_path / "fresh", workers=1, shard_tokens=300, batch_chars=400, vocab_size=40, progress=False
    )
    same_corpus(resumed, fresh)
    assert not (out / ".build").exists()
    TokenCorpus.open(out)  # every checksum verifies


def test_shard_cuts_do_not_depend_on_batching(tmp_path, text_tree):
    root, texts = text_tree
    tok = Tokenizer(min_doc_tokens=5)  # some documents are dropped, and still counted as consumed
    builds = [
        build_corpus(
            root, tmp_path / f"b{chars}", tokenizer=tok, shard_tokens=450, batch_chars=chars, workers=1, progress=False
        )
        for chars in (40, 900, 1 << 20)
    ]
    for other in builds[1:]:
        same_corpus(builds[0], other)
    corpus = builds[0]
    for k in range(corpus.n_shards - 1):  # every shard ends with the document that filled it
        tokens, offsets = corpus.shard(k)
        assert tokens.size >= 450 and offsets[-2] < 450
    _, docs = reference(texts, tok)
    assert corpus.n_docs == len(docs) and corpus.manifest["source_items"] == len(texts)


class _RecordingHF(HFDatasetSource):
    """The Hugging Face source, remembering how it was asked to restart."""

    calls: list = []

    def iter_raw_resumable(self, skip=0, resume=None):
        rows, state = super().iter_raw_resumable(skip, resume)
        _RecordingHF.calls.append(dict(self.last_start))
        return rows, state


def test_hf_streaming_build_resumes_from_the_dataset_state(tmp_path, rng):
    """An interrupted build of a streaming dataset restarts at its stored state_dict(), not by re-reading every row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    words = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(5, 40)))) for _ in range(300)]
    files = []
    for f in range(4):  # four parquet shards in the wikimedia/wikipedia schema
        rows = [{"id": str(i), "url": "u", "title": "t", "text": t} for i, t in enumerate(texts[75 * f : 75 * (f + 1)])]
        files.append(tmp_path / f"wiki-{f:05d}.parquet")
        pq.write_table(pa.Table.from_pylist(rows), files[-1], row_group_size=20)
    source = _RecordingHF("parquet", None, data_files=[str(p) for p in files])
    kwargs = dict(shard_tokens=1500, batch_chars=500, progress=False)
    with pytest.raises(KeyboardInterrupt):
        build_corpus(source, tmp_path / "cut", _stop_after_shards=3, **kwargs)
    committed = _RawState.resume(tmp_path / "cut" / ".build")
    assert committed.resume_point is not None and committed.resume_point["items"] <= committed.consumed
    assert committed.consumed > 75  # the restart point lies past the first parquet file
    _RecordingHF.calls = []
    resumed = build_corpus(source, tmp_path / "cut", workers=2, **kwargs)
    start = _RecordingHF.calls[0]
    assert start["skip"] == committed.consumed and start["from_state"] == committed.resume_point["items"]
    assert start["reread"] == committed.consumed - start["from_state"] < 40  # less than one batch read again
    fresh = build_corpus(source, tmp_path / "fresh", **kwargs)
    same_corpus(resumed, fresh)
    words_ref, docs_ref = reference(texts, Tokenizer())
    assert resumed.vocab.words == words_ref and [d.tolist() for d in resumed.documents()] == docs_ref


def test_wikipedia_dumps_resume_at_the_dump_file_being_read(tmp_path, rng, monkeypatch):
    """A restart opens the dump file it stopped in; earlier dumps are not parsed again."""
    write_wiki_dumps(tmp_path / "dumps", rng, n_files=3, pages=12)
    kwargs = dict(shard_tokens=600, batch_chars=300, progress=False)
    with pytest.raises(KeyboardInterrupt):
        build_corpus(tmp_path / "dumps", tmp_path / "cut", _stop_after_shards=4, **kwargs)
    committed = _RawState.resume(tmp_path / "cut" / ".build")
    assert committed.resume_point["state"]["file"] >= 1 and committed.consumed > 12
    opened = []
    original = WikiXMLSource._pages

    def recording(self, skip, position):
        opened.append(dict(position))
        return original(self, skip, position)

    monkeypatch.setattr(WikiXMLSource, "_pages", recording)
    resumed = build_corpus(tmp_path / "dumps", tmp_path / "cut", workers=2, **kwargs)
    assert opened[0] == committed.resume_point["state"]
    monkeypatch.undo()
    same_corpus(resumed, build_corpus(tmp_path / "dumps", tmp_path / "fresh", **kwargs))


def test_build_memory_does_not_grow_with_the_corpus(tmp_path, rng):
    """Peak traced memory of a build is set by the batch, shard and type table sizes, not by the tokens."""
    import tracemalloc

    words = np.array([f"w{i}" for i in range(2000)])
    peaks = []
    for n_lines in (1_000, 16_000):  # 100k and 1.6M tokens, the same 2000 types
        path = tmp_path / f"t{n_lines}.txt"
        path.write_text("\n".join(" ".join(rng.choice(words, 100)) for _ in range(n_lines)) + "\n")
        kwargs = dict(shard_tokens=50_000, batch_chars=1 << 16, progress=False)
        build_corpus(path, tmp_path / f"warm{n_lines}", **kwargs)  # imports and compiled code, outside the trace
        tracemalloc.start()
        try:
            corpus = build_corpus(path, tmp_path / f"c{n_lines}", **kwargs)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert corpus.n_tokens == 100 * n_lines
    assert peaks[1] < 1.2 * peaks[0] + (1 << 20), peaks


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("mode, spelled, dropped", [("transliterate", 3, 1), ("drop", 0, 4)])
def test_the_build_counts_words_with_letters_outside_ascii(tmp_path, warned, workers, mode, spelled, dropped):
    # 3 words transliterate (Zürich, façade, naïve), one cannot (東京); spread over lines and batches
    lines = ["Zürich has a façade", "plain words only", "a naïve visitor", "東京 is far", "more plain words"] * 4
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pattern = rf"{4 * spelled} spelled in ASCII, {4 * dropped} dropped \(--non-ascii {mode}\)"
    with warned(pattern):
        corpus = build_corpus(
            tmp_path / "in.txt",
            tmp_path / "c",
            tokenizer=Tokenizer(non_ascii=mode),
            workers=workers,
            batch_chars=40,
            progress=False,
        )
    assert ("zurich" in corpus.vocab) == (mode == "transliterate") and "rich" not in corpus.vocab


@pytest.mark.parametrize("workers", [1, 2])
def test_the_build_says_where_the_main_process_spent_its_time(tmp_path, text_tree, caplog, workers):
    """One debug line per tokenising pass (benchmarks/scale.py reads it): every token and batch counted,
    the main process's share of the batches, and its routing time per token."""
    import logging

    root, _ = text_tree
    with caplog.at_level(logging.DEBUG, logger="cooc"):
        corpus = build_corpus(root, tmp_path / "c", workers=workers, shard_tokens=600, batch_chars=700, progress=False)
    (record,) = [r for r in caplog.records if str(r.msg).startswith("tokenising pass")]
    tokens, batches, local, tokenising, waiting, routing, per_token, ceiling = record.args
    assert tokens == corpus.n_tokens and batches > 3 and 0 <= local <= batches
    assert local == batches if workers == 1 else local < batches  # one worker tokenises everything itself
    assert min(tokenising, waiting, routing) >= 0 and per_token == pytest.approx(1e9 * routing / tokens)


def test_the_main_process_remaps_shards_from_the_last_while_the_helpers_take_the_first(monkeypatch):
    """The finalise's remap shares the shards: helpers from the first, the main process from the last
    (it used to wait on each shard in order while the pool started the next: one worker's speed)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    import cooc.corpus._build_pool as pool_module

    done: list[tuple[int, bool]] = []
    main = threading.get_ident()

    def remap(out, build, oov_id, drop, k):
        time.sleep(0.02)
        done.append((k, threading.get_ident() == main))
        return {"shard": k}

    monkeypatch.setattr(pool_module, "_remap_shard", remap)
    ran = []
    with ThreadPoolExecutor(1) as pool:
        metas = list(
            pool_module.remap_shards(SimpleNamespace(pool=pool), ("o", "b", 0, False), 12, lambda: ran.append(1))
        )
    assert metas == [{"shard": k} for k in range(12)]  # in order
    assert ran == [1]
    assert sorted(k for k, _ in done) == list(range(12))  # each shard once
    by_main = sorted(k for k, on_main in done if on_main)
    assert 3 <= len(by_main) <= 9  # about half each
    assert by_main == list(range(12 - len(by_main), 12))  # a suffix: the shards the helpers reach last


@pytest.mark.parametrize("on_disk", [True, False])
def test_parallel_shard_writers_count_every_token_and_write_every_shard(tmp_path, rng, monkeypatch, on_disk):
    """Several writer threads gather, count and write raw shards at once: no count is lost (they
    take turns on the shared counts), every shard holds its own tokens and commits in order.
    Without the disk (writes kept in memory) the gathers overlap most: a lost count shows there."""
    import cooc.corpus.build as build_module

    if not on_disk:
        kept: dict[str, np.ndarray] = {}
        monkeypatch.setattr(build_module, "atomic_save_npy", lambda path, array: kept.update({str(path): array}))
        monkeypatch.setattr(build_module, "atomic_write_bytes", lambda path, data: None)
        monkeypatch.setattr(_RawState, "load", lambda self, k: (kept[str(self.path / f"raw-{k:05d}.npy")], None))
    state = _RawState(tmp_path, writers=4)
    words = [b"a", b"bb", b"ccc", b"dd", b"e", b"ff", b"g", b"hh"]
    gids = state.types.intern(b"".join(words), np.array([len(w) for w in words]))
    expected = np.zeros(len(words), dtype=np.int64)
    pieces, shards = [], []
    for _ in range(16):
        # in memory: two types only, so that overlapping gathers add to the same counts
        local = rng.integers(0, len(words) if on_disk else 2, size=400_000 if on_disk else 2_000_000).astype(np.int32)
        lut = rng.permutation(gids).astype(np.int32)  # each piece in its own worker numbering
        pieces.append([(lut, local[:150_000]), (lut, local[150_000:])])
        shards.append(lut[local])
        expected += np.bincount(shards[-1], minlength=len(words))
    for k, shard in enumerate(pieces):  # handed over back to back, so that the writers overlap
        state.commit(shard, np.array([0, 150_000, shards[k].size]), k + 1)
    state.flush()
    state.settle()
    assert state.counts_for_all_types()[: len(words)].tolist() == expected.tolist()
    assert [m["consumed"] for m in state.shards] == list(range(1, 17))
    for k, tokens in enumerate(shards):
        assert np.array_equal(state.load(k)[0], tokens)


@pytest.mark.parametrize("writers", [1, 3])
def test_builds_with_several_shard_writers_equal_one_worker(tmp_path, text_tree, monkeypatch, writers):
    import cooc.corpus.build as build_module

    root, _ = text_tree
    settings = dict(shard_tokens=300, batch_chars=500, progress=False)
    one = build_corpus(root, tmp_path / "one", workers=1, **settings)
    monkeypatch.setattr(build_module, "writer_threads", lambda workers: writers)
    many = build_corpus(root, tmp_path / "many", workers=2, **settings)
    same_corpus(one, many)
    assert many.n_shards > 5


def _commit_shards(state: _RawState, n: int) -> None:
    words = [b"x", b"yy"]
    lut = state.types.intern(b"".join(words), np.array([1, 2])).astype(np.int32)
    for k in range(n):
        local = np.arange(1000, dtype=np.int32) % 2
        state.commit([(lut, local)], np.array([0, local.size]), k + 1)


def test_shard_writers_commit_in_shard_order_and_not_after_a_failed_shard(tmp_path, monkeypatch):
    """Writers commit (write a shard's JSON) in shard order, off the main process: a slow shard holds
    back the commits after it, and a shard whose data could not be written stops every later commit."""
    import cooc.corpus.build as build_module

    real_save, real_json = build_module.atomic_save_npy, build_module.atomic_write_json
    order: list[str] = []

    def save(path, array):
        name = Path(path).name
        if name == "raw-00000.npy":
            time.sleep(0.3)  # the first shard's data is slow: shards 1-3 are written meanwhile
        if name == "raw-00005.npy" and "fail" in str(path):
            raise OSError(28, "No space left on device")
        real_save(path, array)

    def json(path, obj):
        order.append(Path(path).name)
        real_json(path, obj)

    monkeypatch.setattr(build_module, "atomic_save_npy", save)
    monkeypatch.setattr(build_module, "atomic_write_json", json)
    state = _RawState(tmp_path / "ok", writers=4)
    _commit_shards(state, 4)
    state.flush()
    state.settle()
    assert order == [f"raw-{k:05d}.json" for k in range(4)]
    assert [m["consumed"] for m in state.shards] == [1, 2, 3, 4]

    order.clear()
    state = _RawState(tmp_path / "fail", writers=4)
    with pytest.raises(OSError, match="No space"):
        _commit_shards(state, 9)
        state.flush()
    state.settle()
    committed = sorted(p.name for p in (tmp_path / "fail").glob("raw-*.json"))
    assert committed == [f"raw-{k:05d}.json" for k in range(5)]  # nothing from the failed shard on
    assert len(_RawState.resume(tmp_path / "fail").shards) == 5
