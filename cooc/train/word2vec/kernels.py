"""The word2vec step kernels behind one interface: which exist, where they run, and how to call them.

Every kernel takes the same batched SGD step (:mod:`cooc.train.word2vec._step_torch` defines it;
the others compute it without its intermediate arrays) and differs only by float rounding:

========  ======  ===================================================================
kernel    device  what it is
========  ======  ===================================================================
torch     any     the reference step in torch operations (about 40 launches on a GPU)
numba     cpu     compiled CPU kernels; a whole group of skip-gram batches per call
triton    cuda    two fused GPU kernels (CPU only in Triton's interpreter, for tests)
hogwild   cpu     not the batched step but word2vec.c's: skip-gram pair by pair, CBOW
                  position by position, in corpus order with unlocked updates, a whole
                  chunk per call (:mod:`cooc.train.word2vec._step_hogwild`)
shared    any     skip-gram's negatives shared by each window: one draw per centre word,
                  its output rows moved once per window (Ji et al. 2016). On a CPU
                  without a batch size: hogwild's order (a whole chunk per call); with
                  batches (always on a GPU): one batched step per group of windows
                  (``window_step``: the fused Triton kernels of
                  :mod:`cooc.train.word2vec._step_triton_window` on CUDA, the torch step
                  elsewhere; :func:`window_kernel`). CBOW as hogwild, or as the batched
                  CBOW step
========  ======  ===================================================================
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..._core.errors import InvalidParameterError

KERNELS = ("auto", "torch", "numba", "triton", "hogwild", "shared")
_MODULES = {
    "torch": "_step_torch",
    "numba": "_step_numba",
    "triton": "_step_triton",
    "hogwild": "_step_hogwild",
    "shared": "_step_hogwild",
}
#: The kernels that train whole chunks in corpus order on the CPU (no batches).
CHUNK_KERNELS = ("hogwild", "shared")


@dataclass(frozen=True)
class StepKernel:
    """One implementation of the word2vec step.

    Attributes
    ----------
    name : {"torch", "numba", "triton", "hogwild", "shared"}
    sgns_step : callable
        ``(W_in, W_out, inputs, outputs, negatives, lr, damping) -> loss`` for a skip-gram batch.
    cbow_step : callable
        ``(W_in, W_out, centres, context, example, negatives, lr, damping, max_context) -> loss``;
        ``max_context`` bounds the context words of one example (the fused kernel needs it).
    sgns_steps : callable or None
        ``(W_in, W_out, inputs, outputs, negatives, lrs, batch_size, damping) -> losses``: many
        skip-gram batches in one call, bitwise the batches one by one (no Python between steps);
        None where the caller loops.
    sgns_chunk : callable or None
        ``(W_in, W_out, tokens, docs, radii, sampler_table, negative, lr_first, lr_last, seed) -> (loss, pairs)``:
        a whole chunk of skip-gram in corpus order (the hogwild and shared kernels, which have no batched
        step; their ``sgns_step`` and ``cbow_step`` raise).
    cbow_chunk : callable or None
        The same for CBOW, returning ``(loss, examples)``.
    window_step : callable or None
        ``(W_in, W_out, centres, context, negatives, lr, damping) -> loss``: a skip-gram batch of windows
        whose pairs share their negatives (``context`` padded with -1); the torch and Triton kernels.
    """

    name: str
    sgns_step: Callable[..., Any]
    cbow_step: Callable[..., Any]
    sgns_steps: Callable[..., Any] | None = None
    sgns_chunk: Callable[..., Any] | None = None
    cbow_chunk: Callable[..., Any] | None = None
    window_step: Callable[..., Any] | None = None

    def chunk(self, sg: bool) -> Callable[..., Any] | None:
        """The whole-chunk call for skip-gram (``sg``) or CBOW; None for a batched kernel."""
        return self.sgns_chunk if sg else self.cbow_chunk


def step_kernel(name: str) -> StepKernel:
    """The kernel ``name`` (its module is imported on first use: numba and triton compile)."""
    if name not in _MODULES:
        raise InvalidParameterError(f"Word2Vec: kernel must be one of {tuple(_MODULES)}, got {name!r}.")
    module = importlib.import_module(f"{__package__}.{_MODULES[name]}")
    if name == "triton":
        from . import _step_triton_window

        return StepKernel(name, module.sgns_step, module.cbow_step, window_step=_step_triton_window.window_step)
    if name in CHUNK_KERNELS:

        def batched(*args, **kwargs):
            raise InvalidParameterError(f"Word2Vec: kernel={name!r} trains by whole chunks, not batches.")

        sgns = module.sgns_shared_chunk if name == "shared" else module.sgns_chunk
        return StepKernel(name, batched, batched, sgns_chunk=sgns, cbow_chunk=module.cbow_chunk)

    def cbow_step(W_in, W_out, centres, context, example, negatives, lr, damping=1.0, max_context=None):
        return module.cbow_step(W_in, W_out, centres, context, example, negatives, lr, damping)

    return StepKernel(
        name,
        module.sgns_step,
        cbow_step,
        getattr(module, "sgns_steps", None),
        window_step=getattr(module, "window_step", None),
    )


def batched_windows(kernel: str, device: Any, batch_size: int | None) -> bool:
    """Whether a run of ``kernel`` (resolved) trains skip-gram by batches of windows: ``"shared"`` on a GPU, or
    on a CPU with a batch size (without one it trains in corpus order, a chunk per call)."""
    return kernel == "shared" and (device.type != "cpu" or batch_size is not None)


def window_kernel(device: Any) -> StepKernel:
    """The batched kernel of a ``"shared"`` run with batches: its ``window_step`` for skip-gram, its
    ``cbow_step`` for CBOW. The fused Triton kernels where Triton supports the device, else the torch step."""
    if device.type == "cuda" and triton_supported(device):
        return step_kernel("triton")
    return step_kernel("torch")


def resolve_kernel(kernel: str, device: Any, sg: bool = True, batch_size: int | None = None) -> str:
    """The kernel a run uses on ``device`` (a ``torch.device``): ``"auto"`` is, on a CPU, ``"shared"`` for
    skip-gram and ``"hogwild"`` for CBOW unless a ``batch_size`` is asked for (neither has batches; numba
    then), and on a GPU the fused Triton step where Triton supports the device, else the torch step.
    ``"shared"`` runs everywhere: on a GPU, or on a CPU with a ``batch_size``, by batches of windows
    (:func:`batched_windows`); ``"hogwild"`` and ``"numba"`` on a CPU only.

    Skip-gram's CPU default shares each window's negatives since 2026-12-05: on the wiki sample (x2 and x5,
    2-3 seeds, 2-core VM) it ran 1.24-1.61x the pair-by-pair hogwild kernel and 2.2-2.9x gensim at 1 and 2
    threads, with WordSim353, SimLex-999 and analogy scores within 2 points of gensim's
    (benchmarks/RESULTS.md). Both models have every kernel."""
    if kernel == "auto":
        if device.type != "cuda":
            if batch_size is not None:
                return "numba"
            return "shared" if sg else "hogwild"
        return "triton" if triton_supported(device) else "torch"
    if kernel in ("numba", "hogwild") and device.type != "cpu":
        raise InvalidParameterError(f"Word2Vec: kernel={kernel!r} runs on the CPU only, not on device {str(device)!r}.")
    if kernel == "hogwild" and batch_size is not None:
        raise InvalidParameterError(
            f"Word2Vec: kernel='hogwild' trains in corpus order and takes no batch_size (got {batch_size}); "
            "leave it unset, or choose a batched kernel ('numba', or 'shared' for batches of windows)."
        )
    if kernel == "triton" and device.type != "cuda":
        from . import _step_triton

        if not _step_triton.interpreted():
            raise InvalidParameterError(
                "Word2Vec: kernel='triton' runs on a CUDA device (on a CPU only in "
                "Triton's interpreter: TRITON_INTERPRET=1, for tests)."
            )
    return kernel


def triton_supported(device: Any) -> bool:
    """Whether the fused Triton step is the default on this CUDA device: triton imports (CUDA builds of
    torch on Linux ship it) and the GPU is one Triton supports (compute capability 8.0 or later)."""
    try:
        from . import _step_triton  # noqa: F401
    except ImportError:  # MissingDependencyError is one
        return False
    import torch

    try:
        return torch.cuda.get_device_capability(device) >= (8, 0)
    except (AssertionError, RuntimeError):  # no CUDA here: the run itself will say so
        return True


__all__ = [
    "CHUNK_KERNELS",
    "KERNELS",
    "StepKernel",
    "batched_windows",
    "step_kernel",
    "resolve_kernel",
    "triton_supported",
    "window_kernel",
]
