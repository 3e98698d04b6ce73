"""The GPU check of the counting issue: one short session on a CUDA machine (an H100 or H200).

Run from the repository root, carrying ``.peers/GloVe`` (GloVe's source),
``.bench/wiki_sample.txt`` (the extracted Wikipedia sample; make it here with
``python -c "import sys; sys.path.insert(0, 'benchmarks'); import glove; glove.wiki_text()"``)
and, where the GPU machine lacks pytest, ``.bench/wheels`` (``pip download pytest -d .bench/wheels
--python-version 3.12 --only-binary=:all:``)::

    PYTHONPATH=. python benchmarks/gpu_count_check.py            # about 6 minutes

It needs numpy, scipy, numba, cupy (and pytest for stage A); not gensim, typer, rich or
datasets. Without CuPy or a CUDA device the stages that need none still run (C, with its
parity check on the CPU count; D; E3). Stages, each guarded so one failure still prints the
rest, skipped once ``--deadline`` seconds have passed (``--skip`` names those not to run):

A. the ``gpu``-marked tests of ``tests/count`` (one test body on numpy and CuPy);
B. parity: the GPU matrix equals the CPU matrix bit for bit on the Wikipedia sample and
   on random corpora (every engine, weighting, OOV mode, per-offset, directional);
C. GloVe ``cooccur`` built here from source (``--glove-dir``, default ``.peers/GloVe``;
   rebuilt with ``make`` where there is one, else its binaries are used as they are):
   parity on the sample, then its speed on the sample repeated to ``--glove-tokens`` tokens
   (one thread). The rate is kept in ``.bench/gpu-glove-rate.json``: a later run that skips
   C (the device session counts on the CPU in a stage of its own) takes its "x GloVe" from there;
C2. (run last, after E3) GloVe ``cooccur`` on the Zipf corpus of D at V = 50k and V = 100k: its
   first ``--glove-zipf-tokens`` tokens (whole documents; default ``--glove-tokens``) written as
   text, with a vocabulary file of the corpus's V most frequent words (the words cooc counts at
   that V), one run each. Each row's "x GloVe" divides by GloVe's rate on the same corpus and V
   (the wiki rows by C's, the Zipf rows by C2's; the thread rows' Zipf corpus of another seed by
   C2's V = 50k rate), and the "GloVe anchor" column names it; a row whose anchor was not
   measured (``--glove-zipf-tokens 0``, C2 skipped or past the deadline) falls back to the wiki
   rate and says so. C2 costs about 2 x 20M tokens of GloVe plus writing the text (about a
   minute on the 2-core VM); ``--skip C`` skips it with C and reads the rates saved by an
   earlier run (the same file);
D. corpora of ``--tokens`` tokens: the sample repeated (V ~ 37k) and a Zipf stream with
   100k types (counted at V = 100k and V = 50k);
E. timings: cooc GPU (fused kernel with and without the shared-memory tile, and the
   vectorised CuPy path; all equal to each other), a device-resident kernel rate and the
   host->device copy rate (which resource bounds the counter), the GPU at V = 100k
   (partial head + tail runs, assembled on the device), cooc CPU (numba, all cores; its
   matrices must equal the GPU ones). Each row's notes split the call into counting,
   assembly (its path and stages: symmetrise, row counts, extract + copy, ...) and
   building the Cooccurrence;
F. a summary appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import append_results, machine, markdown_table  # noqa: E402
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

WINDOW = 10
REPORT: list[str] = []
ROWS: list[list] = []
ROW_ANCHORS: dict[int, tuple] = {}  # index in ROWS of each cooc row: (its rate, corpus, V), for its GloVe anchor
STATE: dict = {}


class Deadline(Exception):
    pass


def stage(name: str, args) -> callable:
    """Run a stage with its time printed; an exception is reported and the run goes on."""

    def wrap(fn):
        elapsed = time.perf_counter() - STATE["t0"]
        if elapsed > args.deadline:
            REPORT.append(f"- {name}: SKIPPED (deadline {args.deadline} s reached at {elapsed:.0f} s)")
            print(REPORT[-1], flush=True)
            return None
        t = time.perf_counter()
        print(f"== {name} ==", flush=True)
        try:
            note = fn()
            REPORT.append(f"- {name}: ok ({time.perf_counter() - t:.1f} s){': ' + note if note else ''}")
        except Exception as exc:  # noqa: BLE001 - a failed stage must not stop the others
            traceback.print_exc()
            REPORT.append(f"- {name}: FAILED ({type(exc).__name__}: {str(exc)[:300]})")
        print(REPORT[-1], flush=True)
        return None

    return wrap


def sync() -> None:
    import cupy

    cupy.cuda.get_current_stream().synchronize()


def pool_reset() -> None:
    import cupy

    sync()
    cupy.get_default_memory_pool().free_all_blocks()


def pool_bytes() -> int:
    import cupy

    return cupy.get_default_memory_pool().total_bytes()


def count(corpus, **kw):
    from cooc.count import count_cooccurrences

    kw.setdefault("progress", False)
    kw.setdefault("window", WINDOW)
    return count_cooccurrences(corpus, **kw)


def same(a, b) -> bool:
    return a.shape == b.shape and (a.counts != b.counts).nnz == 0


def timed(fn, repeat: int):
    """Median, min, max seconds and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), min(times), max(times), result


# -- stages -------------------------------------------------------------------------------------------


