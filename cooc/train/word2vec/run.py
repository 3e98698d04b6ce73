"""One word2vec training run: the weights, the position in the corpus, the history and the checkpoints.

:class:`~cooc.train.word2vec.estimator.Word2Vec` resolves its settings, then hands the run to
:class:`TrainingRun`, which streams the corpus chunk by chunk (each chunk's examples prepared
in a thread while the previous one trains, on a CPU), steps the kernel batch by batch,
decays the learning rate, saves checkpoints and resumes from them. The reasons for each
choice are in :mod:`cooc.train.word2vec.estimator`'s docstring.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._core.errors import InputDataError, TrainingDivergedError
from ..._core.faults import fault_point
from ..._core.locks import lock_directory
from ..._core.logs import log
from ..._core.progress import ProgressBar
from ..._core.signals import DeferredInterrupt, kept_note, note_kept
from ...corpus.store import TokenCorpus
from .._checkpoint import load_checkpoint, save_checkpoint
from .._torch import generator, synchronize, task_seed
from . import sampling
from .kernels import batched_windows, step_kernel, window_kernel

if TYPE_CHECKING:
    from .estimator import Word2Vec

CHECKPOINT_FORMAT = "cooc.word2vec-checkpoint/1"

#: Prepare the next chunk in a thread while this one trains on the CPU (the result is the same either way;
#: COOC_WORD2VEC_PREPARE_AHEAD=0 turns it off, to time the difference).
PREPARE_AHEAD = os.environ.get("COOC_WORD2VEC_PREPARE_AHEAD", "1") != "0"


class TrainingRun:
    """The mutable state of one training run: weights, position, history, timing."""

    def __init__(
        self,
        model: Word2Vec,
        corpus: TokenCorpus,
        device,
        id_map: np.ndarray,
        counts: np.ndarray,
        settings: dict[str, Any],
        checkpoint: str | os.PathLike | None,
    ):
        import torch

        self.model, self.corpus, self.device, self.settings = model, corpus, device, settings
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.id_map = torch.as_tensor(id_map, device=device)
        self.keep_prob = torch.as_tensor(sampling.keep_probabilities(counts, model.sample), device=device)
        self.sampler = sampling.AliasSampler(sampling.noise_distribution(counts, model.ns_exponent), device)
        batched = batched_windows(model.kernel_, device, model.batch_size)
        self.steps = window_kernel(device) if batched else step_kernel(model.kernel_)
        self.windows = batched and model.sg  # skip-gram by batches of windows that share their negatives
        self.W_in: Any = None  # (V, d) float32 tensors on the device, set by start()
        self.W_out: Any = None
        self.graphed: Any = None  # the captured step, made at the first full batch when model.cuda_graph_
        # Negatives are drawn for many batches at once and sliced per batch: on a GPU a whole chunk's
        # (one draw of n x K instead of a few launches per step), on a CPU 64 batches' (a chunk's
        # would take hundreds of MB). A CPU draw takes the next numbers of its splitmix64 stream, so
        # the negatives are the same whatever the grouping.
        self.draw_batches = None if device.type == "cuda" else 64
        self.V = counts.size
        self.epoch, self.chunk, self.raw_words, self.effective_words = 0, 0, 0, 0
        self.history: list[dict[str, Any]] = []
        self.finished = False
        self.seconds = 0.0
        self.start_words = 0
        self.saved_words: int | None = None  # corpus words in the last checkpoint written or resumed

    @classmethod
    def start(cls, model, corpus, device, id_map, counts, settings, checkpoint) -> TrainingRun:
        import torch

        run = cls(model, corpus, device, id_map, counts, settings, checkpoint)
        saved = load_checkpoint(checkpoint, CHECKPOINT_FORMAT, settings, ("W_in", "W_out")) if checkpoint else None
        if saved is None:
            gen = generator("cpu", model.seed, -1)
            # word2vec.c's initialisation: inputs uniform in +-0.5/dim, outputs zero.
            W_in = (torch.rand((run.V, model.dim), generator=gen, dtype=torch.float32) - 0.5) / model.dim
            run.W_in, run.W_out = W_in.to(device), torch.zeros((run.V, model.dim), dtype=torch.float32, device=device)
            return run
        arrays, state = saved
        run.W_in = torch.as_tensor(arrays["W_in"], device=device).contiguous()
        run.W_out = torch.as_tensor(arrays["W_out"], device=device).contiguous()
        run.epoch, run.chunk = state["epoch"], state["chunk"]
        run.raw_words, run.effective_words = state["raw_words"], state["effective_words"]
        run.history, run.finished = state["history"], state["finished"]
        run.start_words = run.saved_words = run.raw_words
        return run

    # -- the loop ---------------------------------------------------------------------------
    def train(self, callback) -> None:
        """Train to the end, checkpointing as the model asks; an interruption carries a note of what was kept."""
        stop = DeferredInterrupt(
            "stopping: the chunk in progress finishes and a checkpoint is saved (press Ctrl-C again to stop now)."
        )
        lock = lock_directory(self.checkpoint, what="checkpoint") if self.checkpoint else None
        try:
            with stop if self.checkpoint else contextlib.nullcontext():
                self._loop(callback, stop)
        except KeyboardInterrupt as exc:
            if kept_note(exc) is None:
                note_kept(exc, self.kept())
            raise
        finally:
            if lock is not None:
                lock.release()

    def kept(self) -> str:
        """What an interruption now leaves behind, in words."""
        if self.saved_words is None:
            return "nothing is kept (no checkpoint was written yet); a rerun starts over."
        total = self.model.epochs * self.corpus.n_tokens
        return (
            f"the checkpoint in {str(self.checkpoint)!r} holds the training up to word {self.saved_words:,} of "
            f"{total:,}; run the same command again to resume from there."
        )

    def _loop(self, callback, stop: DeferredInterrupt) -> None:
        model, corpus = self.model, self.corpus
        total_words = model.epochs * corpus.n_tokens
        last_save = time.perf_counter()
        bar = ProgressBar(
            "word2vec",
            total=total_words,
            unit="words",
            enabled=model.progress,
            rates=("words", "pairs" if model.sg else "examples"),
        )
        bar.update(self.raw_words)
        start = time.perf_counter()
        first_epoch, first_chunk = self.epoch, self.chunk

        def todo():  # every chunk still to train, epoch after epoch
            for epoch in range(first_epoch, model.epochs):
                for index, (tokens, offsets) in enumerate(corpus.iter_chunks(model.chunk_tokens)):
                    if epoch > first_epoch or index >= first_chunk:
                        yield epoch, index, tokens, offsets

        with bar:
            for epoch, index, tokens, offsets, prepared in self._prepared(todo()):
                if epoch != self.epoch:
                    self.epoch, self.chunk = epoch, 0
                loss, examples, kept = self._train_chunk(tokens, offsets, index, total_words, prepared)
                if not np.isfinite(loss):  # before any checkpoint: the last one saved holds finite vectors
                    raise TrainingDivergedError(
                        f"word2vec diverged: the loss of epoch {self.epoch + 1}, chunk {index} is {float(loss)}; "
                        f"lower the learning rate (alpha = {model.alpha}) and start afresh (--overwrite on the command line)."
                    )
                self.raw_words += int(tokens.size)
                self.effective_words += kept
                self.history.append(
                    {
                        "epoch": self.epoch,
                        "chunk": index,
                        "words": self.raw_words,
                        "examples": examples,
                        "loss": loss / examples if examples else float("nan"),  # no pair: no loss (0.0 read as a fit)
                    }
                )
                self.chunk = index + 1
                bar.update(int(tokens.size), words=int(tokens.size), **{bar.rates[1]: examples})
                bar.set_description(f"epoch {self.epoch + 1}/{model.epochs} loss {self.history[-1]['loss']:.3f}")
                due = time.perf_counter() - last_save >= model.checkpoint_every or (
                    model.checkpoint_words is not None
                    and self.raw_words - (self.saved_words or 0) >= model.checkpoint_words
                )
                if self.checkpoint and (due or stop.signum is not None):
                    self._save()
                    last_save = time.perf_counter()
                stop.check()
                if callback is not None:
                    callback(
                        {
                            "epoch": self.epoch,
                            "chunk": index,
                            "raw_words": self.raw_words,
                            "loss": self.history[-1]["loss"],
                        }
                    )
            self.epoch, self.chunk = model.epochs, 0
        if self.history and not any(h["examples"] for h in self.history):
            raise InputDataError(
                "word2vec trained on no (word, context) pair: every document holds at most one word kept after "
                f"subsampling (sample = {model.sample}, min_count = {model.min_count}); the vectors are still their "
                "random start. Give longer documents, or a larger sample (0 turns subsampling off)."
            )
        synchronize(self.device)
        self.seconds = time.perf_counter() - start
        self.finished = True
        if self.checkpoint:
            try:
                self._save()
            except OSError as exc:  # a full disk must not lose the finished training: the caller still has it
                log.warning(
                    "could not write the final checkpoint (%s); the trained vectors are kept in memory.",
                    exc.strerror or exc,
                )

    def _save(self) -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            "settings": self.settings,
            "epoch": self.epoch,
            "chunk": self.chunk,
            "raw_words": self.raw_words,
            "effective_words": self.effective_words,
            "history": self.history,
            "finished": self.finished,
        }
        assert self.checkpoint is not None  # _save is only called when the run has a checkpoint folder
        save_checkpoint(self.checkpoint, {"W_in": self.W_in.cpu().numpy(), "W_out": self.W_out.cpu().numpy()}, state)
        self.saved_words = self.raw_words
        fault_point("word2vec.checkpoint")

    def _prepared(self, chunks):
        """``(epoch, index, tokens, offsets, prepared)`` for each chunk, with :meth:`_prepare`'s result.

        On a CPU the next chunk is prepared in a thread while this one trains (the hogwild
        kernels release the GIL): 70 ns a token on one thread, which the step's threads would
        otherwise wait for at every chunk. The next epoch's first chunk too, so a corpus of one
        chunk (1M tokens by default) trained for several epochs does not wait either. Each chunk
        draws from its own generator, so the result does not depend on when it was prepared.
        """
        if self.device.type != "cpu" or not PREPARE_AHEAD:
            for epoch, index, tokens, offsets in chunks:
                yield epoch, index, tokens, offsets, self._prepare(tokens, offsets, epoch, index)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="cooc-word2vec-prepare") as pool:
            pending = None
            for epoch, index, tokens, offsets in chunks:
                future = pool.submit(self._prepare, tokens, offsets, epoch, index)
                if pending is not None:
                    yield *pending[:4], pending[4].result()
                pending = (epoch, index, tokens, offsets, future)
            if pending is not None:
                yield *pending[:4], pending[4].result()

    def _prepare(self, tokens: np.ndarray, offsets: np.ndarray, epoch: int, index: int):
        """The chunk's generator (after its draws here), training ids, document ids and window radii."""
        model = self.model
        gen = generator(self.device, model.seed, epoch, index)
        t, docs = self._chunk_tokens(tokens, offsets, gen)
        radii = sampling.window_radii(t.numel(), model.window, gen, self.device, model.dynamic_window)
        return gen, t, docs, radii

    def _chunk_tokens(self, tokens: np.ndarray, offsets: np.ndarray, gen):
        """Training ids and document ids of a chunk after the vocabulary and subsampling."""
        import torch

        t = self.id_map[torch.tensor(tokens, device=self.device, dtype=torch.int64)]
        lengths = torch.as_tensor(np.diff(offsets), device=self.device)
        docs = torch.repeat_interleave(torch.arange(lengths.numel(), device=self.device), lengths)
        known = t >= 0
        return sampling.subsample(t[known], docs[known], self.keep_prob, gen)

    def _train_chunk(self, tokens: np.ndarray, offsets: np.ndarray, index: int, total_words: int, prepared=None):
        """Train on one chunk (``prepared``: :meth:`_prepare`'s result); returns (summed loss, examples, tokens kept)."""
        import torch

        model = self.model
        gen, t, docs, radii = prepared if prepared is not None else self._prepare(tokens, offsets, self.epoch, index)
        # On a CPU the negatives come from a splitmix64 stream of their own (a compiled parallel
        # draw, see sampling.AliasSampler.draw); on a GPU from the chunk's torch generator.
        neg_gen = gen
        if self.device.type == "cpu":
            neg_gen = sampling.SplitMix64(task_seed(model.seed, self.epoch, index, 1))
        whole_chunk = self.steps.chunk(model.sg)
        if whole_chunk is not None:  # the whole chunk in corpus order, negatives drawn inside
            rates = [self._rate(self.raw_words + tokens.size * f, total_words) for f in (0, 1)]
            seed = task_seed(model.seed, self.epoch, index, 1)
            loss, examples = whole_chunk(
                self.W_in, self.W_out, t, docs, radii, self.sampler.table, model.negative, *rates, seed
            )
            return loss, examples, int(t.numel())
        if self.windows:  # (batch, 2 window) context words, -1 where there is none
            inputs, outputs = self._skipgram_windows(t, docs, radii, gen)
            n = inputs.numel()
        elif model.sg and self.device.type == "cpu":  # the same pairs and a uniform shuffle, compiled
            pairs = sampling.shuffled_skipgram_pairs(t, docs, radii, task_seed(model.seed, self.epoch, index, 2))
            inputs, outputs = (torch.from_numpy(a) for a in pairs)
            n = inputs.numel()
        elif model.sg:
            inputs, outputs = sampling.skipgram_pairs(t, docs, radii, model.window)
            n = inputs.numel()
            order = torch.randperm(n, device=self.device, generator=gen)
            inputs, outputs = inputs[order], outputs[order]
        else:
            n, cbow_batch = self._cbow_examples(t, docs, radii, gen, index)
        examples = int((outputs >= 0).sum()) if self.windows else n  # windows report their pairs
        loss = torch.zeros((), dtype=torch.float64, device=self.device)
        per_draw = n if self.draw_batches is None else self.draw_batches * model.batch_size_

        def learning_rate(hi: int) -> float:  # linear decay with the corpus words seen after the batch
            return self._rate(self.raw_words + tokens.size * hi / n, total_words)

        # each draw's batches in one call (the numba step): no Python between steps
        if model.sg and not self.windows and self.steps.sgns_steps is not None:
            for lo in range(0, n, per_draw):
                hi = min(lo + per_draw, n)
                lrs = [learning_rate(min(b + model.batch_size_, hi)) for b in range(lo, hi, model.batch_size_)]
                negatives = self.sampler.draw((hi - lo, model.negative), neg_gen)
                for part in self.steps.sgns_steps(
                    self.W_in,
                    self.W_out,
                    inputs[lo:hi],
                    outputs[lo:hi],
                    negatives,
                    lrs,
                    model.batch_size_,
                    model.damping_,
                ):
                    loss += part
            return float(loss), examples, int(t.numel())
        sgns_step = self.steps.sgns_step
        if self.windows:
            assert self.steps.window_step is not None  # window_kernel's kernels all have one
            sgns_step = self.steps.window_step
        for lo in range(0, n, model.batch_size_):
            hi = min(lo + model.batch_size_, n)
            lr = learning_rate(hi)
            if lo % per_draw == 0:
                drawn, drawn_lo = self.sampler.draw((min(per_draw, n - lo), model.negative), neg_gen), lo
            negatives = drawn[lo - drawn_lo : hi - drawn_lo]
            if model.sg and model.cuda_graph_ and hi - lo == model.batch_size_:
                if self.graphed is None:
                    from ._graphs import GraphedSkipGram

                    width = outputs.shape[1] if self.windows else None
                    self.graphed = GraphedSkipGram(
                        sgns_step, self.W_in, self.W_out, model.batch_size_, model.negative, model.damping_, width
                    )
                loss += self.graphed(inputs[lo:hi], outputs[lo:hi], negatives, lr)
            elif model.sg:
                loss += sgns_step(self.W_in, self.W_out, inputs[lo:hi], outputs[lo:hi], negatives, lr, model.damping_)
            else:
                loss += self.steps.cbow_step(
                    self.W_in, self.W_out, *cbow_batch(lo, hi), negatives, lr, model.damping_, 2 * model.window
                )
        return float(loss), examples, int(t.numel())

    def _rate(self, words: float, total_words: int) -> float:
        """The learning rate after ``words`` corpus words: linear from alpha to min_alpha over the run."""
        model = self.model
        return max(model.start_alpha - (model.start_alpha - model.min_alpha) * words / total_words, model.min_alpha)

    def _skipgram_windows(self, t, docs, radii, gen):
        """A chunk's skip-gram windows, shuffled: centres (n,) and their context words (n, 2 window), -1 where
        there is none. Each window's pairs share one draw of negatives (``kernel="shared"`` with batches)."""
        import torch

        centres, context, mask = sampling.cbow_contexts(t, docs, radii, self.model.window)
        order = torch.randperm(centres.numel(), device=self.device, generator=gen)
        return centres[order], context.masked_fill_(~mask, -1)[order]

    def _cbow_examples(self, t, docs, radii, gen, index: int):
        """A chunk's CBOW examples, shuffled: ``(n, batch)``, where ``batch(lo, hi)`` gives examples
        lo..hi as (centres, their context words in one flat list, each word's example in the batch)."""
        import torch

        model = self.model
        if self.device.type == "cpu":  # flat lists, built and shuffled in one compiled pass
            seed = task_seed(model.seed, self.epoch, index, 2)
            centres, context, ptr = sampling.shuffled_cbow_examples(t, docs, radii, seed)
            example = np.repeat(np.arange(centres.size), np.diff(ptr))
            centres_t, context_t, example_t = (torch.from_numpy(a) for a in (centres, context, example))
            return centres_t.numel(), lambda lo, hi: (
                centres_t[lo:hi],
                context_t[ptr[lo] : ptr[hi]],
                example_t[ptr[lo] : ptr[hi]] - lo,
            )
        centres, context, mask = sampling.cbow_contexts(t, docs, radii, model.window)
        order = torch.randperm(centres.numel(), device=self.device, generator=gen)
        centres, context, mask = centres[order], context[order], mask[order]

        def batch(lo, hi):
            example, col = torch.nonzero(mask[lo:hi], as_tuple=True)
            return centres[lo:hi], context[lo:hi][example, col], example

        return centres.numel(), batch
