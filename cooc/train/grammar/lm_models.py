"""Causal language models for next-token prediction: a decoder-only transformer and a hierarchical CNN.

Both take token ids ``(B, T)`` and return logits ``(B, T, V)`` in which ``logits[:, t]``
predicts token ``t`` from the tokens *before* it (``ids[:, :t]``) and from nothing else:
changing ``ids[:, t]`` or any later token never changes ``logits[:, :t + 1]``. Position 0
is predicted from no context (the unigram law).

- :class:`CausalTransformer`: a pre-norm decoder-only transformer (learned positions,
  causal self-attention through ``scaled_dot_product_attention``, which picks the
  flash kernel on a GPU). The input is shifted right behind a begin-of-sequence token,
  so the output at ``t`` reads ``BOS, x_0 .. x_{t-1}``.
- :class:`CausalHierarchicalCNN`: the deep CNN of the hierarchical grammars turned into a
  language model (docs/science.md, section 6). Its output at ``t`` is the tree-shaped
  CNN (``depth`` convolutions of filter ``s``, each reading one production) applied to
  the window ``x_{t-s^depth+1} .. x_{t-1}, MASK``: the token to predict is replaced by a
  mask symbol in its own slot, so that at the last position of an RHM sentence of
  ``s^L`` tokens the window is exactly the sentence and every filter sits on one
  production of the tree, as in the papers' last-token CNN (arXiv 2505.07070). For all
  positions at once, the tokens before ``t`` enter unmasked: a stack of dilated causal
  convolutions (dilation ``s^(k-1)`` at layer ``k``) runs on the tokens, and a second
  stream replaces, layer by layer, the contribution of the current slot by the one of the
  mask (``f_k = relu(W^past f_{k-1} + W^now f_{k-1})``, ``g_k = relu(W^past f_{k-1} + W^now g_{k-1})``,
  with shared weights), which costs about twice a plain dilated CNN. Weights are shared across
  positions (the CNN's bias the paper contrasts with attention).

:func:`build_lm` makes either from a name.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from ..._core.errors import InvalidParameterError
from ..._core.params import Interval, OneOf, validate

LM_MODELS = ("transformer", "cnn")
READOUTS = ("standard", "mean_field")


class _Block(nn.Module):
    """Pre-norm causal self-attention and MLP."""

    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.dropout = dropout

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, T, D = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(B, T, 3, self.n_heads, D // self.n_heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        h = h + self.proj(a.transpose(1, 2).reshape(B, T, D))
        return h + self.mlp(self.norm2(h))


class CausalTransformer(nn.Module):
    """Decoder-only transformer predicting every token from the ones before it.

    Parameters
    ----------
    vocab_size : int
        Token ids lie in ``[0, vocab_size)``; one more embedding row holds the begin-of-sequence token.
    context : int
        Longest input ``T``.
    d_model, n_heads, n_layers : int, default 64, 4, 2
    dropout : float, default 0

    Input ``(B, T)`` int64 with ``T <= context``; output ``(B, T, vocab_size)`` logits.
    """

    def __init__(
        self,
        vocab_size: int,
        context: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        validate(
            dict(
                vocab_size=vocab_size,
                context=context,
                d_model=d_model,
                n_heads=n_heads,
                n_layers=n_layers,
                dropout=dropout,
            ),
            {
                **{k: Interval(int, 1, None) for k in ("vocab_size", "context", "d_model", "n_heads", "n_layers")},
                "dropout": Interval(float, 0.0, 1.0, closed="left"),
            },
            "CausalTransformer",
        )
        if d_model % n_heads:
            raise InvalidParameterError(
                f"CausalTransformer: d_model = {d_model} must be a multiple of n_heads = {n_heads}."
            )
        self.vocab_size, self.context = vocab_size, context
        self.embed = nn.Embedding(vocab_size + 1, d_model)  # + BOS
        self.position = nn.Parameter(torch.randn(context, d_model) * 0.02)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        B, T = ids.shape
        if T > self.context:
            raise InvalidParameterError(f"CausalTransformer: input length {T} exceeds its context {self.context}.")
        bos = torch.full((B, 1), self.vocab_size, dtype=ids.dtype, device=ids.device)
        h = self.embed(torch.cat([bos, ids[:, :-1]], dim=1)) + self.position[:T]
        for block in self.blocks:
            h = block(h)
        return self.readout(self.norm(h))


class CausalHierarchicalCNN(nn.Module):
    """The tree-shaped CNN as a causal language model (see the module notes).

    Parameters
    ----------
    vocab_size : int
        Token ids in ``[0, vocab_size)``; one more embedding row holds the mask symbol.
    filter_size : int
        Production length ``s`` (filter and dilation base).
    depth : int
        Convolutions ``L``; the window read at each position is ``filter_size ** depth`` tokens.
    width : int, default 64
        Channels of the embedding and of every layer.
    readout : {"standard", "mean_field"}, default "standard"
        ``"standard"``: a linear readout with torch's default initialisation. ``"mean_field"``:
        the logits are ``h @ W / width`` with ``W`` of unit-variance entries and no bias, the
        mean-field (maximal-update) scaling of the papers' CNNs (arXiv 2307.02129, 2406.00048),
        in which the logits start near zero and the hidden layers must move by O(1) to fit
        the data (feature learning); train it with a learning rate proportional to ``width``.
    dropout : float, default 0
        Dropout on every hidden layer's units while training (after each convolution's ReLU). With
        few training sentences a network reading whole sentences also fits the tokens whose
        correlations with the next one those sentences cannot resolve; dropout spends less data on
        that (docs/science.md, section 6; the ``next_token`` study uses 0.6).

    Input ``(B, T)`` int64; output ``(B, T, vocab_size)`` logits.
    """

    def __init__(
        self,
        vocab_size: int,
        filter_size: int,
        depth: int,
        width: int = 64,
        readout: str = "standard",
        dropout: float = 0.0,
    ):
        super().__init__()
        validate(
            dict(
                vocab_size=vocab_size,
                filter_size=filter_size,
                depth=depth,
                width=width,
                readout=readout,
                dropout=dropout,
            ),
            {
                "vocab_size": Interval(int, 1, None),
                "filter_size": Interval(int, 2, None),
                "depth": Interval(int, 1, None),
                "width": Interval(int, 1, None),
                "readout": OneOf(READOUTS),
                "dropout": Interval(float, 0.0, 1.0, closed="left"),
            },
            "CausalHierarchicalCNN",
        )
        self.dropout = float(dropout)
        self.vocab_size, self.filter_size, self.depth = vocab_size, filter_size, depth
        self.embed = nn.Embedding(vocab_size + 1, width)  # + MASK
        self.convs = nn.ModuleList(
            nn.Conv1d(width, width, kernel_size=filter_size, dilation=filter_size**k) for k in range(depth)
        )
        self.readout_kind = readout
        self.readout = nn.Linear(width, vocab_size, bias=readout == "standard")
        self.readout_scale = 1.0
        if readout == "mean_field":
            nn.init.normal_(self.readout.weight)
            self.readout_scale = 1.0 / width

    @property
    def window(self) -> int:
        return self.filter_size**self.depth

    def _convolutions(self) -> list[nn.Conv1d]:
        return cast("list[nn.Conv1d]", list(self.convs))  # every one is a Conv1d (__init__)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if getattr(self, "last_only", False):
            return self.forward_last(ids).unsqueeze(1).expand(-1, ids.shape[1], -1)
        f = self.embed(ids).transpose(1, 2)  # (B, C, T): the tokens themselves
        mask = self.embed.weight[self.vocab_size].view(1, -1, 1)
        g = mask.expand_as(f)  # the stream in which the current slot holds the mask
        T = f.shape[-1]
        for conv in self._convolutions():
            d = conv.dilation[0]
            # the taps on earlier positions, then the one on the current slot (token or mask)
            past = F.conv1d(F.pad(f, ((self.filter_size - 1) * d, 0)), conv.weight[:, :, :-1], conv.bias, dilation=d)
            now = conv.weight[:, :, -1:]
            past = past[:, :, :T]
            g = F.dropout(torch.relu(past + F.conv1d(g, now)), self.dropout, self.training)
            f = F.dropout(torch.relu(past + F.conv1d(f, now)), self.dropout, self.training)
        return self.readout(g.transpose(1, 2)) * self.readout_scale

    def forward_last(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of the last position only, shape (B, vocab_size): the strided tree on the last window.

        Equal to ``forward(ids)[:, -1]`` (to rounding) at a fraction of the cost: each filter
        is applied once per node of the tree (stride ``s``) instead of at every position.
        """
        T = ids.shape[1]
        window, s = self.window, self.filter_size
        pad = max(window - T, 0)
        x = F.pad(ids[:, -window:], (pad, 0))
        x = torch.cat([x[:, :-1], torch.full_like(x[:, :1], self.vocab_size)], dim=1)
        h = self.embed(x).transpose(1, 2)
        span = 1
        for conv in self._convolutions():
            if pad:  # a node ending before the first token is padding (zero), as in the dilated stack
                ends = torch.arange(1, h.shape[-1] + 1, device=h.device) * span - 1
                h = h * (ends >= pad).to(h.dtype)
            h = F.dropout(torch.relu(F.conv1d(h, conv.weight, conv.bias, stride=s)), self.dropout, self.training)
            span *= s
        return self.readout(h[:, :, 0]) * self.readout_scale