def stage_pytest(args) -> str:
    try:
        import pytest  # noqa: F401
    except ImportError:
        wheels = BENCH_DIR / "wheels"  # carried: pip download pytest -d .bench/wheels (pure-Python wheels)
        if not wheels.is_dir():
            return "pytest is not installed here; stage B checks the same parity directly"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels), "pytest"],
            check=True,
            timeout=120,
        )
    cmd = [sys.executable, "-m", "pytest", "tests/count", "-m", "gpu", "-q", "-p", "no:cacheprovider", "-x"]
    try:
        import typer  # noqa: F401
    except ImportError:
        cmd += ["--ignore", "tests/count/test_cli.py"]
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=args.pytest_timeout,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
    print(done.stdout[-3000:], done.stderr[-2000:], flush=True)
    if done.returncode != 0:
        raise RuntimeError("pytest failed: " + " | ".join(tail))
    return tail[-1] if tail else ""


def stage_parity(args) -> str:
    sample = corpus_from_text(wiki_text(), None, BENCH_DIR / "gpu-wiki-sample")
    STATE["sample"] = sample
    cpu = count(sample, device="cpu")
    checks = 0
    for engine in ("kernel", "vectorized"):
        gpu = count(sample, device="cuda", engine=engine, memory=args.memory)
        assert same(gpu, cpu), f"{engine}: GPU matrix differs from the CPU matrix on the Wikipedia sample"
        checks += 1
    from cooc.count import cuda

    saved = cuda.TILE_N
    cuda.TILE_N = 0
    try:
        gpu = count(sample, device="cuda", engine="kernel", memory="2GB")  # partial head: the tail path too
        V = len(sample.vocab)
        assert gpu.settings["count"]["head_cells"] < V * V, "the 2GB budget was meant to give a partial head"
        assert same(gpu, cpu), "plain kernel with a partial head differs on the Wikipedia sample"
        checks += 1
    finally:
        cuda.TILE_N = saved
    rng = np.random.default_rng(0)
    from cooc import CorpusWriter, Vocabulary

    for k, (oov, weighting, per_offset, directional, V) in enumerate(
        [
            ("drop", "harmonic", False, False, 3000),
            ("gap", "linear", True, False, 500),
            ("drop", "uniform", False, True, 20000),
            ("gap", "harmonic", True, True, 64),
        ]
    ):
        n = 2_000_000
        ids = np.minimum(rng.zipf(1.2, n) - 1, V).astype(np.int32)
        offsets = np.unique(np.concatenate([[0, n], rng.integers(0, n, 3000)]))
        vocab = Vocabulary([f"w{i}" for i in range(V)], np.bincount(ids, minlength=V + 1)[:V])
        w = CorpusWriter(
            BENCH_DIR / f"gpu-random-{k}",
            vocab,
            source={"kind": "random", "k": k},
            oov_id=V,
            overwrite=True,
            shard_tokens=700_000,
        )
        w.add_documents(ids, offsets)
        corpus = w.close()
        kw = dict(oov=oov, weighting=weighting, per_offset=per_offset, directional=directional)
        cpu = count(corpus, device="cpu", **kw)
        for engine, memory in (("kernel", args.memory), ("kernel", "256MB"), ("vectorized", "1GB")):
            gpu = count(corpus, device="cuda", engine=engine, memory=memory, **kw)
            assert same(gpu, cpu), f"random corpus {k} ({kw}, {engine}, {memory}): GPU differs from CPU"
            if per_offset:
                assert all((a != b).nnz == 0 for a, b in zip(gpu.per_offset, cpu.per_offset))
            checks += 1
    return f"{checks} GPU matrices equal to the CPU ones bit for bit"


GLOVE_RATE = BENCH_DIR / "gpu-glove-rate.json"


def stage_glove(args) -> str:
    from count import max_relative_difference

    from cooc import Cooccurrence

    src = Path(args.glove_dir) if args.glove_dir else ROOT / ".peers" / "GloVe"
    if shutil.which("make"):  # binaries carried from another machine may not run here: build afresh
        subprocess.run(["make", "clean"], cwd=src, capture_output=True)
    build = build_glove(src)
    STATE["glove_build"] = build
    work = BENCH_DIR
    text = wiki_text()
    words = glove_vocab(build, text, work / "gpu-vocab-sample.txt", min_count=5)
    corpus = corpus_from_text(text, words, work / "gpu-wiki-sample-glovevocab")
    glove_cooccur(build, text, work / "gpu-vocab-sample.txt", work / "gpu-glove-sample.bin", WINDOW)
    on_gpu = STATE["gpu"]
    ours = count(corpus, device="cuda" if on_gpu else "cpu", memory=args.memory if on_gpu else args.cpu_memory)
    theirs = Cooccurrence.from_glove(work / "gpu-glove-sample.bin", ours.vocab)
    rel = max_relative_difference(ours.counts, theirs.counts)
    assert rel < 1e-10, f"GPU counts differ from GloVe's: max relative difference {rel:.2e}"
    big, n = repeated_text(text, args.glove_tokens, work / "gpu-glove-timing.txt")
    glove_vocab(build, big, work / "gpu-vocab-big.txt", min_count=5)
    seconds = glove_cooccur(build, big, work / "gpu-vocab-big.txt", work / "gpu-glove-big.bin", WINDOW, memory_gb=8.0)
    os.remove(work / "gpu-glove-big.bin")
    STATE["glove_rate"] = n / seconds
    V = len((work / "gpu-vocab-big.txt").read_text().splitlines())
    anchor = f"GloVe, wiki text, V={V // 1000}k, {n / 1e6:.0f}M tokens"
    STATE.setdefault("glove_rates", {})[("wiki", None)] = (n / seconds, anchor)
    save_glove_rate("wiki", {"rate": n / seconds, "tokens": n, "seconds": seconds, "V": V, "anchor": anchor})
    glove_row("wiki sample repeated", n, V, seconds, anchor, "raw tokens")
    return (
        f"parity with GloVe on the sample ({'GPU' if on_gpu else 'CPU'} count): max relative difference {rel:.1e}; "
        f"GloVe {n / seconds / 1e6:.2f}M tokens/s"
    )


