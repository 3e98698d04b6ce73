"""The grammar networks: shapes, the CNN's receptive fields, padding, and errors."""

from __future__ import annotations

import pytest
import torch

from cooc._core.errors import InvalidParameterError
from cooc.train.grammar.models import FullyConnected, HierarchicalCNN, TransformerClassifier, build_model, input_kind


def test_cnn_depth_and_shapes():
    net = HierarchicalCNN(in_channels=5, filter_size=3, depth=2, n_out=4, width=7)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv1d)]
    assert len(convs) == 2 and all(c.kernel_size == (3,) and c.stride == (3,) for c in convs)
    out = net(torch.zeros(6, 5, 9))
    assert out.shape == (6, 4)
    with pytest.raises(InvalidParameterError, match="input length 8"):
        net(torch.zeros(1, 5, 8))


def test_cnn_first_layer_sees_one_tuple_at_a_time():
    """Changing tokens inside one s-tuple only changes that tuple's first-layer feature."""
    torch.manual_seed(0)
    net = HierarchicalCNN(in_channels=3, filter_size=2, depth=3, n_out=2, width=4)
    x = torch.zeros(1, 3, 8)
    x[0, 0] = 1.0
    y = x.clone()
    y[0, :, 2] = torch.tensor([0.0, 1.0, 0.0])
    first = net.features[0]
    diff = (first(x) - first(y)).abs().sum(1)[0]
    assert diff[1] > 0 and diff[[0, 2, 3]].abs().sum() == 0


def test_transformer_pooling_and_padding():
    torch.manual_seed(0)
    net = TransformerClassifier(vocab_size=6, seq_len=5, n_out=3, d_model=8, n_heads=2, n_layers=1, pad_id=6).eval()
    ids = torch.tensor([[1, 2, 3, 6, 6], [4, 5, 1, 2, 3]])
    out = net(ids)
    assert out.shape == (2, 3)
    # Padding is invisible: the padded sentence scores as the same sentence without padding.
    torch.testing.assert_close(net(ids[:1, :3]), out[:1], atol=1e-5, rtol=1e-5)
    last = TransformerClassifier(vocab_size=6, seq_len=5, n_out=6, d_model=8, n_heads=2, n_layers=1, pool="last").eval()
    assert last(ids[1:]).shape == (1, 6)
    with pytest.raises(InvalidParameterError, match="multiple"):
        TransformerClassifier(6, 5, 3, d_model=10, n_heads=4)


def test_fully_connected_and_builder():
    fc = FullyConnected(in_features=12, n_out=3, width=5, depth=3)
    assert fc(torch.zeros(2, 3, 4)).shape == (2, 3)
    assert sum(isinstance(m, torch.nn.Linear) for m in fc.modules()) == 4
    assert isinstance(build_model("cnn", 3, 8, 2, filter_size=2, depth=3, width=4), HierarchicalCNN)
    assert isinstance(build_model("fc", 3, 8, 2, width=4), FullyConnected)
    assert isinstance(build_model("transformer", 3, 8, 2, d_model=8, n_heads=2), TransformerClassifier)
    assert input_kind("transformer") == "ids" and input_kind("cnn") == "one_hot"
    with pytest.raises(InvalidParameterError, match="filter_size \\*\\* depth"):
        build_model("cnn", 3, 9, 2, filter_size=2, depth=3)
    with pytest.raises(InvalidParameterError, match="model"):
        build_model("rnn", 3, 8, 2)
