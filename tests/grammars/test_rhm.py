"""Random Hierarchy Model: rules, P_max, index bijection, parser, sampling, tensors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cooc._core.device import to_numpy
from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel, as_torch, production_probabilities

TINY = [dict(v=3, n_c=2, m=2, s=2, L=2), dict(v=2, n_c=2, m=2, s=3, L=2), dict(v=4, n_c=3, m=3, s=2, L=3)]


def reference_sentences(model: RandomHierarchyModel) -> set[tuple[int, ...]]:
    """Every sentence by plain recursion over the rules (independent of the vectorised code)."""

    def expand(level: int, symbol: int) -> list[tuple[int, ...]]:
        if level == model.L:
            return [(symbol,)]
        out = []
        for children in model.rules[level][symbol]:
            for parts in itertools.product(*(expand(level + 1, int(c)) for c in children)):
                out.append(sum(parts, ()))
        return out

    return {sent for c in range(model.n_c) for sent in expand(0, c)}


def reference_expand(model: RandomHierarchyModel, label: int, choices: list[np.ndarray]) -> list[int]:
    """One sentence from its class and per-node choices, with Python loops."""
    current = [label]
    for l in range(model.L):
        current = [int(c) for j, sym in enumerate(current) for c in model.rules[l][sym][choices[l][j]]]
    return current


@pytest.mark.parametrize("params", TINY + [dict(v=32, n_c=32, m=8, s=2, L=3), dict(v=300, n_c=5, m=20, s=2, L=2)])
def test_rules_have_no_repeated_tuple(params):
    model = RandomHierarchyModel(**params, rule_seed=7)
    assert model.rules[0].shape == (params["n_c"], params["m"], params["s"])
    for level, rules in enumerate(model.rules):
        tuples = rules.reshape(-1, model.s)
        assert tuples.min() >= 0 and tuples.max() < model.v
        assert len({tuple(t) for t in tuples.tolist()}) == tuples.shape[0], f"level {level} repeats a tuple"
        if level:
            assert rules.shape == (model.v, model.m, model.s)


def test_rules_depend_only_on_rule_seed_and_level():
    a = RandomHierarchyModel(v=8, n_c=4, m=3, s=2, L=2, rule_seed=3)
    b = RandomHierarchyModel(v=8, n_c=4, m=3, s=2, L=4, rule_seed=3)
    c = RandomHierarchyModel(v=8, n_c=4, m=3, s=2, L=2, rule_seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a.rules, b.rules))
    assert not np.array_equal(a.rules[0], c.rules[0])


@pytest.mark.parametrize("params", TINY)
def test_p_max_matches_enumeration(params):
    model = RandomHierarchyModel(**params, rule_seed=1)
    reference = reference_sentences(model)
    assert model.P_max == params["n_c"] * params["m"] ** ((params["s"] ** params["L"] - 1) // (params["s"] - 1))
    assert len(reference) == model.P_max
    everything = model.enumerate()
    assert {tuple(row) for row in everything.tokens.tolist()} == reference


@pytest.mark.parametrize("params", TINY)
def test_distinct_indices_are_a_bijection(params):
    model = RandomHierarchyModel(**params, rule_seed=2)
    everything = model.enumerate()
    assert len(np.unique(everything.tokens, axis=0)) == model.P_max
    np.testing.assert_array_equal(model.indices_of(everything), np.arange(model.P_max))
    drawn = model.sample(model.P_max, seed=5, distinct=True)
    assert len(np.unique(drawn.tokens, axis=0)) == model.P_max
    assert sorted(model.indices_of(drawn).tolist()) == list(range(model.P_max))


def test_index_digit_order_class_first():
    model = RandomHierarchyModel(v=4, n_c=3, m=2, s=2, L=2, rule_seed=0)
    per_class = model.P_max // model.n_c
    sample = model.from_indices(np.array([0, per_class - 1, per_class, model.P_max - 1]))
    np.testing.assert_array_equal(sample.labels, [0, 0, 1, 2])
    np.testing.assert_array_equal(sample.choices[0][:, 0], [0, 1, 0, 1])
    np.testing.assert_array_equal(sample.choices[1][1], [1, 1])


@pytest.mark.parametrize(
    "params", [dict(v=32, n_c=32, m=8, s=2, L=3), dict(v=6, n_c=4, m=5, s=3, L=2), dict(v=300, n_c=5, m=20, s=2, L=2)]
)
def test_vectorised_sampling_matches_reference_expansion(params, rng):
    model = RandomHierarchyModel(**params, rule_seed=int(rng.integers(100)))
    sample = model.sample(50, seed=rng)
    for p in range(len(sample)):
        choices = [c[p] for c in sample.choices]
        assert sample.tokens[p].tolist() == reference_expand(model, int(sample.labels[p]), choices)


@pytest.mark.parametrize(
    "params", [dict(v=32, n_c=32, m=8, s=2, L=3), dict(v=6, n_c=4, m=5, s=3, L=2), dict(v=300, n_c=5, m=20, s=2, L=2)]
)
def test_parser_inverts_sampling(params, rng):
    model = RandomHierarchyModel(**params, rule_seed=int(rng.integers(100)))
    sample = model.sample(2000, seed=rng)
    parsed = model.parse(sample.tokens)
    assert parsed.valid.all()
    for l in range(model.L + 1):
        np.testing.assert_array_equal(parsed.levels[l], sample.levels[l])
    for l in range(model.L):
        np.testing.assert_array_equal(parsed.choices[l], sample.choices[l])


def test_parser_rejects_exactly_the_non_sentences(rng):
    model = RandomHierarchyModel(v=3, n_c=2, m=2, s=2, L=2, rule_seed=4)
    sentences = reference_sentences(model)
    strings = np.array(list(itertools.product(range(3), repeat=4)))
    parsed = model.parse(strings)
    expected = np.array([tuple(s) in sentences for s in strings.tolist()])
    np.testing.assert_array_equal(parsed.valid, expected)
    assert (parsed.labels[~expected] == -1).all()
    out_of_range = model.parse(np.array([[0, 1, 2, 7], [-1, 0, 0, 0]]))
    assert not out_of_range.valid.any()


def test_dense_and_binary_search_parsers_agree(rng):
    model = RandomHierarchyModel(v=12, n_c=6, m=5, s=3, L=2, rule_seed=int(rng.integers(100)))
    searching = RandomHierarchyModel(v=12, n_c=6, m=5, s=3, L=2, rule_seed=model.rule_seed)
    searching.DENSE_LOOKUP_LIMIT = 0
    strings = np.concatenate(
        [
            model.sample(3000, seed=rng).tokens.astype(np.int64),
            rng.integers(0, 12, size=(3000, 9)),
            rng.integers(-2, 14, size=(500, 9)),
        ]
    )
    a, b = model.parse(strings), searching.parse(strings)
    assert searching._parsers["numpy"][0][0] == "sorted" and model._parsers["numpy"][0][0] == "dense"
    np.testing.assert_array_equal(a.valid, b.valid)
    assert (
        a.valid[:3000].all()
        and not a.valid[6000:][(strings[6000:] < 0).any(axis=1) | (strings[6000:] > 11).any(axis=1)].any()
    )
    for l in range(model.L + 1):
        np.testing.assert_array_equal(a.levels[l], b.levels[l])
    for l in range(model.L):
        np.testing.assert_array_equal(a.choices[l], b.choices[l])


def test_uniform_sampling_frequencies(rng):
    model = RandomHierarchyModel(v=16, n_c=8, m=4, s=2, L=3, rule_seed=0)
    n = 200_000
    sample = model.sample(n, seed=rng)
    for counts, k, draws in [
        (np.bincount(sample.labels, minlength=8), 8, n),
        (np.bincount(sample.choices[2].ravel(), minlength=4), 4, n * 4),
    ]:
        expected = draws / k
        z = (counts - expected) / np.sqrt(expected * (1 - 1 / k))
        assert np.abs(z).max() < 5


def test_power_law_productions(rng):
    model = RandomHierarchyModel(v=16, n_c=4, m=6, s=2, L=2, a=0.5, rule_seed=0)
    f = production_probabilities(6, 0.5)
    np.testing.assert_allclose(f, np.arange(1, 7) ** -1.5 / np.sum(np.arange(1, 7) ** -1.5))
    sample = model.sample(100_000, seed=rng)
    draws = sample.choices[1].size
    counts = np.bincount(sample.choices[1].ravel(), minlength=6)
    assert np.abs(counts - draws * f).max() < 5 * np.sqrt(draws * f.max())
    distinct = model.sample(200, seed=rng, distinct=True)
    assert len(np.unique(distinct.tokens, axis=0)) == 200 and model.parse(distinct.tokens).valid.all()


def test_distinct_by_rejection_when_p_max_exceeds_int64():
    model = RandomHierarchyModel(v=8, n_c=2, m=4, s=2, L=6)
    assert model.P_max >= 2**63
    sample = model.sample(300, seed=0, distinct=True)
    assert len(np.unique(sample.tokens, axis=0)) == 300 and model.parse(sample.tokens).valid.all()
    with pytest.raises(InvalidParameterError, match="P_max < 2\\*\\*63"):
        model.from_indices(np.array([0]))


def test_same_seed_same_samples():
    model = RandomHierarchyModel(v=10, n_c=3, m=3, s=2, L=3)
    for distinct in (False, True):
        a, b = model.sample(100, seed=9, distinct=distinct), model.sample(100, seed=9, distinct=distinct)
        np.testing.assert_array_equal(a.tokens, b.tokens)


def test_tensors():
    model = RandomHierarchyModel(v=5, n_c=3, m=2, s=2, L=2, rule_seed=0)
    sample = model.sample(40, seed=0)
    one_hot = sample.one_hot()
    assert one_hot.shape == (40, 5, 4) and one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1)
    np.testing.assert_array_equal(one_hot.argmax(axis=1), sample.tokens)
    ids = sample.ids()
    assert ids.dtype == np.int64 and ids.shape == (40, 4)
    context, target = sample.next_token()
    np.testing.assert_array_equal(context, ids[:, :3])
    np.testing.assert_array_equal(target, ids[:, 3])
    latent = sample.latent()
    assert latent.shape == (40, 3)
    np.testing.assert_array_equal(latent[:, 0], sample.labels)
    np.testing.assert_array_equal(latent[:, 1:], sample.levels[1])
    sub = sample[np.arange(40) % 2 == 0]
    assert len(sub) == 20 and np.array_equal(sub.tokens, sample.tokens[::2])
    tensor = as_torch(one_hot)
    assert tuple(tensor.shape) == (40, 5, 4) and float(tensor.sum()) == 40 * 4


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(v=4, n_c=2, m=5, s=2, L=2), "m = 5 exceeds v\\*\\*\\(s-1\\) = 4"),
        (dict(v=2, n_c=5, m=2, s=2, L=2), "n_c\\*m = 10 exceeds v\\*\\*s = 4"),
        (dict(v=4, n_c=2, m=2, s=2, L=0), "'L' must be an integer in \\[1, inf\\)"),
        (dict(v=4, n_c=2, m=2, s=1, L=2), "'s' must be an integer in \\[2, inf\\)"),
        (dict(v=4, n_c=2, m=2, s=2, L=2, a=-0.5), "'a' must be a number"),
        (dict(v=4.0, n_c=2, m=2, s=2, L=2), "'v' must be an integer"),
    ],
)
def test_impossible_parameters_are_refused(bad, message):
    with pytest.raises(InvalidParameterError, match=message):
        RandomHierarchyModel(**bad)


def test_bad_sampling_requests():
    model = RandomHierarchyModel(v=3, n_c=2, m=2, s=2, L=2)
    with pytest.raises(InvalidParameterError, match="'n' must be an integer in \\[1, inf\\)"):
        model.sample(0)
    with pytest.raises(InvalidParameterError, match="only P_max = 16"):
        model.sample(17, distinct=True)
    with pytest.raises(InvalidParameterError, match="lie in \\[0, P_max = 16\\)"):
        model.from_indices(np.array([16]))
    with pytest.raises(InvalidParameterError, match="shape \\(P, 4\\)"):
        model.parse(np.zeros((2, 3), dtype=int))


def test_device_parity(device):
    """Decoding indices and parsing give identical arrays on every backend."""
    model = RandomHierarchyModel(v=16, n_c=8, m=4, s=2, L=3, rule_seed=1)
    host = model.sample(5000, seed=3, distinct=True)
    dev = model.sample(5000, seed=3, distinct=True, device=device)
    np.testing.assert_array_equal(to_numpy(dev.tokens), host.tokens)
    parsed = model.parse(dev.tokens)
    assert bool(parsed.valid.all())
    np.testing.assert_array_equal(to_numpy(parsed.labels), host.labels)
    iid = model.sample(20000, seed=3, device=device)
    assert bool(model.parse(iid.tokens).valid.all())
    np.testing.assert_array_equal(to_numpy(iid.one_hot()).argmax(axis=1), to_numpy(iid.tokens))


def test_a_sample_indexes_like_a_sequence():
    sample = RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2).sample(5, seed=0)
    last = sample[-1]
    assert len(last) == 1 and np.array_equal(last.tokens, sample.tokens[-1:])
    assert np.array_equal(sample[2].labels, sample.labels[2:3])
    assert len(list(sample)) == 5  # iteration stops at the end
    with pytest.raises(IndexError):
        sample[5]


def test_distinct_sentences_by_rejection_come_in_random_order():
    """Found by rejection, distinct sentences appear likely ones first (power-law productions); the sample is
    shuffled, so its first and last rows are alike (before: mean log-likelihood about 2 nats apart) and the
    trees still belong to their sentences."""
    from cooc.grammars.stats import log_likelihood

    model = RandomHierarchyModel(v=8, n_c=8, m=4, s=2, L=2, a=1.0, rule_seed=0)
    gaps = []
    for seed in range(4):
        sample = model.sample(400, seed=seed, distinct=True)
        assert len(np.unique(sample.tokens, axis=0)) == 400 and model.parse(sample.tokens).valid.all()
        np.testing.assert_array_equal(model.parse(sample.tokens).labels, sample.labels)
        ll = log_likelihood(model, np.asarray(sample.tokens))
        gaps.append(float(np.mean(ll[:100]) - np.mean(ll[-100:])))
    assert abs(np.mean(gaps)) < 0.4, gaps


def test_indices_of_refuses_parsed_rows_that_are_not_sentences():
    model = RandomHierarchyModel(v=3, n_c=2, m=3, s=2, L=2)
    good = model.sample(3, seed=0)
    strings = np.concatenate([good.tokens[:1], [[9, 9, 9, 9]], good.tokens[1:], [[0, 0, 0, 2]]]).astype(np.int64)
    parsed = model.parse(strings)
    assert parsed.valid.tolist() == [True, False, True, True, False]  # (0, 0, 0, 2) is not a sentence here
    with pytest.raises(InvalidParameterError, match="2 of the 5 rows of parameter 'sample' are not sentences.*row 1"):
        model.indices_of(parsed)
    # the valid rows keep their index, the one of the sampled sentences
    np.testing.assert_array_equal(model.indices_of(parsed[parsed.valid]), model.indices_of(good))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, bool])
def test_parse_refuses_non_integer_tokens(dtype):
    model = RandomHierarchyModel(v=3, n_c=2, m=3, s=2, L=2)
    with pytest.raises(InvalidParameterError, match="parameter 'tokens' must be an integer array, got"):
        model.parse(np.array([[0.6, 0.2, 1.9, 0.0]]).astype(dtype))
    sentence = model.sample(1, seed=0).tokens
    assert model.parse(sentence.astype(np.int16)).valid.all()  # any integer dtype is read as it is


@pytest.mark.parametrize("distinct", [False, True])
def test_negative_seed_is_refused_with_a_clear_message(distinct):
    model = RandomHierarchyModel(v=3, n_c=2, m=3, s=2, L=2)
    with pytest.raises(
        InvalidParameterError, match="sample: parameter 'seed' must be a non-negative integer.*got -1\\."
    ):
        model.sample(4, seed=-1, distinct=distinct)
    with pytest.raises(InvalidParameterError, match="parameter 'seed'"):
        model.sample(4, seed=np.int64(-3))
    np.testing.assert_array_equal(model.sample(4, seed=0).tokens, model.sample(4, seed=np.int64(0)).tokens)
