"""Sparse RHM: positions, empties, placement laws, parser, tensors."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.srhm import SparseRandomHierarchyModel


@pytest.mark.parametrize("sparsity", ["a", "b"])
@pytest.mark.parametrize("s, s0, L", [(2, 1, 2), (2, 2, 3), (3, 1, 2)])
def test_sparse_sentences_embed_the_dense_ones(sparsity, s, s0, L, rng):
    model = SparseRandomHierarchyModel(v=8, n_c=4, m=2, s=s, L=L, s0=s0, sparsity=sparsity, rule_seed=1)
    assert model.n_positions == (s * (s0 + 1)) ** L
    sample = model.sample(500, seed=rng)
    tokens = sample.tokens
    assert tokens.shape == (500, model.n_positions)
    informative = tokens != model.empty
    np.testing.assert_array_equal(informative.sum(axis=1), s**L)
    # the informative tokens, read left to right, are the dense RHM sentence
    dense = np.stack([row[mask] for row, mask in zip(tokens, informative)])
    np.testing.assert_array_equal(dense, sample.rhm.tokens)
    np.testing.assert_array_equal(np.take_along_axis(tokens, sample.positions[-1], axis=1), sample.rhm.tokens)
    parsed = model.parse(tokens)
    assert parsed.valid.all()
    np.testing.assert_array_equal(parsed.labels, sample.labels)


def test_placement_a_is_one_informative_symbol_per_block_uniformly():
    model = SparseRandomHierarchyModel(v=8, n_c=4, m=2, s=2, L=1, s0=2, sparsity="a")
    sample = model.sample(30000, seed=0)
    blocks = (sample.tokens != model.empty).reshape(-1, 2, 3)
    np.testing.assert_array_equal(blocks.sum(axis=2), 1)
    freq = blocks.mean(axis=0)
    assert np.abs(freq - 1 / 3).max() < 5 * np.sqrt((1 / 3) * (2 / 3) / 30000)


def test_placement_b_uses_every_ordered_subset_uniformly():
    model = SparseRandomHierarchyModel(v=8, n_c=4, m=2, s=2, L=1, s0=1, sparsity="b")
    sample = model.sample(30000, seed=0)
    pos = sample.positions[-1]
    assert (pos[:, 0] < pos[:, 1]).all()
    codes = pos[:, 0] * 4 + pos[:, 1]
    counts = np.bincount(codes, minlength=16)[[1, 2, 3, 6, 7, 11]]  # the 6 ordered pairs of 4 slots
    assert counts.sum() == 30000
    assert np.abs(counts - 5000).max() < 5 * np.sqrt(5000)


def test_positions_compose_level_by_level():
    model = SparseRandomHierarchyModel(v=6, n_c=3, m=2, s=2, L=3, s0=1, rule_seed=0)
    sample = model.sample(50, seed=2)
    for l in range(1, 4):
        parent = np.repeat(sample.positions[l - 1], 2, axis=1)
        offset = sample.positions[l] - parent * model.block
        assert ((offset >= 0) & (offset < model.block)).all()


def test_one_hot_has_zero_columns_at_empty_positions():
    model = SparseRandomHierarchyModel(v=5, n_c=2, m=2, s=2, L=2, s0=1)
    sample = model.sample(20, seed=0)
    x = sample.one_hot()
    assert x.shape == (20, 5, 16)
    np.testing.assert_array_equal(x.sum(axis=1), (sample.tokens != 5).astype(np.float32))
    informative = sample.tokens != 5
    np.testing.assert_array_equal(x.argmax(axis=1)[informative], sample.tokens[informative])
    assert sample.ids().dtype == np.int64 and len(sample[:7]) == 7


def test_parser_rejects_wrong_counts_and_bad_parameters():
    model = SparseRandomHierarchyModel(v=5, n_c=2, m=2, s=2, L=1, s0=1)
    good = model.sample(3, seed=0).tokens
    broken = good.copy()
    broken[:, :] = model.empty
    assert not model.parse(broken).valid.any()
    with pytest.raises(InvalidParameterError, match="'s0' must be an integer in \\[0, inf\\)"):
        SparseRandomHierarchyModel(v=5, n_c=2, m=2, s=2, L=1, s0=-1)
    with pytest.raises(InvalidParameterError, match="'sparsity' must be one of"):
        SparseRandomHierarchyModel(v=5, n_c=2, m=2, s=2, L=1, sparsity="c")
    with pytest.raises(InvalidParameterError, match="m = 6 exceeds"):
        SparseRandomHierarchyModel(v=5, n_c=2, m=6, s=2, L=1)


def test_s0_zero_is_the_dense_rhm():
    model = SparseRandomHierarchyModel(v=6, n_c=3, m=2, s=2, L=3, s0=0)
    sample = model.sample(100, seed=1)
    np.testing.assert_array_equal(sample.tokens, sample.rhm.tokens)


def test_device_parity(device):
    """Sparse sentences sampled on every backend embed valid RHM sentences; parsing agrees with the CPU."""
    from cooc._core.device import to_numpy

    model = SparseRandomHierarchyModel(v=8, n_c=4, m=2, s=2, L=3, s0=1, sparsity="b", rule_seed=3)
    sample = model.sample(4000, seed=1, device=device)
    tokens = to_numpy(sample.tokens)
    assert ((tokens != model.empty).sum(axis=1) == 8).all()
    parsed = model.parse(sample.tokens)
    assert bool(parsed.valid.all())
    np.testing.assert_array_equal(to_numpy(parsed.labels), to_numpy(sample.labels))
    np.testing.assert_array_equal(model.parse(tokens).labels, to_numpy(sample.labels))
    assert to_numpy(sample.one_hot()).sum() == 4000 * 8


def test_integer_index_wraps_negatives_and_refuses_out_of_range():
    model = SparseRandomHierarchyModel(v=5, n_c=2, m=2, s=2, L=2, s0=1)
    sample = model.sample(5, seed=0)
    for i in range(-5, 5):
        row = sample[i]
        assert len(row) == 1 and row.tokens.shape == (1, 16) and len(row.rhm) == 1
        np.testing.assert_array_equal(row.tokens, sample.tokens[[i % 5]])
        np.testing.assert_array_equal(row.labels, sample.labels[[i % 5]])
        np.testing.assert_array_equal(row.positions[-1], sample.positions[-1][[i % 5]])
    for i in (5, -6):
        with pytest.raises(IndexError, match="out of range"):
            sample[i]


@pytest.mark.parametrize("sparsity, producible", [("a", 64), ("b", 216)])
def test_parse_accepts_exactly_the_producible_strings(sparsity, producible):
    """Brute force: every placement of the one sentence against every string holding its tokens in order."""
    import itertools

    model = SparseRandomHierarchyModel(v=2, n_c=1, m=1, s=2, L=2, s0=1, sparsity=sparsity, rule_seed=0)
    base = model.rhm.enumerate()  # n_c = m = 1: a single dense sentence
    width = model.s0 + 1
    if sparsity == "a":
        node = [tuple(k * width + j for k, j in enumerate(js)) for js in itertools.product(range(width), repeat=2)]
    else:
        node = list(itertools.combinations(range(model.block), 2))
    truth = set()
    for root, left, right in itertools.product(node, repeat=3):
        truth.add(tuple(model.arrange(base, [np.array([[root]]), np.array([[left, right]])]).tokens[0].tolist()))
    assert len(truth) == producible
    strings = []
    for where in itertools.combinations(range(model.n_positions), 4):
        row = np.full(model.n_positions, model.empty)
        row[list(where)] = base.tokens[0]
        strings.append(row)
    strings = np.array(strings)
    assert len(strings) == 1820
    parsed = model.parse(strings)
    expected = np.array([tuple(row.tolist()) in truth for row in strings])
    np.testing.assert_array_equal(parsed.valid, expected)
    assert parsed.valid.sum() == producible


@pytest.mark.parametrize("sparsity", ["a", "b"])
def test_parse_checks_the_placement_of_sampled_sentences(sparsity):
    """The same dense sentences laid out at fixed places: valid exactly where the placement rule allows."""
    model = SparseRandomHierarchyModel(v=8, n_c=4, m=2, s=2, L=2, s0=1, sparsity=sparsity, rule_seed=1)
    sample = model.sample(200, seed=3)
    assert model.parse(sample.tokens).valid.all()
    layouts = {
        (0, 1, 2, 3): False,  # both level-1 nodes in one block
        (0, 2, 4, 6): sparsity == "b",  # the second level-1 node at offset 1 of the root block: not its own slot
        (0, 2, 8, 10): True,
        (1, 3, 12, 14): True,
        (0, 4, 8, 12): False,  # siblings in different blocks
    }
    for where, allowed in layouts.items():
        tokens = np.full_like(sample.tokens, model.empty)
        tokens[:, list(where)] = sample.rhm.tokens
        parsed = model.parse(tokens)
        assert (parsed.valid == allowed).all(), where
        if allowed:
            np.testing.assert_array_equal(parsed.labels, sample.labels)


def _arrange_model_and_base():
    model = SparseRandomHierarchyModel(v=3, n_c=2, m=3, s=2, L=2, s0=1)
    return model, model.rhm.sample(2, seed=0)


@pytest.mark.parametrize(
    "offsets, message",
    [
        # colliding children would overwrite each other's token
        (
            [np.zeros((2, 1, 2), dtype=np.int64), np.zeros((2, 2, 2), dtype=np.int64)],
            "offsets\\[0\\] must be strictly.*got \\[0, 0\\] at row 0, node 0",
        ),
        ([np.array([[[1, 0]]] * 2), np.array([[[0, 1], [2, 3]]] * 2)], "offsets\\[0\\] must be strictly ascending"),
        # negative offsets wrapped around to the end of the sentence
        (
            [-np.ones((2, 1, 2), dtype=np.int64), np.array([[[0, 1], [2, 3]]] * 2)],
            "offsets\\[0\\] must lie in \\[0, 4\\)",
        ),
        # offsets past the block raised a raw IndexError (or landed in the next block)
        ([np.full((2, 1, 2), 7), np.full((2, 2, 2), 7)], "offsets\\[0\\] must lie in \\[0, 4\\)"),
        ([np.array([[[0, 1]]] * 2), np.array([[[0, 4], [1, 2]]] * 2)], "offsets\\[1\\] must lie in \\[0, 4\\)"),
        ([np.array([[[0, 1]]] * 2)], "parameter 'offsets' must hold L = 2 arrays \\(one per level\\), got 1\\."),
        ([np.array([[[0, 1]]]), np.array([[[0, 1], [2, 3]]] * 2)], "offsets\\[0\\] must have shape \\(2, 1, 2\\)"),
        ([np.array([[[0.0, 1.0]]] * 2), np.array([[[0, 1], [2, 3]]] * 2)], "offsets\\[0\\] must be an integer array"),
    ],
)
def test_arrange_refuses_offsets_that_are_not_a_placement(offsets, message):
    model, base = _arrange_model_and_base()
    with pytest.raises(InvalidParameterError, match="^arrange: parameter 'offsets'"):
        model.arrange(base, offsets)
    with pytest.raises(InvalidParameterError, match=message):
        model.arrange(base, offsets)


def test_arrange_places_the_tokens_where_the_offsets_say():
    model, base = _arrange_model_and_base()
    out = model.arrange(base, [np.array([[[1, 3]]] * 2), np.array([[[0, 2], [1, 3]]] * 2)])
    # root children in blocks 1 and 3 of 4 positions: tokens at 4 + (0, 2) and 12 + (1, 3)
    expected = np.full((2, 16), model.empty)
    expected[:, [4, 6, 13, 15]] = base.tokens
    np.testing.assert_array_equal(out.tokens, expected)
    assert model.parse(out.tokens).valid.all()


def test_srhm_parse_and_sample_refuse_bad_tokens_and_seeds():
    model, base = _arrange_model_and_base()
    tokens = model.sample(2, seed=0).tokens
    with pytest.raises(InvalidParameterError, match="parse: parameter 'tokens' must be an integer array, got float64"):
        model.parse(tokens.astype(np.float64) + 0.5)
    with pytest.raises(InvalidParameterError, match="sample: parameter 'seed' must be a non-negative integer"):
        model.sample(2, seed=-1)


def test_sparse_sentences_longer_than_the_token_bound_are_refused():
    """Only the dense s**L was bounded: (s (s0 + 1))**L positions escaped MAX_TOKENS (numpy's own error beyond)."""
    import time

    from cooc.grammars.rhm import MAX_TOKENS
    from cooc.grammars.source import make_grammar, parse_grammar_spec

    start = time.perf_counter()
    for s0, L, n in ((2, 10, 6**10), (1000, 10, 2002**10), (1, 11, 4**11)):
        with pytest.raises(
            InvalidParameterError, match=rf"n_positions = \(s \(s0 \+ 1\)\)\*\*L = {2 * (s0 + 1)}\*\*{L} = {n:,}"
        ):
            SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=L, s0=s0)
    with pytest.raises(InvalidParameterError, match="at most 1,048,576 are allowed"):
        make_grammar(*parse_grammar_spec("srhm:v=4,n_c=2,m=2,s=2,L=10,s0=2"))
    with pytest.raises(InvalidParameterError, match=r"n_positions = \(s \(s0 \+ 1\)\)\*\*L > 1,048,576"):
        SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=20, s0=10**300)  # no float, no number of 6,000 digits
    assert time.perf_counter() - start < 5
    assert SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=10, s0=1).n_positions == MAX_TOKENS  # the bound itself
    assert SparseRandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=3, s0=2).n_positions == 216