def glove_row(corpus: str, n: int, V: int, seconds: float, anchor: str, note: str) -> None:
    """A table row for one timed GloVe ``cooccur`` run (its own anchor: 1.0)."""
    ROWS.append(
        [corpus, f"{n / 1e6:.0f}M", f"{V // 1000}k", "GloVe cooccur (1 thread)", f"{seconds:.2f}",
         f"{n / seconds / 1e6:.2f}", "1.0", anchor, "", note]
    )  # fmt: skip


def save_glove_rate(key: str, entry: dict) -> None:
    """Keep a GloVe rate in GLOVE_RATE (the wiki one at the top level, as before; others under their key)."""
    saved = json.loads(GLOVE_RATE.read_text()) if GLOVE_RATE.exists() else {}
    if key == "wiki":
        saved = {k: v for k, v in saved.items() if k == "zipf"}  # a new wiki rate: the machine may be another
        saved.update(entry, machine=machine())
    else:
        saved.setdefault("zipf", {})[key] = {**entry, "machine": machine()}
    GLOVE_RATE.write_text(json.dumps(saved))


def load_glove_rates() -> str:
    """STATE's GloVe anchors from an earlier run's GLOVE_RATE; one line saying which."""
    saved = json.loads(GLOVE_RATE.read_text())
    STATE["glove_rate"] = saved["rate"]
    rates = STATE.setdefault("glove_rates", {})
    rates[("wiki", None)] = (saved["rate"], saved.get("anchor", "GloVe, wiki text") + " (earlier run)")
    for V, entry in saved.get("zipf", {}).items():
        rates[("zipf", int(V))] = (entry["rate"], entry["anchor"] + " (earlier run)")
    zipf = ", ".join(f"Zipf V={int(V) // 1000}k {e['rate'] / 1e6:.2f}M" for V, e in saved.get("zipf", {}).items())
    return (
        f"- GloVe's rates from an earlier run's stages C and C2 ({GLOVE_RATE.name}): wiki {saved['rate'] / 1e6:.2f}M "
        f"tokens/s on {saved['tokens'] / 1e6:.0f}M tokens ({saved['machine']}){'; ' + zipf if zipf else ''}"
    )


def zipf_prefix_text(corpus, n_tokens: int, out: Path) -> tuple[Path, int]:
    """The corpus's first documents holding at least ``n_tokens`` tokens, as text (one document a line), for
    GloVe; returns (path, tokens written). Rewritten when the corpus is newer or the size differs."""
    size = out.with_suffix(".tokens")
    fresh = out.exists() and size.exists() and out.stat().st_mtime >= (corpus.path / "manifest.json").stat().st_mtime
    if fresh and json.loads(size.read_text()).get("asked") == n_tokens:
        return out, json.loads(size.read_text())["tokens"]
    words = np.array(corpus.vocab.words + ["<oov>"])
    written = 0
    with open(out, "w") as fh:
        for tokens, offsets in corpus.iter_shards():
            for a, b in zip(offsets[:-1], offsets[1:]):
                fh.write(" ".join(words[tokens[a:b]]) + "\n")
                written += int(b - a)
                if written >= n_tokens:
                    break
            if written >= n_tokens:
                break
    size.write_text(json.dumps({"asked": n_tokens, "tokens": written}))
    return out, written


def stage_glove_zipf(args) -> str:
    """GloVe ``cooccur`` on the Zipf corpus's first ``--glove-zipf-tokens`` tokens at V = 50k and 100k: the
    anchors of the Zipf rows (same corpus, same words counted)."""
    tokens = args.glove_tokens if args.glove_zipf_tokens is None else args.glove_zipf_tokens
    if not tokens:
        return "not run (--glove-zipf-tokens 0): the Zipf rows use the wiki anchor"
    build = STATE.get("glove_build") or build_glove(
        Path(args.glove_dir) if args.glove_dir else ROOT / ".peers" / "GloVe"
    )
    corpus = STATE["zipf"]
    work = BENCH_DIR
    text, n = zipf_prefix_text(corpus, tokens, work / "gpu-glove-zipf.txt")
    out = []
    for V in (50_000, 100_000):
        V = min(V, len(corpus.vocab))
        vocab_file = work / f"gpu-vocab-zipf-{V}.txt"
        # the V most frequent words (cooc's ids are frequency ranks): the words cooc counts with vocab_size=V
        vocab_file.write_text("".join(f"{w} {c}\n" for w, c in zip(corpus.vocab.words[:V], corpus.vocab.counts[:V])))
        seconds = glove_cooccur(build, text, vocab_file, work / "gpu-glove-zipf.bin", WINDOW, memory_gb=8.0)
        os.remove(work / "gpu-glove-zipf.bin")
        anchor = f"GloVe, this Zipf corpus, V={V // 1000}k, first {n / 1e6:.0f}M tokens"
        STATE.setdefault("glove_rates", {})[("zipf", V)] = (n / seconds, anchor)
        save_glove_rate(str(V), {"rate": n / seconds, "tokens": n, "seconds": seconds, "anchor": anchor})
        glove_row(f"Zipf 100k types, V={V // 1000}k", n, V, seconds, anchor, "raw tokens; the corpus's first documents")
        out.append(f"V={V // 1000}k: {n / seconds / 1e6:.2f}M tokens/s ({seconds:.1f} s)")
    return f"GloVe on the Zipf corpus's first {n / 1e6:.0f}M tokens: " + "; ".join(out)


