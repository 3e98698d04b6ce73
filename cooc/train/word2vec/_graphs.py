"""The skip-gram step replayed from a captured CUDA graph.

At the batch sizes word2vec uses, the torch step on a GPU costs about as much in launching its
~40 kernels from Python as in running them: the H100 runs at batches of 16,384 and 65,536
(4.6M and 8.8M words/s) fit about 0.5 ms per step whatever the batch plus 17 ns per pair. A
CUDA graph records the step's kernels once, for a fixed batch size, and replays them with one
launch: each batch then costs four copies into the graph's input buffers and a replay. The
weights are updated in place, so the graph, which holds their addresses, stays valid for the
whole run; the learning rate is a device scalar that the replay reads.

The fused Triton step (:mod:`cooc.train.word2vec._step_triton`) launches far fewer kernels, but at
batch 65,536 its GPU time (0.65 ms on an H100) is shorter than the trainer's Python per step,
so replay still pays: measured on an H100 (2026-11-27), 18.95M words/s replayed against 11.7M
without; at batch 262,144 both run at 20M. Replay is the default on CUDA for skip-gram.

Only full skip-gram batches are replayed, of pairs or of windows (``kernel="shared"``, whose
context words are padded to a fixed width); CBOW batches vary in their number of context words.
The last, shorter batch of a chunk runs the ordinary step.
"""

from __future__ import annotations


class GraphedSkipGram:
    """A skip-gram step for batches of exactly ``batch`` pairs (or windows), as a CUDA graph.

    Parameters
    ----------
    sgns_step : callable
        :func:`cooc.train.word2vec._step_torch.sgns_step` or :func:`cooc.train.word2vec._step_triton.sgns_step`,
        or a ``window_step`` of the same modules (each takes ``lr`` as a device scalar and launches no
        work that waits for the host).
    W_in, W_out : CUDA tensors of shape (V, d)
        The weights the step updates in place (they must not be replaced during the run).
    batch, negative : int
        Pairs (or windows) per step and negatives per pair (or window).
    damping : float or None
    width : int, optional
        The windows' padded width (their context columns); None for a step of pairs.
    """

    def __init__(
        self, sgns_step, W_in, W_out, batch: int, negative: int, damping: float | None, width: int | None = None
    ):
        import torch

        device = W_in.device
        # the step's two index arguments: (inputs, outputs) of pairs, or (centres, context) of windows
        self.inputs = torch.zeros(batch, dtype=torch.int64, device=device)
        self.outputs = torch.zeros(batch if width is None else (batch, width), dtype=torch.int64, device=device)
        self.negatives = torch.zeros((batch, negative), dtype=torch.int64, device=device)
        self.lr = torch.zeros((), dtype=W_in.dtype, device=device)
        args = (W_in, W_out, self.inputs, self.outputs, self.negatives, self.lr, damping)
        # Warm-up on a side stream, as CUDA graph capture requires. With lr = 0 every update is
        # an exact zero (tested), so the weights are left as they were.
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(2):
                sgns_step(*args)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.loss = sgns_step(*args)
        self.batch = batch

    def __call__(self, inputs, outputs, negatives, lr: float):
        """One step; returns the batch's summed loss (a device scalar, valid until the next call)."""
        self.inputs.copy_(inputs)
        self.outputs.copy_(outputs)
        self.negatives.copy_(negatives)
        self.lr.fill_(lr)
        self.graph.replay()
        return self.loss
