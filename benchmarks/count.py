"""Co-occurrence counting against GloVe's ``cooccur`` and a plain scipy baseline.

Usage::

    python benchmarks/count.py --glove-dir .peers/GloVe               # CPU, >= 20M tokens
    python benchmarks/count.py --glove-dir .peers/GloVe --device cuda # see gpu_count_check.py
    python benchmarks/count.py --glove-dir .peers/GloVe --whole       # whole commands: see count_whole.py

In one run: (1) parity — cooc's harmonic window-10 symmetric counts on the extracted
Wikipedia sample equal ``cooccur``'s (same token stream, same vocabulary file, GloVe's
binary read with ``Cooccurrence.from_glove``) to float64 rounding; (2) timing on the
sample repeated to ``--tokens`` tokens (vocabulary ~37k) and on a Zipf stream with 100k
types: GloVe ``cooccur`` (one thread), cooc (numba, all cores), cooc vectorised (numpy),
and the obvious scipy approach (``coo_matrix((w, (i, j))).tocsr()`` per chunk, summed).
Every cooc matrix is checked equal to the reference before its time is quoted.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import append_results, markdown_table  # noqa: E402
from glove import (  # noqa: E402
    BENCH_DIR,
    ROOT,
    build_glove,
    corpus_from_text,
    glove_cooccur,
    glove_vocab,
    repeated_text,
    wiki_text,
    zipf_corpus,
)

from cooc import Cooccurrence, Vocabulary  # noqa: E402
from cooc.count import count_cooccurrences  # noqa: E402
from cooc.count.local import iter_raw_chunks  # noqa: E402
from cooc.count.windows import offset_pairs, offset_weights, prepare_chunk  # noqa: E402

WINDOW = 10


def scipy_baseline(corpus, window: int = WINDOW, chunk_tokens: int = 1 << 22, vocab_size=None) -> sp.csr_matrix:
    """The obvious approach: per chunk, every offset's pairs into a COO matrix, to CSR, summed; then C + C^T."""
    V = vocab_size or len(corpus.vocab)
    w = offset_weights(window, "harmonic")
    total = sp.csr_matrix((V, V))
    carry = None
    for tokens, starts, cut, mid in iter_raw_chunks(corpus, chunk_tokens):
        chunk, carry = prepare_chunk(np, tokens, starts, V, window, "drop", carry, cut, mid)
        rows, cols, vals = [], [], []
        for j in range(1, window + 1):
            a, b = offset_pairs(np, chunk, j, V)
            rows.append(a)
            cols.append(b)
            vals.append(np.full(a.shape[0], w[j - 1]))
        m = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(V, V))
        total = total + m.tocsr()
    return (total + total.T).tocsr()


def max_relative_difference(a: sp.csr_matrix, b: sp.csr_matrix) -> float:
    """max |a - b| / |b| over b's nonzeros, and inf when the sparsity patterns differ."""
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    if a.nnz != b.nnz or not (np.array_equal(a.indices, b.indices) and np.array_equal(a.indptr, b.indptr)):
        return float("inf")
    return float(np.max(np.abs(a.data - b.data) / np.abs(b.data))) if b.nnz else 0.0


def glove_parity(build: Path, work: Path) -> dict:
    """cooc vs cooccur on the Wikipedia sample itself (same text, same vocab.txt)."""
    text = wiki_text()
    vocab_file = work / "vocab-sample.txt"
    words = glove_vocab(build, text, vocab_file, min_count=5)
    corpus = corpus_from_text(text, words, work / "wiki-sample-glovevocab")
    out = work / "glove-sample.bin"
    glove_cooccur(build, text, vocab_file, out, WINDOW)
    ours = count_cooccurrences(corpus, window=WINDOW, weighting="harmonic", progress=False)
    theirs = Cooccurrence.from_glove(out, ours.vocab)
    return {
        "tokens": corpus.n_tokens,
        "vocab": len(words),
        "nnz": ours.nnz,
        "glove_nnz": theirs.nnz,
        "max_rel": max_relative_difference(ours.counts, theirs.counts),
    }


