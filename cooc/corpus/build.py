"""Build a TokenCorpus from a text source: tokenise in parallel, write shards, resume.

One pass over the text. Tokens are first written with *provisional* ids (in order of
first appearance) to ``out/.build/raw-*.npy``, each raw shard committed atomically with
the list of new word types it introduced and how many source items it consumed. When
the source is exhausted the vocabulary is chosen from the exact counts (ranked on one
thread per worker, :mod:`cooc.corpus.ranking`) and every raw shard is remapped to
frequency-rank ids (a gather, one shard per worker process) into ``out/shards``; the manifest is written last. An interrupted build (Ctrl-C, a killed
process) resumes from the last committed raw shard: finished shards are never
re-tokenised, and a source that can seek (a streaming Hugging Face dataset, a folder of
Wikipedia dumps) restarts from the resume token stored with that shard. Each shard's commit
record holds the checksums of its files (hashed from memory as they are written), checked on
the one read a resume makes of them: a damaged shard is discarded with every shard after it,
and the source is tokenised again from the end of the last good one.

The main process routes, and tokenises a batch itself only when it would otherwise wait:
a source stored as UTF-8 lines (a text file in line mode) is cut into spans of whole lines
that the workers read themselves (blocks of undecoded bytes from a compressed file); workers
decode (prepare), tokenise and number the types they see; the main process maps new types
to provisional ids (one compiled lookup per batch) and cuts batches into shards, whose
provisional ids writer threads (one per four workers) gather, count and write.

Memory does not grow with the number of tokens, only with the number T of distinct word
types (which grows far more slowly, as Heaps' law says). With W workers:

* main process: at most ``4 W`` batches of text in flight (``batch_chars`` characters
  each), the shard being filled (``4 * shard_tokens`` bytes, 64 MiB by default), up to
  ``R + 1`` more being written by the ``R`` writer threads (``8 * shard_tokens`` bytes each;
  ``R = 1 + (W - 1) // 4``), the build's type table (60 bytes per
  type at 2M types, its arrays doubling as it grows) and one int32 id map per worker
  (``4 W`` bytes per type);
* each worker: the batch being tokenised (about ``10 * batch_chars`` bytes) and its own
  type table (about 67 bytes per type it has seen);
* finishing: counts and remap (12 bytes per type, the remap shared with forked workers),
  the chosen vocabulary, and one shard (read and remapped, ``8 * shard_tokens`` bytes) per worker.

English Wikipedia has of the order of 10 million types after lowercasing (an estimate):
with 16 workers about 0.6-1.2 GB + 0.6 GB in the main process and at most 0.7 GB per worker,
plus some 200 MB of text and 0.7 GB of shards in flight.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import CorruptFileError, InputDataError, OutputExistsError
from .._core.faults import fault_point
from .._core.io import atomic_save_npy, atomic_write_bytes, atomic_write_json, bytes_checksum, load_json, load_npy
from .._core.locks import clear_directory
from .._core.logs import log
from .._core.params import Interval, OneOf, validate
from .._core.progress import ProgressBar
from .._core.signals import note_kept
from .._core.threads import available_cores
from ._build_pool import Helpers, encoded, remap_shards
from ._raw_check import DamagedShard, bytes_sha256, npy_checksum, npy_of, read_checked
from ._tokenize_fast import TypeTable, gather
from .ranking import chosen_types, vocabulary_of
from .sources import Source, open_source
from .store import (
    MANIFEST,
    OOV_POLICIES,
    VOCAB_FILE,
    TokenCorpus,
    lock_corpus_dir,
    make_manifest,
    prepare_output,
    vocab_checksums,
)
from .tokenize import Tokenizer
from .vocab import Vocabulary, write_vocabulary_files

BUILD_DIR = ".build"
_CONSTRAINTS = {
    "vocab_size": Interval(int, 1, None, allow_none=True),
    "min_count": Interval(int, 1, None),
    "workers": Interval(int, 1, None, allow_none=True),
    "shard_tokens": Interval(int, 1, None),
    "batch_chars": Interval(int, 1, None),
    "oov": OneOf(OOV_POLICIES),
}


def build_corpus(
    source: Source | str | os.PathLike,
    out: str | os.PathLike,
    tokenizer: Tokenizer | None = None,
    vocab_size: int | None = None,
    min_count: int = 1,
    oov: str = "keep",
    workers: int | None = 1,
    shard_tokens: int = 1 << 24,
    batch_chars: int = 1 << 20,
    overwrite: bool = False,
    progress: bool = True,
    format: str | None = None,
    max_docs: int | None = None,
    _stop_after_shards: int | None = None,
) -> TokenCorpus:
    """Tokenise ``source`` into a corpus directory ``out``.

    Parameters
    ----------
    source : Source or str
        A :class:`~cooc.corpus.sources.Source`, or a spec for :func:`~cooc.corpus.sources.open_source`.
    out : path
        Output directory. A complete corpus built with the same settings is reused; a
        different one is refused unless ``overwrite``; an unfinished build is resumed.
    tokenizer : Tokenizer, optional
        Defaults to the papers' Wikipedia rule with no minimum document length.
    vocab_size : int, optional
        Keep the ``vocab_size`` most frequent words (ties alphabetical); all by default.
    min_count : int
        Words seen fewer times are out of vocabulary.
    oov : {"keep", "drop"}
        Keep out-of-vocabulary tokens as the reserved id ``len(vocab)``, or drop them.
    workers : int, optional
        Tokenising processes (``None``: the cores available to this process, :func:`~cooc._core.threads.available_cores`).
    shard_tokens : int
        Tokens per shard (shards end at document boundaries).
    max_docs : int, optional
        Stop after this many source documents (for quick looks at a large source); for a
        text source in line mode, after this many lines (blank ones included).

    Returns
    -------
    TokenCorpus
    """
    params = {
        "vocab_size": vocab_size,
        "min_count": min_count,
        "workers": workers,
        "shard_tokens": shard_tokens,
        "batch_chars": batch_chars,
        "oov": oov,
    }
    validate(params, _CONSTRAINTS, "build_corpus")
    if not isinstance(source, Source):
        source = open_source(source, format=format)
    tokenizer = tokenizer or Tokenizer()
    workers = available_cores() if workers is None else workers
    out = Path(out)
    pass1 = {
        "source": source.describe(),
        "tokenizer": tokenizer.settings(),
        "shard_tokens": shard_tokens,
        "max_docs": max_docs,
    }
    settings = {**pass1, "vocab_size": vocab_size, "min_count": min_count, "oov": oov}
    fresh = not out.exists()
    lock = lock_corpus_dir(out)  # one build at a time, and none while a count or a training reads it
    try:
        existing = _prepare(out, settings, pass1, overwrite)
        if existing is not None:
            return existing
        try:  # reading back the committed shards takes minutes on a large build: an interrupt keeps them
            state = _RawState.resume(out / BUILD_DIR, writer_threads(workers))
        except KeyboardInterrupt as exc:
            note_kept(exc, _kept_committed(out))
            raise
        with Helpers(workers, tokenizer, source) as helpers:
            try:
                if not state.complete:
                    _tokenize_pass(
                        source, state, helpers, batch_chars, shard_tokens, progress, max_docs, _stop_after_shards
                    )
                    if _stop_after_shards is not None and not state.complete:
                        raise KeyboardInterrupt("stopped on request (test hook)")
            except KeyboardInterrupt as exc:
                note_kept(exc, _kept(out, state))
                raise
            except Exception:
                # Bad input found before anything was committed: leave no half-made directory behind.
                # (After an interruption, or once shards exist, the partial build stays for resuming.)
                if fresh and not state.shards:
                    shutil.rmtree(out, ignore_errors=True)
                raise
            try:
                return _finalize(out, state, source, settings, vocab_size, min_count, oov, progress, helpers)
            except KeyboardInterrupt as exc:
                note_kept(exc, _kept(out, state))
                raise
    finally:
        lock.release()


def _kept_committed(out: Path) -> str:
    """What a build interrupted while it reads back its committed shards leaves, for the interrupt message."""
    n = len(list((out / BUILD_DIR).glob("raw-*.json")))
    if not n:
        return "nothing is kept yet; a rerun starts over."
    return f"{n} tokenised shard(s) are kept in {str(out / BUILD_DIR)!r}; run the same command again to resume."


def _kept(out: Path, state: _RawState) -> str:
    """What an interrupted build leaves, for the interrupt message."""
    if not state.shards:
        return "nothing is kept yet; a rerun starts over."
    return (
        f"{len(state.shards)} tokenised shard(s) ({state.consumed:,} source items) are kept in "
        f"{str(out / BUILD_DIR)!r}; run the same command again to resume."
    )


def _prepare(out: Path, settings: dict[str, Any], pass1: dict[str, Any], overwrite: bool) -> TokenCorpus | None:
    build = out / BUILD_DIR
    if build.exists() and not (out / MANIFEST).exists():
        previous = load_json(build / "settings.json", "build settings") if (build / "settings.json").exists() else None
        if previous == _roundtrip(pass1) and not overwrite:
            return None  # resume
        if not overwrite and previous is not None:
            raise OutputExistsError(f"{str(out)!r} holds an unfinished build of a different corpus; pass --overwrite.")
        clear_directory(out)
    existing = prepare_output(out, settings, overwrite)
    if existing is None:
        build.mkdir(parents=True, exist_ok=True)
        atomic_write_json(build / "settings.json", pass1)
    return existing


def _roundtrip(obj: Any) -> Any:
    import json

    return json.loads(json.dumps(obj))


def writer_threads(workers: int) -> int:
    """Threads writing raw shards for a build with ``workers`` workers: one per four workers.

    A writer gathers a shard's provisional ids, counts them, then writes and syncs its files: about
    13-19 ns per token on the 2-core VM (100M tokens), the slowest stage of the pipeline once 16
    workers tokenise. The gathers and counts take turns (one lock); the writes and syncs overlap.
    """
    return 1 + (max(workers, 1) - 1) // 4


class _RawState:
    """Committed raw shards of an unfinished build, and the word types seen so far.

    A shard's files are written (and synced) by writer threads while the main process goes on
    routing batches. The shard's JSON, its commit point, is written last, by the same writer once
    the data is on disk and the previous shard has committed: commits stay in shard order, and
    their syncs stay off the main process (4 ms a shard on the 2-core VM, as much as the rest of
    its routing with shards of 1M tokens). At most ``writers + 1`` shards are being written at a time.
    """

    def __init__(self, path: Path, writers: int = 1):
        self.path = path
        self.writers = writers
        self._counting = threading.Lock()  # writers take turns growing and adding to ``counts``
        self.shards: list[dict[str, Any]] = []  # committed (their JSON written)
        self.queued = 0  # shards handed over: committed, or their data being written
        self._writing: deque[tuple[Future, dict[str, Any]]] = deque()
        self._writer: ThreadPoolExecutor | None = None
        self.types = TypeTable()  # every word type seen so far, by provisional id
        self.shard_types = 0  # types seen before the shard being filled
        self.counts = np.zeros(0, dtype=np.int64)  # occurrences of each type (in the shards, once committed)
        self.consumed = 0
        self.resume_point: dict[str, Any] | None = None  # the source's own resume token, if it has one
        self.complete = False

    @classmethod
    def resume(cls, path: Path, writers: int = 1) -> _RawState:
        """The committed shards in ``path``, each checked as it is read (one read of its files).

        A shard whose files do not match the checksums in its JSON (or, for a shard written before
        checksums, whose sizes do not match it) is discarded with every shard after it: the build
        tokenises the source again from the end of the last good shard."""
        state = cls(path, writers)
        k = 0
        while (path / f"raw-{k:05d}.json").exists():
            try:
                meta, types, counts = state._read_committed(k)
            except DamagedShard as exc:
                state._discard_from(k, str(exc))
                break
            state.types.intern_lines(types)
            state.shard_types = state.types.n_types
            state.counts_for_all_types(max(state.types.n_types, counts.size))[: counts.size] += counts
            state.shards.append(meta)
            state.consumed = meta["consumed"]
            state.resume_point = meta.get("resume")
            k += 1
            fault_point("build.resume")
        for stale in path.glob("raw-*"):  # files of a shard that never committed (or was discarded)
            if int(stale.name[4:9]) >= k:
                stale.unlink()
        state.complete = (path / "complete.json").exists()
        state.queued = k
        return state

    def _read_committed(self, k: int) -> tuple[dict[str, Any], bytes, np.ndarray]:
        """Committed shard ``k``: its metadata, the types it introduced and the counts of its tokens
        (by provisional id), after checking its files against the checksums in its metadata.

        Raises
        ------
        DamagedShard
            A file is missing, does not match its checksum, or does not fit the metadata.
        """
        stem = self.path / f"raw-{k:05d}"
        try:
            meta = load_json(stem.with_suffix(".json"), "raw shard metadata")
        except CorruptFileError as exc:
            raise DamagedShard(str(exc)) from None
        if not isinstance(meta, dict) or not isinstance(meta.get("checksums") or {}, dict):
            raise DamagedShard(f"{stem.name}.json is not a shard's commit record")
        sums = meta.get("checksums") or {}  # none: a shard written before checksums, accepted as before
        types = read_checked(stem.with_suffix(".types"), sums.get("types"))
        tokens = npy_of(stem.with_suffix(".npy"), read_checked(stem.with_suffix(".npy"), sums.get("tokens")), "<i4")
        docs = self.path / f"raw-{k:05d}.docs.npy"
        offsets = npy_of(docs, read_checked(docs, sums.get("docs")), "<i8")
        stated = meta.get("n_tokens", tokens.size), meta.get("n_docs", offsets.size - 1)  # absent: not checked
        if stated != (tokens.size, offsets.size - 1):
            raise DamagedShard(
                f"it holds {tokens.size} tokens in {offsets.size - 1} documents, its metadata says "
                f"{stated[0]} in {stated[1]}"
            )
        if offsets.size and (offsets[0] != 0 or offsets[-1] != tokens.size):
            raise DamagedShard("its document offsets do not span its tokens")
        # Its tokens may use the types seen before it and those it introduced, no other.
        known = self.types.n_types + types.count(b"\n")
        try:
            counts = np.bincount(tokens, minlength=known)
        except ValueError:  # a negative id
            counts = None
        if counts is None or counts.size > known:
            raise DamagedShard("it holds token ids of no word type")
        return meta, types, counts

    def _discard_from(self, k: int, why: str) -> None:
        """Uncommit shard ``k`` and every later one (their files are removed by the caller)."""
        later = k + 1
        while (self.path / f"raw-{later:05d}.json").exists():
            later += 1
        log.warning(
            "raw shard %d of the unfinished build in %r is damaged (%s): it and the %d shard(s) after it "
            "are discarded, and the source is tokenised again from there.",
            k,
            str(self.path),
            why,
            later - k - 1,
        )
        # The tokenising pass is no longer complete; then shard k's commit point goes (a later resume
        # stops before it even if removing the rest is interrupted).
        (self.path / "complete.json").unlink(missing_ok=True)
        (self.path / f"raw-{k:05d}.json").unlink()

    def counts_for_all_types(self, n_types: int | None = None) -> np.ndarray:
        """The counts array, grown (geometrically) to cover every type seen so far (or ``n_types``).

        While tokenising, only the writer threads touch it, under ``_counting`` (they count each
        shard as they gather its ids); the main process reads it once every shard is committed."""
        n_types = self.types.n_types if n_types is None else n_types
        if self.counts.size < n_types:
            grown = np.zeros(max(n_types, 2 * self.counts.size), dtype=np.int64)
            grown[: self.counts.size] = self.counts
            self.counts = grown
        return self.counts

    def commit(
        self,
        pieces: list[tuple[np.ndarray, np.ndarray]],
        offsets: np.ndarray,
        consumed: int,
        resume: dict[str, Any] | None = None,
    ) -> None:
        """Hand the next shard to the writer; commit every shard whose data is on disk by then.

        The shard's tokens come as ``(lut, local ids)`` pieces in a worker's own numbering: the
        writer thread gathers the provisional ids ``lut[local]`` and counts them (a lut only ever
        grows, and its entries below the size it had at hand-over do not change)."""
        k = self.queued
        # The types this shard introduced (ids shard_types onwards), each on its own line.
        types = self.types.lines(self.shard_types, self.types.n_types)
        self.shard_types = self.types.n_types
        n_tokens = sum(local.size for _, local in pieces)
        meta = {"consumed": consumed, "n_tokens": n_tokens, "n_docs": int(offsets.size - 1), "resume": resume}
        if self._writer is None:
            self._writer = ThreadPoolExecutor(self.writers, thread_name_prefix="cooc-shard-writer")
        previous = self._writing[-1][0] if self._writing else None  # None: committed already
        write = self._writer.submit(
            self._write_shard, k, previous, meta, pieces, n_tokens, self.types.n_types, offsets, types
        )
        self._writing.append((write, meta))
        self.queued += 1
        while self._writing and (len(self._writing) > self.writers + 1 or self._writing[0][0].done()):
            self._commit_oldest()

    def _write_shard(
        self,
        k: int,
        previous: Future | None,
        meta: dict[str, Any],
        pieces: list,
        n_tokens: int,
        n_types: int,
        offsets: np.ndarray,
        types: bytes,
    ) -> None:
        tokens = np.empty(n_tokens, dtype=np.int32)
        with self._counting:
            counts = self.counts_for_all_types(n_types)
            start = 0
            for lut, local in pieces:
                gather(lut, local, counts, out=tokens[start : start + local.size])
                start += local.size
        stem = self.path / f"raw-{k:05d}"
        atomic_save_npy(stem.with_suffix(".npy"), tokens)
        atomic_save_npy(self.path / f"raw-{k:05d}.docs.npy", offsets)
        atomic_write_bytes(stem.with_suffix(".types"), types)
        # Checked when a build resumes from this shard. Hashed from memory, not read back from disk.
        meta["checksums"] = {
            "tokens": npy_checksum(tokens),
            "docs": npy_checksum(offsets),
            "types": bytes_sha256(types),
        }
        if previous is not None:
            # Started before this one (the pool starts shards in order), so it cannot be cancelled
            # now; if it failed, this shard does not commit either (the error is raised again).
            previous.result()
        atomic_write_json(stem.with_suffix(".json"), meta)  # the commit point (the writer counted the shard)

    def _commit_oldest(self) -> None:
        future, meta = self._writing.popleft()
        future.result()  # committed (or its write failed: raised here)
        self.shards.append(meta)
        self.consumed = meta["consumed"]
        self.resume_point = meta["resume"]
        fault_point("build.shard")

    def flush(self) -> None:
        """Commit every shard handed over."""
        while self._writing:
            self._commit_oldest()

    def settle(self) -> None:
        """After an interruption or an error: cancel the shards no writer has started, let the writes
        in progress end (each commits if its data is complete and the shard before it committed;
        the files of any other are removed when the build resumes), and stop the writer threads."""
        if self._writer is not None:
            self._writer.shutdown(wait=True, cancel_futures=True)
            self._writer = None
        self._writing.clear()

    def load(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        tokens = load_npy(self.path / f"raw-{k:05d}.npy", mmap=True, what="raw shard")
        offsets = load_npy(self.path / f"raw-{k:05d}.docs.npy", what="raw shard offsets")
        return tokens, offsets

    def mark_complete(self, docs_read: int) -> None:
        self.flush()
        atomic_write_json(self.path / "complete.json", {"consumed": docs_read})
        self.complete = True


# -- pass 1: tokenise ---------------------------------------------------------------------
class _WorkerIds:
    """Maps one worker's type numbering to the build's provisional ids (a growing lookup array)."""

    def __init__(self) -> None:
        self.lut = np.empty(1 << 12, dtype=np.int32)
        self.size = 0

    def extend(self, gids: np.ndarray) -> None:
        need = self.size + gids.size
        if need > self.lut.size:
            grown = np.empty(max(2 * self.lut.size, need), dtype=np.int32)
            grown[: self.size] = self.lut[: self.size]
            self.lut = grown
        self.lut[self.size : need] = gids
        self.size = need


def _tokenize_pass(
    source: Source,
    state: _RawState,
    helpers: Helpers,
    batch_chars: int,
    shard_tokens: int,
    progress: bool,
    max_docs: int | None,
    stop_after: int | None,
) -> None:
    buf_tokens: list[tuple[np.ndarray, np.ndarray]] = []  # (a worker's lut, its local ids)
    buf_lengths: list[np.ndarray] = []
    buffered = 0
    consumed = state.consumed
    mapping: dict[int, _WorkerIds] = {}
    bad_lines: dict[str | None, int] = {}
    letters = [0, 0]  # words with non-ASCII letters transliterated, dropped
    bar = ProgressBar("tokenising", unit="docs", enabled=progress, rates=("docs", "tokens"))

    last_point = state.resume_point  # the source's resume token at or before ``consumed``

    def commit(point: dict[str, Any] | None) -> None:
        nonlocal buf_tokens, buf_lengths, buffered
        lengths = np.concatenate(buf_lengths) if buf_lengths else np.zeros(0, np.int64)
        if point is None or point["items"] > consumed:
            point = last_point
        state.commit(buf_tokens, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), consumed, point)
        buf_tokens, buf_lengths, buffered = [], [], 0

    try:
        for n_items, (label, point), (worker, (blob, type_lengths), local, lengths, bad, (spelled, gone)) in encoded(
            source, helpers, batch_chars, consumed, max_docs, state.resume_point
        ):
            if bad:
                bad_lines[label] = bad_lines.get(label, 0) + bad
            letters[0] += spelled
            letters[1] += gone
            worker_ids = mapping.setdefault(worker, _WorkerIds())
            worker_ids.extend(state.types.intern(blob, type_lengths))
            lut = worker_ids.lut
            kept = lengths[lengths >= 0]
            sizes = np.maximum(lengths, 0)
            # A shard ends right after the item that fills it, so boundaries do not depend on
            # batching; the cut is found with a cumulative sum, not a Python loop per document.
            pos, start = 0, 0
            while start < lengths.size:
                cum = np.cumsum(sizes[start:])
                full = int(np.searchsorted(cum, shard_tokens - buffered, side="left"))
                stop = lengths.size if full >= cum.size else start + full + 1
                n_tok = int(cum[stop - start - 1])
                part = lengths[start:stop]
                buf_tokens.append((lut, local[pos : pos + n_tok]))
                buf_lengths.append(part[part >= 0])
                buffered += n_tok
                pos += n_tok
                consumed += stop - start
                start = stop
                if buffered >= shard_tokens:
                    commit(point)
                    if stop_after is not None and state.queued >= stop_after:
                        state.flush()
                        return
            last_point = point or last_point
            bar.update(n_items, docs=int(kept.size), tokens=int(kept.sum()))
        if buffered or not state.queued:
            commit(last_point)
        state.mark_complete(consumed)
    finally:
        state.settle()
        bar.close()
        _log_main_process(helpers.stats)
        for label, n in bad_lines.items():
            log.warning("%r: undecodable bytes on %d lines were replaced by U+FFFD.", label, n)
        if letters[0] or letters[1]:
            log.warning(
                "words with letters outside ASCII: %d spelled in ASCII, %d dropped (--non-ascii %s).",
                letters[0],
                letters[1],
                helpers.init[0].get("non_ascii", "transliterate"),
            )


def _log_main_process(stats: dict[str, float]) -> None:
    """One debug line: where the main process's time went (routing bounds the rate at any worker count)."""
    if stats.get("tokens"):
        log.debug(
            "tokenising pass: %d tokens in %d batches (%d tokenised by the main process in %.2f s); the main "
            "process waited %.2f s for helpers and routed for %.2f s (%.1f ns per token, a ceiling of %.0fM "
            "tokens/s)",
            stats["tokens"],
            stats["batches"],
            stats["local_batches"],
            stats["tokenising_s"],
            stats["waiting_s"],
            stats["routing_s"],
            1e9 * stats["routing_s"] / stats["tokens"],
            stats["tokens"] / max(stats["routing_s"], 1e-9) / 1e6,
        )


