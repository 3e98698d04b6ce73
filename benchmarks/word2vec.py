"""word2vec: cooc (torch, CPU or GPU) against gensim on the same corpora and hyperparameters.

Speed (raw corpus words per second of training) and quality side by side:

- ``wiki``: gensim's shortened English Wikipedia sample (about 480k tokens, cooc's default
  tokeniser) repeated ``--repeat`` times, documents cut at 10,000 tokens (gensim's sentence
  limit). Quality: analogy accuracy on questions-words.txt (gensim's protocol: listed
  questions, unknown words skipped, 3CosAdd) and Spearman on WordSim353 / SimLex-999. The
  sample is small, so scores are low; what matters is that cooc and gensim agree.
- ``attributes``: the binary-attribute model (``cooc.grammars.attributes``; d binary
  attributes, 2^d words, Markov documents whose adjacent pairs follow P(i, j)); analogies
  along each attribute are known exactly, scored on sampled pairs of pairs (protocol B).

Hyperparameters are the anchor's (benchmarks/RESULTS.md): skip-gram, negative 5, window 5, dim 100,
sample 1e-3, min_count 5, 5 epochs, alpha 0.025 -> 1e-4 (CBOW with --cbow: alpha 0.05, word2vec.c's, for every trainer).

gensim runs in two modes. ``corpus_file`` is the speed anchor (its fastest
multi-core path), but it trains on fewer words than the corpus holds: on the wiki sample x5,
1.73M effective words per epoch where the subsampling formula (and gensim's own vocabulary)
expects 1.90M (gensim issues #2693 and #2757: that mode's workers skip data). Its quality
is therefore that of a shorter training. ``corpus_iterable`` (``LineSentence``) trains on every
word; quality parity is judged against it, speed against ``corpus_file``.

Usage::

    python benchmarks/word2vec.py prepare            # here: corpora + evaluation files -> .bench/word2vec
    python benchmarks/word2vec.py run --device cpu   # gensim and cooc, quality and speed
    python benchmarks/word2vec.py run --device cuda --out DIR   # on a GPU machine (gensim optional)

``run`` stores gensim's figures in ``.bench/word2vec/reference.json``; on a machine
without gensim those stored quality figures are shown beside cooc's (marked as such).

Thread counts and a busy machine (CPU)::

    python benchmarks/word2vec.py run --device cpu --threads 1,2 --corpora wiki --repeat 5 --fasttext
    python benchmarks/word2vec.py run --device cpu --threads 1,2 --busy --corpora wiki --repeat 5

``--threads 1,2`` gives one row per thread count: cooc's ``Word2Vec(threads=N)``, gensim's
``workers=N`` (corpus_file mode) and, with ``--fasttext``, fastText's skip-gram (the Debian
``fasttext`` program, ``-thread N``; no character n-grams, so it is word2vec's model; lr 0.025;
its lines are cut at 1,024 words by fastText itself). ``--busy`` runs every trainer twice in each
round, alone and beside a process that keeps one core busy (a plain Python loop), and reports the
ratios 2 threads / 1 thread and busy / alone.

In the thread rows, cooc's N is its step threads (the compiled step and the pair building, and
torch's CPU threads); on the CPU ``cooc.train.word2vec.run`` also prepares the next chunk (id
mapping, subsampling, window radii) in one more thread while a chunk trains (``PREPARE_AHEAD``;
``COOC_WORD2VEC_PREPARE_AHEAD=0`` turns it off), so the rows say "N step (+1 preparing)".
gensim corpus_file stays the speed anchor at each thread count. Quality is judged, as in
``run``, against gensim ``corpus_iterable`` (``--quality-reference iterable``, the default),
trained once per seed at the largest thread count given, alone: that mode trains on every word
at any worker count, so its quality depends little on the workers, and training it at each
thread count would double the run (the corpus_file rows, whose mode skips data, show that
mode's worker effect). ``--quality-reference file`` compares with corpus_file at the same thread
count instead, as earlier versions did.

fastText's own words/s count only the tokens it keeps (words reaching ``-minCount``, plus one
end-of-line token a line: its ``Dictionary::getLine``). Its rate is converted to raw corpus
tokens per second, the words cooc and gensim count, by scaling it with the corpus's tokens over
the tokens fastText counts in one pass (in-vocabulary tokens + lines); both rates are recorded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository, where cooc is not installed
from _common import append_results, machine, markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench" / "word2vec"
HYPER = dict(sg=True, dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5, alpha=0.025)
MAX_DOC = 10_000
ATTR = dict(d=6, p=0.5, s=0.25, n_docs=20_000, length=50, seed=0)


# -- preparing the data (needs gensim's package data) -------------------------------------------
def prepare(data: Path) -> None:
    from cooc.corpus.build import build_corpus
    from cooc.data import questions_words_path, simlex999_path, wiki_sample_path, wordsim353_path
    from cooc.grammars.attributes import BinaryAttributeModel

    data.mkdir(parents=True, exist_ok=True)
    build_corpus(wiki_sample_path(), data / "wiki", progress=False)
    model = BinaryAttributeModel(d=ATTR["d"], p=ATTR["p"], s=ATTR["s"])
    model.write_corpus(data / "attributes", ATTR["n_docs"], ATTR["length"], seed=ATTR["seed"])
    (data / "eval").mkdir(exist_ok=True)
    for path in (questions_words_path(), wordsim353_path(), simlex999_path()):
        shutil.copy(path, data / "eval" / path.name)
    print(f"prepared {data}: wiki sample corpus, attribute corpus, evaluation files")


def repeated_corpus(data: Path, repeat: int):
    """The wiki sample repeated ``repeat`` times, as a TokenCorpus."""
    from cooc.corpus.store import CorpusWriter, TokenCorpus

    out = data / f"wiki_x{repeat}"
    base = TokenCorpus.open(data / "wiki")
    docs = [d[s : s + MAX_DOC] for d in base.documents() for s in range(0, d.size, MAX_DOC)]
    lengths = np.array([d.size for d in docs])
    tokens = np.concatenate(docs)
    writer = CorpusWriter(
        out,
        base.vocab,
        source={"kind": "wiki sample repeated", "repeat": repeat},
        settings={"repeat": repeat, "max_doc": MAX_DOC},
    )
    if writer.existing is None:
        for _ in range(repeat):
            writer.add_documents(tokens, np.r_[0, np.cumsum(lengths)])
    return writer.close()


def text_file(corpus, path: Path) -> Path:
    """One document per line, words separated by spaces (gensim's LineSentence / corpus_file)."""
    if not path.exists():
        words = np.array(corpus.vocab.words + ["<oov>"])
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            for doc in corpus.documents():
                fh.write(" ".join(words[doc]) + "\n")
        tmp.rename(path)
    return path


def attribute_questions(n_pairs: int = 48, seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """A sample of each attribute family's word pairs (protocol B forms all ordered pairs of them)."""
    from cooc.grammars.attributes import BinaryAttributeModel

    model = BinaryAttributeModel(d=ATTR["d"], p=ATTR["p"], s=ATTR["s"])
    rng = np.random.default_rng(seed)
    out = {}
    for name, pairs in model.families().items():
        pick = rng.choice(len(pairs), size=min(n_pairs, len(pairs)), replace=False)
        out[name] = [pairs[i] for i in sorted(pick)]
    return out


# -- quality ------------------------------------------------------------------------------------
def quality(embedding, corpus_name: str, data: Path, device: str) -> dict[str, float]:
    from cooc.geometry.analogy import evaluate_analogies
    from cooc.geometry.similarity import evaluate_similarity

    eval_device = "cuda" if device.startswith("cuda") and _cupy() else "cpu"
    if corpus_name == "attributes":
        res = evaluate_analogies(embedding, attribute_questions(), protocol="pairs", device=eval_device)
        return {"analogy": 100 * res.accuracy}
    res = evaluate_analogies(embedding, data / "eval" / "questions-words.txt", device=eval_device)
    ws = evaluate_similarity(embedding, data / "eval" / "wordsim353.tsv")
    sl = evaluate_similarity(embedding, data / "eval" / "simlex999.txt")
    return {
        "analogy": 100 * res.accuracy,
        "ws353": 100 * ws.spearman,
        "simlex": 100 * sl.spearman,
        "questions": res.usable,
    }


def _numba_threads() -> str:
    """numba's thread count, and its threading layer once a parallel kernel has run."""
    import numba

    try:
        return f"{numba.get_num_threads()}, layer {numba.threading_layer()}"
    except ValueError:  # no parallel kernel has run in this process
        return str(numba.get_num_threads())


def _cupy() -> bool:
    from cooc._core.device import cuda_available

    return cuda_available()


# -- the two trainers ---------------------------------------------------------------------------
GENSIM_MODES = ("corpus_file", "corpus_iterable")


def run_gensim(text: Path, seed: int, workers: int, mode: str = "corpus_file") -> tuple[dict, object]:
    from gensim.models import Word2Vec as GensimWord2Vec
    from gensim.models.word2vec import LineSentence

    from cooc.embedding import Embedding

    model = GensimWord2Vec(
        sg=int(HYPER["sg"]),
        vector_size=HYPER["dim"],
        window=HYPER["window"],
        negative=HYPER["negative"],
        sample=HYPER["sample"],
        min_count=HYPER["min_count"],
        alpha=HYPER["alpha"],
        workers=workers,
        seed=seed,
    )
    corpus = (
        {"corpus_file": str(text)}
        if mode == "corpus_file"
        else {"corpus_iterable": LineSentence(str(text), max_sentence_length=MAX_DOC)}
    )
    model.build_vocab(**corpus)
    start = time.perf_counter()
    effective, raw = model.train(
        **corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=HYPER["epochs"]
    )
    seconds = time.perf_counter() - start
    emb = Embedding(model.wv.vectors, list(model.wv.index_to_key), {"model": "gensim"})
    return {"seconds": seconds, "raw_wps": raw / seconds, "effective_wps": effective / seconds}, emb


def _triton_shape(kernels, devices) -> str:
    """', block BxW' naming the Triton step's block shape when a run used it."""
    if not any(_kernel(k, d) == "triton" for k in kernels for d in devices if d != "cpu"):
        return ""
    from cooc.train.word2vec import _step_triton

    return f", block {_step_triton.BLOCK_M}x{_step_triton.NUM_WARPS}"


def _kernel(kernel: str, device: str) -> str:
    """The step kernel a run with ``kernel`` uses on ``device`` ('auto' resolved as the library does)."""
    from cooc.train._torch import torch_device
    from cooc.train.word2vec.kernels import resolve_kernel

    return resolve_kernel(kernel, torch_device(device))


def compile_step(kernel: str, device: str) -> None:
    """Compile the Triton step's variants once, untimed (Triton caches them on disk).

    Triton specialises a kernel on its integer arguments (divisible by 16, or equal to 1), so a
    chunk's last, shorter batch can be another compilation, and so can a learning rate given as
    a device scalar (graph replay): every variant is built here, so that no run times one.
    """
    import torch

    from cooc.train._torch import torch_device
    from cooc.train.word2vec.kernels import step_kernel, window_kernel

    kernel = _kernel(kernel, device)
    W_in, W_out = (torch.rand((1000, HYPER["dim"]), device=device) for _ in range(2))
    if kernel == "shared" and device != "cpu":  # the batched step by windows (context padded with -1)
        window_step = window_kernel(torch_device(device)).window_step
        for n in (4096, 4093, 1):
            context = torch.randint(-1, 1000, (n, 2 * HYPER["window"]), device=device)
            ids = torch.randint(0, 1000, (n, 1 + HYPER["negative"]), device=device)
            for lr in (0.025, torch.tensor(0.025, device=device)):
                window_step(W_in, W_out, ids[:, 0], context, ids[:, 1:].contiguous(), lr, 1.0)
        return
    if kernel != "triton":
        return
    for n in (4096, 4093, 1):
        ids = torch.randint(0, 1000, (n, 1 + HYPER["negative"]), device=device)
        for lr in (0.025, torch.tensor(0.025, device=device)):
            step_kernel(kernel).sgns_step(W_in, W_out, ids[:, 0], ids[:, 1], ids[:, 1:].contiguous(), lr, 1.0)


_WARM: set[tuple] = set()  # the GPU configurations already warmed up in this process


def run_cooc(
    corpus,
    seed: int,
    device: str,
    batch_size: int | None,
    cuda_graph: bool | None = None,
    kernel: str = "auto",
    damping: float | str | None = "default",
) -> tuple[dict, object]:
    from cooc.train._torch import synchronize, torch_device
    from cooc.train.word2vec.estimator import Word2Vec

    compile_step(kernel, device)
    params = dict(HYPER, seed=seed, device=device, progress=False, cuda_graph=cuda_graph, kernel=kernel)
    if batch_size:
        params["batch_size"] = batch_size
    if damping != "default":
        params["damping"] = damping
    config = (device, kernel, batch_size, cuda_graph, damping)
    if device != "cpu" and config not in _WARM:
        # untimed: a configuration's first fit on the GPU pays one-off costs inside its timed loop (H200,
        # 2026-12-04, batch 65,536: 9.75M words/s for the first seed, 21.05M for the second)
        Word2Vec(**{**params, "epochs": 1}).fit(corpus)
        _WARM.add(config)
    model = Word2Vec(**params).fit(corpus)
    synchronize(torch_device(device))
    s = model.train_seconds_
    return {
        "seconds": s,
        "raw_wps": model.raw_words_ / s,
        "effective_wps": model.effective_words_ / s,
        "loss": model.loss_history_[-1]["loss"],
    }, model.embedding_


def fasttext_raw_scale(corpus) -> float:
    """Raw corpus tokens per token that fastText counts in its words/s, over one pass of the text file.

    fastText counts only the tokens of words reaching ``-minCount`` and one end-of-line token a line
    (``Dictionary::getLine``); :func:`text_file` writes one document a line."""
    counts = corpus.token_counts()
    counted = int(counts[counts >= HYPER["min_count"]].sum()) + corpus.n_docs
    return corpus.n_tokens / counted


def run_fasttext(text: Path, seed: int, threads: int, out: Path, raw_scale: float = 1.0) -> tuple[dict, object]:
    """fastText's skip-gram (or CBOW) with word2vec's settings.

    Words/s: fastText's own rate over the training loop (``ft_wps``: the tokens it counts), times
    ``raw_scale`` (:func:`fasttext_raw_scale`) for ``raw_wps``, raw corpus tokens per second."""
    import re
    import subprocess

    from cooc.embedding import Embedding

    out.mkdir(parents=True, exist_ok=True)
    prefix = out / f"fasttext_t{threads}_s{seed}"
    command = [
        "fasttext",
        "skipgram" if HYPER["sg"] else "cbow",
        "-input",
        str(text),
        "-output",
        str(prefix),
        "-dim",
        str(HYPER["dim"]),
    ]
    command += ["-ws", str(HYPER["window"]), "-neg", str(HYPER["negative"]), "-t", str(HYPER["sample"])]
    command += ["-minCount", str(HYPER["min_count"]), "-epoch", str(HYPER["epochs"]), "-thread", str(threads)]
    command += ["-minn", "0", "-maxn", "0", "-bucket", "0", "-lr", str(HYPER["alpha"]), "-seed", str(seed)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rates = re.findall(r"words/sec/thread:\s*(\d+)", done.stderr + done.stdout)
    # fastText's rate counts the in-vocabulary words (+ end-of-line tokens) it read (before subsampling)
    # per thread, over the training loop; raw_scale converts it to raw corpus tokens
    ft_wps = int(rates[-1]) * threads if rates else float("nan")
    emb = Embedding.load_word2vec_format(prefix.with_suffix(".vec"))
    for suffix in (".bin", ".vec"):
        prefix.with_suffix(suffix).unlink(missing_ok=True)
    speed = {"seconds": wall, "raw_wps": ft_wps * raw_scale, "ft_wps": ft_wps, "effective_wps": float("nan")}
    return {**speed, "wall_s": wall}, emb


class BusyCore:
    """A process that keeps one core busy (a plain Python loop) while the block runs."""

    def __enter__(self) -> BusyCore:
        import subprocess

        self.process = subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])
        time.sleep(0.5)  # let it reach the loop
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()


def thread_counts(args: argparse.Namespace, trainer: str) -> list[int]:
    """The thread counts a trainer runs at: ``--fasttext-threads`` for fastText where given, else ``--threads``."""
    if trainer == "fasttext" and args.fasttext_threads:
        return [int(t) for t in args.fasttext_threads.split(",") if t.strip()]
    return args.thread_list


REFERENCE = "gensim corpus_iterable (quality reference)"


def _trainer_label(trainer: str) -> str:
    """The name a thread row shows: gensim's runs in these rows are corpus_file."""
    return "gensim corpus_file" if trainer == "gensim" else trainer


def _threads_label(trainer: str, threads: int) -> str:
    """A row's thread count, saying what it means for cooc (its step threads, plus the preparing thread)."""
    from cooc.train.word2vec.run import PREPARE_AHEAD

    if trainer.startswith("cooc") and PREPARE_AHEAD:
        return f"{threads} step (+1 preparing)"
    return str(threads)


def run_threads(args: argparse.Namespace) -> None:
    """One row per (trainer, thread count[, busy]); rounds alternate the configurations."""
    import contextlib
    import os

    from cooc.train.word2vec.estimator import Word2Vec  # before torch: cooc asks for passive OpenMP waiting
    from cooc.train.word2vec.run import PREPARE_AHEAD

    data = Path(args.data)
    corpus = repeated_corpus(data, args.repeat)
    text = text_file(corpus, data / f"wiki_x{args.repeat}.txt")
    cooc_trainers = [f"cooc ({k})" for k in args.kernels] if args.kernels != ["auto"] else ["cooc"]
    trainers = cooc_trainers + ["gensim"] + (["fasttext"] if args.fasttext else [])
    states = (False, True) if args.busy else (False,)
    runs: dict[tuple, list] = {}
    ref_threads = max(args.thread_list)
    ft_scale = fasttext_raw_scale(corpus) if args.fasttext else 1.0
    # untimed warm-up: loads the compiled kernels and starts numba's thread pool
    Word2Vec(**{**HYPER, "epochs": 1}, seed=0, device="cpu", progress=False).fit(corpus)
    for seed in range(args.seeds):
        if args.quality_reference == "iterable":  # once per seed, alone, at the largest thread count
            load = os.getloadavg()[0]
            speed, emb = run_gensim(text, seed, ref_threads, "corpus_iterable")
            record = {**speed, **quality(emb, "wiki", data, "cpu"), "load": load}
            runs.setdefault((REFERENCE, ref_threads, False), []).append(record)
            print(REFERENCE, f"workers {ref_threads}", seed, record, flush=True)
        for busy in states:
            with BusyCore() if busy else contextlib.nullcontext():
                for trainer in trainers:
                    for threads in thread_counts(args, trainer):
                        load = os.getloadavg()[0]
                        if trainer.startswith("cooc"):
                            kernel = trainer[6:-1] if "(" in trainer else "auto"
                            model = Word2Vec(
                                **HYPER, seed=seed, device="cpu", progress=False, threads=threads, kernel=kernel
                            )
                            model.fit(corpus)
                            speed = {
                                "seconds": model.train_seconds_,
                                "raw_wps": model.raw_words_ / model.train_seconds_,
                            }
                            emb = model.embedding_
                        elif trainer == "gensim":
                            speed, emb = run_gensim(text, seed, threads, "corpus_file")
                        else:
                            speed, emb = run_fasttext(text, seed, threads, data / "fasttext", ft_scale)
                        record = {**speed, **quality(emb, "wiki", data, "cpu"), "load": load}
                        runs.setdefault((trainer, threads, busy), []).append(record)
                        print(trainer, f"threads {threads}", "busy" if busy else "alone", seed, record, flush=True)
    rows = []
    for (trainer, threads, busy), records in runs.items():
        wps = [r["raw_wps"] / 1e3 for r in records]
        rows.append(
            [
                _trainer_label(trainer),
                _threads_label(trainer, threads),
                "1 busy core" if busy else "alone",
                f"{statistics.median(wps):.0f} ({min(wps):.0f}-{max(wps):.0f})",
                *[f"{statistics.median(r[m] for r in records):.1f}" for m in ("analogy", "ws353", "simlex")],
                f"{statistics.median(r['load'] for r in records):.1f}",
                len(records),
            ]
        )
    ratios = []
    for trainer in trainers:
        counts = thread_counts(args, trainer)
        name = _trainer_label(trainer)
        for busy in states:
            for threads in counts[1:]:
                a, b = runs[(trainer, threads, busy)], runs[(trainer, counts[0], busy)]
                r = statistics.median(x["raw_wps"] / y["raw_wps"] for x, y in zip(a, b))
                ratios.append([name, f"{threads} / {counts[0]} threads", "busy" if busy else "alone", f"{r:.2f}"])
        # against each anchor at the same thread count and state, paired by round
        anchors = ["gensim"] + (["fasttext"] if args.fasttext and trainer.startswith("cooc") else [])
        for anchor in (a for a in anchors if a != trainer):
            for busy in states:
                for threads in (t for t in counts if (anchor, t, busy) in runs):
                    a, b = runs[(trainer, threads, busy)], runs[(anchor, threads, busy)]
                    r = statistics.median(x["raw_wps"] / y["raw_wps"] for x, y in zip(a, b))
                    ratios.append(
                        [
                            name,
                            f"/ {_trainer_label(anchor)}, {_threads_label(trainer, threads)} vs {threads} threads",
                            "busy" if busy else "alone",
                            f"{r:.2f}",
                        ]
                    )
        if args.busy:
            for threads in counts:
                a, b = runs[(trainer, threads, True)], runs[(trainer, threads, False)]
                r = statistics.median(x["raw_wps"] / y["raw_wps"] for x, y in zip(a, b))
                ratios.append([name, f"busy / alone, {threads} threads", "", f"{r:.2f}"])
    quality_rows, band = quality_against_reference(args, runs, trainers, states, ref_threads)
    reference_name = (
        f"gensim corpus_iterable ({ref_threads} workers, alone, once per seed)"
        if args.quality_reference == "iterable"
        else "gensim corpus_file at the same thread count and state"
    )
    header = [
        "trainer",
        "threads",
        "machine",
        "k raw words/s, median (range)",
        "analogy %",
        "WS353",
        "SimLex",
        "load",
        "runs",
    ]
    prepare = (
        "plus 1 thread preparing the next chunk while a chunk trains (id mapping, subsampling, window radii: "
        "cooc.train.word2vec.run PREPARE_AHEAD; COOC_WORD2VEC_PREPARE_AHEAD=0 turns it off), so cooc's row may "
        "use one core more than gensim's at the same N"
        if PREPARE_AHEAD
        else "no preparing thread (COOC_WORD2VEC_PREPARE_AHEAD=0)"
    )
    body = (
        markdown_table(header, rows)
        + "\n\nRatios (median over rounds of the ratio within a round):\n\n"
        + markdown_table(["trainer", "ratio", "", "value"], ratios)
        + f"\n\nQuality against the reference, {reference_name} (difference of means ± its standard error "
        "over seeds):\n\n"
        + markdown_table(["trainer", "threads", "machine", "analogy %", "WS353", "SimLex"], quality_rows)
        + (f"\n\n{band}" if band else "")
        + f"\n\nwiki sample x{args.repeat}, {_mode()}, dim 100, window 5, negative 5, sample 1e-3, min_count 5, "
        f"{HYPER['epochs']} epochs. Rounds: every configuration once per seed, alone then beside the busy "
        "process, so drift hits all alike. cooc: Word2Vec(threads=N, kernel=K): N step threads (numba threads of "
        f"the step and the pair building, torch's CPU threads), {prepare}; the kernel in brackets where several "
        f"ran. gensim: workers=N, corpus_file (the speed anchor; it trains on fewer effective words than the "
        f"corpus holds, gensim issues #2693, #2757)"
        + (
            f"; gensim corpus_iterable (LineSentence, every word): the quality reference, {ref_threads} workers, "
            "once per seed (its quality depends little on the workers), its speed shown but not used"
            if args.quality_reference == "iterable"
            else ""
        )
        + (
            f". fastText: -thread N, {_mode()} without n-grams, lr {HYPER['alpha']}, its own words/s for the "
            f"training loop converted to raw corpus tokens (x{ft_scale:.4f} = corpus tokens / the tokens fastText "
            "counts a pass: in-vocabulary tokens + one end-of-line token a line)"
            if args.fasttext
            else ""
        )
        + ". Words/s are raw corpus words per "
        "second of training. Load: 1-minute load average when the run started."
    )
    if args.record:
        title = (
            "word2vec threads"
            + ("" if HYPER["sg"] else " (CBOW)")
            + (" beside a busy core" if args.busy else "")
            + ": cooc, gensim"
            + (", fastText" if args.fasttext else "")
        )
        append_results(title, body)
    else:
        print(body)


def quality_against_reference(
    args: argparse.Namespace, runs: dict[tuple, list], trainers: list[str], states: tuple, ref_threads: int
) -> tuple[list[list], str]:
    """Rows of (trainer, threads, state, differences of analogy / WS353 / SimLex from the quality reference),
    and one line giving cooc's band: the range of its differences over its rows."""
    metrics = ("analogy", "ws353", "simlex")
    rows, diffs = [], []
    for trainer in trainers:
        for busy in states:
            for threads in thread_counts(args, trainer):
                if args.quality_reference == "iterable":
                    reference = runs.get((REFERENCE, ref_threads, False))
                else:
                    reference = runs.get(("gensim", threads, busy))
                if not reference or trainer == "gensim" and args.quality_reference == "file":
                    continue
                ours = runs[(trainer, threads, busy)]
                rows.append(
                    [
                        _trainer_label(trainer),
                        _threads_label(trainer, threads),
                        "1 busy core" if busy else "alone",
                        *[_difference([r[m] for r in ours], [r[m] for r in reference]) for m in metrics],
                    ]
                )
                if trainer.startswith("cooc"):
                    diffs.append(
                        [
                            statistics.mean(r[m] for r in ours) - statistics.mean(r[m] for r in reference)
                            for m in metrics
                        ]
                    )
    band = ""
    if diffs:
        lo, hi = np.min(diffs, axis=0), np.max(diffs, axis=0)
        against = (
            f"gensim corpus_iterable ({ref_threads} workers)"
            if args.quality_reference == "iterable"
            else "gensim corpus_file (same threads)"
        )
        band = f"cooc's quality band against {against}, over its {len(diffs)} rows: " + ", ".join(
            f"{name} {a:+.2f} to {b:+.2f}" for name, a, b in zip(("analogy", "WS353", "SimLex"), lo, hi)
        )
    return rows, band


# -- the run ------------------------------------------------------------------------------------
def _difference(a: list[float], b: list[float]) -> str:
    """Difference of means, with its standard error over seeds when both sides have several."""
    diff = statistics.mean(a) - statistics.mean(b)
    if len(a) < 2 or len(b) < 2:
        return f"{diff:+.2f}"
    return f"{diff:+.2f} ± {(statistics.variance(a) / len(a) + statistics.variance(b) / len(b)) ** 0.5:.2f}"


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def _configs(args: argparse.Namespace) -> list[tuple]:
    """(device, kernel, batch, graph, damping) of every cooc run of a round. With one device the kernel,
    batch, graph and damping lists apply to it; with several (e.g. cpu,cuda) they apply to the GPU, and the
    CPU runs the library's defaults."""
    configs = []
    for device in args.devices:
        if len(args.devices) > 1 and device == "cpu":
            configs.append((device, "auto", None, None, "default"))
        else:
            configs += [
                (device, k, b, g, d)
                for k in args.kernels
                for b in args.batch_sizes
                for g in args.cuda_graph
                for d in args.dampings
            ]
    return configs


def run(args: argparse.Namespace) -> None:
    from cooc._core.numba_cache import prepare_kernels

    prepare_kernels()  # before torch: its libgomp reads OMP_WAIT_POLICY (PASSIVE) when torch loads it
    import torch

    from cooc.corpus.store import TokenCorpus

    data = Path(args.data)
    if not (data / "eval").exists():
        sys.exit(f"{data} has no prepared data: run `python benchmarks/word2vec.py prepare` first (needs gensim).")
    reference_path = data / "reference.json"
    reference = json.loads(reference_path.read_text()) if reference_path.exists() else {}
    try:
        import gensim  # noqa: F401

        have_gensim = args.gensim_seeds > 0
    except ImportError:
        have_gensim = False
    corpora = {}
    for name in args.corpora.split(","):
        if name == "wiki":
            corpora[name] = (repeated_corpus(data, args.repeat), data / f"wiki_x{args.repeat}.txt")
        else:
            corpora[name] = (TokenCorpus.open(data / "attributes"), data / "attributes.txt")
    rows, records = [], {}
    for name, (corpus, text) in corpora.items():
        corpus_key = f"repeat={args.repeat}" if name == "wiki" else json.dumps(ATTR, sort_keys=True)
        key = f"{name}|{corpus_key}|{json.dumps(HYPER, sort_keys=True)}"
        gensim_runs: dict[str, list] = {}
        # Hogwild threads race on a 64-word vocabulary and lose quality (measured: 76% with 2
        # workers against 86% with 1 after 5 epochs), so the synthetic corpus uses one worker.
        workers = 1 if name == "attributes" else args.workers
        if have_gensim:
            text_file(corpus, text)
        configs = _configs(args)
        cooc_runs: dict[str, list] = {}
        # Rounds: each seed runs every trainer once, gensim and cooc in turn, so that a machine whose
        # speed drifts during the benchmark (shared VMs: up to +-30%) slows all of them alike.
        for seed in range(max(args.gensim_seeds if have_gensim else 0, args.seeds)):
            for mode in GENSIM_MODES if have_gensim and seed < args.gensim_seeds else ():
                speed, emb = run_gensim(text, seed, workers, mode)
                gensim_runs.setdefault(mode, []).append({**speed, **quality(emb, name, data, "cpu")})
                print("gensim", mode, name, seed, gensim_runs[mode][-1], flush=True)
            for device, kernel, batch, graph, damping in configs if seed < args.seeds else ():
                label = (
                    f"cooc, {device}"
                    + ("" if kernel == "auto" else f" {kernel}")
                    + f", batch {batch or 'default'}"
                    + (" windows" if kernel == "shared" and (device != "cpu" or batch) else "")
                    + {None: "", True: ", CUDA graph", False: ", no CUDA graph"}[graph]
                    + ("" if damping == "default" else f", damping {damping}")
                )
                try:  # one failing configuration (a kernel that does not build) leaves the others' figures
                    speed, emb = run_cooc(corpus, seed, device, batch, graph, kernel, damping)
                except Exception:
                    traceback.print_exc()
                    continue
                cooc_runs.setdefault(label, []).append(
                    {
                        **speed,
                        **quality(emb, name, data, device),
                        "batch_size": batch,
                        "cuda_graph": graph,
                        "kernel": kernel,
                        "damping": damping,
                    }
                )
                print("cooc", name, kernel, batch, graph, damping, seed, cooc_runs[label][-1], flush=True)
        for mode in GENSIM_MODES:
            mode_key = key if mode == "corpus_file" else f"{key}|{mode}"
            if have_gensim:
                reference[mode_key] = {"machine": machine(), "workers": workers, "runs": gensim_runs[mode]}
                reference_path.write_text(json.dumps(reference, indent=1))
            elif reference.get(mode_key):
                gensim_runs[mode] = reference[mode_key]["runs"]
        metrics = ["analogy", "ws353", "simlex"] if name == "wiki" else ["analogy"]
        pad = ["-", "-"] if name != "wiki" else []
        labelled = [
            (f"gensim {mode}, {workers} workers" + ("" if have_gensim else " (stored reference)"), runs)
            for mode, runs in gensim_runs.items()
        ]
        for who, runs in (*labelled, *cooc_runs.items()):
            measured = who.startswith("cooc") or have_gensim
            rows.append(
                [
                    name,
                    who,
                    corpus.n_tokens * HYPER["epochs"],
                    _stats([r["raw_wps"] / 1e6 for r in runs]) if measured else "(other machine)",
                    _stats([r["effective_wps"] / 1e6 for r in runs]) if measured else "-",
                    f"{statistics.mean(r['effective_wps'] * r['seconds'] for r in runs) / HYPER['epochs']:,.0f}",
                    *[_stats([r[m] for r in runs]) for m in metrics],
                    *pad,
                    len(runs),
                ]
            )
        records[name] = {"gensim": gensim_runs, "cooc": [r for runs in cooc_runs.values() for r in runs]}
        anchor, reference_quality = gensim_runs.get("corpus_file"), gensim_runs.get("corpus_iterable")
        for who, runs in cooc_runs.items():
            if have_gensim and anchor and workers < args.workers:
                # gensim held to fewer workers than cooc's threads (or the GPU) for its quality: no speed ratio
                rows.append(
                    [
                        name,
                        f"speed ratio ({who}) / gensim corpus_file",
                        "",
                        f"n/a (gensim {workers} worker{'s' if workers > 1 else ''})",
                        *[""] * 6,
                    ]
                )
            elif have_gensim and anchor:
                # Paired by round (the same seed's runs ran back to back): the median of the rounds' ratios.
                ratio = statistics.median(c["raw_wps"] / g["raw_wps"] for c, g in zip(runs, anchor))
                rows.append(
                    [name, f"speed ratio ({who}) / gensim corpus_file", "", f"{ratio:.2f}x", "", "", "", "", "", ""]
                )
            if reference_quality:
                rows.append(
                    [
                        name,
                        f"quality: ({who}) - gensim corpus_iterable",
                        "",
                        "",
                        "",
                        "",
                        *[_difference([r[m] for r in runs], [r[m] for r in reference_quality]) for m in metrics],
                        *pad,
                        "",
                    ]
                )
    header = [
        "corpus",
        "trainer",
        "words trained",
        "raw Mwords/s",
        "effective Mwords/s",
        "effective words / epoch",
        "analogy %",
        "WS353 rho x100",
        "SimLex rho x100",
        "seeds",
    ]
    table = markdown_table(header, rows)
    notes = (
        f"{_mode().capitalize()}, dim 100, window 5, negative 5, sample 1e-3, min_count 5, {HYPER['epochs']} epochs. wiki = gensim's "
        f"Wikipedia sample x{args.repeat} (docs cut at {MAX_DOC} tokens); attributes = binary-attribute model "
        f"d={ATTR['d']}, s={ATTR['s']}, {ATTR['n_docs']} Markov documents of {ATTR['length']} tokens, analogies "
        f"on sampled pairs of each attribute family (protocol B). cooc default batch: 4096 on CPU, 65536 on "
        f"CUDA (16384 windows with kernel shared); the batched steps' damping 'auto' unless a row says otherwise "
        f"(1 up to 65,536 pairs a step, in proportion above: 4 at 262,144, 16 at 1,048,576; a window counts "
        f"window + 1 pairs); by default the step is cooc's compiled kernel on CPU (numba threads {_numba_threads()}) and the "
        f"fused Triton step on CUDA{_triton_shape(args.kernels, args.devices)}, with full skip-gram batches "
        f"replayed from a CUDA graph (the torch step: tensor operations), torch threads "
        f"{torch.get_num_threads()}. Mean ± sd over seeds; quality rows: difference of means ± its standard "
        f"error over seeds. Trainers run in rounds (one seed of each in turn); speed ratio: median over "
        f"rounds of the ratio within a round. Words/s count raw corpus words (effective: after min_count and "
        f"subsampling) over the training loop only, each GPU configuration after an untimed one-epoch fit. "
        f"gensim corpus_file is the speed anchor; it trains on fewer effective words "
        f"than corpus_iterable and cooc (gensim issues #2693, #2757), so quality is compared with "
        f"corpus_iterable. On the attributes corpus gensim runs 1 worker (hogwild threads lose quality on its "
        f"64 words) while cooc keeps all cores ({args.workers}) or the GPU, so no speed ratio is given there "
        f"(n/a). cooc on the CPU: its step threads plus one thread preparing the next chunk."
    )
    body = table + "\n\n" + notes
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "word2vec.json").write_text(json.dumps({"machine": machine(), "records": records}, indent=1))
        (out / "word2vec.md").write_text(f"Machine: {machine()}\n\n{body}\n")
    if args.record:
        append_results(f"word2vec: cooc ({', '.join(args.devices)}) vs gensim", body)
    else:
        print(body)


