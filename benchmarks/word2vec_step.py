"""word2vec's SGD step and data pipeline, timed apart: where a GPU's words/s go.

``benchmarks/word2vec.py`` times whole training runs. This script splits one run's cost into
(a) the step, for each kernel (torch, numba on a CPU, triton on a GPU), batch size and, on a
GPU, with and without CUDA-graph replay; and (b) the data pipeline of one chunk (vocabulary
map, subsampling, window radii, skip-gram pairs, shuffle, negatives), which does not depend on
the kernel. From the two it predicts the trainer's words/s for each configuration:
``tokens per chunk / (pipeline + steps per chunk x step)``. A kernel named ``NAME-window``
(``torch-window``, ``triton-window``) is the step by windows of ``kernel="shared"``: its batch
sizes count windows (a centre, its context words within a drawn radius, one draw of negatives),
its pipeline builds windows instead of pairs, and its "ns / pair" divides by the batch's pairs.

Inputs are realistic, not zeros: V words with Zipf counts (``1 / (rank + 2.7)``), inputs and
outputs drawn from the unigram distribution, negatives from unigram^0.75, random weights.
Before timing, each kernel's step is checked against the torch step on a fresh batch.

Usage::

    python benchmarks/word2vec_step.py --device cuda --kernels torch,triton --batch-sizes 65536,262144 --graph both
    python benchmarks/word2vec_step.py --device cpu --kernels torch,numba --batch-sizes 4096
    python benchmarks/word2vec_step.py --device cuda --kernels triton,triton-window --batch-sizes 16384 --graph on
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository, where cooc is not installed
from _common import append_results, markdown_table  # noqa: E402


def _steps(kernel: str):
    from cooc.train.word2vec.kernels import step_kernel

    return step_kernel(kernel.removesuffix("-window"))


def _step_fn(kernel: str):
    """The step a kernel name times: ``sgns_step``, or ``window_step`` for ``NAME-window``."""
    steps = _steps(kernel)
    return steps.window_step if kernel.endswith("-window") else steps.sgns_step


def window_batch(rng, counts, n: int, negative: int, device, window: int = 5):
    """Windows: centres and context words from the unigram distribution, each window's radius uniform in
    1..window (columns beyond it -1, no document edges), negatives from unigram^0.75."""
    import torch

    centres, _, negatives = batch(rng, counts, n, negative, device)
    context = torch.as_tensor(rng.choice(counts.size, size=(n, 2 * window), p=counts / counts.sum()), device=device)
    offsets = torch.as_tensor(np.r_[np.arange(window, 0, -1), np.arange(1, window + 1)], device=device)
    radius = torch.as_tensor(rng.integers(1, window + 1, n), device=device)
    return centres, context.masked_fill_(offsets[None, :] > radius[:, None], -1), negatives


def _batch(kernel: str, rng, counts, n: int, negative: int, device):
    return (window_batch if kernel.endswith("-window") else batch)(rng, counts, n, negative, device)


def zipf_counts(V: int) -> np.ndarray:
    return np.maximum((1e9 / (np.arange(V) + 2.7)).astype(np.int64), 1)


def batch(rng, counts, n: int, negative: int, device):
    """Inputs and outputs from the unigram distribution, negatives from unigram^0.75."""
    import torch

    from cooc.train.word2vec.sampling import noise_distribution

    p = counts / counts.sum()
    ids = lambda size, q: torch.as_tensor(rng.choice(counts.size, size=size, p=q), device=device)  # noqa: E731
    return ids(n, p), ids(n, p), ids((n, negative), noise_distribution(counts))


def weights(rng, V: int, d: int, device):
    import torch

    return tuple(torch.as_tensor(rng.normal(0, 0.1, (V, d)), dtype=torch.float32, device=device) for _ in range(2))


def check(kernel: str, rng, counts, d: int, negative: int, device) -> float:
    """Largest difference from the torch step on a fresh batch, relative to the torch step's update."""
    from cooc.train.word2vec import _step_torch

    W = weights(rng, counts.size, d, device)
    ids = _batch(kernel, rng, counts, 8192, negative, device)
    reference = _step_torch.window_step if kernel.endswith("-window") else _step_torch.sgns_step
    out = []
    for step in (reference, _step_fn(kernel)):
        a, b = W[0].clone(), W[1].clone()
        step(a, b, *ids, 0.025, 1.0)
        out.append((a, b))
    scale = max(float((out[0][0] - W[0]).abs().max()), float((out[0][1] - W[1]).abs().max()))
    return max(float((out[1][i] - out[0][i]).abs().max()) for i in range(2)) / scale


