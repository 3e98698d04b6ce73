"""TokenCorpus: a directory of int32 token shards, document offsets, a Vocabulary and a manifest.

Layout of a corpus directory::

    manifest.json                 written last: its presence marks a complete corpus
    vocab.tsv, vocab.tsv.json     the Vocabulary (ids are frequency ranks)
    shards/tokens-00000.npy       int32 token ids of whole documents
    shards/docs-00000.npy         int64 document offsets into that shard, shape (n_docs + 1,)
    extras/<name>.npy             optional arrays stored alongside (e.g. a grammar's latent trees)

Out-of-vocabulary tokens are either kept as the reserved id ``len(vocab)`` (``oov="keep"``,
the default, so counters can drop them before windowing or treat them as gaps) or removed
at build time (``oov="drop"``; ``oov_id`` is then ``None``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import CorruptFileError, InvalidParameterError, OutputExistsError
from .._core.io import atomic_save_npy, atomic_write_json, file_checksum, jsonable, load_json, load_npy, provenance
from .vocab import Vocabulary

FORMAT = "cooc.corpus/1"
MANIFEST = "manifest.json"
VOCAB_FILE = "vocab.tsv"
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
    """

    def __init__(self, path: Path, manifest: dict[str, Any], vocab: Vocabulary):
        self.path = Path(path)
        self.manifest = manifest
        self.vocab = vocab

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, verify: bool = True) -> TokenCorpus:
        """Open a corpus directory, validating the manifest and (with ``verify``) every checksum."""
        path = Path(path)
        if not path.is_dir():
            raise CorruptFileError(f"{str(path)!r} is not a corpus directory (it does not exist or is a file).")
        if not (path / MANIFEST).exists():
            hint = " (an unfinished build: run the build again to resume it)" if (path / ".build").exists() else ""
            raise CorruptFileError(f"{str(path)!r} has no {MANIFEST}; it is not a complete cooc corpus{hint}.")
        manifest = load_json(path / MANIFEST, "corpus manifest")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CorruptFileError(f"{str(path / MANIFEST)!r} is not a cooc corpus manifest.")
        vocab = Vocabulary.load(path / VOCAB_FILE)
        corpus = cls(path, manifest, vocab)
        corpus._check_structure()
        if verify:
            corpus.verify()
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

    def verify(self) -> None:
        """Recompute every shard's checksum; raise :class:`CorruptFileError` on a mismatch."""
        entries = [(s["tokens"], s["tokens_checksum"]) for s in self.manifest["shards"]]
        entries += [(s["docs"], s["docs_checksum"]) for s in self.manifest["shards"]]
        entries += [(e["file"], e["checksum"]) for e in self.manifest.get("extras", {}).values()]
        for rel, expected in entries:
            full = self.path / rel
            if not full.exists():
                raise CorruptFileError(f"corpus file {str(full)!r} is missing.")
            if file_checksum(full) != expected:
                raise CorruptFileError(f"corpus file {str(full)!r} does not match its checksum (truncated or edited).")

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
        """Tokens (int32, shape (n,)) and document offsets (int64, shape (d + 1,)) of one shard."""
        entry = self.manifest["shards"][index]
        tokens = load_npy(self.path / entry["tokens"], mmap=mmap, what="corpus shard")
        offsets = load_npy(self.path / entry["docs"], what="document offsets")
        if tokens.dtype != np.int32 or tokens.shape != (entry["n_tokens"],) or offsets.shape != (entry["n_docs"] + 1,):
            raise CorruptFileError(f"corpus shard {entry['tokens']!r} has the wrong type or size.")
        return tokens, offsets

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
        return load_npy(self.path / extras[name]["file"], mmap=mmap, what="corpus extra")

    def info(self) -> dict[str, Any]:
        """A summary for display: counts, vocabulary, source and tokeniser."""
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
            "top_words": list(zip(self.vocab.words[:10], self.vocab.counts[:10].tolist())),
        }


def prepare_output(out: Path, settings: dict[str, Any], overwrite: bool) -> TokenCorpus | None:
    """Make ``out`` ready for a build with ``settings``.

    Returns the existing corpus when ``out`` already holds one built with the same
    settings; refuses a different one unless ``overwrite``.
    """
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output {str(out)!r} exists and is not a directory.")
    if (out / MANIFEST).exists():
        try:
            existing = load_json(out / MANIFEST, "corpus manifest").get("settings")
        except (CorruptFileError, AttributeError):
            existing = None
        if existing == jsonable(settings) and not overwrite:
            return TokenCorpus.open(out)
        if not overwrite:
            raise OutputExistsError(f"{str(out)!r} already holds a different corpus; pass --overwrite to replace it.")
        shutil.rmtree(out)
    elif out.exists() and any(out.iterdir()) and not (out / ".build").exists():
        if not overwrite:
            raise OutputExistsError(
                f"{str(out)!r} is not empty and holds no cooc corpus; pass --overwrite to replace it."
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    return None


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
        self.existing = prepare_output(self.out, self.settings, overwrite)
        self._tokens: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._buffered = 0
        self._shards: list[dict[str, Any]] = []
        self._extras: dict[str, dict[str, str]] = {}
        self._closed = False

    def add_documents(self, tokens: np.ndarray, offsets: np.ndarray) -> None:
        """Append documents given as concatenated ids and offsets (shape (d + 1,), starting at 0)."""
        tokens = np.asarray(tokens)
        offsets = np.asarray(offsets, dtype=np.int64)
        if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != tokens.size:
            raise InvalidParameterError("offsets must start at 0 and end at len(tokens).")
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
        if self.existing is not None:
            return self.existing
        if not self._closed:
            self._flush()
            n_docs = sum(s["n_docs"] for s in self._shards)
            if n_docs == 0:
                from .._core.errors import InputDataError

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
                **self.extra_manifest,
            )
            atomic_write_json(self.out / MANIFEST, manifest)
            self._closed = True
        return TokenCorpus.open(self.out, verify=False)

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, exc_type, *rest: Any) -> None:
        if exc_type is None:
            self.close()


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
    **more: Any,
) -> dict[str, Any]:
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
    }
    manifest.update(jsonable(more))
    return manifest
