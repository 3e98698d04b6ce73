"""Scale: corpus ingestion against the number of workers, and Dask counting against the single-process counter.

Usage::

    python benchmarks/scale.py --tokens 10e6 --workers 1 2 --results             # here (2 cores)
    python benchmarks/scale.py --source synthetic --tokens 100e6 --workers 1 2 4 8 16 \\
        --skip-dask --gen-processes 16 --results                                 # the 16-core GPU machine

Part 1 (ingestion): ``build_corpus`` on a folder of text files (one document per line)
holding ``--tokens`` tokens, with 1, 2, ... tokenising workers; tokens/s is corpus tokens
over wall time (read, tokenise, write raw shards, choose the vocabulary, remap, manifest).
Every build is checked identical (shard checksums) to the 1-worker build before its time
is quoted. The text is the extracted Wikipedia sample (gensim's shortened dump, markup
stripped, punctuation and case kept), repeated, or (``--source synthetic``, needs nothing
but numpy) Zipf-distributed made-up words with capitals, numbers and punctuation. One
process writes the synthetic text at about 3.7M tokens/s (2-core VM); ``--gen-processes N``
writes its files in N processes, one random stream per file.

Part 2 (Dask): the corpus from part 1 counted (window 10, harmonic, V = ``--vocab``) by
``count_cooccurrences`` with all cores, and by ``count_distributed`` on a ``LocalCluster``
of ``--dask-workers`` processes sharing the same cores; the matrices must be equal bit for
bit. The table's "speed vs local" is a speed ratio, as the ingestion table's "vs 1 worker": the local
counter's wall time over this counter's (above 1 = faster than the local counter, below 1 = slower;
cluster start-up shown apart).

Both parts project the time for English Wikipedia (``--project-tokens``, 4.5e9 by
default) from the measured rates.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import append_results, markdown_table  # noqa: E402

from cooc._core.threads import available_cores  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench" / "scale"
WIKIPEDIA_TOKENS = 4.5e9


# -- input text --------------------------------------------------------------------------------
def wiki_plain(path: Path = DATA / "wiki-plain.txt") -> Path:
    """The Wikipedia sample's articles as plain text, one per line (markup stripped; needs gensim once)."""
    if path.exists():
        return path
    from cooc.corpus.sources import WikiXMLSource
    from cooc.data import wiki_sample_path

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for text in WikiXMLSource(wiki_sample_path()).documents():
            out.write(" ".join(text.split()) + "\n")
    os.replace(tmp, path)
    return path


def _synthetic_vocabulary(rng: np.random.Generator, n_types: int):
    """The made-up words (plain, Capitalised, with "," and with ".") and the numbers the synthetic text draws from."""
    letters = np.frombuffer(b"etaoinshrdlucmfwypvbgkjqxz", dtype=np.uint8)
    p_letter = 1.0 / np.arange(1, 27) ** 0.7
    lengths = rng.integers(2, 12, n_types)
    flat = rng.choice(letters, size=int(lengths.sum()), p=p_letter / p_letter.sum()).tobytes().decode()
    ends = np.cumsum(lengths)
    words = np.array([flat[e - n : e] for e, n in zip(ends.tolist(), lengths.tolist())], dtype=object)
    numbers = np.array([f"{k:,}" if k % 2 else str(k % 2030) for k in rng.integers(1, 99999, 2000)], dtype=object)
    variants = np.stack([words, np.array([w.capitalize() for w in words], dtype=object), words + ",", words + "."])
    return variants, numbers


