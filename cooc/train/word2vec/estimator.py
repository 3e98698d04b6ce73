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
On a CPU the batches are left out by default: the hogwild kernels
(:mod:`cooc.train.word2vec._step_hogwild`) train each chunk in corpus order with unlocked updates,
with the same subsampling, windows and learning-rate decay as word2vec.c and gensim: CBOW position
by position, skip-gram window by window with one draw of negatives shared by the window's pairs
(``kernel="shared"``; ``"hogwild"`` is word2vec.c's pair-by-pair order). ``kernel="shared"`` on a GPU,
or on a CPU with a batch size, steps batches of shuffled windows instead, each window's pairs scored
against one draw of negatives (:func:`cooc.train.word2vec._step_torch.window_step`, fused in
:mod:`cooc.train.word2vec._step_triton_window`).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..._core.errors import InputDataError, InvalidParameterError
from ..._core.io import jsonable, provenance
from ..._core.params import Constraint, InstanceOf, Interval, OneOf, validate
from ..._core.signals import note_kept
from ..._core.threads import thread_limit
from ...corpus.store import TokenCorpus
from .._torch import torch_device
from .kernels import KERNELS, batched_windows, resolve_kernel
from .run import TrainingRun

DEFAULT_BATCH = {"cpu": 4096, "cuda": 65536}
#: Pairs a step at which ``damping="auto"`` is 1; it grows in proportion above (see :func:`_damping`).
DAMPING_PAIRS = 65536
_POSITIVE = Interval(float, 0, None, closed="neither", allow_none=True)
#: Windows per step of ``kernel="shared"`` on a GPU (about 6 pairs a window at window 5).
DEFAULT_WINDOW_BATCH = 16384

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
    "damping": Constraint(lambda v: v == "auto" or _POSITIVE.test(v), "'auto', a number in (0, inf) or None"),
    "kernel": OneOf(KERNELS),
    "cuda_graph": InstanceOf(bool, allow_none=True),
    "chunk_tokens": Interval(int, 1, None),
    "vectors": OneOf(("input", "sum")),
    "seed": Interval(int, 0, None),
    "checkpoint_every": Interval(float, 0, None, allow_inf=True),  # inf: by words only (--checkpoint-every 5Mwords)
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
        Starting learning rate (default 0.025 for skip-gram, 0.05 for CBOW: word2vec.c's defaults;
        gensim's is 0.025 for both, so ``alpha=0.025`` trains CBOW at gensim's default rate).
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
        Examples (pairs for skip-gram, centre words for CBOW; windows for skip-gram with
        ``kernel="shared"``) per SGD step of a batched kernel; by default 4096 on a CPU (cache-sized)
        and 65536 on a GPU (enough work per step to hide kernel launches), and
        :data:`DEFAULT_WINDOW_BATCH` windows for ``"shared"`` on a GPU. Quality against gensim is
        checked for each in ``benchmarks/word2vec.py``. On a CPU the hogwild and shared kernels have
        no batches by default: giving a batch size with ``kernel="auto"`` selects the batched numba
        step, with ``kernel="shared"`` the batched step by windows.
    damping : float, "auto" or None, default "auto"
        Bound on each row's step by its curvature in the batch (see :mod:`cooc.train.word2vec._step_torch`):
        a row whose summed gradient would overshoot takes a shorter step. Rows seen a few
        times keep the plain SGD step. None disables it (large batches may then diverge on
        small vocabularies). ``"auto"`` is 1.0 up to :data:`DAMPING_PAIRS` (65,536) pairs a step and
        grows in proportion above (:func:`_damping`; the resolved value is ``damping_``): with a fixed
        bound, frequent rows move less in an epoch the larger the batch. On the wiki sample x10 (2-core
        VM, 3 seeds, the batched pair step) a fixed bound of 1.0 lost WS353 and the training loss at
        262,144 and 1,048,576 pairs a step, the proportional bound brought both back
        (benchmarks/RESULTS.md). The hogwild and shared kernels in corpus order ignore it.
    kernel : {"auto", "shared", "hogwild", "numba", "torch", "triton"}, default "auto"
        How training is computed. On a CPU, ``"hogwild"`` (:mod:`cooc.train.word2vec._step_hogwild`;
        CBOW's default unless a ``batch_size`` is given) trains as word2vec.c and gensim do: pairs
        (skip-gram) or positions (CBOW) in corpus order, each update written at once, threads
        unlocked. ``"shared"`` (skip-gram's default on a CPU) is the same order with one draw of
        negatives per window, shared by the window's pairs, whose output rows move once per window
        (CBOW as hogwild): 1.24-1.61x faster than ``"hogwild"`` at equal quality against gensim
        (benchmarks/RESULTS.md). Both ignore ``damping`` and are reproducible on one thread only;
        ``"hogwild"`` takes no ``batch_size``. ``"shared"`` with a ``batch_size``, and on a GPU, takes
        the batched step by windows instead: each window's pairs share one draw of negatives, its output
        rows are gathered and moved once (fused Triton kernels on a GPU, the torch step elsewhere).
        The other kernels take the batched step (docs/science.md, section 7): ``"numba"`` (compiled
        CPU kernels, the default on a CPU when a ``batch_size`` is given), ``"triton"`` (two fused GPU
        kernels, :mod:`cooc.train.word2vec._step_triton`, the default on a GPU; on a CPU only in
        Triton's interpreter, for tests) or ``"torch"`` (tensor operations;
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
        (subsampling, window draws) while training on the CPU (default: the cores available to
        this process). With a batched kernel the result is bitwise the same for every count (the
        hogwild and shared kernels' threads write unlocked, so their runs agree bitwise on one thread only);
        numba's and torch's own settings are restored after. A corpus given by its path is
        verified on these threads too (its checksums, :meth:`TokenCorpus.verify`).
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
    damping_ : float or None
        The damping used (``"auto"`` resolved).
    windows_ : bool
        Whether skip-gram trained by batches of windows (``kernel="shared"`` on a GPU or with a batch
        size); their settings and provenance then say ``batches="windows"``.
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
    start_words_ : int
        Raw words a checkpoint had already trained when this call began (0 for a fresh run).
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
        damping: float | str | None = "auto",
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
        if self.min_alpha > self.start_alpha:  # the rate decays from alpha to min_alpha: it would grow instead
            raise InvalidParameterError(
                f"Word2Vec: parameter 'min_alpha' must be at most alpha = {self.start_alpha}, got {self.min_alpha}."
            )
        corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus.open(corpus, threads=self.threads)
        device = torch_device(self.device)
        self.kernel_ = resolve_kernel(self.kernel, device, self.sg, self.batch_size)
        self.batch_size_ = _batch_size(self.batch_size, self.kernel_, self.sg, device)
        self.windows_ = self.sg and batched_windows(self.kernel_, device, self.batch_size)
        self.damping_ = _damping(self.damping, self.batch_size_, self.windows_, self.window, self.dynamic_window)
        self.cuda_graph_ = _resolve_graph(self.cuda_graph, self.sg, device)
        id_map, counts = self._vocabulary(corpus)
        settings = self._settings(corpus)
        run = TrainingRun.start(self, corpus, device, id_map, counts, settings, checkpoint)
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
        trained = run.raw_words - run.start_words
        self.words_per_second_ = trained / run.seconds if run.seconds > 0 and trained > 0 else float("nan")
        self.start_words_ = int(run.start_words)
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
        params["damping"] = self.damping_
        if self.windows_:  # "shared" by batches of windows, not in corpus order (same kernel name and batch_size_)
            params["batches"] = "windows"
        return json.loads(json.dumps(jsonable({"params": params, "corpus": fingerprint})))  # NumPy ints as ints

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
        params["damping"] = getattr(self, "damping_", self.damping)
        params["cuda_graph"] = self.cuda_graph_
        if getattr(self, "windows_", False):
            params["batches"] = "windows"
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


def _batch_size(batch_size: int | None, kernel: str, sg: bool, device) -> int:
    """Examples per step: ``batch_size``, else the device's default (of windows for skip-gram by windows)."""
    if batch_size is not None:
        return batch_size
    return DEFAULT_WINDOW_BATCH if sg and batched_windows(kernel, device, None) else DEFAULT_BATCH[device.type]


def _damping(damping: float | str | None, batch_size: int, windows: bool, window: int, dynamic: bool) -> float | None:
    """The curvature bound a run uses: ``damping``, or for ``"auto"`` ``max(1, pairs a step / DAMPING_PAIRS)``.

    A frequent row's summed step is capped near ``damping / T_r`` with ``T_r`` growing with the pairs of the
    step, so with a fixed bound its movement in an epoch shrinks as the batch grows (fewer steps, each capped
    alike). A bound in proportion to the pairs a step keeps it. A step of windows holds about ``window + 1``
    pairs a window (``2 window`` without dynamic windows); CBOW examples and skip-gram pairs count once.
    """
    if damping is None or not isinstance(damping, str):
        return damping
    per_example = (window + 1 if dynamic else 2 * window) if windows else 1
    return max(1.0, batch_size * per_example / DAMPING_PAIRS)


def _resolve_graph(cuda_graph: bool | None, sg: bool, device) -> bool:
    """Whether full skip-gram batches replay a CUDA graph: by default (None) on a CUDA device."""
    if cuda_graph and (device.type != "cuda" or not sg):
        raise InvalidParameterError(
            f"Word2Vec: cuda_graph=True is for skip-gram on a CUDA device, not "
            f"{'CBOW' if not sg else 'device ' + repr(str(device))}."
        )
    return (sg and device.type == "cuda") if cuda_graph is None else cuda_graph


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
