"""Encoding speed: `cooc corpus build` tokens/s against a plain re.findall + dict loop.

The text is the extracted Wikipedia sample shipped with gensim (markup stripped once,
one article per line), repeated until it holds at least ``--tokens`` tokens. Both sides
read the same text file; the baseline lowercases, finds ``[a-z0-9]+`` tokens and counts
them in a dict (the "obvious" Python encoder, which does less than cooc: no number and
apostrophe rules, no ids, no shards). cooc is timed end to end (read, tokenise, count,
choose the vocabulary, remap and write shards with checksums).

    python benchmarks/encode.py [--tokens 20000000] [--workers 1,2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table  # noqa: E402

from cooc.corpus.build import build_corpus  # noqa: E402
from cooc.corpus.sources import TextSource, WikiXMLSource  # noqa: E402
from cooc.corpus.sources.base import FileSpan  # noqa: E402
from cooc.corpus.tokenize import StreamEncoder, Tokenizer  # noqa: E402
from cooc.data import wiki_sample_path  # noqa: E402


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


def _tokenise_share(args: tuple[str, int, int]) -> int:
    """Tokenise every ``n``-th block of lines of ``path`` (from block ``k``), keeping nothing."""
    path, k, n = args
    encoder = StreamEncoder(Tokenizer())
    tokens = 0
    for i, (_, block) in enumerate(TextSource(path).line_blocks(size=1 << 20)):
        if i % n == k:  # a span of a file is read here, by the process that takes it
            data = block.read() if isinstance(block, FileSpan) else block
            tokens += int(encoder.encode_lines(data)[1].size)
    return tokens


def control(path: Path, processes: int) -> float:
    """Seconds for ``processes`` independent processes to tokenise the text between them (no
    routing, no shards, nothing sent back): what the machine allows the tokeniser to scale."""
    return control_tokens(path, processes)[0]


def control_tokens(path: Path, processes: int) -> tuple[float, int]:
    """:func:`control`'s seconds, and the tokens the processes found."""
    import multiprocessing as mp

    StreamEncoder(Tokenizer()).encode_lines(b"warm up\n")  # compiled here once: the forked processes inherit it
    with mp.get_context("fork").Pool(processes) as pool:
        t0 = time.perf_counter()
        tokens = sum(pool.map(_tokenise_share, [(str(path), k, processes) for k in range(processes)]))
        seconds = time.perf_counter() - t0
    assert tokens > 0
    return seconds, tokens


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers count once they have exited
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=20_000_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cooc-encode-"))
    try:
        path, n_tokens = sample_text(args.tokens, folder)
        print(f"text: {path.stat().st_size / 1e6:.0f} MB, {n_tokens:,} tokens")
        counts = [int(w) for w in args.workers.split(",")]
        # Rounds interleave every configuration (baseline, then each worker count), so a
        # machine whose speed drifts (a shared VM) slows all of them alike; ratios are taken
        # within a round and their median reported.
        times: dict[object, list[float]] = {"base": [], **{w: [] for w in counts}, **{("c", w): [] for w in counts}}
        cpu: dict[int, list[tuple[float, float]]] = {w: [] for w in counts}
        n_base = 0
        for w in counts:  # warm-up: numba's cache, the page cache
            build_corpus(TextSource(path), folder / "warm", workers=w, progress=False, overwrite=True)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            n_base = baseline(path)
            times["base"].append(time.perf_counter() - t0)
            for w in counts:
                times["c", w].append(control(path, w))
            for w in counts:
                out = folder / f"corpus-{w}"
                shutil.rmtree(out, ignore_errors=True)
                t0, main0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
                corpus = build_corpus(TextSource(path), out, workers=w, progress=False)
                times[w].append(time.perf_counter() - t0)
                cpu[w].append((time.process_time() - main0, _children_cpu() - kids0))
                assert corpus.vocab.total == n_tokens, (corpus.vocab.total, n_tokens)

        def spread(ts: list[float]) -> str:
            return f"{statistics.median(ts):.2f} [{min(ts):.2f}-{max(ts):.2f}]"

        base_rate = n_base / statistics.median(times["base"]) / 1e6
        rows = [["re.findall + dict loop (1 process)", 1, spread(times["base"]), base_rate, base_rate, 1.0, "-", "-"]]
        for w in counts:
            rate = n_tokens / statistics.median(times[w]) / 1e6
            paired = statistics.median(b / t for b, t in zip(times["base"], times[w]))
            scaling = statistics.median(a / t for a, t in zip(times[counts[0]], times[w]))
            main_cpu = statistics.median(c[0] for c in cpu[w])
            kids_cpu = statistics.median(c[1] for c in cpu[w])
            rows.append(
                [
                    f"cooc corpus build, {w} worker(s)",
                    w,
                    spread(times[w]),
                    rate,
                    rate / w,
                    round(n_tokens / n_base * paired, 2),
                    f"{main_cpu:.2f} + {kids_cpu:.2f}",
                    round(scaling, 2),
                ]
            )
        for w in counts:
            ceiling = statistics.median(a / t for a, t in zip(times["c", counts[0]], times["c", w]))
            rows.append(
                [
                    f"control: the tokeniser alone in {w} independent process(es)",
                    w,
                    spread(times["c", w]),
                    n_tokens / statistics.median(times["c", w]) / 1e6,
                    n_tokens / statistics.median(times["c", w]) / 1e6 / w,
                    "-",
                    "-",
                    round(ceiling, 2),
                ]
            )
        table = markdown_table(
            [
                "encoder",
                "workers",
                "seconds, median [min-max]",
                "M tokens/s",
                "M tokens/s per worker",
                "x baseline (paired)",
                "CPU s: main + helpers",
                f"x {counts[0]} worker(s) (paired)",
            ],
            rows,
        )
        table += (
            "\n\nWith W workers the main process reads, routes and writes raw shards, and tokenises the share of "
            "batches that keeps it as busy as each of the W - 1 helper processes (measured as it goes); "
            "1 worker = everything in the main process. 'Paired' ratios are medians over rounds of the ratio "
            "within a round. The control rows tokenise the same text in independent processes that share nothing and "
            "return nothing: their ratio is what this machine allows any parallel tokeniser."
        )
        body = (
            f"Text: the extracted Wikipedia sample from gensim's package, repeated to {n_tokens:,} tokens "
            f"({path.stat().st_size / 1e6:.0f} MB, one article per line); {args.repeat} interleaved rounds.\n\n{table}"
        )
        print(body) if args.no_record else append_results("Encoding: cooc corpus build vs re.findall + dict", body)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
