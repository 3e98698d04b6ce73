"""``damping="auto"``: the batched steps' curvature bound in proportion to the pairs a step."""

from __future__ import annotations

import pytest

from cooc._core.errors import InvalidParameterError
from cooc.train.word2vec import _step_torch
from cooc.train.word2vec.estimator import DAMPING_PAIRS, Word2Vec, _damping

SMALL = dict(dim=8, window=3, negative=3, epochs=1, min_count=1, sample=0.0, chunk_tokens=5000, progress=False)


def test_auto_damping_is_one_up_to_the_reference_step_then_grows_with_its_pairs():
    assert DAMPING_PAIRS == 65536 and Word2Vec().get_params()["damping"] == "auto"  # the default
    assert _damping("auto", 4096, False, 5, True) == _damping("auto", 65536, False, 5, True) == 1.0
    assert _damping("auto", 262144, False, 5, True) == 4.0
    assert _damping("auto", 1 << 20, False, 5, True) == 16.0
    # windows: about window + 1 pairs each with dynamic windows, 2 window without
    assert _damping("auto", 16384, True, 5, True) == 1.5
    assert _damping("auto", 16384, True, 5, False) == 2.5
    assert _damping("auto", 4096, True, 3, True) == 1.0
    for given in (0.3, 7.0, None):  # a number or None is used as it is
        assert _damping(given, 1 << 20, True, 5, True) == given


@pytest.mark.parametrize(
    ("damping", "batch", "expected"),
    [("auto", 1024, 1.0), ("auto", 131072, 2.0), (0.5, 131072, 0.5), (None, 1024, None)],
)
def test_the_run_steps_with_the_resolved_damping(cluster_corpus, monkeypatch, damping, batch, expected):
    seen = []
    step = _step_torch.sgns_step

    def spy(W_in, W_out, inputs, outputs, negatives, lr, damping=1.0):
        seen.append(damping)
        return step(W_in, W_out, inputs, outputs, negatives, lr, damping)

    monkeypatch.setattr(_step_torch, "sgns_step", spy)
    model = Word2Vec(kernel="torch", batch_size=batch, damping=damping, **SMALL).fit(cluster_corpus)
    assert seen and set(seen) == {expected}
    assert model.damping_ == expected
    assert model.embedding_.meta["provenance"]["params"]["damping"] == expected


def test_a_checkpoint_records_the_resolved_damping(cluster_corpus, tmp_path):
    """'auto' at a batch of at most 65,536 pairs is the damping 1.0 of before, so its checkpoints resume;
    at another batch size it is another setting."""
    ckpt = tmp_path / "ckpt"
    Word2Vec(kernel="torch", batch_size=1024, damping=1.0, **SMALL).fit(cluster_corpus, checkpoint=ckpt)
    again = Word2Vec(kernel="torch", batch_size=1024, damping="auto", **SMALL).fit(cluster_corpus, checkpoint=ckpt)
    assert again.start_words_ == again.raw_words_  # reloaded, not retrained


def test_bad_damping_is_refused(cluster_corpus):
    for bad in ("fast", 0.0, -1.0):
        with pytest.raises(InvalidParameterError, match="'damping' must be 'auto', a number in"):
            Word2Vec(damping=bad, **SMALL).fit(cluster_corpus)
