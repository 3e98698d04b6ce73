"""RHM generation speed: samples/s for i.i.d. and distinct sampling, parsing and one-hot tensors.

Baseline: the obvious vectorised numpy expansion, ``rules[l][symbols, choices]`` level by
level (a 2-D fancy index per level, as in the reference implementation of the paper);
cooc gathers packed tuples with one 1-D ``take`` per level. Both are checked to give the
same sentences from the same draws before anything is timed.

    python benchmarks/grammars.py                    # CPU
    python benchmarks/grammars.py --device cuda      # CPU and CuPy in one run
    python benchmarks/grammars.py --quick            # small sizes, no RESULTS.md entry
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import append_results, markdown_table, timeit  # noqa: E402
from cooc._core.device import to_numpy  # noqa: E402
from cooc.grammars.rhm import RandomHierarchyModel  # noqa: E402

SETTINGS = [dict(v=32, n_c=32, m=8, s=2, L=3), dict(v=32, n_c=32, m=8, s=2, L=6), dict(v=16, n_c=16, m=4, s=3, L=3)]


def baseline_sample(model: RandomHierarchyModel, labels: np.ndarray, choices: list[np.ndarray]) -> np.ndarray:
    """Level-by-level expansion with a 2-D fancy index per level."""
    current = labels.reshape(-1, 1).astype(np.int64)
    for l in range(model.L):
        current = model.rules[l][current, choices[l]].reshape(current.shape[0], -1)
    return current


def check(model: RandomHierarchyModel) -> None:
    sample = model.sample(20000, seed=0)
    expected = baseline_sample(model, sample.labels, sample.choices)
    if not np.array_equal(expected, sample.tokens):
        raise SystemExit(f"fast path differs from the baseline for {model!r}")
    if not model.parse(sample.tokens).valid.all():
        raise SystemExit("parser rejects sampled sentences")


def sync_for(device: str):
    if device != "cuda":
        return None
    import cupy

    return lambda: cupy.cuda.Device().synchronize()


def bench_setting(params: dict, n: int, device: str, repeat: int) -> list[list[object]]:
    model = RandomHierarchyModel(**params)
    check(model)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, model.n_c, n)
    choices = [rng.integers(0, model.m, (n, model.s**l)) for l in range(model.L)]
    base, *_ = timeit(lambda: baseline_sample(model, labels, choices), repeat=repeat)
    sync = sync_for(device)
    xp = np if device == "cpu" else __import__("cupy")
    dev_labels, dev_choices = xp.asarray(labels), [xp.asarray(c) for c in choices]
    expand, *_ = timeit(lambda: model._expand(xp, dev_labels, dev_choices), repeat=repeat, sync=sync)
    iid, lo, hi, sample = timeit(lambda: model.sample(n, seed=2, device=device), repeat=repeat, sync=sync)
    distinct, *_ = (
        timeit(lambda: model.sample(n, seed=3, distinct=True, device=device), repeat=repeat, sync=sync)
        if model.P_max < 2**63
        else (float("nan"),)
    )
    parse, *_ = timeit(lambda: model.parse(sample.tokens), repeat=repeat, sync=sync)
    small = sample[: max(1, n // 4)]
    onehot, *_ = timeit(lambda: small.one_hot(), repeat=repeat, sync=sync)
    if device == "cuda" and model.P_max < 2**63:  # the GPU decodes the same indices into the same sentences
        # (above 2**63 distinct sentences are found by rejection from each device's own generator)
        host = model.sample(1000, seed=5, distinct=True)
        dev = model.sample(1000, seed=5, distinct=True, device="cuda")
        assert np.array_equal(to_numpy(dev.tokens), host.tokens), f"{params}: the GPU decodes indices differently"
    name = ",".join(f"{k}={v}" for k, v in params.items())
    rate = lambda t, k=n: k / t / 1e6  # noqa: E731
    return [
        [
            name,
            device,
            model.n_positions,
            n,
            rate(base),
            rate(expand),
            f"{base / expand:.1f}x",
            rate(iid),
            f"{rate(hi):.2f}-{rate(lo):.2f}",
            rate(distinct),
            rate(parse),
            rate(onehot, len(small)),
        ]
    ]


def bench_corpus(documents: int) -> list[list[object]]:
    from cooc.grammars.source import build_grammar_corpus

    rows = []
    for spec, label in [
        ("rhm:v=32,n_c=32,m=8,s=2,L=3", "rhm L=3"),
        ("latent:n_words=12,n_fillers=100", "latent"),
        ("taxonomy:branching=2,depth=6", "taxonomy (127 nodes)"),
    ]:
        out = Path(tempfile.mkdtemp(prefix="cooc-bench-"))
        try:
            t0 = time.perf_counter()
            corpus = build_grammar_corpus(spec, out / "c", documents=documents, progress=False)
            seconds = time.perf_counter() - t0
            rows.append([label, documents, corpus.n_tokens, seconds, corpus.n_tokens / seconds / 1e6])
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents per corpus build (CPU)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", type=Path, default=None, help="file to append to (default benchmarks/RESULTS.md)")
    args = parser.parse_args()
    n = 20000 if args.quick else args.samples
    repeat = 2 if args.quick else args.repeat
    devices = ["cpu"] + (["cuda"] if args.device == "cuda" else [])
    rows = []
    for params in SETTINGS:
        for device in devices:
            size = n if params["L"] < 6 else max(1, n // 8)
            rows += bench_setting(params, size, device, repeat)
    header = [
        "RHM",
        "device",
        "tokens/sentence",
        "P",
        "baseline expand M/s",
        "cooc expand M/s",
        "speed-up",
        "cooc sample M/s",
        "sample range",
        "distinct M/s",
        "parse M/s",
        "one-hot M/s",
    ]
    body = (
        "Sentences per second (millions), median of "
        f"{repeat} runs. Expand: rules applied to given draws (baseline: numpy 2-D fancy index per level, "
        "on the CPU); sample: draws included (i.i.d.); distinct: distinct indices drawn on the CPU and "
        "decoded on the device.\n\n" + markdown_table(header, rows)
    )
    if args.device == "cpu":
        docs = 20000 if args.quick else args.documents
        corpus_rows = bench_corpus(docs)
        body += (
            "\n\nGrammar corpus build (two passes: count, then write with frequency-rank ids), one run:\n\n"
            + markdown_table(["grammar", "documents", "tokens", "seconds", "M tokens/s"], corpus_rows)
        )
    if args.quick:
        print(body)
    else:
        extra = {} if args.results is None else {"path": args.results}
        append_results(f"Grammar generation ({args.device})", body, **extra)


if __name__ == "__main__":
    main()
