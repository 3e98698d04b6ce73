"""Tree distances on parent arrays."""

from __future__ import annotations

import numpy as np

from cooc.geometry.trees import tree_distances
from cooc.grammars.taxonomy import TaxonomyModel


def test_tree_distances_match_the_taxonomy_models_own():
    model = TaxonomyModel(branching=3, depth=3, beta=0.7)
    np.testing.assert_array_equal(tree_distances(model.parents), model.distances)
