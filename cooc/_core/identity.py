"""Which corpus a result was made from: its identity, recorded in counts and embeddings and checked
when two results are used together.

A corpus's identity is the checksum of its ``manifest.json`` (``TokenCorpus.identity``), which
names every file of the corpus by its checksum. Counts record it in ``settings["corpus_id"]``;
embeddings in ``meta["corpus_id"]`` (word2vec) or in the settings of the counts they were made
from (``meta["cooccurrence"]["settings"]["corpus_id"]``, spectral embeddings).
"""

from __future__ import annotations

from typing import Any

from .errors import InputDataError


def corpus_id_of(result: Any) -> str | None:
    """The identity of the corpus ``result`` (counts, an embedding, a corpus) was made from, if recorded."""
    identity = getattr(result, "identity", None)
    if isinstance(identity, str):
        return identity
    settings = getattr(result, "settings", None)
    if isinstance(settings, dict) and isinstance(settings.get("corpus_id"), str):
        return settings["corpus_id"]
    meta = getattr(result, "meta", None)
    if isinstance(meta, dict):
        if isinstance(meta.get("corpus_id"), str):
            return meta["corpus_id"]
        counts = meta.get("cooccurrence")
        inner = counts.get("settings") if isinstance(counts, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get("corpus_id"), str):
            return inner["corpus_id"]
    return None


def check_same_corpus(**results: Any) -> None:
    """Refuse results made from different corpora (those that recorded none are not judged).

    Raises
    ------
    InputDataError
        Two of ``results`` name different corpora.
    """
    known: dict[str, str] = {}
    for name, result in results.items():
        cid = corpus_id_of(result)
        if cid:
            known[name] = cid
    if len(set(known.values())) > 1:
        names = " and ".join(f"the {name} ({cid.split(':')[-1][:12]})" for name, cid in known.items())
        raise InputDataError(
            f"{names} were made from different corpora; use results made from the same corpus "
            f"(a corpus rebuilt since counts as another)."
        )


__all__ = ["corpus_id_of", "check_same_corpus"]
