"""Where a corpus build's time goes on W workers: every process and thread sampled by py-spy, summarised.

Usage::

    python benchmarks/profile_build.py FOLDER --workers 16 [--rate 100] [--raw prof.txt]

``FOLDER`` is a folder of text files (``benchmarks/scale.py`` leaves its synthetic text in
``.bench/scale/``). The build runs once untimed (numba's cache, the page cache), then once under
``py-spy record --subprocesses --threads`` (py-spy leaves out the threads it finds idle, so a role's
samples are close to its CPU time, not its waits). The summary gives each role's samples and
share (the main process's threads by name; the helper processes together) and the functions its
samples end in most often; the same table goes to ``--out`` as markdown when given. The device
session runs it after the ``scale`` stage with the py-spy wheel that ``device_prepare.sh`` carries.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = """
import sys, time
from cooc.corpus.build import build_corpus
folder, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
corpus = build_corpus(folder, out, workers=workers, progress=False)
print(f"built {corpus.n_tokens:,} tokens with {workers} workers in {time.perf_counter() - t:.2f} s", flush=True)
"""


def role(frames: list[str]) -> tuple[str, list[str]]:
    """(the role of a sample, the frames below its process and thread frames)."""
    rest = frames[1:]
    child = rest and rest[0].startswith("process ")
    if child:  # a helper process (its own threads are not told apart)
        rest = rest[1:]
        if rest and rest[0].startswith("thread "):
            rest = rest[1:]
        return "helpers", rest
    name = "main: other threads"
    if rest and rest[0].startswith("thread "):
        label = rest[0].split(":", 1)[1].strip() if ":" in rest[0] else ""
        name = "main: " + (re.sub(r"_\d+$", "", label) or "unnamed thread")
        rest = rest[1:]
    return name, rest


def summarise(raw: Path, top: int = 8) -> tuple[list[list], dict[str, list[tuple[str, int]]]]:
    """Rows ``[role, samples, share]`` and, per role, its most frequent last frames."""
    samples: Counter = Counter()
    leaves: dict[str, Counter] = defaultdict(Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        name, rest = role(frames)
        samples[name] += int(count)
        leaf = re.sub(r" \(.*\)$", "", rest[-1]) if rest else "(no Python frame)"
        leaves[name][leaf] += int(count)
    total = sum(samples.values()) or 1
    rows = [[name, n, f"{100 * n / total:.0f}%"] for name, n in samples.most_common()]
    return rows, {name: leaves[name].most_common(top) for name, _ in samples.most_common()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--rate", type=int, default=100, help="samples a second")
    ap.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    ap.add_argument("--raw", type=Path, default=None, help="keep py-spy's raw samples here")
    ap.add_argument("--out", type=Path, default=None, help="write the summary here (markdown)")
    args = ap.parse_args(argv)
    if not shutil.which(args.py_spy) and not Path(args.py_spy).is_file():
        raise SystemExit(f"py-spy not found ({args.py_spy}): pip install py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "build.py"
        script.write_text(BUILD)
        run = [sys.executable, str(script), str(args.folder)]
        subprocess.run([*run, str(Path(tmp) / "warm"), str(args.workers)], check=True, cwd=ROOT)
        raw = args.raw or Path(tmp) / "raw.txt"
        started = time.perf_counter()
        subprocess.run(
            [args.py_spy, "record", "--subprocesses", "--threads", "-r", str(args.rate), "-f", "raw", "-o", str(raw),
             "--", *run, str(Path(tmp) / "out"), str(args.workers)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        rows, leaves = summarise(raw)
    lines = [
        f"py-spy ({args.rate} samples/s, idle threads left out) of a build of {args.folder} with {args.workers} "
        f"workers, {seconds:.1f} s under the profiler:",
        "",
        "| role | samples | share |",
        "|---|---|---|",
        *[f"| {r[0]} | {r[1]:,} | {r[2]} |" for r in rows],
        "",
    ]
    for name, top in leaves.items():
        lines.append(f"- {name}: " + "; ".join(f"{leaf} {n:,}" for leaf, n in top))
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
