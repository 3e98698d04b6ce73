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
    # shuffled words: the profile flattens to the mean entry, far below the nearest pairs
    assert np.ptp(p.null_mean) < 0.25 * np.ptp(p.mean)
    assert prof.n_pairs == 31 * 30 // 2 and set(prof.as_dict()) >= {"p", "mstar", "words", "pairs"}
    # M* falls with distance too (it also depends on depths: pairs at one distance differ)
    assert np.all(np.diff(prof.profiles["mstar"].mean) < 0)
    with pytest.raises(InputDataError, match="tree_profile"):
        tree_profile(cooc, model.words[:5], model.parents)
