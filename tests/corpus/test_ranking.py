"""The vocabulary's rank order: numpy's two-key sort spread over threads equals np.lexsort, and the
ranking equals a plain sort by (-count, bytes), on one thread or several."""

from __future__ import annotations

import numpy as np
import pytest

from cooc.corpus import ranking
from cooc.corpus._tokenize_fast import TypeTable
from cooc.corpus.build import build_corpus


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of a few types, so that small inputs are sorted in several parts; counts the calls that split."""
    monkeypatch.setattr(ranking, "PART_MIN", 4)
    calls = []
    real = ranking._parts_of

    def spy(*args):
        part = real(*args)
        calls.append(int(part.max()) + 1)
        return part

    monkeypatch.setattr(ranking, "_parts_of", spy)
    return calls


def _keys(rng, n, kind):
    if kind == "ties":  # few distinct majors, minors with the high bit set (UTF-8 lead bytes)
        return rng.integers(-5, 0, n), rng.integers(2**63 - 3, 2**63 + 3, n, dtype=np.uint64)
    if kind == "one major":  # every key in one count: the minors alone decide the parts
        return np.full(n, -1), rng.integers(0, 50, n).astype(np.uint64)
    if kind == "equal":  # one key: a single part holds all, in input order
        return np.zeros(n, np.int64), np.zeros(n, np.uint64)
    return -rng.zipf(1.3, n).astype(np.int64), rng.integers(0, 2**64 - 1, n, dtype=np.uint64)


@pytest.mark.parametrize("kind", ["zipf", "ties", "one major", "equal"])
@pytest.mark.parametrize("threads", [2, 3, 8])
def test_lexsort_threads_equals_lexsort(small_parts, kind, threads):
    rng = np.random.default_rng(threads)
    for n in (0, 1, 7, 5000):
        major, minor = _keys(rng, n, kind)
        got = ranking.lexsort_threads(major, minor, threads)
        np.testing.assert_array_equal(got, np.lexsort((minor, major)))
    assert small_parts and (kind == "equal" or max(small_parts) > 1)


def test_parts_are_about_equal(small_parts):
    """Splitters from the sorted sample cut distinct keys into parts of about equal size."""
    rng = np.random.default_rng(0)
    major, minor = _keys(rng, 40_000, "zipf")
    part = ranking._parts_of(major, minor, *ranking._splitters(major, minor, 8))
    sizes = np.bincount(part, minlength=8)
    assert sizes.size == 8 and sizes.max() < 1.3 * sizes.mean() and sizes.min() > 0.7 * sizes.mean()


def test_one_part_below_the_threshold(monkeypatch):
    """Fewer than two parts' worth of types: no thread pool, one np.lexsort."""
    monkeypatch.setattr(ranking, "ThreadPoolExecutor", None)  # would fail if used
    rng = np.random.default_rng(1)
    major, minor = _keys(rng, 2 * ranking.PART_MIN - 1, "zipf")
    np.testing.assert_array_equal(ranking.lexsort_threads(major, minor, 16), np.lexsort((minor, major)))


def _table(types):
    table = TypeTable(capacity=8)  # grows many times on the way
    assert table.intern(b"".join(types), [len(t) for t in types]).tolist() == list(range(len(types)))
    return table


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("seed", range(4))
def test_vocabulary_rank_order_is_count_then_bytes(small_parts, seed, threads):
    """The vectorised ranking (numpy on counts and 8-byte prefixes, Python only for ties) equals a plain
    sort by (-count, bytes) on types that share long prefixes, differ by NUL or non-ASCII bytes, or tie in
    count; and the vocabulary chosen from it is the reference's at any size."""
    rng = np.random.default_rng(seed)
    stems = [b"", b"a", b"internat", b"internationa", b"\xc3\xa9t\xc3\xa9", b"zz\x00"]
    types = sorted(
        {
            stems[rng.integers(len(stems))] + bytes(rng.integers(0, 256, rng.integers(0, 12)).tolist())
            for _ in range(3000)
        }
    )
    rng.shuffle(types)
    table = _table(types)
    counts = rng.integers(0, 6, len(types)) ** 2
    ids = np.flatnonzero(counts >= 1)
    reference = sorted(ids.tolist(), key=lambda i: (-counts[i], types[i]))
    assert ids[ranking.rank_order(table, ids, counts[ids], threads)].tolist() == reference
    every = np.arange(len(types))
    assert every[ranking.rank_order(table, every, counts, threads)].tolist() == sorted(
        range(len(types)), key=lambda i: (-counts[i], types[i])
    )
    text = [t for t in types if t.decode("utf-8", "replace").encode() == t]  # valid UTF-8, as the build's types
    c = counts[[types.index(t) for t in text]]
    for size in (None, 1, 50, len(text)):
        chosen, vocab = ranking.choose_vocab(_table(text), c, size, 1, threads)
        want = sorted(np.flatnonzero(c >= 1).tolist(), key=lambda i: (-c[i], text[i]))[:size]
        assert chosen.tolist() == want and vocab.words == [text[i].decode() for i in want]
    assert bool(small_parts) == (threads > 1) and all(k > 1 for k in small_parts)


def test_build_ranks_on_its_workers(tmp_path, small_parts, monkeypatch):
    """A build's finish sorts the vocabulary in as many parts as it has workers, and gets the same corpus."""
    threads = []
    real = ranking.lexsort_threads
    monkeypatch.setattr(ranking, "lexsort_threads", lambda a, b, t=1: threads.append(t) or real(a, b, t))
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    p = 1 / np.arange(1, 401)
    path = tmp_path / "in.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 40, p=p / p.sum())) for _ in range(200)) + "\n")
    one = build_corpus(path, tmp_path / "one", progress=False, workers=1)
    two = build_corpus(path, tmp_path / "two", progress=False, workers=2)
    assert threads == [1, 2] and max(small_parts) == 2
    assert one.vocab == two.vocab