def _damping(text: str) -> float | str | None:
    """A --dampings value: 'default' (leave the library's), 'auto', 'none' (undamped), or a number."""
    return text if text in ("default", "auto") else None if text == "none" else float(text)


def _mode() -> str:
    return "skip-gram" if HYPER["sg"] else "CBOW (mean of the context, cbow_mean=1)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="write corpora and evaluation files into --data")
    p.add_argument("--data", default=str(DATA))
    r = sub.add_parser("run", help="train and compare")
    r.add_argument("--data", default=str(DATA))
    r.add_argument(
        "--device",
        default="cpu",
        help="where cooc trains: cpu, cuda, or both in one run (cpu,cuda: the CPU with the library's "
        "defaults, the GPU with --kernels, --batch-sizes and --cuda-graph)",
    )
    r.add_argument("--repeat", type=int, default=20, help="copies of the wiki sample (about 480k tokens each)")
    r.add_argument("--corpora", default="wiki,attributes")
    r.add_argument("--seeds", type=int, default=3, help="cooc seeds")
    r.add_argument("--gensim-seeds", type=int, default=3, help="gensim seeds (0: use the stored reference)")
    r.add_argument("--workers", type=int, default=None, help="gensim workers (default: all cores)")
    r.add_argument("--batch-sizes", default="", help="cooc batch sizes, comma-separated (default: the library's)")
    r.add_argument(
        "--threads",
        default=None,
        help="thread counts, comma-separated (1,2): one row each for cooc (Word2Vec(threads=N)), gensim "
        "(workers=N) and fastText (--fasttext); the wiki corpus only",
    )
    r.add_argument("--busy", action="store_true", help="also run each trainer beside a process that keeps a core busy")
    r.add_argument(
        "--quality-reference",
        default="iterable",
        choices=("iterable", "file"),
        help="with --threads: quality compared with gensim corpus_iterable (trained once per seed at the largest "
        "thread count; default) or with gensim corpus_file at each thread count",
    )
    r.add_argument("--fasttext", action="store_true", help="also run fastText's skip-gram (needs the fasttext program)")
    r.add_argument(
        "--fasttext-threads",
        default="",
        help="fastText's thread counts, each also one of --threads (default: all of --threads); fastText is "
        "several times slower than the others at few threads",
    )
    r.add_argument(
        "--kernels",
        default="auto",
        help="cooc step kernels, comma-separated: auto, torch, numba, triton, hogwild, shared (default: auto); with "
        "--threads, one row per kernel. 'shared' with --batch-sizes (always on cuda) steps batches of that many "
        "windows, each window's pairs sharing one draw of negatives",
    )
    r.add_argument(
        "--cuda-graph",
        default="auto",
        choices=("auto", "off", "on", "both"),
        help="replay skip-gram steps from a CUDA graph (cuda only; auto: the library's default, on for "
        "skip-gram on CUDA; 'both' runs each batch size both ways)",
    )
    r.add_argument(
        "--dampings",
        default="default",
        help="cooc's damping (the curvature bound of a batched step's rows), comma-separated: numbers, 'none', "
        "'auto', or 'default' (the library's: 'auto', 1.0 up to 65,536 pairs a step); one row per value",
    )
    r.add_argument(
        "--epochs", type=int, default=HYPER["epochs"], help="epochs (5 in the anchor; fewer for a smoke run)"
    )
    r.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram, for every trainer")
    r.add_argument("--out", default=None, help="also write word2vec.json / word2vec.md here")
    r.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(Path(args.data))
    else:
        from cooc._core.threads import available_cores

        args.workers = args.workers or available_cores()
        HYPER["epochs"] = args.epochs
        HYPER["sg"] = not args.cbow
        HYPER["alpha"] = 0.025 if HYPER["sg"] else 0.05  # word2vec.c's defaults, given to every trainer
        args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()] or [None]
        args.cuda_graph = {"auto": [None], "off": [False], "on": [True], "both": [False, True]}[args.cuda_graph]
        args.kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
        args.dampings = [_damping(d.strip()) for d in args.dampings.split(",") if d.strip()]
        args.devices = [d.strip() for d in args.device.split(",") if d.strip()]
        if args.threads or args.busy:
            args.thread_list = [int(t) for t in (args.threads or "1,2").split(",") if t.strip()]
            if not set(thread_counts(args, "fasttext")) <= set(args.thread_list):
                parser.error("--fasttext-threads must be among --threads (its rows are compared with gensim's)")
            run_threads(args)
        else:
            run(args)


if __name__ == "__main__":
    main()
