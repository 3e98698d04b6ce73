"""The notebook studies of analyses/: discovery, the runner and CLI, and every study run at its default size
with its numbers checked against the theory (the runs are marked ``slow``: 17-250 s each on a 2-core machine
beside another process of tests, next_token the longest; about 750 s in all, in the process that .ci/run's
grouping gives this file, tests/conftest.py)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc._core.threads import available_cores
from cooc.cli import app
from cooc.experiments.studies import STUDIES, StudyError, analyses_dir, find_study, list_studies, run_study
from cooc.grammars.langstats import fit_entropy_decay
from cooc.studies._shared import ENV_CACHE

ANALYSES = Path(__file__).resolve().parents[2] / "cooc" / "studies"


# -- discovery, headers, format -------------------------------------------------------------------
def test_the_studies_are_found_in_order_with_their_titles():
    studies = list_studies()
    assert [s.name for s in studies] == list(STUDIES)
    assert all(s.title and s.summary for s in studies)
    assert find_study("symmetry.py").name == "symmetry"
    with pytest.raises(InputDataError, match="no study 'nope'; the studies are analogies"):
        find_study("nope")


@pytest.mark.parametrize("name", STUDIES)
def test_each_study_is_a_percent_notebook_that_documents_its_sizes(name):
    jupytext = pytest.importorskip("jupytext")
    path = ANALYSES / f"{name}.py"
    notebook = jupytext.read(path)
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    kinds = [c.cell_type for c in notebook.cells]
    assert kinds[0] == "markdown" and kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    header = " ".join(notebook.cells[0].source.split())
    assert "`--full`" in header and "Default" in header and re.search(r"\d+ s on a ", header)  # sizes, measured time
    assert f"cooc analyses run {name}" in header
    assert f'start("{name}")' in path.read_text()


def test_the_studies_are_grouped_apart_from_the_other_tests(request):
    from tests.test_suite_groups import groups_of

    assert groups_of(request) == (["studies"], True)  # one process for them where .ci/run runs two


def test_analyses_dir_errors_clearly(tmp_path):
    assert analyses_dir() == ANALYSES
    with pytest.raises(InputDataError, match="no studies folder"):
        analyses_dir(tmp_path)


def test_studies_write_beside_themselves_in_a_checkout_and_in_the_working_folder_when_installed(tmp_path, monkeypatch):
    import cooc.experiments.studies as studies

    monkeypatch.delenv("COOC_ANALYSES_OUT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert studies.default_out("symmetry") == ANALYSES / "out" / "symmetry"  # a checkout (editable install)
    own = tmp_path / "mine"  # a folder of one's own studies
    own.mkdir()
    (own / "_shared.py").write_text("")
    assert studies.out_root(own) == own / "out"
    # the package's studies in an installed copy: writable (a virtual environment), but no pyproject.toml above
    site = tmp_path / "site-packages" / "cooc"
    (site / "studies").mkdir(parents=True)
    (site / "studies" / "_shared.py").write_text("")
    monkeypatch.setattr(studies, "__file__", str(site / "experiments" / "studies.py"))
    assert studies.out_root() == tmp_path / "analyses-out"
    assert studies.default_out("srhm") == tmp_path / "analyses-out" / "srhm"
    (site.parent / "pyproject.toml").write_text("")  # the same layout in a checkout
    assert studies.out_root() == site / "studies" / "out"
    monkeypatch.setenv("COOC_ANALYSES_OUT", str(tmp_path / "elsewhere"))
    assert studies.default_out("srhm") == tmp_path / "elsewhere" / "srhm"


# -- the runner on stand-in studies ------------------------------------------------------------------
STUB = """# %% [markdown]
# # A stand-in study
#
# Writes one figure and its numbers.

# %%
import sys
from _shared import start
study = start("stub")
import numpy as np
from cooc.plots import pyplot
fig, ax = pyplot().subplots()
ax.plot([1, 2, 3])
study.figure(fig, "line.png")
if "--boom" in sys.argv or (study.out / "boom").exists():
    raise RuntimeError("the stand-in study blew up")