def zipf_text(corpus, out: Path) -> Path:
    """The Zipf corpus as text (one document per line) for GloVe (rewritten when the corpus is newer)."""
    if out.exists() and out.stat().st_mtime >= (corpus.path / "manifest.json").stat().st_mtime:
        return out
    words = np.array(corpus.vocab.words + ["<oov>"])
    with open(out, "w") as fh:
        for tokens, offsets in corpus.iter_shards():
            for a, b in zip(offsets[:-1], offsets[1:]):
                fh.write(" ".join(words[tokens[a:b]]) + "\n")
    return out


def peak_traced_memory(fn) -> int:
    """Peak bytes allocated (numpy included) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_cpu(args) -> None:
    work = BENCH_DIR
    work.mkdir(exist_ok=True)
    build = build_glove(Path(args.glove_dir)) if args.glove_dir else None
    lines, rows = [], []
    if build is not None:
        par = glove_parity(build, work)
        ok = par["nnz"] == par["glove_nnz"] and par["max_rel"] < 1e-10
        lines.append(
            f"GloVe parity on the Wikipedia sample ({par['tokens']:,} tokens, vocab {par['vocab']:,} "
            f"from vocab_count -min-count 5, window 10, harmonic, symmetric): nnz {par['nnz']:,} vs "
            f"{par['glove_nnz']:,}, max relative difference {par['max_rel']:.2e} -> "
            f"{'EQUAL to float64 rounding' if ok else 'MISMATCH'}"
        )
        print(lines[-1], flush=True)
    text, n_text = repeated_text(wiki_text(), args.tokens, work / f"wiki-{args.tokens // 10**6}M.txt")
    cases = []
    if build is not None:
        words = glove_vocab(build, text, work / "vocab-wiki.txt", min_count=5)
        wiki = corpus_from_text(wiki_text(), words, work / "wiki-glovevocab-rep", repeat=n_text // wiki_count())
        cases.append(("wiki sample repeated", wiki, text, work / "vocab-wiki.txt", None))
    else:
        wiki = corpus_from_text(wiki_text(), None, work / "wiki-rep", repeat=n_text // wiki_count())
        cases.append(("wiki sample repeated", wiki, None, None, None))
    if not args.wiki_only:
        zipf = zipf_corpus(work / f"zipf-{args.tokens // 10**6}M", args.tokens, 100_000)
        ztext = zipf_text(zipf, work / f"zipf-{args.tokens // 10**6}M.txt") if build is not None else None
        zvocab = None
        if build is not None:
            glove_vocab(build, ztext, work / "vocab-zipf.txt", min_count=1)
            zvocab = work / "vocab-zipf.txt"
        for size in sorted({int(x) for x in args.zipf_vocab.split(",")}, reverse=True):
            if size >= len(zipf.vocab):
                cases.append(("Zipf 100k types", zipf, ztext, zvocab, None))
                continue
            top = None  # GloVe's vocabulary file cut to the same most frequent words (it drops the others)
            if zvocab is not None:
                top = work / f"vocab-zipf-{size}.txt"
                top.write_text("".join(zvocab.read_text().splitlines(keepends=True)[:size]))
            cases.append((f"Zipf 100k types, V = {size:,}", zipf, ztext, top, size))
    budget = args.memory
    for name, corpus, txt, vocab_file, size in cases:
        n = corpus.n_tokens
        V = size or len(corpus.vocab)
        count = functools.partial(count_cooccurrences, corpus, window=WINDOW, memory=budget, progress=False)
        if size:
            count = functools.partial(count, vocab_size=size)
        reference = count()

        def row(tool, t, note=""):
            rows.append(
                [
                    name,
                    f"{n / 1e6:.1f}M",
                    f"{V:,}",
                    tool,
                    t[0],
                    f"{t[1]:.2f}-{t[2]:.2f}",
                    n / t[0] / 1e6,
                    t[3],
                    n / t[3] / 1e6,
                    note,
                ]
            )

        glove_t = None
        if txt is not None:
            out = work / "glove-timing.bin"
            runs = [
                glove_cooccur(build, txt, vocab_file, out, WINDOW, memory_gb=4.0, cpu=True)
                for _ in range(args.glove_repeat)
            ]
            walls = [r[0] for r in runs]
            glove_t = (float(np.median(walls)), min(walls), max(walls), float(np.median([r[1] for r in runs])))
            gwords = [line.split(" ")[0] for line in Path(vocab_file).read_text().splitlines()]
            glove = Cooccurrence.from_glove(out, Vocabulary(gwords))
            rel = max_relative_difference(reference.subset(gwords).counts, glove.counts)
            row("GloVe cooccur (1 thread)", glove_t, f"max rel diff to cooc {rel:.1e}")
            os.remove(out)
        vs = (lambda t: f"x{glove_t[0] / t[0]:.1f} GloVe (wall); ") if glove_t else (lambda t: "")
        t = measure(count, args.repeat)
        assert (t[4].counts != reference.counts).nnz == 0
        threads = t[4].settings["count"]["threads"]
        peak = peak_traced_memory(count)
        out_bytes = reference.nnz * 12 + (V + 1) * 8
        row(
            f"cooc numba ({threads} threads)",
            t,
            vs(t) + f"peak traced {peak / 1e6:,.0f} MB with budget {budget} and a result of {out_bytes / 1e6:,.0f} MB",
        )
        if not args.quick:
            t = measure(
                lambda: count(engine="vectorized"),
                1,
            )
            assert (t[4].counts != reference.counts).nnz == 0
            row("cooc vectorized (numpy)", t, vs(t))
            t = measure(lambda: scipy_baseline(corpus, vocab_size=size), 1)
            rel = max_relative_difference(t[4], reference.counts)
            row("scipy coo->csr per chunk", t, vs(t) + f"max rel diff {rel:.1e}")
        print(markdown_table(HEADER, rows[-4:]), flush=True)
    body = (
        "\n".join(lines)
        + "\n\n"
        + markdown_table(HEADER, rows)
        + (
            f"\n\nWindow 10, harmonic, symmetric. The Wikipedia sample is gensim's shortened dump, extracted "
            f"and tokenised (`benchmarks/glove.py`), repeated whole; GloVe reads it as text, cooc reads the same "
            f"stream encoded with GloVe's vocabulary (ids = GloVe's ranks). cooc timings: median of {args.repeat} "
            f"(numba) or 1 run; GloVe: {args.glove_repeat} run(s). Memory budget {budget}. The machine is shared: "
            f"wall times depend on the load (in the machine line); CPU seconds (user + system, all threads) are "
            f"steadier, and tokens per CPU-second compare the work each tool does per token."
        )
    )
    append_results("Counting: cooc vs GloVe cooccur (CPU)", body)


HEADER = ["corpus", "tokens", "V", "tool", "median s", "min-max s", "M tokens/s", "CPU s", "M tokens/CPU-s", "notes"]


def measure(fn, repeat: int):
    """Median, min and max wall seconds, median CPU seconds (all threads of this process), last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c, t = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), min(walls), max(walls), float(np.median(cpus)), result


def wiki_count() -> int:
    return len(wiki_text().read_bytes().split())


def main() -> None:
    if "--whole" in sys.argv[1:]:  # the whole `cooc count` command vs `cooccur`: benchmarks/count_whole.py
        from count_whole import main as whole_main

        whole_main(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--glove-dir",
        default=str(ROOT / ".peers" / "GloVe"),
        help="GloVe source checkout (built with make if needed); '' to skip GloVe",
    )
    parser.add_argument("--tokens", type=int, default=20_000_000)
    parser.add_argument("--memory", default="4GB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--glove-repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="skip the vectorised and scipy baselines")
    parser.add_argument("--wiki-only", action="store_true", help="skip the Zipf corpus")
    parser.add_argument(
        "--zipf-vocab", default="100000", help="vocabulary sizes counted on the Zipf corpus (comma-separated)"
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    if args.device == "cuda":
        from gpu_count_check import main as gpu_main

        gpu_main(sys.argv[1:])
        return
    if args.glove_dir and not Path(args.glove_dir).exists():
        parser.error(f"--glove-dir {args.glove_dir!r} does not exist (fetch github stanfordnlp/GloVe there)")
    run_cpu(args)


if __name__ == "__main__":
    main()
