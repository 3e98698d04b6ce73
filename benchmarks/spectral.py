"""Spectral benchmark: top-K eigenpairs of a dense M* target, and protocol-B evaluation for every K.

The co-occurrence matrix is synthetic but realistic: Zipf unigrams, a low-rank latent
geometry with planted analogy offsets, Poisson counts (so rare pairs are zero and M*
takes its -2 background there). For each size V:K the script times the target build and
each eigensolver (checked: residuals relative to |lambda_1|, and eigenvalues against the
first exact solver), then times protocol-B accuracy against K (one decomposition, scores
accumulated as K grows) and checks a few K against a direct evaluation.

Examples::

    python benchmarks/spectral.py --sizes 2000:100,4000:150           # CPU, the anchors
    python benchmarks/spectral.py --device cuda --sizes 10000:200,25000:1000 --eval-ks all

With ``--real`` the matrices are real counts instead (window 10, harmonic weights, built once
and cached under .bench/spectral): the King James Bible (``bible``, V = 12,672, all words) and
gensim's Wikipedia sample (``wiki25k``, the 25,000 most frequent words). Each solver runs in a
fresh process, so that its peak resident memory can be read (``ru_maxrss`` of that process, and
its increase over the matrix already loaded); cooc's solvers (dense, lanczos = scipy's ``eigsh``
with tol 0, randomized) and scikit-learn's ``randomized_svd`` (its defaults, and with cooc's
oversampling and a given number of power iterations) are compared on wall seconds, CPU seconds,
peak memory and the largest relative error of the top-K |eigenvalues| against ``eigsh``'s::

    python benchmarks/spectral.py --real bible:mstar:200,bible:ppmi:200,wiki25k:mstar:100

Needs numpy, scipy (and torch / cupy for the GPU solvers); not gensim or typer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import append_results, markdown_table, timeit  # noqa: E402

from cooc._core.device import get_xp, to_numpy  # noqa: E402
from cooc.cooccurrence.matrix import Cooccurrence  # noqa: E402
from cooc.corpus.vocab import Vocabulary  # noqa: E402
from cooc.embedding import Embedding  # noqa: E402
from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies  # noqa: E402
from cooc.spectral.eigen import top_eigenpairs  # noqa: E402
from cooc.spectral.targets import target_matrix  # noqa: E402

EXACT = ("torch", "dense", "lanczos")


def synthetic_cooccurrence(
    V: int,
    rank: int = 64,
    families: int = 14,
    pairs: int = 40,
    pairs_total: float = 3e8,
    seed: int = 0,
    device: str = "cpu",
    block: int = 2048,
):
    """Zipf unigrams, latent vectors with planted family offsets, Poisson counts.

    Returns (Cooccurrence, families dict of (a, b) word pairs).
    """
    xp = get_xp(device)
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(V) + 10.0)
    p /= p.sum()
    x = rng.standard_normal((V, rank)) / np.sqrt(rank)
    words = [f"w{i}" for i in range(V)]
    fams = {}
    pairs = min(pairs, V // (2 * families))
    pool = rng.permutation(min(V, max(V // 4, 2 * families * pairs)))[: 2 * families * pairs].reshape(
        families, pairs, 2
    )
    for f in range(families):
        offset = rng.standard_normal(rank) * 0.8 / np.sqrt(rank)
        for a, b in pool[f]:
            x[b] = x[a] + offset + 0.2 * rng.standard_normal(rank) / np.sqrt(rank)
        fams[f"family{f}"] = [(words[a], words[b]) for a, b in pool[f]]
    xd, pd = xp.asarray(x), xp.asarray(p)
    gen = np.random.default_rng(seed) if xp is np else xp.random.RandomState(seed)
    rows = []
    for start in range(0, V, block):
        stop = min(start + block, V)
        lam = pairs_total * pd[start:stop, None] * pd[None, :] * xp.exp(2.0 * (xd[start:stop] @ xd.T))
        counts = gen.poisson(lam)
        counts = xp.triu(counts, start).astype(xp.float64)  # upper triangle of the whole matrix
        if xp is np:
            rows.append(sp.csr_matrix(counts))
        else:  # only the non-zeros travel to the host
            import cupyx.scipy.sparse as csp

            rows.append(csp.csr_matrix(counts).get())
    upper = sp.vstack(rows).tocsr()
    counts = (upper + sp.triu(upper, 1).T).tocsr()
    unigram = np.asarray(counts.sum(axis=1)).ravel() + 1
    return Cooccurrence(counts, Vocabulary(words, unigram.astype(np.int64)), unigram), fams


def relative_residual(A, pairs) -> float:
    xp = get_xp("cuda") if type(A).__module__.startswith("cupy") else np
    U = xp.asarray(pairs.vectors, dtype=A.dtype)
    lam = xp.asarray(pairs.values, dtype=A.dtype)
    res = xp.linalg.norm(A @ U - U * lam, axis=0)
    return float(to_numpy(res.max())) / abs(float(pairs.values[0]))


def solvers_for(V: int, K: int, device: str, requested: list[str] | None) -> list[str]:
    if requested:
        return requested
    out = ["torch", "dense"] if device == "cuda" else ["dense"]
    if K <= min(V // 10, 200):  # Lanczos with K ~ 1000 needs ncv ~ 2000 vectors: left out by default
        out.append("lanczos")
    return out + ["randomized"]


def bench_size(V: int, K: int, args) -> tuple[list[list], list[list]]:
    sync = _sync(args.device)
    t0 = time.perf_counter()
    cooc, fams = synthetic_cooccurrence(V, seed=args.seed, device=args.device)
    gen_s = time.perf_counter() - t0
    med, lo, hi, A = timeit(
        lambda: target_matrix(cooc, "mstar", device=args.device, dtype=args.dtype, max_dense=10**6),
        repeat=1,
        warmup=0,
        sync=sync,
    )
    print(
        f"V={V}: counts generated in {gen_s:.1f} s (nnz {cooc.nnz:,}, density {cooc.nnz / V / V:.3f}); "
        f"M* built in {med:.2f} s",
        flush=True,
    )
    rows = [[V, K, "target M*", args.device, args.dtype, med, "", ""]]
    reference, best = None, None
    warmup = 1 if V <= 5000 else 0  # first calls pay for imports and library set-up
    for solver in solvers_for(V, K, args.device, args.solvers):
        try:
            med, lo, hi, pairs = timeit(
                lambda: top_eigenpairs(A, K, solver=solver, device=args.device, n_iter=args.n_iter),
                repeat=args.repeat,
                warmup=warmup,
                sync=sync,
            )
        except Exception as exc:  # report and go on: one failing solver must not hide the others
            print(f"  {solver}: failed ({type(exc).__name__}: {exc})", flush=True)
            rows.append([V, K, solver, args.device, args.dtype, float("nan"), "failed", ""])
            continue
        res = relative_residual(A, pairs)
        agree = ""
        if reference is None and solver in EXACT:
            reference = pairs
        elif reference is not None:
            agree = f"{np.abs(pairs.values - reference.values).max() / abs(reference.values[0]):.1e}"
        if solver in EXACT and (best is None or med < best[0]):
            best = (med, pairs)
        print(
            f"  {solver}: {med:.2f} s (min {lo:.2f}, max {hi:.2f}); max residual/|l1| {res:.1e}; "
            f"eigenvalues vs reference {agree or '-'}",
            flush=True,
        )
        rows.append(
            [V, K, f"{solver} ({pairs.info.get('method', '')})", args.device, args.dtype, med, f"{res:.1e}", agree]
        )
    eval_rows = bench_eval(cooc, fams, best[1], K, args) if best is not None else []
    return rows, eval_rows


def bench_eval(cooc, fams, pairs, K: int, args) -> list[list]:
    emb = Embedding(pairs.weighted(0.5), cooc.vocab.words, {"target": "mstar"})
    ks = (
        list(range(1, K + 1))
        if args.eval_ks == "all"
        else sorted(set(np.unique(np.geomspace(1, K, int(args.eval_ks)).astype(int)).tolist()) | {K})
    )
    sync = _sync(args.device)
    med, lo, hi, curve = timeit(
        lambda: accuracy_vs_k(emb, ks, fams, protocol="pairs", device=args.device, dtype=args.dtype),
        repeat=1,
        warmup=0,
        sync=sync,
    )
    n_q = curve.results[0].total
    # K = 1 is left out of the check: one-dimensional unit vectors are +-1, so most scores tie and
    # the winner depends on summation order. In float32 the accumulated and direct scores may also
    # round differently near a tie: allow 0.1% of the questions to change there; float64 is exact.
    check = sorted({next((k for k in ks if k >= 4), ks[-1]), ks[len(ks) // 2], ks[-1]})
    slack = 0 if args.dtype == "float64" else max(1, n_q // 1000)
    for k in check:  # the accumulated curve equals direct evaluations of the truncated embedding
        direct = evaluate_analogies(
            Embedding(emb.vectors[:, :k], emb.index_to_key),
            fams,
            protocol="pairs",
            device="cpu" if args.check_on_cpu else args.device,
        )
        got = curve.results[ks.index(k)]
        diff = sum(abs(a.correct - b.correct) for a, b in zip(got.families, direct.families))
        assert diff <= slack, (k, diff, slack)
    k_best, acc_best = curve.best
    print(
        f"  protocol B: {n_q:,} questions x {len(ks)} values of K in {med:.2f} s "
        f"({1e3 * med / len(ks):.1f} ms per K); best {100 * acc_best:.1f}% at K={k_best}; "
        f"checked K={check} against direct evaluation",
        flush=True,
    )
    return [
        [
            cooc.shape[0],
            K,
            args.device,
            args.dtype,
            n_q,
            len(ks),
            med,
            1e3 * med / len(ks),
            f"{100 * acc_best:.1f}% at K={k_best}",
        ]
    ]


def _sync(device: str):
    if device != "cuda":
        return None
    import cupy

    def sync():
        cupy.cuda.Device().synchronize()
        try:
            import torch

            torch.cuda.synchronize()
        except Exception:
            pass

    return sync


# -- real counts (--real): every solver in its own process, peak memory read from /proc --------
BENCH = Path(__file__).resolve().parent.parent / ".bench" / "spectral"
REAL_VOCAB = {"bible": None, "wiki25k": 25_000}
REAL_SOLVERS = ("lanczos", "block", "randomized", "dense", "sklearn-default", "sklearn-matched")


def real_counts(name: str) -> Path:
    """Window-10 harmonic counts of a real corpus, built once and cached under .bench/spectral."""
    out = BENCH / f"{name}_w10"
    if not out.with_suffix(".npz").exists():
        from cooc.corpus.build import build_corpus
        from cooc.count.counter import count_cooccurrences
        from cooc.data import wiki_sample_path

        source = "bible:kjv" if name == "bible" else str(wiki_sample_path())
        corpus = build_corpus(source, BENCH / f"{name}_corpus", progress=False)
        counts = count_cooccurrences(corpus, window=10, vocab_size=REAL_VOCAB[name], progress=False)
        counts.save(out)
    return out


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def solve_worker(spec: dict) -> dict:
    """One solve in this (fresh) process: seconds, CPU seconds, memory, the top-K |eigenvalues|."""
    from cooc.cooccurrence.matrix import Cooccurrence

    A = target_matrix(Cooccurrence.load(spec["counts"]), spec["target"])
    if spec.get("dtype", "float64") != "float64":  # as `cooc embed` makes it (float32 by default)
        A = A.astype(spec["dtype"])
    k, solver = spec["k"], spec["solver"]
    rss_before = _status_kb("VmRSS")
    try:  # reset the high-water mark, so that VmHWM is the solve's own peak (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    wall, cpu = time.perf_counter(), time.process_time()
    info: dict = {}
    if solver.startswith("sklearn"):
        from sklearn.utils.extmath import randomized_svd

        options = spec.get("options", {})
        _, values, _ = randomized_svd(A, k, random_state=0, **options)
        info = {"method": "sklearn randomized_svd", **options}
    else:
        pairs = top_eigenpairs(A, k, solver=solver)
        values = np.abs(pairs.values)
        info = {key: v for key, v in pairs.info.items() if isinstance(v, (str, int, float, bool))}
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "matrix_mb": (A.nbytes if isinstance(A, np.ndarray) else A.data.nbytes + A.indices.nbytes) / 2**20,
        "rss_before_mb": rss_before / 1024,
        "peak_mb": _status_kb("VmHWM") / 1024,
        "values": np.sort(values)[::-1][:k].tolist(),
        "info": info,
    }


def _run_worker(spec: dict) -> dict:
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_real(cases: list[tuple[str, str, int]], solvers: list[str], dtype: str = "float64") -> list[list]:
    """Rows of the real-matrix table; eigsh's values are cached per case (they are the reference)."""
    import json

    rows = []
    for name, target, k in cases:
        counts = str(real_counts(name))
        ref_path = BENCH / f"eigsh_{name}_{target}_{k}.json"
        reference = json.loads(ref_path.read_text()) if ref_path.exists() else None
        order = [s for s in solvers if s == "lanczos"] + [s for s in solvers if s != "lanczos"]
        iterations = None
        for solver in order:
            spec = {"counts": counts, "target": target, "k": k, "solver": solver, "dtype": dtype}
            if solver == "sklearn-matched":  # cooc's width, and the power of A its randomized solver reached
                if iterations is None:
                    print(f"  {solver}: needs the randomized solver's iteration count; skipped", flush=True)
                    continue
                # sklearn multiplies by A and A^T in each power iteration: n_iter q spans A^(2q+1) Omega,
                # cooc's randomized solver after n iterations spans A^(n+1) Omega and uses one product more.
                spec["options"] = {"n_oversamples": k, "n_iter": max(1, -(-(iterations + 1) // 2))}
            elif solver == "sklearn-default":
                spec["options"] = {}
            load = os.getloadavg()[0]
            try:
                r = _run_worker(spec)
            except RuntimeError as exc:
                print(f"  {name} {target} K={k} {solver}: failed ({exc})", flush=True)
                rows.append([name, target, k, solver, "failed", "", "", "", "", f"{load:.1f}", str(exc)[:60]])
                continue
            values = np.array(r["values"])
            if solver == "lanczos" and reference is None:
                reference = r["values"]
                ref_path.write_text(json.dumps(reference))
            if solver == "randomized":
                iterations = int(r["info"].get("n_iter", 0))
            err = float(np.max(np.abs(values - reference) / np.abs(reference))) if reference is not None else None
            method = r["info"].get("method", "")
            detail = ", ".join(f"{key} {r['info'][key]}" for key in ("n_iter", "n_oversamples") if key in r["info"])
            print(
                f"  {name} {target} K={k} {solver}: {r['seconds']:.1f} s (CPU {r['cpu_seconds']:.1f} s), "
                f"peak {r['peak_mb']:.0f} MB (matrix {r['matrix_mb']:.0f} MB), rel. error {err if err is None else f'{err:.1e}'}, "
                f"{method} {detail}, load {load:.1f}",
                flush=True,
            )
            rows.append(
                [
                    name,
                    target,
                    k,
                    f"{solver} ({method}{', ' + detail if detail else ''})",
                    r["seconds"],
                    r["cpu_seconds"],
                    r["peak_mb"],
                    r["peak_mb"] - r["rss_before_mb"],
                    "-" if err is None else f"{err:.1e}",
                    f"{load:.1f}",
                    "meets 1e-3" if err is not None and err <= 1e-3 else "",
                ]
            )
    return rows


def parse_real(text: str) -> list[tuple[str, str, int]]:
    out = []
    for item in text.split(","):
        name, target, k = item.split(":")
        if name not in REAL_VOCAB:
            raise SystemExit(f"--real: unknown matrix {name!r} (bible or wiki25k)")
        out.append((name, target, int(k)))
    return out


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        v, k = item.split(":")
        out.append((int(v), int(k)))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000:100,4000:150", help="V:K pairs, comma-separated")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--solvers", default=None, help="comma-separated (default: by device and size)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--n-iter", type=int, default=None, help="randomized solver power iterations")
    ap.add_argument("--eval-ks", default="12", help="'all' (every K) or the number of log-spaced K values")
    ap.add_argument("--check-on-cpu", action="store_true", help="check the GPU curve against CPU evaluation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-results", action="store_true", help="do not append to benchmarks/RESULTS.md")
    ap.add_argument("--results", default=None, help="append to this file instead of benchmarks/RESULTS.md")
    ap.add_argument("--real", default=None, help="NAME:TARGET:K cases on real counts (bible, wiki25k), comma-separated")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        import json

        print(json.dumps(solve_worker(json.loads(args.worker))))
        return
    args.solvers = args.solvers.split(",") if args.solvers else None
    if args.real:
        main_real(args, argv)
        return
    eig_rows, eval_rows = [], []
    for V, K in parse_sizes(args.sizes):
        rows, ev = bench_size(V, K, args)
        eig_rows += rows
        eval_rows += ev
    body = (
        "Synthetic counts: Zipf unigrams (1/(i+10)), rank-64 latent geometry with 14 planted analogy families "
        "of 40 pairs, Poisson counts (3e8 pairs). Dense M* target. Times are medians of "
        f"{args.repeat} run(s); residual = max ||Au - lu|| / |l1|; 'vs ref' = max eigenvalue difference / |l1| "
        "against the first exact solver.\n\n"
        + markdown_table(["V", "K", "step / solver", "device", "dtype", "seconds", "residual", "vs ref"], eig_rows)
        + "\n\nProtocol-B accuracy against K (one decomposition, scores accumulated over K; checked against "
        "direct evaluation at three K):\n\n"
        + markdown_table(
            ["V", "K max", "device", "dtype", "questions", "K values", "seconds", "ms per K", "best"], eval_rows
        )
        + f"\n\nCommand: `python benchmarks/spectral.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
        + f" (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})"
    )
    if args.no_results:
        print(body)
    else:
        title = f"Spectral: eigenpairs of dense M* and protocol-B curves ({args.device})"
        if args.results:
            append_results(title, body, Path(args.results))
        else:
            append_results(title, body)


def main_real(args, argv) -> None:
    rows = bench_real(parse_real(args.real), args.solvers or list(REAL_SOLVERS), args.dtype)
    body = (
        "Real counts, window 10, harmonic weights: bible = King James Bible (V 12,672), wiki25k = gensim's "
        "Wikipedia sample, 25,000 most frequent words. M* is dense, PPMI sparse (CSR). Each solver runs once, in a "
        "fresh process; peak = the process's resident high-water mark during the solve (VmHWM, reset before it), "
        "increase = peak minus the resident memory before the solve (matrix loaded). Error = max over the top K "
        "of |(|l| - |l_eigsh|)| / |l_eigsh| (lanczos IS scipy's eigsh, tol 0: the reference). sklearn-matched: "
        "n_oversamples = K and the n_iter giving the power of A cooc's randomized solver reached. Load = 1-minute "
        f"load average when the solve started (2 cores, shared with other jobs). Matrices in {args.dtype}; the "
        "reference values are float64 eigsh's, cached under .bench/spectral by the first run.\n\n"
        + markdown_table(
            ["matrix", "target", "K", "solver", "wall s", "CPU s", "peak MB", "increase MB", "error", "load", ""],
            rows,
        )
        + f"\n\nCommand: `python benchmarks/spectral.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
    )
    if args.no_results:
        print(body)
    else:
        append_results("Spectral: cooc's solvers, eigsh and sklearn on real counts (cpu)", body)


if __name__ == "__main__":
    main()
