"""``cooc count`` as a user runs it against GloVe's ``cooccur``: whole commands, process start to files written.

Usage::

    python benchmarks/count.py --whole --glove-dir .peers/GloVe       # or this file directly
    python benchmarks/count_whole.py --glove-dir .peers/GloVe --runs 5 --profile
    python benchmarks/count_whole.py --glove-dir .peers/GloVe --no-pipeline   # the count-only table alone

The text is gensim's Wikipedia sample repeated ``--repeat-text`` times (40: about 19M
tokens). Two comparisons, each timed alternating (GloVe first in odd runs, cooc first in
even runs) after one untimed warm-up of each (page cache; numba's kernel cache):

1. **Count only** (what the table's header says): ``cooc count`` on an already-built corpus
   against GloVe ``cooccur`` on the text, which includes its own tokenising (reading the
   text, splitting it into words and looking each one up in its vocabulary hash). GloVe's
   ``vocab_count -min-count 5`` gives the vocabulary, and cooc's corpus is that text encoded
   with GloVe's vocabulary (neither step is timed), so both count the same stream:

   * GloVe: ``cooccur -window-size 10 -memory 4 -vocab-file vocab.txt < text > out.bin`` (1 thread);
   * cooc: ``python -m cooc count CORPUS -o OUT --window 10 --overwrite`` (a new process
     each time: interpreter start, imports, kernel loading from the cache, corpus opening and
     checksums, counting, assembly, writing the ``.npz`` and ``.json``; all cores).

   cooc's result is checked equal to GloVe's file (float rounding).

2. **Pipeline**, text to counts (on by default; ``--no-pipeline`` leaves it out), each
   tool's own tokeniser and vocabulary:

   * GloVe: ``vocab_count -min-count 5 < text > vocab`` then ``cooccur ...`` as above;
   * cooc: ``python -m cooc corpus build TEXT -o CORPUS --min-count 5 --threads W --overwrite``
     (cooc's tokeniser, rule ``wiki``; W = ``--build-workers``, by default every core available
     to this process) then ``python -m cooc count CORPUS ...`` as above. The previous run's
     corpus is removed before each run, untimed, so each build starts from nothing.

   The two tokenisers may give slightly different vocabularies and streams, so there is no
   equality check here; both vocabulary sizes and token counts are printed.

Each command's wall seconds and CPU seconds (user + system of the child, all its threads
and worker processes) are measured, with the 1-minute load average before it (a pipeline's
times are the sums of its two commands'); the tables give medians and the ratio GloVe /
cooc of both. ``--profile`` adds where cooc's time goes: interpreter start, imports, corpus
opening, kernel loading, counting, assembly and writing, measured in one process by
:func:`phases` (and ``python -X importtime`` of ``cooc count --help``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import append_results, markdown_table  # noqa: E402
from glove import BENCH_DIR, ROOT, build_glove, corpus_from_text, glove_vocab, repeated_text, wiki_text  # noqa: E402

WINDOW = 10
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def timed(cmd: list[str], stdin: Path | None = None, stdout: Path | None = None) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall s, CPU s of the child and its threads, 1-minute load average before)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL
    try:
        subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, env=ENV, check=True, cwd=str(ROOT))
    finally:
        for fh in (fin, fout):
            if hasattr(fh, "close"):
                fh.close()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, load


def glove_command(build: Path, vocab_file: Path, work: Path) -> list[str]:
    return [
        str(build / "cooccur"),
        "-memory",
        "4.0",
        "-vocab-file",
        str(vocab_file),
        "-window-size",
        str(WINDOW),
        "-verbose",
        "0",
        "-overflow-file",
        str(work / "overflow"),
    ]


def cooc_command(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "cooc", "count", str(corpus), "-o", str(out), "--window", str(WINDOW), "--overwrite"]


def vocab_command(build: Path) -> list[str]:
    """GloVe's ``vocab_count -min-count 5`` (reads the text on stdin, writes the vocabulary on stdout)."""
    return [str(build / "vocab_count"), "-min-count", "5", "-verbose", "0"]


