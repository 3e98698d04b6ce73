"""The files cooc exports for GloVe equal the files GloVe writes itself, as a user would make them.

Usage::

    python benchmarks/glove_export.py --glove-dir .peers/GloVe

On gensim's Wikipedia sample (``benchmarks/glove.py`` ``wiki_text()``, one article per line):

1. GloVe: ``vocab_count -min-count 5`` -> ``vocab.txt``; ``cooccur -window-size 10``
   (symmetric, harmonic weights 1/d) -> ``cooccurrence.bin``.
2. cooc, twice, each time only through the command line (subprocesses ``python -m cooc``
   with ``PYTHONPATH`` at this tree):

   * ``glove-vocab``: the corpus encoded with GloVe's own vocabulary (its words, in its id
     order; ``benchmarks/glove.py`` ``corpus_from_text``), then ``cooc count`` and
     ``cooc export --to glove``;
   * ``cooc corpus build``: the corpus built by ``cooc corpus build --min-count 5`` from the
     same text, then the same two commands: nothing from GloVe is used.

3. Each exported ``.bin`` is compared with GloVe's record by record (16-byte records:
   int32 word, int32 context, float64 value): record count, the (word, context) keys in
   file order, the largest relative difference of the values, how many values differ at
   all, and whether the files are byte-identical; each exported ``.vocab.txt`` with
   GloVe's ``vocab.txt``.

Why values may differ in the last bits: cooc counts with integer weights over a common
scale (2520 = lcm(1..10) for window 10) and divides once, so each of its values is the
exact weighted count correctly rounded to float64. ``cooccur`` adds the float64 weights
1/d one pair at a time (in a dense table for frequent pairs, in sorted runs merged at
the end for the others), so its values carry the rounding of each addition. The check
confirms the first half of that independently: from integer counts per offset ``n_j``
(uniform weights), ``sum_j n_j * (2520 / j)`` divided by 2520 equals every exported value.

The result is appended to ``benchmarks/RESULTS.md``; the exit status is 1 when the files
differ beyond float rounding (relative 1e-10) or the vocabularies differ.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import append_results, markdown_table  # noqa: E402
from glove import BENCH_DIR, ROOT, build_glove, corpus_from_text, glove_cooccur, glove_vocab, wiki_text  # noqa: E402

#: GloVe's binary co-occurrence record (cooccur's CREC: int word1, int word2, double val).
RECORD = np.dtype([("word", "<i4"), ("context", "<i4"), ("value", "<f8")])
TOLERANCE = 1e-10


def cooc_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m cooc ARGS`` with this tree first on the path, as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "cooc", *args], env=env, capture_output=True, text=True, check=check, cwd=str(ROOT)
    )


def export_format_flag() -> str:
    """The option of ``cooc export`` that names the format (``--to`` now; ``--format`` if it is renamed)."""
    text = cooc_cli("export", "--help").stdout
    return "--format" if "--format" in text and "--to " not in text else "--to"


def compare_records(ours: Path, theirs: Path) -> dict:
    """Record-by-record comparison of two GloVe co-occurrence files."""
    a, b = np.fromfile(ours, dtype=RECORD), np.fromfile(theirs, dtype=RECORD)
    out: dict = {"records": int(a.size), "glove_records": int(b.size), "bytes_identical": False}
    out["same_keys"] = bool(
        a.size == b.size and np.array_equal(a["word"], b["word"]) and np.array_equal(a["context"], b["context"])
    )
    if out["same_keys"]:
        diff = np.abs(a["value"] - b["value"])
        rel = diff / np.abs(b["value"])
        out["max_rel"] = float(rel.max()) if rel.size else 0.0
        out["values_differing"] = int(np.count_nonzero(diff))
        out["bytes_identical"] = out["values_differing"] == 0
        worst = int(np.argmax(rel)) if rel.size else 0
        out["worst"] = (
            int(b["word"][worst]),
            int(b["context"][worst]),
            float(a["value"][worst]),
            float(b["value"][worst]),
        )
    else:
        out["max_rel"] = float("inf")
        out["values_differing"] = None
    return out


def exact_values_match(corpus: Path, exported: Path, window: int) -> bool:
    """The exported values are the exact weighted counts rounded once: sum_j n_j (a, b) / j, computed apart.

    ``n_j`` are integer counts per offset j (uniform weights, per-offset planes, symmetrised);
    ``sum_j n_j * (S / j)`` is an exact integer for ``S = lcm(1..window)``, and dividing it by
    ``S`` in float64 is one correctly rounded operation.
    """
    import math

    from cooc.count import count_cooccurrences

    planes = count_cooccurrences(
        str(corpus), window=window, weighting="uniform", per_offset=True, progress=False
    ).per_offset
    scale = math.lcm(*range(1, window + 1))
    numerator = sum(m.astype(np.int64) * (scale // j) for j, m in enumerate(planes, start=1)).tocsr()
    numerator.sort_indices()
    recs = np.fromfile(exported, dtype=RECORD)
    rows = np.repeat(np.arange(numerator.shape[0]), np.diff(numerator.indptr))
    return bool(
        recs.size == numerator.nnz
        and np.array_equal(recs["word"], rows + 1)
        and np.array_equal(recs["context"], numerator.indices + 1)
        and np.array_equal(recs["value"], numerator.data.astype(np.float64) / scale)
    )


def run(args) -> int:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    build = build_glove(Path(args.glove_dir))
    text = wiki_text()
    vocab_txt = work / "vocab.txt"
    glove_bin = work / "cooccurrence.bin"
    words = glove_vocab(build, text, vocab_txt, min_count=args.min_count)
    glove_seconds = glove_cooccur(build, text, vocab_txt, glove_bin, args.window)
    print(f"GloVe: {len(words):,} words, {glove_bin.stat().st_size // RECORD.itemsize:,} records", flush=True)

    flag = export_format_flag()
    corpora = {
        "glove-vocab": corpus_from_text(text, words, work / "corpus-glovevocab").path,
        "cooc corpus build": work / "corpus-cli",
    }
    cooc_cli(
        "corpus", "build", str(text), "--out", str(corpora["cooc corpus build"]), "--min-count", str(args.min_count),
        "--overwrite",
    )  # fmt: skip
    rows, ok = [], True
    for name, corpus in corpora.items():
        tag = "cli" if name == "cooc corpus build" else "gv"
        counts, exported = work / f"counts-{tag}", work / f"cooc-{tag}"
        t0 = time.perf_counter()
        cooc_cli("count", str(corpus), "--output", str(counts), "--window", str(args.window), "--overwrite")
        count_seconds = time.perf_counter() - t0
        done = cooc_cli("export", str(counts), "--output", str(exported), flag, "glove")
        written = [Path(line.split("wrote ", 1)[1].strip()) for line in done.stdout.splitlines() if "wrote " in line]
        bin_path = next(p for p in written if p.suffix == ".bin")
        vocab_path = next(p for p in written if p.name.endswith(".vocab.txt"))
        cmp = compare_records(bin_path, glove_bin)
        vocab_same = vocab_path.read_bytes() == vocab_txt.read_bytes()
        exact = exact_values_match(corpus, bin_path, args.window)
        good = cmp["same_keys"] and cmp["max_rel"] < TOLERANCE and vocab_same and exact
        ok &= good
        rows.append(
            [
                name,
                f"{cmp['records']:,} / {cmp['glove_records']:,}",
                "yes" if cmp["same_keys"] else "NO",
                f"{cmp['max_rel']:.2e}",
                f"{cmp['values_differing']:,}" if cmp["values_differing"] is not None else "-",
                "yes" if cmp["bytes_identical"] else "no",
                "identical" if vocab_same else "DIFFERENT",
                "yes" if exact else "NO",
                f"{count_seconds:.1f}",
            ]
        )
        print(markdown_table(HEADER, rows[-1:]), f"worst record (word, context, cooc, GloVe): {cmp.get('worst')}")
    tokens = sum(len(line.split()) for line in text.read_text().splitlines())
    body = (
        f"Wikipedia sample ({tokens:,} tokens, {len(words):,}-word vocabulary from `vocab_count -min-count "
        f"{args.min_count}`), window {args.window}, harmonic, symmetric; GloVe `cooccur` ({glove_seconds:.1f} s) "
        f"and `python -m cooc count` + `python -m cooc export {flag} glove` run as subprocesses.\n\n"
        + markdown_table(HEADER, rows)
        + "\n\nRecords are 16 bytes (int32 word, int32 context, float64 value), compared in file order. "
        "cooc's values are the exact weighted counts (integers over the scale 2520) rounded once to float64 "
        "(checked apart: integer counts per offset n_j, sum_j n_j * 2520/j, divided by 2520); `cooccur` adds the float64 weights 1/d pair by "
        "pair, so the values that differ carry its summation rounding. "
        + ("Result: EQUAL to float64 rounding." if ok else "Result: MISMATCH beyond float rounding.")
    )
    if args.record:
        append_results("GloVe interchange: `cooc export --to glove` vs GloVe's own files", body)
    else:
        print(body)
    return 0 if ok else 1


HEADER = [
    "cooc corpus",
    "records (cooc / GloVe)",
    "same keys, same order",
    "max rel diff",
    "values differing",
    "bytes identical",
    "vocab file vs vocab.txt",
    "values = exact sum n_j/j, rounded once",
    "cooc count s (whole command)",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--glove-dir", default=str(ROOT / ".peers" / "GloVe"), help="GloVe source checkout")
    parser.add_argument("--work", default=str(BENCH_DIR / "glove-export"), help="where the files are written")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--no-record", dest="record", action="store_false", help="print, do not append RESULTS.md")
    args = parser.parse_args()
    if not Path(args.glove_dir).exists():
        parser.error(f"--glove-dir {args.glove_dir!r} does not exist (fetch github stanfordnlp/GloVe there)")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
