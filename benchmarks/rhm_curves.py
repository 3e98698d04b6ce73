"""Sample complexity of the deep CNN on the Random Hierarchy Model, for several (v, m, L).

For each grammar (n_c = v, s = 2) the CNN (depth L + 1, filter = stride = 2) is trained
on P = (1/2 .. 8) x n_c m^L samples with several seeds; P* is where the seed-averaged test
error falls below 10% of chance. The theory (arXiv 2307.02129) predicts P* ~ n_c m^L, so
``P*/(n_c m^L)`` should be about the same for every grammar and the curves against
P / (n_c m^L) should collapse.

Usage::

    python benchmarks/rhm_curves.py --device cuda --out DIR      # the full check (GPU, a few minutes)
    python benchmarks/rhm_curves.py --quick --out DIR            # a small CPU version

Writes ``curves.csv``, ``summary.json``, ``curves.png``, ``collapse.png``, ``p_star.png``
into ``--out`` and, with ``--record``, the P* table to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository, where cooc is not installed
from _common import append_results, markdown_table  # noqa: E402

FULL = ["rhm:v=8,n_c=8,m=4,s=2,L=3", "rhm:v=16,n_c=16,m=4,s=2,L=3", "rhm:v=8,n_c=8,m=2,s=2,L=4"]
QUICK = ["rhm:v=8,n_c=8,m=4,s=2,L=2", "rhm:v=8,n_c=8,m=2,s=2,L=3"]
FACTORS_FULL = (0.5, 1, 2, 4, 8)
FACTORS_QUICK = (1, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / ".bench" / "rhm_curves"))
    parser.add_argument("--quick", action="store_true", help="two tiny grammars, CPU-sized")
    parser.add_argument("--grammar", action="append", help="grammar spec (repeatable); default: three (v, m, L)")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from cooc.experiments.grammar import grammar_study
    from cooc.train.grammar.data import grammar_from_spec, grammar_scale

    specs = args.grammar or (QUICK if args.quick else FULL)
    factors = FACTORS_QUICK if args.quick else FACTORS_FULL
    seeds = args.seeds or (1 if args.quick else 3)
    steps = args.steps or (600 if args.quick else 3000)
    batch = args.batch_size or (32 if args.quick else 256)
    width = args.width or (64 if args.quick else 256)
    n_test = 128 if args.quick else 2000
    start = time.perf_counter()
    tables = []
    for spec in specs:  # each grammar on its own grid of P / (n_c m^L)
        scale = grammar_scale(grammar_from_spec(spec))
        samples = sorted({max(1, int(round(f * scale))) for f in factors})
        result = grammar_study(
            [spec],
            Path(args.out) / spec.replace(":", "_").replace(",", "_"),
            model="cnn",
            samples=samples,
            seeds=seeds,
            n_test=n_test,
            steps=steps,
            batch_size=batch,
            lr=3e-3,
            device=args.device,
            model_kwargs={"width": width},
            figures=False,
        )
        tables += result["tables"]
        print(result["tables"][0], flush=True)
    _combined(specs, Path(args.out))
    seconds = time.perf_counter() - start
    rows = [[t["spec"], int(t["scale"]), round(t["P_star"]), t["P_star_sd"], t["P_star_over_scale"]] for t in tables]
    body = markdown_table(["grammar", "n_c m^L", "P* (mean curve)", "sd over seeds", "P* / (n_c m^L)"], rows)
    body += (
        f"\n\nDeep CNN (width {width}, Adam lr 3e-3, batch {batch}, at most {steps} steps, stops at train "
        f"loss < 1e-3), {seeds} seeds, {n_test} test sentences, P = {factors} x n_c m^L; device {args.device}; "
        f"{seconds:.0f} s in all."
    )
    (Path(args.out) / "p_star.md").write_text(body + "\n")
    if args.record:
        append_results("RHM sample complexity of the deep CNN", body)
    else:
        print(body)


def _combined(specs: list[str], out: Path) -> None:
    """One collapse figure and one P* figure over all grammars (from each study's summary.json)."""
    import json

    summaries = {
        s: json.loads((out / s.replace(":", "_").replace(",", "_") / "summary.json").read_text()) for s in specs
    }
    curves = {s: v["curves"][s] for s, v in summaries.items()}
    tables = [v["tables"][0] for v in summaries.values()]
    scales = {t["spec"]: t["scale"] for t in tables}
    (out / "p_star.json").write_text(json.dumps(tables, indent=1))
    try:
        from cooc.plots.training import learning_curves, sample_complexity
    except ImportError as exc:  # matplotlib missing on a bare GPU machine: the tables are written already
        print(f"figures skipped ({exc})")
        return
    learning_curves(curves, path=out / "curves.png")
    learning_curves(curves, scales=scales, path=out / "collapse.png")
    learning_curves(curves, scales=scales, metric="test_loss", path=out / "collapse_loss.png")
    sample_complexity(tables, path=out / "p_star.png")


if __name__ == "__main__":
    main()
