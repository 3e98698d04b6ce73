"""The demo end to end on a slice of the shipped Wikipedia sample (the full run is timed by hand: see the report)."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

import cooc.experiments.demo as demo_module
from cooc.cli import app
from cooc.embedding import Embedding
from cooc.experiments.demo import OUTPUT_FILES, SMALL, run_demo, with_overrides
from cooc.geometry.analogy import evaluate_analogies

TINY = with_overrides(
    SMALL,
    max_docs=15,
    vocab_size=600,
    dim=24,
    ks=(2, 8, 24),
    attribute_d=4,
    attribute_p=(0.5, 0.4, 0.3, 0.6),
    attribute_dim=12,
    workers=1,
)


def test_demo_writes_an_honest_report(tmp_path):
    lines = []
    run = run_demo(tmp_path / "out", config=TINY, progress=False, log=lines.append)
    out = tmp_path / "out"
    for name in (
        "report.md",
        "report.json",
        "spectrum.png",
        "analogy_families.png",
        "accuracy_vs_k.png",
        "attribute_model.png",
        "embedding.npz",
        "counts.npz",
    ):
        assert (out / name).stat().st_size > 0, name
    # what `cooc demo` refuses to replace without --overwrite is what the demo writes
    assert sorted(p.name for p in out.iterdir() if p.name != "corpus") == sorted(OUTPUT_FILES)
    facts = json.loads((out / "report.json").read_text())["facts"]
    # the reported numbers are those of the saved embedding
    emb = Embedding.load(out / "embedding")
    assert emb.dim == 24 and len(emb) == 600 == facts["V"]
    direct = evaluate_analogies(emb, protocol="gensim")
    assert (facts["protocol_a"]["correct"], facts["protocol_a"]["usable"]) == (direct.correct, direct.usable)
    assert facts["protocol_a"]["listed"] == 19544 and facts["protocol_b"]["listed"] == 573
    assert facts["documents"] == 15 and facts["curve"]["ks"] == [2, 8, 24]
    # the theory part: log M exact from K = d on
    logm = facts["attribute_model"]["curves"]["log M"]
    assert np.all(np.array(logm["accuracy"])[3:] == 1.0)
    text = run.report
    assert "The shipped sample is small" in text and "cooc corpus build hf:wikimedia/wikipedia:20231101.en" in text
    assert f"only {direct.usable:,} of the 19,544 questions" in text
    assert any("eigenpairs" in line for line in lines) and run.seconds["total"] > 0


def test_demo_command(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_module, "SMALL", TINY)
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--dim", "16"])
    assert res.exit_code == 0, res.output
    assert "The shipped sample is small" in res.output and "Report and plots in" in res.output
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    assert report["config"]["dim"] == 16 and report["facts"]["curve"]["ks"] == [2, 8, 16]


def test_demo_replaces_a_users_files_and_another_corpus_only_with_overwrite(tmp_path, monkeypatch):
    from cooc.corpus.build import build_corpus

    monkeypatch.setattr(demo_module, "SMALL", TINY)
    out = tmp_path / "d"
    out.mkdir()
    (out / "counts.npz").write_bytes(b"the user's own counts")
    (tmp_path / "other.txt").write_text("another corpus entirely\n")
    build_corpus(tmp_path / "other.txt", out / "corpus", progress=False)
    res = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code != 0 and "counts.npz' already exists; pass --overwrite" in res.output, res.output
    assert (out / "counts.npz").read_bytes() == b"the user's own counts" and not (out / "report.md").exists()
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--overwrite"])  # reaches the corpus build too
    assert res.exit_code == 0, res.output
    assert json.loads((out / "report.json").read_text())["facts"]["documents"] == 15


def test_overwrite_reuses_a_corpus_built_with_the_same_settings(tmp_path):
    # --overwrite replaces the demo's files and a corpus of other settings; one of the same settings is
    # reused (with --full it took hours to build)
    out = tmp_path / "d"
    demo_module._corpus(demo_module.DemoRun(TINY, out), False, lambda s: None)
    manifest = out / "corpus" / "manifest.json"
    before = manifest.stat().st_mtime_ns
    demo_module._corpus(demo_module.DemoRun(TINY, out), False, lambda s: None, overwrite=True)
    assert manifest.stat().st_mtime_ns == before


def test_overwrite_rebuilds_a_damaged_corpus_and_without_it_refuses(tmp_path):
    import pytest

    from cooc._core.errors import CorruptFileError

    out = tmp_path / "d"
    first = demo_module._corpus(demo_module.DemoRun(TINY, out), False, lambda s: None)
    vocab = out / "corpus" / "vocab.tsv"
    vocab.write_bytes(vocab.read_bytes()[:-10] + b"x" * 10)
    with pytest.raises(CorruptFileError):
        demo_module._corpus(demo_module.DemoRun(TINY, out), False, lambda s: None)
    again = demo_module._corpus(demo_module.DemoRun(TINY, out), False, lambda s: None, overwrite=True)
    assert again.n_tokens == first.n_tokens and again.vocab == first.vocab


def test_figures_name_the_target_they_show(tmp_path, monkeypatch):
    import cooc.plots.spectral as plots

    titles = {}
    for name in ("plot_spectrum", "plot_family_accuracy"):
        real = getattr(plots, name)
        monkeypatch.setattr(
            plots, name, lambda *a, _real=real, _name=name, **k: titles.setdefault(_name, k["title"]) and _real(*a, **k)
        )
    run_demo(tmp_path / "out", config=with_overrides(TINY, target="logm"), progress=False, log=lambda s: None)
    assert titles == {
        "plot_spectrum": "Eigenvalues of log M",
        "plot_family_accuracy": "Wikipedia sample: log M analogy accuracy per family",
    }


def test_settings_the_demo_cannot_run_with_are_refused_before_the_corpus(tmp_path):
    """A 50-word vocabulary failed after the corpus and counts with numpy's 'All-NaN slice encountered'; dim 0,
    a negative vocabulary and device 'bogus' after the corpus build."""
    import pytest

    from cooc._core.errors import InvalidParameterError

    for changes, message in (
        ({"vocab_size": 50}, r"'vocab_size' must be an integer in \[300, inf\)"),
        ({"vocab_size": -5}, "'vocab_size'"),
        ({"dim": 0}, r"'dim' must be an integer in \[1, inf\)"),
        ({"dim": 599}, "at most vocab_size - 2 = 598"),
        ({"device": "bogus"}, "'device' must be one of"),
    ):
        with pytest.raises(InvalidParameterError, match=message):
            run_demo(tmp_path / "d", config=with_overrides(TINY, **changes), progress=False, log=lambda s: None)
        assert not (tmp_path / "d").exists()
    demo_module.check_config(with_overrides(TINY, vocab_size=300, dim=298))  # the bounds themselves pass