def build_command(text: Path, corpus: Path, workers: int) -> list[str]:
    """``cooc corpus build`` of the text with cooc's own tokeniser, min_count 5 (as GloVe's ``vocab_count``)."""
    return [
        sys.executable, "-m", "cooc", "corpus", "build", str(text), "-o", str(corpus), "--min-count", "5",
        "--threads", str(workers), "--overwrite", "--no-progress",
    ]  # fmt: skip


def glove_pipeline(build: Path, text: Path, vocab_file: Path, out: Path, work: Path) -> tuple[float, float, float]:
    """``vocab_count`` then ``cooccur`` on the text: (wall s, CPU s) summed over both, and the load before."""
    v = timed(vocab_command(build), text, vocab_file)
    c = timed(glove_command(build, vocab_file, work), text, out)
    return v[0] + c[0], v[1] + c[1], v[2]


def cooc_pipeline(text: Path, corpus: Path, out: Path, workers: int) -> tuple[float, float, float]:
    """``cooc corpus build`` then ``cooc count``: (wall s, CPU s) summed over both, and the load before.

    The previous corpus is removed first, untimed: the timed build starts from an empty output."""
    shutil.rmtree(corpus, ignore_errors=True)
    b = timed(build_command(text, corpus, workers))
    c = timed(cooc_command(corpus, out))
    return b[0] + c[0], b[1] + c[1], b[2]


PHASES_SCRIPT = r"""
import json, sys, time
T = [(time.perf_counter(), time.process_time())]
marks = []
def mark(name):
    T.append((time.perf_counter(), time.process_time())); marks.append(name)
import cooc.cli
mark("import cooc.cli (typer, command modules)")
from cooc.count import count_cooccurrences
from cooc.corpus.store import TokenCorpus
mark("import the count path (numpy, scipy, numba)")
corpus = TokenCorpus.open(sys.argv[1])
mark("open corpus + shard checksums")
import numpy as np
from cooc.count.accumulate import HeadLayout, RunStore
from cooc.count.engines import NumbaEngine, Plan
from cooc.count.windows import integer_weights
from cooc._core.threads import thread_limit
tokens, offsets = next(iter(corpus.iter_shards()))  # the argument types of the real count: no new compilation
V, ints = len(corpus.vocab), integer_weights(10, "harmonic")[0]
with thread_limit(None) as threads:
    plan = Plan(V, 10, ints, False, HeadLayout.fit(V, 1 << 16), 1 << 12, 1 << 12)
    eng = NumbaEngine(plan, RunStore(1 << 24, None), threads, corpus.vocab.counts)
    eng.add_range(np.asarray(tokens), np.ascontiguousarray(offsets, dtype=np.int64), 0, 1000, True)
    eng.release()
mark("load the counting kernel from numba's cache (1000 centres)")
result = count_cooccurrences(corpus, window=10, progress=False)
mark("count + assemble (count_cooccurrences)")
result.save(sys.argv[2])
mark("write .npz + .json (save)")
out = {m: (T[i + 1][0] - T[i][0], T[i + 1][1] - T[i][1]) for i, m in enumerate(marks)}
print(json.dumps({"phases": out, "stats": result.settings["count"]}))
"""