study.save({"full": study.full, "nan": float("nan"), "array": np.arange(3), "scalar": np.float32(0.5)})
"""


@pytest.fixture
def stub_dir(tmp_path, monkeypatch):
    folder = tmp_path / "analyses"
    folder.mkdir()
    shutil.copy(ANALYSES / "_shared.py", folder / "_shared.py")
    (folder / "stub.py").write_text(STUB)
    monkeypatch.setenv("COOC_ANALYSES_OUT", str(tmp_path / "out"))
    return folder


def test_run_study_executes_the_script_and_reads_its_results(stub_dir, tmp_path):
    assert [s.name for s in list_studies(stub_dir)] == ["stub"]
    run = run_study("stub", directory=stub_dir, capture=True)
    assert run.out == tmp_path / "out" / "stub"
    assert run.results["results"] == {"full": False, "nan": None, "array": [0, 1, 2], "scalar": 0.5}
    assert run.results["figures"] == ["line.png"] and run.figures[0].stat().st_size > 0
    assert "stub: 1 figures and results.json" in run.output and run.seconds > 0
    full = run_study("stub", full=True, out=tmp_path / "elsewhere", directory=stub_dir, capture=True)
    assert full.results["results"]["full"] is True and (tmp_path / "elsewhere" / "results.json").is_file()


def test_info_on_a_study_output_shows_the_study_and_its_figures(stub_dir, tmp_path):
    run = run_study("stub", full=True, out=tmp_path / "st", directory=stub_dir, capture=True)
    res = CliRunner().invoke(app, ["info", str(run.out), "--json"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    assert shown["study"] == "stub" and shown["full"] is True and shown["outputs"] == []
    assert shown["figures"] == [str(tmp_path / "st" / "line.png")]
    assert shown["seconds"] == run.results["seconds"]["total"] > 0
    res = CliRunner().invoke(app, ["info", str(run.out)], terminal_width=200)
    assert res.exit_code == 0 and "study output" in res.output and "--full" in res.output, res.output
    res = CliRunner().invoke(app, ["info", str(run.out), "--top", "3"])
    assert res.exit_code == 1 and "a study's output folder" in " ".join(res.output.split()), res.output
    # a results.json that no study wrote is not taken for one
    (tmp_path / "other").mkdir()
    for foreign in ('{"accuracy": 0.5}', "accuracy 0.5"):
        (tmp_path / "other" / "results.json").write_text(foreign)
        res = CliRunner().invoke(app, ["info", str(tmp_path / "other")])
        assert res.exit_code == 1 and "holds no co-occurrence file" in " ".join(res.output.split()), res.output
    # nor one whose figures are not a list of file names; a time that is not a number is shown as unknown
    for figures in ("null", '"a.png"', '[1, "b.png"]'):
        (tmp_path / "other" / "results.json").write_text(f'{{"study": "x", "results": {{}}, "figures": {figures}}}')
        res = CliRunner().invoke(app, ["info", str(tmp_path / "other")])
        assert res.exit_code == 1 and "holds no co-occurrence file" in " ".join(res.output.split()), res.output
    for total in ("null", '"12 s"', "true"):
        (tmp_path / "other" / "results.json").write_text(
            f'{{"study": "x", "results": {{}}, "seconds": {{"total": {total}}}}}'
        )
        res = CliRunner().invoke(app, ["info", str(tmp_path / "other"), "--json"])
        assert res.exit_code == 0 and json.loads(res.output)["seconds"] is None, (total, res.output)


def test_a_study_that_raises_fails_loudly(stub_dir, tmp_path):
    (tmp_path / "out" / "stub").mkdir(parents=True)
    (tmp_path / "out" / "stub" / "boom").touch()
    with pytest.raises(StudyError, match=r"study 'stub' failed \(exit code 1\).*the stand-in study blew up"):
        run_study("stub", directory=stub_dir, capture=True)


def test_a_study_past_its_time_limit_is_stopped(stub_dir):
    (stub_dir / "slow.py").write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(StudyError, match="ran past its 1 s limit"):
        run_study("slow", directory=stub_dir, timeout=1)


def test_a_study_runs_as_a_notebook_and_keeps_it_executed(stub_dir, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    run = run_study("stub", full=True, out=tmp_path / "nb", directory=stub_dir, notebook=True)
    assert run.results["results"]["full"] is True and run.results["figures"] == ["line.png"]
    executed = nbformat.read(tmp_path / "nb" / "stub.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)  # every cell ran, in the kernel
    html = (tmp_path / "nb" / "stub.html").read_text()
    assert "A stand-in study" in html and "<html" in html
    (tmp_path / "nb" / "boom").touch()
    with pytest.raises(StudyError, match="failed in its notebook.*blew up"):
        run_study("stub", out=tmp_path / "nb", directory=stub_dir, notebook=True)
    assert (tmp_path / "nb" / "stub.ipynb").is_file()  # the failed notebook is kept, with its traceback


def test_cli_list_and_run(stub_dir, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["analyses", "list", "--dir", str(stub_dir)])
    assert listed.exit_code == 0 and "stub" in listed.output and "A stand-in study" in listed.output
    ran = runner.invoke(app, ["analyses", "run", "stub", "--dir", str(stub_dir), "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    assert json.loads((tmp_path / "o" / "results.json").read_text())["study"] == "stub"
    bad = runner.invoke(app, ["analyses", "run", "nope", "--dir", str(stub_dir)])
    assert bad.exit_code == 1 and bad.output.startswith("error: no study 'nope'")
    (stub_dir / "other.py").write_text(STUB)
    two = runner.invoke(app, ["analyses", "run", "--dir", str(stub_dir), "--out", str(tmp_path / "x")])
    assert two.exit_code == 1 and "--output names one folder" in two.output


CACHING = """# %% [markdown]
# # A stand-in study that caches
#
# Writes intermediate data to its cache and reports where the cache is.

# %%
import os
import sys
from _shared import _cache_root, start
from cooc._core.numba_cache import numba_cache_dir
study = start("cacher")
(study.work("data") / "x.txt").parent.mkdir(parents=True, exist_ok=True)
(study.work("data") / "x.txt").write_text("cached")
study.save({"cache": str(study.cache), "root": str(_cache_root()), "bytecode": sys.dont_write_bytecode,
            "numba": str(numba_cache_dir())})
"""


def test_a_study_with_out_caches_under_out_and_writes_nothing_beside_itself(stub_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("COOC_ANALYSES_CACHE", raising=False)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    (stub_dir / "cacher.py").write_text(CACHING)
    before = sorted(p.relative_to(stub_dir) for p in stub_dir.rglob("*"))
    out = tmp_path / "elsewhere"
    run = run_study("cacher", out=out, directory=stub_dir, capture=True)
    r = run.results["results"]
    assert r["cache"] == r["root"] == str(out / "_cache") and (out / "_cache" / "cacher" / "data" / "x.txt").is_file()
    assert r["bytecode"] is True and r["numba"].endswith("numba") and not r["numba"].startswith(str(stub_dir))
    assert sorted(p.relative_to(stub_dir) for p in stub_dir.rglob("*")) == before  # no __pycache__ beside _shared.py
    monkeypatch.setenv("COOC_ANALYSES_CACHE", str(tmp_path / "shared"))
    again = run_study("cacher", out=tmp_path / "third", directory=stub_dir, capture=True)
    assert again.results["results"]["cache"] == str(tmp_path / "shared")


RESUMING = """# %% [markdown]
# # A stand-in study that says whether it resumes

# %%
from _shared import start
study = start("resumer")
if study.ledger is not None:
    study.ledger.add("k", {"model": "cnn", "P": 8, "seed": 0, "test_loss_last": 1.25})
study.save({"resume": study.resume, "ledger": None if study.ledger is None else str(study.ledger.path)})
"""


@pytest.mark.parametrize(
    "full, resume, expected",
    [(False, None, False), (True, None, True), (True, False, False), (False, True, True)],
)
def test_studies_resume_with_full_or_when_asked(stub_dir, tmp_path, full, resume, expected):
    (stub_dir / "resumer.py").write_text(RESUMING)
    out = tmp_path / "o"
    run = run_study("resumer", full=full, out=out, directory=stub_dir, capture=True, resume=resume)
    assert run.results["results"] == {"resume": expected, "ledger": str(out / "runs.jsonl") if expected else None}
    assert ("resumer: run 1 recorded (model cnn, P 8, seed 0): test loss last 1.2500" in run.output) is expected
    flags = (["--full"] if full else []) + ({True: ["--resume"], False: ["--no-resume"]}.get(resume, []))
    cli = tmp_path / "cli"
    ran = CliRunner().invoke(app, ["analyses", "run", "resumer", "--dir", str(stub_dir), "-o", str(cli), *flags])
    assert ran.exit_code == 0, ran.output
    assert json.loads((cli / "results.json").read_text())["results"]["resume"] is expected


JOBS = """# %% [markdown]
# # A stand-in study that says how many runs it trains at once