def glove_anchor(corpus, V: int) -> tuple[float, str] | None:
    """(GloVe's rate, its label) for a row counting ``corpus`` at ``V``: GloVe on the same corpus and V where
    measured, else the wiki rate, labelled as another corpus's."""
    rates = STATE.get("glove_rates", {})
    kind = "zipf" if (corpus.manifest.get("source") or {}).get("kind") == "zipf" else "wiki"
    if kind == "wiki":
        return rates.get(("wiki", None))
    seed = (corpus.manifest.get("settings") or {}).get("seed")
    found = rates.get(("zipf", V))
    if found is not None:
        zipf_seed = (STATE["zipf"].manifest.get("settings") or {}).get("seed") if "zipf" in STATE else seed
        other = "" if seed == zipf_seed else f" (same distribution, the seed-{zipf_seed} corpus)"
        return found[0], found[1] + other
    wiki = rates.get(("wiki", None))
    return None if wiki is None else (wiki[0], wiki[1] + " (another corpus: not measured on this one)")


def fill_glove_columns() -> None:
    """Each cooc row's "x GloVe" and "GloVe anchor", from the anchors measured by now (C2 runs last)."""
    for index, (rate, corpus, V) in ROW_ANCHORS.items():
        found = glove_anchor(corpus, V)
        ROWS[index][6], ROWS[index][7] = (f"{rate / found[0]:.0f}", found[1]) if found else ("", "")


def stage_corpora(args) -> str:
    n_sample = len(wiki_text().read_bytes().split())
    shard = 1 << 26  # 64M-token shards: a GPU chunk never spans shards, so fewer, larger chunks
    STATE["wiki"] = corpus_from_text(
        wiki_text(), None, BENCH_DIR / "gpu-wiki-big", repeat=-(-args.tokens // n_sample), shard_tokens=shard
    )
    STATE["zipf"] = _zipf(BENCH_DIR / "gpu-zipf", args.tokens, seed=1, shard_tokens=shard)
    return f"wiki {STATE['wiki'].n_tokens / 1e6:.0f}M tokens, zipf {STATE['zipf'].n_tokens / 1e6:.0f}M tokens"


def _zipf(path: Path, tokens: int, seed: int, shard_tokens: int = 1 << 26):
    """A Zipf stream of 100k types, drawn on the GPU where CuPy can (a convenience only), else on the CPU."""
    try:
        return zipf_corpus(path, tokens, 100_000, seed=seed, xp=_cupy_or_none(), shard_tokens=shard_tokens)
    except Exception as exc:  # noqa: BLE001
        print(f"Zipf on the GPU failed ({exc}); drawing on the CPU", flush=True)
        return zipf_corpus(path, tokens, 100_000, seed=seed, shard_tokens=shard_tokens)


def _cupy_or_none():
    try:
        import cupy

        return cupy
    except ImportError:
        return None


def add_row(name, corpus, V, tool, t, result, cpu_result=None, note=""):
    stats = result.settings["count"]
    n = corpus.n_tokens
    rate = n / t[0]
    inv = stats["centres"] / t[0]
    anchor = glove_anchor(corpus, V)
    ok = "" if cpu_result is None else ("equal" if same(result, cpu_result) else "DIFFERENT")
    if ok == "DIFFERENT":
        raise AssertionError(f"{tool} on {name}: matrix differs from the CPU matrix")
    extra = "; ".join(x for x in (timing_note(stats, t[0]), result_note(result, stats)) if x)
    ROWS.append(
        [
            name,
            f"{n / 1e6:.0f}M",
            f"{V // 1000}k",
            tool,
            f"{t[0]:.2f} ({t[1]:.2f}-{t[2]:.2f})",
            f"{rate / 1e6:.1f}",
            f"{rate / anchor[0]:.0f}" if anchor else "",
            anchor[1] if anchor else "",
            f"{inv / 1e6:.1f}",
            "; ".join(x for x in (ok, extra, note) if x),
        ]
    )
    ROW_ANCHORS[len(ROWS) - 1] = (rate, corpus, V)
    print(markdown_table(HEADER, ROWS[-1:]), flush=True)
    return rate


def timing_note(stats: dict, total: float) -> str:
    """'count X s + assemble Y s (path: stage s, ...) + result Z s' for one call (stats of its last run)."""
    counted = stats.get("count_seconds", 0.0)
    assembled = stats.get("seconds", total) - counted
    stages = ", ".join(f"{k} {v:.2f}" for k, v in (stats.get("stages") or {}).items())
    where = stats.get("assembly", "")
    detail = f" ({where}{': ' if where and stages else ''}{stages})" if where or stages else ""
    return (
        f"count {counted:.2f} s{profile_note(stats)} + assemble {assembled:.2f} s{detail} + result "
        f"{max(0.0, total - stats.get('seconds', total)):.2f} s"
    )


def result_bytes(result) -> int:
    """Bytes of a count's host CSR (values, column indices, row pointers): what a GPU count must copy back."""
    m = result.counts
    return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes)