def phases(corpus: Path, out: Path) -> dict:
    """Wall and CPU seconds of each stage of a count, in one fresh process (plus the interpreter's start)."""
    start = timed([sys.executable, "-c", "pass"])
    done = subprocess.run(
        [sys.executable, "-c", PHASES_SCRIPT, str(corpus), str(out)],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(ROOT),
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["phases"] = {"python start (python -c pass)": start[:2], **report["phases"]}
    return report


def import_profile() -> list[tuple[str, float]]:
    """The slowest top-level imports of ``cooc count --help`` (cumulative seconds, from -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cooc", "count", "--help"],
        env=ENV,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        if name.startswith(" ") and not name.startswith("  "):  # top level: one space after the bar
            rows.append((name.strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:8]


def summary(rs: list[tuple[float, float, float]]) -> tuple[float, float, float, float, float, float]:
    """(median wall, min wall, max wall, median CPU, min load, max load) of timed runs."""
    walls, cpus, loads = zip(*rs)
    return float(np.median(walls)), min(walls), max(walls), float(np.median(cpus)), min(loads), max(loads)


def table_rows(glove_label: str, cooc_label: str, g: list, c: list) -> list[list[str]]:
    """The two rows of a GloVe-vs-cooc table (medians, ranges, ratios GloVe / cooc)."""
    gs, cs = summary(g), summary(c)
    return [
        [glove_label, f"{gs[0]:.2f}", f"{gs[1]:.2f}-{gs[2]:.2f}", f"{gs[3]:.2f}", f"{gs[4]:.1f}-{gs[5]:.1f}", "", ""],
        [
            cooc_label,
            f"{cs[0]:.2f}",
            f"{cs[1]:.2f}-{cs[2]:.2f}",
            f"{cs[3]:.2f}",
            f"{cs[4]:.1f}-{cs[5]:.1f}",
            f"x{gs[0] / cs[0]:.2f}",
            f"x{gs[3] / cs[3]:.2f}",
        ],
    ]


def alternate(name_a: str, run_a, name_b: str, run_b, runs: int) -> tuple[list, list]:
    """One untimed warm-up of each, then ``runs`` alternating runs (a first in odd runs, b first in even)."""
    run_a()
    run_b()
    a, b = [], []
    for i in range(runs):
        order = [(name_a, run_a, a), (name_b, run_b, b)]
        for name, fn, into in order if i % 2 == 0 else order[::-1]:
            r = fn()
            into.append(r)
            print(f"run {i + 1} {name}: wall {r[0]:.2f} s, CPU {r[1]:.2f} s, load {r[2]:.1f}", flush=True)
    return a, b


def vocab_file_stats(vocab_file: Path) -> tuple[int, int]:
    """(words, in-vocabulary tokens) of a GloVe vocabulary file (``word count`` lines)."""
    lines = vocab_file.read_text().splitlines()
    return len(lines), sum(int(line.split(" ")[1]) for line in lines)


HEADER = ["command", "median wall s", "min-max wall s", "median CPU s", "load avg", "GloVe/cooc wall", "GloVe/cooc CPU"]


def run(args) -> None:
    from cooc._core.threads import available_cores

    work = BENCH_DIR
    work.mkdir(exist_ok=True)
    build = build_glove(Path(args.glove_dir))
    sample = wiki_text()
    n_sample = len(sample.read_bytes().split())
    text, n_text = repeated_text(sample, args.repeat_text * n_sample, work / f"wiki-x{args.repeat_text}.txt")
    vocab_file = work / f"vocab-x{args.repeat_text}.txt"
    words = glove_vocab(build, text, vocab_file, min_count=5)
    corpus = corpus_from_text(sample, words, work / f"wiki-x{args.repeat_text}-glovevocab", repeat=args.repeat_text)
    glove_out, cooc_out = work / "whole-glove.bin", work / "whole-cooc"
    gcmd, ccmd = glove_command(build, vocab_file, work), cooc_command(corpus.path, cooc_out)
    print("count only: cooc count on the built corpus vs GloVe cooccur on the text", flush=True)
    g, c = alternate("glove", lambda: timed(gcmd, text, glove_out), "cooc", lambda: timed(ccmd), args.runs)
    from cooc import Cooccurrence, Vocabulary
    from cooc.cooccurrence import load

    ours = load(cooc_out)
    threads = ours.settings["count"]["threads"]  # what the timed `cooc count` ran on
    theirs = Cooccurrence.from_glove(glove_out, Vocabulary(words))
    a, b = ours.counts.tocsr(), theirs.counts.tocsr()
    same_pattern = a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    rel = float(np.max(np.abs(a.data - b.data) / np.abs(b.data))) if same_pattern else float("inf")
    rows = table_rows(
        "GloVe cooccur on the text (1 thread)", f"python -m cooc count on the corpus ({threads} threads)", g, c
    )
    lines = [
        f"The Wikipedia sample repeated {args.repeat_text} times ({n_text:,} tokens), window 10, harmonic, "
        f"symmetric. Whole commands, {args.runs} alternating runs each after one warm-up; CPU = user + system "
        "of the process, its threads and its worker processes.",
        "",
        f"**Count only: `cooc count` on an already-built corpus vs GloVe `cooccur` on text (which includes its "
        f"tokenising); cooc {threads} threads, GloVe 1.** Both use GloVe's vocabulary (`vocab_count -min-count "
        f"5`, {len(words):,} words); cooc's corpus is the text encoded with it beforehand (untimed). cooc's file "
        f"equals GloVe's: nnz {a.nnz:,} vs {b.nnz:,}, max relative difference {rel:.1e}.",
        "",
        markdown_table(HEADER, rows),
    ]
    if args.pipeline:
        workers = args.build_workers or available_cores()
        pvocab, pglove = work / f"pipeline-vocab-x{args.repeat_text}.txt", work / "pipeline-glove.bin"
        pcorpus, pcooc = work / f"pipeline-x{args.repeat_text}", work / "pipeline-cooc"
        print(f"pipeline: cooc corpus build ({workers} workers) + cooc count vs vocab_count + cooccur", flush=True)
        gp, cp = alternate(
            "glove pipeline",
            lambda: glove_pipeline(build, text, pvocab, pglove, work),
            "cooc pipeline",
            lambda: cooc_pipeline(text, pcorpus, pcooc, workers),
            args.runs,
        )
        from cooc.corpus.store import TokenCorpus

        built = TokenCorpus.open(pcorpus)
        cooc_in_vocab = int(built.vocab.counts.sum())
        g_words, g_in_vocab = vocab_file_stats(pvocab)
        prows = table_rows(
            "GloVe vocab_count + cooccur (1 thread)",
            f"cooc corpus build ({workers} workers) + cooc count ({threads} threads)",
            gp,
            cp,
        )
        lines += [
            "",
            f"**Pipeline, text to counts: `cooc corpus build --min-count 5` ({workers} tokenising workers) + "
            f"`cooc count` ({threads} threads) vs GloVe `vocab_count -min-count 5` + `cooccur` (1 thread).** Each "
            f"tool tokenises the text itself, so the vocabularies may differ slightly (no equality check): GloVe "
            f"{g_words:,} words, {n_text:,} tokens read ({g_in_vocab:,} in its vocabulary); cooc {len(built.vocab):,} "
            f"words, {built.n_tokens:,} tokens ({cooc_in_vocab:,} in its vocabulary). Times are the sums of the two "
            f"commands.",
            "",
            markdown_table(HEADER, prows),
        ]
    if args.profile:
        report = phases(corpus.path, work / "whole-phases")
        prows = [[name, f"{w:.2f}", f"{cpu:.2f}"] for name, (w, cpu) in report["phases"].items()]
        st = report["stats"]
        lines += [
            "",
            f"Where `cooc count`'s time goes (one process, stage by stage; count_cooccurrences split: kernel "
            f"{st['count_seconds']:.2f} s wall, assembly stages {st['stages']}):",
            "",
            markdown_table(["stage", "wall s", "CPU s"], prows),
            "",
            "Slowest top-level imports of `cooc count --help` (-X importtime, cumulative s): "
            + ", ".join(f"{n} {s:.2f}" for n, s in import_profile()),
        ]
    body = "\n".join(lines)
    if args.record:
        title = "Counting, whole command: `cooc count` vs GloVe `cooccur`"
        if args.pipeline:
            title += "; pipeline: `cooc corpus build` + `cooc count` vs `vocab_count` + `cooccur`"
        append_results(title + " (CPU)", body)
    else:
        print(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)  # when called through count.py
    parser.add_argument("--glove-dir", default=str(ROOT / ".peers" / "GloVe"), help="GloVe source checkout")
    parser.add_argument("--repeat-text", type=int, default=40, help="times the Wikipedia sample is repeated")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command (median)")
    parser.add_argument("--profile", action="store_true", help="also show where cooc's time goes")
    parser.add_argument(
        "--no-pipeline",
        dest="pipeline",
        action="store_false",
        help="leave out the pipeline comparison (cooc corpus build + count vs vocab_count + cooccur)",
    )
    parser.add_argument(
        "--build-workers",
        type=int,
        default=None,
        help="tokenising workers of cooc corpus build in the pipeline (default: every core available)",
    )
    parser.add_argument("--no-record", dest="record", action="store_false", help="print, do not append RESULTS.md")
    args = parser.parse_args(argv)
    if not Path(args.glove_dir).exists():
        parser.error(f"--glove-dir {args.glove_dir!r} does not exist (fetch github stanfordnlp/GloVe there)")
    run(args)


if __name__ == "__main__":
    main()
