"""The shallow net's sample complexity on the RHM, trained to fit: P* against P_max (arXiv 2307.02129).

The theory: a one-hidden-layer network does not use the grammar's hierarchy, so it needs a number of
sentences that grows like P_max, the number of distinct sentences. ``rhm_learning --full`` measured
its shallow net with 3,000 steps at lr 1e-3 whatever P, which left it under-trained from P ~ 27k;
here every size trains for ``max(steps, epochs P / batch)`` steps
(:func:`cooc.experiments.rhm_complexity.shallow_steps`), sizes are fractions of P_max, and P* is
where the seed-averaged test error falls below 10 % of chance, as in the study.

Usage::

    python benchmarks/rhm_shallow.py --record                          # three grammars a CPU reaches
    python benchmarks/rhm_shallow.py --grammar rhm:v=16,n_c=16,m=8,s=2,L=3 --max-P 2000000 --device cuda

Each ensemble is recorded in ``--ledger`` (default ``.bench/rhm_shallow/runs.jsonl``): a run
stopped part-way resumes without training again what it finished.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository, where cooc is not installed
from _common import append_results, markdown_table  # noqa: E402

GRAMMARS = ["rhm:v=16,n_c=16,m=4,s=2,L=3", "rhm:v=32,n_c=32,m=4,s=2,L=3", "rhm:v=16,n_c=16,m=6,s=2,L=3"]
FRACTIONS = (0.005, 0.01, 0.02, 0.04, 0.08)


def summary_row(spec: str, P_max: int, curve: dict) -> list[object]:
    """A grammar's row of the summary table: "not reached" where its curve never fell below P*'s threshold."""
    p_star = curve["P_star"]
    if not math.isfinite(p_star):
        return [spec, P_max, "not reached", "-", str(curve["underfit_P"])]
    return [spec, P_max, round(p_star), p_star / P_max, str(curve["underfit_P"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grammar", action="append", help="RHM spec (repeatable); default: three grammars")
    parser.add_argument("--fractions", default=",".join(map(str, FRACTIONS)), help="sizes as fractions of P_max")
    parser.add_argument("--max-P", type=int, default=200_000, help="leave out sizes above this")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n-test", type=int, default=4096)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=1000, help="the fewest steps a size trains for")
    parser.add_argument("--epochs", type=float, default=30)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads on the CPU")
    parser.add_argument(
        "--ledger", default=str(Path(__file__).resolve().parent.parent / ".bench/rhm_shallow/runs.jsonl")
    )
    parser.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()

    import numpy as np
    import torch

    from cooc._core.ledger import RunLedger
    from cooc.experiments.rhm_complexity import _curve, _fit, shallow_steps
    from cooc.train._torch import task_seed, torch_device
    from cooc.train.grammar.data import grammar_from_spec
    from cooc.train.grammar.ensemble import Pools, ensemble_curve

    if args.threads:
        torch.set_num_threads(args.threads)
    specs = args.grammar or GRAMMARS
    fractions = [float(f) for f in args.fractions.split(",")]
    shallow = {"steps": args.steps, "epochs": args.epochs, "batch_size": args.batch_size}
    Path(args.ledger).parent.mkdir(parents=True, exist_ok=True)
    ledger = RunLedger(Path(args.ledger))
    dev = torch_device(args.device)
    start = time.perf_counter()
    curves, rows = [], []
    for spec in specs:
        g = grammar_from_spec(spec)
        cap = min(g.P_max - args.n_test, args.max_P or g.P_max)
        sizes = sorted({int(round(f * g.P_max)) for f in fractions if 1 <= round(f * g.P_max) <= cap})
        if not sizes:
            raise SystemExit(f"{spec}: no size fits below {cap}")
        arrays, labels = [], []
        for seed in range(args.seeds):
            # seeded by the data seed and the grammar's rule seed only, not its place in the list: a grammar's
            # ensembles are found in the ledger whichever grammars run beside it
            sample = g.sample(args.n_test + sizes[-1], seed=task_seed(seed, g.rule_seed, 0, 29), distinct=True)
            arrays.append(sample.one_hot())
            labels.append(sample.labels)
        pools = Pools.from_arrays(arrays, labels, args.n_test, [g.n_c] * args.seeds, device=dev)
        del arrays
        budgets: dict[int, list[int]] = {}
        for P in sizes:
            budgets.setdefault(shallow_steps(shallow, P), []).append(P)
        trained = []
        for steps, Ps in sorted(budgets.items()):
            run = ensemble_curve(
                pools, "fc", Ps, depth=1, width=args.width, steps=steps, batch_size=args.batch_size, lr=args.lr,
                init_seed=1, ledger=ledger, keep_net=False, progress=True,
            )  # fmt: skip
            for r in run.rows:
                r["budget"] = steps
            trained += run.rows
        curve = _curve(trained, 0.1, f"{spec}, shallow net")
        curves.append(curve)
        for s in curve["summary"]:
            budget = next(r["budget"] for r in trained if r["P"] == s["P"])
            rows.append([spec, g.P_max, s["P"], budget, s["train_error"], s["test_error"], s["chance_error"]])
        reached = (
            f"P* = {curve['P_star']:,.0f} ({curve['P_star'] / g.P_max:.3f} P_max)"
            if math.isfinite(curve["P_star"])
            else "P* not reached"
        )
        print(f"{spec}: P_max {g.P_max:,}, {reached}, "
              f"per seed {np.round(curve['P_star_per_seed']).tolist()}, not fitted at {curve['underfit_P']}", flush=True)  # fmt: skip
    fit = _fit([grammar_from_spec(s).P_max for s in specs], curves, args.seeds)
    seconds = time.perf_counter() - start
    body = markdown_table(["grammar", "P_max", "P", "steps", "train error", "test error", "chance"], rows)
    summary = [summary_row(s, grammar_from_spec(s).P_max, c) for s, c in zip(specs, curves)]
    body += "\n\n" + markdown_table(["grammar", "P_max", "P*", "P* / P_max", "sizes not fitted"], summary)
    body += (
        f"\n\nShallow net (one hidden layer of {args.width}), Adam lr {args.lr:g}, batch {args.batch_size}, "
        f"max({args.steps}, {args.epochs:g} P / batch) steps a size; {args.seeds} seeds, {args.n_test} held-out "
        f"sentences; P* where the seed-averaged test error falls below 10 % of chance; device {dev}; "
        f"{seconds:.0f} s. "
        + (
            f"P* ~ P_max^{fit['exponent']:.2f} ± {fit['error']:.2f} (theory 1)."
            if fit is not None
            else "Fewer than 3 grammars reached P*: no fit."
        )
    )
    if args.record:
        append_results("RHM: the shallow net trained to fit, P* against P_max", body)
    else:
        print(body)


if __name__ == "__main__":
    main()