def result_note(result, stats: dict) -> str:
    """'result G GB, B bytes/token; downloaded D GB (W bytes a nonzero) at R GB/s over extract + copy' (the
    download only where a device assembly sent it: ``downloaded_bytes``, narrowed where it fits)."""
    size = result_bytes(result)
    text = f"result {size / 1e9:.2f} GB, {size / stats['tokens']:.1f} bytes/token"
    sent = stats.get("downloaded_bytes") or 0
    seconds = (stats.get("stages") or {}).get("extract + copy")
    if sent:
        text += f"; downloaded {sent / 1e9:.2f} GB ({sent / max(result.counts.nnz, 1):.1f} bytes a nonzero)"
        if seconds:
            text += f" at {sent / seconds / 1e9:.1f} GB/s over extract + copy"
    return text


def call_ceiling(
    tokens: int, in_vocab: int, kernel_rate: float, input_bytes: int, h2d: float, output_bytes: int, d2h: float
) -> float:
    """Tokens per second of a whole GPU count that did nothing but its unavoidable parts.

    The tokens' upload overlaps the kernel (the count phase is the slower of the two), and the result can
    only be downloaded once every token is counted, so its download adds. Rates in tokens/s and bytes/s.
    """
    count = max(in_vocab / kernel_rate, input_bytes / h2d)
    return tokens / (count + output_bytes / d2h)


def profile_note(stats: dict) -> str:
    """' (host: read R, copy C, ...; device D over N chunks; B bytes/token to the device at G GB/s)' from a
    call's count_profile (cooc/count/profile.py); for the compiled CPU engine ' (host: kernel K, drain D,
    compact C; T tail entries/token over N calls)'."""
    prof = stats.get("count_profile") or {}
    if not prof:
        return ""
    keys = ("read", "copy", "wait", "next_chunk", "prepare", "add", "kernel", "drain", "compact")
    host = ", ".join(f"{k} {prof[k]:.3f}" for k in keys if k in prof)
    text = f" (host: {host}"
    if "tail_entries" in prof:  # the compiled CPU engine: its pairs outside the head, sorted in drains
        text += f"; {prof['tail_entries'] / stats['tokens']:.2f} tail entries/token over {prof['calls']} calls)"
        return text
    if "device" in prof:
        text += f"; device {prof['device']:.3f}"
    text += f"; {prof['chunks']} chunks"
    moved, counted = prof.get("bytes_to_device"), stats.get("count_seconds")
    if moved and counted:
        text += f"; {moved / stats['tokens']:.1f} bytes/token to the device, {moved / counted / 1e9:.1f} GB/s over the phase"
    return text + ")"


def stage_cpu(args) -> str:
    out = []
    # the Zipf corpus at V = 50k first: it is the row the CPU issue asks for, and the longer one
    for name, key, V in (("Zipf 100k types, V=50k", "zipf", 50_000), ("wiki sample repeated", "wiki", None)):
        if key == "zipf" and time.perf_counter() - STATE["t0"] > args.deadline - 90:
            out.append(f"{name}: skipped (too close to the deadline)")
            continue
        corpus = STATE[key]
        t = timed(lambda: count(corpus, device="cpu", memory=args.cpu_memory, vocab_size=V), 1)
        threads = t[3].settings["count"]["threads"]
        rate = add_row(name, corpus, V or len(corpus.vocab), f"cooc CPU numba ({threads} threads)", t, t[3])
        gpu = STATE.get(f"gpu-{key}", {})
        verdict = ", ".join(f"{label} {'equal' if same(res, t[3]) else 'DIFFERENT'}" for label, res in gpu.items())
        out.append(f"{name}: {rate / 1e6:.1f}M tokens/s; GPU results vs CPU: {verdict or 'none'}")
        if "DIFFERENT" in verdict:
            raise AssertionError(out[-1])
        if key == "zipf":
            out += head_scale_rows(args, name, corpus, V, t[3])
    out += thread_rows(args)
    return "; ".join(out)


def thread_rows(args) -> list[str]:
    """The Zipf count at V = 50k on a shorter corpus (``--thread-tokens``) with each thread count of
    ``--cpu-threads`` (e.g. 1,4,8,16): which of the count phase (kernel, drains) and the assembly stop
    scaling, and where (physical cores, memory), on the same matrix."""
    out: list[str] = []
    counts = [int(x) for x in args.cpu_threads.split(",") if x.strip()]
    if not counts:
        return out
    name = f"Zipf 100k types, V=50k, {args.thread_tokens / 1e6:.0f}M tokens"
    corpus = _zipf(BENCH_DIR / "gpu-zipf-threads", args.thread_tokens, seed=2)
    reference, base = None, None
    for threads in counts:
        if time.perf_counter() - STATE["t0"] > args.deadline - 30:
            out.append(f"{name}, {threads} threads: skipped (too close to the deadline)")
            continue
        t = timed(lambda: count(corpus, device="cpu", memory=args.cpu_memory, vocab_size=50_000, workers=threads), 1)
        if reference is not None and not same(t[3], reference):
            raise AssertionError(f"{name}: the count on {threads} threads differs from the count on {counts[0]}")
        reference = t[3] if reference is None else reference
        used = t[3].settings["count"]["threads"]
        rate = add_row(name, corpus, 50_000, f"cooc CPU numba ({used} threads)", t, t[3])
        base = base or (rate, used)
        speedup = f", x{rate / base[0]:.2f} over {base[1]} thread(s)" if used != base[1] else ""
        out.append(f"{name}, {used} threads: {rate / 1e6:.1f}M tokens/s{speedup}")
        del t
    return out


