"""Pins of word2vec's definitions that the other tests leave loose (found by mutation testing).

- the negative-sampling distribution's default exponent is 0.75 (word2vec.c, gensim's ``ns_exponent``);
- an alias table of unnormalised weights samples the normalised distribution;
- the alias draw's coin is ``(low 32 bits + 0.5) / 2**32``, compared with ``<``, in both compiled draws
  (the sampler's and the hogwild kernels'), checked against a plain-Python splitmix64 on a table built
  so that the half-ulp offset decides the draw;
- the learning rate falls linearly from alpha to min_alpha with the words seen and never below
  min_alpha (gensim's ``_get_next_alpha``), and a batched run asks for it after every batch with the
  corpus words seen so far, so it decays within a chunk too and reaches min_alpha at the end of the run;
- the learning-rate defaults: min_alpha 1e-4 (gensim's and word2vec.c's 0.0001).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cooc.train.word2vec import sampling
from cooc.train.word2vec._step_hogwild import _draw
from cooc.train.word2vec.estimator import Word2Vec
from cooc.train.word2vec.run import TrainingRun

MASK = 2**64 - 1


def _first_number(seed: int) -> int:
    """The first output of the sequential splitmix64 generator seeded with ``seed`` (plain Python)."""
    z = (seed + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def test_noise_distribution_default_exponent_is_three_quarters():
    counts = np.array([81.0, 16.0, 1.0, 0.0])
    np.testing.assert_allclose(sampling.noise_distribution(counts), np.array([27.0, 8.0, 1.0, 0.0]) / 36.0, rtol=1e-14)


def test_alias_table_of_unnormalised_weights():
    weights = np.array([2.0, 6.0, 0.0, 4.0, 8.0])
    accept, alias = sampling.alias_table(weights)
    np.testing.assert_allclose(sampling.alias_probabilities(accept, alias), weights / 20.0, atol=1e-15)


@pytest.mark.parametrize("offset, picks_slot", [(0.25, False), (0.75, True)])
def test_alias_coin_is_the_low_half_plus_one_half(offset, picks_slot):
    seed, V = 987654321, 5
    z = _first_number(seed)
    slot, low = ((z >> 32) * V) >> 32, z & 0xFFFFFFFF
    accept = np.ones(V, dtype=np.float64)
    alias = (np.arange(V, dtype=np.int64) + 1) % V
    # the coin is (low + 0.5) 2**-32: an acceptance a quarter below it rejects, a quarter above accepts
    accept[slot] = (low + offset) * 2.0**-32
    expected = slot if picks_slot else alias[slot]
    got = sampling._alias_pick(np.uint64(seed), np.uint64(0), 1, accept, alias)
    assert int(got[0]) == expected
    negatives = np.empty(1, dtype=np.int64)
    _draw(negatives, accept, alias, np.uint64(seed))
    assert int(negatives[0]) == expected


def test_learning_rate_is_linear_in_the_words_seen_and_floored_at_min_alpha():
    run = SimpleNamespace(model=SimpleNamespace(start_alpha=0.025, min_alpha=1e-4))
    rate = lambda words, total: TrainingRun._rate(run, words, total)  # noqa: E731
    assert rate(0, 1000) == pytest.approx(0.025, rel=1e-12)
    assert rate(250, 1000) == pytest.approx(0.025 - (0.025 - 1e-4) * 0.25, rel=1e-12)
    assert rate(1000, 1000) == pytest.approx(1e-4, rel=1e-9)
    assert rate(1500, 1000) == pytest.approx(1e-4, rel=1e-12)  # never below min_alpha, as gensim


def test_learning_rate_defaults():
    model = Word2Vec()
    assert model.min_alpha == 1e-4 and model.alpha is None
    assert Word2Vec(sg=True).start_alpha == 0.025 and Word2Vec(sg=False).start_alpha == 0.05
    assert Word2Vec(sg=False, alpha=0.01).start_alpha == 0.01


@pytest.mark.parametrize("kernel", ["torch", "numba"])
def test_a_batched_run_decays_the_rate_batch_by_batch(cluster_corpus, monkeypatch, kernel):
    seen: list[tuple[float, int]] = []
    rate = TrainingRun._rate

    def recorded(self, words, total_words):
        seen.append((words, total_words))
        return rate(self, words, total_words)

    monkeypatch.setattr(TrainingRun, "_rate", recorded)
    params = dict(dim=8, window=2, negative=2, epochs=1, min_count=1, sample=0.0, progress=False)
    Word2Vec(seed=3, kernel=kernel, batch_size=512, chunk_tokens=5000, **params).fit(cluster_corpus)
    words = np.array([w for w, _ in seen])
    total = {t for _, t in seen}
    assert total == {20_000}  # 1,000 documents of 20 words, one epoch
    assert words[0] > 0 and np.all(np.diff(words) > 0)  # one rate per batch, after the words it has seen
    assert len(words) > 4 * 8  # 4 chunks, each of many batches
    assert words[-1] == pytest.approx(20_000)
