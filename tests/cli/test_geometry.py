"""`cooc geometry symmetry|places|hypernymy`: tables, figures and one-line errors, on exact-model embeddings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.geometry.places import load_places
from cooc.geometry.symmetry import load_family
from cooc.grammars.latent import LatentVariableModel
from cooc.grammars.taxonomy import TaxonomyModel
from cooc.spectral.estimator import SpectralEmbedding

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["geometry", *map(str, args)])


def _save(model, path, dim: int, **count_kw):
    cooc = model.exact_cooccurrence(**count_kw)
    SpectralEmbedding("mstar", dim=dim).fit(cooc).embedding_.save(path)
    return cooc


def test_symmetry_months_table_and_circle(tmp_path):
    months = load_family("months")
    model = LatentVariableModel(12, "circle", scale=1.0, n_fillers=20, words=months.words)
    cooc = _save(model, tmp_path / "emb", dim=10)
    res = invoke("symmetry", tmp_path / "emb", "--out", tmp_path / "figs", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)["symmetry"]
    assert data["order"]["adjacency"] == 1.0 and data["order"]["adjacency_null"] == pytest.approx(0.18, abs=0.01)
    assert data["block"] == "gram" and data["kernel"]["model"] and data["kernel"]["sigma"] > 0
    assert data["words"] == list(months.words) and data["missing"] == []
    assert (tmp_path / "figs" / "symmetry-months-circle.png").stat().st_size > 1000
    table = invoke("symmetry", tmp_path / "emb", "--out", tmp_path / "table")  # the same, as a table
    assert table.exit_code == 0 and "order adjacency" in table.output
    cooc.save(tmp_path / "counts")
    args = ("symmetry", tmp_path / "emb", "--cooc", tmp_path / "counts.npz", "--out", tmp_path / "figs", "--json")
    refused = invoke(*args)  # the figure exists: replaced only with --overwrite, and nothing computed
    assert refused.exit_code == 1 and "--overwrite" in refused.output and "kernel" not in refused.output
    exact = invoke(*args, "--overwrite")
    assert exact.exit_code == 0, exact.output
    exact_data = json.loads(exact.output)["symmetry"]
    assert exact_data["block"] == "mstar" and exact_data["residual"]["residual"] < exact_data["residual"]["null"]


def test_symmetry_years_runs_the_probe(tmp_path):
    years = load_family("years:1900-2020")
    model = LatentVariableModel(len(years), "line", scale=3.0, n_fillers=20, words=years.words)
    _save(model, tmp_path / "emb", dim=40)
    res = invoke("symmetry", tmp_path / "emb", "--family", "years:1900-2020", "--splits", 5, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert "year probe" in res.output and "log-log slope" in res.output and "spearman" in res.output
    assert (tmp_path / "symmetry-years-1900-2020-probe.png").is_file()


def test_places_probe_and_map(tmp_path, monkeypatch):
    import cooc.plots.geometry as geometry_plots

    titles = []
    real = geometry_plots.places_map
    monkeypatch.setattr(
        geometry_plots, "places_map", lambda *a, title=None: titles.append(title) or real(*a, title=title)
    )
    states = load_places("us_states")
    keep = [i for i, w in enumerate(states.words) if w not in ("alaska", "hawaii")]
    model = LatentVariableModel(
        len(keep),
        "plane",
        positions=np.column_stack([states.lon[keep], states.lat[keep]]),
        scale=6.0,
        n_fillers=20,
        words=[states.words[i] for i in keep],
    )
    _save(model, tmp_path / "emb", dim=30)
    res = invoke("places", tmp_path / "emb", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert "49 in the vocabulary, 2 missing" in res.output
    r2 = float(res.output.split("probe R^2 latitude")[1].split()[1].strip("│ "))
    assert r2 > 0.5
    assert titles == [titles[0]] and titles[0].startswith(
        f"us_states in emb: held-out linear probe (R^2 latitude {r2:.2f}"
    )
    assert (tmp_path / "places-us_states-map.png").is_file()


def _taxonomy_files(tmp_path, branching, depth, dim):
    """An embedding of a taxonomy's exact counts and its edge list (child<TAB>parent); returns the edge file."""
    model = TaxonomyModel(branching=branching, depth=depth, beta=1.0)
    _save(model, tmp_path / "emb", dim=dim, window=1)
    edges = tmp_path / "tree.tsv"
    edges.write_text("".join(f"{model.words[c]}\t{model.words[p]}\n" for c, p in enumerate(model.parents) if p >= 0))
    return edges