def head_scale_rows(args, name: str, corpus, V: int, reference) -> list[str]:
    """The same count with the CPU head's size cap scaled (``--cpu-head-scales``): whether a smaller head,
    whose random updates touch less memory, and a larger tail make the count phase faster on this machine."""
    from cooc.count import local

    out = []
    useful = local._useful_head_cells
    for scale in (float(x) for x in args.cpu_head_scales.split(",") if x.strip()):
        if time.perf_counter() - STATE["t0"] > args.deadline - 60:
            out.append(f"{name}, head cap x{scale:g}: skipped (too close to the deadline)")
            continue
        local._useful_head_cells = lambda n, w, s=scale: max(1 << 20, int(useful(n, w) * s))
        try:
            t = timed(lambda: count(corpus, device="cpu", memory=args.cpu_memory, vocab_size=V), 1)
        finally:
            local._useful_head_cells = useful
        if not same(t[3], reference):
            raise AssertionError(f"{name}: the count with the head cap x{scale:g} differs")
        threads = t[3].settings["count"]["threads"]
        rate = add_row(name, corpus, V, f"cooc CPU numba ({threads} threads), head cap x{scale:g}", t, t[3])
        out.append(f"{name}, head cap x{scale:g}: {rate / 1e6:.1f}M tokens/s (same matrix)")
    return out


def stage_gpu(args) -> str:
    from cooc.count import cuda
    from cooc.count.assemble import NARROW_ENV

    out = []
    for name, key, V in (("wiki sample repeated", "wiki", None), ("Zipf 100k types, V=50k", "zipf", 50_000)):
        corpus = STATE[key]
        STATE[f"gpu-{key}"] = results = {}
        for label, tile, engine, repeat, narrow in (
            (f"cooc GPU kernel + tile {cuda.TILE_N}", cuda.TILE_N, "kernel", args.repeat, "1"),
            # the same call with the result copied back in its final dtypes (12 bytes a nonzero, not 6)
            (f"cooc GPU kernel + tile {cuda.TILE_N}, wide copy", cuda.TILE_N, "kernel", 2, "0"),
            ("cooc GPU kernel + tile 128", 128, "kernel", 2, "1"),
            ("cooc GPU kernel, no tile", 0, "kernel", 2, "1"),
            ("cooc GPU vectorized (CuPy)", 0, "vectorized", 1, "1"),
        ):
            saved = cuda.TILE_N, os.environ.get(NARROW_ENV)
            cuda.TILE_N = tile
            os.environ[NARROW_ENV] = narrow
            try:
                pool_reset()
                count(corpus, device="cuda", engine=engine, memory=args.memory, vocab_size=V)  # warm-up
                t = timed(lambda: count(corpus, device="cuda", engine=engine, memory=args.memory, vocab_size=V), repeat)
                peak = pool_bytes()
            finally:
                cuda.TILE_N = saved[0]
                if saved[1] is None:
                    os.environ.pop(NARROW_ENV, None)
                else:
                    os.environ[NARROW_ENV] = saved[1]
            rate = add_row(name, corpus, V or len(corpus.vocab), label, t, t[3], None, f"GPU pool {peak / 1e9:.1f} GB")
            if results and not same(t[3], next(iter(results.values()))):
                raise AssertionError(f"{label} on {name}: differs from the other GPU engines")
            results[label] = t[3]
            out.append(f"{name} {label}: {rate / 1e6:.0f}M tokens/s")
    return "; ".join(out)


def stage_gpu_large_vocab(args) -> str:
    """V = 100k, twice: within ``--memory`` (a partial head plus tail runs, assembled on the device: an error,
    not the host path, if it can't) and within ``--memory-large`` (the full head, 80 GB, where the GPU has it)."""
    from cooc.count import assemble

    if time.perf_counter() - STATE["t0"] > args.deadline - 60:
        return "skipped (too close to the deadline)"
    corpus = STATE["zipf"]
    V = len(corpus.vocab)
    out, results = [], []
    for memory in (args.memory, args.memory_large):
        pool_reset()
        saved = assemble.ALLOW_HOST_FALLBACK
        assemble.ALLOW_HOST_FALLBACK = False  # the host path takes minutes here: report instead of waiting
        try:
            t = timed(lambda: count(corpus, device="cuda", memory=memory), 1)
        finally:
            assemble.ALLOW_HOST_FALLBACK = saved
        kind = "full head" if t[3].settings["count"]["head_cells"] >= V * V else "partial head + tail"
        rate = add_row(
            f"Zipf 100k types, V={V // 1000}k",
            corpus,
            V,
            f"cooc GPU kernel + tile, {kind}",
            t,
            t[3],
            None,
            f"GPU pool {pool_bytes() / 1e9:.1f} GB; budget {memory}; {kind}",
        )
        if results and not same(t[3], results[0]):
            raise AssertionError("V = 100k: the full head's matrix differs from the partial head's")
        results.append(t[3])
        out.append(
            f"{kind} (budget {memory}): {rate / 1e6:.0f}M tokens/s, nnz {t[3].nnz:,}, {t[3].settings['count']['assembly']}"
        )
        del t
    return "; ".join(out)


