"""Benchmark data and the GloVe anchor: the Wikipedia sample as text, corpora, GloVe's tools.

Nothing here is a test dependency. GloVe (github stanfordnlp/GloVe) is built from a
source checkout given by the caller (``.peers/GloVe`` by convention, git-ignored).
The extracted text of gensim's Wikipedia sample is cached as ``.bench/wiki_sample.txt``
(one article per line, tokens separated by spaces, the papers' "wiki" tokenisation),
so machines without gensim (the GPU machine) can use a carried copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
WIKI_TEXT = BENCH_DIR / "wiki_sample.txt"


def wiki_text(path: Path = WIKI_TEXT) -> Path:
    """The Wikipedia sample as tokenised text, extracted once (needs gensim the first time)."""
    if path.exists():
        return path
    import bz2

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    from cooc.corpus.tokenize import Tokenizer
    from cooc.data import wiki_sample_path

    tok = Tokenizer("wiki")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with bz2.open(wiki_sample_path(), "rb") as fh, open(tmp, "wb") as out:
        for _title, text, _pageid in extract_pages(fh, filter_namespaces=("0",)):
            if text.lstrip().lower().startswith("#redirect"):
                continue
            tokens = tok.tokens(filter_wiki(text))
            if tokens:
                out.write(b" ".join(tokens) + b"\n")
    os.replace(tmp, path)
    return path


def repeated_text(src: Path, min_tokens: int, out: Path) -> tuple[Path, int]:
    """``src`` repeated whole until it holds at least ``min_tokens`` tokens; returns (path, tokens)."""
    data = src.read_bytes()
    n = len(data.split())
    reps = -(-min_tokens // n)
    if not out.exists() or out.stat().st_size != len(data) * reps:
        with open(out, "wb") as fh:
            for _ in range(reps):
                fh.write(data)
    return out, n * reps


def build_glove(glove_dir: Path) -> Path:
    """``make`` GloVe in ``glove_dir`` if its binaries are missing; return the build folder."""
    glove_dir = Path(glove_dir)
    build = glove_dir / "build"
    if not (build / "cooccur").exists() or not (build / "vocab_count").exists():
        subprocess.run(["make"], cwd=glove_dir, check=True, capture_output=True)
    return build


def glove_vocab(build: Path, text: Path, out: Path, min_count: int = 5) -> list[str]:
    """Run ``vocab_count -min-count`` on ``text``; return the words in GloVe's id order."""
    with open(text, "rb") as fin, open(out, "wb") as fout:
        subprocess.run(
            [str(build / "vocab_count"), "-min-count", str(min_count), "-verbose", "0"],
            stdin=fin,
            stdout=fout,
            check=True,
        )
    return [line.split(" ")[0] for line in out.read_text().splitlines()]


def glove_cooccur(
    build: Path, text: Path, vocab_file: Path, out: Path, window: int = 10, memory_gb: float = 4.0, cpu: bool = False
) -> float | tuple[float, float]:
    """Run ``cooccur`` (symmetric, harmonic weights); return its wall time in seconds (and CPU time with ``cpu``)."""
    import resource

    work = out.parent / "glove-overflow"
    work.mkdir(parents=True, exist_ok=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(text, "rb") as fin, open(out, "wb") as fout:
        subprocess.run(
            [
                str(build / "cooccur"),
                "-memory",
                str(memory_gb),
                "-vocab-file",
                str(vocab_file),
                "-window-size",
                str(window),
                "-verbose",
                "0",
                "-overflow-file",
                str(work / "overflow"),
            ],
            stdin=fin,
            stdout=fout,
            check=True,
        )
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(work, ignore_errors=True)
    if cpu:
        return seconds, (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    return seconds


def corpus_from_text(text: Path, words: list[str] | None, out: Path, repeat: int = 1, shard_tokens: int = 1 << 24):
    """Encode a one-document-per-line text into a TokenCorpus (OOV kept as the reserved id).

    ``words`` fixes the vocabulary and its id order (GloVe's, for parity); by default all
    words of the text ranked by count, ties alphabetical. The encoded documents are
    written ``repeat`` times.
    """
    from cooc import CorpusWriter, TokenCorpus, Vocabulary

    lines = text.read_bytes().decode("utf-8").splitlines()
    docs = [line.split() for line in lines]
    counts = Counter(t for d in docs for t in d)
    if words is None:
        vocab = Vocabulary.from_counts(counts)
    else:
        vocab = Vocabulary(words, [counts.get(w, 0) for w in words], total=sum(counts.values()))
    vocab = Vocabulary(vocab.words, vocab.counts * repeat, total=vocab.total * repeat)
    oov = len(vocab)
    index = vocab.key_to_index
    ids = np.fromiter((index.get(t, oov) for d in docs for t in d), dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64)
    settings = {"text": str(text), "repeat": repeat, "vocab": len(vocab), "n": int(ids.size)}
    if (Path(out) / "manifest.json").exists():
        corpus = TokenCorpus.open(out, verify=False)
        if corpus.manifest.get("settings") == settings:
            return corpus
    writer = CorpusWriter(
        out,
        vocab,
        source={"kind": "benchmark", "text": str(text)},
        settings=settings,
        shard_tokens=shard_tokens,
        overwrite=True,
        oov_id=oov,
    )
    for _ in range(repeat):
        writer.add_documents(ids, offsets)
    return writer.close()


def zipf_corpus(
    out: Path,
    n_tokens: int,
    n_types: int = 100_000,
    exponent: float = 1.0,
    doc_tokens: int = 1000,
    seed: int = 0,
    shard_tokens: int = 1 << 24,
    xp=None,
):
    """A Zipf-distributed token stream over ``n_types`` types, cut into documents of ``doc_tokens``.

    ``xp=cupy`` draws the tokens on the GPU (the same distribution, other random numbers).
    """
    from cooc import CorpusWriter, TokenCorpus, Vocabulary

    settings = {"zipf": exponent, "n_tokens": n_tokens, "n_types": n_types, "doc": doc_tokens, "seed": seed}
    xp = np if xp is None else xp
    settings["generator"] = xp.__name__
    if (Path(out) / "manifest.json").exists():
        corpus = TokenCorpus.open(out, verify=False)
        if corpus.manifest.get("settings") == settings:
            return corpus
    rng = xp.random.default_rng(seed)
    p = 1.0 / xp.arange(1, n_types + 1, dtype=xp.float64) ** exponent
    cdf = xp.cumsum(p / p.sum())
    block = 1 << 24
    pieces, counts = [], np.zeros(n_types, dtype=np.int64)
    for start in range(0, n_tokens, block):
        ids = xp.searchsorted(cdf, rng.random(min(block, n_tokens - start))).astype(xp.int32)
        ids = xp.minimum(ids, n_types - 1)
        counts += _host(xp.bincount(ids, minlength=n_types))
        pieces.append(_host(ids))
    # ids are ranks by construction; re-rank by the counts drawn so ids stay frequency ranks
    order = np.lexsort((np.arange(n_types), -counts))
    rank = np.empty(n_types, dtype=np.int32)
    rank[order] = np.arange(n_types, dtype=np.int32)
    vocab = Vocabulary([f"w{i}" for i in range(n_types)], counts[order])
    writer = CorpusWriter(
        out, vocab, source={"kind": "zipf"}, settings=settings, shard_tokens=shard_tokens, overwrite=True
    )
    for ids in pieces:
        ids = rank[ids]
        offsets = np.append(np.arange(0, ids.size, doc_tokens), ids.size).astype(np.int64)
        writer.add_documents(ids, offsets)
    return writer.close()


def _host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)
