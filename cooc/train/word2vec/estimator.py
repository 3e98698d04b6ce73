"""word2vec (skip-gram or CBOW with negative sampling) trained from a TokenCorpus with torch.

The corpus is streamed in chunks of whole documents. On the device, each chunk is mapped to
the training vocabulary (out-of-vocabulary tokens dropped, so windows bridge them), frequent
words are subsampled, every position draws its window radius, and all training examples of
the chunk are generated at once and shuffled (on a CPU by one compiled pass,
:func:`~cooc.train.word2vec.sampling.shuffled_skipgram_pairs` or ``shuffled_cbow_examples``); they are
then consumed in large batches, each
one batched SGD step (see :mod:`cooc.train.word2vec._step_torch`) with the learning rate decaying linearly
with the fraction of the corpus seen, as in word2vec.c and gensim. On a CPU the step runs as
compiled numba kernels (:mod:`cooc.train.word2vec._step_numba`), the same step without the torch
step's intermediate (B, K + 1, d) arrays; ``kernel="torch"`` runs the GPU's code on the CPU.
On a CPU the batches are left out by default: the hogwild kernel
(:mod:`cooc.train.word2vec._step_hogwild`) trains each chunk in corpus order, pair by pair for
skip-gram and position by position for CBOW, as word2vec.c and gensim do, with the same
subsampling, windows and learning-rate decay.
On a GPU the step runs by default as two fused Triton kernels (:mod:`cooc.train.word2vec._step_triton`)
instead of the torch step's ~40 launches, and each full skip-gram batch is replayed from a
captured CUDA graph (measured on an H100: 0.65 ms a step of 65536 pairs against 1.45 ms for
the torch step, and about 19M words/s in a whole run against 8-10M; benchmarks/RESULTS.md).

Every random draw of chunk ``c`` in epoch ``e`` comes from generators seeded by
``(seed, e, c)`` (on a CPU the negatives and the examples' shuffle have seeds of their own), so a run
interrupted at a chunk boundary and resumed from its checkpoint gives the same vectors as an
uninterrupted run (bitwise on CPU; on CUDA, ``index_add_`` and the Triton step's atomic adds
sum in a nondeterministic order, so two GPU runs agree only to float rounding).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..._core.errors import InputDataError, InvalidParameterError
from ..._core.faults import fault_point
from ..._core.io import provenance
from ..._core.locks import lock_directory
from ..._core.logs import log
from ..._core.params import InstanceOf, Interval, OneOf, validate
from ..._core.progress import ProgressBar
from ..._core.signals import DeferredInterrupt, kept_note, note_kept
from ..._core.threads import thread_limit
from ...corpus.store import TokenCorpus
from .._checkpoint import load_checkpoint, save_checkpoint
from .._torch import generator, synchronize, task_seed, torch_device
from . import sampling
from .kernels import KERNELS, resolve_kernel, step_kernel

CHECKPOINT_FORMAT = "cooc.word2vec-checkpoint/1"
DEFAULT_BATCH = {"cpu": 4096, "cuda": 65536}

_CONSTRAINTS = {
    "sg": InstanceOf(bool),
    "dim": Interval(int, 1, None),
    "window": Interval(int, 1, None),
    "negative": Interval(int, 1, None),
    "sample": Interval(float, 0, 1),
    "epochs": Interval(int, 1, None),
    "alpha": Interval(float, 0, None, closed="neither", allow_none=True),
    "min_alpha": Interval(float, 0, None),
    "min_count": Interval(int, 1, None),
    "max_vocab": Interval(int, 1, None, allow_none=True),
    "ns_exponent": Interval(float, 0, None),
    "dynamic_window": InstanceOf(bool),
    "batch_size": Interval(int, 1, None, allow_none=True),
    "damping": Interval(float, 0, None, closed="neither", allow_none=True),
    "kernel": OneOf(KERNELS),
    "cuda_graph": InstanceOf(bool, allow_none=True),
    "chunk_tokens": Interval(int, 1, None),
    "vectors": OneOf(("input", "sum")),
    "seed": Interval(int, 0, None),
    "checkpoint_every": Interval(float, 0, None),
    "checkpoint_words": Interval(int, 1, None, allow_none=True),
    "threads": Interval(int, 1, None, allow_none=True),
}


class Word2Vec(BaseEstimator):
    """Skip-gram / CBOW with negative sampling on CPU or GPU.

    Parameters
    ----------
    sg : bool, default True
        Skip-gram (True) or CBOW with the mean of the context vectors (False).
    dim : int, default 100
    window : int, default 5
        Largest window radius L.
    negative : int, default 5
        Negatives per positive example, drawn from unigram^``ns_exponent``.
    sample : float, default 1e-3
        Subsampling threshold t (0 disables); see :func:`cooc.train.word2vec.sampling.keep_probabilities`.
    epochs : int, default 5
    alpha : float, optional
        Starting learning rate (default 0.025 for skip-gram, 0.05 for CBOW, as gensim).
    min_alpha : float, default 1e-4
        Learning rate reached at the end of training (linear decay).
    min_count : int, default 5
        Words seen fewer times in the corpus are dropped before windowing.
    max_vocab : int, optional
        Keep at most this many of the most frequent words.
    ns_exponent : float, default 0.75
    dynamic_window : bool, default True
        Draw each position's radius uniformly in 1..L (word2vec.c's weighting of near words).
    batch_size : int, optional
        Examples (pairs for skip-gram, centre words for CBOW) per SGD step of a batched kernel; by
        default 4096 on a CPU (cache-sized) and 65536 on a GPU (enough work per step to hide kernel
        launches). Quality against gensim is checked for both in ``benchmarks/word2vec.py``. The
        hogwild kernel has no batches: giving a batch size on a CPU with ``kernel="auto"`` selects
        the batched numba step instead.
    damping : float or None, default 1.0
        Bound on each row's step by its curvature in the batch (see :mod:`cooc.train.word2vec._step_torch`):
        a row whose summed gradient would overshoot takes a shorter step. Rows seen a few
        times keep the plain SGD step. None disables it (large batches may then diverge on
        small vocabularies).
    kernel : {"auto", "hogwild", "numba", "torch", "triton"}, default "auto"
        How training is computed. On a CPU, ``"hogwild"`` (the default unless a ``batch_size`` is
        given; :mod:`cooc.train.word2vec._step_hogwild`) trains as word2vec.c and gensim do: pairs
        (skip-gram) or positions (CBOW) in corpus order, each update written at once, threads
        unlocked; it takes no ``batch_size``, ignores ``damping``, and is reproducible on one thread
        only. The other kernels take the batched step (docs/science.md, section 7): ``"numba"``
        (compiled CPU kernels, the default on a CPU when a ``batch_size`` is given), ``"triton"`` (two fused GPU kernels, :mod:`cooc.train.word2vec._step_triton`, the default
        on a GPU; on a CPU only in Triton's interpreter, for tests) or ``"torch"`` (tensor operations;
        the GPU's default where triton is not installed or the GPU is older than compute capability
        8.0). The batched kernels differ by float rounding only.
    cuda_graph : bool or None, default None
        Skip-gram on a GPU only, with the torch or Triton step: replay each full batch's step
        from a captured CUDA graph (:mod:`cooc.train.word2vec._graphs`), which saves the per-kernel
        launch cost of the step. None: on for skip-gram on a CUDA device, off otherwise.
    chunk_tokens : int, default 1048576
        Corpus tokens per chunk: the unit of shuffling, progress and checkpointing.
    vectors : {"input", "sum"}, default "input"
        Return the input vectors (as gensim) or input + output vectors.
    device : str, default "cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    seed : int, default 0
    progress : bool, default True
        Show a progress bar with words/s and the loss (only on a terminal).
    checkpoint_every : float, default 300
        Seconds between checkpoints when :meth:`fit` is given a checkpoint directory
        (0: after every chunk).
    checkpoint_words : int, optional
        Also checkpoint once this many corpus words were trained since the last checkpoint
        (checkpoints fall at chunk ends, whichever of the two limits comes first). With a
        checkpoint directory, Ctrl-C or SIGTERM lets the chunk in progress finish and saves a
        checkpoint before stopping (a second Ctrl-C stops at once).
    threads : int, optional
        CPU threads of the compiled step and the pair building, and of torch's CPU operations
        (subsampling, window draws) while training on the CPU (default: all cores). With a batched
        kernel the result is bitwise the same for every count (the hogwild kernel's threads write
        unlocked, so its runs agree bitwise on one thread only); numba's and torch's own settings are
        restored after.
        torch's OpenMP threads wait passively only when cooc's word2vec was imported before torch
        (libgomp reads ``OMP_WAIT_POLICY`` when torch loads it); otherwise its threads spin briefly
        after each operation, which costs a busy machine a little.

    Attributes
    ----------
    index_to_key_ : list of str, length V
        The training vocabulary, most frequent first.
    counts_ : ndarray of shape (V,)
        Corpus counts of those words.
    batch_size_ : int
        The batch size used.
    input_vectors_, output_vectors_ : ndarray of shape (V, dim), float32
    embedding_ : Embedding
    loss_history_ : list of dict
        Per chunk: ``epoch``, ``chunk``, ``words`` (raw words done so far), ``examples`` (pairs or
        CBOW windows trained on), ``loss`` (mean per example).
    raw_words_, effective_words_ : int
        Corpus tokens processed, and those left after vocabulary and subsampling.
    train_seconds_ : float
        Wall time of the training loop in this call (0 when a finished run was reloaded).
    words_per_second_ : float
        Raw corpus words trained on per second in this call (NaN when nothing was trained).
    """

    def __init__(
        self,
        *,
        sg: bool = True,
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        sample: float = 1e-3,
        epochs: int = 5,
        alpha: float | None = None,
        min_alpha: float = 1e-4,
        min_count: int = 5,
        max_vocab: int | None = None,
        ns_exponent: float = 0.75,
        dynamic_window: bool = True,
        batch_size: int | None = None,
        damping: float | None = 1.0,
        kernel: str = "auto",
        cuda_graph: bool | None = None,
        chunk_tokens: int = 1 << 20,
        vectors: str = "input",
        device: str = "cpu",
        seed: int = 0,
        progress: bool = True,
        checkpoint_every: float = 300.0,
        checkpoint_words: int | None = None,
        threads: int | None = None,
    ):
        self.sg = sg
        self.dim = dim
        self.window = window
        self.negative = negative
        self.sample = sample
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.ns_exponent = ns_exponent
        self.dynamic_window = dynamic_window
        self.batch_size = batch_size
        self.damping = damping
        self.kernel = kernel
        self.cuda_graph = cuda_graph
        self.chunk_tokens = chunk_tokens
        self.vectors = vectors
        self.device = device
        self.seed = seed
        self.progress = progress
        self.checkpoint_every = checkpoint_every
        self.checkpoint_words = checkpoint_words
        self.threads = threads

    # -- parameters -------------------------------------------------------------------------
    _RESULT_PARAMS = (
        "sg",
        "dim",
        "window",
        "negative",
        "sample",
        "epochs",
        "alpha",
        "min_alpha",
        "min_count",
        "max_vocab",
        "ns_exponent",
        "dynamic_window",
        "batch_size",
        "damping",
        "kernel",
        "cuda_graph",
        "chunk_tokens",
        "seed",
    )

    @property
    def start_alpha(self) -> float:
        return self.alpha if self.alpha is not None else (0.025 if self.sg else 0.05)

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        corpus: TokenCorpus | str | os.PathLike,
        y: Any = None,
        *,
        checkpoint: str | os.PathLike | None = None,
        callback: Callable[[dict[str, Any]], None] | None = None,
    ) -> Word2Vec:
        """Train on ``corpus``.

        Parameters
        ----------
        corpus : TokenCorpus or path of one
        y : ignored
            (scikit-learn's signature).
        checkpoint : path, optional
            Directory for checkpoints. If it holds a checkpoint of the same settings and
            corpus, training resumes from it (a finished run is simply reloaded).
        callback : callable, optional
            Called after every chunk (and after its checkpoint) with a dict of progress;
            an exception it raises stops training, leaving the checkpoint to resume from.

        Returns
        -------
        self
        """
        validate(self.get_params(), _CONSTRAINTS, owner="Word2Vec")
        corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus.open(corpus)
        device = torch_device(self.device)
        self.batch_size_ = self.batch_size or DEFAULT_BATCH[device.type]
        self.kernel_ = resolve_kernel(self.kernel, device, self.sg, self.batch_size)
        self.cuda_graph_ = _resolve_graph(self.cuda_graph, self.sg, device)
        id_map, counts = self._vocabulary(corpus)
        settings = self._settings(corpus)
        run = _Run.start(self, corpus, device, id_map, counts, settings, checkpoint)
        if not run.finished:
            import torch

            # read before numba's pool starts: its first start also resets torch's count to all cores
            torch_before = torch.get_num_threads()
            cpu = device.type == "cpu"
            # a build cannot replace the corpus meanwhile; torch's CPU operations keep to the same thread count
            with corpus.reading(), thread_limit(self.threads) as n, _torch_threads(n if cpu else None, torch_before):
                run.train(callback)
        self.checkpoint_info_ = {
            "path": None if checkpoint is None else str(checkpoint),
            "words": run.saved_words,
            "finished": run.finished and run.saved_words == run.raw_words,
        }
        self.index_to_key_ = [corpus.vocab.words[i] for i in np.flatnonzero(id_map[: len(corpus.vocab)] >= 0)]
        self.counts_ = counts
        self.input_vectors_ = run.W_in.cpu().numpy()
        self.output_vectors_ = run.W_out.cpu().numpy()
        self.loss_history_ = run.history
        self.raw_words_, self.effective_words_ = run.raw_words, run.effective_words
        self.train_seconds_ = run.seconds
        self.words_per_second_ = (run.raw_words - run.start_words) / run.seconds if run.seconds > 0 else float("nan")
        self.embedding_ = self.to_embedding(self.vectors, corpus=corpus)
        return self

    def transform(self, X: Any = None) -> np.ndarray:
        """The trained vectors (``vectors``: input or input + output), shape (V, d), in ``index_to_key_``
        order; ``X``, a sequence of words, selects rows."""
        check_is_fitted(self, "embedding_")
        if X is None or isinstance(X, (TokenCorpus, str, os.PathLike)):
            return np.asarray(self.embedding_.vectors)
        return self.embedding_[list(X)]

    def fit_transform(self, corpus: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """``fit(corpus).transform()``: the vectors, shape (V, d); the Embedding is ``embedding_``."""
        return self.fit(corpus, **fit_params).transform()

    def _vocabulary(self, corpus: TokenCorpus) -> tuple[np.ndarray, np.ndarray]:
        """Map corpus ids to training ids (-1 = dropped) and the counts of the kept words."""
        n_words = len(corpus.vocab)
        all_counts = corpus.token_counts()[:n_words]
        keep = np.flatnonzero(all_counts >= self.min_count)
        if self.max_vocab is not None and keep.size > self.max_vocab:
            order = np.argsort(-all_counts[keep], kind="stable")[: self.max_vocab]
            keep = np.sort(keep[order])
        if keep.size < 2:
            raise InputDataError(
                f"Word2Vec: only {keep.size} words occur at least min_count={self.min_count} "
                "times; lower min_count or use a larger corpus."
            )
        id_map = np.full(n_words + 1, -1, dtype=np.int64)  # the extra slot is the OOV id, if any
        id_map[keep] = np.arange(keep.size)
        return id_map, all_counts[keep]

    def _settings(self, corpus: TokenCorpus) -> dict[str, Any]:
        fingerprint = {
            "n_tokens": corpus.n_tokens,
            "n_docs": corpus.n_docs,
            "shards": [s.get("tokens_checksum") for s in corpus.manifest["shards"]],
        }
        params = {name: getattr(self, name) for name in self._RESULT_PARAMS}
        params["batch_size"], params["kernel"], params["cuda_graph"] = self.batch_size_, self.kernel_, self.cuda_graph_
        return json.loads(json.dumps({"params": params, "corpus": fingerprint}))

    # -- results ----------------------------------------------------------------------------
    def to_embedding(self, vectors: str = "input", corpus: TokenCorpus | None = None):
        """The trained vectors as an :class:`~cooc.embedding.Embedding`.

        Parameters
        ----------
        vectors : {"input", "sum"}
            Input vectors (gensim's ``wv``) or input + output vectors.
        """
        from ...embedding import Embedding

        validate({"vectors": vectors}, {"vectors": _CONSTRAINTS["vectors"]}, owner="Word2Vec")
        W = self.input_vectors_ if vectors == "input" else self.input_vectors_ + self.output_vectors_
        params = {name: getattr(self, name) for name in self._RESULT_PARAMS}
        params["alpha"], params["batch_size"], params["kernel"] = self.start_alpha, self.batch_size_, self.kernel_
        params["cuda_graph"] = self.cuda_graph_
        meta = {
            "model": "word2vec-sg" if self.sg else "word2vec-cbow",
            "vectors": vectors,
            "corpus": str(corpus.path) if corpus is not None else None,
            "corpus_id": corpus.identity if corpus is not None else None,
            "raw_words": self.raw_words_,
            "effective_words": self.effective_words_,
            "final_loss": self.loss_history_[-1]["loss"] if self.loss_history_ else None,
            "provenance": provenance(**params),
        }
        return Embedding(W, self.index_to_key_, meta)


def _resolve_graph(cuda_graph: bool | None, sg: bool, device) -> bool:
    """Whether full skip-gram batches replay a CUDA graph: by default (None) on a CUDA device."""
    if cuda_graph and (device.type != "cuda" or not sg):
        raise InvalidParameterError(
            f"Word2Vec: cuda_graph=True is for skip-gram on a CUDA device, not "
            f"{'CBOW' if not sg else 'device ' + repr(str(device))}."
        )
    return (sg and device.type == "cuda") if cuda_graph is None else cuda_graph


#: Prepare the next chunk in a thread while this one trains on the CPU (the result is the same either way;
#: COOC_WORD2VEC_PREPARE_AHEAD=0 turns it off, to time the difference).
PREPARE_AHEAD = os.environ.get("COOC_WORD2VEC_PREPARE_AHEAD", "1") != "0"


@contextlib.contextmanager
def _torch_threads(n: int | None, before: int):
    """torch's intra-op thread count set to ``n`` in the block (None: unchanged), ``before`` after."""
    if n is None:
        yield
        return
    import torch

    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Run:
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
        self.steps = step_kernel(model.kernel_)
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
    def start(cls, model, corpus, device, id_map, counts, settings, checkpoint) -> _Run:
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
        with bar:
            while self.epoch < model.epochs:
                todo = (
                    (index, tokens, offsets)
                    for index, (tokens, offsets) in enumerate(corpus.iter_chunks(model.chunk_tokens))
                    if index >= self.chunk
                )
                for index, tokens, offsets, prepared in self._prepared(todo):
                    loss, examples, kept = self._train_chunk(tokens, offsets, index, total_words, prepared)
                    self.raw_words += int(tokens.size)
                    self.effective_words += kept
                    self.history.append(
                        {
                            "epoch": self.epoch,
                            "chunk": index,
                            "words": self.raw_words,
                            "examples": examples,
                            "loss": loss / max(examples, 1),
                        }
                    )
                    self.chunk = index + 1
                    bar.update(int(tokens.size), words=int(tokens.size), **{bar.rates[1]: examples})
                    bar.set_description(f"epoch {self.epoch + 1}/{model.epochs} loss {loss / max(examples, 1):.3f}")
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
                self.epoch, self.chunk = self.epoch + 1, 0
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
        """``(index, tokens, offsets, prepared)`` for each chunk, with :meth:`_prepare`'s result.

        On a CPU the next chunk is prepared in a thread while this one trains (the hogwild
        kernels release the GIL): 70 ns a token on one thread, which the step's threads would
        otherwise wait for at every chunk. Each chunk draws from its own generator, so the
        result does not depend on when it was prepared.
        """
        if self.device.type != "cpu" or not PREPARE_AHEAD:
            for index, tokens, offsets in chunks:
                yield index, tokens, offsets, self._prepare(tokens, offsets, index)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="cooc-word2vec-prepare") as pool:
            pending = None
            for index, tokens, offsets in chunks:
                future = pool.submit(self._prepare, tokens, offsets, index)
                if pending is not None:
                    yield pending[0], pending[1], pending[2], pending[3].result()
                pending = (index, tokens, offsets, future)
            if pending is not None:
                yield pending[0], pending[1], pending[2], pending[3].result()

    def _prepare(self, tokens: np.ndarray, offsets: np.ndarray, index: int):
        """The chunk's generator (after its draws here), training ids, document ids and window radii."""
        model = self.model
        gen = generator(self.device, model.seed, self.epoch, index)
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
        gen, t, docs, radii = prepared if prepared is not None else self._prepare(tokens, offsets, index)
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
        if model.sg and self.device.type == "cpu":  # the same pairs and a uniform shuffle, compiled
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
        loss = torch.zeros((), dtype=torch.float64, device=self.device)
        per_draw = n if self.draw_batches is None else self.draw_batches * model.batch_size_

        def learning_rate(hi: int) -> float:  # linear decay with the corpus words seen after the batch
            return self._rate(self.raw_words + tokens.size * hi / n, total_words)

        if model.sg and self.steps.sgns_steps is not None:  # each draw's batches in one call: no Python between steps
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
                    model.damping,
                ):
                    loss += part
            return float(loss), n, int(t.numel())
        for lo in range(0, n, model.batch_size_):
            hi = min(lo + model.batch_size_, n)
            lr = learning_rate(hi)
            if lo % per_draw == 0:
                drawn, drawn_lo = self.sampler.draw((min(per_draw, n - lo), model.negative), neg_gen), lo
            negatives = drawn[lo - drawn_lo : hi - drawn_lo]
            if model.sg and model.cuda_graph_ and hi - lo == model.batch_size_:
                if self.graphed is None:
                    from ._graphs import GraphedSkipGram

                    self.graphed = GraphedSkipGram(
                        self.steps.sgns_step, self.W_in, self.W_out, model.batch_size_, model.negative, model.damping
                    )
                loss += self.graphed(inputs[lo:hi], outputs[lo:hi], negatives, lr)
            elif model.sg:
                loss += self.steps.sgns_step(
                    self.W_in, self.W_out, inputs[lo:hi], outputs[lo:hi], negatives, lr, model.damping
                )
            else:
                loss += self.steps.cbow_step(
                    self.W_in, self.W_out, *cbow_batch(lo, hi), negatives, lr, model.damping, 2 * model.window
                )
        return float(loss), n, int(t.numel())

    def _rate(self, words: float, total_words: int) -> float:
        """The learning rate after ``words`` corpus words: linear from alpha to min_alpha over the run."""
        model = self.model
        return max(model.start_alpha - (model.start_alpha - model.min_alpha) * words / total_words, model.min_alpha)

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