def synthetic_lines(
    rng: np.random.Generator, n_tokens: int, n_types: int = 200_000, doc_tokens: int = 600, vocabulary=None
):
    """Lines of made-up Zipf-distributed words, with capitals, numbers and punctuation like running text.

    The words are drawn from ``rng`` first unless ``vocabulary`` (from :func:`_synthetic_vocabulary`) is given.
    """
    variants, numbers = vocabulary if vocabulary is not None else _synthetic_vocabulary(rng, n_types)
    # variants of every word: plain (83%), Capitalised (5%), followed by "," (6%) or "." (4%); numbers 2%
    p_variant = np.array([0.85, 0.05, 0.06, 0.04])
    p = 1.0 / np.arange(1, n_types + 1)
    cdf = np.cumsum(p / p.sum())
    done = 0
    while done < n_tokens:
        n = min(doc_tokens * 256, n_tokens - done)
        ids = np.minimum(np.searchsorted(cdf, rng.random(n)), n_types - 1)
        toks = variants[rng.choice(4, size=n, p=p_variant), ids]
        is_number = rng.random(n) < 0.02
        toks[is_number] = numbers[rng.integers(0, numbers.size, int(is_number.sum()))]
        for start in range(0, n, doc_tokens):
            yield " ".join(toks[start : start + doc_tokens].tolist())
        done += n


def _synthetic_file(task: tuple[str, int, int, int]) -> None:
    """One file of the per-file synthetic text: the shared words (seed 0), then its own stream (seed [0, f + 1])."""
    path, n_tokens, n_types, f = task
    vocabulary = _synthetic_vocabulary(np.random.default_rng(0), n_types)
    with open(path, "w", encoding="utf-8") as fh:
        for line in synthetic_lines(np.random.default_rng([0, f + 1]), n_tokens, n_types, vocabulary=vocabulary):
            fh.write(line + "\n")


