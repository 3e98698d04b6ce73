"""Pins of the grammars' definitions that the other tests leave loose (found by mutation testing).

- the RHM's rule counts at their bounds: ``n_c m = v**s`` is drawable, one more is refused with the
  model's own error (docs/science.md, section 6);
- a sentence's index is mixed-radix, the class first (base ``n_c``) and then every production choice
  (base ``m``) level by level, left to right, with ``n_c != m`` so the two bases are told apart;
- symbol ids ``0 .. n`` fit the chosen dtype (one spare id: the sparse RHM's empty symbol ``v``), so a
  sparse RHM with ``v = 256`` keeps its empty symbol apart from the informative ones;
- the ambiguity summary's standard errors: binomial ``sqrt(p (1 - p) / n)`` for the two fractions,
  ``std / sqrt(n)`` for the Bayes error, recomputed from the per-sentence parse counts;
- the covariance floor ``(sqrt(max r) + sqrt(max c)) / sqrt(N)`` takes the row and the column
  marginals (an asymmetric table tells them apart);
- the growth ratio lambda(d) = E C(d) / E C(d - 1) and its delta-method standard error
  ``std(a - r b, ddof=1) / (sqrt(n) mean(b))`` over paired shapes;
- the first moment's summary over shapes: mean, its standard error (ddof=1), median and the share of
  shapes above one expected extra tree, recomputed from :func:`extra_trees` shape by shape;
- the latent-variable model's kernels (``exp(-d / scale)``, ``exp(-(d / scale)**2 / 2)``) and its
  ``p(w | z)``: latent words by the normalised kernel times ``latent_fraction``, fillers by a normalised
  Zipf law times ``1 - latent_fraction``.
"""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars._random import symbol_dtype
from cooc.grammars.first_moment import _ratio_of_means, expected_extra_trees, extra_trees, sample_shapes
from cooc.grammars.langstats.covariance import covariance_floor
from cooc.grammars.latent import LatentVariableModel
from cooc.grammars.parsing import InsideParser, ambiguity
from cooc.grammars.pcfg import VaryingTreeGrammar
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.grammars.srhm import SparseRandomHierarchyModel