# -- pass 2: choose the vocabulary and remap ----------------------------------------------
def _finalize(
    out: Path,
    state: _RawState,
    source: Source,
    settings: dict[str, Any],
    vocab_size: int | None,
    min_count: int,
    oov: str,
    progress: bool,
    helpers: Helpers,
) -> TokenCorpus:
    n_types = state.types.n_types
    counts = state.counts_for_all_types()[:n_types].copy()
    if counts.sum() == 0:
        shutil.rmtree(out)
        raise InputDataError(
            f"the source yielded no tokens (no document had at least "
            f"{settings['tokenizer']['min_doc_tokens']} tokens); nothing was written."
        )
    chosen = chosen_types(state.types, counts, vocab_size, min_count, threads=helpers.workers)
    if chosen.size == 0:  # every token would be out of the vocabulary: counts, embeddings, all empty
        raise InputDataError(
            f"no word occurs at least min_count = {min_count} times (the most frequent occurs {int(counts.max())} "
            f"times in {int(counts.sum()):,} tokens): the vocabulary would be empty; lower min_count (--min-count)."
        )
    if vocab_size is not None and chosen.size < vocab_size:
        log.warning(
            "asked for %d words but the corpus has only %d (with min_count=%d); using %d.",
            vocab_size,
            chosen.size,
            min_count,
            chosen.size,
        )
    oov_id = chosen.size
    remap = np.full(max(n_types, 1), oov_id, dtype=np.int32)
    remap[chosen] = np.arange(chosen.size, dtype=np.int32)
    bar = ProgressBar("remapping shards", total=len(state.shards), unit="shards", enabled=progress)
    atomic_save_npy(state.path / "remap.npy", remap)  # helpers forked before it existed read it from here
    # A remap interrupted before may have left shards and temporary files: every shard is written again.
    shutil.rmtree(out / "shards", ignore_errors=True)
    for stale in out.glob(".*.tmp"):
        stale.unlink()
    shards = []
    vocabs: list[Vocabulary] = []

    def write_vocabulary() -> None:  # while the helpers remap shards
        vocabs.append(vocabulary_of(state.types, chosen, counts))
        tsv = state.types.tsv(chosen, counts[chosen])  # as Vocabulary.save writes it, without a string per word
        if tsv.count(b"\t") != chosen.size or tsv.count(b"\n") != chosen.size:
            vocabs[0].save(out / VOCAB_FILE)  # a word with a tab or newline: its refusal
        write_vocabulary_files(out / VOCAB_FILE, tsv, chosen.size, vocabs[0].total)

    args = (str(out), str(state.path), oov_id, oov == "drop")
    for meta in remap_shards(helpers, args, len(state.shards), write_vocabulary):
        shards.append(meta)
        fault_point("build.remap")
        bar.update(1)
    bar.close()
    vocab = vocabs[0]
    oov_tokens = int(counts.sum() - vocab.counts.sum())
    manifest = make_manifest(
        source.describe(),
        settings,
        vocab,
        shards,
        oov=oov,
        oov_id=oov_id if oov == "keep" else None,
        tokenizer=settings["tokenizer"],
        oov_tokens=oov_tokens,
        n_types=int(np.count_nonzero(counts)),
        min_count=min_count,
        vocab_size_requested=vocab_size,
        source_items=state.consumed,
        files=vocab_checksums(out),
    )
    fault_point("corpus.manifest")
    atomic_write_json(out / MANIFEST, manifest)
    fault_point("build.cleanup")
    # One rename takes the work folder out of the corpus; a kill while deleting it leaves only
    # ``.build-done``, which the next build into this directory removes.
    done = out / ".build-done"
    shutil.rmtree(done, ignore_errors=True)
    os.replace(out / BUILD_DIR, done)
    shutil.rmtree(done, ignore_errors=True)
    # The corpus as TokenCorpus.open would give it, without reading back the vocabulary just written
    # (a second or so per million types).
    corpus = TokenCorpus(
        out, json.loads(json.dumps(manifest)), vocab, identity=bytes_checksum((out / MANIFEST).read_bytes())
    )
    corpus._check_structure()
    corpus.stamp_written()
    return corpus


__all__ = ["build_corpus"]