def stage_bounds(args) -> str:
    """Kernel alone on a device-resident chunk, the host copy, the H2D copy and the result's download (with the
    ceiling they set on a whole call): which resource bounds."""
    import cupy
    import cupyx

    from cooc.count import cuda
    from cooc.count.accumulate import RunStore
    from cooc.count.engines import Plan
    from cooc.count.host_copy import copy_into, copy_threads
    from cooc.count.local import iter_raw_chunks
    from cooc.count.planning import plan_sizes
    from cooc.count.windows import integer_weights, prepare_chunk

    lines = []
    for name, key, V in (("wiki", "wiki", None), ("zipf V=50k", "zipf", 50_000)):
        corpus = STATE[key]
        V = V or len(corpus.vocab)
        tokens, starts, cut, mid = next(iter_raw_chunks(corpus, 1 << 26))
        host = np.ascontiguousarray(tokens)
        pinned = cupyx.empty_pinned(host.shape, dtype=np.int32)
        # the shard's mapped pages into pinned memory, as the feeder copies them, on 1 to 8 threads
        copy_rates = {}
        for threads in (1, 2, 4, 8):
            t = time.perf_counter()
            copy_into(pinned, tokens, threads=threads)
            copy_rates[threads] = host.nbytes / (time.perf_counter() - t) / 1e9
        host_copy = host.nbytes / copy_rates[1] / 1e9
        dev = cupy.empty(host.shape, dtype=np.int32)
        sync()
        t = time.perf_counter()
        dev.set(pinned)
        sync()
        h2d = time.perf_counter() - t
        chunk, _ = prepare_chunk(cupy, dev, cupy.asarray(starts), V, WINDOW, "drop", None, False, False)
        ints, _ = integer_weights(WINDOW, "harmonic")
        from cooc._core.device import parse_memory

        sizes = plan_sizes(parse_memory(args.memory), V, WINDOW, 1, "kernel", 1, max_chunk_tokens=1 << 26)
        plan = Plan(V, WINDOW, ints, False, sizes.layout, sizes.chunk_tokens, sizes.tail_batch)
        best_kernel = 0.0  # in-vocabulary tokens/s of the fastest tile
        for tile in (cuda.TILE_N, 128, 0):
            eng = cuda.KernelEngine(plan, RunStore(1 << 34), tile_n=tile)
            eng.add(chunk)
            sync()
            start, stop = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            reps = 3
            for _ in range(reps):
                eng.add(chunk)
            stop.record()
            stop.synchronize()
            ms = cupy.cuda.get_elapsed_time(start, stop) / reps
            n = int(chunk.n_centres)
            pairs = int(chunk.rem.astype(cupy.int64).sum())
            best_kernel = max(best_kernel, n / ms * 1e3)
            lines.append(
                f"{name}, tile {eng.tile_n}: kernel alone {n / ms / 1e6:.3f}G in-vocab tokens/s "
                f"({pairs / ms / 1e6:.2f}G pairs/s, {pairs / n:.1f} pairs/token; head "
                f"{sizes.layout.cells * 8 / 1e9:.1f} GB, full={eng.full_head})"
            )
            eng.release()
            del eng
            pool_reset()
        lines.append(
            f"{name}: host memcpy into pinned {host.nbytes / host_copy / 1e9:.1f} GB/s "
            f"({host.size / host_copy / 1e9:.2f}G tokens/s), H2D {host.nbytes / h2d / 1e9:.1f} GB/s "
            f"({host.size / h2d / 1e9:.2f}G tokens/s); host copy on 1/2/4/8 threads (cooc.count.host_copy): "
            + " / ".join(f"{rate:.1f}" for rate in copy_rates.values())
            + f" GB/s (the counter uses {copy_threads()})"
        )
        del dev, pinned
        pool_reset()
        result = next(iter(STATE.get(f"gpu-{key}", {}).values()), None)  # this corpus's matrix from stage E1
        size = min(result_bytes(result) if result is not None else 1 << 30, 2 << 30)
        down = download_rates(size)
        line = (
            f"{name}: download of {size / 1e9:.2f} GB into pinned memory {down['pinned']:.1f} GB/s, into fresh "
            f"pageable memory {down['pageable']:.1f} GB/s, through the assembly's writer (pinned slots, then "
            f"fresh pageable) {down['writer']:.1f} GB/s"
        )
        if result is not None:
            stats = result.settings["count"]
            sent = stats.get("downloaded_bytes") or result_bytes(result)
            ceiling = call_ceiling(
                corpus.n_tokens,
                stats["centres"],
                best_kernel,
                corpus.n_tokens * host.itemsize,
                host.nbytes / h2d,
                sent,
                down["pinned"] * 1e9,
            )
            line += (
                f"; ceiling of a whole call {ceiling / 1e9:.2f}G tokens/s (the fastest kernel's "
                f"{best_kernel / 1e9:.2f}G in-vocab tokens/s, then the {sent / 1e9:.2f} GB the call downloaded "
                f"at the pinned rate)"
            )
        lines.append(line)
        pool_reset()
    STATE["bounds"] = lines
    for line in lines:
        print(line, flush=True)
    return f"{len(lines)} measurements"


def download_rates(nbytes: int, repeat: int = 2) -> dict[str, float]:
    """GB/s (best of ``repeat``) of downloading ``nbytes`` from the device: into pinned memory, into fresh
    pageable memory (the copy takes its first-touch page faults, as a count's new host CSR does), and through
    the assembly's :class:`~cooc.count.assemble.HostWriter` into fresh pageable memory."""
    import cupy
    import cupyx

    from cooc.count.assemble import HostWriter

    dev = cupy.ones(nbytes, dtype=np.uint8)
    pinned = cupyx.empty_pinned((nbytes,), dtype=np.uint8)

    def through_writer(writer):
        writer.put(np.empty(nbytes, dtype=np.uint8), dev)
        writer.close()  # waits for every piece

    copies = {
        "pinned": lambda _: dev.get(out=pinned),
        "pageable": lambda _: dev.get(out=np.empty(nbytes, dtype=np.uint8)),
        "writer": through_writer,
    }
    rates = {}
    for name, copy in copies.items():
        best = float("inf")
        for _ in range(repeat):
            writer = HostWriter(cupy) if name == "writer" else None  # its pinned slots made before the clock
            try:
                sync()
                t = time.perf_counter()
                copy(writer)
                sync()
                best = min(best, time.perf_counter() - t)
            finally:
                if writer is not None:
                    writer.close()
        rates[name] = nbytes / best / 1e9
    return rates


