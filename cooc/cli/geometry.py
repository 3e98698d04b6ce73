"""`cooc geometry ...`: symmetry (months, years), places, and hypernymy tests of an embedding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._common import JSON, check_writable, cli_errors, console, kv_table, print_json, refuse_existing, refuse_given

geometry_app = typer.Typer(help="Geometry tests of an embedding: symmetry, places, hypernymy.", no_args_is_help=True)

EMB = typer.Argument(..., help="Embedding file (.npz + .json written by cooc).")
OUT = typer.Option(Path("geometry-out"), "--output", "-o", "--out", help="Directory for the PNG figures.")
COOC = typer.Option(
    None,
    "--cooc",
    help="Co-occurrence file: fit the kernel to its exact target block instead of the embedding's Gram matrix.",
)


OVERWRITE = typer.Option(False, "--overwrite", help="Replace figures already in --output.")
TARGET = typer.Option(
    None, help="Target kind of --cooc's block (p, m, logm, pmi, ppmi, sppmi or mstar; default mstar); only with --cooc."
)


def _target(target: str | None, cooc: Path | None) -> str:
    """--target, checked: a known kind, and given only with --cooc (without it the option has no effect)."""
    from .._core.errors import InvalidParameterError
    from .._core.params import OneOf, validate
    from ..spectral.kinds import KINDS

    if target is None:
        return "mstar"
    validate({"target": target}, {"target": OneOf(KINDS)}, "target")
    if cooc is None:
        raise InvalidParameterError(
            "--target chooses the target of --cooc's block; without --cooc the kernel is fitted to the embedding's "
            "Gram matrix, so pass --cooc FILE or leave --target out."
        )
    return target


def _load(emb: Path, cooc: Path | None):
    """The embedding and (optionally) the counts, checked to come from the same corpus."""
    from .._core.identity import check_same_corpus
    from ..cooccurrence.matrix import Cooccurrence
    from ..embedding import Embedding

    embedding = Embedding.load(emb)
    counts = Cooccurrence.load(cooc) if cooc is not None else None
    if counts is not None:
        check_same_corpus(embedding=embedding, counts=counts)
    return embedding, counts


def _prepare_out(out: Path, figures: list[Path], overwrite: bool) -> None:
    """Before any work: the figures may be replaced, and the folder can be written."""
    refuse_existing(figures, overwrite)
    check_writable(out, "output folder")


@geometry_app.command("symmetry")
@cli_errors
def symmetry(
    ctx: typer.Context,
    emb: Path = EMB,
    family: str = typer.Option(
        "months", "--family", help="months, weekdays, numbers, years, years:1900-2020, or a family file."
    ),
    cooc: Path | None = COOC,
    target: str | None = TARGET,
    probe: bool | None = typer.Option(
        None, "--probe/--no-probe", help="Run the year probe (default: on for the years family)."
    ),
    splits: int = typer.Option(100, min=1, help="Random splits of the year probe."),
    robust: bool = typer.Option(
        False,
        "--robustness",
        help="With --cooc: zero the family's block and re-embed, and re-factorise the family with H helper words.",
    ),
    extra: str | None = typer.Option(
        None,
        "--extra-words",
        help="With --robustness: also zero the family's pairs with this family's words (e.g. months-helpers).",
    ),
    dim: int = typer.Option(
        50,
        min=1,
        help="With --robustness: dimensions of the re-embedding after zeroing (the helper-word curves "
        "re-factorise blocks of the family and at most 50 helpers in 10).",
    ),
    out: Path = OUT,
    seed: int = typer.Option(0, min=0, help="Seed of the null draws and the probe splits."),
    as_json: bool = JSON,
    overwrite: bool = OVERWRITE,
) -> None:
    """Kernel fit, distance from circulant/Toeplitz, and the recovered order of a word family."""
    from .._core.errors import InvalidParameterError
    from ..experiments.symmetry import symmetry_report
    from ..geometry.symmetry import load_family, probe_embedding
    from ..plots import geometry as plots

    target = _target(target, cooc)
    if robust and cooc is None:
        raise InvalidParameterError("--robustness needs the counts: pass --cooc FILE.")
    fam = load_family(family)
    helpers = load_family(extra) if extra else None  # before any work: a bad name fails here
    stem = fam.name.replace(":", "-")
    with_probe = bool(probe or (probe is None and fam.name.startswith("years")))
    if not robust:
        refuse_given(
            ctx,
            ["dim", "extra"],
            "a run without --robustness",
            "they set the re-embedding after the family's block is zeroed (--robustness, with --cooc).",
        )
    if not with_probe:
        refuse_given(
            ctx,
            ["splits"],
            "--no-probe" if probe is False else f"the {fam.name} family without --probe",
            "it counts the random splits of the year probe, which runs with --probe (by default for years only).",
        )
    figures = [out / f"symmetry-{stem}-circle.png"]
    figures += [out / f"symmetry-{stem}-probe.png"] if with_probe else []
    figures += [out / f"symmetry-{stem}-helpers.png"] if robust else []
    _prepare_out(out, figures, overwrite)
    embedding, counts = _load(emb, cooc)
    report = symmetry_report(embedding, fam, counts, target=target, seed=seed)
    data: dict = {"symmetry": report.as_dict()}
    show = console.print if not as_json else (lambda *a, **k: None)
    show(kv_table(f"symmetry of {fam.name} in {emb.name}", report.rows()))
    plots.family_circle(report.order, report.family.words, out / f"symmetry-{stem}-circle.png")
    written = [out / f"symmetry-{stem}-circle.png"]
    if with_probe:
        spec = "years:1900-2020" if fam.name == "years:1700-2021" else fam
        probed, curve = probe_embedding(embedding, spec, n_splits=splits, seed=seed)
        rows = [
            (f"r = {r}", f"{e:.4f} +- {s:.4f}")
            for r, e, s in zip(curve.ranks, curve.error, curve.error_std)
            if r in (1, 2, 3, 5, 10, 20, 30) or r == curve.ranks[-1]
        ]
        rows.append(("log-log slope (r >= 2)", f"{curve.slope(2):.3f}  (1D theory -1, 2D -1/2)"))
        show(kv_table(f"year probe on {probed.name} ({len(probed)} words)", rows))
        data["probe"] = {
            "family": probed.name,
            "ranks": curve.ranks,
            "error": curve.error,
            "error_std": curve.error_std,
            "slope": curve.slope(2),
        }
        plots.year_probe(curve, out / f"symmetry-{stem}-probe.png")
        written.append(out / f"symmetry-{stem}-probe.png")
    if robust:
        path = out / f"symmetry-{stem}-helpers.png"
        data["robustness"] = _robustness(embedding, counts, report.family, helpers, dim, target, seed, path, show)
        written.append(path)
    show("figures: " + ", ".join(str(p) for p in written))
    if as_json:
        print_json({**data, "figures": written})


def _robustness(embedding, counts, family, extra, dim, target, seed, path, show) -> dict:
    from ..experiments.symmetry import helper_experiment, robustness
    from ..plots import geometry as plots

    extra_words = extra.words if extra is not None else ()
    result = robustness(counts, family, extra_words, dim=dim, target=target, seed=seed)
    rows: list[tuple[str, Any]] = [
        (
            f"{k}: before / after",
            f"{result.before.scores[k]:.4f} / {result.after.scores[k]:.4f} (null {result.after.null[k]:.3f})",
        )
        for k in result.before.scores
    ]
    rows.insert(0, ("entries set to independence", result.zeroed_pairs))
    strong, random = helper_experiment(counts, family, reference=embedding, target=target, seed=seed)
    rows += [
        (f"Procrustes, H = {h}", f"strongest {a:.4f}, random {b:.4f}")
        for h, a, b in zip(strong.n_helpers, strong.error, random.error)
    ]
    rows.append(("strongest helpers", ", ".join(strong.helpers[:10])))
    show(kv_table(f"robustness of {family.name}", rows))
    plots.helper_curves({"strongest": strong, "random": random}, path)
    return {
        "zeroed_pairs": result.zeroed_pairs,
        "before": result.before.as_dict(),
        "after": result.after.as_dict(),
        "helpers": {"n": strong.n_helpers, "strongest": strong.error, "random": random.error, "words": strong.helpers},
    }


@geometry_app.command("places")
@cli_errors
def places(
    ctx: typer.Context,
    emb: Path = EMB,
    kind: str = typer.Option("us_states", "--set", help="us_states or world_cities."),
    n: int | None = typer.Option(None, "--n", help="World cities: the n most populous (default 200)."),
    cooc: Path | None = COOC,
    target: str | None = TARGET,
    out: Path = OUT,
    seed: int = typer.Option(0, min=0, help="Seed of the cross-validation folds."),
    as_json: bool = JSON,
    overwrite: bool = OVERWRITE,
) -> None:
    """Cross-validated linear probe to latitude/longitude and the exponential kernel against distance."""
    from ..experiments.places import places_report
    from ..plots import geometry as plots

    target = _target(target, cooc)
    if kind == "us_states":
        refuse_given(
            ctx, ["n"], "--set us_states", "every state (with DC) is used; --n picks the most populous world_cities."
        )
    _prepare_out(out, [out / f"places-{kind}-map.png"], overwrite)
    embedding, counts = _load(emb, cooc)
    report = places_report(embedding, kind, n, counts, target=target, seed=seed)
    path = out / f"places-{kind}-map.png"
    probe = report.probe
    title = (
        f"{kind} in {emb.name}: held-out linear probe (R^2 latitude {probe.r2_lat:.2f}, longitude "
        f"{probe.r2_lon:.2f}; median error {probe.median_km:.0f} km)"
    )
    plots.places_map(report.places.lat, report.places.lon, probe.predicted, report.places.words, path, title=title)
    if as_json:
        print_json({**report.as_dict(), "figures": [path]})
        return
    console.print(kv_table(f"{kind} in {emb.name}", report.rows()))
    console.print(f"figure: {path}")


@geometry_app.command("hypernymy")
@cli_errors
def hypernymy(
    ctx: typer.Context,
    emb: Path = EMB,
    wordnet_dir: Path | None = typer.Option(
        None,
        "--wordnet-dir",
        help="WordNet 3.0 dict directory (default /usr/share/wordnet from 'apt-get install wordnet-base').",
    ),
    edges: Path | None = typer.Option(
        None, "--edges", help="Hypernym edge list (child<TAB>parent) of any taxonomy, instead of WordNet."
    ),
    samples: int = typer.Option(1000, help="Perfect binary subtrees to sample."),
    depth: int = typer.Option(3, help="Depth of the sampled perfect binary subtrees (3: 15 nodes, the papers')."),
    instances: bool = typer.Option(False, help="WordNet: follow instance hypernyms too."),
    monosemy: str = typer.Option("all", help="WordNet: one sense in 'all' parts of speech or as a 'noun'."),
    out: Path = OUT,
    seed: int = typer.Option(0, min=0, help="Seed of the subtree sampling and the shuffles."),
    as_json: bool = JSON,
    overwrite: bool = OVERWRITE,
) -> None:
    """Alignment g(k) of sampled subtrees with the fitted tree kernel, shuffled baseline, Park's diagnostic."""
    from .._core.errors import InvalidParameterError
    from ..embedding import Embedding
    from ..geometry.hypernymy import hypernymy_report
    from ..geometry.wordnet import Hierarchy, read_edges, wordnet_hierarchy
    from ..plots import geometry as plots

    if wordnet_dir is not None and edges is not None:
        raise InvalidParameterError("give either --wordnet-dir or --edges, not both.")
    if edges is not None:
        refuse_given(
            ctx,
            ["instances", "monosemy"],
            "--edges",
            "they choose WordNet's hypernyms and words; an edge file is taken as it is.",
        )
    _prepare_out(out, [out / "hypernymy-alignment.png"], overwrite)
    embedding = Embedding.load(emb)
    keys = embedding.key_to_index
    tree = (
        Hierarchy.from_edges(read_edges(edges), keys)
        if edges is not None
        else wordnet_hierarchy(keys, wordnet_dir, instances=instances, monosemy=monosemy)
    )
    report = hypernymy_report(embedding, tree, n_samples=samples, height=depth, seed=seed)
    source = edges.name if edges is not None else "WordNet 3.0 nouns"
    path = out / "hypernymy-alignment.png"
    title = f"{emb.name} on {source}: Gram eigenvectors against the tree kernel's (beta = {report.alignment.beta:.3g})"
    plots.alignment_curves(report.alignment, path, title=title)
    if as_json:
        print_json({"hierarchy": source, **report.as_dict(), "figures": [path]})
        return
    console.print(kv_table(f"hypernymy of {emb.name} on {source}", report.rows()))
    console.print(f"figure: {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(geometry_app, name="geometry")