def cnn_depth(context: int, filter_size: int) -> int:
    """The smallest depth whose window ``filter_size ** depth`` covers ``context`` tokens."""
    return max(1, math.ceil(math.log(context) / math.log(filter_size) - 1e-12))


def build_lm(
    name: str, vocab_size: int, context: int, filter_size: int = 2, depth: int | None = None, **kwargs: Any
) -> nn.Module:
    """A causal language model by name.

    Parameters
    ----------
    name : {"transformer", "cnn"}
    vocab_size, context : int
    filter_size, depth : int
        The CNN's filter (the grammar's ``s``) and depth (default: the smallest whose
        window covers ``context``).
    **kwargs
        ``d_model``, ``n_heads``, ``n_layers``, ``dropout`` (transformer); ``width``, ``readout``, ``dropout`` (CNN).
    """
    if name not in LM_MODELS:
        raise InvalidParameterError(f"parameter 'model' must be one of {LM_MODELS}, got {name!r}.")
    if name == "transformer":
        return CausalTransformer(vocab_size, context, **kwargs)
    depth = cnn_depth(context, filter_size) if depth is None else depth
    return CausalHierarchicalCNN(vocab_size, filter_size, depth, **kwargs)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


__all__ = ["CausalTransformer", "CausalHierarchicalCNN", "build_lm", "cnn_depth", "count_parameters", "LM_MODELS"]