def text_folder(source: str, n_tokens: int, n_files: int, n_types: int = 200_000, processes: int = 1):
    """A folder of ``n_files`` text files with about ``n_tokens`` words in all (made once, then reused);
    a synthetic one draws from ``n_types`` word types.

    With ``processes`` > 1 a synthetic text is written by that many processes, one file each at a
    time: every file then draws its tokens from a stream of its own (the same words, the same
    distribution, other draws than the single stream of one process), and the folder's name ends
    in ``-perfile``. Returns (folder, seconds taken to make it, or None when it was already there).
    """
    types = f"-{n_types}types" if source == "synthetic" and n_types != 200_000 else ""
    per_file_streams = source == "synthetic" and processes > 1
    folder = DATA / f"text-{Path(source).name}-{n_tokens}-{n_files}{types}{'-perfile' if per_file_streams else ''}"
    if (folder / ".done").exists():
        return folder, None
    t0 = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if per_file_streams:
        from concurrent.futures import ProcessPoolExecutor

        per_file = -(-n_tokens // n_files)
        tasks = [
            (str(folder / f"part-{f:03d}.txt"), min(per_file, n_tokens - f * per_file), n_types, f)
            for f in range(n_files)
        ]
        with ProcessPoolExecutor(max_workers=min(processes, n_files)) as pool:
            list(pool.map(_synthetic_file, [t for t in tasks if t[1] > 0]))
    else:
        if source == "synthetic":
            lines = synthetic_lines(np.random.default_rng(0), n_tokens, n_types)
            n_lines = -(-n_tokens // 600)
        else:
            base = (wiki_plain() if source == "wiki" else Path(source)).read_text(encoding="utf-8").splitlines()
            copies = max(1, -(-n_tokens // sum(len(line.split()) for line in base)))
            lines = (line for _ in range(copies) for line in base)
            n_lines = copies * len(base)
        per_file = -(-n_lines // n_files)
        for f in range(n_files):
            with open(folder / f"part-{f:03d}.txt", "w", encoding="utf-8") as fh:
                for _, line in zip(range(per_file), lines):
                    fh.write(line + "\n")
    (folder / ".done").write_text("")
    seconds = time.perf_counter() - t0
    print(f"made {folder.name} in {seconds:.1f} s ({max(1, processes) if per_file_streams else 1} process(es))")
    return folder, seconds


# -- part 1: ingestion ---------------------------------------------------------------------------
def _timing_finalize():
    """Patch the build's last step so that it records when the tokenising pass ended, and listen to its
    debug line on where the main process's time went (benchmark only)."""
    import cooc.corpus.build as cb

    real, marks = cb._finalize, dict.fromkeys(WRITER_PARTS, 0.0)
    lock = threading.Lock()
    # what the writer threads spend: a raw shard's whole hand-over (gather, count, write, commit), the
    # compiled gather and count, the .npy writes with their syncs, and the syncs alone (fsync, every file)
    saved = {"write": cb._RawState._write_shard, "gather": cb.gather, "save": cb.atomic_save_npy, "fsync": os.fsync}

    def summed(key, fn):
        def wrapped(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with lock:
                    marks[key] += time.perf_counter() - t0

        return wrapped

    def timed(*args, **kwargs):
        marks["pass1_end"] = time.perf_counter()
        return real(*args, **kwargs)

    class Routing(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if str(record.msg).startswith("tokenising pass"):
                marks["routing_ns"] = record.args[6]  # ns per token the main process spent routing
                marks["waiting_s"] = record.args[4]  # seconds it waited for the helpers' batches

    handler, logger = Routing(logging.DEBUG), logging.getLogger("cooc")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def restore():
        cb._finalize = real
        cb._RawState._write_shard, cb.gather, cb.atomic_save_npy, os.fsync = saved.values()
        logger.removeHandler(handler)
        logger.setLevel(level)

    cb._finalize = timed
    cb._RawState._write_shard = summed("writer_s", saved["write"])
    cb.gather = summed("gather_s", saved["gather"])
    cb.atomic_save_npy = summed("save_s", saved["save"])
    os.fsync = summed("fsync_s", saved["fsync"])
    return marks, restore


WRITER_PARTS = ("writer_s", "gather_s", "save_s", "fsync_s")


def ingest(folder: Path, workers: list[int], repeat: int, shard_tokens: int, tmp: Path):
    from cooc.corpus.build import build_corpus

    marks, restore = _timing_finalize()
    try:
        return _ingest(build_corpus, marks, folder, workers, repeat, shard_tokens, tmp)
    finally:
        restore()


def _ingest(build_corpus, marks, folder, workers, repeat, shard_tokens, tmp):
    from cooc.corpus.build import writer_threads

    build_corpus(
        next(folder.glob("*.txt")),
        tmp / "warm",
        workers=max(workers),
        progress=False,
        max_docs=200,
        shard_tokens=shard_tokens,
    )  # compiles the tokeniser once (numba's cache) in every process kind
    rows, reference, corpus = [], None, None
    for w in workers:
        times, pass1, routing, writing, waiting, cpu, parts = [], [], [], [], [], [], []
        for r in range(repeat):
            out = tmp / f"w{w}-{r}"
            marks.update(dict.fromkeys(WRITER_PARTS, 0.0))
            before = _cpu_seconds()
            t0 = time.perf_counter()
            corpus = build_corpus(folder, out, workers=w, progress=False, shard_tokens=shard_tokens)
            times.append(time.perf_counter() - t0)
            cpu.append(1e9 * (_cpu_seconds() - before) / corpus.n_tokens)  # the helpers have exited: counted
            waiting.append(marks.get("waiting_s", 0.0))
            pass1.append(marks["pass1_end"] - t0)
            routing.append(marks.get("routing_ns", float("nan")))
            writing.append(1e9 * marks["writer_s"] / corpus.n_tokens)
            parts.append([1e9 * marks[k] / corpus.n_tokens for k in WRITER_PARTS[1:]])
            sums = [s["tokens_checksum"] for s in corpus.manifest["shards"]]
            reference = reference or sums
            if sums != reference:
                raise SystemExit(f"build with {w} workers differs from the first build")
            if r < repeat - 1 or w != workers[-1]:
                shutil.rmtree(out)
        med, med1 = float(np.median(times)), float(np.median(pass1))
        main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows.append(
            [
                w,
                corpus.n_tokens,
                corpus.n_docs,
                len(corpus.vocab),
                med,
                f"{min(times):.2f}-{max(times):.2f}",
                corpus.n_tokens / med / 1e6,
                0.0,
                med1,
                med - med1,
                corpus.n_tokens / med1 / 1e6,
                0.0,
                round(main_rss),
                round(child_rss),
                float(np.median(routing)),
                1e3 / float(np.median(routing)),
                writer_threads(w),
                float(np.median(writing)),
                " / ".join(f"{x:.1f}" for x in np.median(parts, axis=0)),
                1e3 * writer_threads(w) / float(np.median(writing)),
                0.0,
                float(np.median(waiting)),
                float(np.median(cpu)),
            ]
        )
    for row in rows:
        row[7] = f"x{row[6] / rows[0][6]:.2f}"
        row[11] = f"x{row[10] / rows[0][10]:.2f}"
        row[20] = f"{row[6] / rows[0][6] / (row[0] / rows[0][0]):.2f}"  # parallel efficiency, whole build
    return rows, corpus


def controls(folder: Path, workers: list[int]) -> list[list]:
    """``[W, seconds, M tokens/s, efficiency]`` of the tokeniser alone in W independent processes, for each W."""
    from encode import control_tokens

    control_tokens(folder, max(workers))  # warm: numba's cache in the forked processes, the page cache
    rows = []
    for w in workers:
        seconds, tokens = control_tokens(folder, w)
        rows.append([w, round(seconds, 2), tokens / seconds / 1e6, 0.0])
    for row in rows:
        row[3] = f"{row[2] / rows[0][2] / (row[0] / rows[0][0]):.2f}"
    return rows


def _cpu_seconds() -> float:
    """User + system seconds of this process (all its threads) and of its children that have exited."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def verified_open(path: Path, thread_counts: list[int], repeat: int = 3) -> str:
    """One line: opening the built corpus with every file's checksum recomputed, on 1, 2, ... threads."""
    from cooc.corpus.store import TokenCorpus

    size = sum(f.stat().st_size for f in (path / "shards").iterdir())
    parts = []
    for threads in thread_counts:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            TokenCorpus.open(path, threads=threads)
            times.append(time.perf_counter() - t0)
        med = float(np.median(times))
        parts.append(f"{threads} thread(s) {med:.3f} s ({size / med / 1e9:.2f} GB/s)")
    return (
        f"Verified open of the last build (`TokenCorpus.open`, every shard's checksum recomputed, "
        f"{size / 1e9:.2f} GB of shards in the page cache, median of {repeat}): " + "; ".join(parts) + "."
    )


# -- part 2: Dask counting --------------------------------------------------------------------------
def dask_overhead(corpus, vocab: int, dask_workers: int, tmp: Path, device: str = "cpu"):
    from distributed import Client, LocalCluster

    from cooc.count import count_cooccurrences
    from cooc.count.distributed import count_distributed

    cores = available_cores()
    V = min(vocab, len(corpus.vocab))
    params = dict(window=10, weighting="harmonic", vocab_size=V, progress=False, device=device)
    count_cooccurrences(corpus, **params)  # warm: numba cache or CUDA kernels, page cache
    t0 = time.perf_counter()
    local = count_cooccurrences(corpus, workers=cores, **params)
    t_local = time.perf_counter() - t0
    if device != "cpu":  # the GPU result must equal the CPU one too
        cpu = count_cooccurrences(corpus, window=10, weighting="harmonic", vocab_size=V, progress=False)
        if (cpu.counts != local.counts).nnz:
            raise SystemExit("GPU count differs from the CPU count")
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=dask_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    t_start = time.perf_counter() - t0
    try:
        threads = max(1, cores // dask_workers)
        count_distributed(corpus, client, workers=threads, **params)  # warm the workers
        t0 = time.perf_counter()
        dist = count_distributed(corpus, client, workers=threads, **params)
        t_dist = time.perf_counter() - t0
        if (dist.counts != local.counts).nnz or dist.counts.dtype != local.counts.dtype:
            raise SystemExit("Dask count differs from the local count")
        t0 = time.perf_counter()
        blocked = count_distributed(
            corpus, client, workers=threads, out=tmp / f"blocked-{device}", n_blocks=8, **params
        )
        t_blocked = time.perf_counter() - t0
        if (blocked.to_memory().counts != local.counts).nnz:
            raise SystemExit("blocked Dask count differs from the local count")
    finally:
        client.close()
        cluster.close()
    n = corpus.n_tokens
    rows = [
        [
            "count_cooccurrences",
            f"1 process, {cores} threads" if device == "cpu" else "1 process, GPU",
            t_local,
            n / t_local / 1e6,
            "x1.00",
            "reference" + ("; equal to the CPU count" if device != "cpu" else ""),
        ],
        [
            "count_distributed",
            f"{dask_workers} workers x {threads} thread(s)",
            t_dist,
            n / t_dist / 1e6,
            f"x{t_local / t_dist:.2f}",
            f"equal bit for bit; {corpus.n_shards} shards = tasks",
        ],
        [
            "count_distributed out=",
            f"{dask_workers} workers x {threads} thread(s)",
            t_blocked,
            n / t_blocked / 1e6,
            f"x{t_local / t_blocked:.2f}",
            "8 row blocks written by the workers; equal",
        ],
    ]
    return rows, t_start, local.nnz, V


def hours(tokens: float, rate_m: float) -> str:
    return f"{tokens / (rate_m * 1e6) / 3600:.1f} h"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="wiki", help="wiki | synthetic | a text file (one document per line)")
    ap.add_argument("--tokens", type=float, default=10e6)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument(
        "--types", type=int, default=200_000, help="word types the synthetic source draws from (Zipf, exponent 1)"
    )
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--shard-tokens", type=int, default=1 << 20)
    ap.add_argument("--vocab", type=int, default=50_000, help="V for the counting part")
    ap.add_argument("--dask-workers", type=int, default=2)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument(
        "--devices",
        nargs="+",
        default=["cpu"],
        help="where Dask workers (and the reference) count, one table each: cpu, cuda",
    )
    ap.add_argument("--project-tokens", type=float, default=WIKIPEDIA_TOKENS)
    ap.add_argument(
        "--gen-processes",
        type=int,
        default=1,
        help="processes writing the synthetic text (more than 1: one stream per file, a '-perfile' folder)",
    )
    ap.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help="leave out the control: the tokeniser alone in W independent processes (what the machine allows)",
    )
    ap.add_argument("--results", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args()

    folder, made = text_folder(args.source, int(args.tokens), args.files, args.types, args.gen_processes)
    streams = "one stream per file" if folder.name.endswith("-perfile") else "one stream"
    made_note = (
        f"The text ({streams}) was made in {made:.1f} s with {args.gen_processes} process(es) (not included)."
        if made is not None
        else f"The text ({streams}) was made by an earlier run."
    )
    with tempfile.TemporaryDirectory(dir=DATA) as tmpdir:
        tmp = Path(tmpdir)
        rows, corpus = ingest(folder, args.workers, args.repeat, args.shard_tokens, tmp)
        # the fewest and the most workers only: the control costs as long as the builds it mirrors
        control_rows = controls(folder, sorted({min(args.workers), max(args.workers)})) if args.control else []
        body = [
            f"Ingestion: `build_corpus` on {args.files} text files ({args.source}"
            f"{f', {args.types:,} types to draw from' if args.source == 'synthetic' else ''}, about "
            f"{args.tokens / 1e6:.0f}M "
            f"words, one document per line), shards of {args.shard_tokens:,} tokens, all word types kept; "
            f"median of {args.repeat} run(s); every build identical to the 1-worker build. Pass 1 = reading and "
            f"tokenising into raw shards (what grows with the corpus); finalise = choosing the vocabulary, "
            f"remapping the shards and writing the vocabulary (grows with the number of word types). RSS = peak "
            f"resident memory (MB) of the main process / of the largest worker so far. Main routing = the "
            f"main process's time per token in pass 1 outside tokenising and waiting (reading the source, "
            f"numbering types, gathering ids, handing shards over): it does not shrink with more workers, so "
            f"its inverse bounds pass 1 at any worker count on this machine's cores. Writers = the time the "
            f"writer threads spent per token gathering, counting, writing and committing raw shards (summed over "
            f"them); their ceiling is the thread count over it (with several writers that time includes waits "
            f"for the gather lock and for the previous shard's commit, so the ceiling is then a rough guide); "
            f"split into the compiled gather and count, the .npy writes with their syncs, and the syncs alone "
            f"(fsync of every file, the commit points' too). "
            f"Efficiency = speed-up over the first row divided by the ratio of workers. Main waiting = the "
            f"seconds the main process waited for a helper's batch in pass 1 (long waits with little main routing "
            f"point at the helpers). CPU ns/token = user + system seconds of every process of the build (main, "
            f"its writer threads, helpers) per token: flat across worker counts when the cores work as well "
            f"together as alone, growing when they slow each other (shared caches, memory, hyper-threads). "
            f"{made_note}",
            "",
            markdown_table(
                [
                    "workers",
                    "tokens",
                    "docs",
                    "types",
                    "median s",
                    "min-max s",
                    "M tokens/s",
                    "vs 1 worker",
                    "pass 1 s",
                    "finalise s",
                    "pass 1 M tokens/s",
                    "pass 1 vs 1 worker",
                    "main RSS MB",
                    "worker RSS MB",
                    "main routing ns/token",
                    "routing ceiling M tokens/s",
                    "writer threads",
                    "writers ns/token",
                    "writers: gather / write / fsync ns/token",
                    "writers ceiling M tokens/s",
                    "efficiency",
                    "main waiting for helpers s",
                    "CPU ns/token, all processes",
                ],
                rows,
            ),
        ]
        if control_rows:
            body += [
                "",
                "Control: the same text tokenised by W independent processes that share nothing, write nothing and "
                "send nothing back (each takes every W-th block of lines; `benchmarks/encode.py`'s control), at the "
                "fewest and the most workers. Its "
                "efficiency is what this machine's cores allow any parallel tokeniser (shared caches, memory "
                "bandwidth, hyper-threads, the hypervisor); the build's efficiency over it is what the build "
                "itself loses.",
                "",
                markdown_table(
                    ["workers", "control s", "control M tokens/s", "control efficiency", "build efficiency / control"],
                    [
                        [c[0], c[1], c[2], c[3], f"{row[20]} / {c[3]} = {float(row[20]) / float(c[3]):.2f}"]
                        for c in control_rows
                        for row in rows
                        if row[0] == c[0]
                    ],  # fmt: skip
                ),
            ]
        best, best1 = max(rows, key=lambda r: r[6]), max(rows, key=lambda r: r[10])
        body += [
            "",
            f"Projected ingestion of English Wikipedia ({args.project_tokens / 1e9:.1f}B tokens): "
            f"{hours(args.project_tokens, best[6])} at the best whole-build rate ({best[6]:.2f}M tokens/s, "
            f"{best[0]} workers), which counts this corpus's finalise once per {best[1] / 1e6:.0f}M tokens; "
            f"{hours(args.project_tokens, best1[10])} for pass 1 at its best rate ({best1[10]:.2f}M "
            f"tokens/s, {best1[0]} workers), plus a finalise that grows with the number of word types, "
            f"not tokens (tokenising only: reading the source, e.g. the Hub download or bz2 decompression "
            f"of XML dumps, is not included).",
        ]
        body += ["", verified_open(corpus.path, sorted(set(args.workers)))]
        for device in [] if args.skip_dask else args.devices:
            n_workers = args.dask_workers if device == "cpu" else 1
            drows, t_start, nnz, V = dask_overhead(corpus, args.vocab, n_workers, tmp, device)
            body += [
                "",
                f"Dask counting of that corpus on {device} (window 10, harmonic, V = {V:,}, {nnz:,} "
                f"nonzeros), one run each after a warm-up; LocalCluster start-up {t_start:.1f} s (not included).",
                "",
                markdown_table(
                    [
                        "counter",
                        "processes",
                        "s",
                        "M tokens/s",
                        "speed vs local (local s / s; above 1 = faster)",
                        "notes",
                    ],
                    drows,
                ),
                "",
                f"Projected counting of English Wikipedia at V = {V:,} on this machine ({device}): "
                f"{hours(args.project_tokens, drows[0][3])} in one process, "
                f"{hours(args.project_tokens, drows[1][3])} on Dask (same cores); n such machines on "
                f"Dask divide the Dask time by about n.",
            ]
        text = "\n".join(body)
        title = (
            f"Scale: ingestion workers ({args.source})"
            if args.skip_dask
            else f"Scale: ingestion workers and Dask counting ({args.source}; Dask on {', '.join(args.devices)})"
        )
        if args.results:
            append_results(title, text)
        else:
            print(text)


if __name__ == "__main__":
    main()
