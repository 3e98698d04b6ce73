"""The first moment of varying-tree ambiguity against f and depth: where the mean number of trees explodes.

For each depth L and each f, :func:`cooc.experiments.varying_tree.first_moment_curves` samples
sentence shapes and computes, exactly in the limit of many symbols, the expected number of
derivation trees other than the sentence's own, over random grammars (the first moment;
docs/science.md, section 6). Where it settles as L grows, the fraction of ambiguous sentences
stays below it at every depth; where it explodes (faster than exponentially in L: a number of
trees exponential in the sentence's length), ambiguity may take over. The paper puts the
global-ambiguity transition at f_c = 3/8.

With ``--growth L`` it measures instead where the first moment stops converging:
:func:`cooc.experiments.varying_tree.first_moment_growth` splits it, on ``--shapes`` depth-L
shapes, into the contributions ``C(d)`` of trees whose new nodes reach depth ``d``, gives their
growth ``lambda(d) = E C(d) / E C(d - 1)`` per f and the f where it crosses 1, ``f*(d)``.

Usage::

    python benchmarks/ambiguity_moment.py                       # L = 3-8, eight f, minutes on one core
    python benchmarks/ambiguity_moment.py --depths 3,4,5 --shapes 50 --record
    python benchmarks/ambiguity_moment.py --growth 8 --shapes 100 --f 0.2,0.225,0.25,0.275 --record

Writes ``moment.json`` (or ``growth-L{L}-p2{p2}-seed{seed}.json``) into ``--out`` and prints (with
``--record``, appends to benchmarks/RESULTS.md) a table: of the mean, its standard error, the
median and the share of shapes above one expected extra tree; or of lambda(d) and f*(d).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository, where cooc is not installed
from _common import append_results, markdown_table  # noqa: E402


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--f", type=_floats, default=_floats("0.2,0.225,0.25,0.275,0.3,0.325,0.35,0.375"))
    parser.add_argument("--depths", type=_ints, default=_ints("3,4,5,6,7,8"))
    parser.add_argument("--shapes", type=int, default=200, help="sentence shapes per depth (L <= 6)")
    parser.add_argument(
        "--deep-shapes", type=int, default=50, help="shapes per depth for L >= 7 (about 1 s each at L = 8)"
    )
    parser.add_argument("--growth", type=int, default=0, help="depth L of the growth measurement (0: the moment)")
    parser.add_argument("--p2", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / ".bench" / "ambiguity_moment"))
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from cooc.experiments.varying_tree import first_moment_curves

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.growth:
        _growth(args, out)
        return
    shapes = {L: args.shapes if L <= 6 else args.deep_shapes for L in args.depths}
    rows, seconds = [], {}
    result = {"f": args.f, "p2": args.p2, "depths": {}}
    for L in args.depths:
        start = time.perf_counter()
        one = first_moment_curves(args.f, [L], n_shapes=shapes, p2=args.p2, seed=args.seed)
        seconds[L] = time.perf_counter() - start
        entry = result["depths"][str(L)] = one["depths"][str(L)]
        (out / "moment.json").write_text(json.dumps(result, indent=1))
        for k, f in enumerate(args.f):
            rows.append(
                [
                    L,
                    f"{f:g}",
                    entry["n"],
                    f"{entry['mean'][k]:.4g}",
                    f"{entry['mean_se'][k]:.2g}",
                    f"{entry['median'][k]:.4g}",
                    f"{entry['above_one'][k]:.2f}",
                ]
            )
        print(f"L = {L}: {seconds[L]:.1f} s; mean {[round(x, 4) for x in entry['mean']]}", flush=True)
    table = markdown_table(["L", "f", "shapes", "mean extra trees", "se", "median", "share > 1"], rows)
    ratios = []
    for k, f in enumerate(args.f):
        means = [result["depths"][str(L)]["mean"][k] for L in args.depths]
        ratios.append([f"{f:g}"] + [f"{b / a:.3g}" if a > 0 else "nan" for a, b in zip(means, means[1:])])
    body = (
        f"First moment of ambiguity (v large), p2 = {args.p2}: mean over sampled sentence shapes of the "
        f"expected number of extra derivation trees; seconds per depth: "
        + ", ".join(f"L {L}: {s:.0f}" for L, s in seconds.items())
        + f"\n\n{table}"
    )
    if len(args.depths) > 1:
        growth = markdown_table(["f"] + [f"L {a}->{b}" for a, b in zip(args.depths, args.depths[1:])], ratios)
        body += f"\n\nGrowth of the mean from one depth to the next:\n\n{growth}"
    if args.record:
        append_results("Varying-tree ambiguity: the first moment against f and depth", body)
    else:
        print(body)


def _growth(args: argparse.Namespace, out: Path) -> None:
    """lambda(d) and f*(d) at one depth, on one set of shapes."""
    from cooc.experiments.varying_tree import first_moment_growth

    start = time.perf_counter()
    g = first_moment_growth(args.f, args.growth, n_shapes=args.shapes, p2=args.p2, seed=args.seed)
    seconds = time.perf_counter() - start
    (out / f"growth-L{args.growth}-p2{args.p2:g}-seed{args.seed}.json").write_text(json.dumps(g, indent=1))
    depths = g["growth_depths"]
    rows = []
    for i, f in enumerate(g["f"]):
        cells = [f"{lam:.3f} +- {se:.3f}" for lam, se in zip(g["growth"][i], g["growth_se"][i])]
        rows.append([f"{f:g}", *cells, f"{g['contribution'][i][-1]:.3g}", f"{g['moment'][i][-1]:.3g}"])
    rows.append(["f*(d)", *(f"{s:.4f} +- {e:.4f}" for s, e in zip(g["f_star"], g["f_star_err"])), "", ""])
    table = markdown_table(["f", *(f"lambda({d})" for d in depths), f"C({args.growth})", "first moment"], rows)
    body = (
        f"Growth of the first moment per depth, p2 = {args.p2}, {args.shapes} shapes of depth {args.growth} "
        f"(every depth from their truncations), {seconds:.0f} s: lambda(d) = E C(d) / E C(d - 1), where C(d) is "
        f"the expected number of extra trees whose new nodes reach depth d; f*(d) is where lambda(d) crosses 1 "
        f"(log-linear between the grid values around it).\n\n{table}"
    )
    if args.record:
        append_results("Varying-tree ambiguity: the first moment's growth per depth", body)
    print(body)


if __name__ == "__main__":
    main()
