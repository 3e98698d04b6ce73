"""Hypernymy experiments: co-occurrence against tree distance on the taxonomy model, where it is exact."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError
from cooc.experiments.hypernymy import tree_profile
from cooc.grammars.taxonomy import TaxonomyModel


def test_adjacent_pairs_follow_alpha_exp_minus_beta_d_exactly():
    model = TaxonomyModel(branching=2, depth=4, beta=0.8, doc_length=10)
    cooc = model.exact_cooccurrence(window=1)  # one-step joint: P_ij = alpha exp(-beta d_ij)
    prof = tree_profile(cooc, model.words, model.parents, n_shuffles=50)
    p = prof.profiles["p"]
    np.testing.assert_array_equal(p.distance, np.arange(1, 9))
    np.testing.assert_allclose(p.mean, model.alpha * np.exp(-0.8 * p.distance), rtol=1e-9)
    assert prof.beta("p") == pytest.approx(0.8, rel=1e-6) and prof.fits["p"].r2 == pytest.approx(1.0)
    assert prof.resolved("p") == 6 and prof.resolved("mstar") == 7  # all but the classes crossing the null
    # shuffled words: the profile flattens to the mean entry, far below the nearest pairs
    assert np.ptp(p.null_mean) < 0.25 * np.ptp(p.mean)
    assert prof.n_pairs == 31 * 30 // 2 and set(prof.as_dict()) >= {"p", "mstar", "words", "pairs"}
    # M* falls with distance too (it also depends on depths: pairs at one distance differ)
    assert np.all(np.diff(prof.profiles["mstar"].mean) < 0)
    with pytest.raises(InputDataError, match="tree_profile"):
        tree_profile(cooc, model.words[:5], model.parents)


def test_a_decay_rate_is_reported_only_where_several_distances_stand_above_the_null():
    from cooc.experiments.hypernymy import MIN_RESOLVED, TreeProfile
    from cooc.geometry.kernels import DistanceProfile, KernelFit

    def profile(mean):
        d = np.arange(1.0, 7.0)
        return DistanceProfile(d, np.array(mean), np.full(6, 10), np.full(6, 1.0), np.full(6, 0.1))

    fit = KernelFit("tree", {"amp": 1.0, "sigma": 0.5}, {"amp": 0.1, "sigma": 0.1}, 0.001, 60)
    step = [2.0, 1.0, 1.0, 0.9, 1.0, 1.0]  # off the null at distance 1 only
    decay = [2.0, 1.6, 1.05, 0.6, 0.5, 0.5]  # z = 10, 6, 0.5, -4, -5, -5
    prof = TreeProfile({"step": profile(step), "decay": profile(decay)}, {"step": fit, "decay": fit}, 7, 60)
    assert prof.resolved("step") == 1 and prof.beta("step") is None
    assert prof.beta_refused("step").startswith("1 distance class(es) differ from the shuffled null by 3 null std")
    assert prof.resolved("decay") == 5 >= MIN_RESOLVED and prof.beta("decay") == 2.0
    assert list(prof.resolved_fits()) == ["decay"]
    d = prof.as_dict()
    assert d["step"]["beta"] is None and d["decay"]["resolved_distances"] == 5 and d["decay"]["beta_refused"] is None
    np.testing.assert_allclose(d["decay"]["z_above_null"], [10, 6, 0.5, -4, -5, -5])


def test_a_profile_rising_with_tree_distance_gets_no_decay_rate():
    # the classes stand off the null (below it near, above it far), but the fit is no decay: M*'s amplitude is
    # negative, P's decay length runs to the fit's bound; neither is a rate beta
    import scipy.sparse as sp

    from cooc.cooccurrence.matrix import Cooccurrence
    from cooc.corpus.vocab import Vocabulary
    from cooc.experiments.hypernymy import MIN_RESOLVED
    from cooc.geometry.trees import tree_distances

    model = TaxonomyModel(branching=2, depth=4, beta=0.8, doc_length=10)
    C = np.exp(0.4 * tree_distances(model.parents))
    np.fill_diagonal(C, 0)
    words = list(model.words)
    rising = Cooccurrence.from_scipy(sp.csr_matrix(np.round(1e6 * C / C.sum())), Vocabulary(words, [10] * len(words)))
    prof = tree_profile(rising, words, model.parents, n_shuffles=50)
    for kind in ("p", "mstar"):
        assert np.all(np.diff(prof.profiles[kind].mean) >= 0) and prof.resolved(kind) >= MIN_RESOLVED
        assert prof.beta(kind) is None and "no decay" in prof.beta_refused(kind)
    assert prof.beta_refused("mstar").startswith("the fitted amplitude")
    assert prof.resolved_fits() == {} and prof.as_dict()["p"]["beta"] is None