# %%
from _shared import start
study = start("jobs")
study.save({"jobs": study.jobs})
"""


def test_jobs_reach_the_study_from_run_study_the_cli_and_its_own_command_line(stub_dir, tmp_path):
    (stub_dir / "jobs.py").write_text(JOBS)
    for jobs in (1, 3):
        run = run_study("jobs", out=tmp_path / f"r{jobs}", directory=stub_dir, capture=True, jobs=jobs)
        assert run.results["results"] == {"jobs": jobs}
    ran = CliRunner().invoke(
        app, ["analyses", "run", "jobs", "--dir", str(stub_dir), "-o", str(tmp_path / "c"), "--jobs", "4"]
    )
    assert ran.exit_code == 0, ran.output
    assert json.loads((tmp_path / "c" / "results.json").read_text())["results"] == {"jobs": 4}
    with pytest.raises(InvalidParameterError, match="'jobs' must be at least 1"):
        run_study("jobs", out=tmp_path / "bad", directory=stub_dir, jobs=0)
    done = subprocess.run(
        [sys.executable, str(stub_dir / "jobs.py"), "-o", str(tmp_path / "s"), "--jobs", "2"], cwd=stub_dir
    )
    assert done.returncode == 0 and json.loads((tmp_path / "s" / "results.json").read_text())["results"] == {"jobs": 2}


@pytest.mark.parametrize(
    "name, calls", [("next_token", 1), ("varying_tree", 1), ("scaling_laws", 2), ("rhm_learning", 1)]
)
def test_the_studies_that_train_single_networks_pass_their_jobs_on(name, calls):
    """Their experiment functions take ``jobs`` (tested there); the script must hand it the study's."""
    assert (ANALYSES / f"{name}.py").read_text().count("jobs=study.jobs") == calls  # each call that trains them


def test_write_corpus_ranks_words_by_sampled_frequency(tmp_path):
    sys.path.insert(0, str(ANALYSES))
    try:
        from _shared import write_corpus
    finally:
        sys.path.remove(str(ANALYSES))
    docs = np.array([[2, 2, 0, 2], [0, 2, 3, 2]])  # word 1 never sampled; 0 and 3 ... ranks: 2 (5), 0 (2), 3 (1)
    corpus = write_corpus(tmp_path / "c", docs, ["zero", "one", "two", "three"], "test")
    assert corpus.vocab.words == ["two", "zero", "three"]
    tokens, offsets = next(corpus.iter_chunks())
    assert tokens.tolist() == [0, 0, 1, 0, 1, 0, 2, 0] and offsets.tolist() == [0, 4, 8]


# -- every study at its default size, numbers against the theory ---------------------------------------
#: What the test run's own tools write into the checkout (bytecode, hypothesis's examples, pytest's cache),
#: possibly while a study runs when the tests run in several processes: left out of the comparison.
TOOL_CACHES = ("__pycache__/", ".hypothesis/", ".pytest_cache/")