def train_word2vec(
    corpus: TokenCorpus | str | os.PathLike,
    out: str | os.PathLike | None = None,
    checkpoint: str | os.PathLike | None = None,
    **params: Any,
):
    """Train word2vec on ``corpus`` and return (and with ``out``, save) the :class:`Embedding`.

    ``params`` are those of :class:`Word2Vec`. With ``out`` and no ``checkpoint``, checkpoints
    go to ``<out>.checkpoint/`` so that an interrupted run resumes when called again; that
    folder is removed once the embedding is written (see :func:`save_trained`).
    """
    default = out is not None and checkpoint is None
    if default:
        checkpoint = Path(str(out) + ".checkpoint")
    model = Word2Vec(**params).fit(corpus, checkpoint=checkpoint)
    if out is not None:
        save_trained(model, out, remove_checkpoint=default)
    return model.embedding_


def save_trained(model: Word2Vec, out: str | os.PathLike, remove_checkpoint: bool) -> Path:
    """Write a fitted model's embedding to ``out``, then (only then) remove its checkpoint folder.

    The finished vectors are never lost: the checkpoint goes only after the embedding is safely
    written, and a failed write (a full disk) says where the training is kept.

    Raises
    ------
    OSError
        The embedding could not be written; the exception carries a note (see
        :func:`cooc._core.signals.kept_note`) saying what is kept.
    """
    info = getattr(model, "checkpoint_info_", {}) or {}
    try:
        path = model.embedding_.save(out)
    except OSError as exc:
        where = info.get("path")
        if where and info.get("finished"):
            note = (
                f"the finished training is kept in {where!r}: free some space and run the same command "
                f"again to write the embedding without training again."
            )
        elif where and info.get("words"):
            note = (
                f"the checkpoint in {where!r} holds the training up to word {info['words']:,}; "
                f"run the same command again to resume."
            )
        else:
            note = "the trained vectors were not saved anywhere."
        note_kept(exc, note)
        raise
    if remove_checkpoint and info.get("path"):
        import shutil

        shutil.rmtree(info["path"], ignore_errors=True)
    return path


__all__ = ["Word2Vec", "train_word2vec", "save_trained"]
