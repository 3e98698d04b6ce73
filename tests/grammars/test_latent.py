"""Latent-variable model: exact joint, closed-form circulant spectrum, sampling converges to it."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.geometry.symmetry import eigen_embed
from cooc.grammars._exact import pair_histogram
from cooc.grammars.latent import LatentVariableModel, circulant_eigenvalues, fourier_modes
from cooc.spectral.blocks import target_block
from cooc.spectral.targets import Target

from ._helpers import assert_within_standard_errors


@pytest.mark.parametrize("n", [5, 12, 7, 8])
def test_fourier_modes_orthonormal_and_diagonalise_circulants(n, rng):
    U = fourier_modes(n)
    np.testing.assert_allclose(U.T @ U, np.eye(n), atol=1e-12)
    row = rng.random(n)
    row[1:] = (row[1:] + row[1:][::-1]) / 2  # symmetric circulant: c_j = c_{n-j}
    C = np.stack([np.roll(row, i) for i in range(n)])
    lam = circulant_eigenvalues(row)
    np.testing.assert_allclose(C @ U, U * lam, atol=1e-12)


def test_exact_joint_is_a_distribution_with_unigram_marginals():
    model = LatentVariableModel(12, "circle", scale=1.5, n_fillers=10, latent_fraction=0.4)
    J = model.joint()
    assert J.shape == (22, 22)
    np.testing.assert_allclose(J, J.T, atol=1e-15)
    np.testing.assert_allclose(J.sum(), 1.0)
    np.testing.assert_allclose(J.sum(axis=1), model.unigram(), atol=1e-15)
    p = model.unigram()
    np.testing.assert_allclose(p[:12].sum(), 0.4)
    # fillers are independent of everything: their PMI is exactly 0
    np.testing.assert_allclose(J[12:, :] / np.outer(p[12:], p), 1.0, rtol=1e-12)


def test_circle_block_depends_only_on_circular_distance_and_has_fourier_eigenvectors():
    model = LatentVariableModel(12, "circle", scale=2.0, n_fillers=5)
    assert model.is_circulant()
    d = model.word_distances()
    for target in ("joint", "m", "pmi"):
        block = model.latent_block(target)
        for k in range(7):
            values = block[np.isclose(d, k)]
            np.testing.assert_allclose(values, values[0], rtol=1e-12)
        lam, U = model.circulant_spectrum(target)
        np.testing.assert_allclose(block @ U, U * lam, atol=1e-13)
        np.testing.assert_allclose(np.sort(lam), np.linalg.eigvalsh(block), atol=1e-12)
    # the kernel decays: nearer months co-occur more
    row = model.latent_block("pmi")[0]
    assert np.all(np.diff(row[:7]) < 0)


def test_states_on_a_finer_grid_keep_translation_symmetry():
    model = LatentVariableModel(6, "circle", states=np.arange(18) / 3.0, scale=0.7, n_fillers=3)
    assert model.is_circulant()
    lam, U = model.circulant_spectrum("joint")
    np.testing.assert_allclose(model.latent_block("joint") @ U, U * lam, atol=1e-14)


def test_exact_cooccurrence_gives_the_same_pmi_through_target():
    model = LatentVariableModel(7, "circle", scale=1.0, n_fillers=4, latent_fraction=0.6)
    pmi = Target("pmi", output="dense").fit(model.exact_cooccurrence()).matrix_
    np.testing.assert_allclose(pmi[:7, :7], model.latent_block("pmi"), atol=1e-12)


def test_exact_counts_are_exactly_symmetric_so_every_target_block_decomposes():
    # p^T diag(q) p in floating point is symmetric to round-off only; blocks of words near
    # independence (entries ~1e-16) were then refused by the eigensolvers' symmetry check
    positions = np.concatenate([np.arange(12.0), np.arange(12) + 1 / 3])
    model = LatentVariableModel.root_kernel(24, "circle", positions=positions, period=12.0, scale=2.0, n_fillers=30)
    counts = model.exact_cooccurrence().counts
    assert (counts != counts.T).nnz == 0
    fillers = [w for w in model.words if w.startswith("f")][:10]
    block = target_block(model.exact_cooccurrence(), fillers, "mstar")
    assert np.abs(block).max() < 1e-14 and np.array_equal(block, block.T)
    eigen_embed(block, 3)  # refused before: not symmetric at 1e-16


def test_line_and_plane_geometries():
    line = LatentVariableModel(20, "line", scale=3.0, n_fillers=0, latent_fraction=1.0)
    block = line.latent_block("joint")
    np.testing.assert_allclose(block, block.T)
    assert block[10, 11] > block[10, 14] > block[10, 19]
    assert not line.is_circulant()
    places = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 4.0]])
    plane = LatentVariableModel(3, "plane", positions=places, kernel="gaussian", scale=2.0, n_fillers=2)
    np.testing.assert_allclose(plane.word_distances()[0], [0.0, 1.0, 5.0])
    pmi = plane.latent_block("pmi")
    assert pmi[0, 1] > pmi[0, 2]
    custom = LatentVariableModel(5, "circle", kernel=lambda d: 1.0 / (1.0 + d), n_fillers=1)
    np.testing.assert_allclose(
        custom.emission[0], (1 / (1 + np.array([0, 1, 2, 2, 1]))) / np.sum(1 / (1 + np.array([0, 1, 2, 2, 1])))
    )


def test_sampled_cooccurrence_converges_to_the_exact_joint():
    model = LatentVariableModel(8, "circle", scale=1.2, n_fillers=6, latent_fraction=0.5, doc_length=6)
    J, V = model.joint(), model.vocab_size
    groups, window_groups = [], []
    for g in range(40):
        tokens, states = model.sample(1500, seed=1000 + g)
        assert tokens.shape == (1500, 6) and tokens.dtype == np.int32 and states.max() < 8
        H = pair_histogram(tokens, V)
        groups.append(H / H.sum())
        W = pair_histogram(tokens, V, lags=[1, 2])  # any window sees the same joint
        window_groups.append(W / W.sum())
    assert_within_standard_errors(np.stack(groups), J)
    assert_within_standard_errors(np.stack(window_groups), J)
    assert np.abs(np.mean(groups, axis=0) - J).max() < 0.05 * J.max()


def test_sampling_is_reproducible_and_states_uniform():
    model = LatentVariableModel(12, "circle", n_fillers=3)
    a, sa = model.sample(3000, seed=4)
    b, sb = model.sample(3000, seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sa, sb)
    counts = np.bincount(sa, minlength=12)
    assert np.abs(counts - 250).max() < 6 * np.sqrt(250)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(latent_fraction=0.0), "'latent_fraction' must be a number in \\(0, 1\\]"),
        (dict(n_fillers=0, latent_fraction=0.5), "n_fillers = 0 needs latent_fraction = 1"),
        (dict(geometry="torus"), "'geometry' must be one of"),
        (dict(kernel="cauchy"), "'kernel' must be one of"),
        (dict(doc_length=1), "'doc_length' must be an integer in \\[2, inf\\)"),
        (dict(positions=np.zeros((12, 2))), "'positions' must be finite with shape \\(n,\\)"),
        (dict(words=["a", "b"]), "must name 12 latent words"),
        (dict(scale=1e-4, states=np.array([0.5])), "zero kernel weight"),
    ],
)
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        LatentVariableModel(12, **kwargs)


# -- the root-kernel model: M* is the target kernel itself ---------------------------------------------
def _mstar(model: LatentVariableModel) -> np.ndarray:
    return Target("mstar", output="dense").fit(model.exact_cooccurrence()).matrix_[: model.n_words, : model.n_words]


def test_root_kernel_line_model_has_the_target_kernel_as_its_mstar_block():
    years = np.arange(1900, 2021)
    model = LatentVariableModel.root_kernel(
        geometry="line", positions=years, scale=5.0, amp=0.5, words=[str(y) for y in years], n_fillers=20
    )
    kernel = 0.5 * np.exp(-np.abs(years[:, None] - years[None, :]) / 5.0) + model.mstar_offset
    np.testing.assert_allclose(model.target_mstar, kernel, rtol=0, atol=1e-15)
    np.testing.assert_allclose(_mstar(model), kernel, rtol=0, atol=1e-12)  # to rounding, diagonal included
    assert -0.1 < model.mstar_offset < 0  # the one offset that admits a latent law
    # an open line: the boundary years are the most frequent ones; the law is symmetric about the middle
    p = model.unigram()[:121]
    np.testing.assert_allclose(p, p[::-1], rtol=1e-9)
    assert p[0] > 3 * p[60] and model.params()["kernel"] == "root-kernel"


def test_root_kernel_circle_is_circulant_with_uniform_words():
    model = LatentVariableModel.root_kernel(12, "circle", scale=2.0, amp=0.5, n_fillers=5)
    x = np.minimum(np.arange(12), 12 - np.arange(12))
    row = 0.5 * sum(np.exp(-np.abs(x - 12 * n) / 2.0) for n in range(-2, 3)) + model.mstar_offset
    np.testing.assert_allclose(_mstar(model)[0], row, atol=1e-13)
    assert model.is_circulant()
    np.testing.assert_allclose(model.unigram()[:12], model.latent_fraction / 12, rtol=1e-12)
    np.testing.assert_allclose(model.state_probs, 1 / 12, rtol=1e-12)


def test_root_kernel_plane_grid_and_refusals():
    grid = np.arange(8) / 7
    points = np.array([(a, b) for a in grid for b in grid])
    model = LatentVariableModel.root_kernel(geometry="plane", positions=points, scale=0.15, amp=0.5, n_fillers=3)
    d = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(_mstar(model), 0.5 * np.exp(-d / 0.15) + model.mstar_offset, atol=1e-12)
    with pytest.raises(InvalidParameterError, match="root_kernel"):  # far too wide for an 8 x 8 grid
        LatentVariableModel.root_kernel(geometry="plane", positions=points, scale=1.0, amp=0.5)
    with pytest.raises(InvalidParameterError, match="'amp' must be a number in \\(0, 2\\)"):
        LatentVariableModel.root_kernel(12, "circle", amp=2.5)


def test_state_weights_drive_sampling_and_the_exact_joint():
    weights = np.array([4.0, 1, 1, 1, 1, 1, 1, 2])
    model = LatentVariableModel(8, "circle", scale=1.0, n_fillers=2, state_weights=weights)
    np.testing.assert_allclose(model.state_probs, weights / 12)
    assert not model.is_circulant()
    p = model.word_given_state()
    np.testing.assert_allclose(model.joint(), sum(w / 12 * np.outer(p[z], p[z]) for z, w in enumerate(weights)))
    _, states = model.sample(24000, seed=0)
    counts = np.bincount(states, minlength=8)
    expected = 24000 * weights / 12
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    with pytest.raises(InvalidParameterError, match="'state_weights' must be 8 finite non-negative"):
        LatentVariableModel(8, "circle", state_weights=np.ones(3))
    with pytest.raises(InvalidParameterError, match="'emission' must hold finite non-negative"):
        LatentVariableModel(8, "circle", emission=-np.ones((8, 8)))
