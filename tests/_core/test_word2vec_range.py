"""word2vec files hold float32: a vector that float32 cannot hold is refused, never written as inf."""

from __future__ import annotations

import numpy as np
import pytest

from cooc import Embedding
from cooc._core.errors import InputDataError
from cooc._core.word2vec_format import read_word2vec, write_word2vec

F32_MAX = float(np.finfo(np.float32).max)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("big", [1e39, -1e39, 3.5e38, 1e300])
def test_values_beyond_float32_are_refused(tmp_path, binary, big):
    emb = Embedding(np.array([[1.0, 2.0], [big, 1.0], [0.5, big]]), ["ok", "big", "huge"])
    with pytest.raises(
        InputDataError, match=r"2 of 3 vectors hold values beyond float32's range \(±3.403e\+38\).*\(the first: 'big'\)"
    ):
        emb.save_word2vec_format(tmp_path / "v", binary=binary)
    assert list(tmp_path.iterdir()) == []


def test_an_overflow_beside_a_nan_is_named(tmp_path):
    vectors = np.array([[np.nan, 1.0], [np.nan, 1e39], [np.inf, 1.0]])
    with pytest.raises(InputDataError, match=r"1 of 3 vectors .*the first: 'both'"):
        write_word2vec(tmp_path / "v", ["nan", "both", "inf"], vectors)
    write_word2vec(tmp_path / "v", ["nan", "inf"], vectors[[0, 2]])  # NaN and inf are the reader's to refuse


@pytest.mark.parametrize("binary", [False, True])
def test_the_largest_float32_values_are_written_exactly(tmp_path, binary):
    vectors = np.array([[F32_MAX, -F32_MAX], [1e-45, 1.0]])
    write_word2vec(tmp_path / "v", ["max", "tiny"], vectors, binary=binary)
    words, back = read_word2vec(tmp_path / "v", binary=binary)
    assert words == ["max", "tiny"]
    np.testing.assert_array_equal(back, vectors.astype(np.float32))
    assert np.isfinite(back).all()
