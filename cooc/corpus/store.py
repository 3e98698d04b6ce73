"""TokenCorpus: a directory of int32 token shards, document offsets, a Vocabulary and a manifest.

Layout of a corpus directory::

    manifest.json                 written last: its presence marks a complete corpus; it names the
                                  checksum of every other file
    vocab.tsv, vocab.tsv.json     the Vocabulary (ids are frequency ranks)
    shards/tokens-00000.npy       int32 token ids of whole documents
    shards/docs-00000.npy         int64 document offsets into that shard, shape (n_docs + 1,)
    extras/<name>.npy             optional arrays stored alongside (e.g. a grammar's latent trees)

Out-of-vocabulary tokens are either kept as the reserved id ``len(vocab)`` (``oov="keep"``,
the default, so counters can drop them before windowing or treat them as gaps) or removed
at build time (``oov="drop"``; ``oov_id`` is then ``None``).

Nothing is read unchecked: :meth:`TokenCorpus.open` verifies every file against the manifest
(``verify=False`` skips the shards' checksums, for a quick look), every shard read checks that
the file is still the one opened (a corpus rewritten meanwhile is an error, not a mix) and that
its document offsets are sound, and an unverified shard also has its ids checked against the
vocabulary. A corpus being written by a build is refused (see :mod:`cooc._core.locks`). The
checksum of ``manifest.json`` is the corpus's *identity*, recorded in the counts and embeddings
made from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import CorruptFileError, InputDataError, InvalidParameterError, OutputExistsError
from .._core.faults import fault_point
from .._core.io import (
    atomic_save_npy,
    atomic_write_json,
    bytes_checksum,
    check_metadata,
    file_checksum,
    file_stamp,
    jsonable,
    load_json,
    meta_checksum,
    provenance,
    read_unchanged,
    stream_checksum,
)
from .._core.kinds import CORPUS_FORMAT, CORPUS_MANIFEST, expect_kind
from .._core.locks import Lock, check_not_written, clear_directory, lock_directory, reading
from .._core.params import settings_changes
from .._core.threads import available_cores
from .vocab import Vocabulary

FORMAT = CORPUS_FORMAT
MANIFEST = CORPUS_MANIFEST
VOCAB_FILE = "vocab.tsv"
VERIFY_THREADS = 8  # threads hashing a corpus's files at open by default (reads from one disk gain little beyond)
OOV_POLICIES = ("keep", "drop")


class TokenCorpus:
    """A tokenised corpus on disk. Open with :meth:`open`; build with :func:`cooc.build_corpus`.

    Attributes
    ----------
    path : Path
    manifest : dict
    vocab : Vocabulary
    n_tokens, n_docs : int
    oov_id : int or None
        Id of out-of-vocabulary tokens (``len(vocab)``), or ``None`` when they were dropped.
    identity : str or None
        Checksum of ``manifest.json``: names this very corpus (its data, vocabulary and settings).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], vocab: Vocabulary, identity: str | None = None):
        self.path = Path(path)
        self.manifest = manifest
        self.vocab = vocab
        self.identity = identity
        self._stamps: dict[str, tuple[int, int, int]] = {}
        self._verified: set[str] = set()

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, verify: bool = True, threads: int | None = None) -> TokenCorpus:
        """Open a corpus directory, validating the manifest and the vocabulary's checksums and (with
        ``verify``) every shard's, on ``threads`` threads (:meth:`verify`).

        Raises
        ------
        CorruptFileError
            Not a complete corpus, or a file does not match the manifest.
        OutputBusyError
            A build is writing the directory right now.
        """
        path = Path(path)
        expect_kind(path, "corpus")
        if not path.is_dir():
            raise CorruptFileError(f"{str(path)!r} is not a corpus directory (it does not exist or is a file).")
        check_not_written(path, "corpus")
        if not (path / MANIFEST).exists():
            hint = " (an unfinished build: run the build again to resume it)" if (path / ".build").exists() else ""
            raise CorruptFileError(f"{str(path)!r} has no {MANIFEST}; it is not a complete cooc corpus{hint}.")
        raw = (path / MANIFEST).read_bytes()
        try:
            manifest = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptFileError(f"corpus manifest {str(path / MANIFEST)!r} is not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CorruptFileError(f"{str(path / MANIFEST)!r} is not a cooc corpus manifest.")
        check_metadata(manifest, path / MANIFEST, "corpus")  # manifests written before this checksum pass
        for rel, expected in (manifest.get("files") or {}).items():  # the vocabulary: small, always checked
            full = path / rel
            if not full.exists() or file_checksum(full, like=expected) != expected:
                raise CorruptFileError(
                    f"corpus file {str(full)!r} is missing or does not match its checksum in the manifest "
                    f"(edited or replaced?)."
                )
        vocab = Vocabulary.load(path / VOCAB_FILE)
        corpus = cls(path, manifest, vocab, identity=bytes_checksum(raw))
        corpus._check_structure()
        if verify:
            corpus.verify(threads=threads)
        else:
            corpus._stamp_all()
        return corpus

    def _check_structure(self) -> None:
        m = self.manifest
        try:
            shards = m["shards"]
            if sum(s["n_tokens"] for s in shards) != m["n_tokens"] or sum(s["n_docs"] for s in shards) != m["n_docs"]:
                raise CorruptFileError(f"{str(self.path)!r}: shard sizes do not add up to the manifest's totals.")
        except (KeyError, TypeError):
            raise CorruptFileError(f"{str(self.path / MANIFEST)!r} lacks required fields.") from None
        if m.get("vocab_size") != len(self.vocab):
            raise CorruptFileError(
                f"{str(self.path)!r}: manifest says {m.get('vocab_size')} words, vocab.tsv has {len(self.vocab)}."
            )

    def _entries(self, indices: list[int] | None = None) -> list[tuple[str, str]]:
        shards = self.manifest["shards"]
        chosen = [shards[i] for i in indices] if indices is not None else shards
        entries = [(s["tokens"], s["tokens_checksum"]) for s in chosen]
        entries += [(s["docs"], s["docs_checksum"]) for s in chosen]
        if indices is None:
            entries += [(e["file"], e["checksum"]) for e in self.manifest.get("extras", {}).values()]
        return entries

    def verify(self, shards: list[int] | None = None, threads: int | None = None) -> None:
        """Recompute the checksums of every shard (or of ``shards``) and extra array; raise
        :class:`CorruptFileError` on a mismatch (the first bad file in the manifest's order).
        Files checked are remembered: reading one that was replaced afterwards is refused.

        Files are hashed on ``threads`` threads at once (default: the cores available, at most
        :data:`VERIFY_THREADS`; hashlib and file reads release the GIL). One thread hashes
        SHA-256 at about 1.9 GB/s on the dev VM, so a verified open of English Wikipedia's 18 GB
        of shards would take about 10 s on one.
        """
        if threads is not None and (isinstance(threads, bool) or int(threads) < 1):
            raise InvalidParameterError(f"parameter 'threads' must be a positive integer or None, got {threads!r}.")
        entries = self._entries(shards)
        n = min(VERIFY_THREADS, available_cores()) if threads is None else int(threads)
        n = max(1, min(n, len(entries)))
        if n == 1:
            stamps = [self._checked_stamp(rel, expected) for rel, expected in entries]
        else:
            with ThreadPoolExecutor(n, thread_name_prefix="cooc-verify") as pool:
                stamps = list(pool.map(lambda entry: self._checked_stamp(*entry), entries))
        for (rel, _), stamp in zip(entries, stamps):
            self._stamps[rel] = stamp
            self._verified.add(rel)

    def _checked_stamp(self, rel: str, expected: str) -> tuple[int, int, int]:
        """The stamp of file ``rel`` after checking it against its checksum ``expected``."""
        full = self.path / rel
        try:
            fh = open(full, "rb")
        except FileNotFoundError:
            raise CorruptFileError(f"corpus file {str(full)!r} is missing.") from None
        with fh:
            if stream_checksum(fh, like=expected) != expected:
                raise CorruptFileError(f"corpus file {str(full)!r} does not match its checksum (truncated or edited).")
            st = os.fstat(fh.fileno())
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _stamp_all(self) -> None:
        """Remember which files the manifest's shards are, without reading them."""
        for rel, _ in self._entries():
            try:
                self._stamps[rel] = file_stamp(self.path / rel)
            except FileNotFoundError:
                raise CorruptFileError(f"corpus file {str(self.path / rel)!r} is missing.") from None

    def stamp_written(self) -> None:
        """For a writer returning the corpus it just wrote: remember its files as checked."""
        self._stamp_all()
        self._verified.update(rel for rel, _ in self._entries())

    @contextlib.contextmanager
    def reading(self) -> Iterator[TokenCorpus]:
        """Hold a shared lock on the directory while reading it: a build cannot replace it meanwhile."""
        with reading(self.path, "corpus"):
            yield self

    # -- properties -----------------------------------------------------------------------
    @property
    def n_tokens(self) -> int:
        return int(self.manifest["n_tokens"])

    @property
    def n_docs(self) -> int:
        return int(self.manifest["n_docs"])

    @property
    def n_shards(self) -> int:
        return len(self.manifest["shards"])

    @property
    def oov_id(self) -> int | None:
        return self.manifest.get("oov_id")

    def __len__(self) -> int:
        return self.n_docs

    def __repr__(self) -> str:
        return (
            f"TokenCorpus({str(self.path)!r}, docs={self.n_docs}, tokens={self.n_tokens}, "
            f"vocab={len(self.vocab)}, shards={self.n_shards})"
        )

    # -- reading --------------------------------------------------------------------------
    def shard(self, index: int, mmap: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Tokens (int32, shape (n,)) and document offsets (int64, shape (d + 1,)) of one shard.

        Raises
        ------
        CorruptFileError
            The file changed since the corpus was opened (a rebuild), has the wrong size, its
            offsets are not those of whole documents, or (when not verified) it holds ids
            outside the vocabulary.
        """
        entry = self.manifest["shards"][index]
        tokens = self._load(entry["tokens"], mmap)
        offsets = self._load(entry["docs"], False)
        n = entry["n_tokens"]
        if tokens.dtype != np.int32 or tokens.shape != (n,) or offsets.shape != (entry["n_docs"] + 1,):
            raise CorruptFileError(f"corpus shard {entry['tokens']!r} has the wrong type or size.")
        if offsets.dtype.kind not in "iu" or (
            offsets.size and (offsets[0] != 0 or offsets[-1] != n or np.any(np.diff(offsets) < 0))
        ):
            raise CorruptFileError(f"corpus shard {entry['docs']!r}: the document offsets are damaged.")
        if entry["tokens"] not in self._verified and tokens.size:
            limit = len(self.vocab) + (1 if self.oov_id is not None else 0)
            lo, hi = int(tokens.min()), int(tokens.max())
            if lo < 0 or hi >= limit:
                raise CorruptFileError(
                    f"corpus shard {str(self.path / entry['tokens'])!r} holds ids outside [0, {limit}) "
                    f"(found {lo}..{hi}): it is damaged."
                )
        return tokens, offsets.astype(np.int64, copy=False)

    def _load(self, rel: str, mmap: bool) -> np.ndarray:
        """One file of the corpus, checked to be the file that was opened (never one written since)."""
        full = self.path / rel
        return read_unchanged(
            full,
            self._stamps.get(rel),
            mmap,
            missing=f"corpus file {str(full)!r} is missing (the corpus changed while in use?).",
            rewritten=f"corpus {str(self.path)!r} was rewritten while it was being read ({rel} changed); "
            f"nothing read from it can be trusted: run this again.",
            unreadable=f"corpus file {str(full)!r} is unreadable or truncated",
        )

    def iter_shards(self, mmap: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(tokens, offsets)`` per shard, memory-mapped by default."""
        for i in range(self.n_shards):
            yield self.shard(i, mmap=mmap)

    def iter_chunks(self, max_tokens: int = 1 << 22) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(tokens, offsets)`` chunks of whole documents with about ``max_tokens`` tokens.

        ``offsets`` starts at 0 and has one more entry than the chunk has documents. A
        document longer than ``max_tokens`` forms a chunk of its own.
        """
        if max_tokens < 1:
            raise InvalidParameterError(f"parameter 'max_tokens' must be >= 1, got {max_tokens!r}.")
        for tokens, offsets in self.iter_shards():
            n_docs = len(offsets) - 1
            start_doc = 0
            while start_doc < n_docs:
                limit = offsets[start_doc] + max_tokens
                end_doc = int(np.searchsorted(offsets, limit, side="right")) - 1
                end_doc = min(max(end_doc, start_doc + 1), n_docs)
                lo, hi = int(offsets[start_doc]), int(offsets[end_doc])
                yield np.asarray(tokens[lo:hi]), (offsets[start_doc : end_doc + 1] - lo).astype(np.int64)
                start_doc = end_doc

    def documents(self) -> Iterator[np.ndarray]:
        """Yield each document's token ids."""
        for tokens, offsets in self.iter_shards():
            for a, b in zip(offsets[:-1], offsets[1:]):
                yield np.asarray(tokens[a:b])

    def token_counts(self) -> np.ndarray:
        """Occurrences of every id in the shards, shape (V,) or (V + 1,) with the OOV id last."""
        size = len(self.vocab) + (1 if self.oov_id is not None else 0)
        counts = np.zeros(size, dtype=np.int64)
        for tokens, _ in self.iter_shards():
            counts += np.bincount(tokens, minlength=size)[:size]
        return counts

    def extra(self, name: str, mmap: bool = True) -> np.ndarray:
        """An array stored alongside the corpus (see :meth:`CorpusWriter.add_extra`)."""
        extras = self.manifest.get("extras", {})
        if name not in extras:
            raise KeyError(f"corpus has no extra array {name!r}; it has {sorted(extras)}")
        return self._load(extras[name]["file"], mmap)

    def info(self, top: int = 10) -> dict[str, Any]:
        """A summary for display: counts, vocabulary, source and tokeniser; the ``top`` most frequent words."""
        m = self.manifest
        return {
            "path": str(self.path),
            "documents": self.n_docs,
            "tokens": self.n_tokens,
            "vocab_size": len(self.vocab),
            "oov": m.get("oov"),
            "oov_tokens": m.get("oov_tokens"),
            "shards": self.n_shards,
            "source": m.get("source"),
            "tokenizer": m.get("tokenizer"),
            "cooc_version": m.get("cooc_version"),
            "created": m.get("created"),
            "top_words": list(zip(self.vocab.words[:top], self.vocab.counts[:top].tolist())),
        }


def lock_corpus_dir(out: Path) -> Lock:
    """The write lock of corpus directory ``out`` (made if missing); refuses a file, or a directory
    another process writes or reads."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output {str(out)!r} exists and is not a directory.")
    return lock_directory(out, exclusive=True, what="corpus")


def remove_leftovers(out: Path) -> None:
    """Remove what a killed build may leave in a finished corpus: its work folder and temporary files.

    Only while holding the directory's write lock.
    """
    for name in (".build", ".build-done"):
        shutil.rmtree(out / name, ignore_errors=True)
    for stale in list(out.glob(".*.tmp")) + list(out.glob("*/.*.tmp")):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def prepare_output(out: Path, settings: dict[str, Any], overwrite: bool) -> TokenCorpus | None:
    """Make ``out`` (made if missing) ready for a build with ``settings``.

    Returns the existing corpus when ``out`` already holds one built with the same
    settings; refuses a different one unless ``overwrite``. A directory being replaced is
    emptied, not deleted: its inode carries the lock. The directory's write lock is held
    meanwhile (callers that hold it already, as builds do, keep it).
    """
    with lock_corpus_dir(out):
        if (out / MANIFEST).exists():
            try:
                existing = load_json(out / MANIFEST, "corpus manifest").get("settings")
            except (CorruptFileError, AttributeError):
                existing = None
            if existing == jsonable(settings) and not overwrite:
                remove_leftovers(out)
                return TokenCorpus.open(out)
            if not overwrite:
                differs = settings_changes(existing, jsonable(settings)) if isinstance(existing, dict) else ""
                raise OutputExistsError(
                    f"{str(out)!r} already holds a different corpus{f' ({differs})' if differs else ''}; "
                    "pass --overwrite to replace it."
                )
            clear_directory(out)
        elif any(out.iterdir()) and not (out / ".build").exists():
            if not overwrite:
                raise OutputExistsError(
                    f"{str(out)!r} is not empty and holds no cooc corpus; pass --overwrite to replace it."
                )
            clear_directory(out)
        return None


def vocab_checksums(out: Path) -> dict[str, str]:
    """Checksums of the vocabulary's two files, for the manifest."""
    return {name: file_checksum(out / name) for name in (VOCAB_FILE, VOCAB_FILE + ".json")}


class CorpusWriter:
    """Write a corpus whose tokens are already ids (synthetic grammars, re-encoded corpora).

    Documents are appended with :meth:`add_documents`; shards are flushed atomically at
    document boundaries once they hold ``shard_tokens`` tokens; :meth:`close` writes the
    vocabulary and, last, the manifest.

    Parameters
    ----------
    out : path
    vocab : Vocabulary
        Ids must be ``< len(vocab)`` (or equal to it when ``oov_id`` is used).
    source : dict
        Description of where the tokens came from (stored in the manifest).
    settings : dict
        Parameters that define the corpus; an identical rebuild reuses the directory.
    """

    def __init__(
        self,
        out: str | os.PathLike,
        vocab: Vocabulary,
        source: dict[str, Any],
        settings: dict[str, Any] | None = None,
        shard_tokens: int = 1 << 24,
        overwrite: bool = False,
        oov_id: int | None = None,
        extra_manifest: dict[str, Any] | None = None,
    ):
        self.out = Path(out)
        self.vocab = vocab
        self.source = source
        self.settings = dict(settings or {"source": source})
        self.shard_tokens = int(shard_tokens)
        self.oov_id = oov_id
        self.extra_manifest = dict(extra_manifest or {})
        self._lock: Lock | None = lock_corpus_dir(self.out)
        try:
            self.existing = prepare_output(self.out, self.settings, overwrite)
        except BaseException:
            self.release()
            raise
        self._tokens: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._buffered = 0
        self._shards: list[dict[str, Any]] = []
        self._extras: dict[str, dict[str, str]] = {}
        self._closed = False

    def add_documents(self, tokens: np.ndarray, offsets: np.ndarray) -> None:
        """Append documents given as concatenated ids and offsets (shape (d + 1,), starting at 0)."""
        tokens, offsets = np.asarray(tokens), np.asarray(offsets)
        for name, array in (("token ids", tokens), ("offsets", offsets)):
            if array.size and array.dtype.kind not in "iu":
                raise InvalidParameterError(f"{name} must be integers, got dtype {array.dtype}.")
        offsets = offsets.astype(np.int64, copy=False)
        if tokens.ndim != 1:
            raise InvalidParameterError(f"token ids must be one array of shape (n,), got shape {tokens.shape}.")
        if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != tokens.size:
            raise InvalidParameterError("offsets must start at 0 and end at len(tokens).")
        if (np.diff(offsets) < 0).any():
            raise InvalidParameterError("offsets must not decrease (document i is tokens[offsets[i]:offsets[i + 1]]).")
        limit = len(self.vocab) + (1 if self.oov_id is not None else 0)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= limit):
            raise InvalidParameterError(f"token ids must lie in [0, {limit}); got [{tokens.min()}, {tokens.max()}].")
        lengths = np.diff(offsets)
        start = 0
        # Split at document boundaries so shards end where a document ends.
        while start < lengths.size:
            room = self.shard_tokens - self._buffered
            cum = np.cumsum(lengths[start:])
            take = int(np.searchsorted(cum, room, side="left")) + 1
            take = min(take, lengths.size - start)
            lo, hi = int(offsets[start]), int(offsets[start + take])
            self._tokens.append(tokens[lo:hi].astype(np.int32, copy=False))
            self._lengths.append(lengths[start : start + take])
            self._buffered += hi - lo
            start += take
            if self._buffered >= self.shard_tokens:
                self._flush()

    def add_document(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids)
        self.add_documents(ids, np.array([0, ids.size]))

    def add_extra(self, name: str, array: np.ndarray) -> None:
        """Store an array alongside the corpus, read back with :meth:`TokenCorpus.extra`."""
        rel = f"extras/{name}.npy"
        atomic_save_npy(self.out / rel, array)
        self._extras[name] = {"file": rel, "checksum": file_checksum(self.out / rel)}

    def _flush(self) -> None:
        if not self._lengths:
            return
        tokens = np.concatenate(self._tokens).astype(np.int32, copy=False)
        offsets = np.concatenate([[0], np.cumsum(np.concatenate(self._lengths))]).astype(np.int64)
        self._shards.append(write_shard(self.out, len(self._shards), tokens, offsets))
        self._tokens, self._lengths, self._buffered = [], [], 0

    def close(self) -> TokenCorpus:
        """Flush, write the vocabulary and the manifest; return the opened corpus."""
        try:
            if self.existing is not None:
                return self.existing
            if not self._closed:
                self._flush()
                n_docs = sum(s["n_docs"] for s in self._shards)
                if n_docs == 0:
                    raise InputDataError("no documents were written; the corpus would be empty.")
                self.vocab.save(self.out / VOCAB_FILE)
                manifest = make_manifest(
                    self.source,
                    self.settings,
                    self.vocab,
                    self._shards,
                    oov="keep" if self.oov_id is not None else "drop",
                    oov_id=self.oov_id,
                    extras=self._extras,
                    files=vocab_checksums(self.out),
                    **self.extra_manifest,
                )
                fault_point("corpus.manifest")
                atomic_write_json(self.out / MANIFEST, manifest)
                self._closed = True
            return TokenCorpus.open(self.out, verify=False)
        finally:
            self.release()

    def release(self) -> None:
        """Give up the directory's write lock (done by :meth:`close`)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, exc_type, *rest: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.release()


def write_shard(out: Path, index: int, tokens: np.ndarray, offsets: np.ndarray) -> dict[str, Any]:
    """Write one shard's two files atomically and return its manifest entry."""
    tok_rel, doc_rel = f"shards/tokens-{index:05d}.npy", f"shards/docs-{index:05d}.npy"
    atomic_save_npy(out / tok_rel, tokens.astype(np.int32, copy=False))
    atomic_save_npy(out / doc_rel, offsets.astype(np.int64, copy=False))
    return {
        "tokens": tok_rel,
        "docs": doc_rel,
        "n_tokens": int(tokens.size),
        "n_docs": int(offsets.size - 1),
        "tokens_checksum": file_checksum(out / tok_rel),
        "docs_checksum": file_checksum(out / doc_rel),
    }


def make_manifest(
    source: dict[str, Any],
    settings: dict[str, Any],
    vocab: Vocabulary,
    shards: list[dict[str, Any]],
    oov: str,
    oov_id: int | None,
    extras: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """The manifest of a corpus; ``files`` maps the vocabulary's files to their checksums."""
    prov = provenance()
    manifest = {
        "format": FORMAT,
        "cooc_version": prov["cooc_version"],
        "created": prov["created"],
        "source": source,
        "settings": jsonable(settings),
        "n_tokens": sum(s["n_tokens"] for s in shards),
        "n_docs": sum(s["n_docs"] for s in shards),
        "vocab_size": len(vocab),
        "vocab_total": vocab.total,
        "oov": oov,
        "oov_id": oov_id,
        "shards": shards,
        "extras": extras or {},
        "files": files or {},
    }
    manifest.update(jsonable(more))
    # the content's own checksum (not the file's layout), checked by TokenCorpus.open: an edited
    # setting, count or OOV policy is refused like an edited shard
    manifest["checksums"] = {"meta": meta_checksum(manifest)}
    return manifest
