"""Small networks for the hierarchical grammars (docs/science.md, section 6).

- :class:`HierarchicalCNN`: the deep CNN matched to a tree of branching ``s`` and depth ``L``:
  ``L`` convolutions with filter = stride = ``s`` (each reads one production) and a linear
  readout, depth ``L + 1``. It learns the RHM at P* ~ n_c m^L samples.
- :class:`TransformerClassifier`: a small pre-norm transformer encoder over token ids, read
  out by mean pooling (classification) or at the last position (last-token prediction).
- :class:`FullyConnected`: an MLP on the flattened one-hot input, the shallow baseline.

:func:`build_model` makes any of them from a name and the shape of the data.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..._core.errors import InvalidParameterError
from ..._core.params import Interval, OneOf, validate

MODELS = ("cnn", "transformer", "fc")


class HierarchicalCNN(nn.Module):
    """``depth`` convolutions with kernel = stride = ``filter_size``, ReLU, then a linear readout.

    Parameters
    ----------
    in_channels : int
        Symbols of the one-hot input (v).
    filter_size : int
        Tuple length s (``s (s0 + 1)`` for the sparse RHM).
    depth : int
        Number of convolutions L; the input length must be ``filter_size ** depth``.
    n_out : int
        Classes (or vocabulary size for last-token prediction).
    width : int, default 256
        Channels of every hidden layer.

    Input ``(P, in_channels, filter_size ** depth)`` float; output ``(P, n_out)`` logits.
    """

    def __init__(self, in_channels: int, filter_size: int, depth: int, n_out: int, width: int = 256):
        super().__init__()
        validate(
            dict(in_channels=in_channels, filter_size=filter_size, depth=depth, n_out=n_out, width=width),
            {k: Interval(int, 1, None) for k in ("in_channels", "filter_size", "depth", "n_out", "width")},
            "HierarchicalCNN",
        )
        self.input_length = filter_size**depth
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(depth):
            layers += [nn.Conv1d(channels, width, kernel_size=filter_size, stride=filter_size), nn.ReLU()]
            channels = width
        self.features = nn.Sequential(*layers)
        self.readout = nn.Linear(width, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.input_length:
            raise InvalidParameterError(
                f"HierarchicalCNN: input length {x.shape[-1]} != filter_size**depth = {self.input_length}."
            )
        return self.readout(self.features(x).squeeze(-1))


class TransformerClassifier(nn.Module):
    """A pre-norm transformer encoder on token ids with learned positions.

    Parameters
    ----------
    vocab_size : int
        Token ids in ``[0, vocab_size)``; ``pad_id`` (if given) may equal ``vocab_size``.
    seq_len : int
        Longest input.
    n_out : int
    d_model, n_heads, n_layers : int, default 128, 4, 2
    pool : {"mean", "last"}, default "mean"
        Mean over (non-padding) positions for classification, or the last position's output
        for predicting the next token.
    pad_id : int, optional
        Padding id (variable-length sentences); padded positions are masked out.

    Input ``(P, T)`` int64 with ``T <= seq_len``; output ``(P, n_out)`` logits.
    """

    def __init__(
        self,
        vocab_size: int,
        seq_len: int,
        n_out: int,
        d_model: int = 128,
        n_heads: int = 4,
        n_layers: int = 2,
        pool: str = "mean",
        pad_id: int | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        validate(
            dict(pool=pool, d_model=d_model, n_heads=n_heads, n_layers=n_layers),
            {
                "pool": OneOf(("mean", "last")),
                "d_model": Interval(int, 1, None),
                "n_heads": Interval(int, 1, None),
                "n_layers": Interval(int, 1, None),
            },
            "TransformerClassifier",
        )
        if d_model % n_heads:
            raise InvalidParameterError(
                f"TransformerClassifier: d_model = {d_model} must be a multiple of n_heads = {n_heads}."
            )
        self.pool, self.pad_id = pool, pad_id
        self.embed = nn.Embedding(vocab_size + (1 if pad_id is not None and pad_id >= vocab_size else 0), d_model)
        self.position = nn.Parameter(torch.randn(seq_len, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=4 * d_model, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, n_out)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pad = (ids == self.pad_id) if self.pad_id is not None else None
        h = self.embed(ids) + self.position[: ids.shape[1]]
        h = self.norm(self.encoder(h, src_key_padding_mask=pad))
        if self.pool == "last":
            if pad is None:
                return self.readout(h[:, -1])
            last = (~pad).sum(1) - 1
            return self.readout(h[torch.arange(h.shape[0], device=h.device), last])
        if pad is None:
            return self.readout(h.mean(1))
        keep = (~pad).unsqueeze(-1).to(h.dtype)
        return self.readout((h * keep).sum(1) / keep.sum(1).clamp(min=1))


class FullyConnected(nn.Module):
    """An MLP on the flattened input: ``depth`` hidden layers of ``width`` ReLU units.

    Input ``(P, ...)`` float (flattened); output ``(P, n_out)`` logits.
    """

    def __init__(self, in_features: int, n_out: int, width: int = 256, depth: int = 2):
        super().__init__()
        validate(
            dict(in_features=in_features, n_out=n_out, width=width, depth=depth),
            {k: Interval(int, 1, None) for k in ("in_features", "n_out", "width", "depth")},
            "FullyConnected",
        )
        layers: list[nn.Module] = [nn.Flatten()]
        size = in_features
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.ReLU()]
            size = width
        layers.append(nn.Linear(size, n_out))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def input_kind(name: str) -> str:
    """The input a model takes: ``"one_hot"`` (P, v, T) floats, or ``"ids"`` (P, T) int64."""
    if name not in MODELS:
        raise InvalidParameterError(f"parameter 'model' must be one of {MODELS}, got {name!r}.")
    return "ids" if name == "transformer" else "one_hot"


def build_model(
    name: str,
    vocab_size: int,
    seq_len: int,
    n_out: int,
    filter_size: int | None = None,
    depth: int | None = None,
    pool: str = "mean",
    pad_id: int | None = None,
    **kwargs: Any,
) -> nn.Module:
    """A model for inputs of ``vocab_size`` symbols and length ``seq_len``.

    Parameters
    ----------
    name : {"cnn", "transformer", "fc"}
    filter_size, depth : int
        Needed by the CNN (``filter_size ** depth == seq_len``).
    **kwargs
        Passed on (``width``; ``d_model``, ``n_heads``, ``n_layers``; ``depth`` of the FC net
        via ``fc_depth``).
    """
    input_kind(name)
    if name == "cnn":
        if filter_size is None or depth is None or filter_size**depth != seq_len:
            raise InvalidParameterError(
                f"the CNN needs filter_size ** depth == input length; got filter_size="
                f"{filter_size}, depth={depth}, length {seq_len} (variable-length grammars "
                "need the transformer)."
            )
        return HierarchicalCNN(vocab_size, filter_size, depth, n_out, **kwargs)
    if name == "transformer":
        return TransformerClassifier(vocab_size, seq_len, n_out, pool=pool, pad_id=pad_id, **kwargs)
    fc_kwargs = {"width": kwargs.get("width", 256), "depth": kwargs.get("fc_depth", 2)}
    return FullyConnected(vocab_size * seq_len, n_out, **fc_kwargs)


__all__ = ["HierarchicalCNN", "TransformerClassifier", "FullyConnected", "build_model", "input_kind", "MODELS"]