def test_rule_counts_at_their_bounds():
    model = RandomHierarchyModel(v=2, n_c=4, m=1, s=2, L=1)  # n_c m = v**s: every pair is a class's
    assert sorted(map(tuple, model.rules[0].reshape(-1, 2).tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    with pytest.raises(InvalidParameterError, match="n_c\\*m = 5 exceeds v\\*\\*s = 4"):
        RandomHierarchyModel(v=2, n_c=5, m=1, s=2, L=1)
    RandomHierarchyModel(v=3, n_c=1, m=3, s=2, L=2)  # m = v**(s-1)
    with pytest.raises(InvalidParameterError, match="m = 4 exceeds"):
        RandomHierarchyModel(v=3, n_c=1, m=4, s=2, L=2)


def test_symbol_dtype_keeps_one_spare_id():
    assert [symbol_dtype(n) for n in (255, 256, 65535, 65536)] == [
        np.dtype(np.uint8),
        np.dtype(np.uint16),
        np.dtype(np.uint16),
        np.dtype(np.int32),
    ]
    model = SparseRandomHierarchyModel(v=256, n_c=2, m=2, s=2, L=1, s0=1)
    sample = model.sample(20, seed=0)
    tokens = np.asarray(sample.tokens).astype(np.int64)
    assert (tokens == 256).sum(axis=1).tolist() == [2] * 20  # s (s0 + 1) - s empties per sentence
    assert bool(np.all(model.parse(sample.tokens).valid))


def test_ambiguity_summary_and_its_standard_errors():
    grammar, n = VaryingTreeGrammar(v=3, f=0.5, L=2, rule_seed=1), 200
    got = ambiguity(grammar, n=n, seed=0)
    parsed = InsideParser(grammar).parse(grammar.sample(n, seed=0))
    trees = parsed.class_parses.sum(axis=1)
    several = (trees > 1).mean()
    classes = ((parsed.class_parses > 0).sum(axis=1) > 1).mean()
    assert 0 < classes < several < 1  # both fractions strictly inside (0, 1): the errors are not 0
    joint = np.exp(parsed.log_joint)
    bayes = 1.0 - joint.max(axis=1) / joint.sum(axis=1)
    expected = {
        "f": 0.5,
        "n": n,
        "fraction": several,
        "fraction_se": np.sqrt(several * (1 - several) / n),
        "class_fraction": classes,
        "class_fraction_se": np.sqrt(classes * (1 - classes) / n),
        "mean_parses": trees.mean(),
        "bayes_error": bayes.mean(),
        "bayes_error_se": bayes.std() / np.sqrt(n),
    }
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


def test_covariance_floor_uses_both_marginals():
    counts = np.array([[6.0, 0.0], [2.0, 2.0]])  # N = 10, rows (0.6, 0.4), columns (0.8, 0.2)
    expected = (np.sqrt(0.6) + np.sqrt(0.8)) / np.sqrt(10.0)
    assert covariance_floor(counts) == pytest.approx(expected, rel=1e-12)
    assert covariance_floor(counts.T) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(covariance_floor(np.zeros((2, 2))))


def test_ratio_of_means_and_its_delta_method_error():
    a, b = np.array([1.0, 3.0, 2.0, 6.0]), np.array([2.0, 2.0, 1.0, 3.0])
    r = 12.0 / 8.0
    residual = a - r * b  # (-2, 0, 0.5, 1.5): mean 0
    se = np.sqrt(np.sum(residual**2) / 3) / (np.sqrt(4) * 2.0)
    assert _ratio_of_means(a, b) == pytest.approx((r, se), rel=1e-12)
    assert np.isnan(_ratio_of_means(a, np.zeros(4))).all()


def test_first_moment_summary_over_shapes():
    L, n, f = 3, 12, 0.6
    values = np.array([extra_trees(shape, f) for shape in sample_shapes(L, n, 0.5, 4)])
    assert 0 < (values > 1).mean() < 1
    got = expected_extra_trees(L, [f], n=n, seed=4, progress=False, threads=1)
    assert got["mean"] == pytest.approx([values.mean()], rel=1e-12)
    assert got["mean_se"] == pytest.approx([np.sqrt(np.sum((values - values.mean()) ** 2) / (n - 1) / n)], rel=1e-12)
    assert got["median"] == pytest.approx([np.median(values)], rel=1e-12)
    assert got["above_one"] == [(values > 1).mean()]


@pytest.mark.parametrize("kernel", ["exponential", "gaussian"])
def test_latent_kernels_and_word_given_state(kernel):
    scale, fraction = 2.0, 0.3
    model = LatentVariableModel(
        5, "line", kernel=kernel, scale=scale, latent_fraction=fraction, n_fillers=4, filler_exponent=1.5
    )
    d = np.array([[0.0, 1.0, 2.0, 3.5]])
    K = np.exp(-d / scale) if kernel == "exponential" else np.exp(-0.5 * (d / scale) ** 2)
    np.testing.assert_allclose(model.kernel_values(d), K, rtol=1e-14)
    states, positions = np.asarray(model.states, dtype=float), np.asarray(model.positions, dtype=float)
    dist = np.abs(states[:, None] - positions[None, :])
    weights = np.exp(-dist / scale) if kernel == "exponential" else np.exp(-0.5 * (dist / scale) ** 2)
    zipf = np.arange(1, 5) ** -1.5
    expected = np.concatenate(
        [
            fraction * weights / weights.sum(axis=1, keepdims=True),
            np.tile((1 - fraction) * zipf / zipf.sum(), (len(states), 1)),
        ],
        axis=1,
    )
    np.testing.assert_allclose(model.word_given_state(), expected, rtol=1e-12)


def test_sentence_index_is_mixed_radix_with_class_base_n_c_and_choice_base_m():
    model = RandomHierarchyModel(v=3, n_c=2, m=3, s=2, L=2, rule_seed=1)
    every = model.enumerate()
    assert len(every) == model.P_max == 2 * 3**3
    np.testing.assert_array_equal(model.indices_of(every), np.arange(model.P_max))
    rng = np.random.default_rng(0)
    labels, choices = rng.integers(0, 2, 6), [rng.integers(0, 3, (6, 1)), rng.integers(0, 3, (6, 2))]
    sample = model.expand(labels, choices)
    expected = ((labels * 3 + choices[0][:, 0]) * 3 + choices[1][:, 0]) * 3 + choices[1][:, 1]
    np.testing.assert_array_equal(model.indices_of(sample), expected)
    back = model.from_indices(expected)
    np.testing.assert_array_equal(np.asarray(back.tokens), np.asarray(sample.tokens))


def test_a_negative_seed_is_refused_by_every_sampler_with_the_project_message():
    from cooc.grammars._random import numpy_rng
    from cooc.grammars.taxonomy import TaxonomyModel

    for draw in (lambda: numpy_rng(-1), lambda: TaxonomyModel(branching=2, depth=2).sample(3, seed=-1)):
        with pytest.raises(InvalidParameterError, match=r"parameter 'seed' must be a non-negative int.*got -1"):
            draw()
    assert numpy_rng(np.int64(3)).integers(100) == np.random.default_rng(3).integers(100)