HEADER = [
    "corpus",
    "tokens",
    "V",
    "tool",
    "median s (min-max)",
    "M tokens/s",
    "x GloVe",
    "GloVe anchor",
    "M in-vocab tokens/s",
    "notes",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=200_000_000)
    parser.add_argument("--glove-tokens", type=int, default=20_000_000)
    parser.add_argument(
        "--glove-zipf-tokens",
        type=int,
        default=None,
        help="GloVe's anchor on the Zipf corpus (stage C2): its first N tokens (default: --glove-tokens; "
        "0: not run, the Zipf rows then use the wiki anchor and say so)",
    )
    parser.add_argument("--memory", default="60GB", help="GPU budget")
    parser.add_argument(
        "--memory-large",
        default="120GB",
        help="GPU budget of the second V = 100k count, for its full head (80 GB); kept within 85%% of the free memory",
    )
    parser.add_argument("--cpu-memory", default="16GB")
    parser.add_argument(
        "--cpu-head-scales",
        default="",
        help="also count the Zipf corpus on the CPU with the head's size cap scaled by each (e.g. 0.25,0.0625)",
    )
    parser.add_argument(
        "--cpu-threads",
        default="",
        help="also count a Zipf corpus of --thread-tokens at V = 50k on the CPU with each of these thread counts",
    )
    parser.add_argument("--thread-tokens", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=330.0, help="seconds after which stages are skipped")
    parser.add_argument("--pytest-timeout", type=int, default=150)
    parser.add_argument("--skip", default="", help="comma-separated stage letters to skip (A-E)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--glove-dir", default=None)
    # unknown arguments are ignored: benchmarks/count.py --device cuda hands over its own command line
    args, ignored = parser.parse_known_args(argv)
    if ignored:
        print("gpu_count_check: ignoring", " ".join(ignored), flush=True)
    STATE["t0"] = time.perf_counter()
    try:
        import cupy

        gpu = f"cupy {cupy.__version__} | {cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}"
        STATE["gpu"] = True
    except Exception as exc:  # noqa: BLE001 - no CuPy or no device: the CPU stages still run
        gpu = f"no GPU ({type(exc).__name__}): stages B, E1, E2 and E4 will fail"
        STATE["gpu"] = False
    print(machine(), "|", gpu, flush=True)
    skip = set(args.skip.upper().split(",")) if args.skip else set()
    if "C" in skip and GLOVE_RATE.exists():
        REPORT.append(load_glove_rates())
    stages = [
        ("A", "gpu tests (pytest -m gpu tests/count)", stage_pytest),
        ("B", "parity GPU == CPU (Wikipedia sample, random corpora)", stage_parity),
        ("C", "GloVe cooccur: build, parity, speed", stage_glove),
        ("D", f"corpora of {args.tokens / 1e6:.0f}M tokens", stage_corpora),
        ("E1", "cooc GPU", stage_gpu),
        ("E2", "resource bounds", stage_bounds),
        ("E4", "cooc GPU at V = 100k (partial head + tail; full head)", stage_gpu_large_vocab),
        ("E3", "cooc CPU (numba, all cores), equality with the GPU results", stage_cpu),
        ("C2", "GloVe cooccur on the Zipf corpus at V = 50k and 100k (the Zipf rows' anchor)", stage_glove_zipf),
    ]
    ran = set()
    for letter, name, fn in stages:
        if letter[0] in skip or letter in skip:
            REPORT.append(f"- {name}: skipped (--skip)")
            continue
        ran.add(letter)
        stage(f"{letter}. {name}", args)(lambda fn=fn: fn(args))
    fill_glove_columns()
    on_gpu = STATE["gpu"] and bool(ran & {"B", "E1", "E2", "E4"})
    title = f"Counting on the {'GPU' if on_gpu else 'CPU'} (benchmarks/gpu_count_check.py)"
    elapsed = time.perf_counter() - STATE["t0"]
    body = (
        "\n".join(REPORT)
        + "\n\n"
        + markdown_table(HEADER, ROWS)
        + "\n\n"
        + "\n".join(f"- {line}" for line in STATE.get("bounds", []))
        + "\n\n"
        + f"Window 10, harmonic, symmetric; GPU budget {args.memory}, CPU budget {args.cpu_memory}. Rates are "
        f"corpus tokens per second of wall time for the whole call (streaming from the encoded corpus on disk, "
        f"counting, and the host CSR result); 'in-vocab' counts centres after OOV tokens are dropped. GloVe "
        f"reads the same stream as text (one thread), one run; 'x GloVe' divides by the rate of the GloVe run "
        f"the 'GloVe anchor' column names (the same corpus and V where measured). Projected time for 4.5B tokens = 4.5e9 / rate. "
        f"Script wall time {elapsed:.0f} s."
    )
    for row in ROWS:
        try:
            rate = float(row[5]) * 1e6
            body += f"\n- {row[3]} on {row[0]}: 4.5B tokens in about {4.5e9 / rate:.0f} s"
        except ValueError:
            pass
    append_results(title, body)
    out = os.environ.get("OUT")
    if out:  # the device tool brings back what is written under $OUT
        Path(out, "gpu_count_results.md").write_text(f"## {title}\n\nMachine: {machine()}\n\n{body}\n")


if __name__ == "__main__":
    main()
