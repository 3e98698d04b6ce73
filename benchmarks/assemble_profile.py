"""Profile the assembly of a counted result: the previous host path against cooc.count.assemble, stage by stage.

    PYTHONPATH=. python benchmarks/assemble_profile.py --device cpu --vocab 16000
    PYTHONPATH=. python benchmarks/assemble_profile.py --device cuda --vocab 50000    # on a GPU

A synthetic forward matrix stands in for the counts: cell (a, b) holds a Poisson draw of
mean ``pairs / (H^2 (a + 1)(b + 1))`` (a Zipf(1) stream over ``--types`` types, ``H`` its
harmonic number) times an odd integer weight, so the density per row falls as in a real
corpus. Window 10, harmonic weights (scale 2520), symmetric. Two cases:

* **full head** (every V x V cell dense on the device). Before: ``M + M^T`` in place,
  then per row block ``flatnonzero``, ``bincount`` and three copies to pageable host
  memory, host concatenations and casts, scipy's CSR constructor, ``weigh_planes`` and
  the Cooccurrence's canonical-format check. After: :func:`cooc.count.assemble.dense_planes`
  with the weights applied on the device.
* **partial head** (``--head-share`` of the cells in the hyperbolic head, the rest in
  ``--runs`` sorted host runs that share keys). Before: ``head_run``, the RunStore merge
  and ``ranges_to_csr``, the host's ``M + M^T`` (both :mod:`cooc.count.host_csr`, compiled;
  scipy's ``M + M^T`` until 2026-12-03), ``weigh_planes``, the canonical check. After: :func:`cooc.count.assemble_merged.merged_to_csr`.

Both results are checked equal bit for bit. Seconds are wall time of each stage (the
device synchronised at its end); the machine may be shared, so CPU seconds are printed too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cooc._core.device import get_xp, to_numpy  # noqa: E402
from cooc.cooccurrence.matrix import _csr  # noqa: E402
from cooc.count import assemble, assemble_merged  # noqa: E402
from cooc.count.accumulate import HeadLayout, RunStore, head_run  # noqa: E402
from cooc.count.local import _assemble
from cooc.count.result import plus_transpose, weigh_planes  # noqa: E402

SCALE, WEIGHTING, WEIGHT = 2520, "harmonic", 997


def previous_dense_to_csr(xp, m, rows_per_block=1024):
    """The full-head extraction this work replaced (kept here as the baseline)."""
    V = m.shape[0]
    index_dtype = np.int32 if V * V < 2**31 - 1 else np.int64
    data, indices, counts = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)], []
    for r in range(0, V, rows_per_block):
        sub = m[r : r + rows_per_block]
        nz = xp.flatnonzero(sub)
        if nz.shape[0] == 0:
            counts.append(np.zeros(sub.shape[0], dtype=np.int64))
            continue
        rows = nz // V
        counts.append(to_numpy(xp.bincount(rows, minlength=sub.shape[0])))
        indices.append(to_numpy((nz - rows * V).astype(np.int32)))
        data.append(to_numpy(sub.ravel()[nz]))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    if indptr[-1] >= 2**31 - 1:
        index_dtype = np.int64
    return np.concatenate(data), np.concatenate(indices).astype(index_dtype, copy=False), indptr.astype(index_dtype)


class Clock:
    """Stage wall and CPU seconds, the device synchronised at each stage's end."""

    def __init__(self, xp):
        self.xp, self.rows = xp, []

    def __call__(self, name, fn, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(*args)
        if self.xp is not np:
            self.xp.cuda.get_current_stream().synchronize()
        self.rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return out


def forward_rows(xp, V, r0, r1, pairs, types):
    """Rows r0..r1-1 of the synthetic forward matrix (int64, on xp; seed ``xp.random`` first)."""
    h = np.log(types) + 0.5772
    a = xp.arange(r0 + 1, r1 + 1, dtype=np.float64)[:, None]
    b = xp.arange(1, V + 1, dtype=np.float64)[None, :]
    return xp.random.poisson(pairs / (h * h) / (a * b)).astype(np.int64) * WEIGHT


def dense_forward(xp, V, pairs, types, seed):
    xp.random.seed(seed)
    m = xp.empty((V, V), dtype=np.int64)
    step = max(1, (1 << 24) // V)
    for r in range(0, V, step):
        m[r : r + step] = forward_rows(xp, V, r, min(r + step, V), pairs, types)
    return m


def weigh(m: sp.csr_matrix) -> sp.csr_matrix:
    return weigh_planes([m], np.ones(1, np.int64), SCALE, WEIGHTING, False, True)[0]


def same_bits(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (
        a.shape == b.shape
        and a.data.dtype == b.data.dtype
        and a.indices.dtype == b.indices.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data.view(np.int64), b.data.view(np.int64))
    )


def full_head(xp, args):
    V = args.vocab
    forward = dense_forward(xp, V, args.pairs, args.types, args.seed)
    old, new = Clock(xp), Clock(xp)
    m = forward.copy()
    old("symmetrise (device)", assemble.symmetrize_dense, xp, m)
    parts = old("extract: flatnonzero, bincount, copies, concatenate", previous_dense_to_csr, xp, m)
    del m
    csr = old("scipy CSR constructor", sp.csr_matrix, parts, (V, V))
    del parts
    csr = old("weigh_planes (host)", weigh, csr)
    ref = old("Cooccurrence canonical check", _csr, csr)
    del csr
    stages = assemble.Stages(xp)
    got = new("dense_planes (total)", assemble.dense_planes, xp, forward, V, 1, True, (WEIGHTING, SCALE), stages)
    got = new("Cooccurrence canonical check", _csr, got[0])
    return old, new, stages, ref, got


def partial_head(xp, args):
    V = args.vocab
    layout = HeadLayout.fit(V, int(args.head_share * V * V))
    rng = np.random.default_rng(args.seed)
    head = xp.empty(layout.cells, dtype=np.int64)
    runs = [([], []) for _ in range(args.runs)]
    step = max(1, (1 << 24) // V)
    xp.random.seed(args.seed)
    for r in range(0, V, step):
        r1 = min(r + step, V)
        rows = forward_rows(xp, V, r, r1, args.pairs, args.types)
        for a in range(r, r1):  # head cells of these rows
            head[layout.row_start[a] : layout.row_start[a] + layout.row_len[a]] = rows[a - r, : layout.row_len[a]]
        rows = to_numpy(rows)
        a, b = np.nonzero(rows)
        a = a + r
        tail = b >= layout.row_len[a]
        keys = a[tail].astype(np.int64) * V + b[tail]
        values = rows[a[tail] - r, b[tail]] // WEIGHT
        owner = rng.integers(0, args.runs, keys.shape[0])  # each draw split over two runs
        share = rng.binomial(values, 0.5)
        for k in range(args.runs):
            for part, vals in ((owner == k, values - share), ((owner + 1) % args.runs == k, share)):
                keep = part & (vals > 0)
                runs[k][0].append(keys[keep])
                runs[k][1].append(vals[keep] * WEIGHT)
    runs = [(np.concatenate(k), np.concatenate(v)) for k, v in runs]
    orders = [np.argsort(k, kind="stable") for k, _ in runs]
    runs = [(k[o], v[o]) for (k, v), o in zip(runs, orders)]
    print(
        f"partial head: {layout.cells:,} head cells ({layout.cells / V / V:.0%}), "
        f"{sum(k.shape[0] for k, _ in runs):,} run entries in {args.runs} runs",
        flush=True,
    )
    old, new = Clock(xp), Clock(xp)
    store = RunStore(1 << 40)
    store.runs = list(runs)
    eng = SimpleNamespace(head_run=lambda: head_run(xp, head, layout, V, 1), release=lambda: None)
    plan = SimpleNamespace(vocab_size=V, planes=1)
    csr = old("head run + merge runs + ranges_to_csr (host, numba)", _assemble, eng, store, plan)[0]
    csr = old("host M + M^T (compiled, parallel)", plus_transpose, csr)
    csr = old("weigh_planes (host)", weigh, csr)
    ref = old("Cooccurrence canonical check", _csr, csr)
    del csr
    stages = assemble.Stages(xp)
    budget = int(args.budget * 1e9)
    steps = assemble_merged.merge_steps(
        layout.cells, int(xp.count_nonzero(head)), sum(k.shape[0] for k, _ in runs), V, budget
    )
    if steps is None:
        raise SystemExit(f"merged_to_csr does not fit a {args.budget} GB budget")
    got = new(
        "merged_to_csr (total)",
        lambda: assemble_merged.merged_to_csr(
            xp,
            head,
            layout,
            runs,
            V,
            symmetric=True,
            weighting=WEIGHTING,
            scale=SCALE,
            stages=stages,
            block_cells=steps[0],
            block_entries=steps[1],
        ),
    )
    got = new("Cooccurrence canonical check", _csr, got)
    return old, new, stages, ref, got


def report(name, old, new, stages, ref, got):
    print(f"\n### {name}: nnz {ref.nnz:,}, equal bit for bit: {same_bits(ref, got)}")
    print("| path | stage | wall s | CPU s |\n|---|---|---|---|")
    for label, clock in (("before", old), ("after", new)):
        for stage, wall, cpu in clock.rows:
            print(f"| {label} | {stage} | {wall:.2f} | {cpu:.2f} |")
        print(
            f"| {label} | **total** | **{sum(w for _, w, _ in clock.rows):.2f}** | "
            f"{sum(c for _, _, c in clock.rows):.2f} |"
        )
    for stage, seconds in stages.seconds.items():
        print(f"| after, inside | {stage} | {seconds:.2f} | |")
    if not same_bits(ref, got):
        raise SystemExit("results differ")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--vocab", type=int, default=16000)
    parser.add_argument("--types", type=int, default=100_000)
    parser.add_argument("--pairs", type=float, default=2e9, help="forward pairs of the stream (tokens x window)")
    parser.add_argument("--head-share", type=float, default=0.25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=16.0, help="device GB for merged_to_csr")
    parser.add_argument("--cases", default="full,partial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    xp = get_xp(args.device)
    if args.vocab > 300:  # compile numba and warm CuPy's kernels outside the timings
        for case in (full_head, partial_head):
            case(xp, argparse.Namespace(**{**vars(args), "vocab": 300}))
    print(f"device {args.device}, V={args.vocab}, {args.pairs:.0e} pairs over {args.types} Zipf types", flush=True)
    if "full" in args.cases:
        report(f"full head, V={args.vocab}", *full_head(xp, args))
    if "partial" in args.cases:
        report(f"partial head, V={args.vocab}", *partial_head(xp, args))


if __name__ == "__main__":
    main()
