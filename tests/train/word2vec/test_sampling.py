"""word2vec's random choices against their formulas and against plain loops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.train._torch import generator, task_seed, torch_device
from cooc.train.word2vec import sampling


def test_keep_probabilities_formula():
    counts = np.array([5000, 400, 30, 1, 0])
    t = 1e-2 * counts.sum()
    got = sampling.keep_probabilities(counts, 1e-2)
    # word2vec.c: (sqrt(c / t) + 1) * t / c, capped at 1; unseen words keep probability 1.
    expected = [min(1.0, (np.sqrt(c / t) + 1) * t / c) for c in counts[:4]] + [1.0]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert got[0] == pytest.approx((np.sqrt(5000 / 54.31) + 1) * 54.31 / 5000)
    assert got[0] < got[1] < 1.0 and got[2] == got[3] == 1.0
    np.testing.assert_array_equal(sampling.keep_probabilities(counts, 0.0), np.ones(5))
    with pytest.raises(InvalidParameterError, match="sample"):
        sampling.keep_probabilities(counts, -1.0)


def test_subsample_frequencies_match_keep_probabilities(tdevice):
    device = torch_device(tdevice)
    counts = np.array([50_000, 20_000, 5_000, 100])
    keep = sampling.keep_probabilities(counts, 1e-2)
    tokens = torch.as_tensor(np.repeat(np.arange(4), counts), device=device)
    docs = torch.zeros_like(tokens)
    kept, kept_docs = sampling.subsample(tokens, docs, torch.as_tensor(keep, device=device), generator(device, 3))
    observed = np.bincount(kept.cpu().numpy(), minlength=4)
    sd = np.sqrt(counts * keep * (1 - keep)) + 1e-9
    assert np.all(np.abs(observed - counts * keep) < 5 * sd + 1e-6), (observed, counts * keep)
    assert kept_docs.numel() == kept.numel()


def test_noise_distribution_at_an_exponent_whose_powers_overflow():
    """1e5 ** 100 is inf: the law was NaN and the alias table drew uniformly; it is the same law computed
    relative to the largest count (exact in log space), all its mass near the most frequent word."""
    counts = np.array([1e5, 1e4, 1e3, 0.0, 3e4])
    for exponent in (70.0, 100.0):
        p = sampling.noise_distribution(counts, exponent)
        logs = np.where(counts > 0, exponent * np.log(np.where(counts > 0, counts, 1.0)), -np.inf)
        exact = np.exp(logs - logs.max()) / np.exp(logs - logs.max()).sum()
        np.testing.assert_allclose(p, exact, rtol=1e-12, atol=1e-300)
        accept, alias = sampling.alias_table(p)
        assert accept[0] == pytest.approx(1.0) and np.isfinite(accept).all()
    np.testing.assert_array_equal(sampling.noise_distribution(counts, 0.75), counts**0.75 / (counts**0.75).sum())


def test_noise_distribution_formula():
    counts = np.array([81, 16, 1, 0])
    p = sampling.noise_distribution(counts, 0.75)
    np.testing.assert_allclose(p, np.array([27.0, 8.0, 1.0, 0.0]) / 36.0, rtol=1e-14)
    np.testing.assert_allclose(sampling.noise_distribution(counts, 0.0), [1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-14)
    with pytest.raises(InvalidParameterError):
        sampling.noise_distribution(np.zeros(3))


def test_alias_table_is_exact(rng):
    for n in (1, 2, 7, 1000):
        probs = rng.dirichlet(np.full(n, 0.3))
        probs[rng.random(n) < 0.2] = 0.0
        if probs.sum() == 0:
            probs[0] = 1.0
        probs /= probs.sum()
        accept, alias = sampling.alias_table(probs)
        np.testing.assert_allclose(sampling.alias_probabilities(accept, alias), probs, atol=1e-12)


@pytest.mark.parametrize("source", ["torch", "splitmix64"])
def test_alias_sampler_draws_the_noise_distribution(tdevice, source):
    """Both ways of drawing: a torch generator (CPU and GPU) and the compiled draw from a splitmix64 stream (CPU)."""
    device = torch_device(tdevice)
    if source == "splitmix64" and device.type != "cpu":
        pytest.skip("splitmix64 streams draw on the CPU only")
    counts = np.array([1000, 300, 40, 5, 1, 0])
    probs = sampling.noise_distribution(counts)
    sampler = sampling.AliasSampler(probs, device)
    gen = generator(device, 7) if source == "torch" else sampling.SplitMix64(7)
    draws = sampler.draw((200_000,), gen).cpu().numpy()
    assert draws.dtype == np.int64
    observed = np.bincount(draws, minlength=probs.size)
    n = draws.size
    sd = np.sqrt(n * probs * (1 - probs))
    assert observed[-1] == 0
    assert np.all(np.abs(observed - n * probs) < 5 * sd + 1e-9), (observed, n * probs)


def test_compiled_draw_is_unbiased_over_many_words():
    """Slots by multiply-shift of 32 random bits and coins from the other 32: a chi-square check
    over 1,000 words of random probabilities (the statistic has mean 999 and sd 45)."""
    rng = np.random.default_rng(11)
    probs = rng.dirichlet(np.full(1000, 2.0))
    sampler = sampling.AliasSampler(probs, torch.device("cpu"))
    n = 2_000_000
    observed = np.bincount(sampler.draw((n,), sampling.SplitMix64(11)).numpy(), minlength=1000)
    chi2 = ((observed - n * probs) ** 2 / (n * probs)).sum()
    assert chi2 < 999 + 6 * 45, chi2
    with pytest.raises(ValueError, match="CPU only"):
        sampling.AliasSampler(probs, torch.device("meta")).draw((3,), sampling.SplitMix64(11))


def _splitmix64(seed: int, n: int) -> list[int]:
    """The sequential splitmix64 generator in plain Python integers (the reference)."""
    mask, state, out = 2**64 - 1, seed, []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def test_splitmix64_draws_are_the_sequential_generator_in_any_pieces():
    """The parallel draw takes the numbers of the sequential splitmix64 generator (the reference's
    first numbers for seed 1234567 are the published ones), in order, whatever the pieces."""
    assert _splitmix64(1234567, 3) == [6457827717110365317, 3203168211198807973, 9817491932198370423]
    rng = np.random.default_rng()
    seed, V = int(rng.integers(2**63)), int(rng.integers(2, 500))
    probs = rng.dirichlet(np.full(V, 0.5))
    sampler = sampling.AliasSampler(probs, torch.device("cpu"))
    accept, alias = sampler.table
    expected = []
    for z in _splitmix64(seed, 3000):
        slot = ((z >> 32) * V) >> 32
        coin = ((z & 0xFFFFFFFF) + 0.5) * 2.0**-32
        expected.append(slot if coin < accept[slot] else alias[slot])
    whole = sampler.draw((3000,), sampling.SplitMix64(seed)).numpy()
    np.testing.assert_array_equal(whole, expected, err_msg=f"seed {seed}, V {V}")
    stream, pieces = sampling.SplitMix64(seed), []
    for size in (1, 999, 500, 1500):
        pieces.append(sampler.draw((size,), stream).numpy())
    assert stream.position == 3000
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    assert sampler.draw((10, 3), sampling.SplitMix64(seed)).shape == (10, 3)


def test_window_radii_uniform(tdevice):
    device = torch_device(tdevice)
    radii = sampling.window_radii(60_000, 5, generator(device, 1), device).cpu().numpy()
    assert radii.min() == 1 and radii.max() == 5
    np.testing.assert_allclose(np.bincount(radii, minlength=6)[1:] / radii.size, 0.2, atol=0.01)
    fixed = sampling.window_radii(10, 3, generator(device, 1), device, dynamic=False)
    assert fixed.tolist() == [3] * 10


def _reference_pairs(tokens, docs, radii):
    pairs = []
    n = len(tokens)
    for i in range(n):
        for j in range(-radii[i], radii[i] + 1):
            if j != 0 and 0 <= i + j < n and docs[i + j] == docs[i]:
                pairs.append((tokens[i + j], tokens[i]))
    return sorted(pairs)


def _random_stream(rng, n, V, window):
    tokens = rng.integers(0, V, n)
    docs = np.sort(rng.integers(0, max(n // 6, 1), n))
    radii = rng.integers(1, window + 1, n)
    return tokens, docs, radii


def test_skipgram_pairs_match_a_loop(tdevice, rng):
    device = torch_device(tdevice)
    for n, window in ((1, 2), (2, 3), (50, 1), (200, 4)):
        tokens, docs, radii = _random_stream(rng, n, 9, window)
        ins, outs = sampling.skipgram_pairs(*(torch.as_tensor(a, device=device) for a in (tokens, docs, radii)), window)
        got = sorted(zip(ins.cpu().tolist(), outs.cpu().tolist()))
        assert got == _reference_pairs(tokens, docs, radii)


def test_compiled_shuffled_pairs_are_the_skipgram_pairs(rng):
    for n, window in ((0, 2), (1, 2), (2, 3), (50, 1), (200, 4)):
        tokens, docs, radii = _random_stream(rng, n, 9, window)
        ins, outs = sampling.shuffled_skipgram_pairs(tokens, docs, radii, seed=n)
        assert ins.dtype == outs.dtype == np.int64
        assert sorted(zip(ins.tolist(), outs.tolist())) == _reference_pairs(tokens, docs, radii)
    tokens, docs, radii = _random_stream(rng, 300, 1000, 5)
    first = sampling.shuffled_skipgram_pairs(torch.as_tensor(tokens), torch.as_tensor(docs), torch.as_tensor(radii), 7)
    again = sampling.shuffled_skipgram_pairs(tokens, docs, radii, 7)
    other = sampling.shuffled_skipgram_pairs(tokens, docs, radii, 8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    with pytest.raises(InvalidParameterError, match="2\\*\\*31"):
        sampling.shuffled_skipgram_pairs(np.array([0, 2**31]), np.zeros(2), np.ones(2), 0)


def test_compiled_shuffle_is_uniform():
    """Over 6,000 seeds, each of 6 distinct pairs comes first equally often, and so does each
    position of pair 0 (chi-square, p > 0.001)."""
    from scipy.stats import chisquare

    tokens, docs, radii = np.arange(6), np.array([0, 0, 1, 1, 2, 2]), np.ones(6, dtype=np.int64)  # 3 docs of 2
    pairs = sorted(zip(*(a.tolist() for a in sampling.shuffled_skipgram_pairs(tokens, docs, radii, 0))))
    assert len(pairs) == len(set(pairs)) == 6
    first, where = np.zeros(6), np.zeros(6)
    for seed in range(6000):
        order = list(zip(*(a.tolist() for a in sampling.shuffled_skipgram_pairs(tokens, docs, radii, seed))))
        first[pairs.index(order[0])] += 1
        where[order.index(pairs[0])] += 1
    assert chisquare(first).pvalue > 1e-3 and chisquare(where).pvalue > 1e-3


def test_cbow_contexts_match_a_loop(tdevice, rng):
    device = torch_device(tdevice)
    tokens, docs, radii = _random_stream(rng, 150, 9, 3)
    centres, context, mask = sampling.cbow_contexts(
        *(torch.as_tensor(a, device=device) for a in (tokens, docs, radii)), 3
    )
    got = sorted((c, sorted(ctx[m].tolist())) for c, ctx, m in zip(centres.tolist(), context.cpu(), mask.cpu()))
    expected = []
    for i in range(len(tokens)):
        ctx = [
            tokens[i + j]
            for j in range(-radii[i], radii[i] + 1)
            if j != 0 and 0 <= i + j < len(tokens) and docs[i + j] == docs[i]
        ]
        if ctx:
            expected.append((tokens[i], sorted(ctx)))
    assert got == sorted(expected)


def test_compiled_cbow_examples_are_the_cbow_contexts(rng):
    tokens, docs, radii = _random_stream(rng, 150, 9, 3)
    centres, context, mask = sampling.cbow_contexts(*(torch.as_tensor(a) for a in (tokens, docs, radii)), 3)
    expected = sorted((c, ctx[m].tolist()) for c, ctx, m in zip(centres.tolist(), context, mask))  # offset order
    flat_centres, flat_context, ptr = sampling.shuffled_cbow_examples(tokens, docs, radii, seed=4)
    got = [(c, flat_context[ptr[i] : ptr[i + 1]].tolist()) for i, c in enumerate(flat_centres.tolist())]
    assert sorted(got) == expected
    assert got != sorted(got)  # shuffled
    again = sampling.shuffled_cbow_examples(tokens, docs, radii, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(again, (flat_centres, flat_context, ptr)))
    empty = sampling.shuffled_cbow_examples(np.arange(1), np.zeros(1), np.ones(1), seed=0)
    assert [a.tolist() for a in empty] == [[], [], [0]]


def test_task_seed_is_stable_and_distinct():
    assert task_seed(0, 1, 2) == task_seed(0, 1, 2)
    assert len({task_seed(0, 1, 2), task_seed(0, 2, 1), task_seed(1, 1, 2), task_seed(0, -1)}) == 4
    assert 0 <= task_seed(5, -1) < 2**63


def test_torch_device_rejects_unknown_names():
    with pytest.raises(InvalidParameterError, match="device"):
        torch_device("tpu")
    assert torch_device("cpu").type == "cpu"
