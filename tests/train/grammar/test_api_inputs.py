"""Training calls from a notebook with arguments that used to train the wrong thing or end in a raw error."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.grammars.rhm import RandomHierarchyModel
from cooc.train.grammar.curves import learning_curve
from cooc.train.grammar.ensemble import Pools, ensemble_curve
from cooc.train.grammar.lm import train_lm
from cooc.train.grammar.lm_data import lm_data
from cooc.train.grammar.lm_models import build_lm


@pytest.fixture
def pools():
    rng = np.random.default_rng(0)
    X = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (20, 4))].transpose(0, 2, 1)
    y = rng.integers(0, 2, 20)
    return Pools.from_arrays([X, X], [y, y], n_test=5, n_classes=2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(samples=5), r"parameter 'samples' is a sequence, got 5"),
        (dict(samples=[5], seeds=0), r"parameter 'seeds' is a sequence, got 0"),
        (dict(samples={-1: [5]}), r"'samples' names pools \[-1\], outside 0..1"),  # trained the last pool as -1
        (dict(samples={5: [5]}), r"'samples' names pools \[5\]"),
        (dict(samples=[4.7]), r"training-set sizes are whole numbers, got 4.7"),  # trained as 4
    ],
)
def test_ensemble_curve_refuses_pools_and_sizes_it_cannot_train(pools, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        ensemble_curve(pools, kind="fc", width=4, steps=2, eval_every=1, **kwargs)


def test_learning_curve_refuses_a_count_for_its_seeds_and_fractional_sizes():
    g = RandomHierarchyModel(v=4, n_c=2, m=2, s=2, L=2)
    kw = dict(model="fc", n_test=8, steps=2)
    with pytest.raises(InvalidParameterError, match=r"parameter 'seeds' is a sequence, got 3"):
        learning_curve(g, samples=[4], seeds=3, **kw)
    with pytest.raises(InvalidParameterError, match=r"training-set sizes are whole numbers, got \[4.7\]"):
        learning_curve(g, samples=[4.7], **kw)


def test_lm_learning_curve_refuses_fractional_sizes_and_a_count_for_its_seeds():
    from cooc.train.grammar.lm import lm_learning_curve

    data = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3", None, 40, 5, 5)
    for kw, match in ((dict(samples=[4.7]), r"whole numbers, got \[4.7\]"), (dict(samples=[4], seeds=2), r"'seeds'")):
        with pytest.raises(InvalidParameterError, match=rf"lm_learning_curve: .*{match}"):
            lm_learning_curve(data, model="transformer", steps=2, **kw)


def test_train_lm_refuses_a_checkpoint_interval_of_zero(tmp_path):
    data = lm_data("rhm:v=8,n_c=8,m=2,s=2,L=3", None, 40, 5, 5)
    net = build_lm("transformer", data.vocab_size, data.context, d_model=8, n_heads=2, n_layers=1)
    with pytest.raises(InvalidParameterError, match=r"'checkpoint_every' must be an integer in \[1, inf\), got 0"):
        train_lm(net, data, 10, steps=3, checkpoint=tmp_path / "ck", checkpoint_every=0)  # was a ZeroDivisionError