def time_step(kernel: str, graph: bool, rng, counts, d: int, negative: int, n: int, device, seconds: float, **options):
    """Median seconds per step over rounds of steps, after a warm-up; the batches rotate among 4.
    ``options`` go to the step (the Triton step's ``block_m`` and ``num_warps``)."""
    import functools

    import torch

    from cooc.train._torch import synchronize
    from cooc.train.word2vec._graphs import GraphedSkipGram

    W_in, W_out = weights(rng, counts.size, d, device)
    batches = [_batch(kernel, rng, counts, n, negative, device) for _ in range(4)]
    sgns_step = functools.partial(_step_fn(kernel), **options)
    if graph:
        width = batches[0][1].shape[1] if kernel.endswith("-window") else None
        step = GraphedSkipGram(sgns_step, W_in, W_out, n, negative, 1.0, width)
        run = lambda ids: step(*ids, 0.025)  # noqa: E731
    else:
        run = lambda ids: sgns_step(W_in, W_out, *ids, 0.025, 1.0)  # noqa: E731
    for ids in batches:
        run(ids)
    synchronize(device)
    rounds, per_round = [], 8
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rounds) < 3:
        t0 = time.perf_counter()
        for i in range(per_round):
            run(batches[i % 4])
        synchronize(device)
        rounds.append((time.perf_counter() - t0) / per_round)
    assert torch.isfinite(W_in).all() and torch.isfinite(W_out).all()
    return statistics.median(rounds)


def time_pipeline(
    rng, counts, window: int, negative: int, batch_size: int, tokens: int, device, repeat: int = 5, windows=False
):
    """Median seconds to turn one chunk of ``tokens`` tokens into shuffled pairs (``windows``: windows) and
    their negatives, as the trainer does; the number of pairs, and of examples (pairs or windows)."""
    import torch

    from cooc.train._torch import generator, synchronize
    from cooc.train.word2vec import sampling

    p = counts / counts.sum()
    corpus = torch.as_tensor(rng.choice(counts.size, size=tokens, p=p))
    offsets = np.r_[np.arange(0, tokens, 1000), tokens]  # documents of 1,000 tokens
    id_map = torch.arange(counts.size + 1, device=device)
    keep = torch.as_tensor(sampling.keep_probabilities(counts, 1e-3), device=device)
    sampler = sampling.AliasSampler(sampling.noise_distribution(counts), device)
    times, n, pairs = [], 0, 0
    for r in range(repeat + 1):
        synchronize(device)
        t0 = time.perf_counter()
        gen = generator(device, 0, r)
        t = id_map[corpus.to(device)]
        docs = torch.repeat_interleave(
            torch.arange(offsets.size - 1, device=device), torch.as_tensor(np.diff(offsets), device=device)
        )
        t, docs = sampling.subsample(t, docs, keep, gen)
        radii = sampling.window_radii(t.numel(), window, gen, device)
        if windows:  # as the trainer builds them for kernel="shared" with batches
            centres, context, mask = sampling.cbow_contexts(t, docs, radii, window)
            order = torch.randperm(centres.numel(), device=device, generator=gen)
            centres, context = centres[order], context.masked_fill_(~mask, -1)[order]
            n, pairs = centres.numel(), int(mask.sum())
        elif device.type == "cpu":  # as the trainer builds them: compiled on a CPU, torch on a GPU
            n = pairs = sampling.shuffled_skipgram_pairs(t, docs, radii, r)[0].size
        else:
            inputs, outputs = sampling.skipgram_pairs(t, docs, radii, window)
            n = pairs = inputs.numel()
            order = torch.randperm(n, device=device, generator=gen)
            inputs, outputs = inputs[order], outputs[order]
        if device.type == "cuda":  # as the trainer draws them: the chunk's at once on a GPU, 64 batches' on a CPU
            sampler.draw((n, negative), gen)
        else:
            neg_gen = sampling.SplitMix64(r)
            for lo in range(0, n, 64 * batch_size):
                sampler.draw((min(64 * batch_size, n - lo), negative), neg_gen)
        synchronize(device)
        if r:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), pairs, n