def checkout_state() -> str | None:
    """``git status --porcelain --ignored`` of the checkout (ignored files included, the test tools' caches
    left out), None outside git."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--ignored"], cwd=ANALYSES.parent, capture_output=True, text=True
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return "".join(line for line in done.stdout.splitlines(True) if not line.rstrip().endswith(TOOL_CACHES))


CHECKOUT_CHANGES: dict[str, tuple[str | None, str | None]] = {}


#: Training runs at once in the studies that train single networks (one torch thread each): both of CI's cores.
STUDY_JOBS = min(2, available_cores())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Runs each study once (on first use) into a temporary folder; returns its ``results`` section.

    The studies share one cache, as they do run with their default output (the Wikipedia sample is built and
    counted once for all of them)."""
    done: dict[str, dict] = {}
    cache = tmp_path_factory.mktemp("cache")

    def get(name: str) -> dict:
        if name not in done:
            before = checkout_state()
            with pytest.MonkeyPatch.context() as env:
                env.setenv(ENV_CACHE, str(cache))
                run = run_study(name, out=tmp_path_factory.mktemp(name), capture=True, timeout=900, jobs=STUDY_JOBS)
            CHECKOUT_CHANGES[name] = (before, checkout_state())
            assert len(run.figures) >= 2 and all(f.stat().st_size > 0 for f in run.figures)
            print(f"{name}: {run.seconds:.0f} s")
            done[name] = run.results["results"]
        return done[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", STUDIES)
def test_a_study_run_with_out_leaves_the_checkout_unchanged(results, name):
    results(name)
    before, after = CHECKOUT_CHANGES[name]
    if before is None:
        pytest.skip("not a git checkout")
    assert after == before, f"{name} wrote into the checkout:\n{after}"


@pytest.mark.slow
def test_analogies_study(results):
    r = results("analogies")
    model = r["attribute_model"]
    d = model["d"]
    logm, m = (np.array(model["exact"][k]["accuracy"]) for k in ("log M", "M"))
    ks = np.array(model["exact"]["log M"]["ks"])
    # log M: 100% protocol-B accuracy for every K >= d; its top d + 1 eigenvectors span (1, attributes)
    assert np.all(logm[ks >= d] == 1.0)
    assert model["logm_top_subspace_overlap"] == pytest.approx(1.0, abs=1e-9)
    # where the analogy directions lie: all inside the top K from K = d + 1 exactly, not before
    captured = np.array(model["captured_by_k"]["min_over_directions"])
    assert model["all_directions_captured_from_k"] == d + 1 and captured[d] > 1 - 1e-9 > captured[d - 1]
    # M: lower, peaking and decaying
    peak = int(np.argmax(m))
    assert m.max() < 0.8 and 1 < ks[peak] < ks[-1] and m[-1] < m.max() - 0.1
    # a sampled corpus: log M still reaches ~100% near K = d + 1, M stays far lower
    s_logm, s_m = (np.array(model["sampled"][k]["accuracy"]) for k in ("log M", "M"))
    assert s_logm.max() >= 0.95 and d <= ks[int(np.argmax(s_logm))] <= d + 2
    assert s_m.max() < s_logm.max() - 0.3
    # removal of a family's own pairs: still answered
    assert all(v["removed_family"] >= 0.95 for v in model["removal"].values())
    # the Wikipedia sample: log M above M, accuracy rising with K
    wiki = r["wikipedia"]
    curves = wiki["curves"]
    assert wiki["questions"] > 100 and wiki["pairs_in_vocabulary"] < wiki["pairs_listed"]
    assert max(curves["log M"]["accuracy"]) > max(curves["M"]["accuracy"])
    assert curves["log M"]["accuracy"][-1] > curves["log M"]["accuracy"][0] + 0.1
    assert 0 <= wiki["removal"]["block"] <= 1 and wiki["removal"]["questions"] > 0
    # sentence removal takes out a few sentences, not half the corpus, and the family keeps most of its answers
    removal = wiki["removal"]
    assert removal["unit"] == "sentence" and 0 < removal["units_dropped"] < 0.05 * removal["units_kept"]
    assert removal["corpus"] > 0.5 * removal["baseline"]
    assert {"claim", "paper", "paper_source", "ours", "reproduced_at_default", "needs_full"} <= set(
        r["papers_vs_ours"][0]
    )


@pytest.mark.slow
def test_symmetry_study(results):
    r = results("symmetry")
    latent = r["latent_months"]
    sigma0 = latent["sigma_generating"]
    exact, sampled = latent["exact"], latent["sampled"]
    # the root-kernel model: the months' M* block is the generating kernel itself, so the fit returns sigma0
    assert latent["exact_block_minus_kernel"] < 1e-12
    assert exact["kernel"]["r2"] > 1 - 1e-9 and exact["kernel"]["sigma"] == pytest.approx(sigma0, rel=1e-5)
    assert abs(sampled["kernel"]["sigma"] - sigma0) < 3 * sampled["kernel"]["sigma_stderr"]
    # and the months sit on a circle in calendar order
    for res in (exact, sampled):
        assert res["order"]["adjacency"] == 1.0 and res["order"]["alignment"] > 0.95
    # zeroing the months' block: the helpers keep the circle; a few strong helpers suffice, random words do not
    robust = r["latent_robustness"]
    assert robust["after"]["adjacency"] == 1.0
    helpers = robust["helpers"]
    H4, H8 = helpers["n_helpers"].index(4), helpers["n_helpers"].index(8)
    # (strongest at H = 4 and 8: below 0.2 and 0.05 on an AMD EPYC VM, 0.209 and 0.083 on an Intel Xeon one, the
    # same seeds; random words 0.95 and 0.93 there)
    assert helpers["strongest"][H4] < 0.25 and helpers["random"][H4] > helpers["strongest"][H4] + 0.15
    assert helpers["strongest"][H8] < 0.1 and helpers["random"][H8] > helpers["strongest"][H8] + 0.5
    # removing every sentence with two months: the circle survives through the other sentences of each document
    removal = r["latent_sentence_removal"]["months"]
    assert removal["units_dropped"] > 0.1 * (removal["units_dropped"] + removal["units_kept"])
    assert removal["removed"]["alignment"] > 0.9 and removal["removed"]["adjacency"] >= 0.75
    # the probe: the exact model's curve is its kernel's prediction; the exponent follows protocol and smoothness
    line = r["latent_probe"]["line"]
    assert line["exact_minus_predicted"] < 1e-9
    assert line["slope_all_years"] == pytest.approx(-1.0, abs=0.05) and line["slope"] == pytest.approx(-0.75, abs=0.05)
    assert line["slope_sampled_r_le_6"] == pytest.approx(line["slope_predicted_r_le_6"], abs=0.1)  # above its floor
    exponents = r["latent_probe"]["exponents"]
    order = ["exponential, scale 2", "exponential, scale 5", "exponential, scale 10", "Gaussian, scale 5"]
    for protocol in ("all_years_least_squares", "ridge_60"):
        slopes = [exponents[k][protocol] for k in order]
        assert slopes == sorted(slopes, reverse=True)  # smoother (or wider) kernels fall faster
    plane = r["latent_probe"]["plane"]
    assert -0.6 < plane["slope"] < -0.35 and line["slope"] / plane["slope"] == pytest.approx(1.55, abs=0.3)
    # both claims judged under one protocol (least squares on all words): the exponents' ratio is ~1.7, not 2
    assert -0.65 < plane["slope_all_points"] < -0.45
    ratio = r["latent_probe"]["line_over_plane_exponent"]
    assert ratio["all_words"] == pytest.approx(line["slope_all_years"] / plane["slope_all_points"])
    rows = {p["claim"]: p for p in r["papers_vs_ours"]}
    assert "all_points_least_squares" in rows["2-D latent: probe error ~ 1/sqrt(r)"]["ours"]
    assert r["latent_probe"]["plane_map"]["r2_lat"] > 0.9 and r["latent_probe"]["plane_map"]["r2_lon"] > 0.9
    # the Wikipedia sample: every month present; the exact blocks hold most years and some places, above their nulls
    wiki = r["wikipedia"]
    assert wiki["months"]["order"]["adjacency"] >= 0 and wiki["years"]["in_vocabulary"] >= 100
    assert max(wiki["years"]["error"]) < min(wiki["years"]["null"])
    for kind in ("us_states", "world_cities"):
        assert wiki["places"][kind]["in_vocabulary"] >= 20 and wiki["places"][kind]["probe_p_value"] < 0.05
    assert wiki["removal"]["months"]["units_dropped"] > 0 and wiki["removal"]["years"]["units_dropped"] > 0
    assert {"claim", "paper", "paper_source", "ours", "reproduced_at_default", "needs_full"} <= set(
        r["papers_vs_ours"][0]
    )


@pytest.mark.slow
def test_hypernymy_study(results):
    r = results("hypernymy")
    modes = r["tree_modes"]
    # a regular tree's kernel: pure scaling / wavelet eigenvectors, coarse to fine; M* too
    assert min(modes["kernel_purity"]) > 1 - 1e-9 and min(modes["mstar_purity"]) > 1 - 1e-9
    assert modes["kernel_labels"][0] == "scaling"
    levels = [int(x) for x in modes["kernel_labels"][1:] if x != "scaling"]
    assert levels == sorted(levels) and levels[0] == 0
    # the alignment area far above the shuffled baseline on the taxonomy model, exact and sampled
    for key in ("exact", "sampled"):
        t = r["taxonomy"][key]
        assert t["area"] > t["area_shuffled"] + 0.1 and t["area"] > t["area_shuffled"] + 20 * t["area_se"]
        assert t["fit_refused"] is None and t["gram_by_distance"][0] > t["gram_by_distance"][-1]
    wordnet = r["wordnet"]
    if "skipped" in wordnet:
        assert "wordnet-base" in wordnet["skipped"] and "skipped" in r["wordnet_profile"]
        pytest.skip("WordNet data absent: apt-get install wordnet-base")
    assert wordnet["subtrees"] > 100
    # co-occurrence against tree distance: the nearest pairs co-occur more than shuffled words would
    mstar = r["wordnet_profile"]["mstar"]
    assert mstar["distance"][0] == 1 and mstar["mean"][0] > mstar["null_mean"][0] + 1.5 * mstar["null_std"][0]
    assert mstar["mean"][0] > max(mstar["mean"][3:])  # and more than the far pairs
    # a decay rate only where at least 3 distances stand off the null, else none and why
    for kind in ("p", "mstar"):
        prof = r["wordnet_profile"][kind]
        assert prof["resolved_distances"] == int(np.sum(np.abs(prof["z_above_null"]) > 3))
        assert (prof["beta"] is None) == (prof["beta_refused"] is not None)
        assert prof["resolved_distances"] >= 3 or prof["beta"] is None  # (and a fit that is no decay gets none)
    theory = wordnet["taxonomy_model"]
    assert theory["area"] > theory["area_shuffled"] + 0.05
    wiki = wordnet["wikipedia"]
    assert wiki["area"] > max(wiki["area_shuffled"], wiki["area_words_shuffled_over_tree"]) + 10 * wiki["area_se"]
    w2v = wordnet["word2vec"]
    assert w2v["area"] > w2v["area_shuffled"] + 10 * w2v["area_se"]
    # without the direction all its vectors share, word2vec's Gram falls with tree distance and its margin
    # over the shuffled baseline grows (on the sample: 0.05 against 0.014, where the raw vectors give 0.140
    # against 0.131 with a flat Gram of ~0.97)
    centred = wordnet["word2vec_centred"]
    assert centred["fit_refused"] is None and centred["gram_by_distance"][0] > max(centred["gram_by_distance"][2:])
    assert centred["area"] > centred["area_shuffled"] + 10 * centred["area_se"]
    assert centred["area"] - centred["area_shuffled"] > 2 * (w2v["area"] - w2v["area_shuffled"])
    assert len(r["papers_vs_ours"]) >= 3
    # the verdict on word2vec needs a kernel its Gram entries follow
    row = next(p for p in r["papers_vs_ours"] if p["claim"].startswith("word2vec's Gram"))
    if w2v["fit_refused"]:
        assert row["reproduced_at_default"] is False


@pytest.mark.slow
def test_rhm_correlations_study(results):
    r = results("rhm_correlations")
    paper = next(g for g in r["grammars"] if g["role"] == "paper")
    # the papers' size: the level formula within 6% of one rule draw's exact covariance, exact beta by height ~ 3
    assert (paper["v"], paper["m"]) == (32, 8)
    assert np.all(np.abs(np.array(paper["exact_over_theory"]) - 1) < 0.07)
    assert abs(paper["beta_height_exact"] - paper["beta_theory"]) < 0.15
    # the counted covariance above the floor at two levels only: no beta fitted through the floor
    assert (
        paper["beta_height_counted"] is None and "above 3 x the sampling floor" in paper["beta_height_counted_refused"]
    )
    for g in r["grammars"]:
        assert g["beta_theory"] == pytest.approx(math.log(g["m"]) / math.log(g["s"]))
        counted = g["counted"]
        if g["beta_counted"] is not None:  # every fitted point stands above 3x its floor
            fitted = np.isin(counted["distance"], g["beta_counted_distances"])
            assert np.all(np.array(counted["rms"])[fitted] > 3 * np.array(counted["floor"])[fitted])
    small = next(g for g in r["grammars"] if g["role"] == "finite_v" and g["m"] == 2)
    assert abs(small["beta_counted"] - 1) < 0.15 and abs(small["beta_exact"] - 1) < 0.15
    # finite v: the formula falls to about half at the top level
    assert small["exact_over_theory"][-1] < 0.6 and np.all(np.abs(np.array(small["exact_over_theory"][:2]) - 1) < 0.15)
    # the counted covariance follows the exact one where it stands above the floor
    exact = np.array(small["by_distance"]["exact"])[np.array(small["counted"]["distance"]) - 1]
    assert np.all(np.abs(np.array(small["counted"]["rms"]) / exact - 1) < 0.5)
    grammar = r["grammar_corpus"]
    H = np.array(grammar["H"])
    assert abs(H[0] - grammar["ln_v"]) < 0.05 and np.all(np.diff(H) <= 1e-3)
    # the degenerate entropy fit of the grammar corpus (it once gave H_inf = -13.8 nats) is refused with its reason
    assert grammar["gamma"]["gamma"] is None and "bound" in grammar["gamma"]["refused"]
    wiki = r["wikipedia"]
    assert 0 < wiki["beta"] < 3 and wiki["beta_error"] > 0
    sigma, shuffled = np.array(wiki["sigma"]), np.array(wiki["shuffled"])
    fitted = np.array(wiki["beta_lags"]).astype(int)
    assert np.all(sigma[fitted.min() - 1 : fitted.max()] > 3 * shuffled[fitted.min() - 1 : fitted.max()])
    assert np.all(np.array(wiki["H"])[np.array(wiki["resolved"])] > 0)


@pytest.mark.slow
def test_rhm_learning_study(results):
    r = results("rhm_learning")
    grammars = r["grammars"]
    scales = [g["scale"] for g in grammars]
    # separating sizes: at least 4 grammars spanning a factor 10 of n_c m^L, each far below P_max
    assert len(grammars) >= 4 and max(scales) / min(scales) >= 10
    assert all(g["scale"] * 16 <= g["P_max"] for g in grammars)
    # the deep CNN learns every grammar well before P_max: P* = (1 to 6) n_c m^L, <= P_max / 5
    for g in grammars:
        assert 1 <= g["cnn_P_star"] / g["scale"] <= 6 and g["cnn_P_star"] <= g["P_max"] / 5, g["spec"]
    # P* ~ (n_c m^L)^e with e = 1 within 3 standard errors (the error, the larger of the fit's and the seeds'
    # spread, itself below 0.2: measured 0.11, so the test cannot pass whatever e is)
    e, err = r["p_star_exponent"], r["p_star_exponent_err"]
    assert 0 < err < 0.2 and abs(e - 1) < 3 * err + 0.05
    assert err >= r["p_star_exponent_err_fit"] and err >= r["p_star_exponent_err_seeds"]
    # every network fitted its training set where P* was read: the CNN everywhere, the shallow net at least up to
    # the first size at or past its P* (under-trained, its P* came out up to twice too large)
    for g in grammars:
        assert g["cnn_underfit_P"] == [], g["spec"]
        if g["shallow_P_star"] is not None:
            first_past = min(row["P"] for row in g["shallow"] if row["P"] >= g["shallow_P_star"])
            assert all(P > first_past for P in g["shallow_underfit_P"]), g["spec"]
    # the shallow net needs a fraction of P_max: where it learns, P* / P_max in [0.05, 0.5] and P* above the CNN's,
    # the more so the larger P_max / n_c m^L = m^4 (measured 1.3-1.8 x the CNN's at m = 2, 2.2-3.3 x at m = 3);
    # its P* grows with P_max with an exponent near 1 (within 0.35; measured 0.74 +- 0.06), not with n_c m^L
    reached = [g for g in grammars if g["shallow_P_star"] is not None]
    assert len(reached) >= 3
    ratio: dict[int, list[float]] = {}
    for g in reached:
        assert 0.05 <= g["shallow_P_star"] / g["P_max"] <= 0.5 and g["shallow_P_star"] > g["cnn_P_star"], g["spec"]
        ratio.setdefault(g["P_max"] // g["scale"], []).append(g["shallow_P_star"] / g["cnn_P_star"])
    low, high = min(ratio), max(ratio)
    assert high > low and np.mean(ratio[high]) > 1.3 * np.mean(ratio[low]), ratio
    assert abs(r["shallow_exponent"] - 1) < 0.35
    # the last hidden layer's synonymic sensitivity falls below 0.1 at the P* of the error, within a factor 2
    ratios = np.array(r["p_star_synonym_over_p_star"], dtype=float)
    assert np.all((ratios > 0.5) & (ratios < 2)), ratios
    for g in grammars:  # from near 1 at P << P* to near 0 at P >> P*
        last = g["sensitivity"]["layers"][-1]
        assert last[0] > 0.5 and last[-1] < 0.1


@pytest.mark.slow
def test_srhm_study(results):
    r = results("srhm")
    # synonyms and diffeomorphisms are learned at the P* of the task: within a factor 2
    p_star = r["p_star"]
    assert np.isfinite(p_star)
    for key in ("p_star_synonym", "p_star_diffeo"):
        assert 0.5 < r[key] / p_star < 2, (key, r[key], p_star)
    inv = r["invariances"]
    for name in ("synonym", "diffeo"):
        last = inv[name]["layers"][-1]
        assert last[-1] < 0.1 and last[-1] < 0.2 * inv[name]["initial"][-1]
    # P* ~ (s0 + 1)^e: e = 2 for the CNN and L = 3 for the LCN, each within 3 errors + 0.25; the error (the larger
    # of the 3-point fit's and the seeds' spread; measured 0.015 and 0.10) below 0.25, so the test can fail
    for model, theory in (("cnn", 2), ("lcn", 3)):
        e = r["exponents"][model]
        assert e["theory"] == theory and 0 < e["measured_err"] < 0.25, (model, e)
        assert e["measured_err"] >= max(e["measured_err_fit"], e["measured_err_seeds"])
        assert abs(e["measured"] - theory) < 3 * e["measured_err"] + 0.25, (model, e)
    for model, entry in r["sample_complexity"]["models"].items():  # every P* of the fit was measured on its curve
        assert entry["fit"]["points"] == len(entry["curves"]) == 3, model
    assert r["exponents"]["lcn"]["measured"] > r["exponents"]["cnn"]["measured"] + 0.5
    # the LCN learns both invariances at its own P* too: within a factor 2 (measured 1.30 and 1.27)
    lcn = r["lcn"]
    assert lcn["theory_ratio"] == 1.0 and lcn["p_star"] > p_star  # the LCN needs more data than the CNN
    for key in ("synonym", "diffeo"):
        ratio = lcn[f"p_star_{key}"] / lcn["p_star"]
        assert ratio == pytest.approx(lcn[f"ratio_{key}"]) and 0.5 < ratio < 2, (key, ratio)
        last = lcn["invariances"][key]["layers"][-1]
        assert last[0] > 0.3 and last[-1] < 0.1 and last[-1] < 0.2 * lcn["invariances"][key]["initial"][-1]
    assert lcn["invariances"]["model"] == "lcn" and lcn["invariances"]["scale"] == 2**3 * 16


@pytest.mark.slow
def test_power_law_study(results):
    r = results("power_law")
    rows = {row["a"]: row for row in r["exponents"]}
    assert len(rows) >= 3 and all(row["measured"] is not None for row in rows.values())
    for a, row in rows.items():
        assert row["theory"] == pytest.approx(a / (1 + a))
        # the CNN follows the exact learning curve of a memoriser at this m: slopes within 0.1
        assert abs(row["measured"] - row["theory_finite_m"]) < 0.1, row
        # and a/(1+a) where the finite-m correction is small (a >= 1): within 0.1; at a = 0.5, m = 32
        # truncates the Zipf tail inside the fitted range, so only an upper bound holds there
        if a >= 1:
            assert abs(row["measured"] - row["theory"]) < 0.1, row
        else:
            assert row["measured"] > row["theory"] - 0.05
    assert rows[2.0]["measured"] > rows[1.0]["measured"] + 0.1  # steeper for larger a


@pytest.mark.slow
def test_varying_tree_study(results):
    r = results("varying_tree")
    f = np.array(r["ambiguity"]["f"])
    fraction = np.array([np.nan if x is None else x for x in r["ambiguity"]["fraction"]])
    # the deepest L: rare ambiguity well below f_c, nearly all sentences ambiguous well above it
    assert np.all(fraction[f <= 0.25] < 0.15) and np.all(fraction[(f >= 0.625) & np.isfinite(fraction)] > 0.9)
    # the crossing of 1/2 moves down as L grows: 0.83, 0.54, 0.43 at L = 2-4 (deeper, it keeps falling past
    # 3/8: 0.35, 0.32, 0.28 at L = 5, 6, 7; benchmarks/RESULTS.md), so it is not the transition
    halves = [r["f_half"][L] for L in sorted(r["f_half"], key=int)]
    finite = [h for h in halves if h is not None and np.isfinite(h)]
    assert len(finite) == 3 and all(a > b + 0.05 for a, b in zip(finite, finite[1:])) and finite[-1] < 0.5
    # against the depth at v = 64: class ambiguity stays rare at f = 0.2 and grows with L at f = 0.3 (at L = 3-8,
    # 1,000 sentences: settled near 0.015 at f = 0.2, growing faster and faster from f = 0.275; RESULTS.md)
    scan = r["class_ambiguity_by_depth"]
    assert scan["v"] == 64 and scan["f"] == [0.2, 0.3]
    low, high = ([scan["depths"][L]["class_fraction"][k] for L in ("3", "4", "5")] for k in (0, 1))
    assert max(low) < 0.04 and high[2] > high[0] + 0.06 and min(high) > max(low)
    for entry in scan["depths"].values():
        assert all(c <= a for c, a in zip(entry["class_fraction"], entry["fraction"]))
    # the first moment (mean extra trees, v large): settles near 0.02 at f = 0.2, passes 1 by L = 5 at
    # f = 3/8 (0.16, 0.48, 2.2 at L = 3-5); it matches the parsed grammars' mean number of extra trees
    # and bounds their class-ambiguous fraction (Markov), within the noise of 300 sentences
    moment = r["first_moment"]
    k = {f: moment["f"].index(f) for f in (0.2, 0.3, 0.375)}
    mean = {L: moment["depths"][L]["mean"] for L in ("3", "4", "5")}
    assert max(m[k[0.2]] for m in mean.values()) < 0.03 and mean["5"][k[0.2]] < 1.5 * mean["4"][k[0.2]]
    assert mean["5"][k[0.375]] > 1 and mean["5"][k[0.375]] > 3 * mean["4"][k[0.375]]
    for j, f in enumerate(scan["f"]):
        for L in ("3", "4", "5"):
            parsed = scan["depths"][L]
            assert parsed["class_fraction"][j] < mean[L][k[f]] + 0.03
            if L != "5":  # deeper, same-class rejoinings (~1/v each) add to the parsed count
                assert parsed["mean_parses"][j] - 1 == pytest.approx(mean[L][k[f]], abs=0.04)
    # the first moment's growth per depth (200 shapes of depth 6): contributions that reach one level deeper
    # shrink by ~0.65 per level at f = 0.2 and grow at f = 0.3; lambda crosses 1 near f = 0.25 (0.244-0.262 at
    # d = 3-6), far below 3/8, and the first moment at depth 5 is the sum of the contributions up to 5
    growth = r["first_moment_growth"]
    assert growth["f"][0] == 0.2 and growth["f"][-1] == 0.3 and growth["growth_depths"] == [3, 4, 5, 6]
    assert all(lam < 0.8 for lam in growth["growth"][0][1:]) and all(lam > 1.25 for lam in growth["growth"][-1])
    assert all(0.235 < star < 0.27 for star in growth["f_star"])
    assert r["f_transition"] == growth["f_star"][-1] and r["f_transition_depth"] == 6  # the headline: the deepest d
    assert growth["moment"][-1][4] == pytest.approx(mean["5"][k[0.3]], rel=0.15)  # other shapes, the same mean
    # learning: below f_c the CNN approaches its (tiny) Bayes floor; above, the floor is high and it stays far above
    by_f = r["learning"]["by_f"]
    below, above = by_f["0.25"], by_f["0.75"]
    assert below["bayes_error"] < 0.02 < 0.1 < above["bayes_error"]
    assert below["cnn"][-1]["test_error"] < 0.2 and above["cnn"][-1]["test_error"] > 0.35
    for entry in (below, above):
        for model in ("cnn", "transformer"):
            assert all(row["test_error"] >= entry["bayes_error"] - 0.05 for row in entry[model])
    assert below["transformer"][-1]["test_error"] < below["transformer"][0]["test_error"]


@pytest.mark.slow
def test_latent_prediction_study(results):
    r = results("latent_prediction")
    latent, token = r["sample_complexity"]["latent"], r["sample_complexity"]["token"]
    assert latent["L"] == token["L"] and len(latent["L"]) >= 4
    assert all(np.isfinite(latent["P_star"])) and all(np.isfinite(token["P_star"]))
    m = r["grammars"][0]["m"]
    lat, tok = r["exponents"]["latent"], r["exponents"]["token"]
    # latent targets: P* constant in L (growth per level 1 within 3 errors + 0.15), about m^3 v / 2 .. 4 m^3 v
    assert abs(lat["base"] - 1) < 3 * lat["base_error"] + 0.15
    v = r["grammars"][0]["v"]
    assert all(m**3 * v / 4 < p < 4 * m**3 * v for p in latent["P_star"])
    # token targets: P* grows by a factor close to m per level (between m - 1.5 and m + 0.5)
    assert m - 1.5 < tok["base"] < m + 0.5
    # the same at L = 2 (one level: both learners are one algorithm), far apart at the deepest L
    assert token["P_star"][0] == pytest.approx(latent["P_star"][0], rel=0.01)
    assert token["P_star"][-1] > 10 * latent["P_star"][-1]
    # the network (predictor + clusterer per level, latent targets): P* constant in L like the clustering learner
    # (growth per level 1 within 3 errors + 0.15, well below m; measured 1.02 ± 0.02), about m^3 v, and at the deepest
    # L more than 10 times below the token learner's
    network, net = r["sample_complexity"]["network"], r["exponents"]["network"]
    assert network["L"] == latent["L"] and net["theory"] == 1
    assert all(p is not None and np.isfinite(p) for p in network["P_star"])  # null in JSON: never recovered
    assert abs(net["base"] - 1) < 3 * net["base_error"] + 0.15 and net["base"] < (1 + m) / 2
    assert all(m**3 * v / 4 < p < 4 * m**3 * v for p in network["P_star"])
    assert token["P_star"][-1] > 10 * network["P_star"][-1]


@pytest.mark.slow
def test_next_token_study(results):
    r = results("next_token")
    theory = r["theory"]
    v, m, s = 8, 2, 2  # rhm:v=8,n_c=8,m=2,s=2,L=3
    np.testing.assert_allclose(theory["P_l"], [v * m ** (2 * l - 1) / (1 - m / v ** (s - 1)) for l in (1, 2, 3)])
    assert np.all(np.diff(theory["plateaus"]) < 0)
    steps = {(e["model"], e["level"]): e for e in r["steps"]}
    assert set(steps) == {(m, level) for m in ("cnn", "transformer") for level in (1, 2, 3)}
    # the CNN's first two steps within a factor 2 of P_l (the target). On whole sentences, with dropout 0.6,
    # the CNN makes them at 1.88 and 1.74 P_l (4-seed mean; 2.2 and 2.8 without dropout, which no training
    # setting tried moved by more than the seed spread); reading only the last 4 tokens (the subtree of height 2
    # that steps 1 and 2 need) at 1.0 and 1.3 P_l: earlier than on whole sentences (the extra context,
    # unresolvable at these P, costs data)
    (control,) = r["controls"]
    assert control["T"] == 4 and [s["level"] for s in control["steps"]] == [1, 2]
    for level in (1, 2):
        step = steps[("cnn", level)]
        assert step["P_measured"] is not None and 0.5 <= step["P_measured"] / step["P_theory"] <= 2, step
        assert len(step["ratio_per_seed"]) == 4
        short = control["steps"][level - 1]
        assert short["P_theory"] == step["P_theory"] and len(short["ratio_per_seed"]) == 4
        assert short["P_measured"] is not None and 0.5 <= short["P_measured"] / short["P_theory"] <= 2, short
        assert short["P_measured"] < step["P_measured"], (short, step)
    # the transformer makes the first step near P_1 (its second one is late at this size: reported, not asserted)
    assert 0.5 < steps[("transformer", 1)]["P_measured"] / steps[("transformer", 1)]["P_theory"] < 2
    # exponents with errors over seeds; the CNN's excess loss decays faster (arXiv 2505.07070)
    cnn, transformer = r["exponents"]["cnn"], r["exponents"]["transformer"]
    assert len(cnn["per_seed"]) == len(transformer["per_seed"]) == 4
    assert cnn["alpha_err"] > 0 and transformer["alpha_err"] > 0
    assert r["faster"] == "cnn" and cnn["alpha"] - transformer["alpha"] > 1.5 * math.hypot(
        cnn["alpha_err"], transformer["alpha_err"]
    )
    # context: never below the exact entropy given T - 1 tokens (within test noise); longer contexts help up to T = 4
    ctx = r["context"]
    assert np.all(np.array(ctx["loss"]) > np.array(ctx["exact"]) - 0.05)
    assert ctx["loss"][1] < ctx["loss"][0] - 0.2


@pytest.mark.slow
def test_scaling_laws_study(results):
    r = results("scaling_laws")
    corpora = r["corpora"]
    rhm = corpora["rhm"]
    assert abs(rhm["beta"] - rhm["beta_theory"]) < max(2 * rhm["beta_err"], 0.2)
    assert rhm["gamma_err"] > 0 and rhm["alpha_predicted"] == pytest.approx(rhm["gamma"] / (2 * rhm["beta"]))
    assert rhm["gamma_free"] is None and "bound" in rhm["gamma_free_refused"]  # the degenerate fit is refused
    assert rhm["alpha_measured"] > 0 and rhm["alpha_measured_err"] > 0
    for name in ("wikipedia", "kjv"):
        entry = corpora[name]
        if "skipped" in entry:
            assert "bible-kjv-text" in entry["skipped"]
            continue
        for key in ("beta", "beta_err", "gamma", "gamma_err", "H_inf", "alpha_predicted", "alpha_measured",
                    "alpha_measured_err"):  # fmt: skip
            assert key in entry
        assert entry["beta"] is not None and entry["beta_err"] > 0
        # gamma's x is the context length, as in the paper: H_n from (n+1)-grams, n = 0 (unigrams) not fitted
        assert entry["context"] == list(range(len(entry["H_n"])))
        zero = fit_entropy_decay(entry["context"], entry["H_n"], resolved=entry["resolved"], h_inf=0.0)
        assert entry["gamma_h_inf_zero"] == pytest.approx(zero.gamma, rel=1e-12) and zero.n.min() == 1
        # gamma is either fitted with 0 <= H_inf <= H_n or refused with its reason, never both
        if entry["gamma"] is None:
            assert entry["gamma_refused"] and entry["alpha_predicted"] is None
        else:
            resolved = np.array(entry["resolved"])
            assert 0 <= entry["H_inf"] <= min(np.array(entry["H_n"])[resolved]) and entry["gamma_err"] > 0
            assert entry["alpha_predicted"] == pytest.approx(entry["gamma"] / (2 * entry["beta"]))
        # beta is fitted only on lags above 3x the shuffled-corpus floor
        lo, hi = entry["beta_lags"]
        sigma, shuffled = np.array(entry["spectrum"]["sigma"]), np.array(entry["spectrum"]["shuffled"])
        assert np.all(sigma[int(lo) - 1 : int(hi)] > 3 * shuffled[int(lo) - 1 : int(hi)])
        assert entry["alpha_measured_err"] is not None and entry["alpha_measured_err"] > 0


@pytest.mark.slow
def test_word2vec_vs_spectral_study(results):
    r = results("word2vec_vs_spectral")
    gram = r["gram_vs_shifted_pmi"]
    # SGNS's w . c follows the shifted PMI of the same counts, far better than chance, better for frequent pairs
    assert gram["pearson"] > 0.5 and gram["pearson"] > gram["null_mean"] + 20 * gram["null_std"]
    assert 0 < gram["slope"] < 1.5
    by_count = [b["pearson"] for b in gram["by_count"]]
    assert by_count[-1] > by_count[0] + 0.3
    comparison = r["comparison"]
    assert set(comparison) == {"SGNS", "SPPMI (k=5, cds 0.75)", "M*"}
    assert len({c["analogy_questions"] for c in comparison.values()}) == 1
    assert all(0 <= c["analogy_accuracy"] <= 1 for c in comparison.values())


def test_a_time_limit_that_is_not_a_positive_number_is_refused_before_the_study_starts(stub_dir, tmp_path):
    for bad in (float("nan"), 0, -1.0, float("inf")):
        with pytest.raises(InvalidParameterError, match="'timeout' must be a number in"):
            run_study("stub", out=tmp_path / "o", directory=stub_dir, timeout=bad)
    assert not (tmp_path / "o").exists()


def test_negative_seeds_are_refused_by_the_commands_that_take_one():
    for args in (
        ["geometry", "symmetry", "emb", "--seed", "-1"],
        ["geometry", "places", "emb", "--seed", "-1"],
        ["geometry", "hypernymy", "emb", "--seed", "-2"],
        ["corpus", "build", "rhm:v=8,n_c=4,m=2,s=2,L=3", "-o", "c", "--seed", "-1"],
    ):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2 and "--seed" in res.output and "greater than or equal to 0" in res.output, args
