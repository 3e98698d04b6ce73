"""Train and test tensors drawn from a hierarchical grammar, for one model and one task.

Supported grammars: the RHM and the sparse RHM (fixed length; CNN, transformer or FC) and
the varying-tree grammar (lengths 2^L..3^L, padded; transformer or FC). Tasks: ``"class"``
(predict the root class) and ``"next"`` (predict the last token from the ones before it;
fixed-length grammars).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._core.errors import InvalidParameterError
from .models import input_kind

TASKS = ("class", "next")
GRAMMARS = ("rhm", "srhm", "varying-tree")


def grammar_from_spec(spec: str) -> Any:
    """Build a grammar from ``"rhm:v=8,n_c=8,m=4,s=2,L=3"`` (also ``srhm:``, ``varying-tree:``)."""
    from ...grammars.pcfg import VaryingTreeGrammar
    from ...grammars.rhm import RandomHierarchyModel
    from ...grammars.source import parse_grammar_spec
    from ...grammars.srhm import SparseRandomHierarchyModel

    name, params = parse_grammar_spec(spec)
    params.pop("distinct", None)  # training data are always distinct sentences where the grammar allows it
    if name == "rhm":
        return RandomHierarchyModel(**params)
    if name == "srhm":
        return SparseRandomHierarchyModel(**params)
    if name == "varying-tree":
        return VaryingTreeGrammar(**params)
    raise InvalidParameterError(f"grammar {name!r} cannot be used for training; use one of {GRAMMARS}.")


def grammar_name(grammar: Any) -> str:
    from ...grammars.pcfg import VaryingTreeGrammar
    from ...grammars.rhm import RandomHierarchyModel
    from ...grammars.srhm import SparseRandomHierarchyModel

    for cls, name in (
        (SparseRandomHierarchyModel, "srhm"),
        (RandomHierarchyModel, "rhm"),
        (VaryingTreeGrammar, "varying-tree"),
    ):
        if isinstance(grammar, cls):
            return name
    raise InvalidParameterError(f"unsupported grammar {type(grammar).__name__}; use one of {GRAMMARS}.")


def grammar_scale(grammar: Any) -> float:
    """The predicted sample-complexity scale ``n_c m^L`` of a (sparse) RHM; NaN for grammars
    without such a prediction (the varying-tree grammar)."""
    if grammar_name(grammar) == "varying-tree":
        return float("nan")
    return float(grammar.n_c * grammar.m**grammar.L)


@dataclass
class GrammarData:
    """Inputs and targets on a torch device.

    Attributes
    ----------
    X : tensor
        ``(N, v, T)`` float32 one-hot, or ``(N, T)`` int64 ids; the first ``n_test`` rows are
        the test set, the rest the training pool (training sets are its prefixes, so
        they are nested across P).
    y : int64 tensor of shape (N,)
    n_test : int
    n_out : int
        Number of target values (classes, or vocabulary for ``"next"``).
    vocab_size, seq_len : int
        Symbols and positions of the input.
    filter_size, depth : int or None
        The CNN's filter and depth (fixed-length grammars).
    pad_id : int or None
        Padding id of variable-length inputs (ids).
    task : {"class", "next"}
    """

    X: Any
    y: Any
    n_test: int
    n_out: int
    vocab_size: int
    seq_len: int
    filter_size: int | None
    depth: int | None
    pad_id: int | None
    task: str = "class"

    def train(self, P: int) -> tuple[Any, Any]:
        return self.X[self.n_test : self.n_test + P], self.y[self.n_test : self.n_test + P]

    def test(self) -> tuple[Any, Any]:
        return self.X[: self.n_test], self.y[: self.n_test]

    @property
    def chance_error(self) -> float:
        return 1.0 - 1.0 / self.n_out


def draw_data(
    grammar: Any, n_train: int, n_test: int, model: str, task: str = "class", seed: int = 0, device: Any = "cpu"
) -> GrammarData:
    """Draw ``n_test + n_train`` sentences (distinct where the grammar allows) as model inputs.

    Parameters
    ----------
    grammar : RandomHierarchyModel, SparseRandomHierarchyModel or VaryingTreeGrammar
    n_train, n_test : int
    model : {"cnn", "transformer", "fc"}
        Decides the input kind (one-hot or ids).
    task : {"class", "next"}
    seed : int
    device : torch device
    """
    if task not in TASKS:
        raise InvalidParameterError(f"parameter 'task' must be one of {TASKS}, got {task!r}.")
    kind = input_kind(model)
    name = grammar_name(grammar)
    n = n_train + n_test
    if name == "varying-tree":
        return _varying_tree(grammar, n, n_test, kind, task, seed, device)
    if n > grammar.rhm.P_max if name == "srhm" else n > grammar.P_max:
        P_max = grammar.rhm.P_max if name == "srhm" else grammar.P_max
        raise InvalidParameterError(
            f"{n} distinct sentences were asked for (train + test) but the grammar has only "
            f"P_max = {P_max}; use fewer samples or a larger grammar."
        )
    sample = grammar.sample(n, seed=seed, distinct=True)
    v = grammar.v
    depth, filter_size = grammar.L, (grammar.block if name == "srhm" else grammar.s)
    seq_len = grammar.n_positions
    ids = sample.ids()
    if task == "class":
        y = np.asarray(sample.labels, dtype=np.int64)
        X = sample.one_hot() if kind == "one_hot" else ids
        n_out = grammar.n_c
    else:
        y = ids[:, -1]
        if name == "srhm":
            raise InvalidParameterError("task 'next' is defined for the dense RHM only.")
        X = sample.one_hot()[:, :, :-1] if kind == "one_hot" else ids[:, :-1]
        seq_len, n_out, depth, filter_size = seq_len - 1, v, None, None
    vocab = v + 1 if (name == "srhm" and kind == "ids") else v
    return _to_device(X, y, n_test, n_out, vocab, seq_len, filter_size, depth, None, device, task)


def _varying_tree(grammar: Any, n: int, n_test: int, kind: str, task: str, seed: int, device: Any) -> GrammarData:
    if task != "class":
        raise InvalidParameterError(
            "task 'next' needs fixed-length sentences; the varying-tree grammar supports 'class'."
        )
    d = grammar.sample(n, seed=seed)
    T, v = 3**grammar.L, grammar.v
    ids = np.full((n, T), v, dtype=np.int64)
    lengths = d.lengths()
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(d.tokens.size) - np.repeat(d.offsets[:-1], lengths)
    ids[rows, cols] = d.tokens
    y = np.asarray(grammar.classes(d), dtype=np.int64)
    if kind == "one_hot":
        X = np.zeros((n, v + 1, T), dtype=np.float32)
        X[np.arange(n)[:, None], ids, np.arange(T)[None, :]] = 1.0
        return _to_device(X[:, :v], y, n_test, v, v, T, None, None, None, device)
    return _to_device(ids, y, n_test, v, v, T, None, None, v, device)


def _to_device(X, y, n_test, n_out, vocab, seq_len, filter_size, depth, pad_id, device, task="class") -> GrammarData:
    from ...grammars.rhm import as_torch

    return GrammarData(
        as_torch(np.ascontiguousarray(X), device),
        as_torch(np.ascontiguousarray(y), device),
        n_test,
        int(n_out),
        int(vocab),
        int(seq_len),
        filter_size,
        depth,
        pad_id,
        task,
    )


__all__ = ["GrammarData", "draw_data", "grammar_from_spec", "grammar_name", "grammar_scale", "TASKS", "GRAMMARS"]