def fastest_triton_shape(rows: list[list], batch_size: int, windows: bool = False) -> str | None:
    """The BLOCK_MxNUM_WARPS of the fastest Triton row (``windows``: of the step by windows) at ``batch_size``
    without graph replay (the plain 'triton' or 'triton-window' row is the module's default shape), or None
    if no such row was timed."""
    from cooc.train.word2vec import _step_triton, _step_triton_window

    family, module = ("triton-window", _step_triton_window) if windows else ("triton", _step_triton)
    timed = {}
    for kernel, size, graph, ms, *_ in rows:
        if kernel.split()[0] == family and size == batch_size and graph == "off":
            shape = kernel.split()[1] if " " in kernel else f"{module.BLOCK_M}x{module.NUM_WARPS}"
            timed[shape] = min(ms, timed.get(shape, ms))
    return min(timed, key=timed.get) if timed else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--kernels",
        default="torch",
        help="comma-separated: torch, numba (CPU), triton (GPU); torch-window and triton-window: the step by "
        "windows (kernel='shared'), whose batch sizes count windows",
    )
    parser.add_argument("--batch-sizes", default="65536")
    parser.add_argument("--graph", default="off", choices=("off", "on", "both"), help="CUDA-graph replay (GPU)")
    parser.add_argument("--vocab", type=int, default=70_000, help="V (the wiki corpus x10 at min_count 5: ~70k)")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--chunk-tokens", type=int, default=1 << 20)
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per configuration")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--triton-blocks",
        default="",
        help="also time these Triton shapes at the first batch size, without graph: "
        "BLOCK_MxNUM_WARPS, comma-separated (e.g. 16x4,8x4,4x4,32x8)",
    )
    parser.add_argument(
        "--best-triton",
        default=None,
        help="write the fastest Triton shape at the first batch size (without graph) to this "
        "file, as BLOCK_MxNUM_WARPS (what COOC_TRITON_BLOCK takes)",
    )
    parser.add_argument(
        "--triton-window-blocks",
        default="",
        help="the same for the step by windows (triton-window), e.g. 1x4,2x4,4x4,2x8; its ns / pair counts "
        "window + 1 pairs a window (the synthetic windows' mean)",
    )
    parser.add_argument(
        "--best-triton-window",
        default=None,
        help="write the fastest shape of the step by windows to this file (what COOC_TRITON_WINDOW_BLOCK takes)",
    )
    parser.add_argument(
        "--numba-threads",
        default="",
        help="CPU: also time the numba step and the pipeline at these thread counts, at the first "
        "batch size (comma-separated, e.g. 1,2,4,8,16): how they scale with cores",
    )
    parser.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    import numba
    import torch

    from cooc.train._torch import torch_device

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch_device(args.device)
    rng = np.random.default_rng(0)
    counts = zipf_counts(args.vocab)
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    graphs = {"off": [False], "on": [True], "both": [False, True]}[args.graph]
    rows = []
    # The pipeline does not depend on the kernel (on a CPU its grouped negative draws depend on the batch size).
    pipelines = {
        (size, windows): time_pipeline(
            rng, counts, args.window, args.negative, size, args.chunk_tokens, device, windows=windows
        )
        for size in sizes
        for windows in {k.endswith("-window") for k in kernels}
    }
    for kernel in kernels:
        try:  # a kernel that fails to build or check is reported, and the others are still timed
            error = check(kernel, rng, counts, args.dim, args.negative, device) if kernel != "torch" else 0.0
        except Exception:
            traceback.print_exc()
            rows.append([kernel, "", "", "", "", "", "", "", "", "failed (see log)"])
            continue
        print(f"{kernel}: largest difference from the torch step {error:.1e} (of the update)", flush=True)
        for size in sizes:
            pipeline, pairs, examples = pipelines[size, kernel.endswith("-window")]
            per_step = size * pairs / max(examples, 1)  # pairs in a step (a window holds several)
            for graph in graphs:
                s = time_step(kernel, graph, rng, counts, args.dim, args.negative, size, device, args.seconds)
                steps = -(-examples // size)
                predicted = args.chunk_tokens / (pipeline + steps * s)
                rows.append(
                    [
                        kernel,
                        size,
                        "on" if graph else "off",
                        s * 1e3,
                        s / per_step * 1e9,
                        per_step / s / 1e6,
                        pipeline * 1e3,
                        pairs,
                        predicted / 1e6,
                        f"{error:.0e}",
                    ]
                )
                print(rows[-1], flush=True)
    shapes = [("triton", b) for b in args.triton_blocks.split(",") if b.strip()]
    shapes += [("triton-window", b) for b in args.triton_window_blocks.split(",") if b.strip()]
    for kernel, shape in shapes:
        block_m, num_warps = (int(x) for x in shape.lower().split("x"))
        per_step = sizes[0] * (args.window + 1 if kernel == "triton-window" else 1)  # a window: window + 1 pairs
        try:
            s = time_step(
                kernel,
                False,
                rng,
                counts,
                args.dim,
                args.negative,
                sizes[0],
                device,
                args.seconds,
                block_m=block_m,
                num_warps=num_warps,
            )
        except Exception:
            traceback.print_exc()
            continue
        rows.append(
            [
                f"{kernel} {block_m}x{num_warps}",
                sizes[0],
                "off",
                s * 1e3,
                s / per_step * 1e9,
                per_step / s / 1e6,
                "",
                "",
                "",
                "",
            ]
        )
        print(rows[-1], flush=True)
    for threads in (int(t) for t in args.numba_threads.split(",") if t.strip()):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        pipeline, pairs, _ = time_pipeline(rng, counts, args.window, args.negative, sizes[0], args.chunk_tokens, device)
        s = time_step("numba", False, rng, counts, args.dim, args.negative, sizes[0], device, args.seconds)
        rows.append(
            [
                f"numba, {numba.get_num_threads()} threads",
                sizes[0],
                "off",
                s * 1e3,
                s / sizes[0] * 1e9,
                sizes[0] / s / 1e6,
                pipeline * 1e3,
                pairs,
                args.chunk_tokens / (pipeline + -(-pairs // sizes[0]) * s) / 1e6,
                "",
            ]
        )
        print(rows[-1], flush=True)
    for path, windows in ((args.best_triton, False), (args.best_triton_window, True)):
        best = fastest_triton_shape(rows, sizes[0], windows) if path else None
        if best:
            Path(path).write_text(best + "\n")
            print(f"fastest Triton shape{' by windows' if windows else ''} at batch {sizes[0]:,}: {best}", flush=True)
    header = [
        "kernel",
        "batch",
        "CUDA graph",
        "ms / step",
        "ns / pair",
        "M pairs/s",
        "pipeline ms / chunk",
        "pairs / chunk",
        "predicted M words/s",
        "vs torch step",
    ]
    body = (
        markdown_table(header, rows) + f"\n\nSkip-gram step, damped, V = {args.vocab:,} (Zipf counts), d = "
        f"{args.dim}, {args.negative} negatives, device {device}; step time = median over rounds of 8 steps "
        f"({args.seconds} s per configuration, 4 batches in rotation). Pipeline: one chunk of "
        f"{args.chunk_tokens:,} tokens (subsampling 1e-3, dynamic window {args.window}) to shuffled pairs and "
        f"their negatives, median of 5. Predicted words/s = chunk tokens / (pipeline + steps x step time). "
        f"'triton BxW': the Triton step with B examples and W warps per program. 'NAME-window': the step by "
        f"windows (kernel='shared'); its batch counts windows, its pipeline builds windows, and its ns / pair and "
        f"M pairs/s count the step's pairs. "
        f"'vs torch step': largest difference from the torch step's update on a fresh batch, relative to it."
    )
    if args.record:
        append_results(f"word2vec step and pipeline ({device.type})", body)
    else:
        print(body)


if __name__ == "__main__":
    main()
