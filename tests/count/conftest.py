"""Tiny corpora and a brute-force reference counter for the counting tests."""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest

from cooc import CorpusWriter, Vocabulary
from cooc.count.windows import offset_weights

_names = itertools.count()


def write_corpus(root, docs, n_words, oov=True, shard_tokens=1 << 24):
    """A TokenCorpus from lists of ids; id ``n_words`` is the reserved OOV id when ``oov``."""
    docs = [np.asarray(d, dtype=np.int32) for d in docs]
    tokens = np.concatenate(docs) if docs else np.zeros(0, np.int32)
    offsets = np.concatenate([[0], np.cumsum([d.size for d in docs])]).astype(np.int64)
    counts = np.bincount(tokens[tokens < n_words], minlength=n_words)[:n_words]
    # ids must be frequency ranks: counts non-increasing is not required by the counter
    vocab = Vocabulary([f"w{i}" for i in range(n_words)], counts)
    writer = CorpusWriter(
        root / f"corpus{next(_names)}",
        vocab,
        source={"kind": "test"},
        oov_id=n_words if oov else None,
        shard_tokens=shard_tokens,
    )
    writer.add_documents(tokens, offsets)
    return writer.close()


@pytest.fixture
def make_corpus(tmp_path):
    """``make_corpus(docs, n_words, oov=True, shard_tokens=...)`` -> TokenCorpus."""
    return lambda docs, n_words, **kw: write_corpus(tmp_path, docs, n_words, **kw)


def brute_force(docs, vocab_size, window, weighting, oov="drop", symmetric=True, offset=None):
    """The definition, as a double loop: dense (V, V) float64 counts."""
    w = offset_weights(window, weighting)
    C = np.zeros((vocab_size, vocab_size))
    for doc in docs:
        doc = [t for t in doc if t < vocab_size] if oov == "drop" else list(doc)
        for i, a in enumerate(doc):
            for j in range(1, window + 1):
                if i + j >= len(doc) or a >= vocab_size or doc[i + j] >= vocab_size:
                    continue
                if offset is None or offset == j:
                    C[a, doc[i + j]] += w[j - 1]
    return C + C.T if symmetric else C


@pytest.fixture
def small_chunks(monkeypatch):
    """Let tiny budgets give tiny chunks, so chunk cuts, carries and spills happen on small corpora."""
    from cooc.count import planning

    monkeypatch.setattr(planning, "MIN_CHUNK_TOKENS", 8)
    monkeypatch.setattr(planning, "fixed_bytes", lambda vocab_size: 40 * vocab_size + 1024)


@contextlib.contextmanager
def local_dask_client(processes: bool = True):
    """A Dask client on a LocalCluster of 2 one-thread workers (in processes of their own, or threads)."""
    import distributed

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=":0") as cl,
        distributed.Client(cl) as c,
    ):
        yield c
