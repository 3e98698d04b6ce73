"""Pins word-similarity scoring (cooc.geometry.similarity) against a plain computation.

Spearman and Pearson of the cosines (numpy) with the human scores (scipy), also with only two pairs
known; the documented defaults ``restrict_vocab=300_000`` and ``case_insensitive=True``; the
out-of-vocabulary percentage; and the reading of word-pair files (``#`` comments, tab or space
separated lines of exactly three fields).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cooc.embedding import Embedding
from cooc.geometry.similarity import evaluate_similarity, load_word_pairs


def test_correlations_equal_scipy_on_plain_cosines():
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((8, 3))
    emb = Embedding(vectors, [f"w{i}" for i in range(8)])
    pairs = [(f"w{i}", f"w{j}", float(rng.random())) for i, j in [(0, 1), (2, 3), (4, 5), (6, 7), (1, 6), (3, 4)]]
    pairs += [("w0", "nope", 5.0)]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = [unit[int(a[1:])] @ unit[int(b[1:])] for a, b, _ in pairs[:-1]]
    gold = [s for _, _, s in pairs[:-1]]
    res = evaluate_similarity(emb, pairs)
    rho, rho_p = stats.spearmanr(gold, cos)
    r, r_p = stats.pearsonr(gold, cos)
    assert (res.spearman, res.spearman_pvalue) == pytest.approx((rho, rho_p), rel=1e-12)
    assert (res.pearson, res.pearson_pvalue) == pytest.approx((r, r_p), rel=1e-12)
    assert (res.listed, res.evaluated, res.oov) == (7, 6, 1)
    assert res.oov_ratio == pytest.approx(100.0 / 7, rel=1e-14)
    two = evaluate_similarity(emb, pairs[:2] + pairs[-1:])  # two known pairs: a correlation of +-1, not NaN
    expected = 1.0 if (gold[0] - gold[1]) * (cos[0] - cos[1]) > 0 else -1.0
    assert two.spearman == pytest.approx(expected) and two.pearson == pytest.approx(expected)


def test_default_vocabulary_restriction_and_case_folding():
    import inspect

    # gensim's default: the first 300,000 words count as known (a vocabulary that large is slow to build here)
    assert inspect.signature(evaluate_similarity).parameters["restrict_vocab"].default == 300_000
    vectors = np.column_stack([np.ones(6), np.linspace(0.0, 3.0, 6)])
    emb = Embedding(vectors, ["w0", "w1", "w2", "w3", "w4", "w5"])
    pairs = [("w0", "w1", 3.0), ("w0", "w3", 2.0), ("W0", "w4", 1.0), ("w0", "w5", 0.5)]
    res = evaluate_similarity(emb, pairs)  # case folded by default
    assert (res.listed, res.evaluated) == (4, 4) and res.spearman == pytest.approx(1.0)
    assert evaluate_similarity(emb, pairs, case_insensitive=False).evaluated == 3
    assert evaluate_similarity(emb, pairs, restrict_vocab=5).evaluated == 3  # w5 is the sixth word
    assert evaluate_similarity(emb, pairs, restrict_vocab=4).evaluated == 2


def test_reading_word_pair_files(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text(
        "# comment\tline\t1\n#another\tcomment\t2\na\tb\t1.5\nc d 2.5\ne\tf\t3\textra\ng h\n\ni\tj\t4\n",
        encoding="utf-8",
    )
    assert load_word_pairs(path) == [("a", "b", 1.5), ("c", "d", 2.5), ("i", "j", 4.0)]
