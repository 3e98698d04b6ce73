"""The GloVe files cooc exports equal what GloVe's ``vocab_count`` and ``cooccur`` write for the same text.

GloVe itself is not built in the tests (``benchmarks/glove_export.py`` runs the real programs on the
Wikipedia sample); here a line-by-line Python transcription of the two programs' rules is the reference:

* ``vocab_count -min-count k``: words seen at least k times, by count descending, ties by byte order;
* ``cooccur -symmetric 1 -window-size L``: per line (a line is a document; out-of-vocabulary words are
  skipped, so windows bridge them), each in-vocabulary word w2 and each of the up to L in-vocabulary words
  w1 before it at distance d adds 1/d to (w1, w2) and to (w2, w1), in float64, one addition at a time;
  records are (int32 w1, int32 w2, float64 value) with 1-based frequency ranks, sorted by (w1, w2).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from cooc import build_corpus, count_cooccurrences
from cooc.cooccurrence.format import GLOVE_RECORD
from cooc.cooccurrence.interchange import export_counts


def glove_vocab_count(lines: list[str], min_count: int) -> list[tuple[str, int]]:
    counts = Counter(w for line in lines for w in line.split())
    kept = [(w, n) for w, n in counts.items() if n >= min_count]
    return sorted(kept, key=lambda wn: (-wn[1], wn[0].encode()))


def glove_cooccur(lines: list[str], vocab: list[tuple[str, int]], window: int) -> np.ndarray:
    rank = {w: i + 1 for i, (w, _) in enumerate(vocab)}
    total: dict[tuple[int, int], float] = defaultdict(float)
    for line in lines:
        history: list[int] = []
        for word in line.split():
            if word not in rank:
                continue
            w2, j = rank[word], len(history)
            for k in range(j - 1, max(j - window, 0) - 1, -1):
                w1, d = history[k], j - k
                total[(w1, w2)] += 1.0 / d
                total[(w2, w1)] += 1.0 / d
            history.append(w2)
    keys = sorted(total)
    records = np.empty(len(keys), dtype=GLOVE_RECORD)
    records["word"] = [k[0] for k in keys]
    records["context"] = [k[1] for k in keys]
    records["value"] = [total[k] for k in keys]
    return records


def _text(rng: np.random.Generator, n_lines: int = 40) -> list[str]:
    """Zipf-like words of 3-6 letters (the tokeniser keeps them as they are), lines of 0-60 words."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    types = sorted({"".join(rng.choice(letters, size=rng.integers(3, 7))) for _ in range(120)})
    p = 1.0 / np.arange(1, len(types) + 1)
    return [" ".join(rng.choice(types, size=rng.integers(0, 61), p=p / p.sum())) for _ in range(n_lines)]


def test_exported_glove_files_equal_cooccur_and_vocab_count(tmp_path):
    rng = np.random.default_rng(0)
    lines = _text(rng)
    (tmp_path / "text.txt").write_text("\n".join(lines) + "\n")
    vocab = glove_vocab_count(lines, min_count=3)
    assert len(vocab) < len({w for line in lines for w in line.split()})  # some words are out of vocabulary
    assert len({n for _, n in vocab}) < len(vocab)  # and some counts tie: the order of ties is tested
    corpus = build_corpus(tmp_path / "text.txt", tmp_path / "corpus", min_count=3, progress=False)
    counts = count_cooccurrences(corpus, window=10, progress=False)
    data, vocab_path = export_counts(counts, tmp_path / "cooc", "glove")

    assert vocab_path.read_text() == "".join(f"{w} {n}\n" for w, n in vocab)
    ours = np.fromfile(data, dtype=GLOVE_RECORD)
    theirs = glove_cooccur(lines, vocab, window=10)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours["word"], theirs["word"])
    np.testing.assert_array_equal(ours["context"], theirs["context"])
    np.testing.assert_allclose(ours["value"], theirs["value"], rtol=1e-13, atol=0)


def test_glove_keeps_the_diagonal_doubled_and_bridges_unknown_words(tmp_path):
    """Three hand-checked lines: 'aaa zzz aaa bbb' (zzz unknown), 'bbb aaa', 'aaa bbb'; window 2."""
    lines = ["aaa zzz aaa bbb", "bbb aaa", "aaa bbb"]
    (tmp_path / "text.txt").write_text("\n".join(lines) + "\n")
    vocab = glove_vocab_count(lines, min_count=2)
    assert vocab == [("aaa", 4), ("bbb", 3)]
    corpus = build_corpus(tmp_path / "text.txt", tmp_path / "corpus", min_count=2, progress=False)
    data, _ = export_counts(count_cooccurrences(corpus, window=2, progress=False), tmp_path / "c", "glove")
    records = np.fromfile(data, dtype=GLOVE_RECORD)
    # line 1 without zzz: aaa aaa bbb -> (aaa, aaa) d=1 twice over; (aaa, bbb) d=1 and d=2; lines 2, 3: d=1 each
    expected = {(1, 1): 2.0, (1, 2): 1.0 + 0.5 + 1.0 + 1.0, (2, 1): 1.0 + 0.5 + 1.0 + 1.0}
    assert [(int(r["word"]), int(r["context"])) for r in records] == sorted(expected)
    np.testing.assert_array_equal(records["value"], [expected[k] for k in sorted(expected)])
    np.testing.assert_array_equal(glove_cooccur(lines, vocab, window=2)["value"], records["value"])
