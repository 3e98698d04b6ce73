"""Encoding speed: `cooc corpus build` tokens/s against a plain re.findall + dict loop.

The text is the extracted Wikipedia sample shipped with gensim (markup stripped once,
one article per line), repeated until it holds at least ``--tokens`` tokens. Both sides
read the same text file; the baseline lowercases, finds ``[a-z0-9]+`` tokens and counts
them in a dict (the "obvious" Python encoder, which does less than cooc: no number and
apostrophe rules, no ids, no shards). cooc is timed end to end (read, tokenise, count,
choose the vocabulary, remap and write shards with checksums).

    python benchmarks/encode.py [--tokens 20000000] [--workers 1,2] [--repeat 3]
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table, timeit  # noqa: E402

from cooc.corpus_build import build_corpus  # noqa: E402
from cooc.datasets import wiki_sample_path  # noqa: E402
from cooc.sources import TextSource, WikiXMLSource  # noqa: E402
from cooc.tokenize import Tokenizer  # noqa: E402


def sample_text(min_tokens: int, folder: Path) -> tuple[Path, int]:
    """Write the extracted Wikipedia sample, repeated, one article per line; return (path, tokens)."""
    docs = [" ".join(d.split()) for d in WikiXMLSource(wiki_sample_path()).documents()]
    tok = Tokenizer()
    per_copy = sum(len(tok.tokens(d)) for d in docs)
    copies = -(-min_tokens // per_copy)
    path = folder / "wiki-sample-repeated.txt"
    block = "\n".join(docs) + "\n"
    with open(path, "w") as fh:
        for _ in range(copies):
            fh.write(block)
    return path, per_copy * copies


def baseline(path: Path) -> int:
    counts: dict[str, int] = {}
    find = re.compile(r"[a-z0-9]+").findall
    n = 0
    with open(path) as fh:
        for line in fh:
            for w in find(line.lower()):
                counts[w] = counts.get(w, 0) + 1
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=20_000_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cooc-encode-"))
    try:
        path, n_tokens = sample_text(args.tokens, folder)
        print(f"text: {path.stat().st_size / 1e6:.0f} MB, {n_tokens:,} tokens")
        med, lo, hi, n_base = timeit(lambda: baseline(path), repeat=args.repeat, warmup=0)
        rows = [["re.findall + dict loop (1 process)", 1, f"{med:.2f} [{lo:.2f}-{hi:.2f}]", n_base / med / 1e6,
                 n_base / med / 1e6, 1.0]]
        for workers in [int(w) for w in args.workers.split(",")]:
            out = folder / f"corpus-{workers}"

            def run():
                shutil.rmtree(out, ignore_errors=True)
                return build_corpus(TextSource(path), out, workers=workers, progress=False)

            med_c, lo_c, hi_c, corpus = timeit(run, repeat=args.repeat, warmup=1)
            assert corpus.vocab.total == n_tokens, (corpus.vocab.total, n_tokens)
            rate = n_tokens / med_c / 1e6
            rows.append([f"cooc corpus build, {workers} worker(s)", workers, f"{med_c:.2f} [{lo_c:.2f}-{hi_c:.2f}]",
                         rate, rate / workers, rate / (n_base / med / 1e6)])
        table = markdown_table(["encoder", "workers", "seconds, median [min-max]", "M tokens/s",
                                "M tokens/s per worker", "x baseline"], rows)
        body = (f"Text: the extracted Wikipedia sample from gensim's package, repeated to {n_tokens:,} tokens "
                f"({path.stat().st_size / 1e6:.0f} MB, one article per line); {args.repeat} timed runs each.\n\n{table}")
        print(body) if args.no_record else append_results("Encoding: cooc corpus build vs re.findall + dict", body)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