def test_hypernymy_on_an_edge_list(tmp_path):
    edges = _taxonomy_files(tmp_path, branching=3, depth=3, dim=30)
    res = invoke("hypernymy", tmp_path / "emb", "--edges", edges, "--samples", 100, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert "alignment area" in res.output and "shuffled labels" in res.output and "Park" in res.output
    area = float(res.output.split("alignment area")[1].split()[1].strip("│ "))
    assert area > 0.25
    assert (tmp_path / "hypernymy-alignment.png").is_file()


def test_hypernymy_depth_reaches_the_sampled_subtrees(tmp_path, monkeypatch):
    import cooc.plots.geometry as geometry_plots

    titles = []
    real = geometry_plots.alignment_curves
    monkeypatch.setattr(
        geometry_plots, "alignment_curves", lambda r, path, title=None: titles.append(title) or real(r, path, title)
    )
    # a binary taxonomy of depth 2 holds no perfect binary subtree of depth 3; --depth 2 samples those of 7 nodes
    edges = _taxonomy_files(tmp_path, branching=2, depth=2, dim=7)
    res = invoke("hypernymy", tmp_path / "emb", "--edges", edges, "--samples", 20, "--out", tmp_path)
    assert res.exit_code == 1 and "no perfect binary subtree of depth 3" in res.output and "--depth" in res.output
    res = invoke("hypernymy", tmp_path / "emb", "--edges", edges, "--samples", 20, "--depth", 2, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert "g(k) = k/7" in res.output and "1 (sampled 20)" in res.output  # the tree is the one such subtree
    assert titles[-1].startswith(f"emb on {edges.name}: Gram eigenvectors against the tree kernel's (beta = ")
    res = invoke(
        "hypernymy", tmp_path / "emb", "--edges", edges, "--depth", 2, "--out", tmp_path, "--overwrite", "--json"
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["alignment"]["subtree_nodes"] == 7


@pytest.mark.parametrize(
    "args,message",
    [
        (["--edges", "x.tsv", "--wordnet-dir", "y"], "give either --wordnet-dir or --edges"),
        (["--wordnet-dir", "/nonexistent-wordnet"], "apt-get install wordnet-base"),
    ],
)
def test_hypernymy_errors_are_one_line(tmp_path, args, message):
    _save(TaxonomyModel(branching=2, depth=3), tmp_path / "emb", dim=5)
    res = invoke("hypernymy", tmp_path / "emb", *args)
    assert res.exit_code == 1
    assert res.output.strip().startswith("error:") and message in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_symmetry_errors_are_one_line(tmp_path):
    _save(TaxonomyModel(branching=2, depth=3), tmp_path / "emb", dim=5)
    res = invoke("symmetry", tmp_path / "emb", "--family", "planets")
    assert res.exit_code == 1 and res.output.startswith("error: unknown word family 'planets'")
    res = invoke("symmetry", tmp_path / "emb")
    assert res.exit_code == 1 and "only 0 words of family 'months'" in res.output
    res = invoke("symmetry", tmp_path / "missing")
    assert res.exit_code == 1 and res.output.startswith("error:")


def test_symmetry_robustness_with_helper_words(tmp_path):
    months = list(load_family("months").words)
    helpers = list(load_family("months-helpers").words[:12])
    model = LatentVariableModel(
        24, "circle", scale=1.5, n_fillers=30, words=[w for p in zip(months, helpers) for w in p]
    )
    cooc = _save(model, tmp_path / "emb", dim=12)
    cooc.save(tmp_path / "counts")
    res = invoke(
        "symmetry", tmp_path / "emb", "--cooc", tmp_path / "counts.npz", "--robustness", "--dim", 12, "--out", tmp_path
    )
    assert res.exit_code == 0, res.output
    assert "adjacency: before / after   │ 1.0000 / 1.0000" in res.output  # helpers carry the circle
    assert "Procrustes, H = 20" in res.output and (tmp_path / "symmetry-months-helpers.png").is_file()
    cut = invoke(
        "symmetry",
        tmp_path / "emb",
        "--cooc",
        tmp_path / "counts.npz",
        "--robustness",
        "--extra-words",
        "months-helpers",
        "--dim",
        12,
        "--out",
        tmp_path,
        "--overwrite",
    )
    assert cut.exit_code == 0, cut.output
    assert "adjacency: before / after   │ 1.0000 / 1.0000" not in cut.output
    res = invoke("symmetry", tmp_path / "emb", "--robustness")
    assert res.exit_code == 1 and "pass --cooc FILE" in res.output


def test_symmetry_settings_are_checked_before_any_work(tmp_path):
    """--splits 0 or -1, --dim 0 and an unknown --extra-words family were refused after the report and its figures."""
    from typer.testing import CliRunner

    from cooc.cli import app

    out = tmp_path / "out"
    base = ["geometry", "symmetry", str(tmp_path / "missing-emb"), "-o", str(out)]
    for extra, option in ((["--splits", "0", "--probe"], "--splits"), (["--splits", "-1", "--probe"], "--splits")):
        res = CliRunner().invoke(app, base + extra)
        assert res.exit_code == 2 and option in res.output and "greater than or equal to 1" in res.output
    robust = ["--cooc", str(tmp_path / "missing-counts"), "--robustness"]
    res = CliRunner().invoke(app, base + robust + ["--dim", "0"])
    assert res.exit_code == 2 and "--dim" in res.output
    res = CliRunner().invoke(app, base + robust + ["--extra-words", "bogus"])
    assert res.exit_code == 1 and "unknown word family 'bogus'" in res.output, res.output
    assert not out.exists()  # refused before the embedding was read or a figure written
