"""The compiled word2vec kernels' view of their inputs: index arrays and weights, from CPU tensors or arrays."""

from __future__ import annotations

import numpy as np


def index_array(x) -> np.ndarray:
    """Indices as a contiguous int64 numpy array (from a CPU tensor or an array)."""
    return np.ascontiguousarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.int64)


def weight_view(x) -> np.ndarray:
    """A numpy view of float32 weights, which the kernels update in place: never a copy."""
    a = x.numpy() if hasattr(x, "numpy") else x
    if a.dtype != np.float32 or not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError(
            "the compiled word2vec kernels need writeable C-contiguous float32 weights (updated in place)."
        )
    return a
